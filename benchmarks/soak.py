"""Soak: a fleet of printers against the stub ACS for ``--duration`` seconds, memory measured.

Issue 17 §7: in a 10-minute soak of 1,000 printers the stub ACS grew 122 → 317 MB and its
journal file reached 363 MB. This run keeps the ACS as a test bench runs it (journal file on,
verdicts on, registry and queued RPCs persisted in SQLite; XSD checks off unless ``--xsd``,
so one shared core can keep up) and samples, every ``--sample`` seconds, the resident set
size (VmRSS from /proc) of the ACS process and of every fleet worker, the sessions done and
failed, and the size of the journal folder. It prints one line per sample and, at the end, the
RSS at start / each quarter / end, so the curve can be read off the terminal:

    nice -n 10 .venv/bin/python benchmarks/soak.py --devices 1000 --duration 3600

Every session is a full embedded-client periodic session (Inform, InformResponse, empty POST,
204) at ``devices / interval`` sessions/s.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from printbench.emulator.device import Ports

SOAK_PORTS = Ports(snmp=29161, ipp=29631, ews=29080, control=29081, cwmp=29547)


def rss_mb(pid: int) -> float:
    """Resident set size of one process in MB (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def folder_mb(path: Path) -> float:
    """Bytes of every file below ``path`` in MB (the journal, its rotations, the SQLite store)."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def _acs_process(q: Any, host: str, journal_dir: str, xsd: bool) -> None:
    """The stub ACS as a bench runs it, in a process of its own (spawned)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)

    async def main() -> None:
        from printbench.acs_stub.control import AcsControl
        from printbench.acs_stub.server import AcsConfig
        from printbench.loadtest.loadrun import ACS_MAX_SESSIONS

        config = AcsConfig(
            host=host, port=0, control_port=0, journal_file=True, xsd_checks=xsd,
            verdicts=True, persist=True, journal_dir=Path(journal_dir),
            max_sessions=ACS_MAX_SESSIONS,
        )  # fmt: skip
        acs = await AcsControl.start(config)
        q.put(acs.server.cwmp_url)
        await asyncio.Event().wait()

    asyncio.run(main())


async def run(args: argparse.Namespace) -> None:
    from printbench.emulator.fleet.plan import Layout, parse_mix
    from printbench.emulator.fleet.workers import Supervisor, SupervisorConfig
    from printbench.emulator.profiles import list_profiles

    journal_dir = Path(tempfile.mkdtemp(prefix="soak-acs-"))
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    acs = ctx.Process(target=_acs_process, args=(q, "127.0.0.1", str(journal_dir), args.xsd),
                      daemon=True)  # fmt: skip
    acs.start()
    url = await asyncio.get_running_loop().run_in_executor(None, q.get, True, 60)
    cfg = SupervisorConfig(
        devices=args.devices, workers=args.workers, layout=Layout("127.103.0.1", SOAK_PORTS),
        mix=parse_mix("all", list_profiles()), acs_url=url, listen="wildcard",
        state_dir=Path(tempfile.mkdtemp(prefix="soak-fleet-")),
        periodic_interval=args.interval, api_port=-1,
    )  # fmt: skip
    sup = Supervisor(cfg)
    samples: list[tuple[float, float, float, int, int, float]] = []
    try:
        await sup.start()
        print(f"{args.devices} printers on {len(sup.workers)} workers up in "
              f"{sup.t_ready - sup.t_start:.1f} s; ACS {url}; PeriodicInformInterval "
              f"{args.interval} s ({args.devices / args.interval:.0f} sessions/s offered); "
              f"journal folder {journal_dir}", flush=True)  # fmt: skip
        print("    t_s  acs_rss_MB  fleet_rss_MB  sessions_ok  sessions_failed  journal_MB",
              flush=True)
        t0 = time.monotonic()
        while True:
            elapsed = time.monotonic() - t0
            pids = [w.proc.pid for w in sup.workers if w.proc is not None]
            totals = sup.totals()
            row = (elapsed, rss_mb(acs.pid or 0), sum(rss_mb(p) for p in pids),
                   int(totals["sessions_ok"]), int(totals["sessions_failed"]),
                   folder_mb(journal_dir))  # fmt: skip
            samples.append(row)
            print(f"{row[0]:7.0f} {row[1]:11.1f} {row[2]:13.1f} {row[3]:12d} {row[4]:16d} "
                  f"{row[5]:11.1f}", flush=True)  # fmt: skip
            if elapsed >= args.duration:
                break
            await asyncio.sleep(min(args.sample, max(0.0, args.duration - elapsed)))
    finally:
        await sup.stop()
        acs.terminate()
        acs.join(10)
        if not args.keep:
            shutil.rmtree(journal_dir, ignore_errors=True)
            shutil.rmtree(cfg.state_dir, ignore_errors=True)
    print("RSS curve (MB): at      ACS     fleet")
    for frac in (0.0, 0.25, 0.5, 0.75, 1.0):
        want = frac * args.duration
        row = min(samples, key=lambda s: abs(s[0] - want))
        print(f"  {row[0] / 60:6.1f} min {row[1]:8.1f} {row[2]:9.1f}")
    last = samples[-1]
    print(f"sessions: {last[3]} ok, {last[4]} failed; journal folder {last[5]:.1f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--interval", type=int, default=20, help="PeriodicInformInterval, s")
    ap.add_argument("--duration", type=float, default=600.0, help="seconds measured")
    ap.add_argument("--sample", type=float, default=60.0, help="seconds between samples")
    ap.add_argument("--keep", action="store_true", help="keep the journal and state folders")
    ap.add_argument("--xsd", action="store_true", help="XSD-check every envelope in the ACS")
    asyncio.run(run(ap.parse_args()))


if __name__ == "__main__":
    main()
