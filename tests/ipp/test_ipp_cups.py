"""A desktop print system sets the printer up driverless and prints on it: CUPS.

A private ``cupsd`` (temporary ServerRoot, its own loopback port, no system cupsd needed) adds
a queue with ``lpadmin -m everywhere`` (CUPS builds the PPD from Get-Printer-Attributes),
``lp`` prints a PDF, and the job must complete on the printer with its pages counted, and the
page counters must move by the job's impressions on every face: SNMP ``prtMarkerLifeCount``
(net-snmp ``snmpget``), IPP ``printer-impressions-completed`` and the TR-069
``Status.ImpressionsCompleted``. cupsd's error_log must hold no ``E`` line.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from printbench.common.clock import SystemClock
from printbench.emulator.behaviour import PrinterEngine
from printbench.emulator.profiles import build_printer
from printbench.emulator.snmp.agent import SnmpAgent
from printbench.emulator.tr069 import view as V
from tests.ipp.conftest import Device, make_pdf
from tests.snmp.snmp_support import run

pytestmark = pytest.mark.interop

CUPSD = Path("/usr/sbin/cupsd")
LIFE_COUNT = "1.3.6.1.2.1.43.10.2.1.4.1.1"  # prtMarkerLifeCount.1.1 (RFC 3805)
IMPRESSIONS = "Device.Services.PrintService.1.Status.ImpressionsCompleted"

CUPSD_CONF = """LogLevel info
Listen 127.0.0.1:{port}
Browsing No
DefaultAuthType None
WebInterface No
<Location />
  Order allow,deny
  Allow all
</Location>
<Policy default>
  JobPrivateAccess default
  JobPrivateValues default
  SubscriptionPrivateAccess default
  SubscriptionPrivateValues default
  <Limit All>
    Order deny,allow
    Allow all
  </Limit>
