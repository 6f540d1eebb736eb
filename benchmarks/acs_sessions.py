"""Full periodic CWMP sessions per second against the stub ACS on loopback.

Each session: Inform (2 PERIODIC, 20 parameters) → InformResponse → empty POST →
GetParameterValues (queued by an on-Inform policy) → response → 204. The CPEs are scripted
with the cwmp CPE session machine over aiohttp and run in a separate process, many at once,
each starting its next session as soon as the last one ended (a worst-case inform storm).

    .venv/bin/python benchmarks/acs_sessions.py [--cpes 200] [--duration 10] [--lean]

``--lean`` turns off the XSD/verdict checks and the on-disk journal, to show what they cost.
Prints sessions/s and the per-session latency p50/p99.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from printbench.common.httpio import read_response
from printbench.cwmp import messages as m
from printbench.cwmp import soap


def _inform(serial: str) -> m.Inform:
    params = {
        "Device.RootDataModelVersion": "2.17",
        "Device.DeviceInfo.HardwareVersion": "HW1",
        "Device.DeviceInfo.SoftwareVersion": "1.0",
        "Device.DeviceInfo.ProvisioningCode": "",
        "Device.ManagementServer.ParameterKey": "",
        "Device.ManagementServer.ConnectionRequestURL": "http://127.60.0.1:7547/cr",
        "Device.ManagementServer.AliasBasedAddressing": "false",
    }
    for i in range(20 - len(params)):
        params[f"Device.Services.PrintService.1.Counter.{i}"] = str(i * 100)
    return m.Inform(
        device_id=m.DeviceIdStruct("ACME", "00AA11", "BenchPrinter", serial),
        event=(m.EventStruct("2 PERIODIC"),),
        current_time=datetime.now(UTC),
        parameter_list=tuple(m.ParameterValueStruct(k, v) for k, v in params.items()),
    )


async def _cpe_loop(url: str, serial: str, deadline: float, latencies: list[float]) -> int:
    import aiohttp

    from printbench.cwmp.session import CpeSession, RequestReceived, SessionEnded

    done = 0
    inform = _inform(serial)
    answer = m.GetParameterValuesResponse(
        (m.ParameterValueStruct("Device.DeviceInfo.SoftwareVersion", "1.0"),)
    )
    headers = {"Content-Type": "text/xml; charset=utf-8"}
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        while time.monotonic() < deadline:
            http.cookie_jar.clear()
            start = time.monotonic()
            machine = CpeSession()
            body = machine.start(inform, 0.0)
            while True:
                hdrs = None
                if body:  # TR-069 §3.4.1 SOAPAction: "" on requests, no value on responses
                    hdrs = {**headers, "SOAPAction": soap.soap_action(body)}
                async with http.post(url, data=body, headers=hdrs) as resp:
                    data = await read_response(resp, 32 * 1024 * 1024)  # bounded, to EOF
                    status = resp.status
                ev = machine.receive(status, data, 0.0)
                if isinstance(ev, SessionEnded):
                    break
                if isinstance(ev, RequestReceived):
                    body = machine.respond(answer, 0.0)
                else:
                    body = machine.next_post(0.0)
            latencies.append(time.monotonic() - start)
            done += 1
    return done


def _cpe_process(url: str, cpes: int, duration: float, out: mp.Queue) -> None:
    async def main() -> None:
        latencies: list[float] = []
        deadline = time.monotonic() + duration
        t0 = time.monotonic()
        counts = await asyncio.gather(
            *(_cpe_loop(url, f"B{i:06d}", deadline, latencies) for i in range(cpes))
        )
        out.put((sum(counts), time.monotonic() - t0, latencies))

    asyncio.run(main())


async def run(cpes: int, duration: float, lean: bool) -> None:
    from printbench.acs_stub.control import AcsControl
    from printbench.acs_stub.server import AcsConfig

    journal_dir = Path(tempfile.mkdtemp(prefix="acs-bench-"))
    config = AcsConfig(
        port=0,
        control_port=0,
        journal_dir=journal_dir,
        journal_file=not lean,
        journal_keep=0 if lean else 200_000,
        verdicts=not lean,
        xsd_checks=not lean,
        on_inform=lambda device, inform: [m.GetParameterValues(("Device.DeviceInfo.",))],
    )
    acs = await AcsControl.start(config)
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=_cpe_process, args=(acs.server.cwmp_url, cpes, duration, out))
    proc.start()
    result = await asyncio.get_running_loop().run_in_executor(None, out.get)
    proc.join()
    sessions, elapsed, latencies = result
    violations = len(acs.verdicts())
    await acs.stop()
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    mode = "lean (no verdicts, no journal file)" if lean else "full (XSD + verdicts + journal)"
    print(f"stub ACS sessions benchmark, {mode}")
    print(f"  concurrent CPEs: {cpes} (separate process), duration {elapsed:.1f} s")
    print(f"  sessions: {sessions}  ->  {sessions / elapsed:.0f} sessions/s")
    print(
        f"  session latency: p50 {p(0.50):.1f} ms, p99 {p(0.99):.1f} ms, "
        f"mean {statistics.fmean(latencies) * 1000:.1f} ms"
    )
    print(f"  violations recorded: {violations}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpes", type=int, default=200)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--lean", action="store_true")
    args = parser.parse_args()
    asyncio.run(run(args.cpes, args.duration, args.lean))


if __name__ == "__main__":
    main()
