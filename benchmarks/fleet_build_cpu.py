"""CPU a fleet worker spends to build one printer, with and without the collector paused.

Builds ``--devices`` printers (SNMP, IPP, EWS, control faces; no TR-069 client, so no ACS and
no sessions take part) in one process, as one fleet worker does, and prints the process CPU
time per printer and the RSS per printer. ``--collector on`` keeps Python's cyclic garbage
collector running during the build (what the fleet did before), ``paused`` is what
``emulator.fleet.fleet._collector_paused`` does now: off while building, then one collection
and ``gc.freeze``. Both modes run in fresh processes, side by side, so the figures compare.

    .venv/bin/python benchmarks/fleet_build_cpu.py [--devices 10000]

CPU time, not wall time: on a shared machine the wall clock measures the neighbours.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def _build(devices: int, collector: str) -> tuple[float, float]:
    from printbench.emulator.fleet import fleet as F
    from printbench.emulator.fleet.plan import Layout
    from printbench.emulator.tr069.view import printer_model

    printer_model()  # the shared data model, built once per process in both modes
    if collector == "on":
        F._collector_paused = contextlib.nullcontext  # type: ignore[assignment]
    cfg = F.FleetConfig(count=devices, layout=Layout("127.103.0.1"), acs_url=None,
                        faces=("snmp", "ipp", "ews", "control"), listen="wildcard",
                        snmp_sockets="wildcard", bind_host="0.0.0.0")  # fmt: skip
    fleet = F.Fleet(cfg)
    rss0, cpu0 = _rss_kb(), time.process_time()
    await fleet.start()
    cpu_ms = (time.process_time() - cpu0) / devices * 1000
    rss_kb = (_rss_kb() - rss0) / devices
    await fleet.stop(persist=False)
    return cpu_ms, rss_kb


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--devices", type=int, default=10000)
    ap.add_argument("--collector", choices=("on", "paused"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.collector:  # one mode, in this (fresh) process
        logging.disable(logging.WARNING)
        cpu_ms, rss_kb = asyncio.run(_build(args.devices, args.collector))
        print(f"{cpu_ms:.3f} {rss_kb:.1f}")
        return
    print(f"{args.devices} printers built in one process (no TR-069 client):")
    for mode in ("on", "paused"):
        out = subprocess.run(
            [sys.executable, __file__, "--devices", str(args.devices), "--collector", mode],
            capture_output=True, text=True, check=True,
        ).stdout.split()  # fmt: skip
        print(f"  collector {mode:6}: {float(out[0]):.2f} ms CPU per printer, "
              f"RSS +{float(out[1]):.1f} kB per printer")  # fmt: skip


if __name__ == "__main__":
    main()
