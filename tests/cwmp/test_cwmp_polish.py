"""Gaps reported by the users of cwmp/: unknown time with Z, ACS 8005 as a retryable state,
the envelope behind a RemoteProtocolError, schema validation of a parsed tree, public
facet helpers for data-model loaders."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lxml import etree

from printbench.cwmp import messages as m
from printbench.cwmp import schema, soap
from printbench.cwmp import session as s
from printbench.cwmp import types as T
from printbench.cwmp.errors import RemoteProtocolError

NOW = 1000.0


def inform(events=("2 PERIODIC",)) -> m.Inform:
    return m.Inform(
        m.DeviceIdStruct("ACME", "00D0B7", "Printer", "SN1"),
        tuple(m.EventStruct(e) for e in events),
        1,
        datetime(2024, 5, 1, tzinfo=UTC),
        0,
        (m.ParameterValueStruct("Device.DeviceInfo.SoftwareVersion", "1.0"),),
    )


# --- 1. dateTime output -----------------------------------------------------------------------


def test_unknown_time_is_written_as_utc_with_z_and_reads_back_equal():
    env = m.Envelope(m.TransferComplete("dl-1", m.FaultStruct(0, "")), id="1")
    data = soap.encode(env)
    assert data.count(b">0001-01-01T00:00:00Z<") == 2  # StartTime and CompleteTime defaults
    assert b">0001-01-01T00:00:00<" not in data
    back = soap.decode(data)
    assert back == env
    assert back.body.start_time == m.UNKNOWN_TIME
    assert soap.format_datetime(m.UNKNOWN_TIME, milliseconds=True) == "0001-01-01T00:00:00.000Z"
    # The same value the TR-106 type layer calls unknown.
    assert soap.parse_datetime(T.UNKNOWN_TIME) == m.UNKNOWN_TIME


def test_every_default_datetime_of_every_message_has_a_zone():
    for cls in m.BY_METHOD.values():
        for f in cls.__dataclass_fields__.values():
            if isinstance(f.default, datetime):
                assert f.default.utcoffset() is not None, (cls.__name__, f.name)


# --- 2. 8005 from the ACS is retryable ----------------------------------------------------------


def test_acs_8005_to_inform_waits_for_the_resent_inform():
    acs = s.AcsSession()
    cpe = s.CpeSession()
    body = cpe.start(inform(), NOW)
    ev = acs.receive(body, NOW)
    assert isinstance(ev, s.InformReceived)
    reply = acs.respond(m.Fault.of(8005), NOW)
    assert acs.state is s.AcsState.AWAIT_INFORM
    assert acs.retry_expected == ev.inform
    retry = cpe.receive(reply.status, reply.body, NOW)
    assert isinstance(retry, s.RetryRequested)
    again = cpe.next_post(NOW)
    ev2 = acs.receive(again, NOW)  # same machine, no RemoteProtocolError
    assert isinstance(ev2, s.InformReceived) and ev2.inform == acs.retry_expected
    assert ev2.envelope.id == ev.envelope.id
    reply = acs.respond_inform(NOW)
    assert acs.retry_expected is None and acs.state is s.AcsState.CPE_TURN
    assert isinstance(cpe.receive(reply.status, reply.body, NOW), s.InformAccepted)
    assert soap.decode(reply.body).id == ev.envelope.id


def test_acs_other_fault_to_inform_still_fails_the_session():
    acs = s.AcsSession()
    acs.receive(soap.encode(m.Envelope(inform(), id="1")), NOW)
    acs.respond(m.Fault.of(8002), NOW)
    assert acs.state is s.AcsState.FAILED and acs.retry_expected is None


def test_acs_8005_to_a_cpe_request_expects_it_again():
    acs = s.AcsSession()
    cpe = s.CpeSession()
    tc = m.TransferComplete("dl-1", m.FaultStruct(0, ""))
    cpe.queue_request(tc)
    assert isinstance(acs.receive(cpe.start(inform(), NOW), NOW), s.InformReceived)
    reply = acs.respond_inform(NOW)
    cpe.receive(reply.status, reply.body, NOW)
    ev = acs.receive(cpe.next_post(NOW), NOW)
    assert isinstance(ev, s.CpeRequestReceived)
    reply = acs.respond(m.Fault.of(8005), NOW)
    assert acs.state is s.AcsState.CPE_TURN and acs.retry_expected == tc
    assert isinstance(cpe.receive(reply.status, reply.body, NOW), s.RetryRequested)
    ev = acs.receive(cpe.next_post(NOW), NOW)
    assert isinstance(ev, s.CpeRequestReceived) and ev.request == acs.retry_expected
    reply = acs.respond(m.TransferCompleteResponse(), NOW)
    assert acs.retry_expected is None
    assert isinstance(cpe.receive(reply.status, reply.body, NOW), s.ResponseReceived)


# --- 3. the envelope behind a peer error --------------------------------------------------------


def test_acs_remote_error_exposes_the_decoded_envelope():
    acs = s.AcsSession()
    body = soap.encode(m.Envelope(m.TransferComplete("x"), id="first"))
    with pytest.raises(RemoteProtocolError) as info:
        acs.receive(body, NOW)
    assert info.value.envelope is not None and info.value.envelope.id == "first"
    assert info.value.envelope is acs.last_received
    assert acs.last_received.method == "TransferComplete"


def test_acs_last_received_is_reset_per_post():
    acs = s.AcsSession()
    acs.receive(soap.encode(m.Envelope(inform(), id="1")), NOW)
    assert acs.last_received is not None and acs.last_received.method == "Inform"
    acs.respond_inform(NOW)
    with pytest.raises(RemoteProtocolError) as info:
        acs.receive(b"<not-soap/>", NOW)
    assert info.value.envelope is None and acs.last_received is None


def test_cpe_remote_error_exposes_the_decoded_envelope():
    cpe = s.CpeSession()
    cpe.start(inform(), NOW)
    wrong = soap.encode(m.Envelope(m.GetRPCMethodsResponse(("Inform",)), id="cpe-1"))
    with pytest.raises(RemoteProtocolError, match="expected InformResponse") as info:
        cpe.receive(200, wrong, NOW)
    assert info.value.envelope == cpe.last_received
    assert info.value.envelope.method == "GetRPCMethodsResponse"
    assert cpe.state is s.CpeState.FAILED


def test_remote_protocol_error_stays_constructible_as_before():
    err = RemoteProtocolError("x", kind=(9003, 8003), http_status=400)
    assert err.envelope is None and err.acs_fault_code == 8003


# --- 4. schema validation of a parsed tree -------------------------------------------------


def _parse(data: bytes):
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    return etree.fromstring(data, parser)


def test_validation_errors_tree_matches_the_bytes_api():
    good = soap.encode(m.Envelope(inform(), id="1"))
    assert schema.validation_errors_tree(_parse(good), "cwmp-1-2.xsd") == []
    assert schema.validation_errors_tree(etree.ElementTree(_parse(good)), "cwmp-1-2.xsd") == []
    bad = good.replace(b"<OUI>00D0B7</OUI>", b"<OUI>00D0B7XX</OUI>")
    errors = schema.validation_errors_tree(_parse(bad), "cwmp-1-2.xsd")
    assert errors and any("OUI" in e for e in errors)
    assert errors == schema.validation_errors(bad, "cwmp-1-2.xsd")


def test_validation_errors_tree_names_a_missing_schema():
    with pytest.raises(schema.SchemaError, match="no-such"):
        schema.validation_errors_tree(_parse(b"<a/>"), "no-such.xsd")


# --- 5. public facet helpers ------------------------------------------------------------------


def test_public_facet_helpers_read_tr106_elements():
    syntax = _parse(
        b'<syntax><list minItems="1" maxItems="2"><size maxLength="20"/></list>'
        b'<unsignedInt><range minInclusive="1" maxInclusive="9"/></unsignedInt></syntax>'
    )
    lst, base = syntax[0], syntax[1]
    pt = T.apply_facets(T.base_type("unsignedInt"), list(base), "test")
    assert pt.validate("9") == "9"
    with pytest.raises(T.ParamTypeError) as info:
        pt.validate("10")
    assert info.value.fault == 9007
    facet = T.list_facet(lst)
    assert (facet.min_items, facet.max_items, facet.max_length) == (1, 2, 20)
    listed = pt.as_list(**facet.__dict__)
    assert listed.validate("1, 2") == "1,2"
    with pytest.raises(T.ParamTypeError):
        listed.validate("1,2,3")
    # The old private names still work (other helpers may import them).
    assert T._apply_facets is T.apply_facets and T._list_facet is T.list_facet
