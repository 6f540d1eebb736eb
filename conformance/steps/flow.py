"""Flow and variables: for_each, advance, sleep, set_var, assert, verdicts, log, interval."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from printbench.conformance.steps.base import (
    MAX_REAL_WAIT,
    StepFailed,
    check,
    fs,
    step,
)
from printbench.conformance.steps.selection import loop_items

if TYPE_CHECKING:
    from printbench.conformance.engine import Context
    from printbench.conformance.scenario import Step


@step("for_each", value="str|list", keys=fs("as", "limit"), nested=True)
async def for_each(ctx: Context, st: Step) -> None:
    """Run the nested steps once per item: a list, or ``mapping`` / ``mapping-writable`` /
    ``datamodel`` (the device's mapped or data-model parameters, one instance each)."""

    items = st.args["_"]
    if isinstance(items, str):
        items = await loop_items(ctx, items)
    limit = st.args.get("limit")
    if isinstance(limit, int):
        items = items[:limit]
    var = st.args.get("as", "item")
    for item in items:
        ctx.vars[var] = item
        for child in st.children:
            await ctx.run_step(child)


@step("advance", value="number")
async def advance(ctx: Context, st: Step) -> None:
    """Let N seconds of device time pass: a fake clock jumps, a real one is waited on
    (bounded; the target's time scale may shorten it)."""
    await ctx.target.advance(float(st.args["_"]))


@step("sleep", value="number")
async def sleep(ctx: Context, st: Step) -> None:
    """Wait N real seconds (at most 15)."""
    await asyncio.sleep(min(float(st.args["_"]), MAX_REAL_WAIT))


@step("set_var", value="dict")
async def set_var(ctx: Context, st: Step) -> None:
    """Set variables (``${name}`` in later steps)."""
    ctx.vars.update(ctx.subst(st.args["_"]))


@step("assert", value="dict", matchers=("_",))
async def assert_(ctx: Context, st: Step) -> None:
    """Check saved variables: ``{variable: matcher}`` (dotted paths reach inside)."""
    for name, matcher in st.args["_"].items():
        check(ctx.subst(matcher), ctx.lookup(name), name)


@step("verdicts", value="none", keys=fs("expect_rules", "none_except"), needs=fs("acs"))
async def verdicts(ctx: Context, st: Step) -> None:
    """Check the stub ACS's protocol verdicts for this device so far in the scenario:
    ``expect_rules: [rule]`` must have been reported (negative tests); ``none_except:
    [rule]`` fails on any other verdict, optional ones included (an allowed variant must
    not cost the CPE even a warning)."""
    found = {v.rule for v in ctx.violations()}
    for rule in st.args.get("expect_rules", []):
        if rule not in found:
            raise StepFailed(
                f"expected the ACS to report rule {rule!r}; it reported {sorted(found) or 'nothing'}"
            )
    if "none_except" in st.args:
        allowed = set(st.args["none_except"] or [])
        other = [v for v in ctx.violations() if v.rule not in allowed]
        if other:
            v = other[0]
            raise StepFailed(
                f"the ACS reported {len(other)} verdict(s), first {v.rule} ({v.severity}): "
                f"{v.message} (journal #{v.ref})"
            )


@step("log", value="str")
async def log_(ctx: Context, st: Step) -> None:
    """A note in the report (checks nothing)."""
    ctx.notes.append(ctx.subst(st.args["_"]))


@step(
    "interval",
    value="none",
    keys=fs("between", "expect"),
    required=fs("between", "expect"),
    matchers=("expect",),
)
async def interval(ctx: Context, st: Step) -> None:
    """Seconds between two saved Informs (``between: [a, b]``), checked with ``expect``."""
    a, b = st.args["between"]
    ta, tb = ctx.lookup(f"{a}.received_at"), ctx.lookup(f"{b}.received_at")
    check(st.args["expect"], tb - ta, f"seconds between {a} and {b}")
