"""`printbench profile import`: hand-written walks in both formats become profiles that build."""

from __future__ import annotations

import pytest

from printbench.cli import main
from printbench.common.clock import FakeClock
from printbench.emulator.behaviour import PrinterEngine
from printbench.emulator.profile_import import WalkError, import_walk, read_walk
from printbench.emulator.profiles import build_printer, parse_profile

# A colour laser walked with `snmpwalk -v2c -c public -On HOST` (written for this test).
SNMPWALK = """\
.1.3.6.1.2.1.1.1.0 = STRING: "Lexmark CS421dn version CSNGV.081.231 kernel 5.4"
.1.3.6.1.2.1.1.2.0 = OID: .1.3.6.1.4.1.641.2
.1.3.6.1.2.1.1.4.0 = STRING: "IT desk"
.1.3.6.1.2.1.1.5.0 = STRING: "lex-2nd-floor"
.1.3.6.1.2.1.1.6.0 = STRING: "2nd floor copy room"
.1.3.6.1.2.1.2.2.1.2.1 = STRING: "Loopback"
.1.3.6.1.2.1.2.2.1.2.2 = STRING: "Lexmark Ethernet"
.1.3.6.1.2.1.2.2.1.3.1 = INTEGER: 24
.1.3.6.1.2.1.2.2.1.3.2 = INTEGER: 6
.1.3.6.1.2.1.2.2.1.5.2 = Gauge32: 1000000000
.1.3.6.1.2.1.2.2.1.6.1 = ""
.1.3.6.1.2.1.2.2.1.6.2 = Hex-STRING: 00 21 B7 4A 10 2C
.1.3.6.1.2.1.25.2.3.1.2.1 = OID: .1.3.6.1.2.1.25.2.1.2
.1.3.6.1.2.1.25.2.3.1.3.1 = STRING: "RAM"
.1.3.6.1.2.1.25.2.3.1.4.1 = INTEGER: 1024
.1.3.6.1.2.1.25.2.3.1.5.1 = INTEGER: 1048576
.1.3.6.1.2.1.25.2.3.1.6.1 = INTEGER: 200000
.1.3.6.1.2.1.25.3.2.1.2.1 = OID: .1.3.6.1.2.1.25.3.1.5
.1.3.6.1.2.1.25.3.2.1.3.1 = STRING: "Lexmark CS421dn"
.1.3.6.1.2.1.43.5.1.1.11.1 = INTEGER: 4
.1.3.6.1.2.1.43.5.1.1.12.1 = INTEGER: 24
.1.3.6.1.2.1.43.5.1.1.17.1 = STRING: "75262A1B0C7"
.1.3.6.1.2.1.43.6.1.1.2.1.1 = STRING: "Front Door"
.1.3.6.1.2.1.43.6.1.1.3.1.1 = INTEGER: 4
.1.3.6.1.2.1.43.8.2.1.2.1.1 = INTEGER: 3
.1.3.6.1.2.1.43.8.2.1.2.1.2 = INTEGER: 5
.1.3.6.1.2.1.43.8.2.1.9.1.1 = INTEGER: 250
.1.3.6.1.2.1.43.8.2.1.9.1.2 = INTEGER: 1
.1.3.6.1.2.1.43.8.2.1.10.1.1 = INTEGER: 200
.1.3.6.1.2.1.43.8.2.1.10.1.2 = INTEGER: 0
.1.3.6.1.2.1.43.8.2.1.12.1.1 = STRING: "Letter"
.1.3.6.1.2.1.43.8.2.1.12.1.2 = STRING: "A4"
.1.3.6.1.2.1.43.8.2.1.13.1.1 = STRING: "Tray 1"
.1.3.6.1.2.1.43.8.2.1.13.1.2 = STRING: "Manual Feeder"
.1.3.6.1.2.1.43.9.2.1.2.1.1 = INTEGER: 4
.1.3.6.1.2.1.43.9.2.1.4.1.1 = INTEGER: 150
.1.3.6.1.2.1.43.9.2.1.5.1.1 = INTEGER: 150
.1.3.6.1.2.1.43.9.2.1.7.1.1 = STRING: "Standard Bin"
.1.3.6.1.2.1.43.10.2.1.2.1.1 = INTEGER: 4
.1.3.6.1.2.1.43.10.2.1.3.1.1 = INTEGER: 7
.1.3.6.1.2.1.43.10.2.1.4.1.1 = Counter32: 12345
.1.3.6.1.2.1.43.10.2.1.6.1.1 = INTEGER: 4
.1.3.6.1.2.1.43.11.1.1.2.1.1 = INTEGER: 1
.1.3.6.1.2.1.43.11.1.1.2.1.2 = INTEGER: 1
.1.3.6.1.2.1.43.11.1.1.2.1.3 = INTEGER: 1
.1.3.6.1.2.1.43.11.1.1.2.1.4 = INTEGER: 1
.1.3.6.1.2.1.43.11.1.1.2.1.5 = INTEGER: 1
.1.3.6.1.2.1.43.11.1.1.3.1.1 = INTEGER: 1
.1.3.6.1.2.1.43.11.1.1.3.1.2 = INTEGER: 2
.1.3.6.1.2.1.43.11.1.1.3.1.3 = INTEGER: 3
.1.3.6.1.2.1.43.11.1.1.3.1.4 = INTEGER: 4
.1.3.6.1.2.1.43.11.1.1.3.1.5 = INTEGER: 0
.1.3.6.1.2.1.43.11.1.1.4.1.1 = INTEGER: 3
.1.3.6.1.2.1.43.11.1.1.4.1.5 = INTEGER: 4
.1.3.6.1.2.1.43.11.1.1.5.1.1 = INTEGER: 21
.1.3.6.1.2.1.43.11.1.1.5.1.2 = INTEGER: 21
.1.3.6.1.2.1.43.11.1.1.5.1.3 = INTEGER: 21
.1.3.6.1.2.1.43.11.1.1.5.1.4 = INTEGER: 21
.1.3.6.1.2.1.43.11.1.1.5.1.5 = INTEGER: 4
.1.3.6.1.2.1.43.11.1.1.6.1.1 = STRING: "Black Cartridge"
.1.3.6.1.2.1.43.11.1.1.6.1.2 = STRING: "Cyan Cartridge"
.1.3.6.1.2.1.43.11.1.1.6.1.3 = STRING: "Magenta Cartridge"
.1.3.6.1.2.1.43.11.1.1.6.1.4 = STRING: "Yellow Cartridge"
.1.3.6.1.2.1.43.11.1.1.6.1.5 = STRING: "Waste Toner Bottle"
.1.3.6.1.2.1.43.11.1.1.7.1.1 = INTEGER: 19
.1.3.6.1.2.1.43.11.1.1.7.1.5 = INTEGER: 19
.1.3.6.1.2.1.43.11.1.1.8.1.1 = INTEGER: 100
.1.3.6.1.2.1.43.11.1.1.8.1.2 = INTEGER: 100
.1.3.6.1.2.1.43.11.1.1.8.1.3 = INTEGER: 100
.1.3.6.1.2.1.43.11.1.1.8.1.4 = INTEGER: 100
.1.3.6.1.2.1.43.11.1.1.8.1.5 = INTEGER: 100
.1.3.6.1.2.1.43.11.1.1.9.1.1 = INTEGER: 80
.1.3.6.1.2.1.43.11.1.1.9.1.2 = INTEGER: 60
.1.3.6.1.2.1.43.11.1.1.9.1.3 = INTEGER: 5
.1.3.6.1.2.1.43.11.1.1.9.1.4 = INTEGER: 40
.1.3.6.1.2.1.43.11.1.1.9.1.5 = INTEGER: 90
.1.3.6.1.2.1.43.12.1.1.2.1.1 = INTEGER: 1
.1.3.6.1.2.1.43.12.1.1.2.1.2 = INTEGER: 1
.1.3.6.1.2.1.43.12.1.1.2.1.3 = INTEGER: 1
.1.3.6.1.2.1.43.12.1.1.2.1.4 = INTEGER: 1
.1.3.6.1.2.1.43.12.1.1.3.1.1 = INTEGER: 3
.1.3.6.1.2.1.43.12.1.1.3.1.2 = INTEGER: 3
.1.3.6.1.2.1.43.12.1.1.3.1.3 = INTEGER: 3
.1.3.6.1.2.1.43.12.1.1.3.1.4 = INTEGER: 3
.1.3.6.1.2.1.43.12.1.1.4.1.1 = STRING: "black"
.1.3.6.1.2.1.43.12.1.1.4.1.2 = STRING: "cyan"
.1.3.6.1.2.1.43.12.1.1.4.1.3 = STRING: "magenta"
.1.3.6.1.2.1.43.12.1.1.4.1.4 = STRING: "yellow"
.1.3.6.1.2.1.43.13.4.1.9.1.1 = INTEGER: 3
.1.3.6.1.2.1.43.14.1.1.2.1.1 = INTEGER: 44
.1.3.6.1.2.1.43.14.1.1.5.1.1 = INTEGER: 2
.1.3.6.1.2.1.43.15.1.1.2.1.1 = INTEGER: 47
.1.3.6.1.2.1.43.15.1.1.2.1.2 = INTEGER: 54
.1.3.6.1.2.1.43.15.1.1.5.1.1 = STRING: "PCL 6 Emulation"
.1.3.6.1.2.1.43.15.1.1.5.1.2 = STRING: "PDF 1.7"
.1.3.6.1.2.1.43.16.5.1.2.1.1 = STRING: "Ready"
.1.3.6.1.2.1.43.16.5.1.2.1.2 = STRING: ""
.1.3.6.1.2.1.43.17.6.1.4.1.1 = INTEGER: 5
.1.3.6.1.2.1.43.17.6.1.5.1.1 = STRING: "Ready"
"""

