"""Retry waits, new events during the wait, RetryCount and the notification throttle of the
generic CPE runtime (issue 12, items 3 and 4), on fake time against real loopback ACSes."""

from __future__ import annotations

import itertools

import pytest

from printbench.acs_stub.httpauth import authorization_for
from printbench.cwmp import params as P
from printbench.cwmp.retry import max_attempts, retry_wait_range
from printbench.cwmp_cpe import Cpe, CpeConfig, FakeTime, MemoryStore
from printbench.cwmp_cpe.transfers import TransferJob

from .conftest import small_tree
from .scripted_acs import ScriptedAcs


class Highest:
    """RNG stand-in: every retry wait is the top of its Table 3 row."""

    def uniform(self, a: float, b: float) -> float:
        return b


def make(url: str, t: FakeTime, *, store=None, rng=None, values=None, **cfg) -> Cpe:
    base = {"ConnectionRequestUsername": "", "ConnectionRequestPassword": ""}
    tree = small_tree(url, **{**base, **(values or {})})
    return Cpe(
        tree, CpeConfig(**cfg), clock=t, sleep=t.sleep, store=store or MemoryStore(), rng=rng
    )


@pytest.fixture
async def scripted():
    started: list[ScriptedAcs] = []

    async def start(t: FakeTime, default: str = "ok", script=()) -> ScriptedAcs:
        acs = await ScriptedAcs(t, default=default, script=list(script)).start()
        started.append(acs)
        return acs

    yield start
    for a in started:
        await a.stop()


def gaps_follow_the_table(times: list[float], first_row: int = 1) -> None:
    for n, (a, b) in enumerate(itertools.pairwise(times), start=first_row):
        lo, hi = retry_wait_range(n)
        assert lo <= b - a <= hi + 0.5, (n, b - a)


RUN = 300.0


@pytest.mark.parametrize(
    "failure", ["refused", "http-500", "bad-envelope", "silent", "wrong-id-strict"]
)
async def test_every_failure_follows_the_retry_table(scripted, failure: str) -> None:
    t = FakeTime()
    acs = await scripted(t, default=failure.removesuffix("-strict"))
    url = "http://127.0.0.1:9/closed" if failure == "refused" else acs.url
    strict = {"strict": True} if failure.endswith("-strict") else {}
    cpe = make(url, t, http_timeout=0.2, **strict)
    await cpe.start()
    try:
        await t.advance(RUN, [cpe.idle])
        informs = cpe.informs
        assert 5 <= len(informs) <= max_attempts(RUN)
        assert [i.retry_count for i in informs] == list(range(len(informs)))
        stamps = [(i.current_time - informs[0].current_time).total_seconds() for i in informs]
        gaps_follow_the_table(stamps)
        assert cpe.sessions == 0
    finally:
        await cpe.stop()


async def test_retry_table_applies_when_the_model_gives_no_default(scripted) -> None:
    """A model whose retry parameters read "0" (TR-181 2.17 has no default for them) must
    retry as TR-069's defaults say, not every second."""
    t = FakeTime()
    acs = await scripted(t, default="http-500")
    cpe = make(
        acs.url,
        t,
        values={"CWMPRetryMinimumWaitInterval": "0", "CWMPRetryIntervalMultiplier": "0"},
    )
    await cpe.start()
    try:
        await t.advance(RUN, [cpe.idle])
        assert len(acs.informs) <= max_attempts(RUN)
        gaps_follow_the_table([s.at for s in acs.informs])
    finally:
        await cpe.stop()


# -- new events during the wait (TR-069 §3.2.1.1 "whichever comes first") ---------------------

SLOW = {"CWMPRetryMinimumWaitInterval": "100"}  # first wait 100-200 s (200 with Highest)


ACTIVE = [P.AttributeChange("Device.X_TEST_Level", True, 2, False, ())]


async def _failed_once(
    scripted, values=None, **kw
) -> tuple[Cpe, ScriptedAcs, FakeTime, float]:
    t = FakeTime()
    acs = await scripted(t, script=["http-500"])
    cpe = make(acs.url, t, rng=Highest(), values=values or SLOW, **kw)
    cpe.tree.set_parameter_attributes(ACTIVE)
    await cpe.start()
    await t.advance(0, [cpe.idle])
    assert cpe.failed_sessions == 1 and cpe.retry.next_attempt == t.monotonic() + 200
    return cpe, acs, t, t.monotonic()


def _schedule(cpe: Cpe, t: FakeTime, delay: float) -> None:
    cpe.scheduled.append((t.monotonic() + delay, "sched"))
    cpe.wake()


