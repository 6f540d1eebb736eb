"""``printbench run``: the main job.

Starts the target (the built-in one by default: stub ACS, one virtual printer per profile,
the embedded clients and the proxy, all in this process), runs the scenarios with a progress
display, writes JUnit XML, JSON and HTML reports and prints a summary. The exit code is 0
only when every applicable mandatory scenario passed (and at least one scenario passed, so
an empty run is never a success); 1 when a mandatory check failed; 2 for bad input (a
scenario or target file error, which names file:line).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "run",
        help="run the conformance scenarios (the main job)",
        description="Run conformance scenarios against a target and write reports.",
    )
    p.add_argument(
        "--target",
        type=Path,
        help="target file, or the name of a built-in target such as plugfest-acs "
        "(default: the built-in fleet, proxy and ACS)",
    )
    p.add_argument(
        "--scenarios-dir",
        type=Path,
        action="append",
        default=[],
        help="a folder of your own scenarios, searched before the built-in ones: a scenario "
        "with a built-in scenario's id replaces it (repeatable)",
    )
    p.add_argument("--report-dir", type=Path, help="where reports go (default: reports/)")
    p.add_argument(
        "-k", dest="select", help="only scenarios whose id, title or area contains this text"
    )
    p.add_argument(
        "scenarios", nargs="*", type=Path, help="scenario files or folders (default: scenarios/)"
    )
    p.set_defaults(func=run_command)


async def run_command(args: argparse.Namespace) -> int:
    from printbench.common import standards
    from printbench.common.settings import reports_dir
    from printbench.conformance.engine import Engine
    from printbench.conformance.report import write_reports
    from printbench.conformance.scenario import ScenarioError, default_dir, load_all, load_searched
    from printbench.conformance.targets import TargetError, load_target

    standards.require(standards.JUDGE_FILES)  # the stub ACS judges every envelope
    console = Console(stderr=False)
    report_dir = args.report_dir or reports_dir()
    try:
        if args.scenarios:
            scenarios = load_all(args.scenarios)
        else:
            scenarios = load_searched([*args.scenarios_dir, default_dir()])
    except ScenarioError as exc:
        print(f"printbench run: {exc}", file=sys.stderr)
        return 2
    if args.select:
        needle = args.select.lower()
        scenarios = [s for s in scenarios if needle in f"{s.id} {s.title} {s.area}".lower()]
    if not scenarios:
        print("printbench run: no scenarios selected", file=sys.stderr)
        return 2
    try:
        target = load_target(args.target, report_dir)
    except TargetError as exc:
        print(f"printbench run: {exc}", file=sys.stderr)
        return 2

    with console.status(f"starting target {target.name} …"):
        try:
            await target.start()
        except TargetError as exc:
            print(f"printbench run: {exc}", file=sys.stderr)
            await target.stop()
            return 2
    try:
        for note in target.notes:
            console.print(f"[yellow]note:[/] {note}")
        console.print(
            f"target [bold]{target.name}[/] ({target.kind}): {len(target.devices)} devices, "
            f"{len(scenarios)} scenarios"
        )
        engine = Engine(target)
        total = len(engine.plan(scenarios))
        progress = Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[last]}"),
            console=console,
            transient=False,
        )
        failed: list[Any] = []
        with progress:
            task = progress.add_task("scenarios", total=total, last="")

            def done(res: Any) -> None:
                if res.status in ("failed", "error"):
                    failed.append(res)
                colour = {"passed": "green", "failed": "red", "error": "red", "skipped": "dim"}[
                    res.status
                ]
                progress.update(
                    task, advance=1, last=f"[{colour}]{res.status}[/] {res.scenario} {res.device}"
                )

            engine.on_result = done
            run = await engine.run(scenarios)
    finally:
        await target.stop()

    paths = write_reports(run, report_dir)
    _summary(console, run, paths)
    return 0 if run.ok else 1


def _summary(console: Console, run: Any, paths: dict[str, Path]) -> None:
    from printbench.conformance.scenario import AREAS

    table = Table(title=f"printbench run: {run.target} ({run.seconds:.1f} s)")
    for col in ("area", "passed", "failed", "error", "n/a"):
        table.add_column(col, justify="right" if col != "area" else "left")
    areas: dict[str, dict[str, int]] = {}
    for r in run.results:
        areas.setdefault(r.area, {"passed": 0, "failed": 0, "error": 0, "skipped": 0})[
            r.status
        ] += 1
    for area in sorted(areas, key=lambda a: AREAS.index(a) if a in AREAS else 99):
        c = areas[area]
        table.add_row(area, str(c["passed"]), str(c["failed"]), str(c["error"]), str(c["skipped"]))
    c = run.counts()
    table.add_row(
        "total",
        str(c["passed"]),
        str(c["failed"]),
        str(c["error"]),
        str(c["skipped"]),
        style="bold",
    )
    console.print(table)
    for r in run.results:
        if r.status in ("failed", "error"):
            tag = "MANDATORY" if r.mandatory else "optional"
            console.print(
                f"[red]{r.status.upper()}[/] [{tag}] {r.scenario} on {r.device}: {r.failed_where}: {r.message}",
                markup=True,
                highlight=False,
            )
    for kind, path in paths.items():
        console.print(f"{kind}: {path}")
    verdict = "[green]PASS[/]" if run.ok else "[red]FAIL[/]"
    console.print(
        f"{verdict}: {c['passed']} passed, {len(run.mandatory_failures)} mandatory failures, {run.seconds:.1f} s"
    )
