"""DownloadDiagnostics throughput beside curl's, for the same file from the same server.

Writes a file of ``--size-mb`` MB (default 50), serves it with lighttpd (Debian's, started
here on 127.0.0.1, no authentication: TR-181 says "HTTP Authentication MUST NOT be used"),
starts the stub ACS and one virtual printer (embedded TR-069 client, real time), then
alternates, ``--rounds`` times:

* ``curl -o /dev/null -w '%{size_download} %{speed_download}'`` (curl's own average speed:
  bytes over its whole transfer time);
* a DownloadDiagnostics the stub ACS requests through SetParameterValues, awaited through
  ``8 DIAGNOSTICS COMPLETE``; its throughput is TR-143's, TestBytesReceived over
  EOMTime − BOMTime, read from the data model the CPE reported.

It prints one line per run, the medians, and their ratio; ``--json`` prints one JSON object
instead. On loopback both clients are limited by the same server and the same kernel copy,
so a correct measurement agrees with curl's within a few per cent; a wrong one (a clock in
the wrong place, bytes miscounted, a slow read loop) does not.

    .venv/bin/python benchmarks/diagnostics_vs_curl.py [--size-mb 50] [--rounds 5]
        [--server-kbytes-per-second KIB] [--json]

Unpaced, loopback runs at the speed of the CPU, so on a shared machine each round's figure
swings with the neighbours' load (3 to 14 Gbit/s seen on the 2-core bench machine) and the
two medians can be 50 % apart though both measure correctly; paced by the server
(``--server-kbytes-per-second 10240``: 10 MiB/s, 5 s a transfer; coarser
  paces such as 32768 come in one-second bursts and are less steady), the link is the bottleneck, as on a real network,
and the figures are stable.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from printbench.acs_stub.control import AcsControl
from printbench.acs_stub.server import AcsConfig
from printbench.cwmp.types import parse_datetime
from printbench.emulator.device import Ports, VirtualPrinter

LIGHTTPD = shutil.which("lighttpd") or "/usr/sbin/lighttpd"
CURL = shutil.which("curl") or "/usr/bin/curl"
HOST = "127.72.0.1"  # the printer's own loopback address


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_lighttpd(root: Path, work: Path, kbps: int = 0) -> tuple[subprocess.Popen[bytes], int]:
    """lighttpd serving ``root`` on 127.0.0.1 (a free port; retried if another took it),
    each connection paced to ``kbps`` KiB/s when given (lighttpd's own traffic shaping)."""
    for _ in range(5):
        port = _free_port()
        conf = work / "lighttpd.conf"
        conf.write_text(
            f'server.document-root = "{root}"\n'
            f'server.bind = "127.0.0.1"\nserver.port = {port}\n'
            f'server.errorlog = "{work}/lighttpd-error.log"\n'
            'mimetype.assign = ("" => "application/octet-stream")\n'
            + (f"connection.kbytes-per-second = {kbps}\n" if kbps else "")
        )
        proc = subprocess.Popen([LIGHTTPD, "-D", "-f", str(conf)])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                return proc, port
            except OSError:
                time.sleep(0.05)
        proc.kill()
        proc.wait()
    raise SystemExit("lighttpd did not start: " + (work / "lighttpd-error.log").read_text())


def curl_bps(url: str) -> tuple[float, int]:
    """curl's average download speed (bits/s) and the bytes it received."""
    out = subprocess.run(
        [CURL, "-s", "-o", "/dev/null", "-w", "%{size_download} %{speed_download}", url],
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout.split()  # fmt: skip
    return float(out[1]) * 8, int(float(out[0]))


async def diag_bps(acs: AcsControl, device: str, url: str) -> tuple[float, int]:
    """A DownloadDiagnostics through the CPE: TR-143 throughput (bits/s) and test bytes."""
    run = await acs.run_diagnostic(device, "DownloadDiagnostics", {"DownloadURL": url},
                                   timeout=120)  # fmt: skip
    if run.state != "Complete" or run.findings:
        raise SystemExit(f"DownloadDiagnostics: {run.state} {run.findings}")
    received = int(run.value("TestBytesReceived"))
    span = parse_datetime(run.value("EOMTime")) - parse_datetime(run.value("BOMTime"))
    return received * 8 / span.total_seconds(), received


async def measure(size_mb: int, rounds: int, kbps: int = 0) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="pb-diag-bench-") as tmp:
        work = Path(tmp)
        root = work / "www"
        root.mkdir()
        size = size_mb * 1_000_000
        with (root / "diag.bin").open("wb") as f:
            block = bytes(range(256)) * 4096
            left = size
            while left:
                left -= f.write(block[: min(left, len(block))])
        proc, port = start_lighttpd(root, work, kbps)
        url = f"http://127.0.0.1:{port}/diag.bin"
        acs = await AcsControl.start(AcsConfig(host="127.0.0.1", port=0, control_port=0))
        vp = VirtualPrinter("mono-desktop-laser", host=HOST, acs_url=acs.server.cwmp_url,
                            ports=Ports.ephemeral())  # fmt: skip
        mg = vp.state.management
        mg.connection_request_username, mg.connection_request_password = "cr", "cr-secret"
        try:
            await vp.start(faces=("tr069",), drive=False)
            i = vp.state.identity
            device = f"{i.oui}-{i.product_class}-{i.serial_number}"
            acs.set_connection_request(device, username="cr", password="cr-secret")
            await acs.wait_inform(device, timeout=30)  # the boot session
            runs: list[dict[str, Any]] = []
            for n in range(rounds):
                # alternate who goes first, so neither always meets a warm (or busy) server
                if n % 2:
                    d, d_bytes = await diag_bps(acs, device, url)
                    c, c_bytes = await asyncio.to_thread(curl_bps, url)
                else:
                    c, c_bytes = await asyncio.to_thread(curl_bps, url)
                    d, d_bytes = await diag_bps(acs, device, url)
                runs.append({"round": n + 1, "curl_bps": c, "curl_bytes": c_bytes,
                             "diag_bps": d, "diag_test_bytes": d_bytes})  # fmt: skip
        finally:
            await vp.stop()
            await acs.stop()
            proc.terminate()
            proc.wait(timeout=10)
    curl_med = statistics.median(r["curl_bps"] for r in runs)
    diag_med = statistics.median(r["diag_bps"] for r in runs)
    return {"size_bytes": size, "server_kbytes_per_second": kbps, "rounds": runs, "curl_median_bps": curl_med,
            "diag_median_bps": diag_med, "ratio": diag_med / curl_med}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mb", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument(
        "--server-kbytes-per-second",
        type=int,
        default=0,
        metavar="KIB",
        help="pace lighttpd's connections (0: as fast as loopback goes)",
    )
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    res = asyncio.run(measure(args.size_mb, args.rounds, args.server_kbytes_per_second))
    if args.json:
        print(json.dumps(res))
        return 0
    pace = args.server_kbytes_per_second
    print(
        f"file {res['size_bytes']:,} bytes from lighttpd on loopback, {args.rounds} rounds, "
        + (f"server paced to {pace} KiB/s" if pace else "server not paced")
    )
    for r in res["rounds"]:
        print(f"  round {r['round']}: curl {r['curl_bps'] / 1e6:9,.1f} Mbit/s   "
              f"DownloadDiagnostics {r['diag_bps'] / 1e6:9,.1f} Mbit/s "
              f"(TestBytesReceived {r['diag_test_bytes']:,})")  # fmt: skip
    print(f"median: curl {res['curl_median_bps'] / 1e6:,.1f} Mbit/s, DownloadDiagnostics "
          f"{res['diag_median_bps'] / 1e6:,.1f} Mbit/s, ratio {res['ratio']:.3f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
