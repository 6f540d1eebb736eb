"""``printbench fleet --engine ray`` and ``printbench load --engine ray``: the cluster driver.

Order of a run, so that every mistake is one line before anything starts: reach the cluster
(a head that does not answer: one line, no minutes of Ray retries), find the hosts (nodes
offering ``printbench_host``), plan them (devices by cores, address plans that do not
overlap), ask every agent to check its plan (an unrouted prefix: one line), and only then
start the printers. The load run then polls every agent each second and writes the same
JSON, plots and summary table as on one machine (``loadtest.cli.report``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import os
import sys
import time
from pathlib import Path
from typing import Any

from printbench.loadtest.cluster import ClusterDriver, ClusterError
from printbench.loadtest.cluster_plan import ClusterPlanError, parse_address_plan, plan_hosts


def fleet_config(args: argparse.Namespace, acs_url: str | None) -> dict[str, Any]:
    """What every host agent needs besides its plan (plain values: it travels to the hosts)."""
    from printbench.common.settings import reports_dir
    from printbench.emulator.fleet.cli import _ports
    from printbench.emulator.fleet.plan import PlanError, parse_mix
    from printbench.emulator.profiles import list_profiles

    try:
        mix = parse_mix(args.profiles, list_profiles())
    except PlanError as exc:
        raise ClusterPlanError(str(exc)) from None
    faces = ["snmp", "ipp", "ews", "control"] + ([] if args.no_tr069 else ["cwmp"])
    state_dir = Path(args.state_dir or reports_dir() / "fleet-state").resolve()
    return {
        "mix": [list(x) for x in mix], "faces": faces, "acs_url": acs_url,
        "listen": args.listen, "snmp_sockets": args.snmp_sockets, "bind_host": args.bind_host,
        "periodic_interval": args.periodic_interval, "jitter": not args.no_jitter,
        "ramp": args.ramp, "state_dir": str(state_dir), "workers": args.workers,
        "ports": dataclasses.asdict(_ports(args.ports)),
    }  # fmt: skip


def _address(args: argparse.Namespace) -> str | None:
    return args.ray_address or os.environ.get("RAY_ADDRESS") or None


async def open_cluster(args: argparse.Namespace, acs_url: str | None) -> ClusterDriver:
    """Connect, plan, check and start every host's share (errors: one line each)."""
    from printbench.loadtest import ray_engine

    ray_engine.connect(_address(args), node_ip=None if _address(args) else "127.0.0.1")
    hosts = ray_engine.discover_hosts()
    prefixes = parse_address_plan(args.address_plan, hosts)
    plans = plan_hosts(hosts, args.devices, prefixes=prefixes, base_address=args.base_address,
                       port_base=args.port_blocks, seed=args.seed)  # fmt: skip
    config = fleet_config(args, acs_url)
    actors = ray_engine.start_agents(hosts)
    driver = ClusterDriver([ray_engine.RayAgentLink(a) for a in actors], plans, config)
    driver.on_event = lambda line: print(line, file=sys.stderr)
    for p in plans:
        print(p.describe())
    await driver.start()
    return driver


def _errors() -> tuple[type[BaseException], ...]:
    from printbench.loadtest.ray_engine import RayUnavailable

    return (ClusterError, ClusterPlanError, RayUnavailable)


