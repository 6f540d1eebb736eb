"""The ``diagnostic`` step: run a TR-181 ``Device.IP.Diagnostics.`` test through the stub ACS
(``AcsControl.run_diagnostic``) and check its results.

The step fails on every finding of the ACS's judge for the run (no ``8 DIAGNOSTICS
COMPLETE``, the event in the requesting session, a state outside the enumeration, results
that break a MUST of their parameter; rules ``diagnostics-*`` in docs/acs.md), then applies
``expect`` to the values by their names relative to the object (``SuccessCount``,
``RouteHops.1.HostAddress``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from printbench.acs_stub.diagnostics import BASE, OBJECTS
from printbench.acs_stub.rpc_queue import RpcFault
from printbench.conformance.steps.base import StepFailed, check, fs, step, step_timeout

if TYPE_CHECKING:
    from printbench.conformance.engine import Context
    from printbench.conformance.scenario import Step


@step(
    "diagnostic",
    value="str",
    keys=fs("params", "expect", "save", "timeout"),
    needs=fs("acs"),
    matchers=("expect",),
)
async def diagnostic(ctx: Context, st: Step) -> None:
    """Request diagnostic ``IPPing``/``TraceRoute``/``DownloadDiagnostics``/
    ``UploadDiagnostics``/``ServerSelectionDiagnostics`` with ``params``, await
    8 DIAGNOSTICS COMPLETE (``timeout``, default 60 s) and check ``expect`` on the results."""
    obj = ctx.subst(st.args["_"])
    if obj not in OBJECTS:
        raise StepFailed(f"diagnostic {obj!r} is not one of {', '.join(OBJECTS)}")
    params = ctx.subst(st.args.get("params") or {})
    acs = ctx.need_acs()
    try:
        run = await acs.run_diagnostic(
            ctx.device.acs_id, obj, params,
            connect=ctx.ensure_session, timeout=step_timeout(ctx, st, 60.0),
        )  # fmt: skip
    except RpcFault as exc:
        raise StepFailed(f"SetParameterValues of {obj} refused: {exc.fault}") from None
    except TimeoutError:
        raise StepFailed(f"{obj}: the CPE did not answer the SetParameterValues") from None
    if run.findings:
        raise StepFailed("; ".join(f"{rule}: {msg}" for rule, msg in run.findings))
    prefix = f"{BASE}{obj}."
    values = {k[len(prefix) :]: v for k, v in run.values.items() if k.startswith(prefix)}
    for name, matcher in (st.args.get("expect") or {}).items():
        if name not in values:
            raise StepFailed(f"{prefix}{name}: not among the results")
        check(ctx.subst(matcher), values[name], prefix + name)
    if "save" in st.args:
        ctx.vars[st.args["save"]] = values
