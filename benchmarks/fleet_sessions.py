"""Sustained periodic TR-069 sessions per second of a fleet against the stub ACS, and a storm.

Starts the stub ACS (lean: no XSD checks, verdicts or journal file) in its own process and a
fleet whose PeriodicInformInterval is ``devices / rate`` (jittered, so the informs arrive
evenly), lets the start-up sessions drain, measures ``--duration`` seconds of periodic
sessions (sessions/s, whole-session and Inform→InformResponse p50/p99), then fires a reboot
storm (every printer reboots at once) and times how long until every printer's ``1 BOOT``
session has completed.

    .venv/bin/python benchmarks/fleet_sessions.py [--devices 10000] [--rate 500] [--duration 60]
    .venv/bin/python benchmarks/fleet_sessions.py --devices 10000 --rates 100,200,300,400,500

``--rates`` sweeps the offered rate on one running fleet (every printer's
PeriodicInformInterval is changed between windows, lowest rate first so the phases drawn over
the first interval stay spread) and reports, per rate, sessions/s, p50/p99 and the CPU per
session of the fleet and the stub ACS, then the knee: the offered rate at which the session
p99 crosses ``--knee-ms`` (200 ms), interpolated between the two rates around it.

Every session is a full embedded-client session: Inform with the printer's forced parameters,
InformResponse, empty POST, 204.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from printbench.emulator.device import Ports

BENCH_PORTS = Ports(snmp=1161, ipp=28631, ews=28080, control=28081, cwmp=27547)


def _cpu_s(pids: list[int]) -> float:
    """User + system CPU seconds the processes used so far (Linux /proc)."""
    import os

    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    return total


def _loadavg() -> str:
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def knee(points: list[tuple[float, float | None]], limit_ms: float) -> float | None:
    """The rate at which p99 first crosses ``limit_ms`` (linear between the two rates around
    it); None when it never does (or is over it already at the lowest rate)."""
    for (r0, p0), (r1, p1) in itertools.pairwise(points):
        if p0 is None or p1 is None:
            continue
        if p0 <= limit_ms < p1:
            return r0 + (r1 - r0) * (limit_ms - p0) / (p1 - p0)
    return None


async def window(sup: Any, rec: Any, acs: Any, duration: float) -> dict[str, Any]:
    """One measurement window: periodic sessions, latencies, CPU per session."""
    fleet_pids = [w.proc.pid for w in sup.workers if w.proc is not None]
    acs_pids = [acs.proc.pid] if acs.proc is not None else []
    cpu0 = (_cpu_s(fleet_pids), _cpu_s(acs_pids))
    t_start = time.time()
    await asyncio.sleep(duration)
    t_end = time.time()
    cpu1 = (_cpu_s(fleet_pids), _cpu_s(acs_pids))
    s = rec.summary(t_start, t_end, skip_boot=True)
    n = max(1, s["sessions"])
    s["cpu_ms_per_session"] = {"fleet": 1000 * (cpu1[0] - cpu0[0]) / n,
                               "acs": 1000 * (cpu1[1] - cpu0[1]) / n}  # fmt: skip
    s["cores"] = {"fleet": (cpu1[0] - cpu0[0]) / duration, "acs": (cpu1[1] - cpu0[1]) / duration}
    return s


async def sweep(devices: int, workers: int, rates: list[float], duration: float,
                knee_ms: float) -> None:  # fmt: skip
    """One fleet, the offered rate stepped up between windows; the knee at the end."""
    from printbench.emulator.fleet.plan import Layout, parse_mix
    from printbench.emulator.fleet.workers import Supervisor, SupervisorConfig
    from printbench.emulator.profiles import list_profiles
    from printbench.loadtest.loadrun import StubAcsProcess
    from printbench.loadtest.recorder import Recorder

    rates = sorted(rates)
    acs = StubAcsProcess()
    url = await acs.start()
    cfg = SupervisorConfig(
        devices=devices, workers=workers, layout=Layout("127.102.0.1", BENCH_PORTS),
        mix=parse_mix("all", list_profiles()), acs_url=url, listen="wildcard",
        state_dir=Path(tempfile.mkdtemp(prefix="fleet-sessions-")),
        periodic_interval=max(1, round(devices / rates[0])), api_port=-1,
    )  # fmt: skip
    sup = Supervisor(cfg)
    rec = Recorder()
    sup.on_samples = rec.add
    points: list[tuple[float, float | None]] = []
    try:
        await sup.start()
        print(f"{devices} printers on {len(sup.workers)} workers up in "
              f"{sup.t_ready - sup.t_start:.1f} s; load average {_loadavg()}")  # fmt: skip
        t0 = time.monotonic()
        while sup.totals()["sessions_ok"] < devices and time.monotonic() - t0 < 300:
            await asyncio.sleep(1)
        print(f"start-up sessions done {time.monotonic() - t0:.0f} s after ready")
        print("offered/s  sessions/s  failed  p50 ms  p99 ms  inform p99 ms  "
              "fleet ms/session  ACS ms/session  load average")
        for rate in rates:
            interval = max(1, round(devices / rate))
            await sup.command("periodic-interval", seconds=interval)
            await asyncio.sleep(3)  # the new schedules take over
            s = await window(sup, rec, acs, duration)
            offered = devices / interval
            points.append((offered, s["session_ms"]["p99"]))
            c = s["cpu_ms_per_session"]
            print(f"{offered:9.0f}  {s['sessions_per_s']:10.1f}  {s['failed']:6d}  "
                  f"{s['session_ms']['p50']!s:>6}  {s['session_ms']['p99']!s:>6}  "
                  f"{s['inform_ms']['p99']!s:>13}  {c['fleet']:16.2f}  {c['acs']:14.2f}  "
                  f"{_loadavg()}", flush=True)  # fmt: skip
        k = knee(points, knee_ms)
        print(f"knee (session p99 crosses {knee_ms:.0f} ms): "
              + (f"{k:.0f} sessions/s offered" if k is not None else
                 "not crossed in the rates swept" if all((p or 0) <= knee_ms for _, p in points)
                 else "already over at the lowest rate"))  # fmt: skip
    finally:
        await sup.stop()
        await acs.stop()


async def run(devices: int, workers: int, rate: float, duration: float, storm: bool) -> None:
    from printbench.emulator.fleet.plan import Layout, parse_mix
    from printbench.emulator.fleet.workers import Supervisor, SupervisorConfig
    from printbench.emulator.profiles import list_profiles
    from printbench.loadtest.loadrun import StubAcsProcess
    from printbench.loadtest.recorder import Recorder, storm_drain

    acs = StubAcsProcess()
    url = await acs.start()
    interval = max(1, round(devices / rate))
    cfg = SupervisorConfig(
        devices=devices, workers=workers, layout=Layout("127.102.0.1", BENCH_PORTS),
        mix=parse_mix("all", list_profiles()), acs_url=url, listen="wildcard",
        state_dir=Path(tempfile.mkdtemp(prefix="fleet-sessions-")), periodic_interval=interval,
        api_port=-1,
    )  # fmt: skip
    sup = Supervisor(cfg)
    rec = Recorder()
    sup.on_samples = rec.add
    try:
        await sup.start()
        print(f"{devices} printers on {len(sup.workers)} workers up in "
              f"{sup.t_ready - sup.t_start:.1f} s; PeriodicInformInterval {interval} s "
              f"(offered {devices / interval:.0f} sessions/s)")  # fmt: skip
        # Let the start-up (BOOTSTRAP) sessions finish.
        t0 = time.monotonic()
        while sup.totals()["sessions_ok"] < devices and time.monotonic() - t0 < 300:
            await asyncio.sleep(1)
        print(f"start-up sessions (BOOTSTRAP, BOOT) of all printers done "
              f"{time.monotonic() - t0:.0f} s after ready")  # fmt: skip
        await asyncio.sleep(2)
        fleet_pids = [w.proc.pid for w in sup.workers if w.proc is not None]
        acs_pids = [acs.proc.pid] if acs.proc is not None else []
        cpu0 = (_cpu_s(fleet_pids), _cpu_s(acs_pids))
        t_start = time.time()
        await asyncio.sleep(duration)
        t_end = time.time()
        cpu1 = (_cpu_s(fleet_pids), _cpu_s(acs_pids))
        s = rec.summary(t_start, t_end, skip_boot=True)
        print(f"periodic: {s['sessions']} sessions in {s['seconds']} s = {s['sessions_per_s']} "
              f"sessions/s, {s['failed']} failed; session p50 {s['session_ms']['p50']} ms "
              f"p99 {s['session_ms']['p99']} ms; Inform->InformResponse p50 "
              f"{s['inform_ms']['p50']} ms p99 {s['inform_ms']['p99']} ms")  # fmt: skip
        n = max(1, s["sessions"])
        print(f"  CPU per session: fleet {1000 * (cpu1[0] - cpu0[0]) / n:.2f} ms, stub ACS "
              f"{1000 * (cpu1[1] - cpu0[1]) / n:.2f} ms; CPU used: fleet "
              f"{(cpu1[0] - cpu0[0]) / duration:.2f} cores, ACS "
              f"{(cpu1[1] - cpu0[1]) / duration:.2f} cores; load average {_loadavg()}")  # fmt: skip
        if storm:
            t_storm = time.time()
            rec.mark_storm(t_storm)
            await sup.command("reboot-storm")
            drained = None
            while time.time() - t_storm < 600:
                await asyncio.sleep(1)
                drained = storm_drain(rec, t_storm, devices)
                if drained is not None:
                    break
            st = rec.summary(t_storm, time.time())
            print(f"reboot storm of {devices}: "
                  f"{'not drained' if drained is None else f'drained in {drained:.1f} s'}"
                  f" ({st['sessions']} sessions ok, {st['failed']} failed, "
                  f"{st['retried']} with RetryCount>0; session p50 {st['session_ms']['p50']} ms "
                  f"p99 {st['session_ms']['p99']} ms)")  # fmt: skip
        totals = sup.totals()
        print(f"worker RSS {totals['rss_kb'] / 1024:.0f} MB")
    finally:
        await sup.stop()
        await acs.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, default=10000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rate", type=float, default=500.0, help="offered periodic sessions/s")
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--no-storm", action="store_true")
    ap.add_argument("--rates", default=None, help="sweep these offered rates, e.g. 100,200,500")
    ap.add_argument("--knee-ms", type=float, default=200.0, help="p99 limit for the knee")
    args = ap.parse_args()
    if args.rates:
        rates = [float(r) for r in args.rates.split(",") if r.strip()]
        asyncio.run(sweep(args.devices, args.workers, rates, args.duration, args.knee_ms))
        return
    asyncio.run(run(args.devices, args.workers, args.rate, args.duration, not args.no_storm))


if __name__ == "__main__":
    main()
