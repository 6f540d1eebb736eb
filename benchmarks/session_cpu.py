"""CPU time per TR-069 session, fleet and stub ACS in one process: a figure a shared machine
does not distort (CPU seconds, not wall time), for comparing changes to the session path.

``--rounds`` reboot storms of ``--devices`` printers (embedded clients, real loopback HTTP,
lean stub ACS in the same loop); prints the process CPU per completed session. Run it with
``PRINTBENCH_EVENT_LOOP=uvloop`` to measure uvloop against asyncio's own loop.

    .venv/bin/python benchmarks/session_cpu.py [--devices 200] [--rounds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


async def run(devices: int, rounds: int, base: str) -> None:
    from printbench.acs_stub.control import AcsControl
    from printbench.acs_stub.server import AcsConfig
    from printbench.emulator.fleet.fleet import Fleet, FleetConfig
    from printbench.emulator.fleet.plan import Layout, parse_mix
    from printbench.emulator.profiles import list_profiles

    acs = await AcsControl.start(AcsConfig(
        host="127.0.0.1", port=0, control_port=0, journal_file=False, xsd_checks=False,
        verdicts=False, journal_keep=0, max_sessions=1024))  # fmt: skip
    cfg = FleetConfig(count=devices, layout=Layout(base), mix=parse_mix("all", list_profiles()),
                      acs_url=acs.server.cwmp_url, listen="per-address", faces=("cwmp",),
                      periodic_interval=86400, state_dir=Path(tempfile.mkdtemp()))  # fmt: skip
    fleet = Fleet(cfg)
    await fleet.start()
    try:
        async def settle(target: int) -> None:
            while fleet.metrics.sessions_ok + fleet.metrics.sessions_failed < target:
                await asyncio.sleep(0.05)

        await settle(devices)
        done = fleet.metrics.sessions_ok + fleet.metrics.sessions_failed
        cpu0, wall0 = time.process_time(), time.monotonic()
        for _ in range(rounds):
            fleet.reboot_storm()
            done += devices
            await settle(done)
        cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
        n = devices * rounds
        loop = type(asyncio.get_running_loop()).__module__.split(".")[0]
        print(f"{loop}: {n} sessions, {fleet.metrics.sessions_failed} failed, "
              f"{1000 * cpu / n:.3f} ms CPU per session (fleet + stub ACS), {wall:.1f} s wall")
    finally:
        await fleet.stop(persist=False)
        await acs.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--base-address", default="127.119.0.1")
    args = ap.parse_args()
    from printbench.common.eventloop import install_from_env

    install_from_env()
    asyncio.run(run(args.devices, args.rounds, args.base_address))


if __name__ == "__main__":
    main()
