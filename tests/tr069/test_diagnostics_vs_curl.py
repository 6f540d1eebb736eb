"""DownloadDiagnostics of a 50 MB file on loopback reports the throughput curl measures for
the same file from the same lighttpd, in the same run, within 20 % (issue 15, "What it must
show"). Both clients read 100 KiB at a time from one server, so what is left to differ is the
measurement: a BOMTime or EOMTime taken at the wrong moment, bytes miscounted, or a read loop
that cannot keep up would each move the TR-143 figure away from curl's. lighttpd paces
each connection to 10 MiB/s (its connection.kbytes-per-second; 5 s a transfer), so the link,
not the CPU that nine people share, is the bottleneck, as on a network; unpaced loopback
figures swing 3-14 Gbit/s with the neighbours' load (benchmarks/diagnostics_vs_curl.py
prints those). The median of three alternating rounds is compared."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SIZE = 50_000_000

pytestmark = pytest.mark.slow


def test_download_diagnostics_throughput_agrees_with_curl() -> None:
    if shutil.which("curl") is None:
        pytest.fail("curl is not installed: ./dev setup installs it (APT_PACKAGES)")
    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "diagnostics_vs_curl.py"),
         "--size-mb", "50", "--rounds", "3", "--server-kbytes-per-second", "10240", "--json"],
        capture_output=True, text=True, timeout=600, env={**os.environ},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    for r in res["rounds"]:
        print(f"round {r['round']}: curl {r['curl_bps'] / 1e6:.1f} Mbit/s, "
              f"DownloadDiagnostics {r['diag_bps'] / 1e6:.1f} Mbit/s")  # fmt: skip
    print(f"median ratio {res['ratio']:.3f}")
    for r in res["rounds"]:
        assert r["curl_bytes"] == SIZE
        # the whole body plus the response head (TestBytesReceived counts HTTP headers)
        assert SIZE < r["diag_test_bytes"] < SIZE + 1024
    assert 0.8 <= res["ratio"] <= 1.2, res
