"""End-to-end sessions between scripted CPEs and the stub ACS, through every RPC."""

from __future__ import annotations

import asyncio

import pytest

from printbench.acs_stub.rpc_queue import RpcFault
from printbench.cwmp import messages as m
from printbench.cwmp.session import InformAccepted, SessionEnded

from .conftest import cpe_headers


async def test_periodic_session_with_gpv_correct_cpe_has_no_violations(acs, make_cpe):
    cpe = make_cpe()
    pending = asyncio.ensure_future(
        acs.call(cpe.device_id, m.GetParameterValues(("Device.DeviceInfo.",)), timeout=10)
    )
    await asyncio.sleep(0)
    events = await cpe.session()
    assert isinstance(events[0], InformAccepted)
    assert isinstance(events[-1], SessionEnded)
    response = await pending
    assert isinstance(response, m.GetParameterValuesResponse)
    assert {p.name for p in response.parameter_list} >= {"Device.DeviceInfo.SoftwareVersion"}
    device = acs.device(cpe.device_id)
    assert device.params["Device.DeviceInfo.HardwareVersion"] == "HW1"
    assert device.cr_url == "http://127.60.0.1:7547/cr"
    assert acs.verdicts() == []
    methods = [e["method"] for e in acs.journal(device=cpe.device_id) if e["kind"] == "http"]
    assert methods == ["Inform", "InformResponse", "", "GetParameterValues",
                       "GetParameterValuesResponse", ""]  # fmt: skip


EVERY_RPC = [
    m.GetRPCMethods(),
    m.SetParameterValues((m.ParameterValueStruct("Device.DeviceInfo.ProvisioningCode", "P1"),), "k9"),
    m.GetParameterValues(("Device.DeviceInfo.ProvisioningCode",)),
    m.GetParameterNames("Device.DeviceInfo.", True),
    m.SetParameterAttributes((m.SetParameterAttributesStruct("Device.DeviceInfo.SoftwareVersion", True, 2),)),
    m.GetParameterAttributes(("Device.DeviceInfo.SoftwareVersion",)),
    m.AddObject("Device.Services.PrintService.", "k10"),
    m.DeleteObject("Device.Services.PrintService.1.", "k11"),
    m.Download(command_key="d1", url="http://127.60.0.1/fw.bin", file_size=10),
    m.Upload(command_key="u1", url="http://127.60.0.1/up/log"),
    m.ScheduleInform(delay_seconds=5, command_key="s1"),
    m.GetQueuedTransfers(),
    m.GetAllQueuedTransfers(),
    m.CancelTransfer("d1"),
    m.GetOptions("x"),
    m.FactoryReset(),
    m.Reboot("r1"),
]  # fmt: skip


async def test_every_rpc_round_trips(acs, make_cpe):
    cpe = make_cpe()
    items = [acs.enqueue(cpe.device_id, rpc) for rpc in EVERY_RPC]
    await cpe.session()
    for rpc, item in zip(EVERY_RPC, items, strict=True):
        response = await item.result(1)
        assert response.METHOD == rpc.METHOD + "Response"
    assert acs.verdicts() == []
    device = acs.device(cpe.device_id)
    assert device.expected_parameter_key == "k11"
    assert device.pending_reboot_key == "r1"
    assert device.outstanding_transfers == {"d1": "Download", "u1": "Upload"}


async def test_fault_resolves_future_with_rpcfault(acs, make_cpe):
    cpe = make_cpe()
    task = asyncio.ensure_future(
        acs.call(cpe.device_id, m.GetParameterValues(("Nope.",)), timeout=5)
    )
    await asyncio.sleep(0)
    await cpe.session()
    with pytest.raises(RpcFault) as info:
        await task
    assert info.value.fault.fault_code == 9005


