"""An asyncio TR-069 CPE runtime over the pure protocol core in ``cwmp``.

Used by the emulator's embedded TR-069 client (one per virtual printer) and by the CWMP
proxy (one per proxied printer); it depends only on ``cwmp`` and aiohttp. Start with
:class:`cwmp_cpe.runtime.Cpe`; docs/tr069-client.md explains the pieces.
"""

from printbench.cwmp_cpe.config import QUIRKS, CpeConfig
from printbench.cwmp_cpe.connreq import ConnectionRequestServer
from printbench.cwmp_cpe.runtime import Cpe
from printbench.cwmp_cpe.store import JsonFileStore, MemoryStore
from printbench.cwmp_cpe.timing import FakeTime, SystemTime
from printbench.cwmp_cpe.transfers import (
    DeviceHooks,
    DownloadedFile,
    TransferError,
    TransferJob,
    TransferOutcome,
)

__all__ = [
    "QUIRKS",
    "ConnectionRequestServer",
    "Cpe",
    "CpeConfig",
    "DeviceHooks",
    "DownloadedFile",
    "FakeTime",
    "JsonFileStore",
    "MemoryStore",
    "SystemTime",
    "TransferError",
    "TransferJob",
    "TransferOutcome",
]
