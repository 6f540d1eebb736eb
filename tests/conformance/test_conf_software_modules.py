"""scenarios/software_modules.yaml on a real built-in target (issue 15, item 1): it passes on
a printer whose client reports ChangeDUState, and FAILS on one with the defect injected
(quirk ``no-du-state-change-complete``: the operations are done, no DUStateChangeComplete)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from printbench.conformance.engine import Engine
from printbench.conformance.scenario import default_dir, parse_scenarios
from printbench.conformance.steps.cpe import set_client_quirks
from printbench.conformance.targets import BuiltinTarget, load_target

from .conftest import base_address

FILE = default_dir() / "software_modules.yaml"


def scenarios(*ids: str):
    found = parse_scenarios(FILE.read_text(encoding="utf-8"), str(FILE))
    return [s for s in found if s.id in ids]


@pytest.fixture
async def target(tmp_path: Path) -> AsyncIterator[BuiltinTarget]:
    t = load_target(
        None,
        tmp_path,
        {
            "profiles": ["color-laser-mfp"],
            "via": ["embedded"],
            "base_address": base_address(),
            "time_scale": 0.2,
        },
    )
    await t.start()
    try:
        yield t  # type: ignore[misc]
    finally:
        await t.stop()


async def test_conf_software_modules_scenarios_pass(target) -> None:
    run = await Engine(target).run(scenarios("SM-000", "SM-001", "SM-002", "SM-003"))
    assert [r.status for r in run.results] == ["passed"] * 4, [r.message for r in run.results]
    # the report says the EU went Active (the step before the note checked it)
    from printbench.conformance.report.writers import render_html, results_json

    sm1 = next(r for r in results_json(run)["results"] if r["scenario"] == "SM-001")
    note = next(n for n in sm1["notes"] if "RequestedState=Active" in n)
    assert note.startswith("Device.SoftwareModules.ExecutionUnit.") and "Status is Active" in note
    assert note in render_html(run)
    # the scenario cleans up after itself: what it installed is gone again
    state = target.devices[0].printer.state
    assert "pb-app-" not in state.software.inventory


async def test_conf_software_modules_fail_without_du_state_change_complete(target) -> None:
    set_client_quirks(target.devices[0], frozenset({"no-du-state-change-complete"}))
    run = await Engine(target).run(scenarios("SM-001"))
    (res,) = run.results
    assert res.status == "failed"
    assert "DUStateChangeComplete" in res.message, res.message
