"""scenarios/localized_strings.yaml (TP-181 5.7) on a built-in printer, and LOC-001 failing
against the defect it is for (a CPE that writes a carriage return raw, so the ACS's XML
parser reads CR LF as LF: REC-xml §2.11)."""

from __future__ import annotations

from printbench.conformance.engine import Engine
from printbench.conformance.scenario import default_dir, load_all
from printbench.conformance.steps.cpe import set_client_quirks


def localized(*ids: str):
    found = [s for s in load_all([default_dir()]) if s.area == "localized-strings"]
    return [s for s in found if not ids or s.id in ids]


async def test_localized_string_scenarios_pass_on_a_builtin_printer(small_target) -> None:
    scenarios = localized()
    assert {s.id for s in scenarios} == {f"LOC-00{i}" for i in range(1, 7)}
    run = await Engine(small_target).run(scenarios)
    assert all(r.status == "passed" for r in run.results), [
        (r.scenario.id, r.status, r.message) for r in run.results
    ]


async def test_loc_001_fails_against_a_cpe_that_sends_a_raw_carriage_return(small_target) -> None:
    (sc,) = localized("LOC-001")
    set_client_quirks(small_target.devices[0], frozenset({"xml-cr-literal"}))
    run = await Engine(small_target).run([sc])
    (res,) = run.results
    assert res.status == "failed"
    assert "ProvisioningCode" in res.message and "\\r\\n" in res.message, res.message
