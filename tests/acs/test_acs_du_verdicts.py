"""The stub ACS judges DUStateChangeComplete and AutonomousDUStateChangeComplete (issue 15).

A scripted CPE (the cwmp CPE machine over real HTTP) accepts a ChangeDUState and reports it
rightly or wrongly; the ACS answers every report with its response and names each mistake.
"""

from __future__ import annotations

from printbench.cwmp import du as D
from printbench.cwmp import messages as m

UUID = D.generated_uuid("ACME", "App")


def rules(acs, cpe) -> list[str]:
    return sorted(v.rule for v in acs.verdicts(device=cpe.device_id))


def result() -> m.OpResultStruct:
    return D.OpOutcome("Install", uuid=UUID, current_state="Installed", resolved=True,
                       start_time="2026-12-04T10:00:00Z",
                       complete_time="2026-12-04T10:00:01Z").op_result()  # fmt: skip


def handler(cpe):
    def answer(req: m.Message) -> m.Message:
        if isinstance(req, m.ChangeDUState):
            return m.ChangeDUStateResponse()
        return cpe.answers(req)

    return answer


async def accepted(acs, cpe, key: str, ops: int = 1) -> None:
    op = m.InstallOpStruct("http://127.60.0.1/app.du")
    acs.enqueue(cpe.device_id, m.ChangeDUState((op,) * ops, key))
    await cpe.session(handler=handler(cpe))


def responses(events) -> list[str]:
    return [type(e.response).__name__ for e in events if hasattr(e, "response")]


async def test_du_complete_correct_has_no_violations(acs, make_cpe):
    cpe = make_cpe()
    await accepted(acs, cpe, "k1")
    events = await cpe.session(
        cpe.inform(events=("11 DU STATE CHANGE COMPLETE", ("M ChangeDUState", "k1"))),
        requests=[m.DUStateChangeComplete((result(),), "k1")],
    )
    assert "DUStateChangeCompleteResponse" in responses(events)
    assert rules(acs, cpe) == []


async def test_du_complete_unmatched_and_wrong_count(acs, make_cpe):
    cpe = make_cpe()
    await cpe.session(
        cpe.inform(events=("11 DU STATE CHANGE COMPLETE", ("M ChangeDUState", "nope"))),
        requests=[m.DUStateChangeComplete((result(),), "nope")],
    )
    assert rules(acs, cpe) == ["du-complete-unmatched"]
    await accepted(acs, cpe, "two", ops=2)
    await cpe.session(
        cpe.inform(events=("11 DU STATE CHANGE COMPLETE", ("M ChangeDUState", "two"))),
        requests=[m.DUStateChangeComplete((result(),), "two")],
    )
    assert rules(acs, cpe) == ["du-complete-results", "du-complete-unmatched"]


async def test_du_complete_without_events(acs, make_cpe):
    cpe = make_cpe()
    await accepted(acs, cpe, "k2")
    await cpe.session(requests=[m.DUStateChangeComplete((result(),), "k2")])
    assert rules(acs, cpe) == ["du-complete-events"]


async def test_autonomous_du_complete_needs_event_12(acs, make_cpe):
    cpe = make_cpe()
    auton = D.OpOutcome("Install", uuid=UUID, current_state="Installed").auton_op_result()
    events = await cpe.session(requests=[m.AutonomousDUStateChangeComplete((auton,))])
    assert "AutonomousDUStateChangeCompleteResponse" in responses(events)
    assert rules(acs, cpe) == ["autonomous-du-events"]
    await cpe.session(
        cpe.inform(events=("12 AUTONOMOUS DU STATE CHANGE COMPLETE",)),
        requests=[m.AutonomousDUStateChangeComplete((auton,))],
    )
    assert rules(acs, cpe) == ["autonomous-du-events"]  # no new one
