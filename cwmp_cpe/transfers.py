"""Download/Upload jobs of one CPE and the device hooks that give them meaning.

The runtime owns the protocol side (queueing, DelaySeconds, GetQueuedTransfers,
CancelTransfer, the TransferComplete record and events, HTTP with auth); the *device* says
which file types it takes, what a downloaded file means (check it, apply it) and what an
uploaded file contains, through :class:`DeviceHooks`. That split lets the embedded printer
client and the CWMP proxy share everything but the file formats.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from printbench.cwmp_cpe.http import DownloadedFile, TransferError

__all__ = ["DeviceHooks", "DownloadedFile", "TransferError", "TransferJob", "TransferOutcome"]

NOT_STARTED, IN_PROGRESS, COMPLETED = 1, 2, 3


@dataclass(eq=False)
class TransferJob:
    """One Download or Upload accepted with Status 1."""

    command_key: str
    is_download: bool
    file_type: str
    url: str
    username: str = ""
    password: str = ""
    file_size: int = 0
    target_file_name: str = ""
    delay_seconds: int = 0
    state: int = NOT_STARTED
    start_time: datetime | None = None
    #: When DelaySeconds is over, on the runtime's monotonic clock (persisted as wall time,
    #: so a restarted process resumes the wait instead of forgetting the transfer).
    due: float | None = None
    task: asyncio.Task[Any] | None = field(default=None, repr=False)
    #: The session that accepted the job (compared by identity): only that session may
    #: carry its TransferComplete without 7 TRANSFER COMPLETE + M Download in its Inform.
    origin: Any = field(default=None, repr=False)
    #: ScheduleDownload: its time windows (``cwmp_cpe.time_windows.Window``); empty for a
    #: Download or Upload. ``received`` is when the request came (monotonic; the windows
    #: count from it), ``confirmed`` the user's answer for "4 Confirmation Needed".
    windows: tuple[Any, ...] = ()
    received: float | None = None
    confirmed: bool | None = None


@dataclass
class TransferOutcome:
    """What a successful download does next.

    ``activate`` is applied by the runtime when no session is running (a device does not
    reboot in the middle of a session); with ``reboot`` True the activation restarts the
    device (firmware), so the transfer only counts as complete after the boot, and the
    TransferComplete goes into the next session's Inform with ``1 BOOT``.
    """

    activate: Callable[[], None] | None = None
    reboot: bool = False


class DeviceHooks(Protocol):
    """Device-specific actions. Every member is optional: a missing one answers 9000."""

    #: FileType strings Download accepts, e.g. ("1 Firmware Upgrade Image", ...)
    download_types: tuple[str, ...]
    #: FileType strings Upload accepts (instance forms "3 Vendor Configuration File 1" too)
    upload_types: tuple[str, ...]

    def reboot(self) -> None: ...

    def factory_reset(self) -> None: ...

    async def accept_download(self, job: TransferJob, file: DownloadedFile) -> TransferOutcome:
        """Check ``file`` (complete, on disk) and say how to apply it; TransferError refuses.

        The file is removed when this returns: what activation needs is taken here.
        """
        ...

    async def upload_content(self, job: TransferJob) -> tuple[bytes, str]: ...
