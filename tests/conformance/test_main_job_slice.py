"""A slice of the main job, as users run it (issue 14 §3): `printbench run` with every built-in
scenario, one profile, through both the embedded client and the proxy, from the command line;
then the reports are read back and checked against each other.

This is what `.ci/run` exercises of the main job on every submission; the full job (`./dev
run`) runs every profile.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from printbench.conformance.scenario import AREAS, default_dir, load_all

REPO = Path(__file__).resolve().parents[2]
PROFILE = "color-laser-mfp"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def slice_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    tmp = tmp_path_factory.mktemp("slice")
    target = tmp / "slice.yaml"
    target.write_text(
        f"kind: builtin\nname: slice\nprofiles: [{PROFILE}]\nvia: [embedded, proxy]\n"
        "base_address: 127.91.0.1\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "printbench.cli", "run", "--target", str(target),
         "--report-dir", str(tmp / "rep")],
        cwd=tmp, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    return proc, tmp / "rep"


def test_the_slice_passes_every_mandatory_check(slice_run) -> None:
    proc, _ = slice_run
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert "PASS" in proc.stdout


def test_every_area_ran_through_both_paths(slice_run) -> None:
    _, rep = slice_run
    data = json.loads((rep / "results.json").read_text(encoding="utf-8"))
    ran = {(r["area"], r["via"]) for r in data["results"] if r["status"] == "passed"}
    areas = {s.area for s in load_all([default_dir()])}
    assert areas <= set(AREAS)
    for area in areas:
        assert (area, "embedded") in ran, f"no {area} scenario passed through the embedded client"
        assert (area, "proxy") in ran, f"no {area} scenario passed through the proxy"
    skipped = [r for r in data["results"] if r["status"] == "skipped"]
    assert all(": " in r["message"] for r in skipped), "a not-applicable result without its reason"


def test_the_reports_agree_with_each_other(slice_run) -> None:
    _, rep = slice_run
    data = json.loads((rep / "results.json").read_text(encoding="utf-8"))
    counts = data["counts"]
    assert counts["passed"] == sum(1 for r in data["results"] if r["status"] == "passed")
    junit = ET.parse(rep / "junit.xml").getroot()
    suites = [junit] if junit.tag == "testsuite" else list(junit)
    cases = [c for s in suites for c in s.iter("testcase")]
    assert len(cases) == len(data["results"])
    failures = sum(1 for c in cases if c.find("failure") is not None or c.find("error") is not None)
    assert failures == counts.get("failed", 0) + counts.get("error", 0)
    html = next(rep.glob("*.html")).read_text(encoding="utf-8")
    assert PROFILE in html and str(counts["passed"]) in html


def test_expected_protocol_warnings_stay_off_the_terminal(slice_run) -> None:
    """Auth scenarios provoke 401s, the proxy sees printers go and come back: those lines go
    to run-log.jsonl in the report folder, not to the terminal."""
    proc, rep = slice_run
    terminal = [line for line in proc.stderr.splitlines() if " WARNING " in line]
    assert terminal == [], terminal[:5]
    logged = [json.loads(line) for line in (rep / "run-log.jsonl").read_text().splitlines()]
    assert any(rec["level"] == "WARNING" for rec in logged)
