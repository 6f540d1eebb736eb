"""The engine on a small built-in target: real stub ACS, real virtual printer, real client."""

from __future__ import annotations

from printbench.conformance.engine import Engine
from printbench.conformance.scenario import parse_scenarios

PASSING = """\
id: E-PASS
title: reads, writes and observes
area: engine
steps:
  - rpc: GetRPCMethods
    expect: {method_list: {contains: GetParameterValues}}
  - get: {PS.Status.SerialNumber: "${device.serial}"}
  - set: {PS.Description.ServiceLocation: "Engine ${token}"}
    verify: truth
  - truth: description.location
    expect: "Engine ${token}"
  - wait_inform: {after: start, events: [0 BOOTSTRAP]}
  - check_parameters
"""

FAILING = """\
id: E-FAIL
title: a check that cannot hold
area: engine
steps:
  - rpc: GetRPCMethods
  - get: {PS.Status.SerialNumber: "not-the-serial"}
  - log: never reached
"""

FAULT = """\
id: E-FAULT
title: faults are checked too
area: engine
steps:
  - get: PS.NoSuchThing
    expect_fault: 9005
  - get: PS.NoSuchThing
"""


async def test_passing_scenario_passes_and_fills_the_matrix(small_target) -> None:
    (sc,) = parse_scenarios(PASSING, "pass.yaml")
    run = await Engine(small_target).run([sc])
    (res,) = run.results
    assert res.status == "passed", res.message
    assert [s.status for s in res.steps] == ["passed"] * len(sc.steps)
    assert small_target.devices[0].printer.state.description.location.startswith("Engine ")
    statuses = {c.status for c in run.cells}
    assert "pass" in statuses and "fail" not in statuses
    assert run.ok


async def test_failing_step_names_file_line_and_envelopes(small_target) -> None:
    (sc,) = parse_scenarios(FAILING, "fail.yaml")
    run = await Engine(small_target).run([sc])
    (res,) = run.results
    assert res.status == "failed"
    assert res.failed_where == "fail.yaml:6: step 2 (get)"
    assert "not-the-serial" in res.message
    assert [s.status for s in res.steps] == ["passed", "failed"]  # stops at the failure
    methods = [e["method"] for e in res.envelopes]
    assert "GetParameterValues" in methods and "GetParameterValuesResponse" in methods
    assert not run.ok


async def test_expected_fault_passes_unexpected_fault_fails(small_target) -> None:
    (sc,) = parse_scenarios(FAULT, "fault.yaml")
    run = await Engine(small_target).run([sc])
    (res,) = run.results
    assert [s.status for s in res.steps] == ["passed", "failed"]
    assert "fault 9005" in res.message


async def test_not_applicable_scenarios_are_skipped_not_passed(small_target) -> None:
    (sc,) = parse_scenarios(PASSING.replace("area: engine", "area: engine\nvia: [proxy]"), "x.yaml")
    run = await Engine(small_target).run([sc])
    assert [r.status for r in run.results] == ["skipped"]
    assert not run.ok  # nothing passed: an empty run is not a success


async def test_acs_violation_seen_by_the_cpe_fails_the_scenario(small_target) -> None:
    """What the in-process CPE records against the ACS (a cwmp:ID not echoed, TR-069 §3.5
    Table 4; detection itself: tests/proxy/test_proxy_retry.py) is a mandatory finding in the
    scenario's result, so a run against a third-party ACS reports it instead of hiding it."""
    from printbench.cwmp import messages as m

    (sc,) = parse_scenarios(PASSING, "pass.yaml")
    cpe = small_target.devices[0].cwmp_client()
    cpe.record_acs_violation("acs-id-echo", "TR-069 §3.5 Table 4 (cwmp:ID)", "before the run")
    answer = cpe._handlers[m.GetRPCMethods]

    def get_rpc_methods(req):
        cpe.record_acs_violation(
            "acs-id-echo", "TR-069 §3.5 Table 4 (cwmp:ID)", "InformResponse carries cwmp:ID 'x'"
        )
        return answer(req)

    cpe.register(m.GetRPCMethods, get_rpc_methods)
    run = await Engine(small_target).run([sc])
    (res,) = run.results
    assert res.status == "failed"
    found = [(v["rule"], v["severity"]) for v in res.violations]
    assert found == [("acs-id-echo", "mandatory")]  # only the one during the scenario
    assert "cwmp:ID 'x'" in res.violations[0]["message"]
    notes = [e.note for e in small_target.acs.server.journal.entries() if e.kind == "note"]
    assert any(n.startswith("acs-id-echo") and "cwmp:ID 'x'" in n for n in notes)


async def test_acs_target_strict_setting_reaches_the_embedded_clients(tmp_path) -> None:
    """``strict: true`` in an acs target: our clients end a session on a non-echoed cwmp:ID
    (then the retry table applies) instead of recording it and going on."""
    from printbench.conformance.targets import load_target
    from tests.conformance.conftest import base_address

    path = tmp_path / "acs.yaml"
    path.write_text(
        "kind: acs\nacs_url: http://127.0.0.1:9/acs\nprofiles: [mono-desktop-laser]\n"
        f"base_address: {base_address()}\nstrict: true\n"
    )
    target = load_target(path, tmp_path)
    await target.start()
    try:
        (device,) = target.devices
        assert device.cwmp_client().config.strict is True
    finally:
        await target.stop()