def _new_event(cpe: Cpe, t: FakeTime, event: str) -> None:
    """Make ``event`` happen now, the way the device would."""
    if event == "3 SCHEDULED":  # a ScheduleInform falls due
        _schedule(cpe, t, 0)
    elif event == "4 VALUE CHANGE":  # an actively notified parameter changes
        cpe.tree.root["level"] = 10
        cpe.values_changed()
    else:  # an accepted transfer finished (what the runtime's transfer task does last)
        job = TransferJob("dl-1", True, "3 Vendor Configuration File", "http://127.0.0.1:9/f")
        cpe.jobs.append(job)
        cpe._finish_job(job, None)


EVENTS = ["3 SCHEDULED", "4 VALUE CHANGE", "7 TRANSFER COMPLETE"]


@pytest.mark.parametrize("event", EVENTS)
async def test_new_event_during_the_wait_waits_for_the_tables_minimum(scripted, event) -> None:
    cpe, acs, t, failed = await _failed_once(scripted)
    try:
        await t.advance(30, [cpe.idle])
        _new_event(cpe, t, event)
        await t.advance(0, [cpe.idle])
        assert len(acs.informs) == 1  # 30 s < 100 s, the lower end of the first row
        await t.advance(failed + 100 - t.monotonic(), [cpe.idle])
        assert len(acs.informs) == 2 and acs.informs[1].at == failed + 100
        assert event in acs.informs[1].events and acs.informs[1].retry_count == 1
    finally:
        await cpe.stop()


@pytest.mark.parametrize("event", EVENTS)
async def test_new_event_after_the_tables_minimum_starts_the_retry_at_once(scripted, event) -> None:
    cpe, acs, t, failed = await _failed_once(scripted)
    try:
        await t.advance(150, [cpe.idle])
        assert len(acs.informs) == 1  # the drawn wait (200 s) is not over
        _new_event(cpe, t, event)
        await t.advance(0, [cpe.idle])
        assert len(acs.informs) == 2 and acs.informs[1].at == failed + 150
        assert event in acs.informs[1].events and acs.informs[1].retry_count == 1
    finally:
        await cpe.stop()


async def test_connection_request_ends_the_wait_at_once(scripted) -> None:
    cpe, acs, t, failed = await _failed_once(
        scripted, values={**SLOW, "ConnectionRequestUsername": "cr", "ConnectionRequestPassword": "pw"}
    )
    try:
        await t.advance(3, [cpe.idle])
        status, headers = cpe.connection_request("GET", "/", None)  # the digest challenge
        assert status == 401
        answer = authorization_for(headers["WWW-Authenticate"], "GET", "/", "cr", "pw")
        status, _ = cpe.connection_request("GET", "/", answer)
        assert status == 200
        await t.advance(0, [cpe.idle])
        assert len(acs.informs) == 2 and acs.informs[1].at == failed + 3
        assert "6 CONNECTION REQUEST" in acs.informs[1].events
    finally:
        await cpe.stop()


async def test_a_busy_device_is_never_faster_than_the_table(scripted) -> None:
    """An active value change every second for ten minutes while the ACS fails: every change
    is a new event, yet the attempts stay within what Table 3 allows."""
    t = FakeTime()
    acs = await scripted(t, default="http-500")
    cpe = make(acs.url, t)
    cpe.tree.set_parameter_attributes(ACTIVE)
    await cpe.start()
    try:
        for second in range(600):
            cpe.tree.root["level"] = second % 100
            cpe.values_changed()
            await t.advance(1, [cpe.idle])
        assert len(acs.informs) <= max_attempts(600)
        for n, (a, b) in enumerate(itertools.pairwise(acs.informs), start=1):
            assert b.at - a.at >= retry_wait_range(n)[0]
    finally:
        await cpe.stop()


# -- RetryCount (TR-069 A.3.3.1: zero if and only if the previous session succeeded) ---------


async def test_retry_count_counts_a_session_broken_after_the_inform_response(scripted) -> None:
    t = FakeTime()
    acs = await scripted(t, script=["break-after-inform", "ok", "ok"])
    cpe = make(acs.url, t)
    await cpe.start()
    try:
        await t.advance(0, [cpe.idle])
        assert cpe.sessions == 1 and len(cpe.queue) == 0  # the events were delivered
        _schedule(cpe, t, 60)
        await t.advance(60, [cpe.idle])
        _schedule(cpe, t, 60)
        await t.advance(60, [cpe.idle])
        assert [s.retry_count for s in acs.informs] == [0, 1, 0]
    finally:
        await cpe.stop()


