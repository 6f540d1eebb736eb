"""A CPE that breaks one protocol rule gets exactly that violation; a correct one none."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

from printbench.cwmp import messages as m
from printbench.cwmp import soap


def rules(acs, cpe) -> list[str]:
    return sorted(v.rule for v in acs.verdicts(device=cpe.device_id))


async def open_session(cpe, **inform_kw):
    status, env, _ = await cpe.send(cpe.inform(**inform_kw), id="i1")
    assert status == 200 and isinstance(env.body, m.InformResponse), (status, env)
    return env


async def finish(cpe):
    status, env, _ = await cpe.send(None)
    assert status == 204, (status, env)


async def test_correct_cpe_full_lifecycle_has_no_violations(acs, make_cpe):
    """Download in one session, TransferComplete with 7 + M Download in the next, SPV key."""
    cpe = make_cpe()
    acs.enqueue(cpe.device_id, m.Download(command_key="dl1", url="http://127.60.0.1/fw.bin"))
    acs.enqueue(cpe.device_id, m.SetParameterValues(
        (m.ParameterValueStruct("Device.DeviceInfo.ProvisioningCode", "X"),), parameter_key="k1"))  # fmt: skip
    await cpe.session()
    params = cpe.forced_params(**{"Device.ManagementServer.ParameterKey": "k1"})
    await cpe.session(
        cpe.inform(events=("7 TRANSFER COMPLETE", ("M Download", "dl1")), params=params),
        requests=[m.TransferComplete(command_key="dl1", start_time=datetime(2026, 1, 1, tzinfo=UTC),
                                     complete_time=datetime(2026, 1, 1, 0, 1, tzinfo=UTC))],
    )  # fmt: skip
    assert acs.verdicts() == []
    assert acs.device(cpe.device_id).outstanding_transfers == {}


async def test_max_envelopes(acs, make_cpe):
    cpe = make_cpe()
    status, _, _ = await cpe.send(cpe.inform(max_envelopes=2))
    assert status == 400
    assert rules(acs, cpe) == ["max-envelopes"]


async def test_forced_inform_parameter_missing(acs, make_cpe):
    cpe = make_cpe()
    params = cpe.forced_params()
    del params["Device.DeviceInfo.SoftwareVersion"]
    await open_session(cpe, params=params)
    await finish(cpe)
    assert rules(acs, cpe) == ["forced-inform"]
    assert "Device.DeviceInfo.SoftwareVersion" in acs.verdicts()[0].message


async def test_forced_inform_respects_declared_model_version(acs, make_cpe):
    cpe = make_cpe()
    params = cpe.forced_params(**{"Device.RootDataModelVersion": "2.2"})
    del params["Device.ManagementServer.AliasBasedAddressing"]  # only since 2.3
    await open_session(cpe, params=params)
    await finish(cpe)
    assert rules(acs, cpe) == []


async def test_event_command_key_and_duplicates_and_unknown(acs, make_cpe):
    cpe = make_cpe()
    await open_session(cpe, events=(("2 PERIODIC", "x"),))
    await finish(cpe)
    assert rules(acs, cpe) == ["event-command-key"]
    cpe2 = make_cpe()
    await open_session(cpe2, events=("2 PERIODIC", "2 PERIODIC"))
    await finish(cpe2)
    assert rules(acs, cpe2) == ["event-single"]
    cpe3 = make_cpe()
    await open_session(cpe3, events=("99 SOMETHING",))
    await finish(cpe3)
    assert rules(acs, cpe3) == ["event-unknown"]


async def test_bootstrap_with_stale_events(acs, make_cpe):
    cpe = make_cpe()
    await open_session(cpe, events=("0 BOOTSTRAP", "1 BOOT", ("M Download", "old")))
    await finish(cpe)
    assert rules(acs, cpe) == ["bootstrap-alone"]


async def test_connection_request_event_without_request(acs, make_cpe):
    cpe = make_cpe()
    await open_session(cpe, events=("6 CONNECTION REQUEST",))
    await finish(cpe)
    assert rules(acs, cpe) == ["connection-request-event"]


async def test_m_reboot_missing_after_reboot(acs, make_cpe):
    cpe = make_cpe()
    acs.enqueue(cpe.device_id, m.Reboot(command_key="rb7"))
    await cpe.session()
    await open_session(cpe, events=("1 BOOT",))
    await finish(cpe)
    assert rules(acs, cpe) == ["m-reboot"]
    # and the right way round: no violation
    good = make_cpe()
    acs.enqueue(good.device_id, m.Reboot(command_key="rb8"))
    await good.session()
    await good.session(good.inform(events=("1 BOOT", ("M Reboot", "rb8"))))
    assert rules(acs, good) == []


async def test_retry_count_after_success(acs, make_cpe):
    cpe = make_cpe()
    await cpe.session()
    await open_session(cpe, retry_count=3)
    await finish(cpe)
    assert rules(acs, cpe) == ["retry-count"]


async def test_retry_count_after_failed_session(acs, make_cpe):
    cpe = make_cpe()
    await open_session(cpe)  # then the CPE disappears: the session expires
    acs.server.clock = _Later(acs.server.clock, 60)
    acs.expire_sessions()
    assert rules(acs, cpe) == ["session-end"]
    await open_session(cpe, retry_count=0)  # should be 1
    await finish(cpe)
    assert rules(acs, cpe) == ["retry-count", "session-end"]


async def test_parameter_key_not_updated(acs, make_cpe):
    cpe = make_cpe()
    acs.enqueue(cpe.device_id, m.AddObject("Device.Services.PrintService.", parameter_key="pk2"))
    await cpe.session()
    await open_session(cpe)  # still reports the old (empty) ParameterKey
    await finish(cpe)
    assert rules(acs, cpe) == ["parameter-key"]


async def test_parameter_key_checked_in_gpv(acs, make_cpe):
    cpe = make_cpe()

    def forgetful(req):
        if isinstance(req, m.GetParameterValues):
            return m.GetParameterValuesResponse(
                (m.ParameterValueStruct("Device.ManagementServer.ParameterKey", "old"),)
            )
        return cpe.answers(req)  # fmt: skip

    acs.enqueue(cpe.device_id, m.DeleteObject("Device.X.1.", parameter_key="pk3"))
    acs.enqueue(cpe.device_id, m.GetParameterValues(("Device.ManagementServer.ParameterKey",)))
    await cpe.session(handler=forgetful)
    assert rules(acs, cpe) == ["parameter-key"]


async def test_transfer_times_not_utc(acs, make_cpe):
    cpe = make_cpe()
    acs.enqueue(cpe.device_id, m.Download(command_key="d2", url="http://127.60.0.1/x"))
    await cpe.session()
    plus2 = timezone(timedelta(hours=2))
    tc = m.TransferComplete("d2", start_time=datetime(2026, 1, 1, 10, tzinfo=plus2),
                            complete_time=datetime(2026, 1, 1, 10, 1, tzinfo=plus2))  # fmt: skip
    await cpe.session(
        cpe.inform(events=("7 TRANSFER COMPLETE", ("M Download", "d2"))), requests=[tc]
    )
    assert rules(acs, cpe) == ["datetime-utc", "datetime-utc"]


async def test_fault_code_not_allowed_for_method(acs, make_cpe):
    cpe = make_cpe()
    item = acs.enqueue(cpe.device_id, m.GetParameterValues(("Device.",)))
    await cpe.session(handler=lambda req: m.Fault.of(9008))
    assert rules(acs, cpe) == ["fault-code-allowed"]
    assert item.future.exception().fault.fault_code == 9008


async def test_transfer_complete_fault_code(acs, make_cpe):
    cpe = make_cpe()
    acs.enqueue(cpe.device_id, m.Upload(command_key="u1", url="http://127.60.0.1/up"))
    await cpe.session()
    tc = m.TransferComplete("u1", fault_struct=m.FaultStruct(9005, "bad"))
    await cpe.session(cpe.inform(events=("7 TRANSFER COMPLETE", ("M Upload", "u1"))), requests=[tc])
    # the XSD enumerates TransferCompleteCPEFaultCodeType too, so both rules see it
    assert rules(acs, cpe) == ["transfer-fault-code", "xsd-valid"]


async def test_transfer_complete_unmatched(acs, make_cpe):
    cpe = make_cpe()
    await cpe.session(
        cpe.inform(events=("7 TRANSFER COMPLETE", ("M Download", "nope"))),
        requests=[m.TransferComplete("nope")],
    )
    assert rules(acs, cpe) == ["transfer-complete-unmatched"]


async def test_transfer_complete_without_events(acs, make_cpe):
    cpe = make_cpe()
    acs.enqueue(cpe.device_id, m.Download(command_key="d3", url="http://127.60.0.1/x"))
    await cpe.session()
    await cpe.session(requests=[m.TransferComplete("d3")])  # Inform says only 2 PERIODIC
    assert rules(acs, cpe) == ["transfer-complete-events"]


async def test_response_type_mismatch(acs, make_cpe):
    cpe = make_cpe()
    item = acs.enqueue(cpe.device_id, m.GetParameterValues(("Device.",)))
    await open_session(cpe)
    status, env, _ = await cpe.send(None)
    assert env.method == "GetParameterValues"
    status, _, _ = await cpe.send(m.SetParameterValuesResponse(0), id=env.id)
    assert status == 400
    assert rules(acs, cpe) == ["response-type"]
    assert item.future.done()


async def test_id_not_echoed(acs, make_cpe):
    cpe = make_cpe()
    acs.enqueue(cpe.device_id, m.GetRPCMethods())
    await open_session(cpe)
    _, _env, _ = await cpe.send(None)
    await cpe.send(m.GetRPCMethodsResponse(("GetRPCMethods",)), id="wrong")
    assert rules(acs, cpe) == ["id-echo"]


async def test_hold_requests_ignored(acs, make_cpe):
    cpe = make_cpe()
    acs.set_hold_on_inform(cpe.device_id)
    env = await open_session(cpe)
    assert env.hold_requests is True
    status, env, _ = await cpe.send(m.GetRPCMethods(), id="r1")  # a request while held
    assert status == 200 and env.method == "GetRPCMethodsResponse"
    await finish(cpe)
    assert rules(acs, cpe) == ["hold-requests"]


async def test_unexpected_response(acs, make_cpe):
    cpe = make_cpe()
    await open_session(cpe)
    status, _, _ = await cpe.send(m.GetParameterValuesResponse(()), id="x")
    assert status == 400
    assert rules(acs, cpe) == ["unexpected-response"]


async def test_session_must_start_with_inform(acs, make_cpe):
    cpe = make_cpe()
    status, env, _ = await cpe.send(m.GetRPCMethods())
    assert status == 400 and env.body.fault_code == 8003
    assert [v.rule for v in acs.verdicts()] == ["inform-first"]


async def test_id_without_must_understand(acs, make_cpe):
    cpe = make_cpe()
    await open_session(cpe)
    body = soap.encode(m.Envelope(m.GetRPCMethods(), id="q1")).replace(
        b' SOAP-ENV:mustUnderstand="1"', b""
    )
    status, data, _ = await cpe.post(body)
    # the codec refuses the envelope before it knows the method: the session fails
    assert status == 400 and b"Fault" in data
    assert rules(acs, cpe) == ["id-must-understand"]


async def test_request_without_id(acs, make_cpe):
    cpe = make_cpe()
    await open_session(cpe)
    status, _env, _ = await cpe.send(m.GetRPCMethods(), id=None)
    assert status == 200
    await finish(cpe)
    assert rules(acs, cpe) == ["id-present"]


async def test_namespace_changes_mid_session(acs, make_cpe):
    cpe = make_cpe()
    await open_session(cpe)
    await cpe.send(m.GetRPCMethods(), id="n1", namespace=m.CWMP_1_0)
    await finish(cpe)
    assert rules(acs, cpe) == ["namespace-consistent"]


async def test_schema_violation(acs, make_cpe):
    cpe = make_cpe()
    inform = cpe.inform()
    bad = m.Inform(**{**{f: getattr(inform, f) for f in ("event", "max_envelopes", "current_time",
                   "retry_count", "parameter_list")},
                   "device_id": m.DeviceIdStruct("ACME", "00AA11FF", "LaserPrinter", cpe.serial)})  # fmt: skip
    status, _, _ = await cpe.send(bad)
    assert status == 200
    await finish(cpe)
    got = acs.verdicts()
    assert {v.rule for v in got} == {"xsd-valid"}
    assert "OUI" in got[0].message


async def test_request_after_empty_post(acs, make_cpe):
    cpe = make_cpe()
    await open_session(cpe)
    await finish(cpe)  # empty POST, not held: "no more requests"
    status, env, _ = await cpe.send(m.GetRPCMethods(), id="late")
    assert status == 200 and env.method == "GetRPCMethodsResponse"
    assert rules(acs, cpe) == ["request-after-empty-post"]


async def test_retry_must_resend_same_request(acs, make_cpe):
    cpe = make_cpe()
    acs.set_retry_faults(cpe.device_id, 1)
    _status, env, _ = await cpe.send(cpe.inform(events=("2 PERIODIC",)))
    assert env.body.fault_code == 8005
    await open_session(cpe, events=("4 VALUE CHANGE",))
    await finish(cpe)
    assert rules(acs, cpe) == ["retry-same-request"]


async def test_current_time_without_zone(acs, make_cpe):
    cpe = make_cpe()
    await open_session(cpe, current_time=datetime(2026, 1, 1, 12, 0))
    await finish(cpe)
    assert rules(acs, cpe) == ["datetime-utc"]


async def test_expired_session_with_outstanding_rpc(acs, make_cpe):
    cpe = make_cpe()
    item = acs.enqueue(cpe.device_id, m.GetRPCMethods())
    await open_session(cpe)
    await cpe.send(None)  # gets the GetRPCMethods, never answers
    acs.server.clock = _Later(acs.server.clock, 31)
    assert len(acs.expire_sessions()) == 1
    assert rules(acs, cpe) == ["session-end"]
    assert not item.future.done()  # re-sent in the next session
    await cpe.session()
    assert (await item.result(1)).method_list


class _Later:
    """The same clock, ``seconds`` later (sessions compare monotonic times)."""

    def __init__(self, clock, seconds: float) -> None:
        self._clock, self._extra = clock, seconds

    def monotonic(self) -> float:
        return self._clock.monotonic() + self._extra

    def now(self):
        return self._clock.now() + timedelta(seconds=self._extra)


async def test_inform_waiter(acs, make_cpe):
    cpe = make_cpe()
    waiter = asyncio.ensure_future(
        acs.wait_inform(
            cpe.device_id,
            events=["1 BOOT"],
            params={"Device.DeviceInfo.HardwareVersion": "HW1"},
            timeout=5,
        )
    )
    await cpe.session()  # 2 PERIODIC: not it
    assert not waiter.done()
    await cpe.session(cpe.inform(events=("1 BOOT",)))
    device, inform = await waiter
    assert device.id == cpe.device_id and inform.event[0].event_code == "1 BOOT"


async def test_retry_count_across_a_reboot_is_not_mandatory(acs, make_cpe):
    """After a failed attempt, an Inform with 1 BOOT may restart RetryCount (TR-069 Table 3
    counts post-reboot retries): optional finding, not the mandatory retry-count."""
    cpe = make_cpe()
    await open_session(cpe)  # then the CPE disappears: the session expires
    acs.server.clock = _Later(acs.server.clock, 60)
    acs.expire_sessions()
    await open_session(cpe, retry_count=0, events=("1 BOOT",))
    await finish(cpe)
    found = [(v.rule, v.severity) for v in acs.verdicts(device=cpe.device_id)]
    assert ("retry-count-reboot", "optional") in found
    assert "retry-count" not in [r for r, _ in found]
