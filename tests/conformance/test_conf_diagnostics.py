"""scenarios/diagnostics.yaml on a built-in target through both paths (embedded client and
proxy), and against a CPE with the defect the scenario exists to catch (quirk
``no-diagnostics-complete``: the test runs, the 8 DIAGNOSTICS COMPLETE event never comes)."""

from __future__ import annotations

from pathlib import Path

from printbench.conformance.engine import Engine
from printbench.conformance.scenario import default_dir, load_all
from printbench.conformance.steps.cpe import set_client_quirks
from printbench.conformance.targets import load_target

from .conftest import base_address


def diagnostics_scenarios():
    found = [s for s in load_all([default_dir()]) if s.area == "diagnostics"]
    assert len(found) >= 6
    return found


async def _run(tmp_path: Path, profile: str, via: list[str], quirks=frozenset(), scale=1.0):
    settings = {"profiles": [profile], "via": via, "base_address": base_address(),
                "time_scale": scale}  # fmt: skip
    target = load_target(None, tmp_path, settings)
    await target.start()
    try:
        for device in target.devices:
            set_client_quirks(device, quirks)
        return await Engine(target).run(diagnostics_scenarios())
    finally:
        await target.stop()


async def test_diagnostics_scenarios_pass_through_both_paths(tmp_path: Path) -> None:
    run = await _run(tmp_path, "mono-desktop-laser", ["embedded", "proxy"])
    bad = [(r.scenario, r.via, r.message) for r in run.results if r.status != "passed"]
    assert not bad, bad
    assert {r.via for r in run.results} == {"embedded", "proxy"}


async def test_diagnostics_scenarios_fail_without_the_complete_event(tmp_path: Path) -> None:
    run = await _run(tmp_path, "mono-desktop-laser", ["embedded"],
                     frozenset({"no-diagnostics-complete"}), scale=0.1)  # fmt: skip
    # time_scale 0.1: each step waits 3 s for the event that never comes, not 30 s (a
    # loopback diagnostic completes in well under a second)
    failed = [r for r in run.results if r.status == "failed"]
    assert len(failed) == len(run.results), [(r.scenario, r.status) for r in run.results]
    assert all("diagnostics-complete-event" in r.message for r in failed), [
        r.message for r in failed
    ]
    assert not run.ok
