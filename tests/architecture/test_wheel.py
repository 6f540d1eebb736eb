"""A wheel installed anywhere works (issue 14): built from this checkout, installed into a
fresh virtualenv outside it, and run from another folder, with the standard files found only
the ways a user has (the environment variable, the cache), never the checkout's neighbours.

The virtualenv reuses this environment's installed dependencies (``--system-site-packages``
would not see a venv's packages, so a ``.pth`` file points at them) and installs only the
wheel itself with ``--no-deps``: the test needs no network.
"""

from __future__ import annotations

import os
import queue
import site
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest

from printbench.common import standards
from tests.architecture.layout import ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``bin`` folder of a fresh virtualenv holding only the printbench wheel."""
    base = tmp_path_factory.mktemp("wheel")
    dist = base / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(ROOT)],
        check=True, capture_output=True, text=True, cwd=base,
    )  # fmt: skip
    (wheel,) = dist.glob("printbench-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for must in ("printbench/cwmp/soap.py", "printbench/emulator/snmp/agent.py",
                 "printbench/profiles/color-laser-mfp.yaml", "printbench/scenarios/inform.yaml",
                 "printbench/targets/builtin.yaml", "printbench/common/standards.yaml",
                 "printbench/datamodel/generated/printservice-001-1-0-0-cwmp.xml",
                 "printbench/datamodel/mapping.yaml", "printbench/cwmp/schemas/soap-envelope.xsd"):  # fmt: skip
        assert must in names, f"{must} missing from {wheel.name}"
    assert not [
        n for n in names if n.split("/")[0] not in ("printbench",) and ".dist-info" not in n
    ]
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    vpy = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(vpy), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    deps = [p for p in site.getsitepackages() if "site-packages" in p]
    # the dependencies come from this environment, after the venv's own site-packages
    Path(purelib, "zz-printbench-test-deps.pth").write_text("\n".join(deps) + "\n")
    subprocess.run(
        [str(vpy), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
        check=True,
        capture_output=True,
        text=True,
    )
    return venv / "bin"


def _env(tmp: Path, standards_dir: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRINTBENCH_", "PYTHON"))}
    env["XDG_CACHE_HOME"] = str(tmp / "cache")
    env["HOME"] = str(tmp)
    if standards_dir is not None:
        env["PRINTBENCH_STANDARDS"] = str(standards_dir)
    return env


def _run(bin_dir: Path, args: list[str], cwd: Path, env: dict[str, str], timeout: float = 300):
    return subprocess.run(
        [str(bin_dir / "printbench"), *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def _until_ready(proc: subprocess.Popen[str], timeout: float = 90) -> list[str]:
    """The lines a command printed up to its ``ready`` line (DESIGN §8)."""
    assert proc.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line.rstrip())
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        if line == "ready":
            return seen
    raise AssertionError(f"no 'ready' line: {seen}, exit {proc.poll()}")


def test_profiles_lists_the_packaged_models(installed: Path, tmp_path: Path) -> None:
    proc = _run(installed, ["profiles"], tmp_path, _env(tmp_path, None))
    assert proc.returncode == 0, proc.stderr
    assert "color-laser-mfp" in proc.stdout.split()


def test_user_profiles_dir_is_searched_first(installed: Path, tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    builtin = (ROOT / "profiles" / "mono-desktop-laser.yaml").read_text(encoding="utf-8")
    (mine / "my-laser.yaml").write_text(builtin.replace("mono-desktop-laser", "my-laser"))
    proc = _run(
        installed, ["--profiles-dir", str(mine), "profiles"], tmp_path, _env(tmp_path, None)
    )
    assert proc.returncode == 0, proc.stderr
    assert {"my-laser", "mono-desktop-laser"} <= set(proc.stdout.split())


def test_printer_runs_without_the_standard_files(installed: Path, tmp_path: Path) -> None:
    """An SNMP/IPP/EWS printer with its TR-069 client needs no standard file at all."""
    env = _env(tmp_path, tmp_path / "nowhere")
    proc = subprocess.Popen(
        [str(installed / "printbench"), "printer", "--profile", "mono-desktop-laser",
         "--host", "127.77.0.1"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        lines = _until_ready(proc)
        assert any("snmp" in line for line in lines), lines
        got = subprocess.run(
            ["snmpget", "-v2c", "-c", "public", "-Ovq", "127.77.0.1:1161", "1.3.6.1.2.1.1.5.0"],
            capture_output=True, text=True, timeout=20,
        )  # fmt: skip
        assert got.returncode == 0 and got.stdout.strip(), got.stderr
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_acs_without_the_standard_files_says_what_to_do_in_one_line(
    installed: Path, tmp_path: Path
) -> None:
    env = _env(tmp_path, tmp_path / "nowhere")
    proc = _run(
        installed, ["acs", "--port", "0", "--journal-dir", str(tmp_path)], tmp_path, env, 60
    )
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "not found" in lines[0] and "printbench standards fetch" in lines[0]


def test_acs_with_the_standard_files_is_ready(installed: Path, tmp_path: Path) -> None:
    env = _env(tmp_path, standards.bbf_dir().parent)
    proc = subprocess.Popen(
        [str(installed / "printbench"), "acs", "--port", "0", "--journal-dir", str(tmp_path)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        _until_ready(proc)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_small_run_slice_passes_from_another_folder(installed: Path, tmp_path: Path) -> None:
    """`printbench run` with the packaged scenarios and target, reports in ./reports."""
    env = _env(tmp_path, standards.bbf_dir().parent)
    target = tmp_path / "one.yaml"
    target.write_text(
        "kind: builtin\nname: one\nprofiles: [mono-desktop-laser]\nvia: [embedded, proxy]\n"
        "base_address: 127.78.0.1\n"
    )
    proc = _run(installed, ["run", "--target", str(target), "-k", "INF-001"], tmp_path, env, 400)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert (tmp_path / "reports").is_dir()
    assert list((tmp_path / "reports").glob("*.html")), list((tmp_path / "reports").iterdir())
