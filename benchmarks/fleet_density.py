"""How many live printers fit on this machine: start-up time and memory per idle device.

Starts a fleet (all faces: SNMP, IPP, EWS, control, TR-069 client) with the built-in stub ACS
in its own process, waits until every printer is up and the first (BOOTSTRAP) sessions have
drained, then measures the workers' RSS and open descriptors and checks that sample printers
answer on every face (net-snmp ``snmpget`` v2c and v3, an IPP Get-Printer-Attributes, EWS
``/api/status``, the control API, and the connection-request URL, which must challenge for
digest credentials: 401).

    .venv/bin/python benchmarks/fleet_density.py [--devices 1000 10000] [--workers 2]
        [--snmp-sockets wildcard per-address]

Per-device RSS = (fleet RSS - RSS of a 1-printer fleet per worker) / printers; descriptors per
printer likewise. ``--snmp-sockets`` runs each size once per SNMP socket mode (wildcard: one
UDP socket per worker with IP_PKTINFO; per-address: one per printer). TCP faces always listen
on wildcard sockets here.
"""

from __future__ import annotations

import argparse
import asyncio
import os
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
BENCH_PORTS = Ports(snmp=21161, ipp=28631, ews=28080, control=28081, cwmp=27547)


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * 4096 / 1e6


def _open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


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
    if rec["v3_user"]:
        v3 = ["-v3", "-l", "authPriv", "-u", rec["v3_user"], "-a", rec["v3_auth_protocol"],
              "-A", rec["v3_auth_key"], "-x", rec["v3_priv_protocol"], "-X", rec["v3_priv_key"]]  # fmt: skip
        out = subprocess.run(
            ["snmpget", *v3, "-t", "3", "-r", "1", f"{host}:{rec['snmp_port']}",
             "1.3.6.1.2.1.43.5.1.1.17.1"], capture_output=True, text=True,
        )  # fmt: skip
        if rec["serial"] not in out.stdout:
            bad.append(f"snmp v3 {host}: {out.stdout or out.stderr}")
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
        try:  # the connection-request listener routes to the printer: a digest challenge
            async with http.get(rec["cr_url"]) as r:
                if r.status != 401 or "Digest" not in r.headers.get("WWW-Authenticate", ""):
                    bad.append(f"{rec['cr_url']}: HTTP {r.status}")
        except Exception as exc:
            bad.append(f"{rec['cr_url']}: {exc}")
    return bad


async def run(devices: int, workers: int, settle: float, snmp_sockets: str = "wildcard",
              drain_timeout: float = 300.0) -> dict:  # fmt: skip
    from printbench.emulator.fleet.plan import Layout, parse_mix
    from printbench.emulator.fleet.workers import Supervisor, SupervisorConfig
    from printbench.emulator.profiles import list_profiles
    from printbench.loadtest.loadrun import StubAcsProcess

    acs = StubAcsProcess()
    url = await acs.start()
    cfg = SupervisorConfig(
        devices=devices, workers=workers, layout=Layout("127.101.0.1", BENCH_PORTS),
        mix=parse_mix("all", list_profiles()), acs_url=url, listen="wildcard",
        snmp_sockets=snmp_sockets,
        state_dir=Path(tempfile.mkdtemp(prefix="fleet-density-")), periodic_interval=86400,
        api_port=-1,
    )  # fmt: skip
    sup = Supervisor(cfg)
    try:
        await sup.start()
        startup = sup.t_ready - sup.t_start
        # Wait for the first sessions (BOOTSTRAP + BOOT) to drain, then let memory settle.
        t0 = time.monotonic()
        while sup.totals()["sessions_ok"] < devices and time.monotonic() - t0 < drain_timeout:
            await asyncio.sleep(1)
        boot_drain = time.monotonic() - t0
        await asyncio.sleep(settle)
        rss = sum(_rss_mb(w.proc.pid) for w in sup.workers if w.proc)
        fds = sum(_open_fds(w.proc.pid) for w in sup.workers if w.proc)
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
            "boot_sessions_drained_s": boot_drain, "rss_mb": rss, "fds": fds,
            "snmp_sockets": sup.snmp_mode, "sessions_ok": totals["sessions_ok"],
            "sessions_failed": totals["sessions_failed"], "problems": problems,
            "checked": len(inv[::step])}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--settle", type=float, default=5.0)
    ap.add_argument("--snmp-sockets", nargs="+", default=["wildcard"],
                    choices=("wildcard", "per-address"))  # fmt: skip
    ap.add_argument("--drain-timeout", type=float, default=300.0,
                    help="longest wait for the first sessions to drain (s)")  # fmt: skip
    args = ap.parse_args()
    for mode in args.snmp_sockets:
        base = asyncio.run(run(args.workers, args.workers, 2.0, mode))
        b_rss, b_fds = base["rss_mb"], base["fds"]
        print(f"baseline ({mode} SNMP): {args.workers} workers with 1 printer each: "
              f"{b_rss:.0f} MB RSS, {b_fds} open descriptors")  # fmt: skip
        for n in args.devices:
            r = asyncio.run(run(n, args.workers, args.settle, mode, args.drain_timeout))
            per_dev = (r["rss_mb"] - b_rss) / n * 1000
            print(
                f"{n} printers, {r['workers']} workers, {r['snmp_sockets']} SNMP sockets: "
                f"start-up {r['startup_s']:.1f} s, first sessions drained "
                f"{r['boot_sessions_drained_s']:.1f} s later ({r['sessions_ok']} ok, "
                f"{r['sessions_failed']} failed), RSS {r['rss_mb']:.0f} MB total, "
                f"{per_dev:.1f} kB per idle printer, {r['fds']} open descriptors "
                f"({(r['fds'] - b_fds) / n:.3f} per printer); faces checked on {r['checked']} "
                f"printers: {'all answered' if not r['problems'] else r['problems']}",
                flush=True,
            )


if __name__ == "__main__":
    main()
