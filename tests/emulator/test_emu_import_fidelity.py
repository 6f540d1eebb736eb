"""Imports that reproduce the real printer (issue 13 §2).

Every recording of ``tests/data/recordings`` (public walks of real printers, see its README)
is imported, the printer started, walked back with net-snmp's ``snmpwalk`` (a real peer) and
compared row by row with the recording under SNMPv2-MIB system (less sysUpTime), hrDevice /
hrPrinter, ifPhysAddress and the Printer MIB. The other tests pin the differences the issue
listed: input units and sizes, a fifth tray and extra columns, supply order, marker rows, a
corrupt row, names from file names, identity, vendor-private objects.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from printbench.cli import main
from printbench.common.clock import FakeClock
from printbench.emulator.behaviour import PrinterEngine
from printbench.emulator.device import Ports, VirtualPrinter
from printbench.emulator.profile_import import import_recording, import_walk
from printbench.emulator.profiles import ProfileError, build_printer, load_profile, parse_profile
from printbench.emulator.snmp import recording as rec
from printbench.emulator.snmp.mib import NOT_WRITABLE, MibDevice
from printbench.snmp import ber

CORPUS = Path(__file__).resolve().parent.parent / "data" / "recordings"
RECORDINGS = sorted(CORPUS.glob("*.snmprec"))
_HOSTS = iter(range(1, 250))


def _host() -> str:
    return f"127.21.{os.getpid() % 200}.{next(_HOSTS)}"


def _rows(path: Path) -> list[tuple[rec.OID, ber.Value]]:
    return [rec.parse_row(line) for line in path.read_text().splitlines() if line.strip()]


async def _snmpwalk(target: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        "snmpwalk", "-v2c", "-c", "public", "-On", "-Ox", "-Ot", "-t", "5", "-r", "1",
        target, ".1.3.6.1",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "MIBS": "", "SNMPCONFPATH": "/nonexistent"},
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def _walk_imported(path: Path, keep_identity: bool) -> dict[rec.OID, tuple[str, object]]:
    profile = parse_profile(import_walk(path, keep_identity=keep_identity))
    printer = VirtualPrinter(profile, host=_host(), clock=FakeClock(), ports=Ports.ephemeral())
    await printer.start(faces=("snmp",), drive=False)
    try:
        return rec.parse_net_snmp_walk(
            await _snmpwalk(printer.endpoints["snmp"].removeprefix("udp://"))
        )
    finally:
        await printer.stop()


def test_the_corpus_has_ten_recordings_at_most_a_few_mb():
    assert len(RECORDINGS) >= 9
    vendors = {p.name.split("_")[0] for p in RECORDINGS}
    assert len(vendors) >= 8, vendors
    assert sum(p.stat().st_size for p in RECORDINGS) < 3_000_000


@pytest.mark.parametrize("path", RECORDINGS, ids=[p.stem for p in RECORDINGS])
@pytest.mark.parametrize("keep_identity", [False, True], ids=["own-identity", "keep-identity"])
async def test_imported_printer_walks_back_like_the_recording(path, keep_identity):
    walked = await _walk_imported(path, keep_identity)
    result = rec.fidelity(_rows(path), walked, keep_identity=keep_identity)
    shown = [f".{'.'.join(map(str, o))} {w} -> {g}" for o, w, g in result.differences[:10]]
    assert result.total >= 20
    assert result.ratio >= 0.99, "\n".join(shown)
    # vendor-private rows are served as recorded (snmpsim does too), identity rows aside
    private = [(o, v) for o, v in _rows(path) if o[:6] == (1, 3, 6, 1, 4, 1) and o[6] != 2699]
    if keep_identity:
        assert all(walked.get(o) == rec.canonical(v) for o, v in private)


# -- what the issue saw, on a hand-written walk -------------------------------------------------

P = "1.3.6.1.2.1.43"
HAND = "\n".join(
    [
        "1.3.6.1.2.1.1.1.0|4|ACME LaserWriter 9000 v1.2",
        "1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.99999.1",
        "1.3.6.1.2.1.1.5.0|4|acme-2nd-floor",
        "1.3.6.1.2.1.2.2.1.1.1|2|1",
        "1.3.6.1.2.1.2.2.1.3.1|2|6",
        "1.3.6.1.2.1.2.2.1.6.1|4x|0011223344AA",
        # ifOutUcastPkts with a corrupt value (a merge artefact in a real recording)
        "1.3.6.1.2.1.2.2.1.17.1|65|6git3159",
        "1.3.6.1.2.1.25.3.2.1.2.1|6|1.3.6.1.2.1.25.3.1.5",
        "1.3.6.1.2.1.25.3.2.1.3.1|4|ACME LaserWriter 9000",
        f"{P}.5.1.1.1.1|65|30",  # prtGeneralConfigChanges
        f"{P}.5.1.1.4.1|4|Network Administrator",
        f"{P}.5.1.1.13.1|2|4",  # prtConsoleDisable: disabled
        f"{P}.5.1.1.17.1|4|ACM1234567",
        f"{P}.5.1.1.18.1|65|58",  # prtAlertCriticalEvents
        f"{P}.5.1.1.19.1|65|289",  # prtAlertAllEvents
        *(f"{P}.8.2.1.2.1.{i}|2|3" for i in range(1, 6)),
        *(f"{P}.8.2.1.3.1.{i}|2|3" for i in range(1, 6)),  # tenThousandthsOfInches
        f"{P}.8.2.1.4.1.1|2|110000",  # Letter, feed
        f"{P}.8.2.1.5.1.1|2|85000",
        f"{P}.8.2.1.4.1.2|2|140000",  # Legal
        f"{P}.8.2.1.5.1.2|2|85000",
        *(f"{P}.8.2.1.4.1.{i}|2|-2" for i in (3, 4, 5)),  # unknown
        *(f"{P}.8.2.1.9.1.{i}|2|500" for i in range(1, 6)),
        *(f"{P}.8.2.1.10.1.{i}|2|400" for i in range(1, 6)),
        f"{P}.8.2.1.12.1.1|4|LETTER",
        *(f"{P}.8.2.1.13.1.{i}|4|Tray {i}" for i in range(1, 6)),
        *(f"{P}.8.2.1.24.1.{i}|2|-1" for i in range(1, 6)),  # prtInputMediaLoadTimeout
        *(f"{P}.8.2.1.26.1.{i}|4|vendor column" for i in range(1, 6)),
        f"{P}.10.2.1.2.1.1|2|4",
        f"{P}.10.2.1.3.1.1|2|7",
        f"{P}.10.2.1.4.1.1|65|123456",
        f"{P}.10.2.1.5.1.1|65|77",
        f"{P}.10.2.1.6.1.1|2|4",
        f"{P}.10.2.1.8.1.1|2|3",
        f"{P}.10.2.1.9.1.1|2|1200",
        f"{P}.10.2.1.10.1.1|2|1200",
        f"{P}.10.2.1.11.1.1|2|2000",
        *(f"{P}.11.1.1.5.1.{i}|2|21" for i in range(1, 5)),
        f"{P}.11.1.1.6.1.1|4|Black Toner",
        f"{P}.11.1.1.6.1.2|4|Yellow Toner",
        f"{P}.11.1.1.6.1.3|4|Magenta Toner",
        f"{P}.11.1.1.6.1.4|4|Cyan Toner",
        *(f"{P}.11.1.1.8.1.{i}|2|100" for i in range(1, 5)),
        *(f"{P}.11.1.1.9.1.{i}|2|{50 + i}" for i in range(1, 5)),
        "1.3.6.1.4.1.99999.1.7.0|4|SN ACM1234567 MAC 00:11:22:33:44:aa",
        "1.3.6.1.4.1.99999.1.8.0|65|42",
    ]
)


@pytest.fixture
def hand(tmp_path):
    path = tmp_path / "acme_lw9000.snmprec"
    path.write_text(HAND + "\n")
    return path


def _view(path: Path, *, keep_identity: bool = False, seed: int = 1) -> tuple[MibDevice, object]:
    profile = parse_profile(import_walk(path, keep_identity=keep_identity))
    clock = FakeClock()
    state = build_printer(profile, seed=seed, clock=clock)
    return MibDevice(state, clock, PrinterEngine(state, clock, seed=seed)), state


def _o(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


def test_a_corrupt_row_is_skipped_with_a_warning_naming_file_and_line(hand):
    imported = import_recording(hand)
    assert imported.warnings == [f"{hand}:7: skipped: expected a number for tag 65, got '6git3159'"]
    assert f"# warning: {hand}:7: skipped" in imported.text


def test_input_units_sizes_a_fifth_tray_and_extra_columns_are_served_as_recorded(hand):
    mib, state = _view(hand)
    assert [t.index for t in state.input_trays] == [1, 2, 3, 4, 5]
    assert mib.get(_o(f"{P}.8.2.1.3.1.1")) == (ber.INTEGER, 3)  # not micrometres
    assert mib.get(_o(f"{P}.8.2.1.4.1.1")) == (ber.INTEGER, 110000)
    assert mib.get(_o(f"{P}.8.2.1.4.1.2")) == (ber.INTEGER, 140000)
    assert mib.get(_o(f"{P}.8.2.1.4.1.5")) == (ber.INTEGER, -2)
    assert mib.get(_o(f"{P}.8.2.1.24.1.5")) == (ber.INTEGER, -1)
    assert mib.get(_o(f"{P}.8.2.1.26.1.3")) == (ber.OCTET_STRING, b"vendor column")
    assert mib.get(_o(f"{P}.8.2.1.12.1.1")) == (ber.OCTET_STRING, b"LETTER")  # as worded
    # the state knows the media from the recorded names and sizes (IPP shows the same trays)
    assert [t.media for t in state.input_trays[:2]] == [
        "na_letter_8.5x11in",
        "na_legal_8.5x14in",
    ]


def test_supplies_keep_their_recorded_order_and_markers_their_recorded_columns(hand):
    mib, state = _view(hand)
    assert mib.get(_o(f"{P}.11.1.1.6.1.2")) == (ber.OCTET_STRING, b"Yellow Toner")
    assert [s.description for s in state.supplies] == [
        "Black Toner",
        "Yellow Toner",
        "Magenta Toner",
        "Cyan Toner",
    ]
    assert mib.get(_o(f"{P}.10.2.1.9.1.1")) == (ber.INTEGER, 1200)  # addressability
    assert mib.get(_o(f"{P}.10.2.1.11.1.1")) == (ber.INTEGER, 2000)
    assert mib.get(_o(f"{P}.10.2.1.4.1.1")) == (ber.COUNTER32, 123456)
    assert mib.get(_o(f"{P}.10.2.1.5.1.1")) == (ber.COUNTER32, 77)


def test_live_objects_stay_the_states(hand):
    """Printing moves the recorded counters and levels; a SET is seen; the state is the truth."""
    mib, state = _view(hand)
    engine = mib.engine
    job = engine.submit_job(pages=3)
    engine.finish_all()
    assert job.state == "completed"
    assert mib.get(_o(f"{P}.10.2.1.4.1.1")) == (ber.COUNTER32, 123459)
    assert mib.get(_o(f"{P}.8.2.1.10.1.1"))[1] < 400
    media = (*_o(f"{P}.8.2.1.12.1"), 1)
    status, _ = mib.set(
        [
            ((1, 3, 6, 1, 2, 1, 1, 5, 0), (ber.OCTET_STRING, b"renamed")),
            (media, (ber.OCTET_STRING, b"na_legal_8.5x14in")),
        ],
        may_write=True,
    )
    assert status == 0 and state.description.name == "renamed"
    assert state.input_trays[0].media == "na_legal_8.5x14in"
    assert mib.get(media) == (ber.OCTET_STRING, b"na_legal_8.5x14in")
    assert mib.get((1, 3, 6, 1, 2, 1, 1, 5, 0)) == (ber.OCTET_STRING, b"renamed")


def test_vendor_private_objects_are_served_read_only_in_walk_order(hand):
    mib, _state = _view(hand, keep_identity=True)
    oid = _o("1.3.6.1.4.1.99999.1.7.0")
    assert mib.get(oid) == (ber.OCTET_STRING, b"SN ACM1234567 MAC 00:11:22:33:44:aa")
    assert mib.next(oid) == (_o("1.3.6.1.4.1.99999.1.8.0"), (ber.COUNTER32, 42))
    walk = [o for o, _v in mib.walk()]
    assert walk == sorted(walk)
    status, index = mib.set([(oid, (ber.OCTET_STRING, b"x"))], may_write=True)
    assert (status, index) == (NOT_WRITABLE, 1)


def test_keep_identity_reproduces_the_recorded_unit_and_the_default_gives_each_its_own(hand):
    mib, state = _view(hand, keep_identity=True, seed=3)
    assert state.identity.serial_number == "ACM1234567"
    assert state.interfaces[0].mac_address == "00:11:22:33:44:aa"
    assert state.description.name == "acme-2nd-floor"
    assert mib.get(_o(f"{P}.5.1.1.17.1")) == (ber.OCTET_STRING, b"ACM1234567")
    assert mib.get(_o("1.3.6.1.2.1.2.2.1.6.1")) == (ber.OCTET_STRING, bytes.fromhex("0011223344aa"))

    one, a = _view(hand, seed=1)
    _two, b = _view(hand, seed=2)
    assert len({a.identity.serial_number, b.identity.serial_number, "ACM1234567"}) == 3
    assert a.interfaces[0].mac_address != b.interfaces[0].mac_address
    assert a.interfaces[0].mac_address.startswith("00:11:22:")  # the vendor's OUI
    assert a.description.name != "acme-2nd-floor"
    # a vendor object that repeats serial and MAC says this unit's
    text = one.get(_o("1.3.6.1.4.1.99999.1.7.0"))[1].decode()
    assert text == f"SN {a.identity.serial_number} MAC {a.interfaces[0].mac_address}"


def test_cli_derives_a_valid_name_and_writes_what_o_asks_for(tmp_path, capsys):
    walk = CORPUS / "brother_hl5370dw.snmprec"
    assert main(["profile", "import", str(walk)]) == 0
    assert "name: brother-" in capsys.readouterr().out
    out = tmp_path / "brother_hl5370dw.yaml"
    assert main(["profile", "import", str(walk), "-o", str(out), "--keep-identity"]) == 0
    profile = load_profile(out)  # what `printbench printer --profile FILE` does
    assert profile.name == "brother-hl5370dw"
    state = build_printer(profile, clock=FakeClock())
    assert state.interfaces[0].mac_address == "00:1b:a9:0b:a7:52"
    assert state.identity.serial_number == "B9J154306"  # brInfoSerialNumber: no prtGeneral one


def test_a_vendor_serial_number_is_each_units_own_by_default():
    walk = CORPUS / "brother_hl5370dw.snmprec"
    mib, state = _view(walk, seed=5)
    serial_oid = _o("1.3.6.1.4.1.2435.2.3.9.4.2.1.5.5.1.0")
    assert state.identity.serial_number != "B9J154306"
    assert mib.get(serial_oid) == (ber.OCTET_STRING, state.identity.serial_number.encode())
    mac = state.interfaces[0].mac_address.replace(":", "")
    label = mib.get(_o("1.3.6.1.4.1.2435.2.4.3.2435.5.13.3.0"))[1]
    assert label == f"Brother HL-5370DW series [{mac}]".encode()


def test_every_writable_object_is_live_so_a_recording_never_hides_a_set():
    from printbench.emulator.snmp.mib import WRITABLE, is_live

    assert [w.name for oid, w in WRITABLE.items() if not is_live((*oid, 1, 1))] == []


def test_recorded_alert_rows_are_not_replayed(tmp_path):
    """The alert table is the state's: an alert the printer had when walked is not frozen in."""
    path = tmp_path / "alerting.snmprec"
    path.write_text(
        HAND + f"\n{P}.18.1.1.2.1.7|2|3\n{P}.18.1.1.7.1.7|2|1101\n{P}.18.1.1.8.1.7|4|Cover open\n"
    )
    mib, state = _view(path)
    assert state.alerts == [] or all(a.index != 7 for a in state.alerts)
    assert mib.get(_o(f"{P}.18.1.1.8.1.7")) is None


