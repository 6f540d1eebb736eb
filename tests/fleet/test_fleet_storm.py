"""Reboot storms on fake time: retries wait as TR-069 says, the storm drains, nothing is lost.

The fleet runs in this process on a FakeTime clock (engines and TR-069 clients alike), so the
retry waits (5-10 s, 10-20 s, ...) pass in milliseconds while every session still goes over
real loopback HTTP to the stub ACS.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from printbench.acs_stub.control import AcsControl
from printbench.acs_stub.server import AcsConfig
from printbench.cwmp import messages as m
from printbench.cwmp_cpe import FakeTime
from printbench.emulator.fleet.fleet import Fleet, FleetConfig
from printbench.emulator.fleet.plan import Layout, parse_mix
from printbench.emulator.profiles import list_profiles

N = 20


def _fleet(base: str, url: str, t: FakeTime, state_dir: Path | None = None) -> Fleet:
    cfg = FleetConfig(
        count=N, layout=Layout(base), mix=parse_mix("all", list_profiles()), acs_url=url,
        listen="per-address", state_dir=state_dir, faces=("cwmp",), periodic_interval=86400,
    )  # fmt: skip
    return Fleet(cfg, clock=t)


def _settle(fleet: Fleet) -> list[Any]:
    return [d.cpe.idle for d in fleet.devices]


def _record(fleet: Fleet, t: FakeTime) -> dict[str, list[tuple[float, bool, m.Inform]]]:
    log: dict[str, list[tuple[float, bool, m.Inform]]] = {d.host: [] for d in fleet.devices}
    for d in fleet.devices:
        d.cpe.listeners.append(
            lambda what, data, h=d.host: (
                what == "session" and log[h].append((t.monotonic(), data["ok"], data["inform"]))
            )
        )
    return log


async def test_fleet_storm_against_refusing_acs_retries_and_drains() -> None:
    t = FakeTime()
    acs = await AcsControl.start(AcsConfig(port=0, control_port=0, journal_file=False))
    port = int(acs.server.cwmp_url.rsplit(":", 1)[1].strip("/"))
    fleet = _fleet("127.100.2.1", acs.server.cwmp_url, t)
    await fleet.start()
    try:
        await t.advance(0, _settle(fleet))
        assert fleet.metrics.sessions_ok == N  # BOOTSTRAP + BOOT
        await acs.stop()  # the ACS goes away: connections are refused
        log = _record(fleet, t)
        t_storm = t.monotonic()
        assert fleet.reboot_storm() == N
        await t.advance(12, _settle(fleet))
        acs = await AcsControl.start(AcsConfig(port=port, control_port=0, journal_file=False))
        await t.advance(40, _settle(fleet))
        for host, attempts in log.items():
            assert [ok for _, ok, _ in attempts] == [False, False, True], host
            (t1, _, i1), (t2, _, i2), (t3, _, i3) = attempts
            assert t1 == t_storm
            assert 5 <= t2 - t1 <= 10, (host, t2 - t1)  # retry 1: m..m*k, m=5 s, k=2
            assert 10 <= t3 - t2 <= 20, (host, t3 - t2)  # retry 2: m*k..m*k^2
            assert [i.retry_count for i in (i1, i2, i3)] == [0, 1, 2]
            assert all("1 BOOT" in {e.event_code for e in i.event} for i in (i1, i2, i3))
        assert all(len(d.cpe.queue) == 0 for d in fleet.devices)  # drained
    finally:
        await fleet.stop(persist=False)
        await acs.stop()


async def test_fleet_storm_with_8005_backs_off_then_succeeds(acs: AcsControl) -> None:
    t = FakeTime()
    fleet = _fleet("127.100.3.1", acs.server.cwmp_url, t)
    await fleet.start()
    try:
        await t.advance(0, _settle(fleet))
        log = _record(fleet, t)
        for d in fleet.devices:  # 5 in-session resends, then the session fails
            acs.set_retry_faults(d.device_id, 6)
        fleet.reboot_storm()
        await t.advance(30, _settle(fleet))
        for host, attempts in log.items():
            assert [ok for _, ok, _ in attempts] == [False, True], host
            assert 5 <= attempts[1][0] - attempts[0][0] <= 10
            assert attempts[1][2].retry_count == 1
    finally:
        await fleet.stop(persist=False)


async def test_fleet_event_queues_persist_over_shutdown(acs: AcsControl, tmp_path: Path) -> None:
    """A Reboot RPC's ``M Reboot`` that could not be delivered survives stop and start."""
    t = FakeTime()

    def policy(device: Any, inform: m.Inform) -> list[m.Message]:
        if "0 BOOTSTRAP" not in {e.event_code for e in inform.event}:
            return []
        device.retry_faults = 6  # the BOOT + M Reboot session after the reboot fails
        return [m.Reboot(command_key=f"rb-{inform.device_id.serial_number}")]

    acs.server.config.on_inform = policy
    fleet = _fleet("127.100.4.1", acs.server.cwmp_url, t, tmp_path)
    await fleet.start()
    await t.advance(0, _settle(fleet))
    serials = [d.serial for d in fleet.devices]
    assert [d.state.status.boot_count for d in fleet.devices] == [2] * N  # rebooted once
    assert fleet.metrics.sessions_failed == N
    await fleet.stop()
    saved = json.loads((tmp_path / "worker-0.json").read_text())["devices"]
    assert set(saved) == set(serials)
    for serial in serials:
        codes = json.dumps(saved[serial]["events"])
        assert "M Reboot" in codes and f"rb-{serial}" in codes

    acs.server.config.on_inform = None
    fleet = _fleet("127.100.4.1", acs.server.cwmp_url, t, tmp_path)
    await fleet.start()
    try:
        await t.advance(0, _settle(fleet))
        for d in fleet.devices:
            first = d.cpe.informs[0]
            codes = {(e.event_code, e.command_key) for e in first.event}
            assert ("M Reboot", f"rb-{d.serial}") in codes, (d.host, codes)
            assert ("1 BOOT", "") in codes
        assert fleet.metrics.sessions_ok == N
    finally:
        await fleet.stop()
