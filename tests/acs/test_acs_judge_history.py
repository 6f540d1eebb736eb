"""Judge rules that need history across attempts: CR credits, 401-refused attempts, BOOTSTRAP
ParameterKey, and the Inform resent after 8005 within one stub session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from printbench.cwmp import messages as m

from .conftest import forced_params

CR = "6 CONNECTION REQUEST"
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def rules(acs) -> list[str]:
    return [v.rule for v in acs.verdicts()]


async def test_cr_sent_during_a_session_is_credited_to_the_next(acs, make_cpe):
    cpe = make_cpe()
    await cpe.session()
    dev = acs.device(cpe.device_id)
    # a CR sent just before an Inform the CPE had already built (no 6 in it) ...
    dev.pending_connection_requests += 1
    await cpe.session(cpe.inform(events=("2 PERIODIC",)))
    # ... is claimed by the next session
    await cpe.session(cpe.inform(events=(CR,)))
    assert rules(acs) == []
    # several CRs coalesced into one session: one more 6 session right after is fine
    dev.pending_connection_requests += 3
    await cpe.session(cpe.inform(events=(CR,)))
    await cpe.session(cpe.inform(events=(CR,)))
    assert rules(acs) == []
    # but not a third one, nor one without any request
    await cpe.session(cpe.inform(events=(CR,)))
    assert rules(acs) == ["connection-request-event"]


async def test_cr_credit_survives_only_one_session_without_the_event(acs, make_cpe):
    cpe = make_cpe()
    await cpe.session()
    acs.device(cpe.device_id).pending_connection_requests += 1
    await cpe.session(cpe.inform(events=("2 PERIODIC",)))
    await cpe.session(cpe.inform(events=("2 PERIODIC",)))
    # the request was answered and never honoured (TR-069 §3.2.2) ...
    assert rules(acs) == ["connection-request-session"]
    await cpe.session(cpe.inform(events=(CR,)))
    # ... and a 6 CONNECTION REQUEST this late has no request left to justify it
    assert rules(acs) == ["connection-request-session", "connection-request-event"]


async def test_refused_attempts_count_in_retry_count(acs, make_cpe):
    cpe = make_cpe()
    await cpe.session()
    acs.set_device_auth(cpe.device_id, "digest", "u", "secret")
    for attempt in (1, 2):
        inform = cpe.inform(retry_count=attempt - 1, current_time=T0 + timedelta(seconds=attempt))
        status, _, _ = await cpe.send(inform, id=f"a{attempt}")
        assert status == 401
        # the same Inform again (a challenge answered wrongly) is the same attempt
        status, _, _ = await cpe.send(inform, id=f"a{attempt}")
        assert status == 401
    acs.set_device_auth(cpe.device_id, None)
    await cpe.session(cpe.inform(retry_count=2, current_time=T0 + timedelta(seconds=9)))
    assert rules(acs) == []
    await cpe.session(cpe.inform(retry_count=0))
    assert rules(acs) == []


async def test_refused_attempt_not_counted_is_a_violation(acs, make_cpe):
    cpe = make_cpe()
    await cpe.session()
    acs.set_device_auth(cpe.device_id, "digest", "u", "secret")
    status, _, _ = await cpe.send(cpe.inform(retry_count=0, current_time=T0), id="x")
    assert status == 401
    acs.set_device_auth(cpe.device_id, None)
    # RetryCount 0 although one attempt failed
    await cpe.session(cpe.inform(retry_count=0, current_time=T0 + timedelta(seconds=5)))
    assert rules(acs) == ["retry-count"]


async def test_bootstrap_inform_may_report_an_empty_parameter_key(acs, make_cpe):
    cpe = make_cpe()
    await cpe.session()
    spv = m.SetParameterValues(
        (m.ParameterValueStruct("Device.DeviceInfo.ProvisioningCode", "x"),), "key-1"
    )
    acs.enqueue(cpe.device_id, spv)
    await cpe.session(handler=cpe.answers)
    # factory reset: the key is "" again and the CPE bootstraps
    await cpe.session(cpe.inform(events=("0 BOOTSTRAP", "1 BOOT")))
    assert rules(acs) == []
    # and the expectation is gone for later sessions too
    await cpe.session(cpe.inform(params=forced_params()))
    assert rules(acs) == []


async def test_stale_parameter_key_without_bootstrap_is_still_flagged(acs, make_cpe):
    cpe = make_cpe()
    await cpe.session()
    spv = m.SetParameterValues(
        (m.ParameterValueStruct("Device.DeviceInfo.ProvisioningCode", "x"),), "key-2"
    )
    acs.enqueue(cpe.device_id, spv)
    await cpe.session(handler=cpe.answers)
    await cpe.session(cpe.inform(events=("1 BOOT",)))  # ParameterKey "" in forced_params()
    assert rules(acs) == ["parameter-key"]


async def test_inform_resent_after_8005_continues_the_same_session(acs, make_cpe):
    cpe = make_cpe()
    await cpe.session()
    acs.device(cpe.device_id).pending_connection_requests += 1
    acs.set_retry_faults(cpe.device_id, 1)
    events = await cpe.session(cpe.inform(events=(CR,)))
    names = [type(e).__name__ for e in events]
    assert names.count("RetryRequested") == 1 and names[-1] == "SessionEnded"
    entries = acs.journal(device=cpe.device_id)
    informs = [e for e in entries if e.get("method") == "Inform"]
    # both Informs (the 8005-answered one and the resend) in one stub session, which ended
    # normally; the CR counts for the Inform that was accepted
    assert len({e["session"] for e in informs[-2:]}) == 1
    ends = [
        e["note"]
        for e in entries
        if e["kind"] == "session" and e["session"] == informs[-1]["session"]
    ]
    assert ends == ["session started", "session done"]
    assert rules(acs) == []


async def test_inform_resent_after_8005_without_cookie_on_a_new_connection(acs, make_cpe):
    cpe = make_cpe()
    await cpe.session()
    acs.set_retry_faults(cpe.device_id, 1)
    inform = cpe.inform()
    status, env, _ = await cpe.send(inform, id="r1")
    assert status == 200 and isinstance(env.body, m.Fault) and env.body.fault_code == 8005
    other = make_cpe(cpe.serial)  # no cookie, another connection
    status, env, _ = await other.send(inform, id="r1")
    assert status == 200 and isinstance(env.body, m.InformResponse)
    status, _, _ = await other.send(None)
    assert status == 204
    assert rules(acs) == []
