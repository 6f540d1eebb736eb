"""The pure XMPP Connection Request core (TR-069 Annex K; TR-181 ConnReqAllowedJabberIDs)."""

from __future__ import annotations

import pytest

from printbench.cwmp import xmpp_cr as X


def test_payload_validates_against_the_bbf_schema() -> None:
    data = X.payload("cr-user", "p<&>ss")
    X.validate_payload(data)
    assert X.parse_payload(data) == X.Credentials("cr-user", "p<&>ss")


@pytest.mark.parametrize(
    "data",
    [
        b'<connectionRequest xmlns="urn:broadband-forum-org:cwmp:xmppConnReq-1-0">'
        b"<password>p</password><username>u</username></connectionRequest>",  # order
        b'<connectionRequest xmlns="urn:broadband-forum-org:cwmp:xmppConnReq-1-0">'
        b"<username>u</username></connectionRequest>",  # password missing
        b"<connectionRequest><username>u</username><password>p</password></connectionRequest>",
    ],
)
def test_schema_and_parser_refuse_other_shapes(data: bytes) -> None:
    with pytest.raises(X.XmppCrError):
        X.validate_payload(data)
    with pytest.raises(X.XmppCrError):
        X.parse_payload(data)


def test_entities_are_not_resolved() -> None:
    evil = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<connectionRequest xmlns="urn:broadband-forum-org:cwmp:xmppConnReq-1-0">'
        b"<username>&x;</username><password>p</password></connectionRequest>"
    )
    try:
        creds = X.parse_payload(evil)
    except X.XmppCrError:
        return
    assert "root:" not in creds.username


def test_allowed_jabber_ids_follow_tr181_example() -> None:
    # TR-181 2.17 ManagementServer.ConnReqAllowedJabberIDs, its own example
    allowed = X.allowed_list("ACS1@tr069.example.com, ACS2@tr069.example.com/resource1")
    for ok in (
        "ACS1@tr069.example.com/resource1",
        "ACS1@tr069.example.com/resource2",
        "ACS2@tr069.example.com/resource1",
    ):
        assert X.jid_allowed(ok, allowed), ok
    for no in ("ACS2@tr069.example.com/resource2", "ACS@tr069.example.com/resource"):
        assert not X.jid_allowed(no, allowed), no
    assert X.jid_allowed("anyone@else/x", [])  # empty: every sender is allowed


def test_judge_request_order_of_checks() -> None:
    good = X.payload("u", "p")
    kw = {"allowed": ["acs@x"], "username": "u", "password": "p"}
    assert X.judge_request("acs@x/r", good, **kw).accept
    assert X.judge_request("evil@x/r", good, **kw).condition == X.SERVICE_UNAVAILABLE
    wrong = X.judge_request("acs@x/r", X.payload("u", "bad"), **kw)
    assert (wrong.accept, wrong.condition, wrong.error_type) == (False, X.NOT_AUTHORIZED, "cancel")
    assert X.judge_request("acs@x/r", b"<x/>", **kw).condition == X.BAD_REQUEST
    # no configured username: nobody authenticates (as for HTTP connection requests)
    assert not X.judge_request("acs@x/r", X.payload("", ""), allowed=[], username="",
                               password="").accept  # fmt: skip


def test_reconnect_wait_follows_tr181() -> None:
    # defaults 60 s, 2000, 30720: bounds 60, 120, 240, ... (TR-181 ServerConnectAttempts text)
    assert X.reconnect_wait(1, 60, 2000, 30720, 0.5) == 30.0
    assert X.reconnect_wait(3, 60, 2000, 30720, 0.999) < 240.0
    assert X.reconnect_wait(11, 60, 2000, 30720, 0.1) == 30720.0  # 61440 > max: the max
    assert X.reconnect_wait(2, 1, 1000, 30720, 0.0) == 0.0
    with pytest.raises(ValueError):
        X.reconnect_wait(0, 60, 2000, 30720, 0.5)
