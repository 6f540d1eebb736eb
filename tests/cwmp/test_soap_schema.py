"""Every envelope the codec emits validates against the Broadband Forum's own XSDs.

The BBF files are loaded unmodified from settings.bbf_dir(); their SOAP imports resolve to
our stand-ins in cwmp/schemas/ (no network). The stand-in Body is strict, so an unknown
body element fails validation instead of being skipped.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from printbench.cwmp import messages as m
from printbench.cwmp import schema, soap
from tests.cwmp.strategies import strategy_for

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

CASES = [
    (ns, cls)
    for ns in (m.CWMP_1_0, m.CWMP_1_1, m.CWMP_1_2)
    for cls in m.ALL_MESSAGES
    if cls.METHOD in m.methods_in_namespace(ns)
]


@pytest.mark.parametrize(
    ("namespace", "cls"), CASES, ids=[f"{ns[-3:]}-{c.METHOD}" for ns, c in CASES]
)
@FAST
@given(data=st.data(), style=st.sampled_from(["word", "digit"]), ms=st.booleans())
def test_emitted_envelope_is_schema_valid(namespace, cls, data, style, ms):
    message = data.draw(strategy_for(cls, namespace))
    hold = data.draw(st.none() | st.booleans())
    envelope = m.Envelope(message, id="ID-1", hold_requests=hold, namespace=namespace)
    document = soap.encode(envelope, boolean_style=style, datetime_ms=ms)
    filename = schema.schema_for(envelope)
    assert schema.validation_errors(document, filename) == []


@FAST
@given(
    cls=st.sampled_from(m.ALL_MESSAGES),
    data=st.data(),
    timeout=st.none() | st.integers(0, 2**32 - 1),
    versions=st.none() | st.lists(st.sampled_from(m.ALL_VERSIONS), min_size=1).map(tuple),
    use=st.none() | st.sampled_from(m.ALL_VERSIONS),
)
def test_cwmp_1_3_and_1_4_headers_validate_against_cwmp_1_4(cls, data, timeout, versions, use):
    message = data.draw(strategy_for(cls))
    envelope = m.Envelope(
        message,
        id="x",
        session_timeout=timeout,
        supported_cwmp_versions=versions,
        use_cwmp_version=use,
    )
    document = soap.encode(envelope)
    assert schema.validation_errors(document, schema.SCHEMA_1_4) == []


def _inform() -> m.Inform:
    return m.Inform(
        m.DeviceIdStruct("ACME", "00D0B7", "Printer", "SN1"),
        (m.EventStruct("1 BOOT"),),
        1,
        datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
        0,
        (m.ParameterValueStruct("Device.DeviceInfo.UpTime", "12", "xsd:unsignedInt"),),
    )


def test_the_validator_does_reject_invalid_documents():
    good = soap.encode(m.Envelope(_inform(), id="1"))
    assert schema.validation_errors(good, "cwmp-1-2.xsd") == []
    # A value that does not match its xsi:type.
    bad_value = good.replace(b">12<", b">twelve<")
    assert schema.validation_errors(bad_value, "cwmp-1-2.xsd")
    # An OUI that breaks the pattern.
    assert schema.validation_errors(good.replace(b"00D0B7", b"00d0b7"), "cwmp-1-2.xsd")
    # A misspelt method.
    assert schema.validation_errors(good.replace(b"cwmp:Inform>", b"cwmp:Inf0rm>"), "cwmp-1-2.xsd")
    # cwmp:ID without mustUnderstand.
    no_mu = good.replace(b' SOAP-ENV:mustUnderstand="1"', b"", 1)
    assert schema.validation_errors(no_mu, "cwmp-1-2.xsd")


def test_session_timeout_header_is_checked_by_cwmp_1_4():
    env = m.Envelope(_inform(), id="1", session_timeout=30)
    good = soap.encode(env)
    assert schema.validation_errors(good, "cwmp-1-4.xsd") == []
    bad = good.replace(b">30<", b">-1<")
    assert schema.validation_errors(bad, "cwmp-1-4.xsd")


def test_schema_loading_never_uses_the_network():
    resolver = schema._LocalResolver(schema._bbf_dir())
    with pytest.raises(schema.SchemaError):
        resolver.resolve("http://example.com/evil.xsd", None, None)
