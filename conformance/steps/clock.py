"""Times on the device's clock as scenario variables (time_var).

Why a step: TR-069 times an ACS writes (HeartbeatPolicy.InitiationTime,
PeriodicInformTime, a ScheduleDownload window) must be relative to the device's "now",
which a scenario cannot know in advance; the device's clock is the target's (real for the
built-in fleet, a fake one where the target runs on fake time).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from printbench.conformance.steps.base import StepFailed, step
from printbench.cwmp import soap

if TYPE_CHECKING:
    from printbench.conformance.engine import Context
    from printbench.conformance.scenario import Step


@step("time_var", value="dict")
async def time_var(ctx: Context, st: Step) -> None:
    """``time_var: {name: seconds}``: ``${name}`` becomes the device's time now plus
    ``seconds``, as a TR-106 dateTime in UTC (e.g. ``2026-12-04T21:30:06Z``)."""
    now = ctx.target.clock_for(ctx.device.acs_id).now()
    for name, offset in st.args["_"].items():
        if isinstance(offset, bool) or not isinstance(offset, int | float):
            raise StepFailed(f"time_var {name}: expected a number of seconds, got {offset!r}")
        when = (now + timedelta(seconds=float(offset))).replace(microsecond=0)
        ctx.vars[str(name)] = soap.format_datetime(when)
