"""End-to-end sessions between scripted CPEs and the stub ACS, through every RPC."""

from __future__ import annotations

import asyncio

import pytest

from acs_stub.rpc_queue import RpcFault
from cwmp import messages as m
from cwmp.session import InformAccepted, RequestReceived, SessionEnded


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
