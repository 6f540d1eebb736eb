"""Issue 17 items 1 and 5: the EWS shows what other faces wrote and takes it back.

Every face writes through the state's one rule, so no face can store text the EWS would then
refuse: GET /api/config/printer-info and POST it back unchanged must answer 200, whatever
SNMP, TR-069 and IPP were asked to write. The EWS itself refuses such text with 400 and a
message naming the field."""

from __future__ import annotations

import contextlib
from typing import Any

import aiohttp
import pytest

from printbench.cwmp import params as P
from printbench.cwmp_cpe import FakeTime
from printbench.emulator.snmp.mib import MibDevice, SetError, apply_set, plan_set
from printbench.emulator.tr069 import view as V
from printbench.snmp import ber

SYS_LOCATION = (1, 3, 6, 1, 2, 1, 1, 6, 0)
SERVICE_INFO = "Device.Services.PrintService.1.Description.ServiceInfo"


async def test_ews_round_trip_survives_every_face_s_writes(ews: Any, basic: dict) -> None:
    state = ews.device.state
    mib = MibDevice(state, ews.device.clock, ews.device.engine)
    try:
        plan = plan_set(mib, [(SYS_LOCATION, (ber.OCTET_STRING, b"TR\nLoc\x7f"))], may_write=True)
        if not isinstance(plan, SetError):
            apply_set(mib, plan)
    finally:
        mib.close()
    tree, _ = V.printer_tree(state, FakeTime())
    with contextlib.suppress(P.ParameterFault):
        tree.set_parameter_values([(SERVICE_INFO, "a\tb\r")], "k")
    async with aiohttp.ClientSession() as s:
        async with s.get(f"{ews.url}/api/config/printer-info", headers=basic) as r:
            assert r.status == 200
            values = await r.json()
        async with s.post(f"{ews.url}/api/config/printer-info", json=values, headers=basic) as r:
            assert r.status == 200, await r.text()


@pytest.mark.parametrize("value", ["Front\x00desk", "TR\nLoc", "a\x85b", "a\ud800b"])
async def test_ews_refuses_text_no_face_can_carry_with_a_message(
    ews: Any, basic: dict, value: str
) -> None:
    before = ews.snapshot()
    body = '{{"description.info": "{}"}}'.format(
        value.encode("unicode_escape").decode().replace("\\x", "\\u00")
    )
    async with (
        aiohttp.ClientSession() as s,
        s.post(
            f"{ews.url}/api/config/printer-info",
            data=body,
            headers={**basic, "Content-Type": "application/json"},
        ) as r,
    ):
        assert r.status == 400
        errors = (await r.json())["errors"]
    assert "control character" in errors["description.info"]
    assert ews.snapshot() == before
