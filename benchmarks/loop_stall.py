"""Longest wait of other printers' polls while a hostile client works on one printer (issue 17).

A fleet of ``--devices`` printers (default 1,000 on 2 workers) and the stub ACS (own
process). Pollers run all the time against the *other* printers of the target's worker
(they share its event loop): a Python SNMP GET of sysUpTime.0 every 20 ms (round trip timed
to the microsecond), net-snmp ``snmpget`` every 250 ms (wall time of the process, which
includes its ~10 ms start), and an IPP Get-Printer-Attributes every 100 ms. One phase after
another, a hostile client works on the target printer:

* ``baseline``: nothing;
* ``gpv``: GetParameterValues of ``Device.`` (the whole tree) through the stub ACS, back to
  back (enqueue, connection request, session);
* ``cancel``: Create-Job until the held-job bound, then Cancel-Jobs (as the administrator) and
  Cancel-My-Jobs of each user over all of them, again and again;
* ``walk``: 4 net-snmp ``snmpbulkwalk`` of the whole MIB at once, again and again, and
  GETBULK with max-repetitions 10,000;
* ``slow``: 200 IPP connections sending a body one byte every 100 ms (slowloris).

Per phase it prints the polls made and the longest and p99 wait of each poller; the goal is
no SNMP poll of another printer waiting more than 100 ms. A poll that gets no answer within
2 s counts as 2 s.

    nice -n 10 .venv/bin/python benchmarks/loop_stall.py [--devices 1000] [--phase-seconds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing as mp
import random
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from printbench.emulator.device import Ports

PORTS = Ports(snmp=30261, ipp=30631, ews=30680, control=30681, cwmp=30547)
SYS_UPTIME = (1, 3, 6, 1, 2, 1, 1, 3, 0)
ADMIN = "Basic " + base64.b64encode(b"admin:admin").decode()


def _acs_process(q: Any, host: str) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)

    async def main() -> None:
        from printbench.acs_stub.control import AcsControl
        from printbench.acs_stub.server import AcsConfig

        acs = await AcsControl.start(AcsConfig(
            host=host, port=0, control_port=0, journal_file=False, xsd_checks=False,
            verdicts=False, journal_keep=1000, max_sessions=1024,
        ))  # fmt: skip
        q.put((acs.server.cwmp_url, acs.server.control_url))
        await asyncio.Event().wait()

    asyncio.run(main())


class Waits:
    """Wait times of one poller in the current phase."""

    def __init__(self) -> None:
        self.values: list[float] = []

    def add(self, seconds: float) -> None:
        self.values.append(seconds)

    def line(self, name: str) -> str:
        v = sorted(self.values)
        if not v:
            return f"{name}: no polls"
        p99 = v[min(len(v) - 1, int(len(v) * 0.99))]
        over = sum(1 for x in v if x > 0.1)
        return (f"{name}: {len(v)} polls, longest {v[-1] * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
                f"{over} over 100 ms")  # fmt: skip


# -- pollers ------------------------------------------------------------------------------------


class _Udp(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.waiting: dict[int, asyncio.Future[float]] = {}

    def datagram_received(self, data: bytes, addr: Any) -> None:
        from printbench.snmp import ber

        try:
            msg = ber.decode_message(data)
        except ber.BerError:
            return
        fut = self.waiting.pop(msg.request_id, None)
        if fut is not None and not fut.done():
            fut.set_result(time.perf_counter())


async def snmp_poller(
    others: list[dict[str, Any]], state: dict[str, Waits], stop: asyncio.Event
) -> None:
    from printbench.snmp import ber

    loop = asyncio.get_running_loop()
    transport, proto = await loop.create_datagram_endpoint(_Udp, local_addr=("127.0.0.1", 0))
    rng = random.Random(1)
    rid = 1
    try:
        while not stop.is_set():
            rec = rng.choice(others)
            rid += 1
            fut: asyncio.Future[float] = loop.create_future()
            proto.waiting[rid] = fut
            data = ber.encode_message(1, rec["community"].encode(), ber.GET, rid, 0, 0,
                                      ber.encode_varbind(SYS_UPTIME, (ber.NULL, None)))  # fmt: skip
            t0 = time.perf_counter()
            transport.sendto(data, (rec["address"], int(rec["snmp_port"])))
            try:
                t1 = await asyncio.wait_for(fut, 2.0)
                state["snmp"].add(t1 - t0)
            except TimeoutError:
                proto.waiting.pop(rid, None)
                state["snmp"].add(2.0)
            await asyncio.sleep(0.02)
    finally:
        transport.close()


async def snmpget_poller(
    others: list[dict[str, Any]], state: dict[str, Waits], stop: asyncio.Event
) -> None:
    rng = random.Random(2)
    while not stop.is_set():
        rec = rng.choice(others)
        t0 = time.perf_counter()
        proc = await asyncio.create_subprocess_exec(
            "snmpget", "-v2c", "-c", rec["community"], "-r0", "-t2", "-Oqv",
            f"{rec['address']}:{rec['snmp_port']}", "1.3.6.1.2.1.1.3.0",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        code = await proc.wait()
        state["snmpget"].add(time.perf_counter() - t0 if code == 0 else 2.0)
        await asyncio.sleep(0.25)


def _ipp_get(uri: str, rid: int) -> bytes:
    from printbench.ipp.codec import Group, GroupTag, Message, Tag, encode

    g = Group(GroupTag.OPERATION)
    g.add("attributes-charset", Tag.CHARSET, "utf-8")
    g.add("attributes-natural-language", Tag.NATURAL_LANGUAGE, "en")
    g.add("printer-uri", Tag.URI, uri)
    g.add("requested-attributes", Tag.KEYWORD, "printer-state")
    return encode(Message((2, 0), 0x000B, rid, [g]))


#: The hostile client's own source address (the pollers use 127.0.0.1), as on a real LAN.
ATTACKER = "127.0.0.66"


async def ipp_exchange(host: str, port: int, body: bytes, auth: str = "",
                       source: str | None = None) -> bytes:  # fmt: skip
    local = (source, 0) if source else None
    reader, writer = await asyncio.open_connection(host, port, local_addr=local)
    try:
        extra = f"Authorization: {auth}\r\n" if auth else ""
        writer.write(f"POST /ipp/print HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: "
                     f"application/ipp\r\nContent-Length: {len(body)}\r\n{extra}"
                     "Connection: close\r\n\r\n".encode() + body)  # fmt: skip
        return await asyncio.wait_for(reader.read(-1), 30)
    finally:
        writer.close()


async def ipp_poller(
    others: list[dict[str, Any]], state: dict[str, Waits], stop: asyncio.Event
) -> None:
    rng = random.Random(3)
    rid = 0
    while not stop.is_set():
        rec = rng.choice(others)
        rid += 1
        t0 = time.perf_counter()
        try:
            answer = await asyncio.wait_for(
                ipp_exchange(rec["address"], PORTS.ipp, _ipp_get(rec["ipp_uri"], rid)), 2.0
            )
            state["ipp"].add(
                time.perf_counter() - t0 if answer.startswith(b"HTTP/1.1 200") else 2.0
            )
        except (TimeoutError, OSError):
            state["ipp"].add(2.0)
        await asyncio.sleep(0.1)


# -- hostile phases -------------------------------------------------------------------------------


async def _http_json(url: str, data: dict[str, Any]) -> Any:
    import aiohttp

    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession() as s, s.post(url, json=data, timeout=timeout) as resp:
        return resp.status, await resp.text()


async def hostile_gpv(target: dict[str, Any], control: str, stop: asyncio.Event,
                      notes: list[str]) -> None:  # fmt: skip
    did = target["device_id"]
    n = 0
    while not stop.is_set():
        rpc = _http_json(f"{control}api/devices/{did}/rpc", {
            "method": "GetParameterValues", "args": {"parameter_names": ["Device."]},
            "timeout": 60})  # fmt: skip
        task = asyncio.ensure_future(rpc)
        await asyncio.sleep(0.05)
        await _http_json(
            f"{control}api/devices/{did}/connection-request",
            {"timeout": 10, "username": target["cr_username"], "password": target["cr_password"]},
        )
        status, text = await task
        n += 1
        if n == 1:
            size = len(text)
            notes.append(f"GetParameterValues Device.: HTTP {status}, {size} bytes of JSON")
    notes.append(f"{n} whole-tree GetParameterValues sessions")


async def hostile_cancel(target: dict[str, Any], stop: asyncio.Event, notes: list[str]) -> None:
    from printbench.ipp.codec import Group, GroupTag, Message, Tag, decode, encode

    host, uri = target["address"], target["ipp_uri"]

    def req(code: int, user: str, rid: int) -> bytes:
        g = Group(GroupTag.OPERATION)
        g.add("attributes-charset", Tag.CHARSET, "utf-8")
        g.add("attributes-natural-language", Tag.NATURAL_LANGUAGE, "en")
        g.add("printer-uri", Tag.URI, uri)
        g.add("requesting-user-name", Tag.NAME, user)
        groups = [g]
        if code == 0x0005:
            groups.append(Group(GroupTag.JOB))
            groups[1].add("job-hold-until", Tag.KEYWORD, "indefinite")
        return encode(Message((2, 0), code, rid, groups))

    rounds = created = 0
    rid = 0
    while not stop.is_set():
        users = [f"user{u}" for u in range(5)]
        for user in users:  # up to the per-user bound, 5 users: the printer's held bound
            for _ in range(100):
                rid += 1
                answer = await ipp_exchange(
                    host, PORTS.ipp, req(0x0005, user, rid), source=ATTACKER
                )
                body = answer.partition(b"\r\n\r\n")[2]
                if body and decode(body).code == 0:
                    created += 1
                else:
                    break
        for user in users[:2]:
            rid += 1
            await ipp_exchange(
                host, PORTS.ipp, req(0x0039, user, rid), source=ATTACKER
            )  # Cancel-My-Jobs
        rid += 1
        await ipp_exchange(
            host, PORTS.ipp, req(0x0038, "admin", rid), ADMIN, ATTACKER
        )  # Cancel-Jobs
        rid += 1
        await ipp_exchange(
            host, PORTS.ipp, req(0x0012, "admin", rid), ADMIN, ATTACKER
        )  # Purge-Jobs
        rounds += 1
    notes.append(f"{rounds} rounds: {created} held jobs created, cancelled by Cancel-My-Jobs, "
                 "Cancel-Jobs and Purge-Jobs")  # fmt: skip


async def hostile_walk(target: dict[str, Any], stop: asyncio.Event, notes: list[str]) -> None:
    from printbench.snmp import ber

    addr = f"{target['address']}:{target['snmp_port']}"
    walks = 0

    async def walker() -> None:
        nonlocal walks
        while not stop.is_set():
            proc = await asyncio.create_subprocess_exec(
                "snmpbulkwalk", "-v2c", "-c", target["community"], "-Cr50", "-r0", "-t5",
                addr, ".1", stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
            await proc.wait()
            walks += 1

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    bulk = ber.encode_message(1, target["community"].encode(), ber.GETBULK, 9, 0, 10000,
                              ber.encode_varbind((1, 3, 6, 1), (ber.NULL, None)))  # fmt: skip
    tasks = [asyncio.create_task(walker()) for _ in range(4)]
    bulks = 0
    while not stop.is_set():
        sock.sendto(bulk, (target["address"], int(target["snmp_port"])))
        bulks += 1
        await asyncio.sleep(0.05)
    await asyncio.gather(*tasks)
    sock.close()
    notes.append(f"{walks} whole-MIB snmpbulkwalks (4 at once), {bulks} GETBULK x10000")


async def hostile_slow(target: dict[str, Any], stop: asyncio.Event, notes: list[str]) -> None:
    host = target["address"]
    conns = []
    refused = 0
    for _ in range(200):
        try:
            r, w = await asyncio.open_connection(host, PORTS.ipp, local_addr=(ATTACKER, 0))
        except OSError:
            refused += 1
            continue
        w.write(f"POST /ipp/print HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/ipp\r\n"
                "Content-Length: 100000\r\n\r\n".encode())  # fmt: skip
        conns.append((r, w))
    sent = 0
    while not stop.is_set():
        for _, w in conns:
            if not w.is_closing():
                w.write(b"\x00")
                sent += 1
        await asyncio.sleep(0.1)
    answered = 0
    for r, w in conns:
        try:
            data = await asyncio.wait_for(r.read(100), 0.01)
            answered += data.startswith(b"HTTP/1.1 503")
        except (TimeoutError, OSError):
            pass
        w.close()
    notes.append(f"{len(conns)} slow-body connections ({answered} answered 503 at the "
                 f"connection cap), {sent} bytes trickled")  # fmt: skip


async def run(args: argparse.Namespace) -> None:
    from printbench.emulator.fleet.plan import Layout, parse_mix
    from printbench.emulator.fleet.workers import Supervisor, SupervisorConfig
    from printbench.emulator.profiles import list_profiles

    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    acs = ctx.Process(target=_acs_process, args=(q, "127.0.0.1"), daemon=True)
    acs.start()
    cwmp_url, control_url = await asyncio.get_running_loop().run_in_executor(None, q.get, True, 60)
    control_url = control_url.rstrip("/") + "/"
    state_dir = Path(tempfile.mkdtemp(prefix="loop-stall-"))
    cfg = SupervisorConfig(
        devices=args.devices, workers=args.workers, layout=Layout("127.105.0.1", PORTS),
        mix=parse_mix("all", list_profiles()), acs_url=cwmp_url, listen="wildcard",
        state_dir=state_dir, periodic_interval=3600, api_port=-1,
    )  # fmt: skip
    sup = Supervisor(cfg)
    try:
        await sup.start()
        inv = sup.inventory()
        targets = [r for r in inv if r["profile"] == "color-laser-mfp" and r["cr_url"]]
        target = targets[0] if targets else inv[0]
        others = [r for r in inv if r["worker"] == target["worker"] and r is not target]
        print(f"{args.devices} printers on {len(sup.workers)} workers up in "
              f"{sup.t_ready - sup.t_start:.1f} s; target {target['address']} "
              f"({target['profile']}, worker {target['worker']}); polling {len(others)} other "
              f"printers of its worker", flush=True)  # fmt: skip
        # let every printer's start-up session (BOOTSTRAP) finish: not the hostile client's
        t0 = time.monotonic()
        while sup.totals()["sessions_ok"] < args.devices and time.monotonic() - t0 < 300:
            await asyncio.sleep(1)
        await asyncio.sleep(3)
        phases = {
            "baseline": None,
            "gpv": lambda stop, notes: hostile_gpv(target, control_url, stop, notes),
            "cancel": lambda stop, notes: hostile_cancel(target, stop, notes),
            "walk": lambda stop, notes: hostile_walk(target, stop, notes),
            "slow": lambda stop, notes: hostile_slow(target, stop, notes),
        }
        wanted = args.phases.split(",")
        worst = 0.0
        worst_lag = 0.0
        worker = sup.workers[int(target["worker"])]
        for name in wanted:
            hostile = phases[name]
            state = {"snmp": Waits(), "snmpget": Waits(), "ipp": Waits()}
            stop = asyncio.Event()
            notes: list[str] = []
            pollers = [asyncio.create_task(p(others, state, stop))
                       for p in (snmp_poller, snmpget_poller, ipp_poller)]  # fmt: skip
            lags: list[float] = []
            gcs: list[float] = []

            async def watch_lag(
                stop: asyncio.Event = stop, lags: list[float] = lags, gcs: list[float] = gcs
            ) -> None:
                # the worker's own measure (common/looplag.py), reported every second
                while not stop.is_set():
                    lags.append(float(worker.stats.get("loop_lag_ms", 0.0)))
                    gcs.append(float(worker.stats.get("gc_pause_ms", 0.0)))
                    await asyncio.sleep(0.5)

            pollers.append(asyncio.create_task(watch_lag()))
            attacker = asyncio.create_task(hostile(stop, notes)) if hostile else None
            await asyncio.sleep(args.phase_seconds)
            stop.set()
            if attacker is not None:
                try:
                    await asyncio.wait_for(attacker, 120)
                except Exception as exc:  # the attacker's own failure is a note, not a crash
                    notes.append(f"attacker stopped: {type(exc).__name__}: {exc}")
            await asyncio.gather(*pollers, return_exceptions=True)
            print(f"[{name}] " + "; ".join(notes), flush=True)
            for poller, waits in state.items():
                print("    " + waits.line(poller), flush=True)
            print(f"    longest event-loop stall in the target's worker: {max(lags or [0]):.1f} ms"
                  f" (longest garbage-collector pause {max(gcs or [0]):.1f} ms)",
                  flush=True)  # fmt: skip
            worst_lag = max([worst_lag, *lags])
            if state["snmp"].values:
                worst = max(worst, max(state["snmp"].values))
        print(
            f"longest SNMP wait of another printer of the target's worker: {worst * 1000:.1f} ms "
            f"(goal: 100 ms); load average {Path('/proc/loadavg').read_text().split()[:3]}"
        )
        print(f"longest event-loop stall in the target's worker: {worst_lag:.1f} ms")
        print(json.dumps({"longest_snmp_wait_ms": round(worst * 1000, 1),
                          "longest_loop_stall_ms": worst_lag}))  # fmt: skip
    finally:
        await sup.stop()
        acs.terminate()
        acs.join(10)
        shutil.rmtree(state_dir, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--phase-seconds", type=float, default=15.0)
    ap.add_argument("--phases", default="baseline,gpv,cancel,walk,slow")
    asyncio.run(run(ap.parse_args()))


if __name__ == "__main__":
    main()
