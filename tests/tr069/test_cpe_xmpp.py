"""XMPP Connection Requests (TR-069 Annex K) end to end: a virtual printer's embedded client
and the stub ACS, both XMPP clients of a real Prosody server started by the test (Debian
package ``prosody``; its own config, port and data in a temporary folder)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import pytest

from printbench.acs_stub.control import AcsControl, ConnectionRequestError
from printbench.acs_stub.server import AcsConfig
from printbench.acs_stub.xmpp import AcsXmpp
from printbench.acs_stub.xmpp import connection_request as xmpp_cr
from printbench.common.prosody import ProsodyServer, unavailable_reason
from printbench.cwmp import messages as m

from .conftest import printer_id

pytestmark = pytest.mark.skipif(unavailable_reason() is not None, reason=str(unavailable_reason()))

MS = "Device.ManagementServer."
XC = "Device.XMPP.Connection.1."


@pytest.fixture
async def prosody() -> AsyncIterator[ProsodyServer]:
    server = ProsodyServer(host="127.0.0.1")
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def acs(prosody: ProsodyServer) -> AsyncIterator[AcsControl]:
    ctl = await AcsControl.start(AcsConfig(host="127.0.0.1", port=0, control_port=0))
    xmpp = AcsXmpp(prosody.host, prosody.port, ca_file=prosody.ca_file)
    for name in ("acs", "other"):
        pw = secrets.token_hex(8)
        xmpp.add_account(name, await prosody.register(name, pw), pw)
    await xmpp.start()
    ctl.xmpp = xmpp  # type: ignore[attr-defined]
    try:
        yield ctl
    finally:
        await xmpp.stop()
        await ctl.stop()


async def start_printer(acs: AcsControl, prosody: ProsodyServer, host: str, quirks=()):
    """A virtual printer (real time) whose XMPP connection points at ``prosody``."""
    from printbench.emulator.device import Ports, VirtualPrinter

    vp = VirtualPrinter("color-laser-mfp", host=host, acs_url=acs.server.cwmp_url,
                        ports=Ports.ephemeral())  # fmt: skip
    mg = vp.state.management
    mg.connection_request_username = "cr-user"
    mg.connection_request_password = "cr-secret"
    mg.periodic_inform_enable = False
    mg.quirks = tuple(quirks)
    pw = secrets.token_hex(8)
    user = "printer-" + vp.state.identity.serial_number.lower()
    await prosody.register(user, pw)
    x = vp.state.xmpp
    x.username, x.password, x.domain = user, pw, prosody.domain
    x.server_address, x.server_port = prosody.host, prosody.port
    x.ca_file = str(prosody.ca_file)
    x.retry_initial_interval = 1  # reconnect within a second in tests (TR-181 allows 1..)
    x.allowed_jabber_ids = acs.xmpp.jid("acs").split("/")[0]  # type: ignore[attr-defined]
    x.enable = True
    await vp.start(faces=("tr069",), drive=False)
    acs.set_connection_request(printer_id(vp.state), username="cr-user", password="cr-secret")
    assert await vp.tr069.xmpp.wait_up(15), vp.tr069.xmpp.last_error
    await vp.tr069.cpe.idle()
    return vp


async def gpv(acs: AcsControl, dev: str, names: tuple[str, ...]) -> dict[str, str]:
    rpc = acs.enqueue(dev, m.GetParameterValues(names))
    await acs.connection_request(dev)
    resp = await asyncio.wait_for(rpc.result(), 15)
    return {p.name: p.value for p in resp.parameter_list}


async def test_xmpp_connection_request_starts_a_session(acs, prosody) -> None:
    vp = await start_printer(acs, prosody, "127.71.0.1")
    dev = printer_id(vp.state)
    try:
        values = await gpv(acs, dev, (MS, XC))
        jid = values[MS + "ConnReqJabberID"]
        assert jid == vp.tr069.xmpp.jabber_id and jid.startswith("printer-")
        assert values[XC + "JabberID"] == jid
        assert values[XC + "Status"] == "Enabled"
        assert values[MS + "ConnReqXMPPConnection"] == "Device.XMPP.Connection.1"
        assert "XMPP" in values[MS + "SupportedConnReqMethods"].split(",")
        assert values[XC + "Password"] == ""  # TR-181: reads as an empty string
        assert values[XC + "TLSEstablished"] == "true"  # the server requires STARTTLS
        acs.xmpp.jids[dev] = jid
        await vp.tr069.cpe.idle()
        before = len(vp.tr069.cpe.informs)
        out = await xmpp_cr(acs, dev, timeout=15)
        assert out.answer.kind == "result", out.to_dict()
        assert out.session is not None
        assert any(
            e.event_code == "6 CONNECTION REQUEST" for e in vp.tr069.cpe.informs[before].event
        )
        assert vp.tr069.xmpp.stats.received >= 1 and vp.tr069.xmpp.stats.transmitted >= 1
        assert not acs.verdicts(device=dev), [v.to_dict() for v in acs.verdicts(device=dev)]
    finally:
        await vp.stop()


async def test_xmpp_wrong_password_and_sender_refused(acs, prosody) -> None:
    vp = await start_printer(acs, prosody, "127.71.0.2")
    dev = printer_id(vp.state)
    try:
        acs.xmpp.jids[dev] = vp.tr069.xmpp.jabber_id
        sessions = vp.tr069.cpe.sessions
        bad = await xmpp_cr(acs, dev, password="nope", expect="not-authorized", timeout=5)
        assert (bad.answer.kind, bad.answer.condition) == ("error", "not-authorized")
        other = await xmpp_cr(acs, dev, sender="other", expect="service-unavailable", timeout=5)
        assert (other.answer.kind, other.answer.condition) == ("error", "service-unavailable")
        await asyncio.sleep(0.5)
        assert vp.tr069.cpe.sessions == sessions  # no session from either
        assert vp.tr069.xmpp.stats.transmitted_errors == 2
        with pytest.raises(ConnectionRequestError):
            await acs.connection_request(dev, kind="xmpp", password="nope", timeout=5)
        assert not acs.verdicts(device=dev)
    finally:
        await vp.stop()


async def test_xmpp_defective_cpe_is_judged(acs, prosody) -> None:
    """Quirk ``xmpp-cr-no-auth``: the CPE takes any credentials; the ACS flags it."""
    vp = await start_printer(acs, prosody, "127.71.0.3", quirks=("xmpp-cr-no-auth",))
    dev = printer_id(vp.state)
    try:
        acs.xmpp.jids[dev] = vp.tr069.xmpp.jabber_id
        out = await xmpp_cr(acs, dev, password="nope", expect="not-authorized", timeout=10)
        assert out.answer.kind == "result"
        assert "xmpp-cr-refused" in {v.rule for v in acs.verdicts(device=dev)}
    finally:
        await vp.stop()


async def test_xmpp_reconnects_after_server_restart(acs, prosody) -> None:
    vp = await start_printer(acs, prosody, "127.71.0.4")
    dev = printer_id(vp.state)
    conn = vp.tr069.xmpp
    try:
        jid = conn.jabber_id
        await acs.xmpp.stop()
        await prosody.stop(keep=True)
        assert await conn.wait_status(lambda s: s != "Enabled", 10)  # it notices
        assert conn.jabber_id == jid  # TR-181 ConnReqJabberID: unchanged while lost
        await prosody.start()
        await acs.xmpp.start()
        assert await conn.wait_up(20), conn.last_error
        assert conn.connections == 2
        # no GetParameterValues: the ACS uses the ConnReqJabberID the CPE informed (an active
        # notification, TR-181 forceDefaultEnabled: 4 VALUE CHANGE when the JID was bound)
        assert acs.device(dev).params[MS + "ConnReqJabberID"] == conn.jabber_id
        out = await xmpp_cr(acs, dev, timeout=15)
        assert out.answer.kind == "result" and out.session is not None
    finally:
        await vp.stop()


async def spv(acs: AcsControl, dev: str, name: str, value: str, typ: str = "xsd:string") -> None:
    rpc = acs.enqueue(dev, m.SetParameterValues((m.ParameterValueStruct(name, value, typ),), "k"))
    await acs.connection_request(dev)
    await asyncio.wait_for(rpc.result(), 15)


async def test_the_acs_configures_xmpp_through_the_data_model(acs, prosody) -> None:
    vp = await start_printer(acs, prosody, "127.71.0.5")
    dev = printer_id(vp.state)
    conn = vp.tr069.xmpp
    try:
        other = acs.xmpp.jid("other")  # a Full JID entry: only that resource is allowed
        await spv(acs, dev, MS + "ConnReqAllowedJabberIDs", other)
        assert vp.state.xmpp.allowed_jabber_ids == other
        await vp.tr069.cpe.idle()
        acs.xmpp.jids[dev] = conn.jabber_id
        refused = await xmpp_cr(acs, dev, expect="service-unavailable", timeout=5)
        assert refused.answer.condition == "service-unavailable"
        accepted = await xmpp_cr(acs, dev, sender="other", timeout=15)
        assert accepted.answer.kind == "result" and accepted.session is not None, (
            accepted.to_dict(),
            other,
            vp.tr069.cpe.tree.get_value(MS + "ConnReqAllowedJabberIDs"),
        )
        await vp.tr069.cpe.idle()
        await spv(acs, dev, XC + "Enable", "false", "xsd:boolean")
        assert await conn.wait_status(lambda s: s == "Disabled", 10)
        values = await gpv(acs, dev, (MS + "ConnReqJabberID", XC + "Status"))
        assert values == {MS + "ConnReqJabberID": "", XC + "Status": "Disabled"}
    finally:
        await vp.stop()


@pytest.mark.parametrize("iq_type", ["get", "set"])
async def test_the_cpe_answers_either_iq_type(acs, prosody, iq_type) -> None:
    """GenieACS, django-acs, mosesacs and a production AVSystem ACS send the connectionRequest
    in an IQ ``get``; RFC 6120 would suggest ``set``: the CPE answers both."""
    host = "127.71.0.6" if iq_type == "get" else "127.71.0.7"
    vp = await start_printer(acs, prosody, host)
    try:
        answer = await acs.xmpp.send(vp.tr069.xmpp.jabber_id, "cr-user", "cr-secret",
                                     iq_type=iq_type, timeout=5)  # fmt: skip
        assert answer.kind == "result", answer
    finally:
        await vp.stop()
