"""Bounded reads of HTTP bodies, shared by every client of the project.

Why this exists: aiohttp's ``StreamReader.read(n)`` returns what is *buffered* (at most n
bytes), not n bytes, so a body read with one call is cut at one network read; and
``ClientResponse.read()`` reads to EOF with no bound, so a peer can make us hold any amount.
Every client body of printbench is read here instead: to EOF, with a size cap checked before
(Content-Length) and while reading, so the caller can answer with its protocol's own error
(a TR-069 fault, an IPP status, a proxy ``Rejected``) instead of a cut or unbounded body.
"""

from __future__ import annotations

import aiohttp

CHUNK = 64 * 1024


class BodyTooLarge(Exception):
    """The body is (or says it is) larger than the caller's cap."""

    def __init__(self, limit: int, size: int | None = None) -> None:
        said = f"{size} bytes" if size is not None else "more"
        super().__init__(f"body of {said}, over the limit of {limit} bytes")
        self.limit = limit
        self.size = size


async def read_capped(stream: aiohttp.StreamReader, limit: int, declared: int | None) -> bytes:
    """All of ``stream`` up to EOF; ``BodyTooLarge`` past ``limit`` bytes.

    ``declared`` is the Content-Length when there is one: over the cap, the body is refused
    before a byte of it is read. A body cut short of its Content-Length raises aiohttp's
    ``ClientPayloadError`` (the caller's "transfer ended early").
    """
    if declared is not None and declared > limit:
        raise BodyTooLarge(limit, declared)
    buf = bytearray()
    async for chunk in stream.iter_chunked(CHUNK):
        if len(buf) + len(chunk) > limit:
            raise BodyTooLarge(limit)
        buf += chunk
    return bytes(buf)


async def read_response(resp: aiohttp.ClientResponse, limit: int) -> bytes:
    """The whole body of a client response, at most ``limit`` bytes (``BodyTooLarge``)."""
    return await read_capped(resp.content, limit, resp.content_length)


async def discard_response(resp: aiohttp.ClientResponse, limit: int = 64 * 1024) -> None:
    """Read and drop a body we do not use (so the connection can be reused), bounded."""
    await read_response(resp, limit)
