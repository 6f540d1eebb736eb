"""A load sweep changes every printer's PeriodicInformInterval on a running fleet (the
``periodic-interval`` worker command behind ``benchmarks/fleet_sessions.py --rates``)."""

from __future__ import annotations

from printbench.acs_stub.control import AcsControl
from printbench.cwmp_cpe import FakeTime
from printbench.emulator.fleet.fleet import Fleet, FleetConfig
from printbench.emulator.fleet.plan import Layout

N = 6


async def test_set_periodic_interval_reschedules_every_printer(acs: AcsControl) -> None:
    t = FakeTime()
    cfg = FleetConfig(count=N, layout=Layout("127.100.7.1"), acs_url=acs.server.cwmp_url,
                      listen="per-address", faces=("cwmp",), periodic_interval=3600)  # fmt: skip
    fleet = Fleet(cfg, clock=t)
    await fleet.start()
    try:
        await t.advance(0, [d.cpe.idle for d in fleet.devices])
        first = fleet.metrics.sessions_ok
        assert first == N  # the start-up sessions; the next periodic ones are up to 1 h away
        fleet.state_dirty = False
        assert fleet.set_periodic_interval(10) == N
        assert {d.state.management.periodic_inform_interval for d in fleet.devices} == {10}
        # Within one new interval every printer informs 2 PERIODIC: none waits out the old hour.
        await t.advance(10.5, [d.cpe.idle for d in fleet.devices])
        periodic = [s for s in fleet.metrics.drain() if "2 PERIODIC" in s.events]
        assert sorted({s.host for s in periodic}) == sorted(d.host for d in fleet.devices)
        assert fleet.config.periodic_interval == 10  # kept across a factory reset
        # Periodic sessions change nothing a restart needs: no state file write is due (the
        # worker's 2-s flush would otherwise encode every printer's state again and again).
        assert fleet.state_dirty is False
    finally:
        await fleet.stop(persist=False)
