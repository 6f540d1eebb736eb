"""Software modules of the emulator (issue 15): profile sections, DU files, local installs.

Bad input gets the file and line (profiles) or the protocol's own fault (9018 for a DU file
that is not one), never a traceback, and never changes the inventory.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from printbench.common.clock import SystemClock
from printbench.cwmp import du as D
from printbench.cwmp_cpe.du_package import make_package, parse_package
from printbench.emulator import software as sw
from printbench.emulator.profile_schema import ProfileError
from printbench.emulator.profiles import build_printer, parse_profile

PROFILE = Path(__file__).resolve().parents[2] / "profiles" / "color-laser-mfp.yaml"
PKG = D.Package("Fonts CJK", "HP", "3.0", "Printer Resources 1.0", units=(D.UnitSpec("cjk"),))


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("      exec_env: Printer resources\n      uuid: 3b9e7d20-5c1a-5f4e-8a62-7e0c9d1b2a02",
         "      exec_env: Nowhere\n      uuid: 3b9e7d20-5c1a-5f4e-8a62-7e0c9d1b2a02",
         "software.modules[2].exec_env: expected one of software.exec_envs"),
        ("uuid: 3b9e7d20-5c1a-5f4e-8a62-7e0c9d1b2a03", "uuid: 3b9e7d20",
         "software.modules[3].uuid: expected an RFC 4122 UUID"),
        ("uuid: 3b9e7d20-5c1a-5f4e-8a62-7e0c9d1b2a03", "uuid: 3b9e7d20-5c1a-5f4e-8a62-7e0c9d1b2a02",
         "software.modules[3]: expected a module not listed before (9026)"),
        ("      disk_space: 131072", "      disk_space: -1",
         "software.exec_envs[2].disk_space"),
    ],
)  # fmt: skip
def test_emu_software_profile_errors_name_file_and_line(old, new, expected) -> None:
    text = PROFILE.read_text(encoding="utf-8")
    assert old in text
    bad = text.replace(old, new, 1)
    with pytest.raises(ProfileError) as err:
        parse_profile(bad, source="profiles/x.yaml", name="color-laser-mfp")
    assert str(err.value).startswith("profiles/x.yaml:"), err.value
    assert expected in str(err.value), err.value


def test_emu_software_profile_modules_are_installed() -> None:
    state = build_printer("color-laser-mfp")
    s = sw.summary(state)
    assert [e["name"] for e in s["exec_envs"]] == ["HP JetAdvantage Link", "Printer resources"]
    names = {u["name"]: u["status"] for u in s["deployment_units"]}
    assert names == {"Scan to Cloud": "Installed", "Font pack Asian": "Installed",
                     "Language pack de-DE": "Installed"}  # fmt: skip
    eus = {e["name"]: e["status"] for e in s["execution_units"]}
    assert eus["scan-to-cloud"] == "Active" and eus["panel-language-de"] == "Idle"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not a du\n",
        b'{"printbench-du": 1, "name": "x"}\n',
        make_package(PKG)[:-1],  # truncated payload
        make_package(PKG) + b"x",  # payload longer than the header says
        make_package(PKG).replace(b'"sha256": "', b'"sha256": "00', 1),
        b"{" * 20000,
    ],
)
def test_emu_software_bad_du_files_are_9018_and_change_nothing(data: bytes) -> None:
    with pytest.raises(D.DuFault) as exc:
        parse_package(data)
    assert exc.value.code == 9018
    state = build_printer("color-laser-mfp")
    before = state.software.inventory
    out = sw.install_local(state, SystemClock(), data)
    assert (out.fault_code, out.current_state) == (9018, "Failed")
    assert state.software.inventory == before
    assert state.software.local_changes == 1  # a failed local change is still recorded


def test_emu_software_local_install_and_uninstall() -> None:
    state = build_printer("color-laser-mfp")
    out = sw.install_local(state, SystemClock(), make_package(PKG))
    assert (out.fault_code, out.current_state, out.operation) == (0, "Installed", "Install")
    assert sw.local_outcomes(state)[0].uuid == out.uuid
    again = sw.install_local(state, SystemClock(), make_package(PKG))
    assert again.fault_code == 9026
    gone = sw.uninstall_local(state, SystemClock(), out.uuid)
    assert (gone.fault_code, gone.current_state) == (0, "Uninstalled")
    assert sw.uninstall_local(state, SystemClock(), out.uuid).fault_code == 9028
    assert sw.uninstall_local(state, SystemClock(), "junk").fault_code == 9022
