"""XMPP Connection Requests (TR-069 Annex K) through a real Prosody: how long the set-up takes
and how fast a request turns into a session (issue 15 item 5).

Starts a private Prosody, the stub ACS with its XMPP account and ``--printers`` virtual
printers (embedded client, real time) each with its own XMPP account, then sends
``--requests`` XMPP connection requests round-robin and prints: Prosody start time, the time
until every printer is started and its XMPP connection up, and the latency percentiles of
IQ sent → session started (the ACS has the Inform with 6 CONNECTION REQUEST).

    .venv/bin/python benchmarks/xmpp_connreq.py [--printers 10] [--requests 50]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from printbench.acs_stub.control import AcsControl
from printbench.acs_stub.server import AcsConfig
from printbench.acs_stub.xmpp import AcsXmpp
from printbench.acs_stub.xmpp import connection_request as xmpp_cr
from printbench.common.prosody import ProsodyServer
from printbench.emulator.device import Ports, VirtualPrinter


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--printers", type=int, default=10)
    ap.add_argument("--requests", type=int, default=50)
    args = ap.parse_args()
    t0 = time.perf_counter()
    server = ProsodyServer(host="127.0.0.1")
    await server.start()
    t_server = time.perf_counter() - t0
    acs = await AcsControl.start(AcsConfig(host="127.0.0.1", port=0, control_port=0))
    xmpp = AcsXmpp(server.host, server.port, ca_file=server.ca_file)
    pw = secrets.token_hex(8)
    xmpp.add_account("acs", await server.register("acs", pw), pw)
    await xmpp.start()
    acs.xmpp = xmpp  # type: ignore[attr-defined]
    printers = []
    try:
        for i in range(args.printers):
            vp = VirtualPrinter("mono-desktop-laser", host=f"127.72.0.{i + 1}", seed=i,
                                acs_url=acs.server.cwmp_url, ports=Ports.ephemeral())  # fmt: skip
            mg = vp.state.management
            mg.connection_request_username, mg.connection_request_password = "cr", "cr-pw"
            mg.periodic_inform_enable = False
            user, upw = f"bench-{i}", secrets.token_hex(8)
            await server.register(user, upw)
            x = vp.state.xmpp
            x.username, x.password, x.domain = user, upw, server.domain
            x.server_address, x.server_port, x.ca_file = (
                server.host,
                server.port,
                str(server.ca_file),
            )
            x.allowed_jabber_ids = xmpp.jid("acs").split("/")[0]
            x.enable = True
            printers.append(vp)
        t1 = time.perf_counter()
        for vp in printers:
            await vp.start(faces=("tr069",), drive=False)
        ups = await asyncio.gather(*(vp.tr069.xmpp.wait_up(60) for vp in printers))
        t_up = time.perf_counter() - t1
        ids = []
        for vp in printers:
            await vp.tr069.cpe.idle()
            ident = vp.state.identity
            did = f"{ident.oui}-{ident.product_class}-{ident.serial_number}"
            acs.set_connection_request(did, username="cr", password="cr-pw")
            xmpp.jids[did] = vp.tr069.xmpp.jabber_id
            vp.tr069.cpe.config.cr_rate_limit = 10_000  # measure the path, not the limiter
            ids.append((vp, did))
        session_ms: list[float] = []
        for n in range(args.requests):
            vp, did = ids[n % len(ids)]
            await vp.tr069.cpe.idle()
            t = time.perf_counter()
            out = await xmpp_cr(acs, did, timeout=20)
            done = time.perf_counter()
            if out.answer.accepted and out.session is not None:
                session_ms.append((done - t) * 1000)  # IQ sent -> the session's Inform
        print(f"prosody start: {t_server * 1000:.0f} ms")
        print(f"printers with XMPP up: {sum(ups)}/{len(printers)} in {t_up * 1000:.0f} ms")
        print(f"requests: {args.requests}, sessions started: {len(session_ms)}")
        if session_ms:
            print(
                f"XMPP CR -> session: median {statistics.median(session_ms):.1f} ms, "
                f"p95 {_pct(session_ms, 95):.1f} ms, max {max(session_ms):.1f} ms"
            )
        print(f"verdicts: {len(acs.verdicts())}")
    finally:
        for vp in printers:
            await vp.stop()
        await xmpp.stop()
        await acs.stop()
        await server.stop()


if __name__ == "__main__":
    asyncio.run(main())
