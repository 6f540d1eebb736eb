"""How many live printers fit on this machine: start-up time and memory per idle device.

Starts a fleet (all faces: SNMP, IPP, EWS, control, TR-069 client) with the built-in stub ACS
in its own process, waits until every printer is up and the first (BOOTSTRAP) sessions have
drained, then measures the workers' RSS and checks that sample printers answer on every face
(net-snmp ``snmpget``, an IPP Get-Printer-Attributes, EWS ``/api/status``, the control API).

    .venv/bin/python benchmarks/fleet_density.py [--devices 1000 10000] [--workers 2]

Per-device RSS = (fleet RSS - RSS of a 1-printer fleet per worker) / printers.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from printbench.common.httpio import read_response
from printbench.emulator.device import Ports

# Wildcard listeners take a port on every address: keep clear of the default ports that other
# tests may bind on their own addresses while this runs.
BENCH_PORTS = Ports(snmp=1161, ipp=28631, ews=28080, control=28081, cwmp=27547)


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * 4096 / 1e6


async def _check_faces(rec: dict) -> list[str]:
    import aiohttp

    bad = []
    host = rec["address"]
    out = subprocess.run(
        ["snmpget", "-v2c", "-c", rec["community"], "-t", "3", "-r", "1",
         f"{host}:{rec['snmp_port']}", "1.3.6.1.2.1.43.5.1.1.17.1"],
        capture_output=True, text=True,
    )  # fmt: skip
    if rec["serial"] not in out.stdout:
        bad.append(f"snmp {host}: {out.stdout or out.stderr}")
    out = subprocess.run(
        ["ipptool", "-T", "10", rec["ipp_uri"], "get-printer-attributes.test"],
        capture_output=True, text=True,
    )  # fmt: skip
    if out.returncode != 0:
        bad.append(f"ipp {host}: {out.stdout[-200:]}")
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        for url in (
            rec["ews_url"] + "api/status",
            rec["control_url"] + "value/identity.serial_number",
        ):
            try:
                async with http.get(
                    url,
                    headers={
                        "Authorization": aiohttp.encode_basic_auth(
                            rec["ews_username"], rec["ews_password"]
                        )
                    },
                ) as r:
                    text = (await read_response(r, 16 * 1024 * 1024)).decode("utf-8", "replace")
                    if r.status != 200:
                        bad.append(f"{url}: HTTP {r.status}")
                    elif "control" in url and rec["serial"] not in text:
                        bad.append(f"{url}: wrong device {text[:80]}")
            except Exception as exc:
                bad.append(f"{url}: {exc}")
    return bad


async def run(devices: int, workers: int, settle: float) -> dict:
    from printbench.emulator.fleet.plan import Layout, parse_mix
    from printbench.emulator.fleet.workers import Supervisor, SupervisorConfig
    from printbench.emulator.profiles import list_profiles
    from printbench.loadtest.loadrun import StubAcsProcess

    acs = StubAcsProcess()
    url = await acs.start()
    cfg = SupervisorConfig(
        devices=devices, workers=workers, layout=Layout("127.101.0.1", BENCH_PORTS),
        mix=parse_mix("all", list_profiles()), acs_url=url, listen="wildcard",
        state_dir=Path(tempfile.mkdtemp(prefix="fleet-density-")), periodic_interval=86400,
        api_port=-1,
    )  # fmt: skip
    sup = Supervisor(cfg)
    try:
        await sup.start()
        startup = sup.t_ready - sup.t_start
        # Wait for the first sessions (BOOTSTRAP + BOOT) to drain, then let memory settle.
        t0 = time.monotonic()
        while sup.totals()["sessions_ok"] < devices and time.monotonic() - t0 < 300:
            await asyncio.sleep(1)
        boot_drain = time.monotonic() - t0
        await asyncio.sleep(settle)
        rss = sum(_rss_mb(w.proc.pid) for w in sup.workers if w.proc)
        inv = sup.inventory()
        step = max(1, len(inv) // 8)
        problems = []
        for rec in inv[::step]:
            problems += await _check_faces(rec)
        totals = sup.totals()
    finally:
        await sup.stop()
        await acs.stop()
    return {"devices": devices, "workers": len(sup.workers), "startup_s": startup,
            "boot_sessions_drained_s": boot_drain, "rss_mb": rss, "sessions_ok": totals["sessions_ok"],
            "sessions_failed": totals["sessions_failed"], "problems": problems,
            "checked": len(inv[::step])}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--settle", type=float, default=5.0)
    args = ap.parse_args()
    base = asyncio.run(run(args.workers, args.workers, 2.0))
    per_worker_base = base["rss_mb"]
    print(f"baseline: {args.workers} workers with 1 printer each: {per_worker_base:.0f} MB RSS")
    for n in args.devices:
        r = asyncio.run(run(n, args.workers, args.settle))
        per_dev = (r["rss_mb"] - per_worker_base) / n * 1000
        print(
            f"{n} printers, {r['workers']} workers: start-up {r['startup_s']:.1f} s, "
            f"first sessions drained {r['boot_sessions_drained_s']:.1f} s later "
            f"({r['sessions_ok']} ok, {r['sessions_failed']} failed), RSS {r['rss_mb']:.0f} MB "
            f"total, {per_dev:.1f} kB per idle printer; faces checked on {r['checked']} "
            f"printers: {'all answered' if not r['problems'] else r['problems']}"
        )


if __name__ == "__main__":
    main()
