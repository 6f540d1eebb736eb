"""ChangeDUState Install of a large DU (issue 15, item 1): time and memory.

A stub ACS serves a ``--mb`` MB Deployment Unit with HTTP digest auth; the colour MFP's
embedded client (real clock, loopback) is asked to install it with ChangeDUState. Prints the
seconds from the Connection Request that fetches the ChangeDUState to the end of the
operation (DUStateChangeComplete queued), the throughput of the
whole operation (fetch to a temporary file + SHA-256 check + install), and the peak RSS
growth (VmHWM reset before): the DU is streamed, never held in memory.

    .venv/bin/python benchmarks/du_install.py [--mb 20]
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


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=20)
    args = ap.parse_args()
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
