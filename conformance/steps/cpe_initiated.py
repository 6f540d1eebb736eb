"""Steps for CPE-initiated transfers (scenarios/transfers_cpe_initiated.yaml).

The printer side acts through ``emulator.tr069.cpe_initiated`` (what its panel, EWS and
control API do: ask for a file, update its firmware locally, confirm a scheduled download);
the ACS side through the stub's control API (answer a RequestDownload with a Download).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from printbench.acs_stub.control import message_from_json
from printbench.conformance.steps.base import StepFailed, StepSkipped, fs, step
from printbench.emulator.tr069 import cpe_initiated

if TYPE_CHECKING:
    from printbench.conformance.engine import Context
    from printbench.conformance.scenario import Step


def _printer(ctx: Context) -> Any:
    device = getattr(ctx.need_control(), "device", None)
    if device is None or getattr(device, "tr069", None) is None:
        raise StepSkipped("the printer has no embedded TR-069 client in this process")
    return device


def _act(ctx: Context, action: Any, data: dict[str, Any]) -> dict[str, Any]:
    try:
        result: dict[str, Any] = action(_printer(ctx), data)
    except cpe_initiated.ActionError as exc:
        raise StepFailed(f"printer control: {exc}") from None
    return result


@step("printer_request_download", value="dict", keys=fs("save"), needs=fs("emulator"))
async def printer_request_download(ctx: Context, st: Step) -> None:
    """The printer asks its ACS for a file: ``{file_type, args: {name: value}}``."""
    result = _act(ctx, cpe_initiated.request_download, ctx.subst(st.args["_"]))
    if "save" in st.args:
        ctx.vars[st.args["save"]] = result


@step("printer_firmware_update", value="dict", keys=fs("save"), needs=fs("emulator"))
async def printer_firmware_update(ctx: Context, st: Step) -> None:
    """A local firmware update at the printer: ``{version, url, file_size, fail}``."""
    result = _act(ctx, cpe_initiated.firmware_update, ctx.subst(st.args["_"]))
    if "save" in st.args:
        ctx.vars[st.args["save"]] = result


@step("confirm_download", value="dict", needs=fs("emulator"))
async def confirm_download(ctx: Context, st: Step) -> None:
    """The user answers a "4 Confirmation Needed" window: ``{command_key, accept}``."""
    _act(ctx, cpe_initiated.confirm_download, ctx.subst(st.args["_"]))


@step("answer_request_download", value="dict", needs=fs("acs"))
async def answer_request_download(ctx: Context, st: Step) -> None:
    """From now on the ACS answers the device's RequestDownload and then sends a Download
    with these arguments (message field names; ``file_type`` defaults to the request's)."""
    acs = ctx.need_acs()
    args = ctx.subst(st.args["_"])

    def answer(req: Any) -> list[Any]:
        return [message_from_json("Download", {"file_type": req.file_type, **args})]

    acs.answer_request_download(ctx.device.acs_id, answer)
    ctx.cleanups.append(lambda: acs.answer_request_download(ctx.device.acs_id, None))
