"""printerV2Alert traps reach a real net-snmp snmptrapd when an alert row is added."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from pathlib import Path

import pytest

from tests.snmp.snmp_support import Served, next_host

pytestmark = pytest.mark.interop

SNMPTRAPD = shutil.which("snmptrapd") or "/usr/sbin/snmptrapd"


def free_udp_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


async def read_until(stream: asyncio.StreamReader, needle: str, timeout: float = 10) -> str:
    seen = []
    async with asyncio.timeout(timeout):
        while True:
            line = (await stream.readline()).decode(errors="replace")
            if not line:
                raise AssertionError(f"snmptrapd ended before {needle!r}: {''.join(seen)}")
            seen.append(line)
            if needle in line:
                return "".join(seen)


@pytest.mark.skipif(
    not os.path.exists(SNMPTRAPD), reason="snmptrapd not installed (./dev setup installs it)"
)
async def test_alert_row_sends_printer_v2_alert_trap(served: Served, tmp_path: Path) -> None:
    host = next_host()
    port = free_udp_port(host)
    conf = tmp_path / "snmptrapd.conf"
    conf.write_text("disableAuthorization yes\n")
    fmt = "TRAP %b %V| %v\\n"
    proc = await asyncio.create_subprocess_exec(
        SNMPTRAPD,
        "-f",
        "-Lo",
        "-On",
        "-C",
        "-c",
        str(conf),
        "-F",
        fmt,
        f"udp:{host}:{port}",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "MIBS": "", "SNMP_PERSISTENT_DIR": str(tmp_path)},
    )
    try:
        assert proc.stdout is not None
        await read_until(proc.stdout, "NET-SNMP version")  # listening
        state = served.device.state
        state.snmp.trap_destinations = (f"{host}:{port}",)
        served.device.engine.inject("cover_open")  # the engine adds a coverOpen alert row
        alert = state.alerts[-1]
        out = await read_until(proc.stdout, "TRAP ")
        line = out.splitlines()[-1]
        assert served.host in line  # sent from the device's own address
        assert ".1.3.6.1.2.1.43.18.2.0.1" in line  # snmpTrapOID.0 = printerV2Alert
        inst = f"1.{alert.index}"
        for column, value in ((1, alert.index), (2, 3), (4, 6), (5, 1), (7, 3)):
            assert f".1.3.6.1.2.1.43.18.1.1.{column}.{inst} = INTEGER: {value}" in line, line
    finally:
        proc.terminate()
        await proc.wait()