async def test_hold_requests_on_inform_holds_transfer_complete_until_released(acs, make_cpe):
    """OKTET hold_req.c: while held, no TransferComplete; after release, it arrives."""
    cpe = make_cpe()
    acs.enqueue(cpe.device_id, m.Download(command_key="h1", url="http://127.60.0.1/fw"))
    await cpe.session()
    acs.set_hold_on_inform(cpe.device_id)
    acs.enqueue(cpe.device_id, m.GetParameterNames("Device.", True), hold_requests=True)
    acs.enqueue(cpe.device_id, m.GetRPCMethods())  # sent without HoldRequests: releases it
    await cpe.session(
        cpe.inform(events=("7 TRANSFER COMPLETE", ("M Download", "h1"))),
        requests=[m.TransferComplete("h1")],
    )
    sid = acs.device(cpe.device_id).session_ids[-1]
    flow = [
        (e["method"], e["http_status"]) for e in acs.journal(session=sid) if e["kind"] == "http"
    ]
    # The CPE gets its turn only after the ACS's next empty response, then sends the
    # TransferComplete it held all along.
    assert flow == [
        ("Inform", None), ("InformResponse", 200),
        ("", None), ("GetParameterNames", 200),
        ("GetParameterNamesResponse", None), ("GetRPCMethods", 200),
        ("GetRPCMethodsResponse", None), ("", 204),
        ("TransferComplete", None), ("TransferCompleteResponse", 200),
        ("", None), ("", 204),
    ]  # fmt: skip
    assert acs.verdicts() == []


async def test_hold_requests_on_an_rpc(acs, make_cpe):
    cpe = make_cpe()
    acs.enqueue(cpe.device_id, m.GetRPCMethods(), hold_requests=True)
    seen = []
    await cpe.session(
        requests=[m.GetRPCMethods()],
        on_event=lambda ev, machine: seen.append(machine.hold_requests),
    )
    assert True in seen
    assert acs.verdicts() == []


async def test_transfer_complete_after_the_empty_post(acs, make_cpe):
    """Held until the ACS's 204; delivered after it, in the lingering session."""
    cpe = make_cpe()
    acs.enqueue(cpe.device_id, m.Download(command_key="late", url="http://127.60.0.1/fw"))
    await cpe.session()
    acs.set_hold_on_inform(cpe.device_id)
    await cpe.session(
        cpe.inform(events=("7 TRANSFER COMPLETE", ("M Download", "late"))),
        requests=[m.TransferComplete("late")],
    )
    entries = [e for e in acs.journal(device=cpe.device_id) if e["kind"] == "http"][-8:]
    flow = [(e["direction"], e["method"], e["http_status"]) for e in entries]
    assert flow[-4:] == [
        ("cpe->acs", "TransferComplete", None),
        ("acs->cpe", "TransferCompleteResponse", 200),
        ("cpe->acs", "", None),
        ("acs->cpe", "", 204),
    ]
    assert acs.verdicts() == []
    assert acs.device(cpe.device_id).outstanding_transfers == {}


async def test_8005_on_inform_and_on_transfer_complete(acs, make_cpe):
    cpe = make_cpe()
    acs.enqueue(cpe.device_id, m.Download(command_key="r", url="http://127.60.0.1/fw"))
    await cpe.session()
    acs.set_retry_faults(cpe.device_id, 2)
    events = await cpe.session(
        cpe.inform(events=("7 TRANSFER COMPLETE", ("M Download", "r"))),
        requests=[m.TransferComplete("r")],
    )
    names = [type(e).__name__ for e in events]
    assert names.count("RetryRequested") == 2
    assert names[-1] == "SessionEnded"
    faults = [e for e in acs.journal(device=cpe.device_id) if e["note"] == "scripted 8005"]
    assert len(faults) == 2
    assert acs.verdicts() == []


async def test_second_concurrent_inform_is_refused(acs, make_cpe):
    cpe = make_cpe()
    await cpe.send(cpe.inform())
    other = make_cpe(cpe.serial)  # same device, another connection, no cookie
    status, _, data = await other.send(other.inform())
    assert status == 400 and b"CPE already in session" in data
    status, _, _ = await cpe.send(None)
    assert status == 204
    events = await other.session()  # after the first session ended: fine
    assert isinstance(events[-1], SessionEnded)


