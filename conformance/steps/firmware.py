"""``serve_firmware``: a firmware image the stub ACS serves for a Download (TP-181 5.1.4).

Why a step of its own: a firmware image is not text a scenario can spell out; it is the
printer's own format (``emulator.firmware``: a JSON header naming the product class and the
version, then the payload with its SHA-256), built here for the device under test.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from printbench.conformance.steps.base import StepFailed, fs, step
from printbench.emulator.firmware import make_firmware

if TYPE_CHECKING:
    from printbench.conformance.engine import Context
    from printbench.conformance.scenario import Step


@step("serve_firmware", value="str", keys=fs("version", "product_class", "save"), needs=fs("acs"))
async def serve_firmware(ctx: Context, st: Step) -> None:
    """Serve a valid firmware image named by the value, of ``version`` for the device's
    product class (or ``product_class``); its URL goes to ``save`` and the size to
    ``<save>_size``."""
    acs = ctx.need_acs()
    name = str(ctx.subst(st.args["_"]))
    version = str(ctx.subst(st.args.get("version", "")))
    if not version:
        raise StepFailed("serve_firmware needs the version the image carries")
    product = ctx.subst(st.args.get("product_class"))
    if not product:
        printer = getattr(ctx.device, "printer", None)
        state = getattr(printer, "state", None)
        known = acs.known_device(ctx.device.acs_id)
        product = state.identity.product_class if state is not None else known.product_class
    data = make_firmware(str(product), version)
    acs.add_file(name, data)
    key = st.args.get("save", "firmware_url")
    ctx.vars[key] = acs.file_url(name)
    ctx.vars[key + "_size"] = len(data)