# A mono laser recorded by snmpsim (.snmprec; written for this test).
SNMPREC = """\
1.3.6.1.2.1.1.1.0|4|HP LaserJet 400 M401dne
1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.11.2.3.9.1
1.3.6.1.2.1.2.2.1.3.1|2|6
1.3.6.1.2.1.2.2.1.6.1|4x|A0D3C1112233
1.3.6.1.2.1.25.3.2.1.2.1|6|1.3.6.1.2.1.25.3.1.5
1.3.6.1.2.1.25.3.2.1.3.1|4|HP LaserJet 400 M401dne
1.3.6.1.2.1.43.5.1.1.17.1|4|CNCF123456
1.3.6.1.2.1.43.8.2.1.2.1.1|2|5
1.3.6.1.2.1.43.8.2.1.2.1.2|2|3
1.3.6.1.2.1.43.8.2.1.9.1.1|2|50
1.3.6.1.2.1.43.8.2.1.9.1.2|2|250
1.3.6.1.2.1.43.8.2.1.10.1.1|2|0
1.3.6.1.2.1.43.8.2.1.10.1.2|2|-3
1.3.6.1.2.1.43.8.2.1.13.1.1|4|Tray 1
1.3.6.1.2.1.43.8.2.1.13.1.2|4|Tray 2
1.3.6.1.2.1.43.10.2.1.4.1.1|65|4242
1.3.6.1.2.1.43.10.2.1.6.1.1|2|1
1.3.6.1.2.1.43.11.1.1.4.1.1|2|3
1.3.6.1.2.1.43.11.1.1.5.1.1|2|3
1.3.6.1.2.1.43.11.1.1.6.1.1|4x|426c61636b20436172747269646765204843463238305800
1.3.6.1.2.1.43.11.1.1.7.1.1|2|19
1.3.6.1.2.1.43.11.1.1.8.1.1|2|100
1.3.6.1.2.1.43.11.1.1.9.1.1|2|42
1.3.6.1.2.1.43.13.4.1.9.1.1|2|3
"""


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_snmpwalk_dump_becomes_a_colour_profile(tmp_path):
    text = import_walk(_write(tmp_path, "cs421.walk", SNMPWALK))
    profile = parse_profile(text, name="lexmark-cs421dn")
    d = profile.data
    assert d["identity"]["manufacturer"] == "Lexmark"
    assert d["identity"]["model"] == "CS421dn"
    assert d["identity"]["oui"] == "0021B7"
    assert d["identity"]["sys_object_id"] == "1.3.6.1.4.1.641.2"
    assert d["identity"]["serial_format"] == "#####?#?#?#"
    assert d["description"]["color_supported"] is True
    assert [t["name"] for t in d["input_trays"]] == ["Tray 1", "Manual Feeder"]
    assert [t["media"] for t in d["input_trays"]] == ["na_letter_8.5x11in", "iso_a4_210x297mm"]
    assert d["input_trays"][1]["tray_type"] == "sheetFeedManual"
    assert [s["supply_type"] for s in d["supplies"]] == ["tonerCartridge"] * 4 + ["wasteToner"]
    assert d["supplies"][4]["supply_class"] == "receptacleThatIsFilled"
    assert [c["value"] for c in d["colorants"]] == ["black", "cyan", "magenta", "yellow"]
    assert d["markers"][0]["process_colorants"] == 4 and d["markers"][0]["life_count"] == 12345
    assert [i["lang_family"] for i in d["interpreters"]] == ["langPCLXL", "langPDF"]
    assert d["channels"][0] == {"channel_type": "chIPP", "interpreter_index": 2}
    assert (
        d["consoles"][0]["display_lines"] == 4 and d["consoles"][0]["lights"][0]["color"] == "green"
    )
    assert d["media_paths"][0]["path_type"] == "longEdgeBindingDuplex"
    assert d["recording"]["sys_location"] == "2nd floor copy room"  # recorded, kept as data

    clock = FakeClock()
    state = build_printer(profile, seed=4, clock=clock, host="127.50.4.1")
    assert state.interfaces[0].mac_address.startswith("00:21:b7:")
    assert state.identity.serial_number != "75262A1B0C7"
    assert state.description.location != "2nd floor copy room"  # every unit has its own
    magenta = state.row("supplies", 3)
    assert magenta.level == 5
    engine = PrinterEngine(state, clock)
    assert "toner-low" in state.status.state_reasons  # magenta at 5 %
    job = engine.submit_job(pages=3, color=True)
    engine.finish_all()
    assert job.state == "completed" and state.markers[0].life_count == 12348


