"""Writers for the three report formats (see the package docstring for why three)."""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from jinja2 import Environment, PackageLoader, select_autoescape

from printbench.conformance.engine import RunResult
from printbench.conformance.scenario import AREAS

SCHEMA_VERSION = 1
_RANK = {"fail": 3, "pass": 1, "n/a": 0}


def results_json(run: RunResult) -> dict[str, Any]:
    """The run as JSON-friendly data (the ``results.json`` schema, version 1)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "target": run.target,
        "target_kind": run.target_kind,
        "started": run.started,
        "seconds": round(run.seconds, 3),
        "ok": run.ok,
        "counts": run.counts(),
        "mandatory_failures": len(run.mandatory_failures),
        "devices": run.devices,
        "journal": run.journal_path,
        "results": [dataclasses.asdict(r) for r in run.results],
        "matrix": matrix(run),
    }


def matrix(run: RunResult) -> dict[str, Any]:
    """Parameter × device: the worst status of each parameter's read/write checks."""
    devices = [d["name"] for d in run.devices]
    cells: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for c in run.cells:
        slot = cells[c.parameter].setdefault(c.device, {"status": "n/a", "checks": {}})
        slot["checks"][c.kind] = {"status": c.status, "detail": c.detail}
        if _RANK[c.status] > _RANK[slot["status"]]:
            slot["status"] = c.status
    rows = [{"parameter": p, "cells": cells[p]} for p in sorted(cells)]
    return {"devices": devices, "rows": rows}


def junit_xml(run: RunResult) -> str:
    """JUnit XML: one testsuite per area, one testcase per scenario × device."""
    by_area: dict[str, list[Any]] = defaultdict(list)
    for r in run.results:
        by_area[r.area].append(r)
    out = ['<?xml version="1.0" encoding="UTF-8"?>']
    counts = run.counts()
    out.append(
        f'<testsuites name={quoteattr("printbench " + run.target)} tests="{len(run.results)}" '
        f'failures="{counts["failed"]}" errors="{counts["error"]}" skipped="{counts["skipped"] + counts.get("blocked", 0)}" '
        f'time="{run.seconds:.3f}">'
    )
    for area in sorted(by_area, key=lambda a: AREAS.index(a) if a in AREAS else 99):
        rs = by_area[area]
        fails = sum(r.status == "failed" for r in rs)
        errs = sum(r.status == "error" for r in rs)
        skips = sum(r.status in ("skipped", "blocked") for r in rs)
        out.append(
            f'  <testsuite name={quoteattr(area)} tests="{len(rs)}" failures="{fails}" '
            f'errors="{errs}" skipped="{skips}" time="{sum(r.seconds for r in rs):.3f}">'
        )
        for r in rs:
            name = f"{r.scenario} [{r.device}]"
            out.append(
                f"    <testcase classname={quoteattr('printbench.' + area + '.' + r.scenario)} "
                f'name={quoteattr(name)} file={quoteattr(r.file)} line="{r.line}" time="{r.seconds:.3f}">'
            )
            out.append(
                f'      <properties><property name="requirement" value={quoteattr(r.requirement)}/>'
                f'<property name="title" value={quoteattr(r.title)}/></properties>'
            )
            if r.status == "failed":
                out.append(
                    f"      <failure message={quoteattr(_clip(r.message))} type={quoteattr(r.requirement)}>"
                    f"{escape(_detail(r))}</failure>"
                )
            elif r.status == "error":
                out.append(
                    f"      <error message={quoteattr(_clip(r.message))}>{escape(_detail(r))}</error>"
                )
            elif r.status in ("skipped", "blocked"):  # blocked: its cause is reported once
                out.append(f"      <skipped message={quoteattr(_clip(r.message))}/>")
            out.append("    </testcase>")
        out.append("  </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"


def _clip(text: str, n: int = 500) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _detail(r: Any) -> str:
    lines = [f"{r.failed_where or r.file}: {r.message}"]
    for e in r.envelopes:
        lines.append(
            f"#{e['ref']} {e['direction']} {e['method']} {e.get('http_status') or ''} {e.get('note') or ''}"
        )
    return "\n".join(lines)


def render_html(run: RunResult) -> str:
    env = Environment(
        loader=PackageLoader("printbench.conformance.report", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    data = results_json(run)
    by_area: dict[str, dict[str, int]] = {}
    for r in run.results:
        slot = by_area.setdefault(r.area, {"passed": 0, "failed": 0, "error": 0, "skipped": 0})
        slot[r.status if r.status != "blocked" else "skipped"] += 1
    areas = sorted(by_area.items(), key=lambda kv: AREAS.index(kv[0]) if kv[0] in AREAS else 99)
    return env.get_template("report.html").render(
        run=data, areas=areas, results=data["results"], matrix=data["matrix"]
    )


def write_reports(run: RunResult, folder: Path) -> dict[str, Path]:
    """Write junit.xml, results.json and report.html into ``folder``; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "junit": folder / "junit.xml",
        "json": folder / "results.json",
        "html": folder / "report.html",
    }
    paths["junit"].write_text(junit_xml(run), encoding="utf-8")
    paths["json"].write_text(json.dumps(results_json(run), indent=1, default=str), encoding="utf-8")
    paths["html"].write_text(render_html(run), encoding="utf-8")
    return paths
