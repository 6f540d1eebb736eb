"""``printbench acs --stun-port``: the stub ACS's STUN server role, checked with a real STUN
client (coturn's ``turnutils_stunclient``, Debian package coturn)."""

from __future__ import annotations

import asyncio
import re
import shutil
import signal
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    shutil.which("turnutils_stunclient") is None, reason="coturn not installed: ./dev setup"
)

HOST, STUN_PORT = "127.71.20.2", 34792


async def test_acs_cli_serves_stun_to_a_real_client(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "printbench.cli", "acs", "--host", HOST, "--port", "0",
        "--stun-port", str(STUN_PORT), "--no-persist", "--journal-dir", str(tmp_path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    lines: list[str] = []
    try:
        while True:
            line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().strip()
            assert line, "printbench acs exited before ready"
            lines.append(line)
            if line == "ready":
                break
        assert f"stun {HOST}:{STUN_PORT}/udp" in lines
        client = await asyncio.create_subprocess_exec(
            "turnutils_stunclient", "-L", "127.71.20.3", "-p", str(STUN_PORT), HOST,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        out, _ = await asyncio.wait_for(client.communicate(), 20)
        # the client read its own address back from our Binding Response
        assert re.search(r"UDP reflexive addr: 127\.71\.20\.3:\d+", out.decode()), out.decode()
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.communicate(), 30)
