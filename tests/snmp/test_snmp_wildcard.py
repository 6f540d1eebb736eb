"""One wildcard UDP socket (IP_PKTINFO) serving several printers: net-snmp's real tools ask
each printer at its own 127.x address and get that printer's answer *from* that address
(in v1/v2c and v3; net-snmp itself accepts a reply from any source, so each test also asks
from a plain socket and checks the reply's source address), traps leave from the printer's address, and a datagram for an address
no printer owns is dropped without a reply and without an exception."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator

import pytest

from printbench.emulator.snmp.agent import SnmpAgent, SnmpAgentError
from printbench.snmp import ber
from tests.snmp.snmp_support import V3, Device, make_device, next_host, run

pytestmark = pytest.mark.interop

SERIAL = "1.3.6.1.2.1.43.5.1.1.17.1"  # prtGeneralSerialNumber.1
SYS_NAME = "1.3.6.1.2.1.1.5.0"


class Wild:
    """An agent with one wildcard socket and printers on distinct loopback addresses."""

    def __init__(self, agent: SnmpAgent, port: int, printers: dict[str, Device]) -> None:
        self.agent = agent
        self.port = port
        self.printers = printers


@pytest.fixture
async def wild() -> AsyncIterator[Wild]:
    agent = SnmpAgent()
    _host, port = agent.serve_wildcard(host="0.0.0.0", port=0)
    printers: dict[str, Device] = {}
    for seed in (11, 12, 13):
        device = make_device(seed)
        host = next_host()
        assert await agent.add_device(device, host, port) == (host, port)
        printers[host] = device
    yield Wild(agent, port, printers)
    await agent.close()


def _get_request(community: bytes, oid: str, request_id: int = 4242) -> bytes:
    varbind = ber.encode_varbind(tuple(int(x) for x in oid.split(".")), (ber.NULL, None))
    return ber.encode_message(1, community, ber.GET, request_id, 0, 0, varbind)


def _tlv(tag: int, body: bytes) -> bytes:
    n = len(body)
    head = bytes([n]) if n < 0x80 else bytes([0x82, n >> 8, n & 0xFF])
    return bytes([tag]) + head + body


def _int(v: int) -> bytes:
    return _tlv(ber.INTEGER, v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big"))


def _v3_discovery(msg_id: int = 77) -> bytes:
    """An SNMPv3 engine-ID discovery GET (RFC 3414 §4: noAuthNoPriv, reportable, empty
    engine ID): the agent answers with a Report, sent by pysnmp through our socket."""
    usm = _tlv(ber.SEQUENCE, _tlv(4, b"") + _int(0) + _int(0) + _tlv(4, b"") * 3)
    header = _tlv(ber.SEQUENCE, _int(msg_id) + _int(65507) + _tlv(4, b"\x04") + _int(3))
    pdu = _tlv(ber.GET, _int(msg_id) + _int(0) + _int(0) + _tlv(ber.SEQUENCE, b""))
    scoped = _tlv(ber.SEQUENCE, _tlv(4, b"") + _tlv(4, b"") + pdu)
    return _tlv(ber.SEQUENCE, _int(3) + header + _tlv(4, usm) + scoped)


async def _ask(host: str, port: int, payload: bytes, timeout: float) -> tuple[bytes, str] | None:
    """Send one datagram from a plain socket; (reply, its source address) or None."""
    loop = asyncio.get_running_loop()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setblocking(False)
        s.bind(("127.0.0.1", 0))
        await loop.sock_sendto(s, payload, (host, port))
        try:
            data, src = await asyncio.wait_for(loop.sock_recvfrom(s, 65535), timeout)
        except TimeoutError:
            return None
        return data, src[0]


async def test_each_printer_answers_v2c_from_its_own_address(wild: Wild) -> None:
    assert len(wild.agent.addresses) == 3 and len(wild.agent.wildcard_addresses) == 1
    for host, device in wild.printers.items():
        rc, out, err = await run("snmpget", "-v2c", "-c", "public", "-Oqv", "-t", "2", "-r", "1",
                                 f"{host}:{wild.port}", SERIAL)  # fmt: skip
        assert rc == 0, err
        assert out.strip().strip('"') == device.state.identity.serial_number
        # The same through a plain socket: the reply's source is the address that was asked.
        got = await _ask(host, wild.port, _get_request(b"public", SERIAL), timeout=5)
        assert got is not None
        reply, source = got
        assert source == host
        assert device.state.identity.serial_number.encode() in reply
    assert len({d.state.identity.serial_number for d in wild.printers.values()}) == 3


async def test_walk_of_one_printer_through_the_wildcard_socket(wild: Wild) -> None:
    host = next(iter(wild.printers))
    view = wild.agent.mib_at(host, wild.port)
    rc, out, err = await run("snmpbulkwalk", "-v2c", "-c", "public", "-On", "-Cr25",
                             f"{host}:{wild.port}", ".1")  # fmt: skip
    assert rc == 0, err
    walked = [line.split(" = ", 1)[0].lstrip(".") for line in out.splitlines() if " = " in line]
    expected = [".".join(map(str, oid)) for oid, _v in view.walk()]
    assert walked[: len(expected)] == expected


async def test_each_printer_answers_v3_from_its_own_address(wild: Wild) -> None:
    for host, device in wild.printers.items():
        rc, out, err = await run("snmpget", *V3, "-Oqv", "-t", "3", "-r", "1",
                                 f"{host}:{wild.port}", SYS_NAME, SERIAL)  # fmt: skip
        assert rc == 0, err
        name, serial = (v.strip().strip('"') for v in out.splitlines())
        assert name == device.state.description.name
        assert serial == device.state.identity.serial_number
        # net-snmp accepts a reply from any source: check the source of pysnmp's reply here.
        got = await _ask(host, wild.port, _v3_discovery(), timeout=5)
        assert got is not None
        reply, source = got
        assert source == host
        assert bytes([ber.REPORT]) in reply
    # A v3 SET reaches the printer that was asked, and only that one.
    first, second = list(wild.printers)[:2]
    rc, _out, err = await run("snmpset", *V3, f"{first}:{wild.port}",
                              "1.3.6.1.2.1.1.6.0", "s", "room 12")  # fmt: skip
    assert rc == 0, err
    assert wild.printers[first].state.description.location == "room 12"
    assert wild.printers[second].state.description.location != "room 12"


async def test_datagram_for_an_unowned_address_is_dropped(
    wild: Wild, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="printbench.emulator.snmp")
    owned = set(wild.printers)
    stranger = next_host()
    assert stranger not in owned
    c = wild.agent.counters
    before = c.received
    assert await _ask(stranger, wild.port, _get_request(b"public", SERIAL), timeout=1) is None
    assert c.unknown_address == 1 and c.received == before and c.internal_errors == 0
    # A removed printer's address is unowned from then on.
    gone = next(iter(wild.printers))
    await wild.agent.remove_device(gone, wild.port)
    assert await _ask(gone, wild.port, _get_request(b"public", SERIAL), timeout=1) is None
    assert c.unknown_address == 2
    # The others still answer, and nothing was logged as an error.
    for host in list(wild.printers)[1:]:
        assert await _ask(host, wild.port, _get_request(b"public", SERIAL), timeout=5)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_alert_trap_leaves_from_the_printers_address(wild: Wild) -> None:
    loop = asyncio.get_running_loop()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink:
        sink.setblocking(False)
        sink.bind(("127.0.0.1", 0))
        host, device = list(wild.printers.items())[1]
        device.state.snmp.trap_destinations = (f"127.0.0.1:{sink.getsockname()[1]}",)
        device.engine.inject("cover_open")  # the engine adds a coverOpen alert row
        data, src = await asyncio.wait_for(loop.sock_recvfrom(sink, 65535), 5)
    assert src[0] == host
    assert ber.decode_message(data).pdu_type == ber.TRAP_V2


async def test_wildcard_bound_to_one_address_refuses_other_addresses() -> None:
    agent = SnmpAgent()
    try:
        here = next_host()
        _h, port = agent.serve_wildcard(host=here, port=0)
        await agent.add_device(make_device(), here, port)
        with pytest.raises(SnmpAgentError, match="does not receive that address"):
            await agent.add_device(make_device(2), next_host(), port)
        with pytest.raises(SnmpAgentError, match="already serves a device"):
            await agent.add_device(make_device(3), here, port)
    finally:
        await agent.close()
