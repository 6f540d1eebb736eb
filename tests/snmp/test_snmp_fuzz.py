"""Malformed SNMP over UDP: random bytes, truncated BER, mutated valid requests (versions,
lengths, tags, communities), SNMPv3 garbage. 0 crashes: after every bad datagram a valid
GET is answered; the state is unchanged; each bad datagram is either dropped or answered
with a well-formed SNMP response (both counted)."""

from __future__ import annotations

import asyncio
import random
import socket

import pytest

from printbench.snmp import ber
from tests.snmp.snmp_support import Served

SYS_NAME = (1, 3, 6, 1, 2, 1, 1, 5, 0)


def request(
    version: int, community: bytes, pdu: int, rid: int, vbs: list, a: int = 0, b: int = 0
) -> bytes:
    body = b"".join(ber.encode_varbind(o, v) for o, v in vbs)
    return ber.encode_message(version, community, pdu, rid, a, b, body)


def v3_message(rng: random.Random) -> bytes:
    """A plausible SNMPv3 message (discovery-like header), sometimes with a random tail."""
    header = ber.tlv(
        ber.SEQUENCE,
        ber.tlv(ber.INTEGER, rng.randbytes(2))
        + ber.tlv(ber.INTEGER, b"\x05\xdc")
        + ber.tlv(ber.OCTET_STRING, bytes([rng.choice([0, 3, 4, 7, 0xFF])]))
        + ber.tlv(ber.INTEGER, b"\x03"),
    )
    usm = ber.tlv(ber.OCTET_STRING, rng.randbytes(rng.randrange(0, 60)))
    scoped = ber.tlv(
        ber.SEQUENCE,
        ber.tlv(ber.OCTET_STRING, b"")
        + ber.tlv(ber.OCTET_STRING, b"")
        + request(1, b"", ber.GET, 1, [(SYS_NAME, (ber.NULL, None))])[-20:],
    )
    msg = ber.tlv(ber.SEQUENCE, ber.tlv(ber.INTEGER, b"\x03") + header + usm + scoped)
    if rng.random() < 0.5:
        msg = bytearray(msg)
        for _ in range(rng.randrange(1, 6)):
            msg[rng.randrange(len(msg))] = rng.randrange(256)
        msg = bytes(msg)
    return msg


