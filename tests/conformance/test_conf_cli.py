"""``printbench run`` on a subset: exit 0 when all mandatory checks pass, non-zero when one
fails (a deliberately failing scenario in a temp dir), 2 with file:line on a bad file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PASSING = """\
id: CLI-PASS
title: serial number
area: parameters
steps:
  - get: {PS.Status.SerialNumber: "${device.serial}"}
"""
FAILING_MANDATORY = """\
id: CLI-FAIL
title: deliberately failing
area: rpc
steps:
  - get: {PS.Status.SerialNumber: "certainly not this"}
"""


def _run(tmp_path: Path, *scenarios: str, base: str) -> subprocess.CompletedProcess[str]:
    target = tmp_path / "target.yaml"
    target.write_text(
        f"kind: builtin\nprofiles: [inkjet-office]\nvia: [embedded]\nbase_address: {base}\n"
    )
    files = []
    for i, text in enumerate(scenarios):
        f = tmp_path / f"s{i}.yaml"
        f.write_text(text)
        files.append(str(f))
    return subprocess.run(
        [sys.executable, "-m", "printbench.cli", "run", "--target", str(target),
         "--report-dir", str(tmp_path / "rep"), *files],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_exit_zero_when_everything_mandatory_passes(tmp_path: Path, base: str) -> None:
    proc = _run(tmp_path, PASSING, base=base)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads((tmp_path / "rep" / "results.json").read_text())
    assert data["counts"]["passed"] == 1 and data["ok"] is True
    assert "PASS" in proc.stdout


def test_exit_nonzero_when_a_mandatory_check_fails(tmp_path: Path, base: str) -> None:
    proc = _run(tmp_path, PASSING, FAILING_MANDATORY, base=base)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "CLI-FAIL" in proc.stdout and "s1.yaml:5" in proc.stdout.replace("\n", "")
    assert (tmp_path / "rep" / "junit.xml").exists()


def test_optional_failure_does_not_fail_the_run(tmp_path: Path, base: str) -> None:
    optional = FAILING_MANDATORY.replace("area: rpc", "area: rpc\nrequirement: optional")
    proc = _run(tmp_path, PASSING, optional, base=base)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_bad_scenario_file_exits_2_with_file_and_line(tmp_path: Path) -> None:
    bad = PASSING.replace("  - get:", "  - gte:")
    proc = _run(tmp_path, bad, base="127.90.255.1")
    assert proc.returncode == 2
    assert "s0.yaml:5: step 1: unknown action 'gte'" in proc.stderr
