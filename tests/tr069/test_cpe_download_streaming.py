"""Downloads of real firmware sizes stream to disk (issue 12, item 2).

A 64 MB image made by the test is Downloaded by the embedded client of the colour MFP from
the stub ACS's file server and from a real web server (Debian's lighttpd, started here on
loopback with HTTP digest auth, its own config in a temp dir). Each must end in
TransferComplete FaultCode 0, the printer must report the new SoftwareVersion after its
reboot, and the process's peak RSS (VmHWM, reset through /proc/self/clear_refs before the
transfer) must stay within a few MB of where it started: the file never sits in memory.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from printbench.cwmp import messages as m
from printbench.cwmp import soap
from printbench.cwmp_cpe import FakeTime
from printbench.emulator.tr069.transfers import write_firmware

from .conftest import assert_printer_valid, printer_id, start_printer

FIRMWARE = "1 Firmware Upgrade Image"
SIZE = 64_000_000
#: The issue's bound for a fleet worker: RSS grows by less than 10 MB during the transfer.
RSS_BOUND = 10 * 1024 * 1024
LIGHTTPD = shutil.which("lighttpd") or "/usr/sbin/lighttpd"


def _status(field: str) -> int:
    """A ``/proc/self/status`` field in bytes (VmRSS, VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} in /proc/self/status")


def reset_peak_rss() -> int:
    """Reset VmHWM to the current RSS (Linux clear_refs "5") and return that RSS."""
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")
    return _status("VmRSS")


def codes(inform: m.Inform) -> set[tuple[str, str]]:
    return {(e.event_code, e.command_key) for e in inform.event}


async def download_and_check(acs, vp, t: FakeTime, key: str, url: str, *, user="", pw="",
                             size: int, version: str) -> int:  # fmt: skip
    """Run one Download to completion; return the peak RSS growth it caused."""
    dev = printer_id(vp.state)
    cpe = vp.tr069.cpe
    before = reset_peak_rss()
    resp = acs.enqueue(dev, m.Download(key, FIRMWARE, url, user, pw, size))
    await acs.connection_request(dev)
    await t.advance(0, [cpe.idle])
    assert (await resp.result(1)).status == 1
    await t.advance(0, [cpe.idle])
    growth = _status("VmHWM") - before
    tcs = {}
    for e in acs.journal(device=dev):
        if e.get("method") == "TransferComplete":
            tc = soap.decode(e["body"].encode()).body
            tcs[tc.command_key] = (tc.fault_struct.fault_code, tc.fault_struct.fault_string)
    assert tcs.get(key) == (0, ""), tcs
    assert vp.state.identity.software_version == version
    after = [i for i in cpe.informs if ("M Download", key) in codes(i)]
    assert after and ("1 BOOT", "") in codes(after[0])
    params = {p.name: p.value for p in after[0].parameter_list}
    assert params["Device.DeviceInfo.SoftwareVersion"] == version
    return growth


@pytest.fixture
def image(tmp_path: Path) -> Path:
    from printbench.emulator.profiles import load_profile

    pc = load_profile("color-laser-mfp").data["identity"]["product_class"]
    return write_firmware(tmp_path / "fw-64m.bin", pc, "8.0.64", SIZE)


def _leftover_downloads(directory: Path) -> list[Path]:
    return sorted(directory.glob("download-*"))


async def test_cpe_download_64mb_from_stub_streams(acs, fake_time, image, tmp_path) -> None:
    vp = await start_printer(acs, fake_time, "127.70.2.1")
    vp.tr069.cpe.config.download_dir = tmp_path / "dl"
    try:
        acs.add_file("fw-64m.bin", image)
        growth = await download_and_check(
            acs, vp, fake_time, "dl-64m", acs.file_url("fw-64m.bin"), size=SIZE,
            version="8.0.64",
        )  # fmt: skip
        assert growth < RSS_BOUND, f"peak RSS grew by {growth / 1e6:.1f} MB"
        assert _leftover_downloads(tmp_path / "dl") == []
        assert_printer_valid(acs)
    finally:
        await vp.stop()


