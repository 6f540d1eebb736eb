"""``printbench fleet``: many printers, all faces live (``printbench load`` is in printbench.loadtest).

``fleet`` prints its endpoint lines, then ``ready`` (DESIGN §8), shows a live status while it
runs and stops cleanly on Ctrl-C or SIGTERM: every worker stops its TR-069 clients and writes
their persisted state (event queues, TransferComplete records, attributes) before exiting.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path
from typing import Any

from printbench.emulator.device import Ports


def _ports(text: str | None) -> Ports:
    if not text:
        return Ports()
    values: dict[str, int] = {}
    for part in text.split(","):
        name, _, port = part.partition("=")
        name = name.strip()
        if name not in ("snmp", "ipp", "ews", "control", "cwmp"):
            raise SystemExit(f"--ports: unknown face {name!r} (snmp, ipp, ews, control, cwmp)")
        if not port.strip().isdigit() or not 0 < int(port) < 65536:
            raise SystemExit(f"--ports: {name}={port!r} is not a port number")
        values[name] = int(port)
    return Ports(**{**Ports().__dict__, **values})


def add_fleet_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--devices", type=int, required=True, help="number of printers")
    p.add_argument(
        "--profiles",
        default="all",
        help="profile mix: 'all' or 'name[:weight],...' (default all, equal weights)",
    )
    p.add_argument(
        "--workers", type=int, default=0, help="worker processes (default: one per core)"
    )
    p.add_argument(
        "--base-address",
        default="127.1.0.1",
        help="first printer address (default 127.1.0.1); others follow upward",
    )
    p.add_argument(
        "--ports",
        default=None,
        help="port layout, e.g. snmp=1161,ipp=8631,ews=8080,control=8081,cwmp=7547",
    )
    p.add_argument(
        "--port-blocks",
        type=int,
        default=None,
        metavar="BASE",
        help="all printers on --base-address, each with 5 ports from BASE upward",
    )
    p.add_argument(
        "--listen",
        choices=("auto", "wildcard", "per-address"),
        default="auto",
        help="TCP listeners: one per port for all addresses (wildcard) or one per "
        "printer address (default auto: per-address while it fits)",
    )
    p.add_argument(
        "--snmp-sockets",
        choices=("auto", "wildcard", "per-address"),
        default="auto",
        help="SNMP: one UDP socket per worker for all addresses (wildcard, IP_PKTINFO: each "
        "answer leaves from the address asked) or one per printer address (default auto: "
        "as --listen; port blocks are always per-address)",
    )
    p.add_argument("--bind-host", default="0.0.0.0", help="wildcard listening address")
    p.add_argument(
        "--periodic-interval",
        type=int,
        default=None,
        help="PeriodicInformInterval in seconds for every printer",
    )
    p.add_argument("--no-jitter", action="store_true", help="do not spread periodic informs")
    p.add_argument(
        "--stun-server",
        default=None,
        metavar="HOST:PORT",
        help="every printer keeps a STUN binding with this server and listens for UDP "
        "connection requests (TR-069 Annex G); a NAT's inside address puts the fleet behind it",
    )
    p.add_argument("--stun-keepalive", type=int, default=30,
                   help="STUNMaximumKeepAlivePeriod in seconds (with --stun-server)")  # fmt: skip
    p.add_argument(
        "--ramp",
        type=float,
        default=0.0,
        help="printers started per second (default 0: as fast as possible)",
    )
    p.add_argument("--seed", type=int, default=0, help="fleet seed (identities, credentials)")
    p.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help="where TR-069 client state persists (default reports/fleet-state)",
    )
    p.add_argument(
        "--inventory",
        type=Path,
        default=None,
        help="write the inventory here (.json and .csv, plus -printers.csv)",
    )
    p.add_argument(
        "--api-port",
        type=int,
        default=8090,
        help="fleet control API on 127.0.0.1 (default 8090; 0: any free port)",
    )
    p.add_argument("--no-tr069", action="store_true", help="no embedded TR-069 clients")
    p.add_argument(
        "--pki",
        type=Path,
        default=None,
        metavar="DIR",
        help="test PKI folder (printbench pki; made if empty): every printer's TR-069 client "
        "trusts its CA and presents its own client certificate",
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("fleet", help="run many virtual printers (all faces) until Ctrl-C")
    add_fleet_options(p)
    p.add_argument("--acs-url", default=None, help="ACS URL for every printer's TR-069 client")
    p.add_argument(
        "--activity",
        type=float,
        default=0.0,
        metavar="SPEED",
        help="simulate printing activity at SPEED times real time (0: off)",
    )
    p.set_defaults(func=_fleet)


def supervisor_config(args: argparse.Namespace, acs_url: str | None) -> Any:
    from printbench.common.settings import reports_dir
    from printbench.emulator.fleet.plan import Layout, PlanError, parse_mix
    from printbench.emulator.fleet.workers import SupervisorConfig
    from printbench.emulator.profiles import list_profiles

    try:
        layout = Layout(args.base_address, _ports(args.ports), args.port_blocks)
        mix = parse_mix(args.profiles, list_profiles())
        layout.check(args.devices)
    except PlanError as exc:
        raise SystemExit(f"printbench {args.command}: {exc}") from None
    faces = ("snmp", "ipp", "ews", "control") + (() if args.no_tr069 else ("cwmp",))
    return SupervisorConfig(
        devices=args.devices, workers=args.workers, layout=layout, mix=mix, faces=faces,
        acs_url=acs_url, listen=args.listen, snmp_sockets=args.snmp_sockets,
        bind_host=args.bind_host, seed=args.seed,
        state_dir=args.state_dir or reports_dir() / "fleet-state",
        periodic_interval=args.periodic_interval, jitter=not args.no_jitter, ramp=args.ramp,
        api_port=args.api_port, log_level=logging.getLogger().level or logging.WARNING,
        stun_server=getattr(args, "stun_server", None),
        stun_keepalive=getattr(args, "stun_keepalive", 30),
        pki_dir=args.pki,
    )  # fmt: skip


async def start_fleet(sup: Any, console: Any) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress("starting printers", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as progress:  # fmt: skip
        task = progress.add_task("start", total=sup.config.devices)
        sup.on_progress = lambda: progress.update(task, completed=sup.started)
        await sup.start()
        sup.on_progress = None


def stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)


async def _fleet(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.live import Live
    from rich.table import Table

    from printbench.emulator.fleet.fleet import FleetError
    from printbench.emulator.fleet.inventory import write_inventory
    from printbench.emulator.fleet.workers import Supervisor

    console = Console(stderr=True)
    sup = Supervisor(supervisor_config(args, args.acs_url))
    stop = asyncio.Event()
    stop_on_signals(stop)
    try:
        await start_fleet(sup, console)
    except FleetError as exc:
        print(f"printbench fleet: {exc}", file=sys.stderr)
        return 1
    took = sup.t_ready - sup.t_start
    lay = sup.config.layout
    first, last = lay.host(0), lay.host(args.devices - 1)
    p = lay.ports
    print(
        f"fleet {args.devices} printers on {sup.workers.__len__()} workers, started in {took:.1f} s"
    )
    if lay.port_blocks:
        print(f"printers {first} ports {lay.port_base}.. (blocks of 5: snmp ipp ews control cwmp)")
    else:
        print(f"printers {first} - {last}")
        print(f"snmp udp/{p.snmp} ipp {p.ipp}/ipp/print ews {p.ews} control {p.control} "
              f"cwmp-cr {p.cwmp} (listen {sup.listen_mode}, snmp {sup.snmp_mode})")  # fmt: skip
    if sup.api_url:
        print(f"api {sup.api_url}")
    if args.acs_url:
        print(f"acs {args.acs_url}")
    if args.inventory:
        paths = write_inventory(args.inventory, sup.inventory(), {"devices": args.devices})
        print("inventory " + " ".join(str(x) for x in paths))
    print("ready", flush=True)
    if args.activity > 0:
        await sup.command("activity", config={"enabled": True, "speed": args.activity})

    def table() -> Table:
        t = sup.totals()
        tb = Table(title="printbench fleet (Ctrl-C stops)", show_header=False)
        tb.add_row(
            "printers", f"{t['devices']} on {t['workers']} workers ({t['restarts']} restarts)"
        )
        tb.add_row(
            "TR-069 sessions",
            f"{t['sessions_ok']} ok, {t['sessions_failed']} failed, "
            f"{t['in_session']} running, {t['queued_events']} queued",
        )
        tb.add_row("printing", f"{t['busy']} printers busy")
        faces = t["face_requests"]
        tb.add_row(
            "requests",
            f"snmp {t['snmp_requests']} ipp {faces.get('ipp', 0)} "
            f"ews {faces.get('ews', 0)} control {faces.get('control', 0)} "
            f"cr {faces.get('cwmp', 0)}",
        )
        tb.add_row("memory", f"{t['rss_kb'] / 1024:.0f} MB in workers")
        return tb  # fmt: skip

    if console.is_terminal:
        with Live(table(), console=console, refresh_per_second=1) as live:
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)
                live.update(table())
    else:
        await stop.wait()
    print("stopping (persisting TR-069 state)", file=sys.stderr)
    await sup.stop()
    print(f"stopped; state in {sup.config.state_dir}", file=sys.stderr)
    return 0
