"""What the stub ACS keeps for rejected big POSTs (issue 17 item 7).

Posts ``--posts`` bodies of about 1 MB that are not CWMP (each refused with 400) to a stub
ACS with its default journal bounds, then prints the bytes of bodies its journal holds in
memory and the process's RSS growth. Before the journal was bounded by size each such POST
kept about 256 KB (400 POSTs: +100 MB).

    .venv/bin/python benchmarks/acs_rejected_posts.py [--posts 400] [--keep-mb 64]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from printbench.acs_stub.control import AcsControl
from printbench.acs_stub.server import AcsConfig


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts", type=int, default=400)
    ap.add_argument("--keep-mb", type=float, default=64.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        config = AcsConfig(
            host="127.0.0.1",
            port=0,
            control_port=0,
            journal_dir=Path(folder),
            journal_keep_bytes=int(args.keep_mb * 1024 * 1024),
        )
        acs = await AcsControl.start(config)
        body = b"<x>" + b"A" * (1000 * 1024) + b"</y>"
        before = _rss_mb()
        try:
            async with aiohttp.ClientSession() as http:
                for _ in range(args.posts):
                    async with http.post(
                        acs.server.cwmp_url, data=body, headers={"Content-Type": "text/xml"}
                    ) as resp:
                        await resp.read()
            kept = sum(len(e.body) for e in acs.server.journal.entries())
            print(f"{args.posts} rejected ~1 MB POSTs: journal keeps {kept / 1e6:.1f} MB of "
                  f"bodies in memory (cap {args.keep_mb:.0f} MiB); RSS {before:.0f} -> "
                  f"{_rss_mb():.0f} MB")  # fmt: skip
        finally:
            await acs.stop()


if __name__ == "__main__":
    asyncio.run(main())
