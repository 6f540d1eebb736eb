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
import json
import logging
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from printbench.common import standards
from printbench.common.settings import reports_dir


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

    quiet = _QuietProtocolLog(report_dir / "run-log.jsonl", verbose=args.verbose)
    quiet.install()
    try:
        return await _run_target(console, target, scenarios, report_dir, quiet)
    finally:
        quiet.remove()


async def _run_target(
    console: Console, target: Any, scenarios: list[Any], report_dir: Path, quiet: _QuietProtocolLog
) -> int:
    from printbench.conformance.engine import Engine
    from printbench.conformance.report import write_reports
    from printbench.conformance.targets import TargetError

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
                colour = {
                    "passed": "green",
                    "failed": "red",
                    "error": "red",
                    "skipped": "dim",
                    "blocked": "yellow",
                }[res.status]
                progress.update(
                    task, advance=1, last=f"[{colour}]{res.status}[/] {res.scenario} {res.device}"
                )

            engine.on_result = done
            run = await engine.run(scenarios)
    finally:
        await target.stop()

    paths = write_reports(run, report_dir)
    _summary(console, run, paths)
    if quiet.counts:
        what = ", ".join(f"{n} {level.lower()}" for level, n in sorted(quiet.counts.items()))
        console.print(f"protocol log of the run ({what}): {quiet.path}")
    return 0 if run.ok else 1


class _QuietProtocolLog(logging.Handler):
    """Keeps the terminal for the progress bar and the summary during a run.

    Scenarios provoke protocol warnings on purpose (401s in an auth scenario, a printer away
    and back, retried sessions); a passing run used to print about 40 such lines. While a run
    lasts, records of ``printbench.*`` loggers below ERROR go to ``run-log.jsonl`` in the
    report folder instead of the terminal (``-v`` keeps them on the terminal as before);
    errors still show. The stub ACS's journal keeps the envelopes themselves.
    """

    def __init__(self, path: Path, *, verbose: int = 0) -> None:
        super().__init__(level=logging.INFO)
        self.path = path
        self.verbose = verbose
        self.counts: dict[str, int] = {}
        self._file: Any = None
        self._filtered: list[logging.Handler] = []

    def install(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("w", encoding="utf-8")
        logging.getLogger("printbench").addHandler(self)
        if not self.verbose:
            for handler in logging.getLogger().handlers:
                handler.addFilter(self._keep_on_terminal)
                self._filtered.append(handler)

    def remove(self) -> None:
        logging.getLogger("printbench").removeHandler(self)
        for handler in self._filtered:
            handler.removeFilter(self._keep_on_terminal)
        if self._file is not None:
            self._file.close()

    @staticmethod
    def _keep_on_terminal(record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR or not record.name.startswith("printbench")

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno < logging.WARNING or self._file is None:
            return
        self.counts[record.levelname] = self.counts.get(record.levelname, 0) + 1
        line = {"ts": record.created, "level": record.levelname, "logger": record.name}
        line["message"] = record.getMessage()
        self._file.write(json.dumps(line, ensure_ascii=False) + "\n")


def _summary(console: Console, run: Any, paths: dict[str, Path]) -> None:
    from printbench.conformance.scenario import AREAS

    table = Table(title=f"printbench run: {run.target} ({run.seconds:.1f} s)")
    for col in ("area", "passed", "failed", "error", "n/a"):
        table.add_column(col, justify="right" if col != "area" else "left")
    areas: dict[str, dict[str, int]] = {}
    for r in run.results:
        areas.setdefault(
            r.area, {"passed": 0, "failed": 0, "error": 0, "skipped": 0, "blocked": 0}
        )[r.status] += 1
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
    blocked = [r for r in run.results if r.status == "blocked"]
    if blocked:  # one line per cause, not one per scenario it blocked
        causes: dict[str, int] = {}
        for r in blocked:
            cause = r.message.split(" (", 1)[0]  # "blocked: <device> went away after <RPC> ..."
            causes[cause] = causes.get(cause, 0) + 1
        for cause, n in causes.items():
            console.print(f"[yellow]BLOCKED[/] {n} scenario(s), {cause}", markup=True)
    for kind, path in paths.items():
        console.print(f"{kind}: {path}")
    verdict = "[green]PASS[/]" if run.ok else "[red]FAIL[/]"
    more = f", {len(blocked)} blocked" if blocked else ""
    console.print(
        f"{verdict}: {c['passed']} passed, {len(run.mandatory_failures)} mandatory failures"
        f"{more}, {run.seconds:.1f} s"
    )
