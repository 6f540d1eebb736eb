"""What files mean to a virtual printer: firmware images, configuration files, logs.

The CPE runtime (``cwmp_cpe``) fetches and sends the bytes; the two file formats a printer
accepts are defined in :mod:`printbench.cwmp_cpe.file_formats` (the proxy applies them too);
this module applies them through the state and the behaviour engine, so the change is visible
on every face. Applying a firmware image writes ``identity.software_version`` and reboots the
printer (the transfer is complete after that boot, so the TransferComplete goes with
``1 BOOT``). Upload also offers ``2 Vendor Log File`` (the recent state changes, one a line).
"""

from __future__ import annotations

from collections import deque
from typing import Any

from printbench.cwmp_cpe import TransferJob, TransferOutcome
from printbench.cwmp_cpe.file_formats import (  # noqa: F401  (re-exported for callers)
    CONFIG_DOWN,
    CONFIG_SECTIONS,
    CONFIG_UP,
    FIRMWARE,
    LOG_UP,
    config_values,
    make_config,
    make_firmware,
    parse_config,
    parse_firmware,
)


class PrinterHooks:
    """``cwmp_cpe.DeviceHooks`` for a virtual printer (state + behaviour engine)."""

    download_types = (FIRMWARE, CONFIG_DOWN)
    upload_types = (CONFIG_UP, LOG_UP, f"3 {CONFIG_UP[2:]} 1", f"4 {LOG_UP[2:]} 1")

    def __init__(self, state: Any, engine: Any, log: deque[str] | None = None) -> None:
        self.state = state
        self.engine = engine
        self.log: deque[str] = log if log is not None else deque(maxlen=500)

    def reboot(self) -> None:
        self.engine.reboot()

    def factory_reset(self) -> None:
        self.engine.factory_reset()

    async def accept_download(self, job: TransferJob, data: bytes) -> TransferOutcome:
        if job.file_type == FIRMWARE:
            version = parse_firmware(data, self.state.identity.product_class)

            def flash_and_boot() -> None:
                self.state.set("identity.software_version", version)
                self.engine.reboot()

            return TransferOutcome(activate=flash_and_boot, reboot=True)
        values = parse_config(data, self.state)

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
