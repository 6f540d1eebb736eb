"""UDP Connection Requests through a NAT with STUN (TR-069 Annex G), on real time and sockets:
a virtual printer behind ``emulator.nat.UdpNat``, the stub ACS's STUN server, the printer's
embedded client (``cwmp_cpe.stun_agent``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from printbench.acs_stub.control import AcsControl
from printbench.acs_stub.server import AcsConfig
from printbench.acs_stub.udp_connreq import send_udp_connection_request
from printbench.cwmp import stun as S
from printbench.emulator.device import Ports, VirtualPrinter
from printbench.emulator.nat import UdpNat

from .conftest import assert_printer_valid, printer_id

MS = "Device.ManagementServer."
PUBLIC = "127.71.0.1"
INSIDE = "127.71.0.254"
STUN_PASSWORD = "stun-secret"


async def until(cond: Callable[[], Any], timeout: float = 10.0) -> bool:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        if loop.time() > end:
            return False
        await asyncio.sleep(0.02)
    return True


@pytest.fixture
async def acs() -> AsyncIterator[AcsControl]:
    ctl = await AcsControl.start(AcsConfig(host="127.0.0.1", port=0, control_port=0))
    # STUN with message integrity (TR-181 STUNUsername/STUNPassword): the server learns
    # which CPE a binding belongs to from USERNAME.
    await ctl.start_stun("127.0.0.1", 0, credentials=lambda user: STUN_PASSWORD)
    try:
        yield ctl
    finally:
        await ctl.stop()


async def behind_nat(acs: AcsControl, host: str, nat_timeout: float = 30.0, keepalive: int = 20,
                     quirks: tuple[str, ...] = (), stun: S.Address | None = None):  # fmt: skip
    nat = UdpNat(PUBLIC, INSIDE, [stun or acs.stun.address], timeout=nat_timeout)
    await nat.start()
    vp = VirtualPrinter("color-laser-mfp", host=host, acs_url=acs.server.cwmp_url, seed=sum(map(ord, host)),
                        ports=Ports.ephemeral())  # fmt: skip
    mg = vp.state.management
    mg.connection_request_username, mg.connection_request_password = "cr-user", "cr-secret"
    mg.quirks = quirks
    mg.stun_enable = True
    mg.stun_server_address, mg.stun_server_port = nat.inside_address()
    mg.stun_username = vp.state.identity.serial_number
    mg.stun_password = STUN_PASSWORD
    mg.stun_minimum_keepalive_period = 1
    mg.stun_maximum_keepalive_period = keepalive
    await vp.start(faces=("tr069",), drive=False)
    acs.set_connection_request(printer_id(vp.state), username="cr-user", password="cr-secret")
    return nat, vp


def value(vp: VirtualPrinter, name: str) -> str:
    return vp.tr069.tree.get_value(MS + name)


async def test_udp_cr_binding_nat_detected_session_and_ignored_bad_requests(acs) -> None:
    nat, vp = await behind_nat(acs, "127.71.1.1")
    dev = printer_id(vp.state)
    try:
        serial = vp.state.identity.serial_number
        assert await until(lambda: acs.stun.binding_for(serial) is not None)
        b = acs.stun.binding_for(serial)
        # the ACS's STUN server sees the NAT's public address, and the CPE says so
        assert b.address[0] == PUBLIC and b.address == nat.public_address_of(
            (vp.host, vp.tr069.udp.port)
        )
        assert await until(lambda: value(vp, "UDPConnectionRequestAddress") == b.authority)
        assert value(vp, "NATDetected") == "true"
        # the binding is in the ACS journal (reports show where UDP CRs go)
        assert any(e.get("direction") == "cpe->acs-stun" and e.get("path") == b.authority
                   for e in acs.journal())  # fmt: skip
        await until(lambda: vp.tr069.cpe.sessions >= 1)
        out = await send_udp_connection_request(acs, dev, timeout=15)
        assert out.session is not None and out.address == b.authority
        assert vp.tr069.udp.accepted == 1
        await until(lambda: acs.server.current_session(dev) is None)
        # a replay of the same datagram (same id) starts nothing
        replay = await send_udp_connection_request(acs, dev, datagram=out.datagram, copies=1,
                                                   timeout=3, expect_session=False)  # fmt: skip
        assert replay.session is None
        assert any("already seen" in why for why in vp.tr069.udp.ignored)
        # a wrong signature starts nothing
        bad = await send_udp_connection_request(acs, dev, sig="0" * 40, copies=1, timeout=3,
                                                expect_session=False)  # fmt: skip
        assert bad.session is None
        assert any("sig does not verify" in why for why in vp.tr069.udp.ignored)
        assert vp.tr069.udp.accepted == 1
        # the same through the HTTP control API
        import aiohttp

        await until(lambda: acs.server.current_session(dev) is None)
        url = f"{acs.server.control_url}/api/devices/{dev}/connection-request"
        async with (
            aiohttp.ClientSession() as http,
            http.post(url, json={"kind": "udp", "timeout": 15}) as resp,
        ):
            assert resp.status == 200, await resp.text()
            assert (await resp.json())["session"]
        assert vp.tr069.udp.accepted == 2
        # every envelope of these sessions validates and no stub ACS rule was broken
        assert_printer_valid(acs, allow=[("forced-inform", "AliasBasedAddressing")])
    finally:
        await vp.stop()
        await nat.stop()


async def test_udp_cr_defective_cpe_accepts_a_bad_signature(acs) -> None:
    """The quirk the nat-traversal scenario must catch: no un/sig check."""
    nat, vp = await behind_nat(acs, "127.71.1.2", quirks=("udp-cr-no-signature-check",))
    dev = printer_id(vp.state)
    try:
        assert await until(lambda: acs.stun.binding_for(vp.state.identity.serial_number))
        await until(lambda: vp.tr069.cpe.sessions >= 1)
        await until(lambda: acs.server.current_session(dev) is None)
        bad = await send_udp_connection_request(acs, dev, sig="0" * 40, copies=1, timeout=10)
        assert bad.session is not None
    finally:
        await vp.stop()
        await nat.stop()


async def test_nat_mapping_expiry_changes_the_binding_and_keepalives_prevent_it(acs) -> None:
    # keep-alive every 4 s, NAT forgets after 1.5 s: each keep-alive finds a new port
    nat, vp = await behind_nat(acs, "127.71.1.3", nat_timeout=1.5, keepalive=4)
    # keep-alive every 1 s against a 3 s NAT timeout: the binding holds
    nat2, vp2 = await behind_nat(acs, "127.71.1.4", nat_timeout=3.0, keepalive=1)
    serial = vp.state.identity.serial_number
    try:
        assert await until(lambda: acs.stun.binding_for(serial) is not None)
        first = acs.stun.binding_for(serial).address
        assert await until(lambda: acs.stun.binding_for(serial).binding_changes >= 1, 15)
        b = acs.stun.binding_for(serial)
        assert b.address != first and b.moves >= 1 and nat.stats.mappings_expired >= 1
        assert vp.tr069.udp.binding_changes >= 1
        assert await until(lambda: value(vp, "UDPConnectionRequestAddress") == b.authority)
        assert nat2.stats.mappings_expired == 0
        b2 = acs.stun.binding_for(vp2.state.identity.serial_number)
        assert b2 is not None and b2.moves == 0 and b2.requests >= 3
    finally:
        for p, n in ((vp, nat), (vp2, nat2)):
            await p.stop()
            await n.stop()


async def test_binding_change_reaches_the_acs_as_a_value_change(acs) -> None:
    """Annex G: the ACS learns a moved binding from UDPConnectionRequestAddress; with active
    notification set on it the CPE sends 4 VALUE CHANGE carrying the new address."""
    from printbench.cwmp import messages as m

    nat, vp = await behind_nat(acs, "127.71.1.5", nat_timeout=1.5, keepalive=4)
    dev = printer_id(vp.state)
    name = MS + "UDPConnectionRequestAddress"
    try:
        await until(lambda: vp.tr069.cpe.sessions >= 1)
        await until(lambda: acs.server.current_session(dev) is None)
        item = acs.enqueue(
            dev, m.SetParameterAttributes((m.SetParameterAttributesStruct(name, True, 2),))
        )
        await acs.connection_request(dev)
        await item.result(15)
        _device, inform = await acs.wait_inform(dev, events=["4 VALUE CHANGE"], params=[name],
                                                timeout=20)  # fmt: skip
        reported = {p.name: p.value for p in inform.parameter_list}[name]
        assert reported.startswith(PUBLIC + ":")
        assert acs.device(dev).params[name] == reported
    finally:
        await vp.stop()
        await nat.stop()


async def test_hostile_datagrams_change_nothing(acs) -> None:
    """Garbage at the CPE's UDP port and at the STUN server: ignored with a reason, no
    exception, the binding and the counters unchanged."""
    nat, vp = await behind_nat(acs, "127.71.1.6")
    udp = vp.tr069.udp
    try:
        assert await until(lambda: udp.nat_detected)
        address = udp.udp_address
        loop = asyncio.get_running_loop()
        tr, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol,
                                                    local_addr=("127.71.1.7", 0))  # fmt: skip
        junk = [
            b"",
            b"\x00\x01\x00\x08" + b"\x00" * 16 + b"\x00\x09\x00\x02ab",  # truncated
            b"\x01\x11\x00\x04" + b"\x00" * 16 + b"\x00\x09\x00\x00",  # empty ERROR-CODE
            b"GET http://x?ts=1&id=1 HTTP/1.1\r\n\r\n",
            b"GET " + b"A" * 5000,
            bytes(range(256)),
        ]
        for data in junk:
            tr.sendto(data, (vp.host, udp.port))
            tr.sendto(data, acs.stun.address)
        await asyncio.sleep(0.3)
        tr.close()
        assert udp.accepted == 0 and udp.udp_address == address and udp.nat_detected
        assert any("not a UDP Connection Request" in why for why in udp.ignored)
        assert acs.stun.binding_for(vp.state.identity.serial_number) is not None
    finally:
        await vp.stop()
        await nat.stop()
