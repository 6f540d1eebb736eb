"""Steps for XMPP Connection Requests (TR-069 Annex K), through the stub ACS's XMPP accounts
(``acs_stub.xmpp``) and the target's XMPP server (capability ``xmpp``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from printbench.conformance.steps.base import (
    StepFailed,
    StepSkipped,
    fs,
    inform_json,
    rpc_call,
    step,
    step_timeout,
    values_of,
)

if TYPE_CHECKING:
    from printbench.conformance.engine import Context
    from printbench.conformance.scenario import Step

JID_PARAM = "Device.ManagementServer.ConnReqJabberID"
REF_PARAM = "Device.ManagementServer.ConnReqXMPPConnection"
EXPECT = ("accept", "not-authorized", "service-unavailable")


async def learn_jabber_id(ctx: Context) -> str:
    """The device's ConnReqJabberID, read with GetParameterValues (TR-181 2.17: the JID the
    ACS sends XMPP connection requests to), remembered by the ACS's XMPP side."""
    acs = ctx.need_acs()
    xmpp = getattr(acs, "xmpp", None)
    if xmpp is None:
        raise StepSkipped("the stub ACS has no XMPP server")
    names = [JID_PARAM, REF_PARAM]
    response, fault = await rpc_call(ctx, "GetParameterValues", {"parameter_names": names})
    if fault is not None:
        raise StepFailed(f"GetParameterValues {names}: fault {fault.fault_code}")
    values = values_of(response)
    jid = values.get(JID_PARAM, "")
    if "@" not in jid:
        raise StepFailed(f"{JID_PARAM} is {jid!r}, not a Jabber ID (is the XMPP connection up?)")
    # The server answers service-unavailable itself for a JID that is not connected, which
    # looks like a CPE's refusal: only a connection that is up makes a refusal the CPE's.
    ref = values.get(REF_PARAM, "").rstrip(".")
    status_name = f"{ref}.Status"
    status, fault = await rpc_call(ctx, "GetParameterValues", {"parameter_names": [status_name]})
    status_value = values_of(status).get(status_name) if fault is None else None
    if status_value != "Enabled":
        raise StepFailed(f"{status_name} is {status_value!r}, not Enabled: the CPE is not "
                         "connected to the XMPP server")  # fmt: skip
    xmpp.jids[ctx.device.acs_id] = jid
    ctx.vars["xmpp_jid"] = jid
    return jid


@step(
    "xmpp_connection_request",
    value="none",
    keys=fs("credentials", "sender", "expect", "session", "save"),
    needs=fs("acs", "xmpp"),
)
async def xmpp_connection_request(ctx: Context, st: Step) -> None:
    """An XMPP connection request (TR-069 Annex K) to the device's ConnReqJabberID (learned
    first with GetParameterValues), from ACS account ``sender`` (``acs``, the allowed one, or
    ``other``), with ``credentials`` ``default`` or ``wrong``; ``expect`` is ``accept`` (an
    empty result IQ) or the refusal a conforming CPE sends (``not-authorized``,
    ``service-unavailable``: an error IQ; the condition itself is judged as the optional rule
    ``xmpp-cr-condition``). ``session: true`` also awaits the 6 CONNECTION REQUEST Inform."""
    from printbench.acs_stub import xmpp as AX

    expect = str(st.args.get("expect", "accept"))
    if expect not in EXPECT:
        raise StepFailed(f"expect must be one of {', '.join(EXPECT)}, not {expect!r}")
    await learn_jabber_id(ctx)
    acs = ctx.need_acs()
    # let the session of the GetParameterValues end: the request is then a fresh one
    await ctx.until(
        lambda: acs.server.current_session(ctx.device.acs_id) is None,
        step_timeout(ctx, st, 20.0),
    )
    tap = ctx.engine.tap
    if tap is not None:  # the Informs so far (the GetParameterValues session) are not ours
        ctx.inform_cursor = len(tap.records)
    password = None
    if st.args.get("credentials", "default") == "wrong":
        password = (ctx.device.cr_password or "") + "-wrong"
    try:
        out = await AX.connection_request(
            acs,
            ctx.device.acs_id,
            timeout=step_timeout(ctx, st, 20.0),
            sender=str(st.args.get("sender", "acs")),
            password=password,
            expect=expect,
        )
    except AX.XmppControlError as exc:
        raise StepFailed(str(exc)) from None
    ctx.vars["xmpp_answer"] = out.to_dict()
    if out.answer.kind == "timeout":
        raise StepFailed(
            f"no answer from {out.to} (RFC 6120 §8.2.3: an IQ get/set MUST be answered)"
        )
    if expect == "accept" and not out.answer.accepted:
        raise StepFailed(
            f"connection request refused: {out.answer.condition} ({out.answer.error_type})"
        )
    if expect != "accept" and out.answer.accepted:
        raise StepFailed(
            f"connection request from {out.sender} that should get {expect} was accepted"
            " (TR-069 §3.2.2, Annex K)"
        )
    if st.args.get("session"):
        rec = await ctx.next_inform(["6 CONNECTION REQUEST"], step_timeout(ctx, st, 20.0))
        if rec is None:
            raise StepFailed("no Inform with 6 CONNECTION REQUEST after the XMPP request")
        if "save" in st.args:
            data = inform_json(rec.inform)
            data["received_at"] = rec.at
            ctx.vars[st.args["save"]] = data
