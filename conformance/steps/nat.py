"""Steps for NAT traversal with STUN and UDP Connection Requests (TR-069 Annex G).

- ``behind_nat``: put the device behind an in-process NAT (``emulator.nat.UdpNat``, one
  public address) whose only route leads to the stub ACS's STUN server, and register a STUN
  password for the device (the server then asks for MESSAGE-INTEGRITY and knows the binding
  by USERNAME). Saves ``public_host``, ``inside_host``, ``inside_port``, ``stun_password``
  for the scenario's SetParameterValues of the ``STUN*`` parameters (what an ACS does to
  switch STUN on). Undone at the end of the scenario.
- ``stun_binding``: wait for a Binding Request with CONNECTION-REQUEST-BINDING from the device
  at the STUN server; saves ``address`` (host:port as the server saw it), ``host``, ``port``,
  ``requests``, ``binding_changes``, ``integrity``.
- ``udp_connection_request``: one UDP Connection Request (``acs_stub.udp_connreq``);
  ``expect_session`` (default true) says whether a session with 6 CONNECTION REQUEST must
  follow or must not; ``replay: VAR`` resends the datagram saved by an earlier step,
  ``signature: bad`` signs with a wrong key.

Only the embedded client runs STUN: the proxy's virtual devices are reached through the
proxy's own TCP Connection Request listener (the proxy and the ACS are not separated by a NAT
in any deployment it models), so these steps report not-applicable for them.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import TYPE_CHECKING, Any

from printbench.conformance.steps.base import StepFailed, StepSkipped, check, fs, step, step_timeout

if TYPE_CHECKING:
    from printbench.conformance.engine import Context
    from printbench.conformance.scenario import Step

PUBLIC_HOST = "127.77.0.1"  # the NAT's one public address
INSIDE_HOST = "127.77.0.254"  # its inside address towards the STUN server
_STUN_START = asyncio.Lock()
WHY_NOT_PROXY = (
    "STUN/UDP Connection Requests are run by the embedded client only; the proxy's virtual "
    "devices are reached through the proxy's TCP Connection Request listener"
)


def _client(ctx: Context) -> Any:
    dev = ctx.device
    udp = getattr(dev.client, "udp", None)
    if dev.via == "proxy":
        raise StepSkipped(WHY_NOT_PROXY)
    if udp is None:
        raise StepSkipped(
            "the device is not an in-process embedded client: the bench cannot put it behind "
            "its NAT (point its STUNServerAddress at the stub ACS's STUN server instead)"
        )
    return dev.client


@step(
    "behind_nat", value="none", keys=fs("save", "nat_timeout", "filtering"),
    needs=fs("acs", "emulator"),
)  # fmt: skip
async def behind_nat(ctx: Context, st: Step) -> None:
    """Put the device behind a NAT that leads to the stub ACS's STUN server."""
    from printbench.emulator.nat import UdpNat

    client = _client(ctx)
    acs = ctx.need_acs()
    async with _STUN_START:  # devices run scenarios at once: one STUN server for all
        if acs.stun is None:
            await acs.start_stun("127.0.0.1", 0)
    stun = acs.stun
    nat = UdpNat(
        PUBLIC_HOST,
        INSIDE_HOST,
        [stun.address],
        timeout=float(st.args.get("nat_timeout", 60.0)),
        filtering=str(st.args.get("filtering", "address")),
    )
    await nat.start()
    serial = ctx.device.serial
    password = secrets.token_hex(8)
    stun.passwords[serial] = password
    stun.bindings.pop(serial, None)  # a binding of an earlier scenario's NAT is gone with it
    state = client.state

    async def undo() -> None:
        defaults = {
            "stun_enable": False,
            "stun_server_address": "",
            "stun_server_port": 3478,
            "stun_username": "",
            "stun_password": "",
            "stun_minimum_keepalive_period": 0,
            "stun_maximum_keepalive_period": -1,
        }
        for name, value in defaults.items():
            if getattr(state.management, name) != value:
                state.set("management." + name, value)
        stun.passwords.pop(serial, None)
        stun.bindings.pop(serial, None)
        await nat.stop()

    ctx.cleanups.append(undo)
    host, port = nat.inside_address()
    ctx.vars[st.args.get("save", "nat")] = {
        "public_host": PUBLIC_HOST,
        "inside_host": host,
        "inside_port": port,
        "stun_password": password,
    }


