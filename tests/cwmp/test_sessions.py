"""CPE and ACS session machines, driven against each other with a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from printbench.cwmp import messages as m
from printbench.cwmp import session as s
from printbench.cwmp import soap
from printbench.cwmp.errors import LocalProtocolError, RemoteProtocolError


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        self.t += 0.01
        return self.t


def inform(events=("2 PERIODIC",)) -> m.Inform:
    return m.Inform(
        m.DeviceIdStruct("ACME", "00D0B7", "Printer", "SN1"),
        tuple(m.EventStruct(e) for e in events),
        1,
        datetime(2024, 5, 1, tzinfo=UTC),
        0,
        (m.ParameterValueStruct("Device.DeviceInfo.SoftwareVersion", "1.0"),),
    )


TC = m.TransferComplete("dl-1", m.FaultStruct(0, ""))


def cpe_answer(request: m.Message) -> m.Message:
    """A minimal CPE handler for the tests."""
    if isinstance(request, m.GetParameterValues):
        return m.GetParameterValuesResponse(
            tuple(m.ParameterValueStruct(n, "x") for n in request.parameter_names)
        )
    if isinstance(request, m.Download):
        return m.DownloadResponse(1)
    assert request.RESPONSE is not None
    return request.RESPONSE()


class Wire:
    """Carries bodies between the two machines and records what travelled."""

    def __init__(self, cpe: s.CpeSession, acs: s.AcsSession, clock: FakeClock) -> None:
        self.cpe, self.acs, self.clock = cpe, acs, clock
        self.cpe_sent: list[m.Envelope | None] = []
        self.acs_sent: list[m.Envelope | None] = []
        self.cpe_events: list[s.Event] = []
        self.acs_events: list[s.Event] = []

    def post(self, body: bytes, acs_hook=None) -> s.Event:
        """One HTTP exchange: the CPE POSTs ``body``; the ACS answers; the CPE receives."""
        self.cpe_sent.append(soap.decode(body) if body else None)
        ev = self.acs.receive(body, self.clock())
        self.acs_events.append(ev)
        if acs_hook is not None:
            reply = acs_hook(ev)
        elif isinstance(ev, s.InformReceived):
            reply = self.acs.respond_inform(self.clock())
        elif isinstance(ev, s.CpeRequestReceived):
            reply = self.acs.respond(ev.request.RESPONSE(), self.clock())
        elif isinstance(ev, s.BadRequestReceived):
            reply = self.acs.respond(ev.fault, self.clock())
        else:
            reply = self.acs.next_reply(self.clock())
        self.acs_sent.append(soap.decode(reply.body) if reply.body else None)
        cev = self.cpe.receive(reply.status, reply.body, self.clock())
        self.cpe_events.append(cev)
        return cev

    def run(self, first: bytes, acs_hook=None, max_steps: int = 50) -> None:
        body = first
        for _ in range(max_steps):
            ev = self.post(body, acs_hook)
            if self.cpe.ended:
                return
            if isinstance(ev, (s.RequestReceived, s.BadRequestReceived)):
                answer = cpe_answer(ev.request) if isinstance(ev, s.RequestReceived) else ev.fault
                body = self.cpe.respond(answer, self.clock())
            else:
                body = self.cpe.next_post(self.clock())
        raise AssertionError("session did not end")


def pair(**cpe_kw):
    clock = FakeClock()
    cpe = s.CpeSession(**cpe_kw)
    acs = s.AcsSession()
    return Wire(cpe, acs, clock), cpe, acs, clock


def methods(envelopes) -> list[str]:
    return ["empty" if e is None else e.method for e in envelopes]


def test_plain_session_ends_on_empty_acs_response():
    wire, cpe, acs, clock = pair()
    acs.enqueue(m.GetParameterValues(("Device.DeviceInfo.",)))
    wire.run(cpe.start(inform(), clock()))
    assert methods(wire.cpe_sent) == ["Inform", "empty", "GetParameterValuesResponse"]
    assert methods(wire.acs_sent) == ["InformResponse", "GetParameterValues", "empty"]
    assert isinstance(wire.cpe_events[-1], s.SessionEnded)
    assert cpe.state is s.CpeState.DONE and acs.finished
    # The response echoed the request's cwmp:ID.
    assert wire.cpe_sent[2].id == wire.acs_sent[1].id
    assert acs.done[0].result.parameter_list[0].name == "Device.DeviceInfo."


def test_cpe_requests_go_before_the_empty_post_when_not_held():
    wire, cpe, _acs, clock = pair()
    cpe.queue_request(TC)
    cpe.queue_request(m.GetRPCMethods())
    wire.run(cpe.start(inform(("7 TRANSFER COMPLETE", "M Download")), clock()))
    assert methods(wire.cpe_sent) == ["Inform", "TransferComplete", "GetRPCMethods", "empty"]
    assert cpe.pending_requests == ()


def test_hold_requests_keeps_transfer_complete_back_until_released():
    wire, cpe, acs, clock = pair()
    cpe.queue_request(TC)
    acs.enqueue(m.Download("dl-2", url="http://x.example/fw"), hold_requests=True)
    acs.enqueue(m.GetParameterNames("Device.", True), hold_requests=True)
    acs.enqueue(m.GetParameterValues(("Device.DeviceInfo.SoftwareVersion",)))

    def hook(ev):
        if isinstance(ev, s.InformReceived):
            return acs.respond_inform(clock(), hold_requests=True)
        if isinstance(ev, s.CpeRequestReceived):
            return acs.respond(ev.request.RESPONSE(), clock())
        return acs.next_reply(clock())

    body = cpe.start(inform(("7 TRANSFER COMPLETE",)), clock())
    wire.post(body, hook)
    assert cpe.hold_requests is True
    # Held: the CPE must send an empty POST, not its TransferComplete.
    assert cpe.next_post(clock()) == b""
    wire.run(b"", hook)
    sent = methods(wire.cpe_sent)
    assert sent == [
        "Inform",
        "empty",
        "DownloadResponse",
        "GetParameterNamesResponse",
        "GetParameterValuesResponse",  # GPV had no HoldRequests: released, but a response is due
        "TransferComplete",  # sent after the ACS's empty response
        "empty",
    ]
    # While any ACS message held requests, no TransferComplete left the CPE.
    hold_flags = [e.hold_requests if e else None for e in wire.acs_sent]
    assert hold_flags[:3] == [True, True, True]
    assert methods(wire.acs_sent)[-3:] == ["empty", "TransferCompleteResponse", "empty"]
    assert isinstance(wire.cpe_events[-1], s.SessionEnded)


def test_request_queued_mid_session_waits_while_held():
    wire, cpe, acs, clock = pair()
    acs.enqueue(m.Download("dl-3"), hold_requests=True)

    def hook(ev):
        if isinstance(ev, s.InformReceived):
            return acs.respond_inform(clock(), hold_requests=True)
        if isinstance(ev, s.CpeRequestReceived):
            return acs.respond(ev.request.RESPONSE(), clock())
        return acs.next_reply(clock())

    wire.post(cpe.start(inform(), clock()), hook)
    ev = wire.post(cpe.next_post(clock()), hook)
    assert isinstance(ev, s.RequestReceived) and isinstance(ev.request, m.Download)
    cpe.queue_request(TC)  # the download "finished" during the session
    ev = wire.post(cpe.respond(m.DownloadResponse(1), clock()), hook)
    # The ACS has nothing more: empty response releases the hold; TC still pending.
    assert isinstance(ev, s.EmptyResponseReceived) and ev.pending == 1
    assert not cpe.ended
    body = cpe.next_post(clock())
    assert soap.decode(body).body == TC
    wire.run(body, hook)
    assert methods(wire.cpe_sent)[-2:] == ["TransferComplete", "empty"]


def test_hold_released_by_explicit_false():
    wire, cpe, acs, clock = pair()
    cpe.queue_request(TC)

    def hook(ev):
        if isinstance(ev, s.InformReceived):
            return acs.respond_inform(clock(), hold_requests=False)
        if isinstance(ev, s.CpeRequestReceived):
            return acs.respond(ev.request.RESPONSE(), clock())
        return acs.next_reply(clock())

    wire.run(cpe.start(inform(), clock()), hook)
    assert wire.acs_sent[0].hold_requests is False
    assert methods(wire.cpe_sent)[:2] == ["Inform", "TransferComplete"]


def test_8005_makes_the_cpe_resend_the_same_request():
    wire, cpe, acs, clock = pair()
    cpe.queue_request(TC)
    retries = {"left": 2}

    def hook(ev):
        if isinstance(ev, s.InformReceived):
            return acs.respond_inform(clock())
        if isinstance(ev, s.CpeRequestReceived):
            if retries["left"]:
                retries["left"] -= 1
                return acs.respond(m.Fault.of(8005), clock())
            return acs.respond(ev.request.RESPONSE(), clock())
        return acs.next_reply(clock())

    wire.run(cpe.start(inform(), clock()), hook)
    assert methods(wire.cpe_sent) == [
        "Inform",
        "TransferComplete",
        "TransferComplete",
        "TransferComplete",
        "empty",
    ]
    tcs = wire.cpe_sent[1:4]
    assert tcs[0] == tcs[1] == tcs[2]  # unchanged, same cwmp:ID
    retry_events = [e for e in wire.cpe_events if isinstance(e, s.RetryRequested)]
    assert [e.attempt for e in retry_events] == [1, 2]


def test_8005_on_inform_resends_the_inform_and_gives_up_after_the_limit():
    _wire, cpe, _acs, clock = pair(max_8005_retries=2)
    body = cpe.start(inform(), clock())
    for attempt in (1, 2):
        fault = soap.encode(m.Envelope(m.Fault.of(8005), id=soap.decode(body).id))
        ev = cpe.receive(500, fault, clock())
        assert isinstance(ev, s.RetryRequested) and ev.attempt == attempt
        again = cpe.next_post(clock())
        assert again == body
    ev = cpe.receive(500, fault, clock())
    assert isinstance(ev, s.FaultReceived) and cpe.state is s.CpeState.FAILED


def test_other_faults_drop_the_request_and_go_on():
    wire, cpe, acs, clock = pair()
    cpe.queue_request(m.RequestDownload("1 Firmware Upgrade Image"))

    def hook(ev):
        if isinstance(ev, s.InformReceived):
            return acs.respond_inform(clock())
        if isinstance(ev, s.CpeRequestReceived):
            return acs.respond(m.Fault.of(8000), clock())
        return acs.next_reply(clock())

    wire.run(cpe.start(inform(), clock()), hook)
    faults_seen = [e for e in wire.cpe_events if isinstance(e, s.FaultReceived)]
    assert faults_seen[0].fault.fault_code == 8000
    assert methods(wire.cpe_sent) == ["Inform", "RequestDownload", "empty"]


def test_session_does_not_end_while_the_cpe_has_requests():
    clock = FakeClock()
    cpe = s.CpeSession()
    body = cpe.start(inform(), clock())
    ev = cpe.receive(
        200,
        soap.encode(m.Envelope(m.InformResponse(1), id=soap.decode(body).id, hold_requests=True)),
        clock(),
    )
    cpe.queue_request(TC)
    assert cpe.next_post(clock()) == b""  # held
    ev = cpe.receive(204, b"", clock())
    assert isinstance(ev, s.EmptyResponseReceived) and not cpe.ended
    assert soap.decode(cpe.next_post(clock())).body == TC


def test_empty_response_to_inform_is_a_protocol_error():
    clock = FakeClock()
    cpe = s.CpeSession()
    cpe.start(inform(), clock())
    with pytest.raises(RemoteProtocolError, match="empty HTTP 204 response to Inform"):
        cpe.receive(204, b"", clock())
    assert cpe.state is s.CpeState.FAILED


def test_max_envelopes_must_be_1():
    clock = FakeClock()
    cpe = s.CpeSession()
    body = cpe.start(inform(), clock())
    reply = soap.encode(m.Envelope(m.InformResponse(2), id=soap.decode(body).id))
    with pytest.raises(RemoteProtocolError, match="MaxEnvelopes is 2"):
        cpe.receive(200, reply, clock())


def test_response_with_a_foreign_cwmp_id_is_rejected():
    wire, cpe, acs, clock = pair()
    acs.enqueue(m.GetRPCMethods())
    wire.post(cpe.start(inform(), clock()))
    wire.post(cpe.next_post(clock()))  # ACS sends GetRPCMethods
    wrong = soap.encode(m.Envelope(m.GetRPCMethodsResponse(("Inform",)), id="not-yours"))
    with pytest.raises(RemoteProtocolError, match="cwmp:ID 'not-yours'"):
        acs.receive(wrong, clock())


def test_acs_requires_inform_first():
    clock = FakeClock()
    acs = s.AcsSession()
    body = soap.encode(m.Envelope(m.TransferComplete("x"), id="1"))
    with pytest.raises(RemoteProtocolError) as info:
        acs.receive(body, clock())
    assert info.value.acs_fault_code == 8003 and info.value.http_status == 400
    reply = acs.error_reply(info.value)
    assert reply.status == 400
    assert soap.decode(reply.body).body.fault_code == 8003
    with pytest.raises(RemoteProtocolError):
        s.AcsSession().receive(b"", clock())


def test_second_inform_in_a_session_is_refused():
    wire, cpe, acs, clock = pair()
    wire.post(cpe.start(inform(), clock()))
    with pytest.raises(RemoteProtocolError, match="second Inform"):
        acs.receive(soap.encode(m.Envelope(inform(), id="9")), clock())


def test_unknown_method_from_acs_gets_9000_and_session_goes_on():
    clock = FakeClock()
    cpe = s.CpeSession(namespace=m.CWMP_1_0)
    body = cpe.start(inform(), clock())
    cpe.receive(
        200,
        soap.encode(m.Envelope(m.InformResponse(1), id=soap.decode(body).id, namespace=m.CWMP_1_0)),
        clock(),
    )
    assert cpe.next_post(clock()) == b""
    weird = (
        b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/" '
        b'xmlns:c="urn:dslforum-org:cwmp-1-0"><e:Header><c:ID e:mustUnderstand="1">z1</c:ID>'
        b"</e:Header><e:Body><c:X_ACME_Frob/></e:Body></e:Envelope>"
    )
    ev = cpe.receive(200, weird, clock())
    assert isinstance(ev, s.BadRequestReceived)
    answer = soap.decode(cpe.respond(ev.fault, clock()))
    assert answer.id == "z1" and answer.body.fault_code == 9000
    assert answer.body.soap_fault_code == "Server"
    assert cpe.receive(204, b"", clock()) == s.SessionEnded(
        "ACS sent an empty response and the CPE has no more requests"
    )


def test_unknown_cpe_method_gets_8000():
    wire, cpe, acs, clock = pair()
    wire.post(cpe.start(inform(), clock()))
    weird = (
        b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/" '
        b'xmlns:c="urn:dslforum-org:cwmp-1-2"><e:Header><c:ID e:mustUnderstand="1">q</c:ID>'
        b"</e:Header><e:Body><c:X_Vendor_Hello/></e:Body></e:Envelope>"
    )
    ev = acs.receive(weird, clock())
    assert isinstance(ev, s.BadRequestReceived)
    reply = acs.respond(ev.fault, clock())
    assert soap.decode(reply.body).body.fault_code == 8000


def test_acs_echoes_the_cpe_namespace_for_the_whole_session():
    wire, cpe, acs, clock = pair(namespace=m.CWMP_1_0)
    acs.enqueue(m.GetParameterValues(("Device.",)))
    acs.enqueue(m.Reboot("r"))
    wire.run(cpe.start(inform(), clock()))
    assert {e.namespace for e in wire.acs_sent if e is not None} == {m.CWMP_1_0}
    assert acs.cwmp_version == "1.0"


def test_version_negotiation_picks_the_highest_common_version():
    wire, cpe, acs, clock = pair(supported_versions=m.ALL_VERSIONS, session_timeout=30)
    wire.run(cpe.start(inform(), clock()))
    assert wire.cpe_sent[0].supported_cwmp_versions == m.ALL_VERSIONS
    assert wire.acs_sent[0].use_cwmp_version == "1.4"
    assert cpe.cwmp_version == acs.cwmp_version == "1.4"


def test_version_negotiation_with_an_older_acs():
    clock = FakeClock()
    cpe = s.CpeSession(supported_versions=("1.2", "1.3", "1.4"))
    acs = s.AcsSession(supported_versions=("1.0", "1.1", "1.2", "1.3"))
    ev = acs.receive(cpe.start(inform(), clock()), clock())
    assert ev.cwmp_version == "1.3"
    reply = acs.respond_inform(clock())
    cev = cpe.receive(reply.status, reply.body, clock())
    assert isinstance(cev, s.InformAccepted) and cev.cwmp_version == "1.3"


def test_no_common_version_is_fault_8006():
    clock = FakeClock()
    cpe = s.CpeSession(supported_versions=("1.4",))
    acs = s.AcsSession(supported_versions=("1.0", "1.1", "1.2"))
    ev = acs.receive(cpe.start(inform(), clock()), clock())
    assert ev.cwmp_version is None
    reply = acs.respond_inform(clock())
    assert soap.decode(reply.body).body.fault_code == 8006
    assert acs.state is s.AcsState.FAILED
    cev = cpe.receive(reply.status, reply.body, clock())
    assert isinstance(cev, s.FaultReceived) and cev.fault.fault_code == 8006
    assert cpe.state is s.CpeState.FAILED


def test_session_timeout_header_implies_1_3():
    clock = FakeClock()
    acs = s.AcsSession()
    ev = acs.receive(soap.encode(m.Envelope(inform(), id="1", session_timeout=60)), clock())
    assert ev.cwmp_version == "1.3"
    reply = acs.respond_inform(clock())
    assert soap.decode(reply.body).use_cwmp_version is None  # only answers a 1.4 CPE


def test_cookies_are_stored_and_returned():
    clock = FakeClock()
    cpe = s.CpeSession()
    body = cpe.start(inform(), clock())
    assert cpe.cookie_header() is None
    reply = soap.encode(m.Envelope(m.InformResponse(1), id=soap.decode(body).id))
    cpe.receive(200, reply, clock(), set_cookie=["session=abc123; Path=/; HttpOnly", "lb=7"])
    assert cpe.cookie_header() == "session=abc123; lb=7"
    cpe.store_cookies(["session=def"])
    assert cpe.cookie_header() == "session=def; lb=7"


def test_timeouts_follow_the_fake_clock():
    clock = FakeClock()
    cpe = s.CpeSession(timeout=30)
    cpe.start(inform(), clock.t)
    assert not cpe.expired(clock.t + 29)
    assert cpe.expired(clock.t + 31)
    acs = s.AcsSession(timeout=30)
    acs.receive(soap.encode(m.Envelope(inform(), id="1")), 0.0)
    assert acs.expired(31.0) and not acs.expired(30.0)


def test_illegal_local_actions_raise_local_protocol_error():
    clock = FakeClock()
    cpe = s.CpeSession()
    with pytest.raises(LocalProtocolError):
        cpe.next_post(clock())
    with pytest.raises(LocalProtocolError):
        cpe.queue_request(m.GetParameterValues(()))  # an ACS->CPE method
    body = cpe.start(inform(), clock())
    with pytest.raises(LocalProtocolError):
        cpe.start(inform(), clock())
    with pytest.raises(LocalProtocolError):
        cpe.respond(m.RebootResponse(), clock())
    acs = s.AcsSession()
    acs.receive(body, clock())
    with pytest.raises(LocalProtocolError):
        acs.next_reply(clock())
    with pytest.raises(LocalProtocolError):
        acs.respond(m.TransferCompleteResponse(), clock())
    with pytest.raises(LocalProtocolError):
        acs.enqueue(m.Inform(m.DeviceIdStruct("a", "000000", "b", "c")))


def test_wrong_response_type_from_the_cpe_is_a_remote_error():
    wire, cpe, acs, clock = pair()
    acs.enqueue(m.Reboot("r"))
    wire.post(cpe.start(inform(), clock()))
    wire.post(cpe.next_post(clock()))
    with pytest.raises(RemoteProtocolError, match="expected RebootResponse"):
        acs.receive(soap.encode(m.Envelope(m.FactoryResetResponse())), clock())


def test_undecodable_acs_response_fails_the_cpe_session():
    clock = FakeClock()
    cpe = s.CpeSession()
    cpe.start(inform(), clock())
    with pytest.raises(RemoteProtocolError, match="undecodable"):
        cpe.receive(200, b"<not-soap/>", clock())
    assert cpe.ended


def test_a_day_of_periodic_sessions_with_a_fake_clock():
    clock = FakeClock()
    ended = 0
    for _ in range(24 * 6):  # every 10 minutes for a day
        clock.t += 600
        wire = Wire(s.CpeSession(), s.AcsSession(), clock)
        wire.acs.enqueue(m.GetParameterValues(("Device.DeviceInfo.UpTime",)))
        wire.run(wire.cpe.start(inform(), clock()))
        ended += isinstance(wire.cpe_events[-1], s.SessionEnded)
    assert ended == 144
