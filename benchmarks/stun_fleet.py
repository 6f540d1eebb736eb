"""A fleet behind one NAT keeps STUN bindings alive, then every printer answers a UDP
Connection Request with a session (TR-069 Annex G; the seed's firewall figure).

Three processes, so each one's CPU is its own: the stub ACS with its STUN server (this
process), the NAT (``emulator.nat.UdpNat``: one public address, a port per printer, mappings
forgotten ``--nat-timeout`` s after the last outbound datagram) and the fleet (one
``emulator.fleet.Fleet``, TR-069 face only). Every printer's STUNMaximumKeepAlivePeriod is
``--keepalive`` (below the NAT timeout, so the bindings must survive on keep-alives alone:
the NAT's expired-mapping count shows whether they did).

    .venv/bin/python benchmarks/stun_fleet.py [--devices 1000] [--hold 60] [--keepalive 20]

Prints: start-up, the keep-alive phase (Binding Requests/s at the STUN server, NAT packets/s,
CPU of fleet, NAT and ACS), the UDP Connection Request phase (requests, sessions with
6 CONNECTION REQUEST, failures, time, CPU), and the NAT's mapping counts.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PUBLIC, INSIDE = "127.105.0.1", "127.105.0.254"
FLEET_BASE = "127.106.0.1"
STUN_PASSWORD = "bench-stun"
SEED = 7


def _cpu_s(pid: int) -> float:
    tick = os.sysconf("SC_CLK_TCK")
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick
    except (OSError, IndexError, ValueError):
        return 0.0


def _nat_main(q: mp.Queue, cmd: mp.Queue, upstream: tuple[str, int], timeout: float) -> None:
    from printbench.emulator.nat import UdpNat

    async def main() -> None:
        nat = UdpNat(PUBLIC, INSIDE, [upstream], timeout=timeout)
        await nat.start()
        q.put(nat.inside_address())
        loop = asyncio.get_running_loop()
        while True:
            what = await loop.run_in_executor(None, cmd.get)
            s = nat.stats
            q.put({"mappings": len(nat.mappings), "created": s.mappings_created,
                   "expired": s.mappings_expired, "outbound": s.outbound,
                   "inbound": s.inbound, "filtered": s.filtered})  # fmt: skip
            if what == "stop":
                await nat.stop()
                return

    asyncio.run(main())


def _fleet_main(q: mp.Queue, devices: int, acs_url: str, stun: str, keepalive: int) -> None:
    from printbench.emulator.device import Ports
    from printbench.emulator.fleet.fleet import Fleet, FleetConfig
    from printbench.emulator.fleet.plan import Layout

    async def main() -> None:
        cfg = FleetConfig(
            count=devices, layout=Layout(FLEET_BASE, Ports(snmp=1161, ipp=28631, ews=28080,
                                                           control=28081, cwmp=27547)),
            faces=("cwmp",), acs_url=acs_url, listen="wildcard", seed=SEED,
            periodic_interval=86400, stun_server=stun, stun_password=STUN_PASSWORD,
            stun_keepalive=keepalive,
        )  # fmt: skip
        fleet = Fleet(cfg)
        await fleet.start()
        q.put("started")
        await asyncio.Event().wait()

    asyncio.run(main())


async def run(args: argparse.Namespace) -> None:
    from printbench.acs_stub.control import AcsControl
    from printbench.acs_stub.server import AcsConfig
    from printbench.acs_stub.udp_connreq import send_udp_connection_request
    from printbench.emulator.identity import cr_credentials

    n = args.devices
    acs = await AcsControl.start(AcsConfig(host="127.0.0.1", port=0, control_port=0,
                                           journal_file=False, xsd_checks=False, verdicts=False,
                                           journal_keep=0, max_sessions=512))  # fmt: skip
    stun = await acs.start_stun("127.0.0.1", 0, credentials=lambda user: STUN_PASSWORD)
    ctx = mp.get_context("spawn")
    nq, ncmd, fq = ctx.Queue(), ctx.Queue(), ctx.Queue()
    nat_p = ctx.Process(target=_nat_main, args=(nq, ncmd, stun.address, args.nat_timeout))
    nat_p.start()
    inside = nq.get(timeout=30)
    t0 = time.monotonic()
    fleet_p = ctx.Process(target=_fleet_main, args=(fq, n, acs.server.cwmp_url,
                                                    f"{inside[0]}:{inside[1]}", args.keepalive))  # fmt: skip
    fleet_p.start()
    pids = {"fleet": fleet_p.pid or 0, "nat": nat_p.pid or 0, "acs": os.getpid()}
    try:
        while len(stun.bindings) < n or len(acs.devices()) < n:
            await asyncio.sleep(0.5)
            if time.monotonic() - t0 > args.start_timeout:
                raise SystemExit(f"start-up: {len(acs.devices())} devices informed, "
                                 f"{len(stun.bindings)} STUN bindings after {args.start_timeout} s")  # fmt: skip
        print(f"{n} printers up behind NAT {PUBLIC}: {len(acs.devices())} informed, "
              f"{len(stun.bindings)} STUN bindings in {time.monotonic() - t0:.1f} s")  # fmt: skip
        for d in acs.devices():
            user, password = cr_credentials(d.serial_number, SEED)
            acs.set_connection_request(d.id, username=user, password=password)
        await asyncio.sleep(2)  # let the start-up sessions end

        # -- keep-alive phase
        cpu0 = {k: _cpu_s(p) for k, p in pids.items()}
        req0, t1 = stun.requests, time.monotonic()
        ncmd.put("stats")
        nat0 = nq.get(timeout=10)
        await asyncio.sleep(args.hold)
        dt = time.monotonic() - t1
        ncmd.put("stats")
        nat1 = nq.get(timeout=10)
        cpu1 = {k: _cpu_s(p) for k, p in pids.items()}
        moved = sum(1 for b in stun.bindings.values() if b.moves)
        pkts = (nat1["outbound"] - nat0["outbound"]) + (nat1["inbound"] - nat0["inbound"])
        print(f"keep-alive phase {dt:.0f} s (STUNMaximumKeepAlivePeriod {args.keepalive} s, NAT "
              f"timeout {args.nat_timeout:g} s): {(stun.requests - req0) / dt:.1f} Binding "
              f"Requests/s at the STUN server, {pkts / dt:.1f} NAT packets/s; NAT mappings "
              f"{nat1['mappings']} (expired in phase {nat1['expired'] - nat0['expired']}), "
              f"bindings moved {moved}")  # fmt: skip
        print("  CPU in phase: " + ", ".join(
            f"{k} {cpu1[k] - cpu0[k]:.2f} s ({100 * (cpu1[k] - cpu0[k]) / dt:.1f} %)"
            for k in pids))  # fmt: skip

        # -- UDP Connection Request phase
        cpu0, t2 = {k: _cpu_s(p) for k, p in pids.items()}, time.monotonic()
        sem = asyncio.Semaphore(args.concurrency)
        results: list[bool] = []

        async def one(device_id: str) -> None:
            async with sem:
                try:
                    out = await send_udp_connection_request(acs, device_id, timeout=30)
                    results.append(out.session is not None)
                except Exception:
                    results.append(False)

        await asyncio.gather(*(one(d.id) for d in acs.devices()))
        dt = time.monotonic() - t2
        cpu1 = {k: _cpu_s(p) for k, p in pids.items()}
        ok = sum(results)
        print(f"UDP connection requests: {len(results)} sent ({args.concurrency} at a time), "
              f"{ok} answered with a 6 CONNECTION REQUEST session, {len(results) - ok} failures, "
              f"{dt:.1f} s ({ok / dt:.1f} sessions/s); {stun.sent} datagrams sent")  # fmt: skip
        print("  CPU in phase: " + ", ".join(
            f"{k} {cpu1[k] - cpu0[k]:.2f} s ({100 * (cpu1[k] - cpu0[k]) / dt:.1f} %)"
            for k in pids))  # fmt: skip
        ncmd.put("stop")
        nat2 = nq.get(timeout=10)
        print(f"NAT: {nat2['created']} mappings created, {nat2['expired']} expired, "
              f"{nat2['filtered']} inbound datagrams filtered")  # fmt: skip
    finally:
        fleet_p.terminate()
        fleet_p.join(10)
        if nat_p.is_alive():
            nat_p.terminate()
        nat_p.join(10)
        await acs.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, default=1000)
    ap.add_argument("--hold", type=float, default=60.0, help="keep-alive phase, seconds")
    ap.add_argument("--keepalive", type=int, default=20, help="STUNMaximumKeepAlivePeriod")
    ap.add_argument("--nat-timeout", type=float, default=30.0)
    ap.add_argument("--concurrency", type=int, default=100)
    ap.add_argument("--start-timeout", type=float, default=300.0)
    asyncio.run(run(ap.parse_args()))


if __name__ == "__main__":
    main()
