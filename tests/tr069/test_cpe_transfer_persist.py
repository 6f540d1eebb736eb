"""An accepted transfer is always completed or failed, and reported, across reboots and
restarts of the process (issue 12, item 4: a reboot cancelled an accepted, unfinished Download
with no TransferComplete ever; transfers waiting out DelaySeconds were not persisted).

TR-069 A.3.2.8: a CPE that answered a Download with Status 1 MUST later send TransferComplete.
The stub ACS gives the Download and serves the file; a second real web server on loopback
answers a download with its headers and then nothing (a transfer at work).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from printbench.cwmp import messages as m
from printbench.cwmp import soap
from printbench.cwmp_cpe import Cpe, CpeConfig, DownloadedFile, FakeTime, MemoryStore
from printbench.cwmp_cpe.transfers import IN_PROGRESS, NOT_STARTED, TransferOutcome

from .conftest import device_id, small_tree

CONFIG = "3 Vendor Configuration File"


class Hooks:
    """A device that takes configuration files and remembers what it got."""

    download_types = (CONFIG,)

    def __init__(self) -> None:
        self.files: list[bytes] = []

    async def accept_download(self, job, file: DownloadedFile) -> TransferOutcome:
        self.files.append(file.read_bytes(1 << 20))  # the runtime streams it to a file
        return TransferOutcome()


@pytest.fixture
async def stalling_server() -> AsyncIterator[str]:
    """A web server that starts every response and never finishes it."""
    stop = asyncio.Event()

    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Length": "1000000"})
        await resp.prepare(request)  # the headers, then not one byte of the body
        await stop.wait()
        return resp

    app = web.Application()
    app.router.add_get("/{name}", handler)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = next(a for a in runner.addresses if isinstance(a, tuple))[1]
    yield f"http://127.0.0.1:{port}/firmware.bin"
    stop.set()
    await runner.cleanup()


def make(acs, t: FakeTime, store: MemoryStore, hooks: Hooks) -> Cpe:
    tree = small_tree(
        acs.server.cwmp_url, ConnectionRequestUsername="", ConnectionRequestPassword=""
    )
    return Cpe(tree, CpeConfig(), hooks=hooks, clock=t, sleep=t.sleep, store=store)


def transfer_completes(acs) -> list[m.TransferComplete]:
    out = []
    for e in acs.journal(device=device_id()):
        if e.get("method") == "TransferComplete" and e.get("direction") == "cpe->acs":
            out.append(soap.decode(e["body"].encode()).body)
    return out


def last_inform_events(acs) -> list[tuple[str, str]]:
    dev = acs.device(device_id())
    return [(e.event_code, e.command_key) for e in dev.last_inform.event]


async def _accept(acs, cpe: Cpe, t: FakeTime, url: str, delay: int) -> None:
    await cpe.start()
    await t.advance(0, [cpe.idle])
    acs.enqueue(device_id(), m.Download("dl-1", CONFIG, url, delay_seconds=delay))
    assert cpe.accept_connection_request()[0] == 200  # as the CR server does once authenticated
    # the session and, for delay 0, the start of the transfer (which then stalls)
    for _ in range(250):
        await asyncio.sleep(0.02)
        await t.advance(0, [])
        if cpe.session is None and cpe.jobs and (delay or cpe.jobs[0].state == IN_PROGRESS):
            break
    assert [j.command_key for j in cpe.jobs] == ["dl-1"]


async def test_reboot_fails_and_reports_a_download_at_work(acs, stalling_server) -> None:
    t, store, hooks = FakeTime(), MemoryStore(), Hooks()
    cpe = make(acs, t, store, hooks)
    try:
        await _accept(acs, cpe, t, stalling_server, 0)
        assert cpe.jobs[0].state == IN_PROGRESS
        cpe.device_booted()  # the device restarts while the file is coming in
        await t.advance(0, [cpe.idle])
        (tc,) = transfer_completes(acs)
        assert tc.command_key == "dl-1" and tc.fault_struct.fault_code == 9010
        assert "reboot" in tc.fault_struct.fault_string
        events = last_inform_events(acs)
        assert ("1 BOOT", "") in events and ("7 TRANSFER COMPLETE", "") in events
        assert ("M Download", "dl-1") in events
        assert cpe.jobs == [] and len(cpe.queue) == 0
    finally:
        await cpe.stop()


async def test_reboot_keeps_a_download_waiting_out_delay_seconds(acs) -> None:
    t, store, hooks = FakeTime(), MemoryStore(), Hooks()
    acs.add_file("cfg.txt", b"# vendor configuration\n")
    cpe = make(acs, t, store, hooks)
    try:
        await _accept(acs, cpe, t, acs.file_url("cfg.txt"), 3600)
        await t.advance(600, [cpe.idle])
        cpe.device_booted()
        await t.advance(0, [cpe.idle])
        assert [(j.command_key, j.state) for j in cpe.jobs] == [("dl-1", NOT_STARTED)]
        await t.advance(3000 + 1, [cpe.idle])
        await t.advance(0, [cpe.idle])
        (tc,) = transfer_completes(acs)
        assert tc.command_key == "dl-1" and tc.fault_struct.fault_code == 0
        assert hooks.files == [b"# vendor configuration\n"]
    finally:
        await cpe.stop()


async def test_restart_resumes_a_download_waiting_out_delay_seconds(acs) -> None:
    t, store = FakeTime(), MemoryStore()
    acs.add_file("cfg.txt", b"# vendor configuration\n")
    cpe = make(acs, t, store, Hooks())
    await _accept(acs, cpe, t, acs.file_url("cfg.txt"), 3600)
    await t.advance(600, [cpe.idle])
    await cpe.stop()  # the process ends
    hooks = Hooks()
    cpe2 = make(acs, t, store, hooks)  # a new process on the same store
    try:
        await cpe2.start()
        await t.advance(0, [cpe2.idle])
        assert [(j.command_key, j.state) for j in cpe2.jobs] == [("dl-1", NOT_STARTED)]
        await t.advance(3000 + 1, [cpe2.idle])
        await t.advance(0, [cpe2.idle])
        (tc,) = transfer_completes(acs)
        assert tc.command_key == "dl-1" and tc.fault_struct.fault_code == 0
        assert hooks.files == [b"# vendor configuration\n"]
        assert ("M Download", "dl-1") in last_inform_events(acs)
    finally:
        await cpe2.stop()


async def test_restart_fails_and_reports_a_download_that_was_at_work(acs, stalling_server) -> None:
    t, store = FakeTime(), MemoryStore()
    cpe = make(acs, t, store, Hooks())
    await _accept(acs, cpe, t, stalling_server, 0)
    await cpe.stop()  # the process ends mid-transfer
    cpe2 = make(acs, t, store, Hooks())
    try:
        await cpe2.start()
        await t.advance(0, [cpe2.idle])
        await t.advance(0, [cpe2.idle])
        (tc,) = transfer_completes(acs)
        assert tc.command_key == "dl-1" and tc.fault_struct.fault_code == 9010
        assert "restart" in tc.fault_struct.fault_string
        assert cpe2.jobs == []
    finally:
        await cpe2.stop()


async def test_cancelled_transfer_does_not_come_back_after_a_restart(acs) -> None:
    t, store = FakeTime(), MemoryStore()
    acs.add_file("cfg.txt", b"x")
    cpe = make(acs, t, store, Hooks())
    await _accept(acs, cpe, t, acs.file_url("cfg.txt"), 3600)
    acs.enqueue(device_id(), m.CancelTransfer("dl-1"))
    assert cpe.accept_connection_request()[0] == 200  # authenticated, as the CR server does
    await t.advance(0, [cpe.idle])
    await t.advance(0, [cpe.idle])
    assert cpe.jobs == []
    await cpe.stop()
    cpe2 = make(acs, t, store, Hooks())
    try:
        await cpe2.start()
        await t.advance(3600, [cpe2.idle])
        assert cpe2.jobs == [] and transfer_completes(acs) == []
    finally:
        await cpe2.stop()


async def test_stop_and_start_of_the_same_cpe_resumes_a_pending_download(acs) -> None:
    t, store, hooks = FakeTime(), MemoryStore(), Hooks()
    acs.add_file("cfg.txt", b"# vendor configuration\n")
    cpe = make(acs, t, store, hooks)
    await _accept(acs, cpe, t, acs.file_url("cfg.txt"), 3600)
    await cpe.stop()
    try:
        await cpe.start()  # the same object, as a device powered off and on again
        await t.advance(3600 + 1, [cpe.idle])
        await t.advance(0, [cpe.idle])
        (tc,) = transfer_completes(acs)
        assert tc.fault_struct.fault_code == 0 and hooks.files == [b"# vendor configuration\n"]
    finally:
        await cpe.stop()
