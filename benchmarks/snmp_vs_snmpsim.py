"""Requests per second: printbench's SNMP agent vs snmpsim, same device data, same requests.

    .venv/bin/python benchmarks/snmp_vs_snmpsim.py [--seconds 3] [--rounds 2] [--window 32]

One color-laser-mfp printer (fake clock, so both servers hold identical values) is served by
our agent (v1/v2c fast path) in one process and by ``snmpsim-command-responder`` from a
``.snmprec`` recording generated from the same pure MIB view in another. Before measuring,
a GETNEXT walk of both is compared binding by binding. A load generator in a third process
keeps ``--window`` requests in flight over one UDP socket, with pre-encoded requests
(4,096 request-ids, as in reference/snmp.md §1.6), and checks every 64th response
(errorStatus 0, right request-id). Mixes: GET of one random instance, GET of 10, GETNEXT of
one, GETBULK max-repetitions 25, and the whole walk as GETNEXTs in order. Runs are
interleaved (ours, snmpsim, ours, ...) and averaged.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from printbench.snmp import ber

HOST_OURS = "127.20.250.1"
HOST_SIM = "127.20.250.2"
PORT = 16161
SNMPREC_TAGS = {
    ber.INTEGER: 2,
    ber.OCTET_STRING: 4,
    ber.OBJECT_IDENTIFIER: 6,
    ber.COUNTER32: 65,
    ber.GAUGE32: 66,
    ber.TIMETICKS: 67,
}


def make_device():
    from printbench.common.clock import FakeClock
    from printbench.emulator.behaviour import PrinterEngine
    from printbench.emulator.profiles import build_printer

    class Device:
        pass

    d = Device()
    d.clock = FakeClock()
    d.state = build_printer("color-laser-mfp", seed=7, clock=d.clock)
    d.engine = PrinterEngine(d.state, d.clock, seed=7)
    return d


def view_entries() -> list[tuple[tuple[int, ...], ber.Value]]:
    from printbench.emulator.snmp.mib import MibDevice

    d = make_device()
    return MibDevice(d.state, d.clock, d.engine).walk()


def write_snmprec(path: Path, entries: list[tuple[tuple[int, ...], ber.Value]]) -> None:
    lines = []
    for oid, (tag, value) in entries:
        t = SNMPREC_TAGS[tag]
        if tag == ber.OCTET_STRING:
            text = f"{t}x|{value.hex()}"  # type: ignore[union-attr]
        elif tag == ber.OBJECT_IDENTIFIER:
            text = f"{t}|{ber.format_oid(value)}"  # type: ignore[arg-type]
        else:
            text = f"{t}|{value}"
        lines.append(f"{ber.format_oid(oid)}|{text}")
    path.write_text("\n".join(lines) + "\n")


def serve_ours(ready: mp.Event, stop: mp.Event) -> None:  # type: ignore[valid-type]
    from printbench.emulator.snmp.agent import SnmpAgent

    async def main() -> None:
        agent = SnmpAgent()
        await agent.add_device(make_device(), HOST_OURS, PORT)
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.2)
        await agent.close()

    asyncio.run(main())


# -- load generator -----------------------------------------------------------------------


def _req(pdu: int, rid: int, oids: list[tuple[int, ...]], a: int = 0, b: int = 0) -> bytes:
    body = b"".join(ber.encode_varbind(o, (ber.NULL, None)) for o in oids)
    return ber.encode_message(1, b"public", pdu, rid, a, b, body)


def build_mix(name: str, oids: list[tuple[int, ...]]) -> list[bytes]:
    rng = random.Random(1)
    out = []
    for rid in range(1, 4097):
        if name == "GET 1 vb":
            out.append(_req(ber.GET, rid, [rng.choice(oids)]))
        elif name == "GET 10 vb":
            out.append(_req(ber.GET, rid, rng.sample(oids, 10)))
        elif name == "GETNEXT 1 vb":
            out.append(_req(ber.GETNEXT, rid, [rng.choice(oids)]))
        elif name == "GETBULK r=25":
            out.append(_req(ber.GETBULK, rid, [rng.choice(oids[: len(oids) - 30])], 0, 25))
        elif name == "walk (GETNEXT)":
            k = (rid - 1) % (len(oids) + 1)
            out.append(_req(ber.GETNEXT, rid, [(1, 3, 6, 1) if k == 0 else oids[k - 1]]))
    return out


def load(
    target: tuple[str, int], requests: list[bytes], seconds: float, window: int, q: mp.Queue
) -> None:  # type: ignore[type-arg]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(0.5)
    n = len(requests)
    i = 0
    for _ in range(window):
        sock.sendto(requests[i % n], target)
        i += 1
    done = bad = lost = 0
    t0 = time.perf_counter()
    deadline = t0 + seconds
    while True:
        now = time.perf_counter()
        if now >= deadline:
            break
        try:
            data = sock.recv(65535)
        except TimeoutError:
            lost += window
            for _ in range(window):
                sock.sendto(requests[i % n], target)
                i += 1
            continue
        done += 1
        if done % 64 == 0:
            msg = ber.decode_message(data)
            if (
                msg.pdu_type != ber.RESPONSE
                or msg.error_status != 0
                or not 1 <= msg.request_id <= n
            ):
                bad += 1
        sock.sendto(requests[i % n], target)
        i += 1
    elapsed = time.perf_counter() - t0
    sock.close()
    q.put((done / elapsed, bad, lost))


def measure(
    target: tuple[str, int], requests: list[bytes], seconds: float, window: int
) -> tuple[float, int, int]:
    q: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    p = mp.Process(target=load, args=(target, requests, seconds, window, q))
    p.start()
    result = q.get(timeout=seconds + 30)
    p.join()
    return result


def walk(target: tuple[str, int]) -> list[tuple[tuple[int, ...], ber.Value]]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(2)
    out, oid, rid = [], (1, 3, 6, 1), 1
    while True:
        sock.sendto(_req(ber.GETNEXT, rid, [oid]), target)
        msg = ber.decode_message(sock.recv(65535))
        ((oid, value),) = msg.varbinds
        if msg.error_status or value[0] == ber.END_OF_MIB_VIEW:
            return out
        out.append((oid, value))
        rid += 1


def wait_udp(target: tuple[str, int], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(0.3)
    while time.monotonic() < deadline:
        sock.sendto(_req(ber.GET, 1, [(1, 3, 6, 1, 2, 1, 1, 5, 0)]), target)
        try:
            sock.recv(65535)
            return
        except (TimeoutError, ConnectionRefusedError):
            continue
    raise SystemExit(f"no SNMP answer from {target} within {timeout}s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--window", type=int, default=32)
    args = ap.parse_args()

    entries = view_entries()
    oids = [o for o, _ in entries]
    tmp = Path(tempfile.mkdtemp(prefix="snmpsim-bench-"))
    data_dir = tmp / "data"
    data_dir.mkdir()
    write_snmprec(data_dir / "public.snmprec", entries)
    (tmp / "cache").mkdir()
    for p in (tmp, data_dir, tmp / "cache"):
        p.chmod(0o777)  # snmpsim drops to nobody when started as root

    stop, ready = mp.Event(), mp.Event()
    ours = mp.Process(target=serve_ours, args=(ready, stop))
    ours.start()
    # snmpsim drops root privileges to nobody before it opens its dbm index; a Python installed
    # under /root cannot import dbm.* then (reference/snmp.md §2.2 #2): import it first.
    launcher = (
        "import sys, dbm, dbm.dumb, encodings.latin_1, encodings.ascii, encodings.utf_8, encodings.idna; from snmpsim.commands.responder import main; "
        "sys.argv[0] = 'snmpsim-command-responder'; sys.exit(main())"
    )
    sim = subprocess.Popen(
        [
            sys.executable,
            "-c",
            launcher,
            f"--data-dir={data_dir}",
            f"--cache-dir={tmp / 'cache'}",
            f"--agent-udpv4-endpoint={HOST_SIM}:{PORT}",
            "--log-level=error",
            *(["--process-user=nobody", "--process-group=nogroup"] if os.getuid() == 0 else []),
        ],
        env=os.environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        if not ready.wait(30):
            raise SystemExit("our agent did not start")
        wait_udp((HOST_OURS, PORT))
        wait_udp((HOST_SIM, PORT), 60)
        w_ours, w_sim = walk((HOST_OURS, PORT)), walk((HOST_SIM, PORT))
        same = w_ours == w_sim
        print(f"device: {len(entries)} instances; GETNEXT walk identical on both servers: {same}")
        if not same:
            diff = next((a, b) for a, b in zip(w_ours, w_sim, strict=False) if a != b)
            print(f"  first difference: ours {diff[0]} vs snmpsim {diff[1]}")
        mixes = ["GET 1 vb", "GET 10 vb", "GETNEXT 1 vb", "GETBULK r=25", "walk (GETNEXT)"]
        print(
            f"window {args.window}, {args.seconds:g} s per run, {args.rounds} interleaved rounds; responses/s"
        )
        print(f"{'mix':<16}{'ours':>10}{'snmpsim':>10}{'ratio':>8}")
        for mix in mixes:
            reqs = build_mix(mix, oids)
            rates: dict[str, list[float]] = {"ours": [], "sim": []}
            problems = 0
            for _ in range(args.rounds):
                for name, host in (("ours", HOST_OURS), ("sim", HOST_SIM)):
                    rate, bad, _lost = measure((host, PORT), reqs, args.seconds, args.window)
                    rates[name].append(rate)
                    problems += bad
            o = sum(rates["ours"]) / len(rates["ours"])
            s = sum(rates["sim"]) / len(rates["sim"])
            note = f"  ({problems} bad samples)" if problems else ""
            print(f"{mix:<16}{o:>10,.0f}{s:>10,.0f}{o / s:>7.1f}x{note}", flush=True)
    finally:
        stop.set()
        ours.join(10)
        sim.terminate()
        try:
            sim.wait(10)
        except subprocess.TimeoutExpired:
            sim.kill()
        err = sim.stderr.read().decode(errors="replace") if sim.stderr else ""
        if sim.returncode not in (0, -15) and err:
            print("snmpsim stderr:", err[-2000:])
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
