"""Notifications: passive values ride the next Inform, active ones start a session with
4 VALUE CHANGE (throttled by DefaultActiveNotificationThrottle); printing feeds them."""

from __future__ import annotations

from printbench.cwmp import messages as m
from printbench.cwmp_cpe import FakeTime

from .conftest import assert_printer_valid, printer_id, start_printer

PS = "Device.Services.PrintService.1."
SUPPLY = PS + "Configuration.Markers.Marker.1.MarkerSupplies.MarkerSupply.1."
LEVEL = SUPPLY + "MarkerSupplyDescription.MarkerSupplyCurrentLevel"
STATE = PS + "Status.State"
IMPRESSIONS = PS + "Status.ImpressionsCompleted"
LOC = PS + "Description.ServiceLocation"


def events(inform: m.Inform) -> list[str]:
    return [e.event_code for e in inform.event]


def values(inform: m.Inform) -> dict[str, str]:
    return {p.name: p.value for p in inform.parameter_list}


async def _watch(acs, vp, t, attrs, throttle: int = 0) -> None:
    dev = printer_id(vp.state)
    acs.enqueue(
        dev,
        m.SetParameterAttributes(
            tuple(m.SetParameterAttributesStruct(n, True, level) for n, level in attrs)
        ),
    )
    acs.enqueue(
        dev,
        m.SetParameterValues(
            (
                m.ParameterValueStruct(
                    "Device.ManagementServer.DefaultActiveNotificationThrottle",
                    str(throttle),
                    "xsd:unsignedInt",
                ),
            ),
            "notify",
        ),
    )
    await acs.connection_request(dev)
    await t.advance(0, [vp.tr069.cpe.idle])


async def test_cpe_notify_active_from_printing(acs, fake_time: FakeTime) -> None:
    vp = await start_printer(acs, fake_time, "127.70.2.1")
    cpe = vp.tr069.cpe
    try:
        # State may be active; counters and supply levels are canDeny (passive only)
        await _watch(acs, vp, fake_time, [(STATE, 2), (IMPRESSIONS, 1)])
        dev = printer_id(vp.state)
        denied = acs.enqueue(
            dev, m.SetParameterAttributes((m.SetParameterAttributesStruct(LEVEL, True, 2),))
        )
        await acs.connection_request(dev)
        await fake_time.advance(0, [cpe.idle])
        try:
            await denied.result(1)
        except Exception as exc:
            assert exc.fault.fault_code == 9009
        else:
            raise AssertionError("canDeny parameter accepted active notification")
        before = cpe.sessions
        vp.engine.submit_job(pages=30)
        await fake_time.advance(1, [cpe.idle])
        vp.engine.tick()  # the printer starts processing: State changes
        await fake_time.advance(0, [cpe.idle])
        assert cpe.sessions == before + 1
        last = cpe.informs[-1]
        assert events(last) == ["4 VALUE CHANGE"]
        assert values(last)[STATE] == "Processing"
        await fake_time.advance(600, [cpe.idle])
        vp.engine.tick()  # 600 s of printing: the job ends, counters moved, State back
        await fake_time.advance(0, [cpe.idle])
        last = cpe.informs[-1]
        assert "4 VALUE CHANGE" in events(last)
        assert values(last)[STATE] == "Idle"
        assert int(values(last)[IMPRESSIONS]) > 0  # passive change rides along
        assert_printer_valid(acs)
    finally:
        await vp.stop()


async def test_cpe_notify_passive_waits_for_next_inform(acs, fake_time: FakeTime) -> None:
    vp = await start_printer(acs, fake_time, "127.70.2.2")
    cpe = vp.tr069.cpe
    try:
        await _watch(acs, vp, fake_time, [(LEVEL, 1)])
        before = cpe.sessions
        vp.state.supplies[0].level = max(0, vp.state.supplies[0].level - 7)
        await fake_time.advance(0, [cpe.idle])
        assert cpe.sessions == before  # passive: no session of its own
        await acs.connection_request(printer_id(vp.state))
        await fake_time.advance(0, [cpe.idle])
        last = cpe.informs[-1]
        assert set(events(last)) == {"6 CONNECTION REQUEST", "4 VALUE CHANGE"}
        assert values(last)[LEVEL] == str(vp.state.supplies[0].level)
        assert_printer_valid(acs)
    finally:
        await vp.stop()


async def test_cpe_notify_throttle(acs, fake_time: FakeTime) -> None:
    vp = await start_printer(acs, fake_time, "127.70.2.3")
    cpe = vp.tr069.cpe
    try:
        await _watch(acs, vp, fake_time, [(LOC, 2)], throttle=600)
        s0 = cpe.sessions
        vp.state.description.location = "moved once"  # e.g. from the EWS
        await fake_time.advance(0, [cpe.idle])
        assert cpe.sessions == s0  # throttled: the last session ended just now
        await fake_time.advance(590, [cpe.idle])
        assert cpe.sessions == s0
        await fake_time.advance(20, [cpe.idle])
        assert cpe.sessions == s0 + 1
        assert "4 VALUE CHANGE" in events(cpe.informs[-1])
        vp.state.description.location = "moved twice"
        await fake_time.advance(300, [cpe.idle])
        assert cpe.sessions == s0 + 1
        await fake_time.advance(310, [cpe.idle])
        assert cpe.sessions == s0 + 2
        assert values(cpe.informs[-1])[LOC] == "moved twice"
    finally:
        await vp.stop()
