"""scenarios/tls.yaml on a built-in printer, and TLS-004 failing against the defect it is for
(a CPE that checks the ACS certificate's chain but not its host name)."""

from __future__ import annotations

from printbench.conformance.engine import Engine
from printbench.conformance.scenario import default_dir, load_all
from printbench.conformance.steps.cpe import set_client_quirks


def tls_scenarios():
    return [s for s in load_all([default_dir()]) if s.area == "tls"]


async def test_tls_scenarios_pass_on_a_builtin_printer(small_target) -> None:
    scenarios = tls_scenarios()
    assert {s.id for s in scenarios} >= {"TLS-001", "TLS-002", "TLS-003", "TLS-004"}
    run = await Engine(small_target).run(scenarios)
    assert all(r.status == "passed" for r in run.results), [
        (r.scenario.id, r.status, r.message) for r in run.results
    ]
    # the bench put the device back on its plain-HTTP URL afterwards
    assert small_target.devices[0].cwmp_client().acs_transport is None


async def test_tls_004_fails_against_a_cpe_that_skips_the_host_name_check(small_target) -> None:
    (sc,) = [s for s in tls_scenarios() if s.id == "TLS-004"]
    device = small_target.devices[0]
    set_client_quirks(device, frozenset({"tls-no-hostname-check"}))
    run = await Engine(small_target).run([sc])
    (res,) = run.results
    assert res.status == "failed"
    assert "the session was to be refused" in res.message
    assert "wrong-host" in res.message
