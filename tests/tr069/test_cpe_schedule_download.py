"""ScheduleDownload time windows, queue listings and CancelTransfer of the CPE runtime, on
fake time (windows of seconds run in milliseconds) against the real stub ACS and its file
server over loopback (issue 15 item 4)."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from printbench.cwmp import messages as m
from printbench.cwmp_cpe import Cpe, CpeConfig, FakeTime, MemoryStore
from printbench.cwmp_cpe.transfers import TransferOutcome

from .conftest import assert_valid, device_id, small_tree

CFG = "3 Vendor Configuration File"
BODY = b"# printbench vendor configuration\n"


class Hooks:
    """A device taking configuration files; idle when told, a transfer held when told."""

    download_types = (CFG,)
    upload_types = ()

    def __init__(self) -> None:
        self.idle = True
        self.hold: asyncio.Event | None = None
        self.taken = 0

    def device_idle(self) -> bool:
        return self.idle

    async def accept_download(self, job, file) -> TransferOutcome:
        if self.hold is not None:
            await self.hold.wait()
        self.taken += 1
        return TransferOutcome()


def _window(start: int, end: int, mode: str = "1 At Any Time", retries: int = 0, msg: str = ""):
    return m.TimeWindowStruct(start, end, mode, msg, retries)


def _sd(key: str, url: str, *windows: m.TimeWindowStruct) -> m.ScheduleDownload:
    return m.ScheduleDownload(command_key=key, file_type=CFG, url=url, time_window_list=windows)


async def _started(acs, t: FakeTime, *requests, hooks=None, store=None, quirks=(), settle=True):
    hooks = hooks or Hooks()
    cpe = Cpe(small_tree(acs.server.cwmp_url), CpeConfig(quirks=frozenset(quirks)), hooks=hooks,
              clock=t, sleep=t.sleep, store=store or MemoryStore())  # fmt: skip
    done: list = []
    cpe.listeners.append(lambda what, data: done.append(data) if what == "transfer" else None)
    items = [acs.enqueue(device_id(), r) for r in requests]
    await cpe.start()
    await t.advance(0, [cpe.idle] if settle else [])
    return cpe, hooks, done, items


def _offset(rec, t0: datetime) -> float:
    return (datetime.fromisoformat(rec.start_time.replace("Z", "+00:00")) - t0).total_seconds()


async def test_download_starts_when_its_window_opens_and_reports_m_schedule_download(acs):
    t = FakeTime()
    t0 = t.now()
    acs.add_file("a.txt", BODY)
    cpe, _, done, (item,) = await _started(
        acs, t, _sd("sd-a", acs.file_url("a.txt"), _window(30, 60))
    )
    try:
        assert isinstance(item.future.result(), m.ScheduleDownloadResponse)
        await t.advance(29, [cpe.idle])
        assert done == [] and [j.state for j in cpe.jobs] == [1]
        await t.advance(5, [cpe.idle])
        (rec,) = done
        assert rec.fault_code == 0 and _offset(rec, t0) == 30.0
        last = [e.event_code for e in cpe.informs[-1].event]
        assert "M ScheduleDownload" in last and "7 TRANSFER COMPLETE" in last
        assert len(cpe.transfers) == 0  # acknowledged by the ACS
        assert_valid(acs)  # XSD + verdicts, schedule-download-window included
    finally:
        await cpe.stop()


async def test_a_failed_first_window_moves_to_the_second(acs):
    t = FakeTime()
    t0 = t.now()
    url = acs.file_url("late.txt")  # not served yet: the first window's attempt fails
    cpe, _, done, _ = await _started(acs, t, _sd("sd-b", url, _window(0, 5), _window(20, 40)))
    try:
        await t.advance(10, [cpe.idle])
        assert done == []
        acs.add_file("late.txt", BODY)
        await t.advance(20, [cpe.idle])
        (rec,) = done
        assert rec.fault_code == 0 and _offset(rec, t0) == 20.0
    finally:
        await cpe.stop()


@pytest.mark.parametrize(("retries", "ok"), [(0, False), (3, True)])
async def test_max_retries_inside_a_window(acs, retries: int, ok: bool):
    t = FakeTime()
    url = acs.file_url(f"r{retries}.txt")
    cpe, _, done, _ = await _started(acs, t, _sd("sd-r", url, _window(0, 30, retries=retries)))
    try:
        await t.advance(1.5, [cpe.idle])
        acs.add_file(f"r{retries}.txt", BODY)  # there from the second attempt on
        await t.advance(40, [cpe.idle])
        (rec,) = done
        assert (rec.fault_code == 0) is ok
        if not ok:
            assert rec.fault_code != 9020  # the attempt's own fault, not "no window"
    finally:
        await cpe.stop()


async def test_when_idle_waits_for_the_device_to_be_idle(acs):
    t = FakeTime()
    t0 = t.now()
    acs.add_file("i.txt", BODY)
    hooks = Hooks()
    hooks.idle = False
    cpe, _, done, _ = await _started(
        acs, t, _sd("sd-i", acs.file_url("i.txt"), _window(2, 60, "3 When Idle")), hooks=hooks
    )
    try:
        await t.advance(7, [cpe.idle])
        assert done == []
        hooks.idle = True
        await t.advance(5, [cpe.idle])
        (rec,) = done
        assert rec.fault_code == 0 and 7 <= _offset(rec, t0) <= 8
    finally:
        await cpe.stop()


async def test_confirmation_needed_waits_for_the_user_and_fails_with_9020_unanswered(acs):
    t = FakeTime()
    t0 = t.now()
    acs.add_file("c.txt", BODY)
    url = acs.file_url("c.txt")
    cpe, _, done, _ = await _started(
        acs,
        t,
        _sd("sd-yes", url, _window(0, 60, "4 Confirmation Needed", msg="Install?")),
        _sd("sd-none", url, _window(0, 3, "4 Confirmation Needed", msg="Anyone?")),
    )
    try:
        await t.advance(5, [cpe.idle])
        assert [(r.command_key, r.fault_code) for r in done] == [("sd-none", 9020)]
        assert cpe.transfer_jobs.confirm("sd-yes")
        await t.advance(2, [cpe.idle])
        yes = next(r for r in done if r.command_key == "sd-yes")
        assert yes.fault_code == 0 and 5 <= _offset(yes, t0) <= 6
        assert not cpe.transfer_jobs.confirm("sd-yes")  # done: nothing waits any more
        assert_valid(acs)
    finally:
        await cpe.stop()


async def test_queue_listings_and_cancel(acs):
    t = FakeTime()
    acs.add_file("q.txt", BODY)
    url = acs.file_url("q.txt")
    hooks = Hooks()
    hooks.hold = asyncio.Event()
    cpe, _, done, _ = await _started(
        acs, t, _sd("sd-later", url, _window(100, 200)), _sd("sd-now", url, _window(0, 200)),
        hooks=hooks, settle=False,
    )  # fmt: skip
    try:
        for _ in range(200):  # the boot session delivers both; sd-now reaches the held hook
            await asyncio.sleep(0.01)
            if any(j.state == 2 for j in cpe.jobs) and cpe.session is None:
                break
        tj = cpe.transfer_jobs
        listed = tj.get_all_queued_transfers(m.GetAllQueuedTransfers())
        states = {
            s.command_key: (s.state, s.is_download, s.file_type) for s in listed.transfer_list
        }
        assert states == {"sd-later": (1, True, CFG), "sd-now": (2, True, CFG)}
        assert isinstance(tj.cancel_transfer(m.CancelTransfer("sd-now")), m.Fault)
        assert tj.cancel_transfer(m.CancelTransfer("sd-now")).fault_code == 9021
        assert isinstance(
            tj.cancel_transfer(m.CancelTransfer("sd-later")), m.CancelTransferResponse
        )
        hooks.hold.set()
        await t.advance(300, [cpe.idle])
        assert [r.command_key for r in done] == ["sd-now"]  # the cancelled one never reports
        assert tj.get_queued_transfers(m.GetQueuedTransfers()).transfer_list == ()
    finally:
        await cpe.stop()


@pytest.mark.parametrize(
    "windows",
    [
        (),
        (_window(10, 5),),
        (_window(0, 10), _window(5, 20)),
        (_window(0, 10, "7 Whenever"),),
        (_window(0, 10), _window(10, 20), _window(20, 30)),
    ],
    ids=["empty", "end-before-start", "overlap", "unknown-mode", "three"],
)
def test_bad_windows_are_refused_with_9003(windows) -> None:
    t = FakeTime()
    cpe = Cpe(small_tree("http://127.0.0.1:9/"), hooks=Hooks(), clock=t, sleep=t.sleep)
    answer = cpe.transfer_jobs.schedule_download(_sd("bad", "http://127.0.0.1:9/x", *windows))
    assert isinstance(answer, m.Fault) and answer.fault_code == 9003
    assert cpe.jobs == []


async def test_a_scheduled_download_survives_a_restart_with_its_window(acs):
    t = FakeTime()
    t0 = t.now()
    acs.add_file("p.txt", BODY)
    store = MemoryStore()
    cpe, _, _, _ = await _started(acs, t, _sd("sd-p", acs.file_url("p.txt"), _window(100, 200)),
                                  store=store)  # fmt: skip
    await t.advance(10, [cpe.idle])
    await cpe.stop()
    again, _, done, _ = await _started(acs, t, store=store)
    try:
        await t.advance(89, [again.idle])
        assert done == []
        await t.advance(5, [again.idle])
        (rec,) = done
        assert rec.command_key == "sd-p" and _offset(rec, t0) == 100.0
    finally:
        await again.stop()


async def test_quirk_ignoring_the_window_is_caught(acs):
    t = FakeTime()
    acs.add_file("w.txt", BODY)
    cpe, _, done, _ = await _started(acs, t, _sd("sd-w", acs.file_url("w.txt"), _window(30, 60)),
                                     quirks=["schedule-download-ignores-window"])  # fmt: skip
    try:
        await t.advance(40, [cpe.idle])
        assert done and done[0].fault_code == 0
        found = [v for v in acs.verdicts() if v.rule == "schedule-download-window"]
        assert found, [v.rule for v in acs.verdicts()]
    finally:
        await cpe.stop()
