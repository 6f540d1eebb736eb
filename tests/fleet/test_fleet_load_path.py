"""The fleet's load path: pooled keep-alive ACS connections, and the stub ACS's admission control.

Fleets on fake time (retry waits pass in milliseconds), sessions over real loopback HTTP.
"""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp

from printbench.acs_stub.control import AcsControl
from printbench.acs_stub.server import AcsConfig
from printbench.cwmp import messages as m
from printbench.cwmp.session import CpeSession
from printbench.cwmp_cpe import FakeTime
from printbench.emulator.fleet.fleet import Fleet, FleetConfig
from printbench.emulator.fleet.plan import Layout, parse_mix
from printbench.emulator.profiles import list_profiles

N = 8


def _fleet(base: str, url: str, t: FakeTime) -> Fleet:
    cfg = FleetConfig(
        count=N, layout=Layout(base), mix=parse_mix("all", list_profiles()), acs_url=url,
        listen="per-address", faces=("cwmp",), periodic_interval=86400,
    )  # fmt: skip
    return Fleet(cfg, clock=t)


def _session_notes(acs: AcsControl) -> list[str]:
    return [e["note"] for e in acs.journal() if e["kind"] == "session"]


async def test_fleet_sessions_reuse_pooled_connections(acs: AcsControl) -> None:
    t = FakeTime()
    fleet = _fleet("127.100.3.1", acs.server.cwmp_url, t)
    await fleet.start()
    try:
        fleet._http_pool.max_idle = 600.0  # real seconds: a slow test machine must not matter
        await t.advance(0, [d.cpe.idle for d in fleet.devices])
        assert fleet.metrics.sessions_ok == N
        created = fleet._http_pool.created
        assert fleet.reboot_storm() == N
        await t.advance(0, [d.cpe.idle for d in fleet.devices])
        assert fleet.metrics.sessions_ok == 2 * N and fleet.metrics.sessions_failed == 0
        # The storm's sessions ran on the connections the first round left open.
        assert fleet._http_pool.created == created
        assert fleet._http_pool.reused >= N
        # The ACS saw 2N well-formed sessions, each on its own cookie, all done.
        notes = _session_notes(acs)
        assert notes.count("session started") == 2 * N
        assert notes.count("session done") == 2 * N
        for d in fleet.devices:
            assert len(acs.device(d.device_id).session_ids) == 2
        assert acs.verdicts() == [] or {v.rule for v in acs.verdicts()} <= {"forced-inform"}
    finally:
        await fleet.stop(persist=False)


async def _open_session(url: str, http: aiohttp.ClientSession) -> str:
    """Start a session for a scripted device and leave it open; returns its cookie."""
    inform = m.Inform(
        device_id=m.DeviceIdStruct("ACME", "00AA11", "Holder", "H0001"),
        event=(m.EventStruct("2 PERIODIC"),),
        current_time=datetime.now(UTC),
    )
    body = CpeSession().start(inform, 0.0)
    async with http.post(url, data=body, headers={"Content-Type": "text/xml"}) as resp:
        assert resp.status == 200
        await resp.read()
        return resp.cookies["session"].value


async def test_acs_admission_control_refuses_with_503_and_cpes_retry() -> None:
    t = FakeTime()
    acs = await AcsControl.start(
        AcsConfig(port=0, control_port=0, journal_file=False, max_sessions=1)
    )
    url = acs.server.cwmp_url
    fleet = _fleet("127.100.4.1", url, t)
    async with aiohttp.ClientSession() as http:
        cookie = await _open_session(url, http)  # the one session the ACS admits
        await fleet.start()
        try:
            await t.advance(0, [d.cpe.idle for d in fleet.devices])
            assert acs.server.refused == N  # every printer got a quick 503 ...
            assert fleet.metrics.sessions_failed == N and fleet.metrics.sessions_ok == 0
            # ... and waits its session retry wait (5-10 s), nothing queued at the ACS.
            async with http.post(url, data=b"", headers={"Cookie": f"session={cookie}"}) as r:
                assert r.status == 204
            await t.advance(4.9, [d.cpe.idle for d in fleet.devices])
            assert fleet.metrics.sessions_ok == 0
            await t.advance(120, [d.cpe.idle for d in fleet.devices])
            assert fleet.metrics.sessions_ok == N
            for d in fleet.devices:
                informs = d.cpe.informs
                assert [i.retry_count for i in informs] == [0, 1]
                assert {e.event_code for e in informs[-1].event} >= {"0 BOOTSTRAP", "1 BOOT"}
        finally:
            await fleet.stop(persist=False)
            await acs.stop()
