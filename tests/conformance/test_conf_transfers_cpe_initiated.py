"""scenarios/transfers_cpe_initiated.yaml against a CPE with a transfer defect: each scenario
fails on the defect it is about and passes on the same printer without it (issue 15 item 4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from printbench.conformance.engine import Engine
from printbench.conformance.scenario import load_file
from printbench.conformance.steps.cpe import set_client_quirks

FILE = Path(__file__).parents[2] / "scenarios" / "transfers_cpe_initiated.yaml"
SCENARIOS = {s.id: s for s in load_file(FILE)}


@pytest.mark.parametrize(
    ("scenario_id", "quirk", "why"),
    [
        ("TCI-001", "schedule-download-ignores-window", "schedule-download-window"),
        ("TCI-003", "request-download-no-event", "9 REQUEST DOWNLOAD"),
        ("TCI-004", "atc-ignores-policy", "AutonomousTransferComplete"),
    ],
)
async def test_scenario_fails_on_its_defect(small_target, scenario_id, quirk, why) -> None:
    set_client_quirks(small_target.devices[0], frozenset({quirk}))
    run = await Engine(small_target).run([SCENARIOS[scenario_id]])
    (res,) = run.results
    assert res.status == "failed", res.message
    assert why in (res.message or ""), res.message


async def test_scenarios_pass_without_the_defects(small_target) -> None:
    set_client_quirks(small_target.devices[0], frozenset())
    run = await Engine(small_target).run(list(SCENARIOS.values()))
    assert [r.status for r in run.results] == ["passed"] * len(SCENARIOS), [
        (r.scenario, r.message) for r in run.results
    ]
