"""The pure STUN codec, binding machine and UDP Connection Request of TR-069 Annex G."""

from __future__ import annotations

import struct

import pytest

from printbench.cwmp import stun as S
from printbench.cwmp import stun_binding as B
from printbench.cwmp import udp_cr as U


def test_binding_request_carries_annex_g_attributes_and_round_trips() -> None:
    msg = S.binding_request(binding_change=True, username="SN1")
    data = S.encode(msg, integrity_key=b"pw")
    back = S.decode(data)
    assert back.type == S.BINDING_REQUEST and back.rfc5389
    assert back.connection_request_binding
    assert back.get(S.CONNECTION_REQUEST_BINDING) == b"dslforum TR-111 "
    assert back.has(S.BINDING_CHANGE) and back.username == "SN1"
    assert S.check_integrity(data, b"pw") and not S.check_integrity(data, b"other")
    assert len(data) % 4 == 0 and struct.unpack("!H", data[2:4])[0] == len(data) - 20


def test_response_mapped_and_xor_mapped_address() -> None:
    req = S.binding_request()
    resp = S.decode(S.encode(S.binding_response(req, ("192.0.2.7", 40001))))
    assert resp.get(S.MAPPED_ADDRESS) is not None and resp.get(S.XOR_MAPPED_ADDRESS) is not None
    assert resp.mapped_address() == ("192.0.2.7", 40001)
    # an RFC 3489 request (no cookie) gets only MAPPED-ADDRESS
    old = S.StunMessage(S.BINDING_REQUEST, b"\x01" * 16)
    resp = S.decode(S.encode(S.binding_response(old, ("10.0.0.1", 5))))
    assert resp.get(S.XOR_MAPPED_ADDRESS) is None and resp.mapped_address() == ("10.0.0.1", 5)


@pytest.mark.parametrize(
    "data, why",
    [
        (b"\x00\x01\x00", "shorter than a STUN header"),
        (b"\x00\x01\x00\x04" + b"\x00" * 16, "datagram has 0"),
        (b"\x00\x01\x00\x03" + b"\x00" * 19, "multiple of 4"),
        (b"\xc0\x01\x00\x00" + b"\x00" * 16, "first two bits"),
        (b"\x00\x01\x00\x04" + b"\x00" * 16 + b"\x00\x06\x00\x09", "runs past the end"),
    ],
)
def test_malformed_stun_is_a_clear_error(data: bytes, why: str) -> None:
    with pytest.raises(S.StunError, match=why):
        S.decode(data)


def _server_answer(data: bytes, source: tuple[str, int]) -> bytes:
    return S.encode(S.binding_response(S.decode(data), source))


def test_binding_machine_nat_detection_change_and_keepalive() -> None:
    m = B.BindingMaintainer(
        B.BindingConfig(("198.51.100.1", 3478), ("10.0.0.5", 7547), 10, 60), 0.0
    )
    [req] = m.poll(0.0)
    assert S.decode(req).connection_request_binding and not S.decode(req).has(S.BINDING_CHANGE)
    up = m.on_datagram(_server_answer(req, ("203.0.113.9", 50000)), 0.05)
    assert up == B.BindingUpdate(("203.0.113.9", 50000), True, False)
    assert m.next_wakeup() == pytest.approx(60.05)  # the maximum period
    assert m.poll(30.0) == []
    [req] = m.poll(60.1)
    up = m.on_datagram(_server_answer(req, ("203.0.113.9", 50002)), 60.2)
    assert up is not None and up.changed
    [req] = m.poll(60.2)  # at once, not after the minimum period
    assert S.decode(req).has(S.BINDING_CHANGE)
    m.on_datagram(_server_answer(req, ("203.0.113.9", 50002)), 60.3)
    [req] = m.poll(120.4)
    assert not S.decode(req).has(S.BINDING_CHANGE)
    # no NAT: mapped == local
    up = m.on_datagram(_server_answer(req, ("10.0.0.5", 7547)), 120.5)
    assert up is not None and not up.nat_detected


def test_binding_machine_retransmits_per_rfc3489_then_gives_up() -> None:
    m = B.BindingMaintainer(B.BindingConfig(("198.51.100.1", 3478), ("10.0.0.5", 7547), 0, 20), 0.0)
    sends = []
    t = 0.0
    while t < 10.0:
        if m.poll(t):
            sends.append(round(t, 2))
        t = round(t + 0.05, 2)
    assert sends == [0.0, 0.1, 0.3, 0.7, 1.5, 3.1, 4.7, 6.3, 7.9]
    assert m.failures == 1 and m.next_wakeup() == pytest.approx(9.5 + 20)


