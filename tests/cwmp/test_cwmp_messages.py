"""Every CWMP message type round-trips through the codec (encode -> decode -> equal)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from printbench.common.standards import bbf_dir
from printbench.cwmp import faults, soap
from printbench.cwmp import messages as m
from tests.cwmp.strategies import envelopes, strategy_for

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("cls", m.ALL_MESSAGES, ids=lambda c: c.METHOD)
@FAST
@given(data=st.data())
def test_every_message_round_trips(cls, data):
    message = data.draw(strategy_for(cls))
    envelope = m.Envelope(message, id="1")
    assert soap.decode(soap.encode(envelope)) == envelope


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    envelope=envelopes(),
    boolean_style=st.sampled_from(["word", "digit"]),
    datetime_ms=st.booleans(),
)
def test_envelopes_round_trip_with_any_headers_and_styles(envelope, boolean_style, datetime_ms):
    data = soap.encode(envelope, boolean_style=boolean_style, datetime_ms=datetime_ms)
    decoded = soap.decode(data)
    if envelope.body is None and envelope.id is None:
        # Nothing in the envelope names its namespace: the decoder assumes cwmp-1-2.
        assert decoded == m.Envelope(**{**_fields(envelope), "namespace": decoded.namespace})
    else:
        assert decoded == envelope


def _fields(envelope: m.Envelope) -> dict:
    return {name: getattr(envelope, name) for name in envelope.__dataclass_fields__}


def test_every_global_element_of_cwmp_1_2_has_a_message_class():
    xs = "{http://www.w3.org/2001/XMLSchema}"
    tree = etree.parse(str(bbf_dir() / "cwmp-1-2.xsd"))
    names = {e.get("name") for e in tree.getroot().iterchildren(f"{xs}element")}
    assert names - {"ID", "HoldRequests"} == set(m.BY_METHOD)


def test_requests_name_their_responses():
    for cls in m.REQUESTS:
        assert cls.IS_REQUEST
        assert cls.RESPONSE is not None
        assert cls.RESPONSE.METHOD == cls.METHOD + "Response"
    for cls in m.RESPONSES:
        assert not cls.IS_REQUEST


def test_messages_are_immutable_values():
    a = m.GetParameterValues(("Device.DeviceInfo.",))
    with pytest.raises(AttributeError):
        a.parameter_names = ()  # type: ignore[misc]
    assert a == m.GetParameterValues(("Device.DeviceInfo.",))
    assert hash(a) == hash(m.GetParameterValues(("Device.DeviceInfo.",)))


def test_fault_takes_soap_class_from_the_table():
    assert m.Fault.of(9003).soap_fault_code == "Client"
    assert m.Fault.of(9002).soap_fault_code == "Server"
    assert m.Fault.of(8005).fault_string == "Retry request"
    assert faults.soap_fault_code(9005) == "Client"
    assert faults.fault_string(8006) == "ACS version incompatible with CPE"


def test_fault_tables_cover_the_schema_codes():
    assert set(faults.CPE_FAULTS) == set(range(9000, 9033))
    assert set(faults.ACS_FAULTS) == set(range(8000, 8007))


def test_parameter_values_keep_their_xsi_type_string():
    pvs = m.ParameterValueStruct("Device.X", "1", "xsd:boolean")
    env = m.Envelope(m.SetParameterValues((pvs,), "k"), id="7")
    data = soap.encode(env)
    assert b'<Value xsi:type="xsd:boolean">1</Value>' in data
    assert soap.decode(data).body.parameter_list[0] == pvs
