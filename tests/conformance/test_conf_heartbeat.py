"""scenarios/heartbeat.yaml against a CPE with a heartbeat defect: each scenario fails on the
defect it is about, and passes on the same printer without it (issue 15 item 3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from printbench.conformance.engine import Engine
from printbench.conformance.scenario import load_file
from printbench.conformance.steps.cpe import set_client_quirks

SCENARIOS = {s.id: s for s in load_file(Path(__file__).parents[2] / "scenarios" / "heartbeat.yaml")}


async def _run(target, scenario_id: str, quirks: frozenset[str]):
    device = target.devices[0]
    set_client_quirks(device, quirks)
    run = await Engine(target).run([SCENARIOS[scenario_id]])
    (res,) = run.results
    return res


@pytest.mark.parametrize(
    ("scenario_id", "quirk", "why"),
    [
        ("HB-001", "heartbeat-ignores-phase", "heartbeat-phase"),
        ("HB-002", "heartbeat-combined", "14 HEARTBEAT"),
    ],
)
async def test_heartbeat_scenario_fails_on_its_defect(small_target, scenario_id, quirk, why):
    res = await _run(small_target, scenario_id, frozenset({quirk}))
    assert res.status == "failed", res.message
    assert why in (res.message or ""), res.message


async def test_heartbeat_scenarios_pass_without_the_defect(small_target) -> None:
    set_client_quirks(small_target.devices[0], frozenset())
    run = await Engine(small_target).run(list(SCENARIOS.values()))
    assert [r.status for r in run.results] == ["passed", "passed"], [r.message for r in run.results]