def test_binding_machine_uses_integrity_after_401_only_with_a_username() -> None:
    cfg = B.BindingConfig(("198.51.100.1", 3478), ("10.0.0.5", 7547), 0, 20, "SN1", "secret")
    m = B.BindingMaintainer(cfg, 0.0)
    [req] = m.poll(0.0)
    assert S.decode(req).get(S.MESSAGE_INTEGRITY) is None
    m.on_datagram(S.encode(S.error_response(S.decode(req), 401, "Unauthorized")), 0.1)
    [req] = m.poll(0.1)
    assert S.decode(req).username == "SN1" and S.check_integrity(req, b"secret")
    anon = B.BindingMaintainer(B.BindingConfig(("1.1.1.1", 3478), ("10.0.0.5", 1), 0, 20), 0.0)
    [req] = anon.poll(0.0)
    anon.on_datagram(S.encode(S.error_response(S.decode(req), 401, "Unauthorized")), 0.1)
    assert anon.poll(0.1) == [] and anon.failures == 1


def test_udp_cr_round_trip_and_signature() -> None:
    data = U.build("203.0.113.9:50000", "cruser", "crpass", ts=1700000000, msg_id=42, cnonce="ab")
    assert data.startswith(b"GET http://203.0.113.9:50000?ts=1700000000&id=42&un=cruser&cn=ab&sig=")
    req = U.parse(data)
    assert req.sig == U.signature("crpass", "1700000000", "42", "cruser", "ab")
    v = U.UdpCrValidator()
    assert v.check(req, "cruser", "crpass") is None
    assert "already seen" in (v.check(req, "cruser", "crpass") or "")


def test_udp_cr_rejections() -> None:
    v = U.UdpCrValidator()
    bad = U.parse(U.build("h:1", "u", "p", ts=100, msg_id=1, sig="0" * 40))
    assert "sig does not verify" in (v.check(bad, "u", "p") or "")
    assert v.check(bad, "u", "p", verify_signature=False) is None
    other_user = U.parse(U.build("h:1", "x", "p", ts=100, msg_id=2))
    assert "not the ConnectionRequestUsername" in (v.check(other_user, "u", "p") or "")
    v.check(U.parse(U.build("h:1", "u", "p", ts=200, msg_id=3)), "u", "p")
    stale = U.parse(U.build("h:1", "u", "p", ts=150, msg_id=4))
    assert "older than the newest" in (v.check(stale, "u", "p") or "")


@pytest.mark.parametrize(
    "data, why",
    [
        (b"POST http://h:1?ts=1&id=1&un=u&cn=c&sig=s HTTP/1.1\r\n\r\n", "request line"),
        (b"GET /?ts=1&id=1&un=u&cn=c&sig=s HTTP/1.1\r\n\r\n", "absolute http URI"),
        (b"GET http://h:1/x?ts=1&id=1&un=u&cn=c&sig=s HTTP/1.1\r\n\r\n", "path"),
        (b"GET http://h:1?ts=1&id=1&un=u HTTP/1.1\r\n\r\n", "lacks"),
        (b"GET http://h:1?ts=x&id=1&un=u&cn=c&sig=s HTTP/1.1\r\n\r\n", "unsigned"),
        (
            b"GET http://h:1?ts=1&id=1&un=u&cn=c&sig=s HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
            "Content-Length",
        ),
        (b"\xff\xfe", "ASCII"),
    ],
)
def test_udp_cr_malformed_is_a_clear_error(data: bytes, why: str) -> None:
    with pytest.raises(U.UdpCrError, match=why):
        U.parse(data)


def test_binding_machine_survives_a_malformed_error_response() -> None:
    """An error response whose ERROR-CODE is too short is a failed transaction, not an
    exception out of the socket callback."""
    m = B.BindingMaintainer(B.BindingConfig(("198.51.100.1", 3478), ("10.0.0.5", 7547), 0, 20), 0.0)
    [req] = m.poll(0.0)
    bad = S.StunMessage(
        S.BINDING_ERROR_RESPONSE, S.decode(req).transaction_id, [(S.ERROR_CODE, b"")]
    )
    assert m.on_datagram(S.encode(bad), 0.1) is None
    assert m.failures == 1 and m.next_wakeup() == pytest.approx(20.1)