async def test_retry_count_survives_a_reboot_and_the_table_starts_again(scripted) -> None:
    t = FakeTime()
    acs = await scripted(t, default="http-500")
    cpe = make(acs.url, t)
    await cpe.start()
    try:
        await t.advance(retry_wait_range(1)[1] + retry_wait_range(2)[1] + 1, [cpe.idle])
        assert [s.retry_count for s in acs.informs] == [0, 1, 2]
        cpe.device_booted()
        await t.advance(0, [cpe.idle])
        assert acs.informs[3].retry_count == 3 and "1 BOOT" in acs.informs[3].events
        lo, hi = retry_wait_range(1)  # Table 3 counts post-reboot retries
        assert lo <= cpe.retry.next_attempt - t.monotonic() <= hi
    finally:
        await cpe.stop()


async def test_retry_count_survives_a_restart_of_the_process(scripted) -> None:
    t = FakeTime()
    acs = await scripted(t, script=["http-500", "http-500"])
    store = MemoryStore()
    cpe = make(acs.url, t, store=store)
    await cpe.start()
    await t.advance(retry_wait_range(1)[1] + 0.5, [cpe.idle])
    await cpe.stop()
    assert [s.retry_count for s in acs.informs] == [0, 1]
    cpe2 = make(acs.url, t, store=store)
    await cpe2.start()
    try:
        await t.advance(0, [cpe2.idle])
        assert acs.informs[2].retry_count == 2 and cpe2.sessions == 1
        assert cpe2.retry.retry_count == 0
    finally:
        await cpe2.stop()


# -- DefaultActiveNotificationThrottle (TR-181: from the last successfully completed session)


async def test_throttle_counts_from_the_last_successful_session(scripted) -> None:
    t = FakeTime()
    acs = await scripted(t, script=["ok", "break-after-inform"])
    cpe = make(acs.url, t, values={"DefaultActiveNotificationThrottle": "600"})
    cpe.tree.set_parameter_attributes(ACTIVE)
    await cpe.start()
    try:
        await t.advance(0, [cpe.idle])
        ok_end = t.monotonic()
        _schedule(cpe, t, 100)  # a session that breaks off after its InformResponse
        await t.advance(100, [cpe.idle])
        assert len(acs.informs) == 2 and cpe.last_session_end == ok_end + 100
        await t.advance(100, [cpe.idle])
        cpe.tree.root["level"] = 7
        cpe.values_changed()
        await t.advance(600, [cpe.idle])
        third = acs.informs[2]
        assert "4 VALUE CHANGE" in third.events
        # not ok_end + 100 + 600 (the failed session's end): TR-181 counts from ok_end
        assert third.at <= ok_end + 600
    finally:
        await cpe.stop()


async def test_throttle_still_applies_after_a_successful_session(scripted) -> None:
    t = FakeTime()
    acs = await scripted(t)
    cpe = make(acs.url, t, values={"DefaultActiveNotificationThrottle": "600"})
    cpe.tree.set_parameter_attributes(ACTIVE)
    await cpe.start()
    try:
        await t.advance(0, [cpe.idle])
        ok_end = t.monotonic()
        await t.advance(100, [cpe.idle])
        cpe.tree.root["level"] = 7
        cpe.values_changed()
        await t.advance(600, [cpe.idle])
        assert len(acs.informs) == 2 and acs.informs[1].at == ok_end + 600
    finally:
        await cpe.stop()


@pytest.mark.parametrize("strict", [False, True])
async def test_embedded_printer_against_an_acs_with_wrong_cwmp_ids(scripted, strict) -> None:
    """The printers' own client (real view of a virtual printer) against an ACS whose
    InformResponse carries another cwmp:ID: recorded and reported, or with ``strict`` a
    failed session retried per Table 3."""
    from printbench.emulator.device import Ports, VirtualPrinter

    t = FakeTime()
    acs = await scripted(t, default="wrong-id")
    vp = VirtualPrinter(
        "color-laser-mfp", host="127.70.9.1", clock=t, acs_url=acs.url, ports=Ports.ephemeral()
    )
    await vp.start(faces=("tr069",), drive=False)
    cpe = vp.tr069.cpe
    cpe.config.strict = strict
    try:
        await t.advance(RUN, [cpe.idle])
        if strict:
            assert 5 <= len(acs.informs) <= max_attempts(RUN)
            gaps_follow_the_table([s.at for s in acs.informs])
            assert cpe.acs_violations == []
        else:
            assert len(acs.informs) == 1 and cpe.sessions == 1
            assert [v["rule"] for v in cpe.acs_violations] == ["acs-id-echo"]
    finally:
        await vp.stop()
