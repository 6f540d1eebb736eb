"""The IPP codec: round trips of every value type, wire layout, and precise decode errors."""

from __future__ import annotations

import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from printbench.ipp.codec import (
    Attribute,
    DateTime,
    Group,
    IppDecodeError,
    IppEncodeError,
    Message,
    Range,
    Resolution,
    StringWithLanguage,
    Tag,
    decode,
    encode,
)

names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-0123456789", min_size=1, max_size=30)
text = st.text(max_size=60)
int32 = st.integers(-(2**31), 2**31 - 1)

SCALARS = {
    Tag.INTEGER: int32,
    Tag.ENUM: int32,
    Tag.BOOLEAN: st.booleans(),
    Tag.OCTET_STRING: st.binary(max_size=40),
    Tag.DATE_TIME: st.builds(
        DateTime,
        st.integers(0, 65535),
        st.integers(0, 255),
        st.integers(0, 255),
        st.integers(0, 255),
        st.integers(0, 255),
        st.integers(0, 255),
        st.integers(0, 255),
        st.sampled_from("+-"),
        st.integers(0, 255),
        st.integers(0, 255),
    ),
    Tag.RESOLUTION: st.builds(Resolution, int32, int32, st.integers(-128, 127)),
    Tag.RANGE_OF_INTEGER: st.builds(Range, int32, int32),
    Tag.TEXT_WITH_LANGUAGE: st.builds(StringWithLanguage, text, st.text(max_size=8)),
    Tag.NAME_WITH_LANGUAGE: st.builds(StringWithLanguage, text, st.text(max_size=8)),
    Tag.TEXT: text,
    Tag.NAME: text,
    Tag.KEYWORD: text,
    Tag.URI: text,
    Tag.URI_SCHEME: text,
    Tag.CHARSET: text,
    Tag.NATURAL_LANGUAGE: text,
    Tag.MIME_MEDIA_TYPE: text,
    Tag.UNSUPPORTED: st.just(b""),
    Tag.UNKNOWN: st.just(b""),
    Tag.NO_VALUE: st.just(b""),
    Tag.NOT_SETTABLE: st.just(b""),
    Tag.DELETE_ATTRIBUTE: st.just(b""),
    Tag.ADMIN_DEFINE: st.just(b""),
    Tag.EXTENSION: st.binary(min_size=4, max_size=12),
    0x43: st.binary(max_size=8),  # reserved string tag: raw bytes
    0x38: st.binary(max_size=8),  # reserved octetString tag
}


def tagged_values(depth: int) -> st.SearchStrategy:
    scalar = st.sampled_from(list(SCALARS)).flatmap(
        lambda t: st.tuples(st.just(int(t)), SCALARS[t])
    )
    if depth >= 2:
        return scalar
    coll = st.lists(attributes(depth + 1), max_size=3).map(lambda ms: (int(Tag.BEG_COLLECTION), ms))
    return st.one_of(scalar, coll)


@st.composite
def attributes(draw, depth: int = 0) -> Attribute:
    tv = draw(st.lists(tagged_values(depth), min_size=1, max_size=4))
    tags = [t for t, _ in tv]
    same = all(t == tags[0] for t in tags)
    return Attribute(draw(names), tags[0], [v for _, v in tv], None if same else tags)


messages = st.builds(
    Message,
    st.tuples(st.integers(0, 255), st.integers(0, 255)),
    st.integers(0, 65535),
    int32,
    st.lists(
        st.builds(
            Group,
            st.sampled_from([0x01, 0x02, 0x04, 0x05, 0x06, 0x07, 0x09, 0x0A, 0x0F]),
            st.lists(attributes(), max_size=5),
        ),
        max_size=4,
    ),
    st.binary(max_size=50),
)


@settings(max_examples=120, suppress_health_check=[HealthCheck.too_slow])
@given(messages)
def test_ipp_encode_decode_round_trip(msg: Message) -> None:
    wire = encode(msg)
    back = decode(wire)
    assert back == msg
    assert encode(back) == wire  # lossless both ways


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=200))
def test_ipp_random_bytes_decode_or_raise_decode_error(data: bytes) -> None:
    try:
        msg = decode(data)
    except IppDecodeError as exc:
        assert 0 <= exc.offset <= len(data)
        return
    assert encode(msg) == data


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(messages, st.data())
def test_ipp_truncated_messages_raise_decode_error(msg: Message, data: st.DataObject) -> None:
    wire = encode(msg)
    cut = data.draw(st.integers(0, len(wire) - len(msg.data) - 1))
    with pytest.raises(IppDecodeError):
        decode(wire[:cut])


def _gpa() -> Message:
    msg = Message((2, 0), 0x000B, 7)
    op = msg.add_group(0x01)
    op.add("attributes-charset", Tag.CHARSET, "utf-8")
    op.add("attributes-natural-language", Tag.NATURAL_LANGUAGE, "en")
    op.add("printer-uri", Tag.URI, "ipp://127.0.0.1/ipp/print")
    op.add("requested-attributes", Tag.KEYWORD, "printer-state", "printer-state-reasons")
    return msg


def test_ipp_wire_layout_matches_rfc8010() -> None:
    wire = encode(_gpa())
    assert wire[:8] == b"\x02\x00\x00\x0b\x00\x00\x00\x07"
    assert wire[8] == 0x01
    assert wire[9:32] == b"\x47\x00\x12attributes-charset\x00\x05"
    # additional value: same tag, empty name
    tail = b"\x44\x00\x00\x00\x15printer-state-reasons\x03"
    assert wire.endswith(tail)