async def test_cpe_download_100mb_from_stub_streams(acs, fake_time, tmp_path) -> None:
    """Issue 12 item 2: a 100 MB image does not raise RSS by more than a few MB."""
    vp = await start_printer(acs, fake_time, "127.70.2.5")
    vp.tr069.cpe.config.download_dir = tmp_path / "dl"
    size = 100_000_000
    try:
        image = write_firmware(tmp_path / "fw-100m.bin", vp.state.identity.product_class,
                               "8.1.100", size)  # fmt: skip
        acs.add_file("fw-100m.bin", image)
        growth = await download_and_check(
            acs, vp, fake_time, "dl-100m", acs.file_url("fw-100m.bin"), size=size,
            version="8.1.100",
        )  # fmt: skip
        assert growth < RSS_BOUND, f"peak RSS grew by {growth / 1e6:.1f} MB"
        assert _leftover_downloads(tmp_path / "dl") == []
    finally:
        await vp.stop()


async def test_cpe_download_refused_over_cap_leaves_no_file(acs, fake_time, image,
                                                            tmp_path) -> None:  # fmt: skip
    """Over max_download_size the transfer fails 9010 and its partial file is gone."""
    vp = await start_printer(acs, fake_time, "127.70.2.2")
    cpe = vp.tr069.cpe
    cpe.config.download_dir = tmp_path / "dl"
    cpe.config.max_download_size = SIZE - 1
    dev = printer_id(vp.state)
    old = vp.state.identity.software_version
    try:
        acs.add_file("fw-64m.bin", image)
        acs.enqueue(dev, m.Download("dl-big", FIRMWARE, acs.file_url("fw-64m.bin")))
        await acs.connection_request(dev)
        await fake_time.advance(0, [cpe.idle])
        await fake_time.advance(0, [cpe.idle])
        tcs = [soap.decode(e["body"].encode()).body for e in acs.journal(device=dev)
               if e.get("method") == "TransferComplete"]  # fmt: skip
        assert [tc.fault_struct.fault_code for tc in tcs] == [9010]
        assert vp.state.identity.software_version == old
        assert _leftover_downloads(tmp_path / "dl") == []
    finally:
        await vp.stop()


# -- a real web server --------------------------------------------------------------------


@dataclass
class Lighttpd:
    url: str
    username: str
    password: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _wait_port(port: int, proc: subprocess.Popen, timeout: float = 10.0) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline and proc.poll() is None:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        return True
    return False


@pytest.fixture
async def lighttpd(tmp_path: Path, image: Path) -> AsyncIterator[Lighttpd]:
    """lighttpd serving ``image`` from a temp docroot, behind HTTP digest auth (MD5)."""
    if not Path(LIGHTTPD).exists():
        pytest.fail("lighttpd is not installed: ./dev setup installs it (APT_PACKAGES)")
    root = tmp_path / "www"
    root.mkdir()
    (root / "fw-64m.bin").symlink_to(image)
    realm, user, pw = "printbench-fw", "fwuser", "fw-secret"
    ha1 = hashlib.md5(f"{user}:{realm}:{pw}".encode()).hexdigest()
    (tmp_path / "htdigest").write_text(f"{user}:{realm}:{ha1}\n")
    for _ in range(5):  # another helper's test may take the port between probe and bind
        port = _free_port()
        conf = tmp_path / "lighttpd.conf"
        conf.write_text(
            f'server.document-root = "{root}"\n'
            f'server.bind = "127.0.0.1"\nserver.port = {port}\n'
            f'server.errorlog = "{tmp_path}/lighttpd-error.log"\n'
            'server.modules = ("mod_auth", "mod_authn_file")\n'
            'server.follow-symlink = "enable"\n'
            'mimetype.assign = ("" => "application/octet-stream")\n'
            'auth.backend = "htdigest"\n'
            f'auth.backend.htdigest.userfile = "{tmp_path}/htdigest"\n'
            'auth.require = ("/" => ("method" => "digest", "realm" => "' + realm + '", '
            '"require" => "valid-user"))\n'
        )
        proc = subprocess.Popen([LIGHTTPD, "-D", "-f", str(conf)], stderr=subprocess.PIPE)
        if await _wait_port(port, proc):
            break
        proc.kill()
        proc.wait()
    else:
        pytest.fail("lighttpd did not start: " + (tmp_path / "lighttpd-error.log").read_text())
    try:
        yield Lighttpd(f"http://127.0.0.1:{port}/fw-64m.bin", user, pw)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def test_cpe_download_64mb_from_lighttpd_digest(acs, fake_time, lighttpd: Lighttpd,
                                                       tmp_path) -> None:  # fmt: skip
    vp = await start_printer(acs, fake_time, "127.70.2.3")
    vp.tr069.cpe.config.download_dir = tmp_path / "dl"
    try:
        growth = await download_and_check(
            acs, vp, fake_time, "dl-lt", lighttpd.url, user=lighttpd.username,
            pw=lighttpd.password, size=SIZE, version="8.0.64",
        )  # fmt: skip
        assert growth < RSS_BOUND, f"peak RSS grew by {growth / 1e6:.1f} MB"
        assert _leftover_downloads(tmp_path / "dl") == []
        assert_printer_valid(acs)
    finally:
        await vp.stop()