async def ray_fleet(args: argparse.Namespace) -> int:
    """The fleet on every host until Ctrl-C/SIGTERM; totals each second on a terminal."""
    from printbench.emulator.fleet.cli import stop_on_signals

    stop = asyncio.Event()
    stop_on_signals(stop)  # the driver runs in the main thread; the agents have none
    try:
        driver = await open_cluster(args, args.acs_url)
    except _errors() as exc:
        print(f"printbench fleet: {exc}", file=sys.stderr)
        return 1
    print(f"fleet {args.devices} printers on {len(driver.hosts)} hosts "
          f"({driver.totals()['workers']} workers)")  # fmt: skip
    if args.inventory:
        from printbench.emulator.fleet.inventory import write_inventory

        try:
            records = await driver.inventory()
        except ClusterError as exc:
            print(f"printbench fleet: {exc}", file=sys.stderr)
            await driver.stop()
            return 1
        paths = write_inventory(args.inventory, records, {"devices": args.devices})
        print("inventory " + " ".join(str(x) for x in paths))
    print("ready", flush=True)
    code = 0
    try:
        def show() -> None:
            if sys.stderr.isatty():
                t = driver.totals()
                print(f"sessions {t['sessions_ok']} ok {t['sessions_failed']} failed, "
                      f"{t['in_session']} running, {t['rss_kb'] // 1024} MB", end="\r",
                      file=sys.stderr)  # fmt: skip

        await driver.run(float("inf"), stop, show)
    except ClusterError as exc:
        print(f"printbench fleet: {exc}", file=sys.stderr)
        code = 1
    finally:
        print("stopping (persisting TR-069 state)", file=sys.stderr)
        await driver.stop()
    return code


async def ray_load(args: argparse.Namespace) -> int:
    """``load`` over the cluster: same measurements, merged from every host each second."""
    from printbench.emulator.fleet.cli import stop_on_signals
    from printbench.loadtest.cli import report
    from printbench.loadtest.loadrun import StubAcsProcess, cr_driver

    acs = None
    acs_url = args.acs_url
    stop = asyncio.Event()
    stop_on_signals(stop)
    driver: ClusterDriver | None = None
    try:
        if not acs_url:
            host = "127.0.0.1"
            if _address(args):  # printers on other hosts must reach it: the driver's address
                from printbench.loadtest import ray_engine

                ray_engine.connect(_address(args))
                host = ray_engine.import_ray().util.get_node_ip_address()
            acs = StubAcsProcess(host)
            acs_url = await acs.start()
            print(f"acs {acs_url} (built-in stub, lean)")
        t0 = time.monotonic()
        t_start = time.time()
        driver = await open_cluster(args, acs_url)
        startup = time.monotonic() - t0
        rec = driver.rec
        t_ready = time.time()
        marks = {"ready": t_ready}
        print(f"fleet {args.devices} printers on {len(driver.hosts)} hosts ready in "
              f"{startup:.1f} s", flush=True)  # fmt: skip
        print("ready", flush=True)
        inventory = await driver.inventory(limit_per_host=2000)
        cr_stop = asyncio.Event()
        cr_task = asyncio.create_task(cr_driver(rec, inventory, args.cr_rate, cr_stop))
        t_storm: float | None = None
        deadline = time.monotonic() + args.duration
        try:
            while not stop.is_set() and time.monotonic() < deadline:
                tick = time.monotonic()
                if args.reboot_storm is not None and t_storm is None and \
                        time.time() - t_ready >= args.reboot_storm:  # fmt: skip
                    t_storm = time.time()
                    rec.mark_storm(t_storm)
                    marks["reboot storm"] = t_storm
                    await driver.command("reboot-storm", {"at": t_storm})
                await driver.poll_once()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), max(0.0, 1.0 - (time.monotonic() - tick)))
        finally:
            cr_stop.set()
            await cr_task
        t_end = time.time()
        totals = driver.totals()
        await driver.stop()
        hosts = [{"host": h.plan.describe(), "startup_s": h.started.get("startup_s"),
                  "agent_restarts": h.restarts} for h in driver.hosts]  # fmt: skip
        driver = None
    except _errors() as exc:
        print(f"printbench load: {exc}", file=sys.stderr)
        return 1
    finally:
        if driver is not None:
            await driver.stop()
        if acs is not None:
            await acs.stop()
    return report(args, rec, workers=totals["workers"], startup_s=startup, listen=args.listen,
                  t_ready=t_ready, t_end=t_end, t_start=t_start, t_storm=t_storm,
                  totals=totals, acs_url=acs_url, built_in=acs is not None, marks=marks,
                  hosts=hosts)  # fmt: skip
