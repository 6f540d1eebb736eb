"""A fleet pointed at a closed port stays within the TR-069 retry table (issue 12, item 3).

Fake time (engines and TR-069 clients alike): ten minutes of refused connections pass in
milliseconds, each attempt a real loopback connect. ``benchmarks/retry_storm.py`` measures
the same on the real clock with 1,000 printers.
"""

from __future__ import annotations

import itertools
import socket

from printbench.cwmp.retry import max_attempts, retry_wait_range
from printbench.cwmp_cpe import FakeTime
from printbench.emulator.fleet.fleet import Fleet, FleetConfig
from printbench.emulator.fleet.plan import Layout, parse_mix
from printbench.emulator.profiles import list_profiles

N = 20
RUN = 600.0


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_fleet_against_a_closed_port_is_not_faster_than_the_table() -> None:
    t = FakeTime()
    cfg = FleetConfig(
        count=N, layout=Layout("127.100.9.1"), mix=parse_mix("all", list_profiles()),
        acs_url=f"http://127.0.0.1:{_closed_port()}/acs", listen="per-address",
        faces=("cwmp",), periodic_interval=86400,
    )  # fmt: skip
    fleet = Fleet(cfg, clock=t)
    await fleet.start()
    try:
        await t.advance(RUN, [d.cpe.idle for d in fleet.devices])
        for d in fleet.devices:
            informs = d.cpe.informs
            assert d.cpe.sessions == 0
            assert 6 <= d.cpe.failed_sessions <= max_attempts(RUN), d.host
            assert [i.retry_count for i in informs] == list(range(len(informs)))
            times = [i.current_time for i in informs]
            for n, (a, b) in enumerate(itertools.pairwise(times), start=1):
                assert (b - a).total_seconds() >= retry_wait_range(n)[0], (d.host, n)
    finally:
        await fleet.stop(persist=False)