async def test_cpe_download_lighttpd_wrong_password_is_9012(acs, fake_time, lighttpd: Lighttpd,
                                                             tmp_path) -> None:  # fmt: skip
    vp = await start_printer(acs, fake_time, "127.70.2.4")
    cpe = vp.tr069.cpe
    dev = printer_id(vp.state)
    try:
        acs.enqueue(dev, m.Download("dl-pw", FIRMWARE, lighttpd.url, lighttpd.username, "wrong"))
        await acs.connection_request(dev)
        await fake_time.advance(0, [cpe.idle])
        await fake_time.advance(0, [cpe.idle])
        tcs = [soap.decode(e["body"].encode()).body for e in acs.journal(device=dev)
               if e.get("method") == "TransferComplete"]  # fmt: skip
        assert [tc.fault_struct.fault_code for tc in tcs] == [9012]
    finally:
        await vp.stop()


async def test_partial_downloads_of_a_killed_process_are_removed(acs, fake_time, tmp_path) -> None:
    """A process killed mid-download left its ``download-*.part`` behind for ever; the next
    Download in that folder removes the parts of dead processes and keeps the others."""
    from printbench.cwmp_cpe import http as cpe_http

    folder = tmp_path / "dl"
    folder.mkdir()
    # a real process killed mid-transfer: it wrote part of a file, then SIGKILL
    proc = await asyncio.create_subprocess_exec(
        "python3", "-c",
        "import os,sys,time; f=open(sys.argv[1]+f'/download-{os.getpid()}-x1.part','wb');"
        "f.write(b'x'*4096); f.flush(); print('ready', flush=True); time.sleep(60)",
        str(folder), stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    assert (await asyncio.wait_for(proc.stdout.readline(), 30)).strip() == b"ready"
    proc.kill()
    await proc.wait()
    stale = sorted(folder.glob("download-*.part"))
    assert len(stale) == 1
    live = subprocess.Popen(["sleep", "60"])  # a process still running: its part stays
    try:
        mine = folder / f"download-{live.pid}-y2.part"
        mine.write_bytes(b"y")
        other = folder / "download-notes.part"  # not our naming: left alone
        other.write_bytes(b"z")
        vp = await start_printer(acs, fake_time, "127.70.2.9")
        vp.tr069.cpe.config.download_dir = folder
        cpe_http._SWEPT.discard(str(folder.resolve()))
        try:
            image = write_firmware(tmp_path / "fw-1m.bin", vp.state.identity.product_class,
                                   "8.2.1", 1_000_000)  # fmt: skip
            acs.add_file("fw-1m.bin", image)
            await download_and_check(acs, vp, fake_time, "dl-sweep", acs.file_url("fw-1m.bin"),
                                     size=1_000_000, version="8.2.1")  # fmt: skip
        finally:
            await vp.stop()
        assert not stale[0].exists()
        assert mine.exists() and other.exists()
    finally:
        live.kill()
        live.wait()
