"""Issue 17 item 7: what the stub ACS holds is bounded and survives a restart.

* the journal in memory is capped by size, not only by entries (each rejected ~1 MB POST kept
  ~256 KB, 400 such POSTs +100 MB);
* the journal file rotates by size;
* queued RPCs and the registry are kept in SQLite in the journal folder: a new ACS on the
  same folder still has them and delivers them."""

from __future__ import annotations

import aiohttp

from printbench.acs_stub.control import AcsControl
from printbench.acs_stub.journal import Journal
from printbench.acs_stub.server import AcsConfig
from printbench.cwmp import messages as m


def _kept(journal: Journal) -> int:
    return sum(len(e.body) for e in journal.entries())


async def test_rejected_big_posts_do_not_pile_up_in_memory(tmp_path) -> None:
    acs = await AcsControl.start(
        AcsConfig(
            host="127.0.0.1",
            port=0,
            control_port=0,
            journal_dir=tmp_path,
            journal_keep_bytes=2 * 1024 * 1024,
        )
    )
    body = b"<x>" + b"A" * (1000 * 1024) + b"</y>"  # ~1 MB, not CWMP: refused with 400
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(30):
                async with http.post(
                    acs.server.cwmp_url, data=body, headers={"Content-Type": "text/xml"}
                ) as resp:
                    assert resp.status == 400
        assert _kept(acs.server.journal) <= 2 * 1024 * 1024
        assert len(acs.server.journal.entries()) >= 2  # the newest are still there
    finally:
        await acs.stop()


def test_journal_memory_is_capped_by_bytes() -> None:
    journal = Journal(None, keep=200_000, keep_bytes=1024 * 1024)
    for _ in range(400):
        journal.record("http", "cpe->acs", body="B" * 256 * 1024)
    assert _kept(journal) <= 1024 * 1024
    assert journal.entries()[-1].ref == 400 and journal.get(400) is not None


def test_journal_file_rotates_by_size(tmp_path) -> None:
    path = tmp_path / "acs-journal.jsonl"
    journal = Journal(path, max_file_bytes=64 * 1024, keep_files=2)
    for n in range(200):
        journal.record("http", "cpe->acs", body=f"{n:04d}" + "x" * 1000)
    journal.close()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["acs-journal.jsonl", "acs-journal.jsonl.1", "acs-journal.jsonl.2"]
    for p in tmp_path.iterdir():
        assert p.stat().st_size <= 64 * 1024 + 2000
    assert '"ref": 200' in path.read_text()  # the newest entries are in the current file


async def test_queued_rpcs_and_registry_survive_a_restart(tmp_path, make_cpe_for) -> None:
    """Queue RPCs, stop the ACS, start a new one on the same folder: the device, its
    connection-request credentials and every RPC are still there, and delivered in order."""
    from printbench.acs_stub.registry import device_key

    config = AcsConfig(host="127.0.0.1", port=0, control_port=0, journal_dir=tmp_path, persist=True)
    first = await AcsControl.start(config)
    serial = "SN-RESTART-1"
    dev = device_key("00AA11", "LaserPrinter", serial)
    try:
        first.set_connection_request(dev, username="cr", password="secret")
        first.enqueue(dev, m.Reboot("reboot-1"))
        first.enqueue(dev, m.GetParameterValues(("Device.DeviceInfo.",)))
        done = first.enqueue(dev, m.Reboot("answered-before"))
        done.abort("answered before the restart")  # not to be delivered again
    finally:
        await first.stop()

    second = await AcsControl.start(config)
    try:
        device = second.device(dev)
        assert device.cr_credentials.username == "cr"
        assert [q.method for q in device.queue.pending()] == ["Reboot", "GetParameterValues"]
        cpe = make_cpe_for(second, serial)
        seen: list[str] = []

        def handler(req):
            seen.append(type(req).__name__)
            return cpe.answers(req)

        await cpe.session(handler=handler)
        assert seen == ["Reboot", "GetParameterValues"]
        assert second.device(dev).queue.pending() == []
    finally:
        await second.stop()
    third = await AcsControl.start(config)  # nothing left to deliver after the answers
    try:
        assert third.device(dev).queue.pending() == []
    finally:
        await third.stop()


async def test_a_killed_acs_process_loses_no_queued_rpc(tmp_path) -> None:
    """The issue's case: ``printbench acs`` killed with SIGKILL while Reboots are queued; a
    new one on the same journal folder still has them (the CLI persists by default)."""
    import asyncio
    import os
    import signal
    import sys

    async def start() -> tuple[asyncio.subprocess.Process, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "printbench.cli", "acs", "--port", "0", "--control-port", "0",
            "--journal-dir", str(tmp_path),
            stdout=asyncio.subprocess.PIPE, env={**os.environ},
        )  # fmt: skip
        control = ""
        async with asyncio.timeout(60):  # a guard for a hung start
            while True:
                line = (await proc.stdout.readline()).decode()
                assert line, "printbench acs exited before ready"
                if line.startswith("control "):
                    control = line.split()[1]
                if line.strip() == "ready":
                    return proc, control

    dev = "00AA11-LaserPrinter-SN1"
    proc, control = await start()
    try:
        async with aiohttp.ClientSession() as http:
            for n in range(3):
                rpc = {"method": "Reboot", "args": {"command_key": f"r{n}"}, "wait": False}
                async with http.post(f"{control}/devices/{dev}/rpc", json=rpc) as resp:
                    assert resp.status == 202, await resp.text()
    finally:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    proc, control = await start()
    try:
        async with aiohttp.ClientSession() as http, http.get(f"{control}/devices/{dev}") as resp:
            assert (await resp.json())["queued_rpcs"] == ["Reboot", "Reboot", "Reboot"]
    finally:
        proc.terminate()
        await proc.wait()


async def test_a_device_keeps_a_bounded_list_of_its_session_ids(acs, make_cpe) -> None:
    """Found by the one-hour soak (benchmarks/soak.py): every session's id was appended to
    its device's list for ever (1,000 printers, 180,000 sessions an hour); only the last
    ones are shown (the registry summary lists 20). The list keeps the last
    SESSION_IDS_KEPT."""
    from printbench.acs_stub.registry import SESSION_IDS_KEPT

    cpe = make_cpe()
    for _ in range(SESSION_IDS_KEPT + 5):
        await cpe.session()
    ids = acs.device(cpe.device_id).session_ids
    assert len(ids) == SESSION_IDS_KEPT
    assert ids[-1] == acs.server.journal.sessions()[-1][0]  # the newest is kept


async def test_a_device_keeps_a_bounded_list_of_the_events_it_sent(acs, make_cpe) -> None:
    """Found with tracemalloc after the one-hour soak: every Inform's events were appended to
    its device's ``events_seen`` for ever (the registry summary shows the last 50). The list
    keeps the last EVENTS_SEEN_KEPT, the newest last."""
    from printbench.acs_stub.registry import EVENTS_SEEN_KEPT

    cpe = make_cpe()
    await cpe.session(cpe.inform(events=("0 BOOTSTRAP", "1 BOOT")))
    for i in range(EVENTS_SEEN_KEPT // 2 + 5):
        await cpe.session(cpe.inform(events=("2 PERIODIC", ("M Download", f"k{i}"))))
    seen = acs.device(cpe.device_id).events_seen
    assert len(seen) == EVENTS_SEEN_KEPT
    assert seen[-1] == ("M Download", f"k{EVENTS_SEEN_KEPT // 2 + 4}")
