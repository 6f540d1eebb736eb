"""GetParameterValues of the whole PrintService subtree through the CWMP proxy.

Starts N virtual printers (colour laser MFP profile, SNMP + IPP + EWS faces on their own
127.81.x.y addresses, ephemeral ports, engines not driven) in this process, one proxy
virtual device per printer, and times ``GetParameterValues("Device.Services.PrintService.")``
through the proxy's RPC handler (fetch over SNMP GET/GETBULK, one IPP Get-Printer-Attributes,
one EWS /api/state, conversion, tree), for 1 printer and for N at once (all concurrently).
Printers and proxy share one event loop and one core, so the figure is an upper bound on
what the proxy itself costs.

    .venv/bin/python benchmarks/proxy_gpv.py [--printers 100] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import aiohttp

from printbench.common.clock import FakeClock
from printbench.cwmp import messages as m
from printbench.cwmp_proxy.inventory import PrinterEntry
from printbench.cwmp_proxy.model import Identity, ModelConfig, build_model
from printbench.cwmp_proxy.virtual_device import PrinterDevice
from printbench.emulator.device import Ports, VirtualPrinter

PS = "Device.Services.PrintService."


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/")[0])


async def main(n: int, rounds: int) -> None:
    printers = [
        VirtualPrinter(
            "color-laser-mfp",
            host=f"127.81.{i // 250}.{i % 250 + 1}",
            seed=i,
            clock=FakeClock(),
            ports=Ports.ephemeral(),
        )
        for i in range(n)
    ]
    for p in printers:
        await p.start(faces=("snmp", "ipp", "ews"), drive=False)
    dm, bindings = build_model(ModelConfig(acs_url="http://127.0.0.1:9/"))
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        devices = []
        for p in printers:
            e = PrinterEntry(
                p.host,
                snmp_port=_port(p.endpoints["snmp"]),
                ipp_uri=p.endpoints["ipp"],
                ews_url=p.endpoints["ews"],
            )
            d = PrinterDevice(
                e, dm, bindings, http, proxier=Identity(serial_number="bench"), timeout=5.0
            )
            devices.append(d)
        await asyncio.gather(*(d.discover() for d in devices))
        req = m.GetParameterValues((PS,))

        async def gpv(d: PrinterDevice) -> int:
            r = await d.get_parameter_values(req)
            assert isinstance(r, m.GetParameterValuesResponse), r
            return len(r.parameter_list)

        count = await gpv(devices[0])
        one = []
        for _ in range(rounds * 3):
            t = time.perf_counter()
            await gpv(devices[0])
            one.append(time.perf_counter() - t)
        many = []
        for _ in range(rounds):
            t = time.perf_counter()
            counts = await asyncio.gather(*(gpv(d) for d in devices))
            many.append(time.perf_counter() - t)
        assert all(c > 100 for c in counts)
    for p in printers:
        await p.stop()
    best_one = min(one)
    best_many = min(many)
    print(f"parameters per GetParameterValues (whole PrintService): {count}")
    print(
        f"1 printer:   {best_one * 1000:.1f} ms per GPV (median {statistics.median(one) * 1000:.1f} ms)"
    )
    print(
        f"{n} printers at once: {best_many:.2f} s total, "
        f"{best_many / n * 1000:.1f} ms per printer (median round {statistics.median(many):.2f} s)"
    )


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--printers", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    asyncio.run(main(a.printers, a.rounds))
