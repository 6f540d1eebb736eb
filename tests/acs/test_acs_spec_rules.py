"""Verdict rules checked against the text of TR-069 Amd 6 (issue 12, item 4): each test is a
CPE behaviour the specification allows (no violation) or forbids (exactly that violation)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from printbench.cwmp import messages as m
from printbench.cwmp import soap

from .conftest import forced_params

CR = "6 CONNECTION REQUEST"


def rules(acs, cpe) -> list[str]:
    return sorted(v.rule for v in acs.verdicts(device=cpe.device_id))


async def open_session(cpe, **inform_kw):
    status, env, _ = await cpe.send(cpe.inform(**inform_kw), id="i1")
    assert status == 200 and isinstance(env.body, m.InformResponse), (status, env)
    return env


async def finish(cpe):
    status, env, _ = await cpe.send(None)
    assert status == 204, (status, env)


# -- forced-inform: judged by the version the device can have declared ------------------------


def _pre_2_4_params() -> dict[str, str]:
    """A Device:2.0-2.2 CPE: no RootDataModelVersion (2.4), no AliasBasedAddressing (2.3)."""
    params = forced_params()
    del params["Device.RootDataModelVersion"]
    del params["Device.ManagementServer.AliasBasedAddressing"]
    return params


async def test_forced_inform_device_without_root_data_model_version(acs, make_cpe):
    cpe = make_cpe()
    await open_session(cpe, params=_pre_2_4_params())
    await finish(cpe)
    assert rules(acs, cpe) == []


async def test_forced_inform_without_version_still_needs_the_2_0_parameters(acs, make_cpe):
    cpe = make_cpe()
    params = _pre_2_4_params()
    del params["Device.DeviceInfo.SoftwareVersion"]
    await open_session(cpe, params=params)
    await finish(cpe)
    got = acs.verdicts(device=cpe.device_id)
    assert [v.rule for v in got] == ["forced-inform"]
    assert "SoftwareVersion" in got[0].message
    assert "RootDataModelVersion" not in got[0].message
    assert "AliasBasedAddressing" not in got[0].message


async def test_forced_inform_declared_2_4_needs_alias_based_addressing(acs, make_cpe):
    cpe = make_cpe()
    params = forced_params(**{"Device.RootDataModelVersion": "2.4"})
    del params["Device.ManagementServer.AliasBasedAddressing"]
    await open_session(cpe, params=params)
    await finish(cpe)
    assert rules(acs, cpe) == ["forced-inform"]


# -- Connection Request and 6 CONNECTION REQUEST ----------------------------------------------


async def test_connection_request_answered_but_never_honoured(acs, make_cpe):
    cpe = make_cpe()
    await cpe.session()
    acs.device(cpe.device_id).pending_connection_requests += 1  # a CR answered 200
    await cpe.session(cpe.inform(events=("2 PERIODIC",)))  # may have been built before it
    assert rules(acs, cpe) == []
    await cpe.session(cpe.inform(events=("2 PERIODIC",)))  # the CR's session never came
    assert rules(acs, cpe) == ["connection-request-session"]


async def test_connection_request_honoured_in_the_next_session(acs, make_cpe):
    cpe = make_cpe()
    await cpe.session()
    acs.device(cpe.device_id).pending_connection_requests += 1
    await cpe.session(cpe.inform(events=(CR,)))
    await cpe.session(cpe.inform(events=("2 PERIODIC",)))
    assert rules(acs, cpe) == []


async def test_connection_request_event_with_no_request_sent(acs, make_cpe):
    cpe = make_cpe()
    await cpe.session()
    await cpe.session(cpe.inform(events=(CR,)))
    assert rules(acs, cpe) == ["connection-request-event"]


# -- request-after-empty-post is a MUST NOT ---------------------------------------------------


async def test_request_after_empty_post_is_mandatory(acs, make_cpe):
    cpe = make_cpe()
    await open_session(cpe)
    await finish(cpe)
    status, _, _ = await cpe.send(m.GetRPCMethods(), id="late")
    assert status == 200
    got = acs.verdicts(device=cpe.device_id)
    assert [(v.rule, v.severity) for v in got] == [("request-after-empty-post", "mandatory")]


async def test_request_after_empty_post_sent_while_held_is_fine(acs, make_cpe):
    cpe = make_cpe()
    acs.set_hold_on_inform(cpe.device_id)
    await open_session(cpe)
    await finish(cpe)  # held: this empty POST does not say "no more requests"
    status, _, _ = await cpe.send(m.GetRPCMethods(), id="after-hold")
    assert status == 200
    assert rules(acs, cpe) == []


# -- 14 HEARTBEAT ---------------------------------------------------------------------------------


async def test_heartbeat_event_is_known(acs, make_cpe):
    cpe = make_cpe()
    await open_session(cpe, events=("14 HEARTBEAT",))
    await finish(cpe)
    assert rules(acs, cpe) == []
    twice = make_cpe()
    await open_session(twice, events=("14 HEARTBEAT", "14 HEARTBEAT"))
    await finish(twice)
    assert rules(acs, twice) == ["event-single"]


# -- TransferComplete resent after a lost TransferCompleteResponse -----------------------------


def _tc(key: str) -> m.TransferComplete:
    t = datetime(2026, 1, 1, tzinfo=UTC)
    return m.TransferComplete(command_key=key, start_time=t, complete_time=t)


async def test_transfer_complete_resent_after_lost_response(acs, make_cpe):
    cpe = make_cpe()
    acs.enqueue(cpe.device_id, m.Download(command_key="dl9", url="http://127.60.0.1/fw.bin"))
    await cpe.session()
    events = ("7 TRANSFER COMPLETE", ("M Download", "dl9"))
    await open_session(cpe, events=events)
    status, env, _ = await cpe.send(_tc("dl9"), id="t1")
    assert status == 200 and env.method == "TransferCompleteResponse"
    # ... the response never reaches the CPE: it gives up the session, the ACS expires it
    acs.server.clock = _Later(acs.server.clock, 60)
    acs.expire_sessions()
    assert "dl9" in acs.device(cpe.device_id).outstanding_transfers
    # the CPE retries with the same events and the same TransferComplete: legitimate
    await cpe.session(cpe.inform(events=events, retry_count=1), requests=[_tc("dl9")])
    assert "transfer-complete-unmatched" not in rules(acs, cpe)
    assert acs.device(cpe.device_id).outstanding_transfers == {}
    # once acknowledged (the session ended normally), a third TransferComplete is unmatched
    await cpe.session(cpe.inform(events=events), requests=[_tc("dl9")])
    assert "transfer-complete-unmatched" in rules(acs, cpe)


async def test_transfer_complete_forgotten_once_the_next_message_arrives(acs, make_cpe):
    cpe = make_cpe()
    acs.enqueue(cpe.device_id, m.Download(command_key="dl10", url="http://127.60.0.1/fw.bin"))
    await cpe.session()
    await open_session(cpe, events=("7 TRANSFER COMPLETE", ("M Download", "dl10")))
    await cpe.send(_tc("dl10"), id="t1")
    assert "dl10" in acs.device(cpe.device_id).outstanding_transfers
    await cpe.send(m.GetRPCMethods(), id="t2")  # the CPE got our response: it moved on
    assert acs.device(cpe.device_id).outstanding_transfers == {}
    await finish(cpe)
    assert rules(acs, cpe) == []


class _Later:
    def __init__(self, clock, offset: float) -> None:
        self._clock, self._offset = clock, offset

    def monotonic(self) -> float:
        return self._clock.monotonic() + self._offset

    def now(self):
        return self._clock.now() + timedelta(seconds=self._offset)


# -- SOAPAction (TR-069 §3.4.1) ----------------------------------------------------------------


async def test_soapaction_with_quotes_on_a_response(acs, make_cpe):
    cpe = make_cpe()
    acs.enqueue(cpe.device_id, m.GetRPCMethods())
    await open_session(cpe)
    _, env, _ = await cpe.send(None)
    body = soap.encode(m.Envelope(m.GetRPCMethodsResponse(("Inform",)), id=env.id))
    status, _, _ = await cpe.post(body, headers={"SOAPAction": '""'})
    assert status == 204
    got = acs.verdicts(device=cpe.device_id)
    assert [(v.rule, v.severity) for v in got] == [("soapaction", "mandatory")]


async def test_soapaction_missing_on_a_fault(acs, make_cpe):
    cpe = make_cpe()
    acs.enqueue(cpe.device_id, m.Reboot(command_key="r"))
    await open_session(cpe)
    _, env, _ = await cpe.send(None)
    body = soap.encode(m.Envelope(m.Fault.of(9001), id=env.id))
    await cpe.post(body, headers={"SOAPAction": None})
    assert rules(acs, cpe) == ["soapaction"]


async def test_soapaction_on_an_empty_post(acs, make_cpe):
    cpe = make_cpe()
    await open_session(cpe)
    status, _, _ = await cpe.post(b"", headers={"SOAPAction": ""})
    assert status == 204
    assert rules(acs, cpe) == ["soapaction"]


async def test_soapaction_missing_on_a_request_is_optional(acs, make_cpe):
    cpe = make_cpe()
    body = soap.encode(m.Envelope(cpe.inform(), id="i1"))
    status, _, _ = await cpe.post(body, headers={"SOAPAction": None})
    assert status == 200
    await finish(cpe)
    got = acs.verdicts(device=cpe.device_id)
    assert [(v.rule, v.severity) for v in got] == [("soapaction-request", "optional")]


async def test_soapaction_right_on_every_post(acs, make_cpe):
    cpe = make_cpe()
    acs.enqueue(cpe.device_id, m.GetParameterValues(("Device.DeviceInfo.",)))
    acs.enqueue(cpe.device_id, m.Reboot(command_key="r"))
    await cpe.session(requests=[m.GetRPCMethods()])
    assert rules(acs, cpe) == []


def test_soap_action_values() -> None:
    assert soap.soap_action(b"") is None
    assert soap.soap_action(soap.encode(m.Envelope(m.GetRPCMethods(), id="1"))) == '""'
    assert soap.soap_action(soap.encode(m.Envelope(m.RebootResponse(), id="1"))) == ""
    assert soap.soap_action(soap.encode(m.Envelope(m.Fault.of(9001), id="1"))) == ""


# -- HoldRequests follows every ACS message ---------------------------------------------------


async def test_hold_released_by_the_response_to_a_held_request(acs, make_cpe):
    cpe = make_cpe()
    acs.set_hold_on_inform(cpe.device_id)
    await open_session(cpe)
    status, env, _ = await cpe.send(m.GetRPCMethods(), id="r1")  # violation: held
    assert status == 200 and env.hold_requests is not True  # ... and this answer releases
    status, env, _ = await cpe.send(m.GetRPCMethods(), id="r2")  # allowed now
    assert status == 200
    await finish(cpe)
    assert rules(acs, cpe) == ["hold-requests"]


async def test_hold_set_on_an_rpc_then_released_by_the_next(acs, make_cpe):
    cpe = make_cpe()
    acs.set_hold_on_inform(cpe.device_id)
    acs.enqueue(cpe.device_id, m.GetRPCMethods(), hold_requests=True)
    acs.enqueue(cpe.device_id, m.GetRPCMethods())
    await open_session(cpe)
    _, env, _ = await cpe.send(None)  # held: not "no more requests"
    assert env.hold_requests is True
    _, env, _ = await cpe.send(m.GetRPCMethodsResponse(("Inform",)), id=env.id)
    assert env.method == "GetRPCMethods" and env.hold_requests is not True
    await cpe.send(m.GetRPCMethods(), id="r3")  # the ACS's last message released the hold
    assert rules(acs, cpe) == []


# -- 0 BOOTSTRAP with 1 BOOT and M Reboot (ACS URL changed, then Reboot) -----------------------


async def test_bootstrap_with_boot_and_m_reboot_is_no_mandatory_violation(acs, make_cpe):
    cpe = make_cpe()
    acs.enqueue(cpe.device_id, m.Reboot(command_key="rb1"))
    await cpe.session()
    await cpe.session(cpe.inform(events=("0 BOOTSTRAP", "1 BOOT", ("M Reboot", "rb1"))))
    assert [v for v in acs.verdicts(device=cpe.device_id) if v.severity == "mandatory"] == []