def test_an_output_bin_with_some_room_left_is_not_almost_full():
    """RFC 3805 prtOutputRemainingCapacity -3 means "at least one unit remaining", -2
    unknown: neither is a number of sheets, so neither makes a bin almost full."""
    clock = FakeClock()
    state = build_printer("color-laser-mfp", clock=clock)
    for sentinel in (-3, -2):
        state.output_trays[0].remaining_capacity = sentinel
        reasons = [c.reason for c in PrinterEngine(state, clock).conditions()]
        assert "output-area-almost-full" not in reasons


def test_the_printers_life_so_far_is_the_states_and_goes_on_from_there(hand):
    """prtGeneral counters, operator and console lock are live: seeded from the recording,
    then moved by what happens to the emulated printer."""
    mib, state = _view(hand)
    general = lambda col: mib.get(_o(f"{P}.5.1.1.{col}.1"))  # noqa: E731
    assert general(1) == (ber.COUNTER32, 30)
    assert general(4) == (ber.OCTET_STRING, b"Network Administrator")
    assert general(13) == (ber.INTEGER, 4) and state.consoles[0].disabled
    assert general(18) == (ber.COUNTER32, 58)
    assert general(19) == (ber.COUNTER32, 289)
    state.input_trays[1].present = False
    mib.engine.evaluate()
    assert [a.index for a in state.alerts] == [290]
    assert general(19) == (ber.COUNTER32, 290)


def test_a_bad_recorded_row_in_a_profile_is_reported_with_file_line_and_row(hand):
    text = import_walk(hand).replace("|65|42", "|65|forty-two")
    with pytest.raises(ProfileError, match=r"acme\.yaml:\d+: recording\.rows: expected snmprec"):
        parse_profile(text, source="acme.yaml")
    with pytest.raises(ProfileError, match=r"row \d+: expected a number for tag 65"):
        parse_profile(text, source="acme.yaml")
