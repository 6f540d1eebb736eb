"""What files mean to a virtual printer: firmware images, configuration files, logs.

The CPE runtime (``cwmp_cpe``) fetches and sends the bytes; this module defines the two file
formats a printer accepts, checks them (each carries its own SHA-256, so a corrupted or
truncated file is refused with 9018 before anything changes) and applies them through the
state and the behaviour engine, so the change is visible on every face.

Firmware image (``1 Firmware Upgrade Image``): the format of :mod:`printbench.emulator.firmware` (a
JSON header line with version, size and SHA-256, then the raw payload, checked as a stream).

Applying it writes ``identity.software_version`` and reboots the printer (the transfer is
complete after that boot, so the TransferComplete goes with ``1 BOOT``).

Vendor configuration file (``3 Vendor Configuration File`` down, ``1 …`` up): the format of
:mod:`printbench.cwmp_cpe.file_formats` (the proxy applies it too); a file is applied all or
nothing.
Upload also offers ``2 Vendor Log File`` (the recent state changes, one a line).
"""

from __future__ import annotations

import asyncio
from collections import deque
from pathlib import Path
from typing import Any

from printbench.cwmp_cpe import DownloadedFile, TransferError, TransferJob, TransferOutcome
from printbench.cwmp_cpe.file_formats import (
    CONFIG_DOWN,
    CONFIG_UP,
    FIRMWARE,
    LOG_UP,
    MAX_CONFIG,
    config_values,
    make_config,
    parse_config,
)
from printbench.emulator import firmware
from printbench.emulator.firmware import firmware_header, make_firmware, write_firmware
from printbench.emulator.state import ValueRejected

__all__ = [
    "CONFIG_DOWN",
    "FIRMWARE",
    "PrinterHooks",
    "check_config",
    "config_values",
    "firmware_header",
    "make_config",
    "make_firmware",
    "parse_config",
    "parse_firmware",
    "parse_firmware_file",
    "write_firmware",
]

def parse_firmware(data: bytes, product_class: str) -> str:
    """The version in a firmware image held in memory, after checking it; TransferError."""
    try:
        return firmware.parse_firmware(data, product_class)
    except firmware.FirmwareError as exc:
        raise TransferError(exc.code, exc.message) from None


def parse_firmware_file(path: Path, product_class: str) -> str:
    """The version in a firmware image on disk, checked in chunks; TransferError."""
    try:
        return firmware.parse_firmware_file(path, product_class)
    except firmware.FirmwareError as exc:
        raise TransferError(exc.code, exc.message) from None


def check_config(values: dict[str, Any], state: Any) -> dict[str, Any]:
    """``values`` of a configuration file, each checked by the value rule every face's write
    obeys (issue 17): one value no face can carry refuses the whole file (9010), before
    anything is applied."""
    for path, value in values.items():
        try:
            state.check(path, value)
        except ValueRejected as exc:
            raise TransferError(9010, f"configuration file: {exc}") from None
    return values


class PrinterHooks:
    """``cwmp_cpe.DeviceHooks`` for a virtual printer (state + behaviour engine)."""

    download_types = (FIRMWARE, CONFIG_DOWN)
    upload_types = (CONFIG_UP, LOG_UP, f"3 {CONFIG_UP[2:]} 1", f"4 {LOG_UP[2:]} 1")

    def __init__(self, state: Any, engine: Any, log: deque[str] | None = None) -> None:
        self.state = state
        self.engine = engine
        self.log: deque[str] = log if log is not None else deque(maxlen=500)

    def device_idle(self) -> bool:
        """For a ScheduleDownload window "3 When Idle": no job waiting or printing."""
        busy = ("pending", "processing", "processing-stopped")
        return not any(j.state in busy for j in self.state.jobs)

    def reboot(self) -> None:
        self.engine.reboot()

    def factory_reset(self) -> None:
        self.engine.factory_reset()

    async def accept_download(self, job: TransferJob, file: DownloadedFile) -> TransferOutcome:
        if job.file_type == FIRMWARE:
            # Hashing a large image takes a while: off the event loop the device shares.
            version = await asyncio.to_thread(
                parse_firmware_file, file.path, self.state.identity.product_class
            )

            def flash_and_boot() -> None:
                self.state.set("identity.software_version", version)
                self.engine.reboot()

            return TransferOutcome(activate=flash_and_boot, reboot=True)
        values = check_config(parse_config(file.read_bytes(MAX_CONFIG), self.state), self.state)

        def apply() -> None:
            for path, value in values.items():
                self.state.set(path, value)
            self.state.status.config_changes += 1

        return TransferOutcome(activate=apply)

    async def upload_content(self, job: TransferJob) -> tuple[bytes, str]:
        if job.file_type.startswith(("1 ", "3 ")):
            return make_config(config_values(self.state)), "application/x-yaml"
        text = "\n".join(self.log) + ("\n" if self.log else "")
        return text.encode("utf-8"), "text/plain; charset=utf-8"
