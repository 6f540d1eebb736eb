"""Every conversion of the mapping table, both ways."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from printbench.datamodel import conversions as C

# (converter, source value, DM value): to_dm(source) == dm and from_dm(dm) == source
ROUND_TRIPS = [
    ("identity", 7, 7),
    ("text", b"Ready", "Ready"),
    ("media_keyword", b"iso_a4_210x297mm", "iso_a4_210x297mm"),
    ("list", ("a", "b"), ["a", "b"]),
    ("bool_truth", True, True),
    ("ipp_printer_state", 3, "Idle"),
    ("ipp_printer_state", 5, "Stopped"),
    ("hr_printer_status", 4, "Processing"),
    ("hr_device_status", 5, "Down"),
    ("hr_state", (3, 2), "Idle"),
    ("hr_state", (4, 2), "Processing"),
    ("hr_state", (1, 5), "Stopped"),
    ("hr_state", (5, 4), "Testing"),
    ("state_keyword", "processing", "Processing"),
    ("prt_subunit_status", 0, ["AvailableAndIdle", "Online"]),
    (
        "prt_subunit_status",
        4 + 8 + 16,
        ["AvailableAndActive", "WarningAlerts", "CriticalAlerts", "Online"],
    ),
    ("prt_subunit_status", 3 + 32, ["UnavailableAndBroken", "Offline"]),
    ("prt_subunit_status", 64 + 2, ["AvailableAndStandby", "Transitioning", "Online"]),
    ("level", 42, 42),
    ("level", -3, -3),
    ("level_basis", -1, "Other"),
    ("level_basis", -2, "Unknown"),
    ("level_basis", -3, "NotEmpty"),
    ("level_basis", 0, "Actual"),
    ("supply_percent", (-2, 100), -2),
    ("prt_supply_type", 21, "TonerCartridge"),
    ("prt_supply_type", 4, "WasteToner"),
    ("prt_supply_class", 4, "ReceptacleThatIsFilled"),
    ("prt_input_type", 3, "SheetFeedAutoRemovableTray"),
    ("prt_cover_status", 3, "coverOpen"),
    ("if_status", 1, "Up"),
    ("state_supply_type", "opc", "Opc"),
    ("ipp_keyword", "two-sided-long-edge", "TwoSidedLongEdge"),
    ("ipp_keyword", "one-sided", "OneSided"),
    ("ipp_orientation", 4, "Landscape"),
    ("orientation_keyword", "reverse-portrait", "ReversePortrait"),
    ("feed_orientation", "long-edge-first", "LongEdgeFirst"),
    ("ipp_resolution_units", 4, "Dpcm"),
    ("resolution_units", "dpi", "Dpi"),
    ("vcard", "Jane Doe, IT", "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Jane Doe\\, IT\r\nEND:VCARD\r\n"),
    ("mac", b"\x00\x1b\xa9\x0a\xff\x01", "00:1b:a9:0a:ff:01"),
    ("date_and_time", bytes([7, 234, 11, 25, 13, 5, 9, 0]), "2026-11-25T13:05:09"),
    ("timeticks_seconds", 12300, 123),
    ("kbytes", (262144, 1024), 262144),
    ("orientation_to_feed", "portrait", "ShortEdgeFirst"),
    ("colorants_to_color", 4, True),
    ("colorants_to_color", 1, False),
    ("upper_first", "supplyThatIsConsumed", "SupplyThatIsConsumed"),
    ("state_reasons", ("none",), ["None"]),
    ("state_reasons", ("media-empty", "toner-low"), ["MediaEmpty", "TonerLow"]),
    ("cover_is_open", 3, True),
    ("cover_is_open", 4, False),
    ("cover_keyword_is_open", "open", True),
    ("prt_alert_code", 8, "MediaJam"),
    ("prt_alert_code", 1101, "MarkerTonerEmpty"),
    ("prt_alert_code", 502, "PrtAlertCodeTC:doorClosed"),
    ("prt_alert_code", 40123, "PrtAlertCodeTC:40123"),  # a vendor's own code
    ("alert_code", "jam", "MediaJam"),
    ("alert_code", "coverOpen", "CoverOpen"),
    ("prt_alert_group", 13, "MediaPath"),
    ("prt_alert_group", 8, "InputTray"),
    ("prt_alert_group", 6, "PrtAlertGroupTC:cover"),
    ("alert_group", "marker", "Marker"),
    ("prt_alert_severity", 3, "Critical"),
    ("prt_alert_severity", 1, "Informational"),
    ("alert_severity", "warning", "Warning"),
    ("timeticks_datetime", (12300, datetime(2026, 1, 2, tzinfo=UTC)), None),
]


@pytest.mark.parametrize(("name", "source", "dm"), ROUND_TRIPS)
def test_both_ways(name, source, dm):
    conv = C.get(name)
    if conv.context == "boot_time":  # (value, boot time) in, the DM value out; ticks back
        value, boot = source
        dm = boot + timedelta(seconds=value // 100)
        assert conv.to_dm(source) == dm
        assert conv.from_dm((dm, boot)) == value
        return
    assert conv.to_dm(source) == dm
    assert conv.from_dm(dm) == source


def test_every_converter_has_a_round_trip():
    assert {n for n, _, _ in ROUND_TRIPS} == set(C.CONVERTERS)


def test_one_way_cases():
    assert C.get("supply_percent").to_dm((30, 60)) == 50
    assert C.get("upper_first").to_dm(b"black") == "Black"  # a MIB DisplayString
    assert C.get("state_reasons").to_dm(["media-empty-error", "toner-low-warning"]) == [
        "MediaEmpty",
        "TonerLow",
    ]
    assert C.get("kbytes").to_dm((1000, 4096)) == 4000
    # IPP printer-input-tray carries the TC keyword (PWG 5100.13; CUPS ippeveprinter sends it)
    assert (
        C.get("prt_input_type").to_dm("sheetFeedAutoRemovableTray") == "SheetFeedAutoRemovableTray"
    )
    assert C.get("mac").to_dm(b"") == ""  # RFC 2863: no address, zero-length ifPhysAddress
    assert C.get("mac").to_dm("00-1B-A9-0A-FF-01") == "00:1b:a9:0a:ff:01"
    assert (
        C.get("vcard").from_dm("BEGIN:VCARD\nVERSION:3.0\nN:Doe;Jane\nFN:Jane\n Doe\nEND:VCARD")
        == "JaneDoe"
    )
    assert C.get("vcard").from_dm("plain text") == "plain text"
    utc = C.get("date_and_time").to_dm(bytes([7, 234, 1, 2, 3, 4, 5, 6, ord("+"), 2, 0]))
    assert utc == "2026-01-02T01:04:05.6Z"
    assert C.get("date_and_time").from_dm("2026-01-02T01:04:05.6Z") == bytes(
        [7, 234, 1, 2, 1, 4, 5, 6, ord("+"), 0, 0]
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ipp_printer_state", 9),
        ("prt_subunit_status", 7),
        ("prt_subunit_status", 127),
        ("mac", b"\x00\x01"),
        ("mac", "zz"),
        ("date_and_time", b"\x00"),
        ("ipp_keyword", "Not Keyword"),
        ("supply_percent", (5, 0)),
    ],
)
def test_bad_values_raise_conversion_error(name, value):
    with pytest.raises(C.ConversionError, match=name.split("_")[0]):
        C.get(name).to_dm(value)


def test_reverse_errors():
    with pytest.raises(C.ConversionError):
        C.get("prt_subunit_status").from_dm(["WarningAlerts"])
    with pytest.raises(C.ConversionError):
        C.get("hr_state").from_dm("Sleeping")
    with pytest.raises(C.ConversionError, match="unknown conversion"):
        C.get("nope")


def test_media_keyword_maps_free_text_into_the_pwg_keyword() -> None:
    """RFC 3805 prtInputMediaName is free text; TR-069's InputTrayMediaSizeName a PWG 5101.1
    keyword: the proxy maps one into the other as the printer itself does."""
    from printbench.datamodel.conversions import get

    conv = get("media_keyword")
    assert conv.to_dm(b"Plain A4") == "iso_a4_210x297mm"
    assert conv.to_dm(b"LETTER") == "na_letter_8.5x11in"
    assert conv.to_dm("na_legal_8.5x14in") == "na_legal_8.5x14in"
    assert conv.to_dm(b"Envelope DL") == "Envelope DL"  # names no known size: as it is
    assert conv.from_dm("iso_a4_210x297mm") == b"iso_a4_210x297mm"