@step("stun_binding", value="none", keys=fs("save", "expect"), needs=fs("acs"))
async def stun_binding(ctx: Context, st: Step) -> None:
    """Wait for the device's Binding Request with CONNECTION-REQUEST-BINDING (Annex G)."""
    _client(ctx)
    acs = ctx.need_acs()
    if acs.stun is None:
        raise StepFailed("the stub ACS runs no STUN server (use behind_nat first)")
    serial = ctx.device.serial
    ok = await ctx.until(
        lambda: acs.stun.binding_for(serial) is not None, step_timeout(ctx, st, 15.0)
    )
    if not ok:
        raise StepFailed(
            "no Binding Request with CONNECTION-REQUEST-BINDING (and USERNAME "
            f"{serial!r}) reached the STUN server (TR-069 Annex G)"
        )
    b = acs.stun.binding_for(serial)
    data = {
        "address": b.authority,
        "host": b.address[0],
        "port": b.address[1],
        "requests": b.requests,
        "binding_changes": b.binding_changes,
        "integrity": b.integrity,
        "intervals": [round(x, 2) for x in b.intervals],
        "max_interval": round(max(b.intervals), 2) if b.intervals else None,
        "min_interval": round(min(b.intervals), 2) if b.intervals else None,
    }
    ctx.vars[st.args.get("save", "binding")] = data
    if "expect" in st.args:
        check(ctx.subst(st.args["expect"]), data, "STUN binding")


@step(
    "udp_connection_request",
    value="none",
    keys=fs("save", "replay", "signature", "expect_session", "copies"),
    needs=fs("acs"),
)
async def udp_connection_request(ctx: Context, st: Step) -> None:
    """A UDP Connection Request (Annex G) and the session that must (or must not) follow."""
    from printbench.acs_stub.udp_connreq import (
        UdpConnectionRequestError,
        send_udp_connection_request,
    )

    _client(ctx)
    acs = ctx.need_acs()
    expect = bool(st.args.get("expect_session", True))
    datagram: bytes | None = None
    what = "valid"
    if "replay" in st.args:
        saved = ctx.vars.get(str(st.args["replay"]))
        if not isinstance(saved, dict) or "datagram" not in saved:
            raise StepFailed(f"replay: no saved UDP Connection Request {st.args['replay']!r}")
        datagram, what = saved["datagram"].encode(), "replayed"
    sig = None
    if st.args.get("signature") == "bad":
        sig, what = "0" * 40, "wrongly signed"
    timeout = step_timeout(ctx, st, 20.0 if expect else 5.0)
    try:
        out = await send_udp_connection_request(
            acs,
            ctx.device.acs_id,
            timeout=timeout,
            copies=int(st.args.get("copies", 3 if expect else 1)),
            datagram=datagram,
            sig=sig,
            expect_session=expect,
        )
    except UdpConnectionRequestError as exc:
        raise StepFailed(str(exc)) from None
    ctx.vars[st.args.get("save", "udp_cr")] = {
        "address": out.address,
        "session": out.session,
        "copies": out.copies,
        "datagram": out.datagram.decode("ascii", "replace"),
    }
    if expect and out.session is None:
        raise StepFailed(
            f"UDP Connection Request to {out.address} ({out.copies} copies): no session with "
            f"6 CONNECTION REQUEST within {timeout:g} s (TR-069 Annex G; §3.2.2)"
        )
    if not expect and out.session is not None:
        raise StepFailed(
            f"a {what} UDP Connection Request to {out.address} started session {out.session}; "
            "the CPE must ignore it (Annex G signs the request with HMAC-SHA1 over ts, id, un, "
            "cn; the replay/authentication rule's text was not found: bench policy, "
            "cwmp/udp_cr.py)"
        )
