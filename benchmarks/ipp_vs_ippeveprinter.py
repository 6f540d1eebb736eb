"""Get-Printer-Attributes, small and full: our IPP server vs CUPS ippeveprinter, side by side.

    .venv/bin/python benchmarks/ipp_vs_ippeveprinter.py [--seconds 5] [--clients 1,8,32]
        [--request small|all|both]

Everything is started and stopped here: our server (one virtual color-laser-mfp printer in its
own process, behaviour engine running), and ippeveprinter on loopback with a private D-Bus
system bus (it will not start without one; see docs/ipp.md). The load comes from a separate
process with raw asyncio keep-alive connections, each sending one request at a time and
checking the HTTP status and the IPP status-code bytes. With two cores, the server is pinned to
core 0 and the client to core 1 so they do not share a core.

Two requests: ``small`` asks for printer-state and printer-state-reasons (the monitoring poll
a fleet manager sends every few seconds), ``all`` for requested-attributes all (what a desktop
print system or an inventory tool asks for when it sets a printer up: every description and
status attribute, kilobytes per answer). ``both`` (the default) measures one after the other.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing as mp
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from printbench.ipp.codec import Group, Message, Tag, encode

OUR_HOST = "127.30.1.1"
DBUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={rundir}/dbus-system.sock</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/> <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/> <allow receive_sender="*"/>
  </policy>
</busconfig>
"""


#: requested-attributes of each request kind (RFC 8011 §4.2.5.1: "all" is every attribute).
REQUESTS = {"small": ("printer-state", "printer-state-reasons"), "all": ("all",)}


def gpa_request(uri: str, kind: str = "small") -> bytes:
    group = Group(0x01)
    group.add("attributes-charset", Tag.CHARSET, "utf-8")
    group.add("attributes-natural-language", Tag.NATURAL_LANGUAGE, "en")
    group.add("printer-uri", Tag.URI, uri)
    group.add("requesting-user-name", Tag.NAME, "bench")
    group.add("requested-attributes", Tag.KEYWORD, *REQUESTS[kind])
    return encode(Message((2, 0), 0x000B, 1, [group]))


def pin(cpu: int, pid: int = 0) -> None:
    with contextlib.suppress(AttributeError, OSError):
        if os.cpu_count() and os.cpu_count() > 1:  # type: ignore[operator]
            os.sched_setaffinity(pid, {cpu})


# -- our server, in its own process ----------------------------------------------------------


