"""TR-106 data types: lexical rules, canonical forms, facets, named types from the BBF file."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from printbench.cwmp import types as T


def error(t: T.ParamType, v: str) -> T.ParamTypeError:
    with pytest.raises(T.ParamTypeError) as ei:
        t.validate(v)
    assert isinstance(ei.value, TypeError)
    return ei.value


def fault(t: T.ParamType, v: str) -> int:
    return error(t, v).fault


# -- integers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "lo", "hi"),
    [
        ("int", -(2**31), 2**31 - 1),
        ("unsignedInt", 0, 2**32 - 1),
        ("long", -(2**63), 2**63 - 1),
        ("unsignedLong", 0, 2**64 - 1),
    ],
)
def test_integer_bounds(base, lo, hi):
    t = T.base_type(base)
    assert t.validate(str(lo)) == str(lo) and t.validate(str(hi)) == str(hi)
    assert fault(t, str(lo - 1)) == 9006
    assert fault(t, str(hi + 1)) == 9006
    assert t.xsi_type == f"xsd:{base}"


@given(st.integers(-(2**31), 2**31 - 1), st.sampled_from(["", "+", " "]), st.integers(0, 3))
def test_int_canonical_form(v, prefix, zeros):
    text = ("-" if v < 0 else prefix.strip() or prefix) + "0" * zeros + str(abs(v))
    assert T.int_().validate(text) == str(v)
    assert T.int_().to_python(text) == v


@given(st.text(max_size=12))
def test_int_rejects_non_integers(s):
    t = T.int_()
    try:
        out = t.validate(s)
    except T.ParamTypeError as e:
        assert e.fault == 9006
        assert "integer" in e.message or "range" in e.message
    else:
        assert int(out) == int(s.strip())


def test_ranges_and_step():
    t = T.unsigned_int(ranges=[(1, 10), T.Range(100, 200, 50)])
    assert t.validate("5") == "5" and t.validate("150") == "150"
    for bad in ("0", "11", "125", "250"):
        err = error(t, bad)
        assert err.fault == 9007 and bad in err.message and "range" in err.message


def test_decimal():
    t = (
        T.decimal(ranges=[(T.Decimal("-1.5"), T.Decimal("2"))])
        if hasattr(T, "Decimal")
        else T.decimal()
    )
    assert T.decimal().validate("001.500") == "1.5"
    assert T.decimal().validate("-0.0") == "0"
    assert fault(T.decimal(), "1e5") == 9006
    assert t.validate("2") == "2"


# -- boolean ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("v", "canon", "digit"),
    [("true", "true", "1"), ("1", "true", "1"), ("false", "false", "0"), ("0", "false", "0")],
)
def test_boolean(v, canon, digit):
    assert T.boolean().validate(v) == canon
    assert T.boolean(as_digit=True).validate(v) == digit
    assert T.boolean().to_python(v) is (canon == "true")


@pytest.mark.parametrize("v", ["True", "yes", "2", "", "t"])
def test_boolean_rejects(v):
    assert fault(T.boolean(), v) == 9006


def test_boolean_from_python():
    assert T.boolean().from_python(True) == "true"
    assert T.boolean(as_digit=True).from_python(False) == "0"


# -- dateTime -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("v", "canon"),
    [
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),
        ("9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z"),
        ("2024-02-29T12:00:00.120Z", "2024-02-29T12:00:00.12Z"),
        ("2024-02-29T12:00:00+02:00", "2024-02-29T10:00:00Z"),
        ("2024-02-29T12:00:00", "2024-02-29T12:00:00Z"),
        ("2024-02-29T12:00:00.1234567Z", "2024-02-29T12:00:00.123456Z"),
        ("2024-12-31T24:00:00Z", "2025-01-01T00:00:00Z"),
    ],
)
def test_datetime_valid(v, canon):
    assert T.date_time().validate(v) == canon
    assert T.date_time().xsi_type == "xsd:dateTime"


@pytest.mark.parametrize(
    "v",
    [
        "2023-02-29T00:00:00Z",
        "2024-13-01T00:00:00Z",
        "2024-01-01 00:00:00Z",
        "2024-01-01T25:00:00Z",
        "0000-01-01T00:00:00Z",
        "0001-01-01T00:00:00+01:00",
        "yesterday",
        "",
    ],
)
def test_datetime_invalid(v):
    assert fault(T.date_time(), v) == 9006


@given(
    st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
    )
)
def test_datetime_roundtrip(dt):
    t = T.date_time()
    text = t.from_python(dt)
    assert text.endswith("Z")
    assert t.to_python(text) == dt
    assert T.parse_datetime(T.format_datetime(dt, milliseconds=True)) == dt.replace(
        microsecond=dt.microsecond // 1000 * 1000
    )


def test_unknown_time_and_relative_since_boot():
    assert T.parse_datetime(T.UNKNOWN_TIME) == datetime(1, 1, 1, tzinfo=UTC)
    since_boot = datetime(1, 1, 1, tzinfo=UTC) + timedelta(seconds=3600)
    assert T.date_time().from_python(since_boot) == "0001-01-01T01:00:00Z"


# -- base64 / hexBinary -------------------------------------------------------------------------


@given(st.binary(max_size=40))
def test_base64_and_hex_roundtrip(data):
    b64 = T.base64_()
    assert b64.to_python(base64.b64encode(data).decode()) == data
    hx = T.hex_binary()
    assert hx.validate(data.hex()) == data.hex().upper()
    assert hx.to_python(data.hex()) == data


def test_binary_lengths_count_bytes():
    assert T.hex_binary(2).validate("a1b2") == "A1B2"
    assert fault(T.hex_binary(2), "a1b2c3") == 9007
    assert fault(T.hex_binary(), "abc") == 9006
    assert T.base64_(3).validate("YW Jj") == "YWJj"
    assert fault(T.base64_(2), "YWJj") == 9007
    assert fault(T.base64_(), "YWJ") == 9006
    assert fault(T.base64_(), "Y!==") == 9006


# -- strings, facets ---------------------------------------------------------------------------


def test_string_length_enumeration_pattern():
    t = T.string(5)
    assert t.validate("abcde") == "abcde"
    err = error(t, "abcdef")
    assert err.fault == 9007 and "'abcdef'" in err.message and "maximum 5" in err.message
    e = T.string(enumerations=["Idle", "Printing"])
    assert e.validate("Idle") == "Idle"
    assert fault(e, "idle") == 9007
    p = T.string(patterns=[r"[A-Z]{3}"])
    assert p.validate("ABC") == "ABC" and fault(p, "ABCD") == 9007
    assert fault(T.string(), "bell\x07") == 9007
    assert fault(T.string(min_length=2), "a") == 9007


def test_non_string_input_is_type_fault():
    assert fault(T.string(), 5) == 9006  # type: ignore[arg-type]


@given(st.text(max_size=80))
def test_string_max_length_property(s):
    t = T.string(40)
    clean = not any((ord(c) < 32 and c not in "\t\r\n") or c in "\ufffe\uffff" for c in s)
    if len(s) <= 40 and clean:
        assert t.validate(s) == s
    else:
        assert fault(t, s) == 9007


# -- lists ---------------------------------------------------------------------------------------


def test_lists():
    t = T.unsigned_int(max=10).as_list(max_items=3, max_length=10)
    assert t.validate("") == "" and t.to_python("") == []
    assert t.validate("1, 2 ,3") == "1,2,3"
    assert t.to_python("1,2") == [1, 2]
    assert t.from_python([4, 5]) == "4,5"
    assert t.xsi_type == "xsd:string"
    err = error(t, "1,2,3,4")
    assert err.fault == 9007 and "maximum 3" in err.message
    err = error(t, "1,x")
    assert err.fault == 9006 and "item 2" in err.message
    assert fault(t, "1,11") == 9007
    assert fault(T.string().as_list(max_length=5), "abc,def") == 9007


@given(st.lists(st.integers(0, 100), max_size=8))
def test_list_roundtrip(xs):
    t = T.unsigned_int().as_list()
    assert t.to_python(t.from_python(xs)) == xs


# -- named types from tr-106-types.xml ----------------------------------------------------------


def test_named_types_come_from_the_bbf_file():
    names = T.named_types()
    for n in (
        "MACAddress",
        "IPAddress",
        "IPv4Address",
        "IPv6Address",
        "UUID",
        "Alias",
        "URL",
        "URI",
        "URN",
        "StatsCounter32",
        "StatsCounter64",
        "Dbm1000",
        "DiagnosticsState",
        "IEEE_EUI64",
        "IPv4Prefix",
        "Order",
    ):
        assert n in names, n
    assert T.named("StatsCounter64").xsi_type == "xsd:unsignedLong"
    assert T.named("StatsCounter32").base == "unsignedInt"
    assert T.named("Dbm1000").xsi_type == "xsd:int"
    assert T.named("Alias").max_length == 64
    assert T.named("URL").max_length == 2048
    assert T.named("Order").ranges == (T.Range(1, None),)
    assert "Requested" in T.named("DiagnosticsState").enumerations
    with pytest.raises(KeyError, match="MACAddress"):
        T.named("NoSuchType")


@pytest.mark.parametrize(
    ("name", "good", "bad"),
    [
        (
            "MACAddress",
            ["", "00:1A:2b:3C:4d:5E"],
            ["001A2B3C4D5E", "00:1A:2B:3C:4D", "00:1A:2B:3C:4D:5G"],
        ),
        ("IPv4Address", ["", "192.168.1.254", "0.0.0.0"], ["256.1.1.1", "1.2.3", "::1"]),
        (
            "IPv6Address",
            ["", "1080::800:ba98:3210:11aa:12dd", "0:0:0:0:0:0:13.1.68.3"],
            ["1.2.3.4", "fe80::1%eth0", "gggg::"],
        ),
        ("IPAddress", ["", "10.0.0.1", "::1"], ["10.0.0", "x"]),
        (
            "UUID",
            ["123e4567-e89b-12d3-a456-426614174000"],
            ["123e4567e89b12d3a456426614174000", ""],
        ),
        ("URN", ["urn:ietf:rfc:2648"], ["http://x", "urn:x"]),
        ("IPv4Prefix", ["", "/24", "10.0.0.0/8"], ["10.0.0.0", "10.0.0.0/33"]),
        ("IPv6Prefix", ["", "2001:db8::/32"], ["2001:db8::", "10.0.0.0/8"]),
        ("Order", ["1", "99"], ["0"]),
        ("ZigBeeNetworkAddress", ["", "1a2B"], ["12345"]),
    ],
)
def test_named_type_values(name, good, bad):
    t = T.named(name)
    for v in good:
        assert t.validate(v) == v, (name, v)
    for v in bad:
        assert fault(t, v) in (9006, 9007), (name, v)


def test_named_type_restriction_and_xsi_lookup():
    mac = T.named("MACAddress").as_list(max_items=2)
    assert (
        mac.validate("00:00:00:00:00:01, 00:00:00:00:00:02")
        == "00:00:00:00:00:01,00:00:00:00:00:02"
    )
    assert T.base_of_xsi("xsd:unsignedInt") == "unsignedInt"
    assert T.base_of_xsi("xs:base64Binary") == "base64"
    assert T.base_of_xsi("soap:foo") is None
    assert T.type_by_name("hexBinary").xsi_type == "xsd:hexBinary"


def test_types_file_errors(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text("<document><dataType name='A' base='B'/></document>")
    with pytest.raises(T.TypesFileError, match="unknown base 'B'"):
        T.load_named_types(bad)
    bad.write_text("<document")
    with pytest.raises(T.TypesFileError, match=r"bad\.xml"):
        T.load_named_types(bad)
    ext = tmp_path / "ext.xml"
    ext.write_text(
        f'<!DOCTYPE d [<!ENTITY x SYSTEM "file://{bad}">]><document><dataType name="A"><string>'
        '<pattern value="a"/></string></dataType></document>'
    )
    assert T.load_named_types(ext)["A"].validate("a") == "a"
