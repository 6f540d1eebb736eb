"""Steps that drive the printer through the emulator's control API (print, inject, truth, ...)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from printbench.conformance.steps.base import (
    StepFailed,
    check,
    expand_name,
    fs,
    step,
)

if TYPE_CHECKING:
    from printbench.conformance.engine import Context
    from printbench.conformance.scenario import Step


@step("print", value="int|dict", needs=fs("emulator"), keys=fs("complete"))
async def print_job(ctx: Context, st: Step) -> None:
    """Submit a job of N pages (or ``{pages: N, ...ticket}``); ``finish: true`` prints it now."""
    arg = st.args["_"]
    ticket = {"pages": arg} if isinstance(arg, int) else dict(arg)
    control = ctx.need_control()
    job = await ctx.call_control(control.submit_job, **ticket)
    ctx.vars["job"] = job
    if st.args.get("complete", False):
        await ctx.call_control(control.finish)


@step("finish", value="none", needs=fs("emulator"))
async def finish(ctx: Context, st: Step) -> None:
    """Print every runnable job to the end now."""
    await ctx.call_control(ctx.need_control().finish)


@step("inject", value="str", keys=fs("params"), needs=fs("emulator"))
async def inject(ctx: Context, st: Step) -> None:
    """Inject a printer fault (jam, cover_open, toner_empty, tray_empty, offline,
    power_off, output_full); cleared again when the scenario ends."""
    control = ctx.need_control()
    fault, params = st.args["_"], dict(st.args.get("params") or {})
    await ctx.call_control(control.inject, fault, **params)
    ctx.cleanups.append(lambda: _quiet(control.clear, fault, **params))


@step("clear", value="str", keys=fs("params"), needs=fs("emulator"))
async def clear(ctx: Context, st: Step) -> None:
    """Clear a printer fault."""
    await ctx.call_control(
        ctx.need_control().clear, st.args["_"], **dict(st.args.get("params") or {})
    )


def _quiet(fn: Callable[..., Any], *a: Any, **kw: Any) -> None:
    with contextlib.suppress(Exception):  # cleanup must not mask the scenario's own result
        fn(*a, **kw)


@step("power", value="str", needs=fs("emulator"))
async def power(ctx: Context, st: Step) -> None:
    """``power: off`` / ``power: on`` (the plug); switched back on when the scenario ends."""
    control = ctx.need_control()
    if st.args["_"] not in ("on", "off"):
        raise StepFailed("power takes on or off")
    if st.args["_"] == "off":
        await ctx.call_control(control.power_off)
        ctx.cleanups.append(lambda: _quiet(control.power_on))
    else:
        await ctx.call_control(control.power_on)


@step("refill", value="none|int", needs=fs("emulator"))
async def refill(ctx: Context, st: Step) -> None:
    """Refill one supply (index) or all."""
    await ctx.call_control(ctx.need_control().refill, st.args.get("_"))


@step("reboot_printer", value="none", needs=fs("emulator"))
async def reboot_printer(ctx: Context, st: Step) -> None:
    """Reboot the printer from its control API (a person pressing the power button)."""
    await ctx.call_control(ctx.need_control().reboot)


@step("truth", value="str", keys=fs("expect", "save"), needs=fs("emulator"))
async def truth(ctx: Context, st: Step) -> None:
    """Read a value of the printer's state (emulator ground truth) by its state path."""
    value = await ctx.call_control(ctx.need_control().get, ctx.subst(st.args["_"]))
    if "expect" in st.args:
        check(ctx.subst(st.args["expect"]), value, f"printer state {st.args['_']}")
    if "save" in st.args:
        ctx.vars[st.args["save"]] = value


@step("set_truth", value="dict", needs=fs("emulator"))
async def set_truth(ctx: Context, st: Step) -> None:
    """Change the printer's state directly (as its panel would), ``{path: value}``."""
    control = ctx.need_control()
    for path, value in ctx.subst(st.args["_"]).items():
        await ctx.call_control(control.set, path, value)


@step("oracle", value="str|list", keys=fs("expect", "save"), needs=fs("oracle"))
async def oracle(ctx: Context, st: Step) -> None:
    """Read parameters from the printer's own TR-069 view (the ground-truth oracle)."""
    spec = ctx.subst(st.args["_"])
    names = [expand_name(n) for n in ([spec] if isinstance(spec, str) else spec)]
    values = await ctx.oracle(names)
    if "expect" in st.args:
        check(
            {expand_name(k): v for k, v in ctx.subst(st.args["expect"]).items()}, values, "oracle"
        )
    if "save" in st.args:
        ctx.vars[st.args["save"]] = values