async def test_session_continues_by_cookie_on_new_connections(acs, make_cpe):
    import aiohttp

    cpe = make_cpe()
    await cpe.http.close()
    cpe.http = aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True),
        connector=aiohttp.TCPConnector(force_close=True),
    )
    acs.enqueue(cpe.device_id, m.GetRPCMethods())
    events = await cpe.session()
    assert isinstance(events[-1], SessionEnded)
    cookies = [
        e["headers"].get("Cookie")
        for e in acs.journal(device=cpe.device_id)
        if e["direction"] == "cpe->acs"
    ]
    assert cookies[0] is None and all(c and c.startswith("session=") for c in cookies[1:])


async def test_cookie_path_quirk(tmp_path, make_cpe):
    from printbench.acs_stub.control import AcsControl
    from printbench.acs_stub.server import AcsConfig

    async with await AcsControl.start(
        AcsConfig(port=0, control_port=0, cookie_path="/", journal_dir=tmp_path)
    ) as acs2:
        from aiohttp import ClientSession

        async with ClientSession() as http:
            cpe = make_cpe()
            from printbench.cwmp import soap

            body = soap.encode(m.Envelope(cpe.inform(), id="1"))
            async with http.post(acs2.server.cwmp_url, data=body) as resp:
                assert resp.status == 200
                assert resp.headers["Set-Cookie"].endswith("; Path=/")


async def test_session_timeout_with_fake_clock(tmp_path, make_cpe):
    from printbench.acs_stub.control import AcsControl
    from printbench.acs_stub.server import AcsConfig
    from printbench.common.clock import FakeClock

    clock = FakeClock()
    async with await AcsControl.start(
        AcsConfig(port=0, control_port=0, session_timeout=5, journal_dir=tmp_path), clock=clock
    ) as acs2:
        cpe = make_cpe()
        cpe.url = acs2.server.cwmp_url
        await cpe.send(cpe.inform())
        sid = acs2.device(cpe.device_id).session_ids[-1]
        clock.advance(4)
        assert acs2.expire_sessions() == []
        clock.advance(2)
        assert acs2.expire_sessions() == [sid]
        assert await acs2.wait_session_end(sid) == "expired"
        notes = [e["note"] for e in acs2.journal(session=sid) if e["kind"] == "session"]
        assert notes == ["session started", "session expired"]
        status, _env, _ = await cpe.send(None)  # the old cookie is dead
        assert status == 400
        events = await cpe.session()
        assert isinstance(events[-1], SessionEnded)


async def test_two_devices_on_one_pooled_connection(acs, make_cpe):
    """A proxy multiplexing virtual devices over one keep-alive connection."""
    import aiohttp

    from printbench.cwmp import soap

    a, b = make_cpe(), make_cpe()
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.DummyCookieJar(), connector=aiohttp.TCPConnector(limit=1)
    ) as http:

        async def post(body: bytes, cookie: str | None = None):
            headers = cpe_headers(body)
            if cookie:
                headers["Cookie"] = cookie
            async with http.post(acs.server.cwmp_url, data=body, headers=headers) as resp:
                await resp.read()
                return resp.status, resp.headers.get("Set-Cookie", "").split(";")[0]

        status, cookie_a = await post(soap.encode(m.Envelope(a.inform(), id="a")))
        assert status == 200
        status, cookie_b = await post(soap.encode(m.Envelope(b.inform(), id="b")))
        assert status == 200 and cookie_b != cookie_a
        assert (await post(b"", cookie_a))[0] == 204
        assert (await post(b"", cookie_b))[0] == 204
    assert [e["note"] for e in acs.journal() if e["kind"] == "session"].count("session done") == 2
    assert acs.verdicts() == []
