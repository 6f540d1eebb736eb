"""Decoding envelopes real stacks send (hand-written fixtures) and the codec's knobs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from printbench.cwmp import messages as m
from printbench.cwmp import soap
from printbench.cwmp.errors import CwmpDecodeError, CwmpEncodeError
from printbench.cwmp.faults import Role

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str) -> m.Envelope:
    return soap.decode((FIXTURES / name).read_bytes())


def test_spec_style_inform_in_cwmp_1_0():
    env = load("spec_inform_cwmp10.xml")
    assert env.namespace == m.CWMP_1_0
    assert env.id == "1234"
    inform = env.body
    assert isinstance(inform, m.Inform)
    assert inform.device_id == m.DeviceIdStruct("Example", "00D0B7", "Printer", "SN000123")
    assert inform.event == (m.EventStruct("1 BOOT", ""), m.EventStruct("M Reboot", "rb-1"))
    assert inform.current_time == datetime(2024, 3, 1, 10, 20, 30, tzinfo=UTC)
    assert inform.parameter_list[1] == m.ParameterValueStruct(
        "Device.ManagementServer.ConnectionRequestURL", "http://127.1.0.1:7547/cr", "xsd:string"
    )


def test_booleans_as_digits_and_hold_requests():
    env = load("quirk_booleans_digits.xml")
    assert env.hold_requests is True
    assert [p.writable for p in env.body.parameter_list] == [False, True]


def test_datetime_with_fraction_and_offset():
    tc = load("quirk_datetime_ms.xml").body
    assert tc.start_time == datetime(2024, 3, 1, 10, 20, 30, 123000, tzinfo=UTC)
    assert tc.complete_time == datetime(2024, 3, 1, 10, 20, 31, 500000, tzinfo=UTC)
    assert tc.complete_time.utcoffset() == timedelta(hours=2)


def test_legacy_no_more_requests_header():
    env = load("quirk_no_more_requests.xml")
    assert env.no_more_requests is True
    assert env.body == m.InformResponse(1)


def test_missing_xsi_type_and_other_prefix_for_xsd():
    spv = load("quirk_missing_xsi_type.xml").body
    assert spv.parameter_list[0].type is None
    assert spv.parameter_list[0].value == "300"
    assert spv.parameter_list[1].type == "xsd:boolean"  # xs: prefix normalised


@pytest.mark.parametrize("version", ["3", "4"])
def test_non_standard_cwmp_1_3_and_1_4_urns(version):
    env = load(f"quirk_cwmp_1_{version}_urn.xml")
    assert env.namespace == f"urn:dslforum-org:cwmp-1-{version}"
    assert env.session_timeout == 60
    assert env.body == m.GetRPCMethods()


def test_genieacs_lower_case_session_timeout():
    env = load("genieacs_lowercase_session_timeout.xml")
    assert env.session_timeout == 30


def test_other_prefixes_whitespace_and_qualified_inner_elements():
    env = load("quirk_prefixes_whitespace_qualified.xml")
    assert env.namespace == m.CWMP_1_1
    assert env.id == "  77  "
    assert env.body == m.GetParameterNames("Device.", True)


def test_fault_keeps_the_soap_class_the_peer_sent():
    fault = load("genieacs_sim_fault_9000_client.xml").body
    assert fault.fault_code == 9000
    assert fault.soap_fault_code == "Client"  # genieacs-sim's mistake stays visible


def test_spv_fault_with_parameter_faults():
    fault = load("spv_fault_with_parameter_faults.xml").body
    assert fault.fault_code == 9003
    assert fault.set_parameter_values_faults == (
        m.SetParameterValuesFault("Device.A", 9007, "Invalid parameter value"),
        m.SetParameterValuesFault("Device.B", 9008, None),
    )


def test_cwmp_1_4_headers_and_empty_body():
    env = load("cwmp14_supported_versions.xml")
    assert env.supported_cwmp_versions == ("1.0", "1.2", "1.4")
    assert env.use_cwmp_version == "1.4"
    assert env.body is None


def test_every_fixture_decodes():
    for path in FIXTURES.glob("*.xml"):
        soap.decode(path.read_bytes())


# --- encoding knobs -------------------------------------------------------------------------


def test_boolean_style_digit_and_values():
    env = m.Envelope(
        m.SetParameterValues((m.ParameterValueStruct("Device.F", "true", "xsd:boolean"),)),
        id="1",
        hold_requests=True,
    )
    data = soap.encode(env, boolean_style="digit", boolean_values=True)
    assert b">1</cwmp:HoldRequests>" in data
    assert b'<Value xsi:type="xsd:boolean">1</Value>' in data
    assert b'xsd:boolean">true<' in soap.encode(env)


def test_datetime_milliseconds_style():
    when = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    env = m.Envelope(m.TransferComplete("k", start_time=when, complete_time=when))
    assert b"2024-01-02T03:04:05.000Z" in soap.encode(env, datetime_ms=True)
    assert b"2024-01-02T03:04:05Z" in soap.encode(env)


def test_datetime_offsets_and_unknown_time():
    tz = timezone(timedelta(hours=-5, minutes=-30))
    assert soap.format_datetime(datetime(2024, 1, 1, tzinfo=tz)) == "2024-01-01T00:00:00-05:30"
    assert soap.format_datetime(m.UNKNOWN_TIME) == "0001-01-01T00:00:00Z"


def test_namespace_string_and_legacy_header_are_emitted_verbatim():
    env = m.Envelope(m.InformResponse(1), id="1", namespace=m.CWMP_1_4, no_more_requests=False)
    data = soap.encode(env, session_timeout_tag="sessionTimeout")
    assert b'xmlns:cwmp="urn:dslforum-org:cwmp-1-4"' in data
    assert b"<cwmp:NoMoreRequests>false</cwmp:NoMoreRequests>" in data
    assert soap.decode(data) == env


def test_header_must_understand_attributes():
    env = m.Envelope(
        m.InformResponse(1),
        id="i",
        hold_requests=False,
        session_timeout=5,
        supported_cwmp_versions=("1.4",),
        use_cwmp_version="1.4",
    )
    data = soap.encode(env)
    assert b'<cwmp:ID SOAP-ENV:mustUnderstand="1">' in data
    assert b'<cwmp:HoldRequests SOAP-ENV:mustUnderstand="1">' in data
    assert b'<cwmp:SessionTimeout SOAP-ENV:mustUnderstand="0">' in data
    assert b'<cwmp:SupportedCWMPVersions SOAP-ENV:mustUnderstand="0">' in data
    assert b'<cwmp:UseCWMPVersion SOAP-ENV:mustUnderstand="1">' in data


def test_fault_envelope_shape():
    data = soap.encode(m.Envelope(m.Fault.of(9005), id="3"))
    assert b"<faultcode>SOAP-ENV:Client</faultcode>" in data
    assert b"<faultstring>CWMP fault</faultstring>" in data
    assert b"<detail><cwmp:Fault><FaultCode>9005</FaultCode>" in data


def test_arrays_carry_their_soap_array_type():
    env = m.Envelope(m.GetParameterValues(("A.", "B.")))
    assert b'<ParameterNames SOAP-ENC:arrayType="xsd:string[2]">' in soap.encode(env)


def test_escaping_and_unencodable_characters():
    env = m.Envelope(m.Reboot('<&>"\r\n'))
    assert soap.decode(soap.encode(env)) == env
    with pytest.raises(CwmpEncodeError):
        soap.encode(m.Envelope(m.Reboot("bad\x00char")))
    with pytest.raises(CwmpEncodeError):
        soap.encode(m.Envelope(m.Reboot(12)))  # type: ignore[arg-type]


def test_fault_for_error_per_role_and_echoes_the_request():
    bad = (
        b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/" '
        b'xmlns:c="urn:dslforum-org:cwmp-1-0"><e:Header><c:ID e:mustUnderstand="1">r9</c:ID>'
        b"</e:Header><e:Body><c:X_ACME_Frobnicate/></e:Body></e:Envelope>"
    )
    with pytest.raises(CwmpDecodeError) as info:
        soap.decode(bad)
    err = info.value
    assert (err.cpe_fault_code, err.acs_fault_code) == (9000, 8000)
    assert err.method == "X_ACME_Frobnicate"
    env = soap.fault_envelope(err, Role.CPE)
    assert env.id == "r9" and env.namespace == m.CWMP_1_0
    assert env.body.fault_code == 9000
    assert "X_ACME_Frobnicate" in env.body.fault_string
    assert soap.fault_envelope(err, Role.ACS).body.fault_code == 8000


def test_replace_unencodable_writes_u_fffd_and_keeps_the_message_valid():
    """XML 1.0 §2.2 Char: U+0000, U+0001 and U+FFFE have no escape; a CPE sends U+FFFD."""
    value = "Front\x00desk\x01\ufffe"
    env = m.Envelope(
        m.GetParameterValuesResponse((m.ParameterValueStruct("A.B", value, "xsd:string"),)),
        id="1",
    )
    with pytest.raises(CwmpEncodeError, match="U\\+0000"):
        soap.encode(env)
    back = soap.decode(soap.encode(env, replace_unencodable=True))
    assert back.body.parameter_list[0].value == "Front\ufffddesk\ufffd\ufffd"
