"""``printbench fleet`` as a user runs it: endpoint lines, ``ready``, SIGTERM stops it cleanly
with the TR-069 state of every printer written; a too-big layout is refused with a reason."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

from printbench.acs_stub.control import AcsControl


async def test_fleet_cli_ready_and_clean_sigterm(acs: AcsControl, tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "printbench.cli", "fleet", "--devices", "10", "--workers", "2",
        "--base-address", "127.100.8.1", "--listen", "per-address", "--api-port", "0",
        "--acs-url", acs.server.cwmp_url, "--state-dir", str(tmp_path / "state"),
        "--inventory", str(tmp_path / "inv.json"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    lines = []
    try:
        while True:
            line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()
            assert line, "fleet exited before ready"
            lines.append(line.strip())
            if line.strip() == "ready":
                break
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    assert lines[1] == "printers 127.100.8.1 - 127.100.8.10"
    assert any(line.startswith("api http://127.0.0.1:") for line in lines)
    inv = json.loads((tmp_path / "inv.json").read_text())
    assert len(inv["devices"]) == 10 and len(inv["printers"]) == 10
    saved = {}
    for p in (tmp_path / "state").glob("worker-*.json"):
        saved.update(json.loads(p.read_text())["devices"])
    assert set(saved) == {d["serial"] for d in inv["devices"]}


async def test_fleet_cli_refuses_impossible_layout() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "printbench.cli", "fleet", "--devices", "20000",
        "--port-blocks", "60000", stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode != 0
    assert "past 65535" in err.decode()


async def test_fleet_cli_refuses_wildcard_snmp_with_port_blocks() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "printbench.cli", "fleet", "--devices", "2",
        "--port-blocks", "30000", "--snmp-sockets", "wildcard", "--api-port", "-1",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode != 0
    text = err.decode()
    assert "--snmp-sockets wildcard needs printers on their own addresses" in text
    assert "Traceback" not in text
