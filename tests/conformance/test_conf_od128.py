"""scenarios/plugfest.yaml (OD-128 Test 1, the ACS authenticates the CPE) on a built-in
printer, and OD-1.2 failing against a CPE that cannot answer a Digest challenge."""

from __future__ import annotations

from printbench.conformance.engine import Engine
from printbench.conformance.scenario import default_dir, load_all
from printbench.conformance.steps.cpe import set_client_quirks


def od128(*ids: str):
    found = [s for s in load_all([default_dir()]) if s.area == "authentication"]
    return [s for s in found if not ids or s.id in ids]


async def test_od128_scenarios_pass_on_a_builtin_printer(small_target) -> None:
    scenarios = od128()
    assert {s.id for s in scenarios} == {"OD-1.1", "OD-1.2"}
    run = await Engine(small_target).run(scenarios)
    assert all(r.status == "passed" for r in run.results), [
        (r.scenario.id, r.status, r.message) for r in run.results
    ]


async def test_od_1_2_fails_against_a_basic_only_cpe(small_target) -> None:
    (sc,) = od128("OD-1.2")
    set_client_quirks(small_target.devices[0], frozenset({"auth-basic-only"}))
    run = await Engine(small_target).run([sc])
    (res,) = run.results
    assert res.status == "failed"
    assert "connection request" in res.message.lower() or "Digest" in res.message, res.message