def test_snmprec_recording_becomes_a_mono_profile(tmp_path):
    text = import_walk(_write(tmp_path, "m401.snmprec", SNMPREC), name="hp-m401")
    profile = parse_profile(text, name="hp-m401")
    d = profile.data
    assert d["name"] == "hp-m401"
    assert d["identity"]["manufacturer"] == "HP" and d["identity"]["oui"] == "A0D3C1"
    assert d["identity"]["serial_format"] == "????######"
    assert d["supplies"][0]["description"] == "Black Cartridge HCF280X"  # hex string decoded
    assert d["supplies"][0]["level"] == 42 and d["supplies"][0]["colorant_index"] == 1
    assert d["description"]["color_supported"] is False
    state = build_printer(profile, clock=FakeClock())
    assert [t.level for t in state.input_trays] == [0, -3]


def test_cli_writes_the_profile(tmp_path, capsys):
    walk = _write(tmp_path, "cs421.walk", SNMPWALK)
    out = tmp_path / "my-lexmark.yaml"
    assert main(["profile", "import", str(walk), "-o", str(out)]) == 0
    assert parse_profile(out.read_text(), name="my-lexmark").data["name"] == "my-lexmark"


def test_bad_walks_are_refused_with_file_and_line(tmp_path):
    bad = _write(
        tmp_path, "bad.snmprec", "1.3.6.1.2.1.1.2.0|2|notanumber\n1.3.6.1.2.1.1.3.0|67|x\n"
    )
    with pytest.raises(
        WalkError, match=r"bad.snmprec:1: expected a number for tag 2, got 'notanumber'"
    ):
        import_walk(bad)
    garbage = _write(
        tmp_path, "garbage.txt", '.1.3.6.1.2.1.1.1.0 = STRING: "x"\nthis is not a walk line\n'
    )
    with pytest.raises(WalkError, match=r"garbage.txt: no Printer MIB"):
        import_walk(garbage)
    router = _write(tmp_path, "router.walk", '.1.3.6.1.2.1.1.1.0 = STRING: "Cisco IOS"\n')
    with pytest.raises(WalkError, match="is it a printer"):
        import_walk(router)


def test_read_walk_value_types():
    values = read_walk(
        ".1.3.6.1.2.1.1.3.0 = Timeticks: (12345) 0:02:03.45\n"
        ".1.3.6.1.2.1.43.18.1.1.2.1.1 = INTEGER: critical(3)\n"
        '.1.3.6.1.2.1.1.1.0 = STRING: "two\nlines"\n'
    )
    assert values["1.3.6.1.2.1.1.3.0"] == 12345
    assert values["1.3.6.1.2.1.43.18.1.1.2.1.1"] == 3
    assert values["1.3.6.1.2.1.1.1.0"].startswith("two\nlines")
