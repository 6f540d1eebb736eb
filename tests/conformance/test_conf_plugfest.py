"""The plugfest harness against a third-party-style CPE that crashes on one RPC (issue 12 item 6).

A run must follow the latest ConnectionRequestURL the device informed, take a device that
informs again as reachable again, and report a cascade once: the scenario whose RPC the device
went away after (with that RPC's envelope), the scenarios it blocked marked ``blocked``, not as
separate failures.
"""

from __future__ import annotations

import asyncio
import socket

import pytest

from printbench.conformance.engine import Engine
from printbench.conformance.scenario import parse_scenarios
from printbench.conformance.targets import load_target
from tests.conformance.crashing_cpe import CrashingCpe

SCENARIOS = """\
id: P-1
title: before the crash
area: engine
steps:
  - rpc: GetRPCMethods
---
id: P-2
title: the RPC the CPE crashes on
area: engine
steps:
  - rpc: GetParameterNames
    args: {parameter_path: "Device.", next_level: true}
    timeout: 4
---
id: P-3
title: after the crash (1)
area: engine
steps:
  - rpc: GetRPCMethods
---
id: P-4
title: after the crash (2)
area: engine
steps:
  - rpc: GetParameterValues
    args: {parameter_names: [Device.DeviceInfo.SoftwareVersion]}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _run(tmp_path, restart_after: float | None):
    port = _free_port()
    cpe = CrashingCpe(
        f"http://127.0.0.1:{port}/", crash_on="GetParameterNames", restart_after=restart_after
    )
    target = load_target(
        None,
        tmp_path,
        {
            "kind": "cpe",
            "name": "plugfest",
            "acs": {"port": port, "control_port": 0, "session_timeout": 3},
            "boot_timeout": 20,
            "devices": [{"oui": "00D0B7", "product_class": "SimCPE", "serial": "CRASH0001"}],
        },
    )

    async def boot() -> None:
        for _ in range(200):  # the ACS starts inside target.start()
            try:
                await cpe.start()
                return
            except OSError:
                await asyncio.sleep(0.1)

    task = asyncio.ensure_future(asyncio.sleep(0.3))
    await task
    starter = asyncio.ensure_future(boot())
    try:
        async with target:
            await starter
            scenarios = parse_scenarios(SCENARIOS, "plugfest.yaml")
            run = await Engine(target).run(scenarios)
        return cpe, target, run
    finally:
        await cpe.stop()


def _status(run) -> dict[str, str]:
    return {r.scenario: r.status for r in run.results}


async def test_cpe_that_restarts_on_a_new_port_is_followed(tmp_path) -> None:
    cpe, target, run = await _run(tmp_path, restart_after=6.0)  # after P-2 gave up
    assert cpe.crashes == 1 and len(set(cpe.ports)) == 2, cpe.ports
    assert _status(run) == {"P-1": "passed", "P-2": "failed", "P-3": "passed", "P-4": "passed"}
    assert target.devices[0].cr_url.endswith(f":{cpe.ports[-1]}/cr")
    cause = next(r for r in run.results if r.scenario == "P-2")
    assert "GetParameterNames" in cause.message
    assert len(run.mandatory_failures) == 1


async def test_cpe_that_stays_away_blocks_the_rest_as_one_cause(tmp_path) -> None:
    _, _, run = await _run(tmp_path, restart_after=None)
    assert _status(run) == {"P-1": "passed", "P-2": "failed", "P-3": "blocked", "P-4": "blocked"}
    cause = next(r for r in run.results if r.scenario == "P-2")
    assert "went away after GetParameterNames" in cause.message
    assert any(
        e["method"] == "GetParameterNames" and "GetParameterNames" in e["body"]
        for e in cause.envelopes
    ), cause.envelopes
    for r in run.results:
        if r.status == "blocked":
            assert "P-2" in r.message and "GetParameterNames" in r.message, r.message
    assert [r.scenario for r in run.mandatory_failures] == ["P-2"]
    assert run.counts()["blocked"] == 2


@pytest.mark.parametrize("restart_after", [None])
async def test_blocked_is_reported_not_failed_in_junit(tmp_path, restart_after) -> None:
    from printbench.conformance.report.writers import junit_xml

    _, _, run = await _run(tmp_path, restart_after)
    xml = junit_xml(run)
    assert 'failures="1"' in xml and "blocked" in xml



async def test_blocked_shows_its_cause_in_the_html_report(tmp_path) -> None:
    from printbench.conformance.report.writers import render_html

    _, _, run = await _run(tmp_path, restart_after=None)
    html = render_html(run)
    assert html.count("went away after GetParameterNames in scenario P-2") == 2


async def test_summary_prints_one_line_per_cause(tmp_path) -> None:
    from rich.console import Console

    from printbench.conformance.cli import _summary

    _, _, run = await _run(tmp_path, restart_after=None)
    console = Console(record=True, width=200)
    _summary(console, run, {})
    text = console.export_text()
    assert text.count("BLOCKED") == 1 and "BLOCKED 2 scenario(s)" in text
    assert "1 mandatory failures, 2 blocked" in text
