"""The BER codec and the enumeration tables."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as hs
from pyasn1.codec.ber import decoder as pyasn1_decoder
from pysnmp.proto.api import v2c

from printbench.emulator.profiles import load_profile
from printbench.emulator.snmp import enums as en
from printbench.snmp import ber

oids = hs.lists(hs.integers(0, 2**32 - 1), min_size=1, max_size=30).map(lambda t: (1, 3, *t))
values = hs.one_of(
    hs.integers(-(2**31), 2**31 - 1).map(lambda v: (ber.INTEGER, v)),
    hs.binary(max_size=300).map(lambda v: (ber.OCTET_STRING, v)),
    oids.map(lambda v: (ber.OBJECT_IDENTIFIER, v)),
    hs.integers(0, 2**32 - 1).map(lambda v: (ber.COUNTER32, v)),
    hs.integers(0, 2**32 - 1).map(lambda v: (ber.GAUGE32, v)),
    hs.integers(0, 2**32 - 1).map(lambda v: (ber.TIMETICKS, v)),
    hs.integers(0, 2**64 - 1).map(lambda v: (ber.COUNTER64, v)),
    hs.just((ber.NULL, None)),
    hs.just((ber.END_OF_MIB_VIEW, None)),
)


@given(hs.integers(-(2**31), 2**31 - 1), hs.lists(hs.tuples(oids, values), max_size=8))
def test_round_trip_and_pysnmp_agrees(request_id: int, varbinds: list) -> None:
    body = b"".join(ber.encode_varbind(o, v) for o, v in varbinds)
    data = ber.encode_message(1, b"public", ber.RESPONSE, request_id, 0, 0, body)
    msg = ber.decode_message(data)
    assert (msg.version, msg.community, msg.request_id, msg.varbinds) == (
        1,
        b"public",
        request_id,
        varbinds,
    )
    theirs, rest = pyasn1_decoder.decode(data, asn1Spec=v2c.Message())  # an independent decoder
    assert rest == b""
    pdu = v2c.apiMessage.get_pdu(theirs)
    assert int(v2c.apiPDU.get_request_id(pdu)) == request_id
    got = v2c.apiPDU.get_varbinds(pdu)
    assert [tuple(o) for o, _ in got] == [o for o, _ in varbinds]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x30",
        b"\x30\x80\x02\x01\x01\x00\x00",
        b"\x30\x03\x02\x01\x03",
        b"\x30\x84\xff\xff\xff\xff",
        b"\x31\x03\x02\x01\x01",
        b"\x1f\x01\x00",
    ],
)
def test_malformed_messages_raise_ber_error(data: bytes) -> None:
    with pytest.raises(ber.BerError):
        ber.decode_message(data)


def test_trailing_bytes_are_rejected() -> None:
    good = ber.encode_message(
        1, b"public", ber.GET, 1, 0, 0, ber.encode_varbind((1, 3, 6), (ber.NULL, None))
    )
    ber.decode_message(good)
    with pytest.raises(ber.BerError):
        ber.decode_message(good + b"\x00")


def test_known_enumeration_values() -> None:
    assert en.PRT_MARKER_SUPPLIES_TYPE["toner"] == 3
    assert en.PRT_MARKER_SUPPLIES_TYPE["tonerCartridge"] == 21
    assert en.PRT_MARKER_SUPPLIES_TYPE["wasteToner"] == 4
    assert en.PRT_MARKER_SUPPLIES_TYPE["opc"] == 9
    assert en.PRT_MARKER_SUPPLIES_CLASS["receptacleThatIsFilled"] == 4
    assert en.PRT_MARKER_SUPPLIES_SUPPLY_UNIT["percent"] == 19
    assert en.PRT_MARKER_MARK_TECH["electrophotographicLaser"] == 4
    assert en.PRT_CHANNEL_TYPE["chIPP"] == 44 and en.PRT_CHANNEL_TYPE["chLPDServer"] == 8
    assert (
        en.PRT_INTERPRETER_LANG_FAMILY["langPDF"] == 54
        and en.PRT_INTERPRETER_LANG_FAMILY["langPS"] == 6
    )
    assert en.PRT_ALERT_CODE["jam"] == 8 and en.PRT_ALERT_CODE["markerTonerEmpty"] == 1101
    assert en.PRT_ALERT_GROUP["markerSupplies"] == 11 and en.PRT_ALERT_GROUP["input"] == 8
    assert en.HR_PRINTER_ERROR_BITS["overduePreventMaint"] == 14
    with pytest.raises(en.UnknownKeyword):
        en.enum_value(en.PRT_INPUT_TYPE, "nonsense", "PrtInputTypeTC", default=None)


@pytest.mark.parametrize(
    ("section", "key", "table"),
    [
        ("supplies", "supply_type", en.PRT_MARKER_SUPPLIES_TYPE),
        ("supplies", "supply_class", en.PRT_MARKER_SUPPLIES_CLASS),
        ("supplies", "unit", en.PRT_MARKER_SUPPLIES_SUPPLY_UNIT),
        ("input_trays", "tray_type", en.PRT_INPUT_TYPE),
        ("output_trays", "tray_type", en.PRT_OUTPUT_TYPE),
        ("markers", "technology", en.PRT_MARKER_MARK_TECH),
        ("markers", "counter_unit", en.PRT_MARKER_COUNTER_UNIT),
        ("media_paths", "path_type", en.PRT_MEDIA_PATH_TYPE),
        ("channels", "channel_type", en.PRT_CHANNEL_TYPE),
        ("interpreters", "lang_family", en.PRT_INTERPRETER_LANG_FAMILY),
        ("covers", "status", en.PRT_COVER_STATUS),
    ],
)
def test_every_profile_keyword_has_a_number(section: str, key: str, table: dict) -> None:
    from printbench.emulator.profiles import list_profiles

    for name in list_profiles():
        for row in load_profile(name).data.get(section, []):
            if key in row:
                assert row[key] in table, (
                    f"profile {name}: {section}.{key} = {row[key]!r} has no SNMP value"
                )


def test_enumeration_tables_are_injective_where_the_tc_is() -> None:
    for name, table in en.ALL_TABLES.items():
        if name == "PrtCoverStatusTC":  # the state's short forms alias coverOpen/coverClosed
            continue
        assert len(set(table.values())) == len(table), name


@pytest.mark.parametrize(
    "value",
    [
        (ber.INTEGER, "7"),
        (ber.OCTET_STRING, "text"),
        (ber.OBJECT_IDENTIFIER, "1.3.6"),
        (ber.COUNTER32, b"\x01"),
    ],
)
def test_a_value_of_the_wrong_type_is_a_value_error_naming_its_tag(value) -> None:
    """A MIB value of the wrong Python type for its tag fails with a ValueError that names
    the tag (the agent logs it), not with an AttributeError from inside the encoder."""
    with pytest.raises(ValueError, match=f"tag 0x{value[0]:02x}"):
        ber.encode_value(value)
