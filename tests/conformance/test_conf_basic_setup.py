"""scenarios/basic_setup.yaml (TP-181 5.1) on a built-in printer, and BS-001 failing against
the defect it is for (a CPE that answers FactoryReset but resets nothing)."""

from __future__ import annotations

from printbench.conformance.engine import Engine
from printbench.conformance.scenario import default_dir, load_all
from printbench.conformance.steps.cpe import set_client_quirks


def basic_setup(*ids: str):
    found = [s for s in load_all([default_dir()]) if s.area == "basic-setup"]
    return [s for s in found if not ids or s.id in ids]


async def test_basic_setup_scenarios_pass_on_a_builtin_printer(small_target) -> None:
    scenarios = basic_setup()
    assert {s.id for s in scenarios} >= {f"BS-00{i}" for i in range(1, 8)}
    run = await Engine(small_target).run(scenarios)
    assert all(r.status == "passed" for r in run.results), [
        (r.scenario.id, r.status, r.message) for r in run.results
    ]


async def test_bs_001_fails_against_a_cpe_that_ignores_factory_reset(small_target) -> None:
    (sc,) = basic_setup("BS-001")
    set_client_quirks(small_target.devices[0], frozenset({"factory-reset-ignored"}))
    # time_scale 0.1: the step waits 4 s, not 40 s, for the 0 BOOTSTRAP that never comes (a
    # conforming printer on loopback sends it within a second of the FactoryReset)
    small_target.time_scale = 0.1
    run = await Engine(small_target).run([sc])
    (res,) = run.results
    assert res.status == "failed"
    assert "0 BOOTSTRAP" in res.message, res.message
