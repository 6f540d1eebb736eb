"""TR-069 and values no face can carry (issue 17, items 1 and 5).

In: SetParameterValues of text with control characters is refused with 9007 (the state's
rule, the same one SNMP and IPP apply). Out: a value that still cannot be carried in XML 1.0
(§2.2 Char), however it got into the state, is sent as U+FFFD; the session never fails."""

from __future__ import annotations

import asyncio

import pytest

from printbench.cwmp import messages as m
from printbench.cwmp_cpe import FakeTime
from printbench.emulator.state import ChangeEvent

from .conftest import assert_printer_valid, printer_id, start_printer

PS = "Device.Services.PrintService.1."
LOC = PS + "Description.ServiceLocation"
INFO = PS + "Description.ServiceInfo"


@pytest.mark.parametrize("value", ["TR\nLoc", "a\tb", "a\x7fb", "a\x85b"])
async def test_cpe_spv_refuses_control_characters(acs, fake_time: FakeTime, value: str) -> None:
    vp = await start_printer(acs, fake_time, "127.70.9.1")
    before = vp.state.description.location
    try:
        spv = acs.enqueue(
            printer_id(vp.state),
            m.SetParameterValues((m.ParameterValueStruct(LOC, value, "xsd:string"),), "k"),
        )
        await acs.connection_request(printer_id(vp.state))
        await fake_time.advance(0, [vp.tr069.cpe.idle])
        with pytest.raises(Exception) as info:
            await spv.result(1)
        fault = info.value.fault
        assert fault.fault_code == 9003
        assert [(f.parameter_name, f.fault_code) for f in fault.set_parameter_values_faults] == [
            (LOC, 9007)
        ]
        assert vp.state.description.location == before
    finally:
        await vp.stop()


async def test_cpe_unencodable_stored_value_never_fails_a_session(acs, fake_time: FakeTime) -> None:
    vp = await start_printer(acs, fake_time, "127.70.9.2")
    cpe = vp.tr069.cpe
    dev = printer_id(vp.state)
    try:
        acs.enqueue(dev, m.SetParameterAttributes((m.SetParameterAttributesStruct(INFO, True, 2),)))
        await acs.connection_request(dev)
        await fake_time.advance(0, [cpe.idle])
        # A value from before the faces validated (an old stored state, a hand-edited
        # profile): written past the state's check on purpose, as no face can any more.
        old = vp.state.description.info
        object.__setattr__(vp.state.description, "info", "Front\x00desk\x01")
        vp.state.emit(ChangeEvent("description.info", old, vp.state.description.info))
    except Exception:
        await vp.stop()
        raise
    try:
        ok_before, failed_before = cpe.sessions, cpe.failed_sessions
        # a guard, not a timing: before the fix the client retried the failing session forever
        async with asyncio.timeout(60):
            await fake_time.advance(0, [cpe.idle])  # active notification: 4 VALUE CHANGE
            gpv = acs.enqueue(dev, m.GetParameterValues((PS + "Description.",)))
            await acs.connection_request(dev)
            await fake_time.advance(0, [cpe.idle])
        values = {p.name: p.value for p in (await gpv.result(1)).parameter_list}
        assert values[INFO] == "Front\ufffddesk\ufffd"
        assert cpe.failed_sessions == failed_before and cpe.sessions >= ok_before + 2
        assert any(p.name == INFO for p in cpe.informs[-2].parameter_list)
        assert_printer_valid(acs)
    finally:
        await vp.stop()


@pytest.mark.parametrize("value", ["TR\nLoc", "Front\x00desk"])
def test_config_download_with_text_no_face_can_carry_is_refused(value: str) -> None:
    """A configuration file is one more way in (TR-069 Download 3 Vendor Configuration File):
    the same rule, refused before anything is applied (TransferComplete fault 9010)."""
    from printbench.common.clock import FakeClock
    from printbench.emulator.profiles import build_printer
    from printbench.emulator.tr069.transfers import (
        TransferError,
        check_config,
        make_config,
        make_firmware,
        parse_config,
        parse_firmware,
    )

    state = build_printer("color-laser-mfp", seed=1, clock=FakeClock())
    with pytest.raises(TransferError) as info:
        check_config(parse_config(make_config({"description.location": value}), state), state)
    assert info.value.code == 9010 and "U+" in info.value.message
    with pytest.raises(TransferError) as info:
        parse_firmware(make_firmware(state.identity.product_class, "2.0" + value), "x")
    assert info.value.code == 9018
