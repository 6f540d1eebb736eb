"""Slowloris on one printer: how long incomplete request heads keep a connection open.

Opens ``--connections`` TCP connections to each TCP face of one virtual printer (IPP, EWS,
control API, TR-069 connection requests), sends half a request head on each and never
finishes it, then waits for the printer to answer 408 and close. Before issue 17 the IPP face
closed them after 75 s (not the 30 s documented) and the aiohttp faces never did.

    .venv/bin/python benchmarks/slow_heads.py [--connections 300] [--head-timeout 30]

Prints, per face: connections answered 408 and closed, still open at the end, and the
seconds from the half head to the close (median and max).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from printbench.common.httpguard import HttpTimeouts
from printbench.emulator.device import Ports, VirtualPrinter

HALF_HEAD = b"POST / HTTP/1.1\r\nHost: printer\r\nContent-Type: text/plain\r\n"


async def _one(host: str, port: int, limit: float) -> tuple[bool, float]:
    """(got 408 and a close, seconds until the close) for one slow connection."""
    start = time.monotonic()
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(HALF_HEAD)
    await writer.drain()
    try:
        async with asyncio.timeout(limit):
            data = await reader.read()
    except TimeoutError:
        return False, time.monotonic() - start
    finally:
        writer.close()
    return data.startswith(b"HTTP/1.1 408"), time.monotonic() - start


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--connections", type=int, default=300)
    ap.add_argument("--head-timeout", type=float, default=30.0)
    ap.add_argument("--host", default="127.72.0.1")
    args = ap.parse_args()
    vp = VirtualPrinter(
        "color-laser-mfp",
        host=args.host,
        ports=Ports.ephemeral(),
        acs_url="http://127.0.0.1:9/",
        http_timeouts=HttpTimeouts(head=args.head_timeout),
    )
    await vp.start(faces=("ipp", "ews", "control", "tr069"), drive=False)
    faces = {
        "ipp": vp.endpoints["ipp"],
        "ews": vp.endpoints["ews"],
        "control": vp.endpoints["control"],
        "connection-request": vp.endpoints["tr069"],
    }
    limit = args.head_timeout * 3 + 10
    try:
        for face, url in faces.items():
            u = urlsplit(url)
            results = await asyncio.gather(
                *(_one(u.hostname, u.port, limit) for _ in range(args.connections))
            )
            closed = [t for ok, t in results if ok]
            print(
                f"{face:20s} {len(closed):4d} answered 408 and closed, "
                f"{len(results) - len(closed):4d} still open after {limit:.0f} s; "
                f"close after median {statistics.median(closed or [0]):.1f} s, "
                f"max {max(closed or [0]):.1f} s",
                flush=True,
            )
    finally:
        await vp.stop()


if __name__ == "__main__":
    asyncio.run(main())