def corpus(rng: random.Random) -> list[tuple[str, bytes]]:
    get = request(1, b"public", ber.GET, 7, [(SYS_NAME, (ber.NULL, None))])
    nxt = request(0, b"public", ber.GETNEXT, 8, [((1, 3, 6, 1, 2, 1, 43), (ber.NULL, None))])
    bulk = request(1, b"public", ber.GETBULK, 9, [((1, 3, 6, 1), (ber.NULL, None))], 0, 30)
    ro_set = request(
        1, b"public", ber.SET, 10, [((1, 3, 6, 1, 2, 1, 1, 6, 0), (ber.OCTET_STRING, b"x"))]
    )
    bad_set = request(1, b"private", ber.SET, 11, [((1, 3, 6, 1, 2, 1, 1, 6, 0), (ber.INTEGER, 3))])
    valid = [get, nxt, bulk, ro_set]
    out: list[tuple[str, bytes]] = []
    for _ in range(250):
        out.append(("random", rng.randbytes(rng.randrange(0, 200))))
    for msg in [*valid, bad_set]:
        for cut in range(1, len(msg)):
            out.append(("truncated", msg[:cut]))
    for _ in range(400):
        msg = bytearray(rng.choice(valid))
        for _ in range(rng.randrange(1, 4)):
            msg[rng.randrange(len(msg))] = rng.randrange(256)
        out.append(("mutated", bytes(msg)))
    for version in (-1, 2, 4, 255, 2**31 - 1):
        out.append(
            ("version", request(version, b"public", ber.GET, 1, [(SYS_NAME, (ber.NULL, None))]))
        )
    for community in (b"", b"publi", b"PUBLIC", b"public\x00", b"x" * 300):
        out.append(("community", request(1, community, ber.GET, 1, [(SYS_NAME, (ber.NULL, None))])))
    for pdu in (ber.RESPONSE, ber.TRAP_V1, ber.TRAP_V2, ber.INFORM, ber.REPORT, 0xA9, 0x30, 0x04):
        out.append(("pdu-type", request(1, b"public", pdu, 1, [(SYS_NAME, (ber.NULL, None))])))
    out.append(
        ("v1-getbulk", request(0, b"public", ber.GETBULK, 1, [(SYS_NAME, (ber.NULL, None))], 0, 5))
    )
    out.append(
        ("v1-counter64", request(0, b"private", ber.SET, 1, [(SYS_NAME, (ber.COUNTER64, 5))]))
    )
    huge = [
        b"\x30\x84\xff\xff\xff\xff\x02\x01\x01",
        b"\x30\x89" + b"\xff" * 9,
        b"\x30\x80\x02\x01\x01\x00\x00",
        get[:1] + b"\x84\x00\x00\x00" + get[1:],
        b"\x30\x82\xff\xff" + get[2:],
    ]
    out.extend(("huge-length", h) for h in huge)
    tags = [
        b"\x1f\x81\x01\x00",
        b"\x24\x03\x04\x01a",
        get.replace(b"\x06", b"\x26", 1),
        get.replace(b"\x05\x00", b"\x05\x01\x00"),
    ]
    out.extend(("bad-tag", t) for t in tags)
    big_oid = request(
        1, b"public", ber.GET, 1, [(tuple([1, 3] + [2**32 - 1] * 200), (ber.NULL, None))]
    )
    out.append(("long-oid", big_oid))
    out.append(
        ("many-varbinds", request(1, b"public", ber.GET, 1, [(SYS_NAME, (ber.NULL, None))] * 400))
    )
    out.append(
        (
            "bulk-huge-reps",
            request(1, b"public", ber.GETBULK, 1, [((1, 3), (ber.NULL, None))] * 3, -5, 2**31 - 1),
        )
    )
    out.append(
        (
            "negative-nonrep",
            request(1, b"public", ber.GETBULK, 1, [((1, 3), (ber.NULL, None))], 2**31 - 1, -1),
        )
    )
    for _ in range(150):
        out.append(("v3-garbage", v3_message(rng)))
    return out


def fuzz(target: tuple[str, int], packets: list[tuple[str, bytes]]) -> dict[str, int]:
    """Send each bad datagram followed by a valid GET; returns counts. Runs in a thread."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(2.0)
    counts = {"sent": 0, "dropped": 0, "answered": 0, "valid_ok": 0}
    try:
        for n, (_kind, data) in enumerate(packets):
            rid = 1_000_000 + n
            sock.sendto(data, target)
            sock.sendto(request(1, b"public", ber.GET, rid, [(SYS_NAME, (ber.NULL, None))]), target)
            counts["sent"] += 1
            replies = 0
            while True:
                reply = sock.recv(65535)  # socket.timeout here = the agent went silent: a crash
                if ber.peek_version(reply) == 3:
                    replies += 1  # a v3 report/response (pysnmp)
                    continue
                msg = ber.decode_message(reply)  # every answer is a well-formed SNMP message
                assert msg.pdu_type == ber.RESPONSE
                if msg.request_id == rid:
                    assert msg.error_status == 0 and msg.varbinds[0][1][0] == ber.OCTET_STRING
                    counts["valid_ok"] += 1
                    break
                replies += 1
            counts["answered" if replies else "dropped"] += 1
    finally:
        sock.close()
    return counts


@pytest.mark.slow
async def test_malformed_packets_never_crash_the_agent(served: Served) -> None:
    rng = random.Random(3805)
    packets = corpus(rng)
    assert len(packets) >= 1000
    before = list(served.device.state.walk())
    counts = await asyncio.to_thread(fuzz, (served.host, served.port), packets)
    print(f"\nmalformed SNMP datagrams: {counts}; agent counters: {served.agent.counters}")
    assert counts["sent"] == counts["valid_ok"] == len(packets)
    assert counts["dropped"] + counts["answered"] == len(packets)
    assert counts["dropped"] > 0 and counts["answered"] > 0
    assert served.agent.counters.internal_errors == 0
    assert list(served.device.state.walk()) == before