def test_ipp_collection_layout_and_nesting() -> None:
    size = [
        Attribute("x-dimension", Tag.INTEGER, [21000]),
        Attribute("y-dimension", Tag.INTEGER, [29700]),
    ]
    col = [
        Attribute("media-size", Tag.BEG_COLLECTION, [size]),
        Attribute("media-type", Tag.KEYWORD, ["stationery"]),
    ]
    msg = Message(
        (1, 1), 0, 1, [Group(0x04, [Attribute("media-col-default", Tag.BEG_COLLECTION, [col])])]
    )
    wire = encode(msg)
    body = wire[9:-1]
    assert body.startswith(
        b"\x34\x00\x11media-col-default\x00\x00\x4a\x00\x00\x00\x0amedia-size\x34\x00\x00\x00\x00"
    )
    assert body.endswith(b"\x44\x00\x00\x00\x0astationery\x37\x00\x00\x00\x00")
    back = decode(wire)
    assert back.find("media-col-default").member("media-size").value[0].values == [21000]


def test_ipp_mixed_tags_and_out_of_band() -> None:
    attr = Attribute(
        "job-sheets-supported", Tag.KEYWORD, ["none", "Company"], [Tag.KEYWORD, Tag.NAME]
    )
    oob = Attribute("media-default", Tag.NO_VALUE, [b""])
    msg = Message((2, 0), 0, 1, [Group(0x04, [attr, oob])], b"%PDF-1.4")
    back = decode(encode(msg))
    assert back.groups[0].attributes[0].tags() == [Tag.KEYWORD, Tag.NAME]
    assert back.groups[0].attributes[1].tag == Tag.NO_VALUE
    assert back.data == b"%PDF-1.4"


def test_ipp_datetime_round_trips_a_datetime() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 3, 4, 5, 6, 7, 800_000, tzinfo=UTC)
    dt = DateTime.from_datetime(now)
    assert dt.to_datetime() == now
    wire = encode(Message(groups=[Group(1, [Attribute("d", Tag.DATE_TIME, [now])])]))
    assert decode(wire).find("d").value == dt


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\x02\x00\x00\x0b", "8-byte header"),
        (b"\x02\x00\x00\x0b\x00\x00\x00\x01", "end-of-attributes"),
        (
            b"\x02\x00\x00\x0b\x00\x00\x00\x01\x21\x00\x01a\x00\x04\x00\x00\x00\x01\x03",
            "group tag before",
        ),
        (
            b"\x02\x00\x00\x0b\x00\x00\x00\x01\x01\x21\x00\x01a\x00\x03\x00\x00\x01\x03",
            "value-length 4",
        ),
        (
            b"\x02\x00\x00\x0b\x00\x00\x00\x01\x01\x21\x00\x00\x00\x04\x00\x00\x00\x01\x03",
            "an attribute name",
        ),
        (b"\x02\x00\x00\x0b\x00\x00\x00\x01\x01\x44\x00\x09abc", "bytes of attribute name"),
        (b"\x02\x00\x00\x0b\x00\x00\x00\x01\x01\x34\x00\x01c\x00\x00\x03", "endCollection"),
        (b"\x02\x00\x00\x0b\x00\x00\x00\x01\x01\x37\x00\x00\x00\x00\x03", "outside a collection"),
        (b"\x02\x00\x00\x0b\x00\x00\x00\x01\x01\x22\x00\x01b\x00\x01\x07\x03", "boolean"),
        (b"\x02\x00\x00\x0b\x00\x00\x00\x01\x01\x41\x00\x01t\x00\x01\xff\x03", "UTF-8"),
    ],
)
def test_ipp_decode_errors_name_offset_and_expectation(data: bytes, expected: str) -> None:
    with pytest.raises(IppDecodeError) as info:
        decode(data)
    assert expected in str(info.value)
    assert 0 <= info.value.offset <= len(data)


def test_ipp_deep_collections_are_capped() -> None:
    body = b"\x34\x00\x01c\x00\x00" + (b"\x4a\x00\x00\x00\x01m\x34\x00\x00\x00\x00") * 40
    with pytest.raises(IppDecodeError, match="nested at most"):
        decode(b"\x02\x00\x00\x0b\x00\x00\x00\x01\x01" + body + b"\x03")


def test_ipp_too_many_values_are_capped() -> None:
    one = b"\x21\x00\x00\x00\x04" + struct.pack(">i", 1)
    data = (
        b"\x02\x00\x00\x0b\x00\x00\x00\x01\x01\x21\x00\x01a\x00\x04\x00\x00\x00\x01"
        + one * 210_000
        + b"\x03"
    )
    with pytest.raises(IppDecodeError, match="at most"):
        decode(data)


def test_ipp_encode_rejects_wrong_types() -> None:
    with pytest.raises(IppEncodeError, match="copies"):
        encode(Message(groups=[Group(1, [Attribute("copies", Tag.INTEGER, ["two"])])]))
    with pytest.raises(IppEncodeError, match="65535"):
        encode(Message(groups=[Group(1, [Attribute("t", Tag.TEXT, ["x" * 70000])])]))
