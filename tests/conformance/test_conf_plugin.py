"""The pytest plugin: scenario files become items with area/profile/path markers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _collect(*args: str) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "scenarios/", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode in (0, 5), proc.stdout + proc.stderr
    return [line for line in proc.stdout.splitlines() if "::" in line]


def test_items_per_scenario_and_device_with_markers() -> None:
    items = _collect()
    assert "scenarios/rpc.yaml::RPC-001[inkjet-office/embedded]" in items
    assert "scenarios/rpc.yaml::RPC-001[inkjet-office/proxy]" in items
    # CR-005 is for the proxy path only
    assert not any("CR-005" in i and "/embedded]" in i for i in items)
    hold = _collect("-m", "hold_requests")
    assert hold and all("hold_requests.yaml" in i for i in hold)
    # the hold scenarios declare via: [embedded, proxy] (the proxy's devices take Download)
    assert any("/embedded]" in i for i in hold) and any("/proxy]" in i for i in hold)
    picked = _collect("-k", "RPC-004 and color_laser_mfp")
    assert picked == [
        "scenarios/rpc.yaml::RPC-004[color-laser-mfp/embedded]",
        "scenarios/rpc.yaml::RPC-004[color-laser-mfp/proxy]",
    ]
