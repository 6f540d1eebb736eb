"""The IPP face of a virtual printer: codec, attribute views, operations, aiohttp server."""
