"""What a person at the printer starts that its TR-069 client reports (issue 15 item 4).

Two actions of the printer's panel / EWS / control API, for a device with an embedded client
(``device.tr069``):

- :func:`request_download`: the printer asks its ACS for a file (``RequestDownload``; e.g.
  "check for new firmware" on the panel). The ACS answers and may send a Download.
- :func:`firmware_update`: a firmware update done locally (USB stick, EWS upload): the new
  version is flashed and the printer reboots; the embedded client reports it with
  ``AutonomousTransferComplete`` if the ACS's AutonomousTransferCompletePolicy asks for it. A
  failed local update (``fail: true``) changes nothing and is reported as a failure (9010).
- :func:`confirm_download`: the user's answer to a ScheduleDownload window with
  ``4 Confirmation Needed`` (its UserMessage is what the panel shows).

Each takes the device and the JSON body of the control request and returns what the control
API answers; bad input raises :class:`ActionError` (HTTP status + message).
"""

from __future__ import annotations

from typing import Any

from printbench.emulator.tr069.transfers import FIRMWARE

FILE_TYPES = ("1 Firmware Upgrade Image", "3 Vendor Configuration File")


class ActionError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _cpe(device: Any) -> Any:
    client = getattr(device, "tr069", None)
    if client is None:
        raise ActionError(409, "this printer has no TR-069 client running (face tr069)")
    return client.cpe


def _only(data: dict[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(data) - allowed)
    if extra:
        raise ActionError(400, f"unknown key(s) {', '.join(extra)} (expected {sorted(allowed)})")


def request_download(device: Any, data: dict[str, Any]) -> dict[str, Any]:
    """``{"file_type": "1 Firmware Upgrade Image", "args": {"Version": "2.0"}}``."""
    _only(data, {"file_type", "args"})
    file_type = data.get("file_type", FIRMWARE)
    if file_type not in FILE_TYPES:
        raise ActionError(400, f"file_type must be one of {', '.join(FILE_TYPES)}")
    args = data.get("args") or {}
    if not isinstance(args, dict) or not all(isinstance(v, str) for v in args.values()):
        raise ActionError(400, "args must be an object of strings (FileTypeArg name: value)")
    _cpe(device).cpe_transfers.request_download(file_type, tuple(args.items()))
    return {"requested": file_type}


def firmware_update(device: Any, data: dict[str, Any]) -> dict[str, Any]:
    """``{"version": "2.0", "url": "usb:/fw.bin", "file_size": 1234, "fail": false}``."""
    _only(data, {"version", "url", "file_size", "fail"})
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        raise ActionError(400, "version must be a non-empty string")
    size = data.get("file_size", 0)
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ActionError(400, "file_size must be a non-negative integer")
    fail = data.get("fail", False)
    if not isinstance(fail, bool):
        raise ActionError(400, "fail must be true or false")
    cpe = _cpe(device)
    clock = device.clock
    started = clock.now()
    if not fail:
        device.state.set("identity.software_version", version)
        device.engine.reboot()
    reported = cpe.cpe_transfers.autonomous_transfer_complete(
        is_download=True,
        file_type=FIRMWARE,
        start=started,
        complete=clock.now(),
        fault_code=9010 if fail else 0,
        fault_string="the image could not be written" if fail else "",
        transfer_url=str(data.get("url", "")),
        file_size=size,
    )
    return {"version": device.state.identity.software_version, "reported": reported}


def confirm_download(device: Any, data: dict[str, Any]) -> dict[str, Any]:
    """``{"command_key": "...", "accept": true}``."""
    _only(data, {"command_key", "accept"})
    key = data.get("command_key")
    accept = data.get("accept", True)
    if not isinstance(key, str) or not isinstance(accept, bool):
        raise ActionError(400, "command_key must be a string and accept true or false")
    if not _cpe(device).transfer_jobs.confirm(key, accept):
        raise ActionError(404, f"no scheduled download {key!r} waits for a confirmation")
    return {"command_key": key, "accept": accept}