def _serve_ours(host: str, ready: mp.Queue, adapter: str = "asyncio") -> None:
    pin(0)
    from aiohttp import web

    from printbench.common.clock import SystemClock
    from printbench.emulator.behaviour import PrinterEngine
    from printbench.emulator.ipp.server import create_ipp_app, start_ipp_listener
    from printbench.emulator.profiles import build_printer

    class Device:
        def __init__(self) -> None:
            self.clock = SystemClock()
            self.state = build_printer("color-laser-mfp", seed=1, clock=self.clock, host=host)
            self.engine = PrinterEngine(self.state, self.clock)

    device = Device()

    async def main() -> None:
        if adapter == "aiohttp":
            runner = web.AppRunner(create_ipp_app({host: device}.get), access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, host, 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        else:
            server = await start_ipp_listener({host: device}.get, host, 0)
            port = server.sockets[0].getsockname()[1]
        engine = asyncio.create_task(device.engine.run(0.25))
        ready.put(port)
        try:
            await asyncio.Event().wait()
        finally:
            engine.cancel()

    asyncio.run(main())


# -- ippeveprinter with a private D-Bus --------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(host: str, port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {host}:{port} after {timeout} s")


class Ippeveprinter:
    """ippeveprinter -r off on localhost:PORT, with the private system bus it needs."""

    def __init__(self) -> None:
        self.rundir = Path(tempfile.mkdtemp(prefix="ippeve-"))
        self.port = _free_port()
        self.procs: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> Ippeveprinter:
        for tool in ("dbus-daemon", "ippeveprinter"):
            if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
                raise RuntimeError(f"{tool} is not installed (./dev setup installs cups-ipp-utils)")
        conf = self.rundir / "dbus-private.conf"
        conf.write_text(DBUS_CONF.format(rundir=self.rundir))
        dbus = subprocess.Popen(
            ["dbus-daemon", f"--config-file={conf}", "--nofork"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.procs.append(dbus)
        sock = self.rundir / "dbus-system.sock"
        deadline = time.monotonic() + 10
        while not sock.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=f"unix:path={sock}")
        (self.rundir / "spool").mkdir()
        exe = shutil.which("ippeveprinter") or "/usr/sbin/ippeveprinter"
        cmd = [
            exe,
            "-r",
            "off",
            "-p",
            str(self.port),
            "-n",
            "localhost",
            "-d",
            str(self.rundir / "spool"),
        ]
        cmd += ["-l", "Lab 1", "-s", "30,20", "-2", "BenchPrinter"]
        printer = subprocess.Popen(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.procs.append(printer)
        _wait_port("127.0.0.1", self.port)
        pin(0, printer.pid)
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in reversed(self.procs):
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(self.rundir, ignore_errors=True)


# -- the load client, in its own process ---------------------------------------------------------


async def _one_connection(
    host: str, port: int, request: bytes, stop: float, counts: list[int]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.monotonic() < stop:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status_line, *lines = head.decode("latin-1").split("\r\n")
            headers = {
                k.strip().lower(): v.strip()
                for k, _, v in (ln.partition(":") for ln in lines if ln)
            }
            if "content-length" in headers:
                body = await reader.readexactly(int(headers["content-length"]))
            else:  # chunked
                body = b""
                while True:
                    size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                    chunk = await reader.readexactly(size + 2)
                    if size == 0:
                        break
                    body += chunk[:-2]
            ok = status_line.split(" ")[1] == "200" and body[2:4] == b"\x00\x00"
            counts[0 if ok else 1] += 1
    except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
        counts[1] += 1
    finally:
        writer.close()


def _client(
    host: str, port: int, path_host: str, clients: int, seconds: float, out: mp.Queue, kind: str
) -> None:
    pin(1)
    uri = f"ipp://{path_host}:{port}/ipp/print"
    body = gpa_request(uri, kind)
    request = (
        f"POST /ipp/print HTTP/1.1\r\nHost: {path_host}:{port}\r\nContent-Type: application/ipp\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body

    async def main() -> tuple[int, int, float]:
        counts = [0, 0]
        start = time.monotonic()
        stop = start + seconds
        await asyncio.gather(
            *(_one_connection(host, port, request, stop, counts) for _ in range(clients))
        )
        return counts[0], counts[1], time.monotonic() - start

    out.put(asyncio.run(main()))


def measure(
    host: str, port: int, path_host: str, clients: int, seconds: float, kind: str = "small"
) -> tuple[float, int]:
    out: mp.Queue = mp.Queue()
    proc = mp.Process(target=_client, args=(host, port, path_host, clients, seconds, out, kind))
    proc.start()
    ok, errors, elapsed = out.get(timeout=seconds + 60)
    proc.join()
    return ok / elapsed, errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement (default 5)")
    parser.add_argument("--clients", default="1,8,32", help="concurrent keep-alive connections")
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternating rounds per cell (median is shown)"
    )
    parser.add_argument(
        "--adapter",
        choices=("asyncio", "aiohttp"),
        default="asyncio",
        help="our server: start_ipp_listener (default) or the create_ipp_app aiohttp app",
    )
    parser.add_argument(
        "--request", choices=("small", "all", "both"), default="both",
        help="small: the monitoring poll; all: requested-attributes all; both (default)",
    )  # fmt: skip
    args = parser.parse_args()
    levels = [int(c) for c in args.clients.split(",")]
    kinds = ["small", "all"] if args.request == "both" else [args.request]
    mp.set_start_method("spawn", force=True)
    ready: mp.Queue = mp.Queue()
    server = mp.Process(target=_serve_ours, args=(OUR_HOST, ready, args.adapter), daemon=True)
    server.start()
    results: dict[tuple[str, int], dict[str, tuple[float, int]]] = {}
    try:
        our_port = ready.get(timeout=60)
        _wait_port(OUR_HOST, our_port)
        with Ippeveprinter() as peer:
            for kind, n in ((k, n) for k in kinds for n in levels):
                measure(OUR_HOST, our_port, OUR_HOST, n, 0.5, kind)  # warm-up
                # alternate the two servers and report each one's median round: the machine
                # is shared, and interleaving gives both the same background load
                ours: list[tuple[float, int]] = []
                theirs: list[tuple[float, int]] = []
                for _ in range(args.rounds):
                    ours.append(measure(OUR_HOST, our_port, OUR_HOST, n, args.seconds, kind))
                    theirs.append(
                        measure("127.0.0.1", peer.port, "localhost", n, args.seconds, kind)
                    )
                results[(kind, n)] = {
                    "printbench": (statistics.median(r for r, _ in ours), sum(e for _, e in ours)),
                    "ippeveprinter": (
                        statistics.median(r for r, _ in theirs),
                        sum(e for _, e in theirs),
                    ),
                }
    finally:
        server.terminate()
        server.join(5)
    print(
        f"Get-Printer-Attributes, median of {args.rounds} x {args.seconds:g} s, our adapter: "
        f"{args.adapter}; keep-alive connections from a separate client process (server core "
        "0, client core 1)"
    )
    for kind in kinds:
        print(f"\nrequested-attributes: {', '.join(REQUESTS[kind])}")
        print(
            f"{'clients':>7}  {'printbench req/s':>16}  {'errors':>6}  "
            f"{'ippeveprinter req/s':>19}  {'errors':>6}  {'ratio':>5}"
        )
        for n in levels:
            r = results[(kind, n)]
            ours, theirs = r["printbench"], r["ippeveprinter"]
            ratio = ours[0] / theirs[0] if theirs[0] else float("inf")
            print(
                f"{n:>7}  {ours[0]:>16.0f}  {ours[1]:>6}  {theirs[0]:>19.0f}  {theirs[1]:>6}"
                f"  {ratio:>5.2f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
