"""A fleet pointed at a closed port: connection attempts against what the retry table allows.

Every printer's embedded TR-069 client (the fleet's, in this process, on the real clock) has
an ACS URL whose port nothing listens on, so every session attempt is refused. For
``--duration`` seconds the benchmark counts the session attempts (each one a TCP connect to
the ACS: the runtime's count of refused and answered sessions) and prints them next to the most
TR-069 §3.2.1.1 Table 3 allows: per CPE the first attempt, then retry n no earlier than
m·k^(n-1) s after the previous one (``cwmp.retry.max_attempts``), times the fleet size.

    .venv/bin/python benchmarks/retry_storm.py [--devices 1000] [--duration 600]

Before issue 12 a proxied device retried about once a second; a CPE within the table makes at
most 5 attempts in 120 s and 7 in 600 s (defaults m=5 s, k=2).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def run(devices: int, duration: float, base: str) -> tuple[int, int, dict[int, int]]:
    from printbench.cwmp.retry import max_attempts
    from printbench.emulator.fleet.fleet import Fleet, FleetConfig
    from printbench.emulator.fleet.plan import Layout

    url = f"http://127.0.0.1:{closed_port()}/acs"
    cfg = FleetConfig(
        count=devices,
        layout=Layout(base),
        acs_url=url,
        faces=("cwmp",),
        periodic_interval=86400,
        max_sessions=0,
    )
    fleet = Fleet(cfg)
    t0 = time.monotonic()
    await fleet.start()
    print(f"{devices} printers started in {time.monotonic() - t0:.1f} s; ACS {url} (closed)")
    await asyncio.sleep(max(0.0, duration - (time.monotonic() - t0)))
    # every attempt since each client started: refused ones and (none expected) answered ones
    attempts = {d.host: d.cpe.failed_sessions + d.cpe.sessions for d in fleet.devices}
    await fleet.stop(persist=False)
    per_device: dict[int, int] = {}
    for n in attempts.values():
        per_device[n] = per_device.get(n, 0) + 1
    return sum(attempts.values()), devices * max_attempts(duration), per_device


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--devices", type=int, default=1000)
    ap.add_argument("--duration", type=float, default=600.0, help="seconds")
    ap.add_argument("--base-address", default="127.102.0.1")
    a = ap.parse_args()
    logging.disable(logging.WARNING)  # a refused session is logged once per attempt
    total, allowed, per_device = asyncio.run(run(a.devices, a.duration, a.base_address))
    print(f"connection attempts in {a.duration:.0f} s: {total}")
    print(f"most the retry table allows:   {allowed} ({allowed // a.devices} per printer)")
    print("attempts per printer: " + ", ".join(f"{k}: {v}" for k, v in sorted(per_device.items())))
    print("within the table" if total <= allowed else "FASTER THAN THE TABLE")
    sys.exit(0 if total <= allowed else 1)


if __name__ == "__main__":
    main()
