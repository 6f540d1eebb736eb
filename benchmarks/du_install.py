"""ChangeDUState Install of a large DU (issue 15, item 1): time and memory.

A stub ACS serves a ``--mb`` MB Deployment Unit with HTTP digest auth; the colour MFP's
embedded client (real clock, loopback) is asked to install it with ChangeDUState. Prints the
seconds from the Connection Request that fetches the ChangeDUState to the end of the
operation (DUStateChangeComplete queued), the throughput of the
whole operation (fetch to a temporary file + SHA-256 check + install), and the peak RSS
growth (VmHWM reset before): the DU is streamed, never held in memory.

    .venv/bin/python benchmarks/du_install.py [--mb 20]
    .venv/bin/python benchmarks/du_install.py --agents 200   # memory of the agent per printer
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from printbench.acs_stub.control import AcsControl
from printbench.acs_stub.server import AcsConfig
from printbench.cwmp import du as D
from printbench.cwmp import messages as m
from printbench.cwmp_cpe.du_package import write_package
from printbench.emulator.device import Ports, VirtualPrinter


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


class _NoCr:
    def register(self, cpe: object, path: str | None = None) -> str:
        return ""

    def unregister(self, cpe: object) -> None:
        return None


def agent_memory(n: int) -> None:
    """Bytes the software-module agent adds to one printer's TR-069 client (tracemalloc)."""
    import tracemalloc

    from printbench.common.clock import SystemClock
    from printbench.emulator.behaviour import PrinterEngine
    from printbench.emulator.profiles import build_printer
    from printbench.emulator.tr069.client import EmbeddedClient
    from printbench.emulator.tr069.software_client import software_agent

    clock = SystemClock()
    clients = []
    for i in range(n):
        state = build_printer("color-laser-mfp", seed=i)
        engine = PrinterEngine(state, clock, seed=i)
        clients.append(EmbeddedClient(state, engine, clock, cr_server=_NoCr()))
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    agents = [software_agent(c.cpe, c.state, None) for c in clients]
    after = tracemalloc.take_snapshot()
    grown = sum(s.size_diff for s in after.compare_to(before, "filename"))
    print(f"software-module agent: {grown / len(agents):.0f} bytes per printer ({n} printers)")
    shared = len({id(c.state.software.inventory) for c in clients})
    print(f"inventory texts held for {n} printers of one model: {shared}")


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=20)
    ap.add_argument("--agents", type=int, default=0)
    args = ap.parse_args()
    if args.agents:
        agent_memory(args.agents)
        return
    size = args.mb * 1_000_000
    acs = await AcsControl.start(AcsConfig(host="127.0.0.1", port=0, control_port=0))
    vp = VirtualPrinter("color-laser-mfp", host="127.71.15.1", acs_url=acs.server.cwmp_url,
                        ports=Ports.ephemeral())  # fmt: skip
    mg = vp.state.management
    mg.connection_request_username, mg.connection_request_password = "cr", "cr-pw"
    with tempfile.TemporaryDirectory() as tmp:
        pkg = D.Package("Bench App", "printbench", "1.0", "OSGi R6", units=(D.UnitSpec("b"),))
        du = write_package(Path(tmp) / "bench.du", pkg, size)
        acs.add_file("bench.du", du, auth="digest", username="du", password="du-pw")
        try:
            await vp.start(faces=("tr069",), drive=False)
            dev = f"{vp.state.identity.oui}-{vp.state.identity.product_class}-" \
                  f"{vp.state.identity.serial_number}"  # fmt: skip
            acs.set_connection_request(dev, username="cr", password="cr-pw")
            for _ in range(100):
                known = acs.server.registry.get(dev)
                if known is not None and known.cr_url:
                    break
                await asyncio.sleep(0.05)
            gc.collect()
            Path("/proc/self/clear_refs").write_text("5")
            rss0 = _status("VmRSS")
            op = m.InstallOpStruct(acs.file_url("bench.du"), None, "du", "du-pw",
                                   "Device.SoftwareModules.ExecEnv.1")  # fmt: skip
            t0 = time.perf_counter()
            item = acs.enqueue(dev, m.ChangeDUState((op,), "bench"))
            await acs.connection_request(dev)
            await item.result(30)
            await vp.tr069.software.idle()
            seconds = time.perf_counter() - t0
            growth = _status("VmHWM") - rss0
            (res,) = vp.tr069.software.done[0]["results"]
            print(f"DU size: {size / 1e6:.0f} MB (digest auth, loopback)")
            print(f"fault: {res['fault_code']}  state: {res['current_state']}")
            print(f"install seconds: {seconds:.2f}  ({size / 1e6 / seconds:.0f} MB/s)")
            print(f"peak RSS growth: {growth / 1e6:.1f} MB")
        finally:
            await vp.stop()
            await acs.stop()


if __name__ == "__main__":
    asyncio.run(main())