</Policy>
"""
FILES_CONF = """ServerRoot {root}
RequestRoot {root}/spool
CacheDir {root}/cache
StateDir {root}/state
TempDir {root}/tmp
ErrorLog {root}/log/error_log
AccessLog {root}/log/access_log
PageLog {root}/log/page_log
DataDir /usr/share/cups
ServerBin /usr/lib/cups
FileDevice No
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def private_cupsd(root: Path) -> AsyncIterator[dict[str, str]]:
    """cupsd in the foreground with its own config; yields the environment for its clients."""
    if not CUPSD.exists() or shutil.which("lpadmin") is None:
        pytest.skip("CUPS is not installed; ./dev setup installs it")
    if os.geteuid() != 0:
        pytest.skip("cupsd with a private ServerRoot needs root here")
    port = _free_port()
    root.mkdir(mode=0o755)  # filters run as user lp: they must reach the spool
    root.parent.chmod(0o755)
    for sub in ("spool", "cache", "state", "tmp", "log", "ppd"):
        (root / sub).mkdir(parents=True)
    (root / "tmp").chmod(0o1777)  # filters (user lp) write their temporary files there
    (root / "cupsd.conf").write_text(CUPSD_CONF.format(port=port))
    (root / "cups-files.conf").write_text(FILES_CONF.format(root=root))
    proc = await asyncio.create_subprocess_exec(
        str(CUPSD),
        "-f",
        "-c",
        str(root / "cupsd.conf"),
        "-s",
        str(root / "cups-files.conf"),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    env = {**os.environ, "CUPS_SERVER": f"127.0.0.1:{port}"}
    try:
        for _ in range(100):
            code, out, _ = await _cmd(env, "lpstat", "-r")
            if code == 0 and "scheduler is running" in out:
                break
            await asyncio.sleep(0.1)
        yield env
    finally:
        proc.terminate()
        with contextlib.suppress(ProcessLookupError, TimeoutError):
            await asyncio.wait_for(proc.wait(), 10)


async def _cmd(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(errors="replace"), err.decode(errors="replace")


async def _snmp_life_count(target: str) -> int:
    code, out, err = await run("snmpget", "-v2c", "-c", "public", "-Oqv", target, LIFE_COUNT)
    assert code == 0, err
    return int(out.split()[-1])


async def _ipp_impressions(ipp_call, ipp_request, server, host: str) -> int:
    msg = ipp_request(
        0x000B,
        server.uri(host),
        ("requested-attributes", 0x44, ["printer-impressions-completed"]),
    )
    resp = await ipp_call(server, msg, host=host)
    attrs = {a.name: a for g in resp.groups for a in g.attributes}
    return attrs["printer-impressions-completed"].values[0]


def _tr069_impressions(device: Device) -> int:
    tree, _ = V.printer_tree(device.state, device.clock)
    (value,) = tree.get_parameter_values([IMPRESSIONS])
    return int(value.value)


# What the printer lists decides what CUPS sends: PDF as the profile has it, or (a printer
# listing only rasters) PWG raster or Apple raster made by CUPS's own filters.
FORMATS = {
    "application/pdf": None,
    "image/pwg-raster": ("image/pwg-raster", "image/jpeg", "application/octet-stream"),
    "image/urf": ("image/urf", "image/jpeg", "application/octet-stream"),
}


@pytest.mark.parametrize("sent", list(FORMATS))
async def test_ipp_cups_driverless_queue_prints_and_counters_move(
    sent: str, ipp_serve, ipp_call, ipp_request
) -> None:
    with tempfile.TemporaryDirectory(prefix="printbench-cups-") as tmp:
        await _driverless(Path(tmp), sent, ipp_serve, ipp_call, ipp_request)


async def _driverless(tmp_path: Path, sent: str, ipp_serve, ipp_call, ipp_request) -> None:
    host = "127.30.2.1"
    clock = SystemClock()
    state = build_printer("color-laser-mfp", seed=5, clock=clock, host=host)
    if FORMATS[sent] is not None:
        state.description.document_formats = FORMATS[sent]
    device = Device(state, PrinterEngine(state, clock, seed=5, speed=50.0), clock)
    pdf = tmp_path / "three-pages.pdf"
    pdf.write_bytes(make_pdf(3, 595, 842))
    agent = SnmpAgent()
    snmp_host, snmp_port = await agent.add_device(device, host, 0)
    target = f"{snmp_host}:{snmp_port}"
    try:
        async with ipp_serve({host: device}) as server, private_cupsd(tmp_path / "cups") as env:
            code, out, err = await _cmd(
                env, "lpadmin", "-p", "bench", "-E", "-v", server.uri(host), "-m", "everywhere"
            )
            assert code == 0, (out, err)
            before = (
                await _snmp_life_count(target),
                await _ipp_impressions(ipp_call, ipp_request, server, host),
                _tr069_impressions(device),
            )
            code, out, err = await _cmd(env, "lp", "-d", "bench", "-n", "2", str(pdf))
            assert code == 0, (out, err)
            for _ in range(150):  # CUPS's filters and backend run as separate processes
                code, out, _ = await _cmd(env, "lpstat", "-o", "bench")
                jobs = [j for j in device.state.jobs if j.user != "anonymous"]
                if not out.strip() and jobs and jobs[-1].state == "completed":
                    break
                await asyncio.sleep(0.2)
            code, completed, _ = await _cmd(env, "lpstat", "-W", "completed", "-o", "bench")
            log = (tmp_path / "cups" / "log" / "error_log").read_text().splitlines()
            assert "bench-1" in completed, log[-40:]
            job = device.state.jobs[-1]
            assert job.state == "completed", (job.state, job.state_reasons)
            summary = [(j.index, j.document_format, j.state, j.pages) for j in device.state.jobs]
            assert job.document_format == sent, summary
            impressions = job.pages * job.copies
            assert job.impressions_completed == impressions == 6, (job.pages, job.copies)
            after = (
                await _snmp_life_count(target),
                await _ipp_impressions(ipp_call, ipp_request, server, host),
                _tr069_impressions(device),
            )
            assert [a - b for a, b in zip(after, before, strict=True)] == [impressions] * 3
        errors = [
            line
            for line in (tmp_path / "cups" / "log" / "error_log").read_text().splitlines()
            if line.startswith("E ")
        ]
        assert not errors, errors
    finally:
        await agent.close()
