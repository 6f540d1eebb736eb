"""``printbench load``: a fleet against an ACS, measured (JSON, plots and a summary table).

The load run is an orchestrator: it starts a fleet (the emulator's supervisor) and, unless
``--acs-url`` names the ACS under test, the built-in stub ACS in its own process. It lives
beside the conformance engine, above both roles, so that the emulator never imports the ACS.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from pathlib import Path
from typing import Any

from printbench.emulator.fleet.cli import (
    add_fleet_options,
    start_fleet,
    stop_on_signals,
    supervisor_config,
)


def add_engine_options(p: argparse.ArgumentParser) -> None:
    """``--engine`` and the cluster options, on ``fleet`` and ``load`` (docs/fleet.md)."""
    p.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="local: worker processes on this machine (default); ray: one agent per host of "
        "a Ray cluster (pip install 'printbench[ray]', docs/fleet.md)",
    )
    p.add_argument(
        "--ray-address",
        default=None,
        metavar="HOST:PORT",
        help="--engine ray: the cluster's head (default $RAY_ADDRESS, else a one-node Ray here)",
    )
    p.add_argument(
        "--address-plan",
        default="auto",
        help="--engine ray: one routed prefix per host, 'P1,P2,...' in host order or "
        "'NODE_IP=PREFIX,...' (default auto: consecutive ranges from --base-address)",
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("load", help="a fleet against an ACS, measured (reports/)")
    add_fleet_options(p)
    add_engine_options(p)
    p.add_argument("--duration", type=float, required=True, help="seconds to measure")
    p.add_argument(
        "--acs-url",
        default=None,
        help="ACS under test (default: start the built-in stub ACS, lean)",
    )
    p.add_argument(
        "--cr-rate",
        type=float,
        default=2.0,
        help="connection requests per second sent to random printers (default 2)",
    )
    p.add_argument(
        "--reboot-storm",
        type=float,
        default=None,
        metavar="T",
        help="reboot every printer at once T seconds into the run",
    )
    p.add_argument("--report-dir", type=Path, default=None, help="default: reports/")
    p.set_defaults(func=_load, api_port=-1)
    # `printbench fleet --engine ray` is the cluster driver, which lives here (it merges the
    # hosts' load-run histograms): the emulator's fleet command hands it over.
    fleet = subparsers.choices.get("fleet")
    if fleet is not None:
        add_engine_options(fleet)
        local = fleet.get_default("func")

        def fleet_func(args: argparse.Namespace) -> Any:
            if getattr(args, "engine", "local") == "ray":
                from printbench.loadtest.cluster_cli import ray_fleet

                return ray_fleet(args)
            return local(args)

        fleet.set_defaults(func=fleet_func)


async def _load(args: argparse.Namespace) -> int:
    if args.engine == "ray":
        from printbench.loadtest.cluster_cli import ray_load

        return await ray_load(args)
    from rich.console import Console

    from printbench.emulator.fleet.fleet import FleetError
    from printbench.emulator.fleet.workers import Supervisor
    from printbench.loadtest.loadrun import (
        Recorder,
        StubAcsProcess,
        cr_driver,
    )  # fmt: skip

    console = Console(stderr=True)
    acs = None
    acs_url = args.acs_url
    if not acs_url:
        acs = StubAcsProcess()
        acs_url = await acs.start()
        print(f"acs {acs_url} (built-in stub, lean)")
    sup = Supervisor(supervisor_config(args, acs_url))
    rec = Recorder()
    sup.on_samples = rec.add
    stop = asyncio.Event()
    stop_on_signals(stop)
    marks: dict[str, float] = {}
    try:
        try:
            await start_fleet(sup, console)
        except FleetError as exc:
            print(f"printbench load: {exc}", file=sys.stderr)
            return 1
        t_ready = time.time()
        marks["ready"] = t_ready
        print(f"fleet {args.devices} printers ready in {sup.t_ready - sup.t_start:.1f} s "
              f"({sup.listen_mode})")  # fmt: skip
        print("ready", flush=True)
        cr_stop = asyncio.Event()
        cr_task = asyncio.create_task(cr_driver(rec, sup.inventory(), args.cr_rate, cr_stop))
        t_storm = None
        deadline = time.monotonic() + args.duration
        while not stop.is_set() and time.monotonic() < deadline:
            if args.reboot_storm is not None and t_storm is None and \
                    time.time() - t_ready >= args.reboot_storm:  # fmt: skip
                t_storm = time.time()
                rec.mark_storm(t_storm)
                marks["reboot storm"] = t_storm
                await sup.command("reboot-storm")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)
            if console.is_terminal:
                now = time.time()
                console.print(
                    f"{now - t_ready:6.0f} s  {rec.rate(now - 5, now):7.1f} sessions/s  "
                    f"total {rec.total}",
                    end="\r",
                )
        console.print()
        cr_stop.set()
        await cr_task
        t_end = time.time()
        totals = sup.totals()
    finally:
        await sup.stop()
        if acs is not None:
            await acs.stop()
    return report(args, rec, workers=len(sup.workers), startup_s=sup.t_ready - sup.t_start,
                  listen=sup.listen_mode, t_ready=t_ready, t_end=t_end,
                  t_start=sup.t_start - (time.monotonic() - time.time()), t_storm=t_storm,
                  totals=totals, acs_url=acs_url, built_in=acs is not None, marks=marks)


def report(args: argparse.Namespace, rec: Any, *, workers: int, startup_s: float, listen: str,
           t_ready: float, t_end: float, t_start: float, t_storm: float | None,
           totals: dict[str, Any], acs_url: str, built_in: bool, marks: dict[str, float],
           hosts: list[dict[str, Any]] | None = None) -> int:  # fmt: skip
    """The JSON, plots and summary table of a load run (one machine or a cluster's merge)."""
    from rich.console import Console
    from rich.table import Table

    from printbench.common.settings import reports_dir
    from printbench.loadtest.loadrun import plot, storm_drain, write_results

    whole = rec.summary(t_ready, t_end)
    steady = rec.summary(t_ready, t_end, skip_boot=True)
    boot = rec.summary(t_start, t_end)
    drain = storm_drain(rec, t_storm, args.devices) if t_storm is not None else None
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out_dir = args.report_dir or reports_dir()
    base = out_dir / f"load-{stamp}"
    result = {
        "command": " ".join(sys.argv),
        "devices": args.devices,
        "workers": workers,
        "acs_url": acs_url,
        "built_in_acs": built_in,
        "startup_s": round(startup_s, 2),
        "listen": listen,
        "measured": whole,
        "periodic_only": steady,
        "including_start": boot,
        "reboot_storm": None if t_storm is None else {
            "at_s": round(t_storm - t_ready, 1),
            "drained_s": None if drain is None else round(drain, 1),
        },
        "connection_requests": rec.cr_summary(),
        "polling_load": {"face_requests": totals["face_requests"],
                         "snmp_requests": totals["snmp_requests"]},
        "worker_rss_mb": round(totals["rss_kb"] / 1024, 1),
    }  # fmt: skip
    if hosts:
        result["engine"] = "ray"
        result["hosts"] = hosts
    json_path = write_results(base.with_suffix(".json"), result)
    pngs = plot(rec, base, f"printbench load: {args.devices} printers", marks)
    tb = Table(title=f"printbench load: {args.devices} printers, {workers} workers"
               + (f" on {len(hosts)} hosts" if hosts else ""))
    tb.add_column("figure")
    tb.add_column("value", justify="right")
    tb.add_row("start-up", f"{result['startup_s']} s")
    tb.add_row("sessions (measured window)", f"{whole['sessions']} ok, {whole['failed']} failed")
    tb.add_row("sessions/s", f"{whole['sessions_per_s']}")
    tb.add_row(
        "session p50 / p99", f"{whole['session_ms']['p50']} / {whole['session_ms']['p99']} ms"
    )
    tb.add_row(
        "Inform→InformResponse p50 / p99",
        f"{whole['inform_ms']['p50']} / {whole['inform_ms']['p99']} ms",
    )
    tb.add_row(
        "retried sessions (RetryCount>0)", f"{whole['retried']} (max {whole['max_retry_count']})"
    )
    cr = result["connection_requests"]
    tb.add_row(
        "connection requests",
        f"{cr['accepted']}/{cr['sent']} accepted, HTTP p50 "
        f"{cr['http_ms']['p50']} ms, CR→session end p50 {cr['round_trip_ms']['p50']} ms",
    )
    if t_storm is not None:
        tb.add_row("reboot storm drained", "not drained" if drain is None else f"{drain:.1f} s")
    tb.add_row("fleet face requests", str(result["polling_load"]["face_requests"]))
    tb.add_row("worker memory", f"{result['worker_rss_mb']} MB")  # fmt: skip
    Console().print(tb)
    print(f"results {json_path}")
    for png in pngs:
        print(f"plot {png}")
    return 0
