"""The generic CPE runtime (cwmp_cpe) against the stub ACS, on fake time."""

from __future__ import annotations

import itertools

import pytest

from printbench.cwmp import messages as m
from printbench.cwmp.retry import retry_wait_range
from printbench.cwmp_cpe import FakeTime, MemoryStore

from .conftest import assert_valid, device_id, make_cpe


def codes(inform: m.Inform) -> list[str]:
    return [e.event_code for e in inform.event]


async def test_cpe_first_contact_bootstrap_boot(acs, fake_time: FakeTime) -> None:
    cpe = await make_cpe(acs, fake_time)
    await cpe.start()
    try:
        await fake_time.advance(0, [cpe.idle])
        assert cpe.sessions == 1
        assert set(codes(cpe.informs[0])) == {"0 BOOTSTRAP", "1 BOOT"}
        names = {p.name for p in cpe.informs[0].parameter_list}
        assert "Device.ManagementServer.ConnectionRequestURL" in names
        assert len(cpe.queue) == 0
        assert_valid(acs)
    finally:
        await cpe.stop()


async def test_cpe_periodic_day(acs, fake_time: FakeTime) -> None:
    cpe = await make_cpe(
        acs,
        fake_time,
        values={"PeriodicInformEnable": "true", "PeriodicInformInterval": "3600"},
    )
    await cpe.start()
    try:
        await fake_time.advance(86400, [cpe.idle])
        periodic = [i for i in cpe.informs if "2 PERIODIC" in codes(i)]
        assert len(periodic) == 20  # 24 periodic informs; cpe.informs keeps the last 20
        assert cpe.sessions == 25
        times = [i.current_time for i in periodic]
        gaps = {(b - a).total_seconds() for a, b in itertools.pairwise(times)}
        assert gaps == {3600.0}
        assert_valid(acs)
    finally:
        await cpe.stop()


async def test_cpe_periodic_inform_time_phase(acs, fake_time: FakeTime) -> None:
    # PeriodicInformTime sets the phase: informs at :15 of every hour (fake time starts 00:00).
    cpe = await make_cpe(
        acs,
        fake_time,
        values={
            "PeriodicInformEnable": "true",
            "PeriodicInformInterval": "3600",
            "PeriodicInformTime": "2020-01-01T00:15:00Z",
        },
    )
    await cpe.start()
    try:
        await fake_time.advance(3 * 3600, [cpe.idle])
        stamps = [i.current_time for i in cpe.informs if "2 PERIODIC" in codes(i)]
        assert [(t.hour, t.minute) for t in stamps] == [(0, 15), (1, 15), (2, 15)]
    finally:
        await cpe.stop()


async def test_cpe_retry_waits_and_retry_count(acs, fake_time: FakeTime) -> None:
    cpe = await make_cpe(acs, fake_time)
    good_url = acs.server.cwmp_url
    cpe.tree.store["Device.ManagementServer.URL"] = "http://127.0.0.1:9/nowhere"
    await cpe.start()
    try:
        await fake_time.advance(0, [cpe.idle])
        assert cpe.failed_sessions == 1
        for n in range(1, 5):
            lo, hi = retry_wait_range(n)
            failed_at = cpe.last_session_end
            wait = cpe.retry.next_attempt - failed_at
            assert lo <= wait <= hi
            # nothing happens before the wait is over ...
            await fake_time.advance(
                cpe.retry.next_attempt - fake_time.monotonic() - 0.01, [cpe.idle]
            )
            assert cpe.failed_sessions == n
            # ... and the retry comes right when it is
            await fake_time.advance(0.02, [cpe.idle])
            assert cpe.failed_sessions == n + 1
        assert [i.retry_count for i in cpe.informs] == [0, 1, 2, 3, 4]
        cpe.tree.store["Device.ManagementServer.URL"] = good_url
        await fake_time.advance(retry_wait_range(5)[1] + 1, [cpe.idle])
        assert cpe.sessions == 1
        assert cpe.informs[-1].retry_count == 5
        assert set(codes(cpe.informs[-1])) == {"0 BOOTSTRAP", "1 BOOT"}
        assert cpe.retry.retry_count == 0
    finally:
        await cpe.stop()


async def test_cpe_persistence_across_restart(acs, fake_time: FakeTime) -> None:
    store = MemoryStore()
    cpe = await make_cpe(acs, fake_time, store=store)
    cpe.tree.store["Device.ManagementServer.URL"] = "http://127.0.0.1:9/down"
    await cpe.start()
    await fake_time.advance(0, [cpe.idle])
    cpe.add_event("M Reboot", "rb-1")
    await fake_time.advance(0, [cpe.idle])
    await cpe.stop()
    assert cpe.sessions == 0
    # a new process: same store, the ACS reachable now
    cpe2 = await make_cpe(acs, fake_time, store=store)
    await cpe2.start()
    try:
        # the URL set before the restart was persisted with the tree; the ACS moves back
        assert cpe2.settings().url == "http://127.0.0.1:9/down"
        cpe2.tree.store["Device.ManagementServer.URL"] = acs.server.cwmp_url
        cpe2.wake()
        await fake_time.advance(0, [cpe2.idle])
        assert cpe2.sessions == 1
        events = {(e.event_code, e.command_key) for e in cpe2.informs[-1].event}
        assert {("0 BOOTSTRAP", ""), ("1 BOOT", ""), ("M Reboot", "rb-1")} <= events
    finally:
        await cpe2.stop()


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2", "1.3", "1.4"])
async def test_cpe_version_offers(acs, fake_time: FakeTime, version: str) -> None:
    cpe = await make_cpe(acs, fake_time, cwmp_version=version)
    await cpe.start()
    try:
        await fake_time.advance(0, [cpe.idle])
        assert cpe.sessions == 1
        assert cpe.negotiated_version == version
        assert_valid(acs)
        dev = acs.device(device_id())
        assert dev is not None
    finally:
        await cpe.stop()


async def test_cpe_session_crash_backs_off_instead_of_spinning(acs, fake_time: FakeTime) -> None:
    """An unexpected exception while building a session counts as a failed attempt and
    waits the TR-069 retry interval, so a buggy provider cannot make the CPE spin."""
    cpe = await make_cpe(acs, fake_time)
    calls = 0

    def broken_inform(settings):  # stands in for a tree provider that raises
        nonlocal calls
        calls += 1
        raise RuntimeError("provider bug")

    cpe._build_inform = broken_inform  # type: ignore[method-assign]
    await cpe.start()
    try:
        await fake_time.advance(0, [cpe.idle])
        assert calls == 1 and cpe.failed_sessions == 1
        lo, hi = retry_wait_range(1)
        assert lo <= cpe.retry.next_attempt - fake_time.monotonic() <= hi
        await fake_time.advance(lo - 0.01, [cpe.idle])
        assert calls == 1  # nothing before the wait is over
        await fake_time.advance(hi - lo + 0.02, [cpe.idle])
        assert calls == 2 and cpe.retry.retry_count == 2
    finally:
        await cpe.stop()
