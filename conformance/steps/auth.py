"""Steps for CPE→ACS HTTP authentication (OD-128 Test 1: the ACS authenticates the CPE).

- ``acs_auth: {mode, username, password}``: the stub ACS demands ``basic`` or ``digest``
  (``none``: nothing) from this device from its next session on; restored when the
  scenario ends. The CPE must hold the same credentials (``Device.ManagementServer.Username``
  and ``Password``, set by the scenario first).
- ``auth_seen: Basic|Digest``: an Inform of this scenario carried ``Authorization: <scheme>``
  and the ACS accepted it (the next answer on it was not 401).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from printbench.conformance.steps.base import StepFailed, fs, step, step_timeout

if TYPE_CHECKING:
    from printbench.conformance.engine import Context
    from printbench.conformance.scenario import Step

MODES = ("none", "basic", "digest")


@step("acs_auth", value="none", keys=fs("mode", "username", "password"), needs=fs("acs"))
async def acs_auth(ctx: Context, st: Step) -> None:
    """Make the stub ACS authenticate this device (``mode`` basic, digest or none)."""
    mode = str(ctx.subst(st.args.get("mode", "digest")))
    if mode not in MODES:
        raise StepFailed(f"mode takes one of {', '.join(MODES)}")
    acs = ctx.need_acs()
    device_id = ctx.device.acs_id
    acs.set_device_auth(
        device_id,
        None if mode == "none" else mode,
        str(ctx.subst(st.args.get("username", ""))),
        str(ctx.subst(st.args.get("password", ""))),
    )
    ctx.cleanups.append(lambda: acs.set_device_auth(device_id, None))


@step("auth_seen", value="str", needs=fs("acs"))
async def auth_seen(ctx: Context, st: Step) -> None:
    """An Inform since the scenario started carried ``Authorization: <scheme>`` and was
    accepted (answered 200, not 401)."""
    scheme = str(ctx.subst(st.args["_"])).lower()

    def accepted() -> bool:
        entries = ctx.journal(ctx.start_ref)
        for i, e in enumerate(entries):
            headers = {k.lower(): v for k, v in (e.get("headers") or {}).items()}
            auth = headers.get("authorization", "")
            if e.get("method") != "Inform" or not auth.lower().startswith(scheme):
                continue
            answer = next((a for a in entries[i + 1 :] if a.get("direction") == "acs->cpe"), None)
            if answer is not None and answer.get("http_status") == 200:
                return True
        return False

    if await ctx.until(accepted, step_timeout(ctx, st, 15.0)):
        return
    answers = [
        e.get("http_status") for e in ctx.journal(ctx.start_ref) if e.get("direction") == "acs->cpe"
    ]
    raise StepFailed(
        f"no Inform with Authorization: {st.args['_']} accepted by the ACS "
        f"(ACS answers seen: {answers[:12]})"
    )
