"""Reports of a real run: JUnit XML parses, JSON has its schema, the HTML page is
self-contained and renders in headless Chromium with the parameter matrix."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from printbench.conformance.engine import Engine
from printbench.conformance.report import write_reports
from printbench.conformance.scenario import parse_scenarios

SCENARIOS = """\
id: R-PASS
title: matrix
area: parameters
steps:
  - check_parameters
---
id: R-FAIL
title: a failing check
area: rpc
steps:
  - get: {PS.Status.SerialNumber: "wrong <&> serial"}
---
id: R-NA
title: not for this path
area: rpc
via: [proxy]
steps:
  - rpc: GetRPCMethods
"""

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
async def report(small_target, tmp_path: Path) -> dict[str, Path]:
    run = await Engine(small_target).run(parse_scenarios(SCENARIOS, "r.yaml"))
    return write_reports(run, tmp_path / "out")


def test_junit_json_and_html(report: dict[str, Path]) -> None:
    root = ET.parse(report["junit"]).getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("3", "1", "1")
    cases = {c.get("name"): c for c in root.iter("testcase")}
    failing = cases["R-FAIL [mono-desktop-laser/embedded]"]
    failure = failing.find("failure")
    assert failure is not None and "r.yaml:11: step 1 (get)" in (failure.text or "")
    assert failing.get("file") == "r.yaml"

    data = json.loads(report["json"].read_text())
    assert data["schema_version"] == 1 and data["ok"] is False
    assert data["counts"] == {"passed": 1, "failed": 1, "error": 0, "skipped": 1, "blocked": 0}
    for r in data["results"]:
        assert {"scenario", "device", "status", "requirement", "steps", "envelopes"} <= set(r)
    fail = next(r for r in data["results"] if r["scenario"] == "R-FAIL")
    assert any(e["method"] == "GetParameterValuesResponse" for e in fail["envelopes"])
    rows = data["matrix"]["rows"]
    assert rows and data["matrix"]["devices"] == ["mono-desktop-laser/embedded"]
    assert all(cell["status"] in ("pass", "n/a") for row in rows for cell in row["cells"].values())

    html = report["html"].read_text()
    assert "wrong &lt;&amp;&gt; serial" in html  # escaped
    # Self-contained: no external scripts, styles, images or fonts.
    assert not re.search(r"<(script|link|img)\b[^>]*(src|href)=", html, re.I)
    assert "http://" not in html.split("<body>")[0] and "https://" not in html


@pytest.mark.interop
async def test_html_renders_in_chromium_with_the_matrix(
    report: dict[str, Path], tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1400, "height": 1000})
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            await page.goto(report["html"].as_uri())
            shot = tmp_path / "report.png"
            await page.screenshot(path=str(shot), full_page=True)
            assert (await page.inner_text("#verdict")) == "FAIL"
            rows = await page.locator("#matrix tr").count()
            assert rows >= 10  # header + one row per mapped parameter
            passed = await page.locator("#matrix td.pass").count()
            assert passed >= 5
            colour = await page.eval_on_selector(
                "#matrix td.pass", "e => getComputedStyle(e).backgroundColor"
            )
            assert colour == "rgb(200, 230, 201)"
            failed_row = page.locator("#results tr.failed")
            assert await failed_row.count() == 1
            assert "r.yaml:11" in await failed_row.inner_text()
            assert all(u.startswith("file://") for u in requests), requests
        finally:
            await browser.close()
    assert shot.stat().st_size > 10_000
