"""cwmp_cpe: idle memory per CPE runtime and sessions per second against the stub ACS.

N CPEs over a small generic tree (what the proxy holds per printer) on one event loop: every
CPE starts (BOOTSTRAP session) at once; then every CPE gets a Connection-Request-like event
and runs a second session. Prints bytes per idle CPE (tracemalloc, after the sessions) and
sessions/s for both rounds. One process, one core; the stub ACS runs in the same loop, so the
figure is CPE + ACS cost together.

    PYTHONPATH=. .venv/bin/python benchmarks/cwmp_cpe_sessions.py [N]
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
import time
import tracemalloc

sys.path.insert(0, "tests/tr069")

from conftest import OUI, small_tree

from printbench.acs_stub.control import AcsControl
from printbench.acs_stub.server import AcsConfig
from printbench.cwmp import messages as m
from printbench.cwmp_cpe import Cpe, CpeConfig, MemoryStore


async def main(n: int) -> None:
    logging.disable(logging.WARNING)
    acs = await AcsControl.start(
        AcsConfig(host="127.0.0.1", port=0, control_port=0, journal_file=False, xsd_checks=False)
    )
    tracemalloc.start()
    gc.collect()
    base = tracemalloc.get_traced_memory()[0]
    cpes = []
    for i in range(n):
        tree = small_tree(acs.server.cwmp_url)
        cfg = CpeConfig(device_id=m.DeviceIdStruct("ACME", OUI, "Printer", f"B{i:06d}"))
        cpes.append(Cpe(tree, cfg, store=MemoryStore(), name=f"b{i}"))
    t0 = time.perf_counter()
    for c in cpes:
        await c.start()
    await asyncio.gather(*(c.idle() for c in cpes))
    t_end = time.perf_counter()
    gc.collect()
    per_cpe = (tracemalloc.get_traced_memory()[0] - base) / n
    ok = sum(c.sessions for c in cpes)
    tracemalloc.stop()  # round 2 runs untraced
    t1 = time.perf_counter()
    for c in cpes:
        c.add_event("6 CONNECTION REQUEST")
    await asyncio.sleep(0)
    await asyncio.gather(*(c.idle() for c in cpes))
    t2 = time.perf_counter()
    ok2 = sum(c.sessions for c in cpes) - ok
    print(f"CPEs: {n}")
    print(f"idle memory per CPE (tree + runtime + stub ACS registry): {per_cpe / 1024:.1f} KiB")
    print(f"round 1 (BOOTSTRAP, under tracemalloc): {ok} sessions in {t_end - t0:.2f} s")
    print(f"round 2 (CONNECTION REQUEST): {ok2} sessions in {t2 - t1:.2f} s = "
          f"{ok2 / (t2 - t1):.0f} sessions/s")  # fmt: skip
    for c in cpes:
        await c.stop()
    await acs.stop()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 300))
