"""Heartbeat (TR-069 Amd 6 Annex O, TR-181 ManagementServer.HeartbeatPolicy.) of the CPE
runtime on fake time against the real stub ACS: 14 HEARTBEAT Informs in sessions of their
own on the InitiationTime grid, beside periodic informs; the two quirks are caught by the
stub ACS's verdicts."""

from __future__ import annotations

import itertools
import random
from datetime import timedelta

from printbench.acs_stub.verdict_heartbeat import phase_error
from printbench.cwmp import messages as m
from printbench.cwmp import params as P
from printbench.cwmp import soap
from printbench.cwmp_cpe import Cpe, CpeConfig, FakeTime, MemoryStore

from .conftest import assert_valid, small_model
from .scripted_acs import ScriptedAcs

HB = "Device.ManagementServer.HeartbeatPolicy."


def _model() -> P.DataModel:
    dm = small_model()
    dm.parameter(HB + "Enable", "boolean", writable=True, default="false")
    dm.parameter(HB + "ReportingInterval", "unsignedInt", writable=True, default="30")
    dm.parameter(HB + "InitiationTime", "dateTime", writable=True,
                 default="0001-01-01T00:00:00Z")  # fmt: skip
    return dm


MODEL = _model()


def _cpe(url: str, t: FakeTime, *, quirks=(), rng=None, **ms: str) -> Cpe:
    tree = P.ParameterTree(MODEL, {"cr_url": "", "level": 50})
    tree.store["Device.ManagementServer.URL"] = url
    for k, v in ms.items():
        tree.store["Device.ManagementServer." + k.replace("__", ".")] = v
    return Cpe(tree, CpeConfig(quirks=frozenset(quirks)), clock=t, sleep=t.sleep,
               store=MemoryStore(), rng=rng)  # fmt: skip


def _events(cpe: Cpe) -> list[list[str]]:
    return [[e.event_code for e in i.event] for i in cpe.informs]


def _policy_via_acs(acs, initiation: str, interval: int = 30):
    """The ACS sets the policy in the first session (so its judge knows it, as with any
    ACS); call before ``cpe.start()``."""
    return acs.enqueue(
        "0011AA-Printer-SN0001",
        m.SetParameterValues(
            (
                m.ParameterValueStruct(HB + "ReportingInterval", str(interval), "xsd:unsignedInt"),
                m.ParameterValueStruct(HB + "InitiationTime", initiation, "xsd:dateTime"),
                m.ParameterValueStruct(HB + "Enable", "true", "xsd:boolean"),
            ),
            "hb",
        ),
    )


async def test_heartbeats_come_alone_on_the_initiation_grid_beside_periodic(acs) -> None:
    t = FakeTime()
    start = t.now()
    # Periodic informs on the same grid: every tick both are due at once.
    cpe = _cpe(acs.server.cwmp_url, t, PeriodicInformEnable="true", PeriodicInformInterval="30",
               PeriodicInformTime=soap.format_datetime(start + timedelta(seconds=10)))  # fmt: skip
    initiation = start + timedelta(seconds=10)
    item = _policy_via_acs(acs, soap.format_datetime(initiation))
    await cpe.start()
    try:
        await t.advance(100, [cpe.idle])
        assert item.future.done()
        beats = [i for i in cpe.informs if any(e.event_code == "14 HEARTBEAT" for e in i.event)]
        periodic = [e for e in _events(cpe) if "2 PERIODIC" in e]
        assert len(beats) == 4  # at +10, +40, +70, +100
        assert all([e.event_code for e in b.event] == ["14 HEARTBEAT"] for b in beats)
        assert all(phase_error(b.current_time, 30, initiation) < 0.01 for b in beats)
        assert len(periodic) == 4 and all("14 HEARTBEAT" not in e for e in periodic)
        assert cpe.heartbeat.sent == 4
        assert_valid(acs)  # XSD and every verdict, heartbeat-phase/-alone included
    finally:
        await cpe.stop()


async def test_unknown_initiation_time_picks_a_random_phase_and_keeps_it(acs) -> None:
    t = FakeTime()
    cpe = _cpe(acs.server.cwmp_url, t, rng=random.Random(7), HeartbeatPolicy__Enable="true",
               HeartbeatPolicy__ReportingInterval="30")  # fmt: skip
    await cpe.start()
    try:
        t0 = t.now()
        await t.advance(95, [cpe.idle])
        beats = [i.current_time for i in cpe.informs if i.event[0].event_code == "14 HEARTBEAT"]
        assert len(beats) == 3
        first = (beats[0] - t0).total_seconds()
        assert 0 < first <= 30 and first != 30  # a chosen phase, not "interval from now"
        assert [(b - a).total_seconds() for a, b in itertools.pairwise(beats)] == [30.0, 30.0]
    finally:
        await cpe.stop()


async def test_disabled_policy_sends_no_heartbeat(acs) -> None:
    t = FakeTime()
    cpe = _cpe(acs.server.cwmp_url, t, HeartbeatPolicy__Enable="false",
               HeartbeatPolicy__ReportingInterval="30")  # fmt: skip
    await cpe.start()
    try:
        await t.advance(200, [cpe.idle])
        assert not any("14 HEARTBEAT" in e for e in _events(cpe))
    finally:
        await cpe.stop()


async def test_failed_heartbeat_is_retried_alone_after_the_retry_wait() -> None:
    t = FakeTime()
    scripted = await ScriptedAcs(t, default="ok", script=["ok", "http-500"]).start()
    try:
        start = t.now()
        cpe = _cpe(scripted.url, t, HeartbeatPolicy__Enable="true",
                   HeartbeatPolicy__ReportingInterval="30",
                   HeartbeatPolicy__InitiationTime=soap.format_datetime(
                       start + timedelta(seconds=10)))  # fmt: skip
        await cpe.start()
        try:
            await t.advance(25, [cpe.idle])
        finally:
            await cpe.stop()
        seen = [(sorted(s.events), s.retry_count) for s in scripted.informs]
        # boot session, heartbeat refused (HTTP 500), the same heartbeat again after the wait
        assert seen[:3] == [(["0 BOOTSTRAP", "1 BOOT"], 0), (["14 HEARTBEAT"], 0),
                            (["14 HEARTBEAT"], 1)]  # fmt: skip
        assert 5 <= scripted.informs[2].at - scripted.informs[1].at <= 10  # Table 3 row 1
    finally:
        await scripted.stop()


async def test_quirk_ignoring_initiation_time_is_caught(acs) -> None:
    t = FakeTime()
    cpe = _cpe(acs.server.cwmp_url, t, quirks=["heartbeat-ignores-phase"])
    _policy_via_acs(acs, soap.format_datetime(t.now() + timedelta(seconds=10)))
    await cpe.start()
    try:
        await t.advance(70, [cpe.idle])
        assert any("14 HEARTBEAT" in e for e in _events(cpe))
        rules = {v.rule for v in acs.verdicts()}
        assert "heartbeat-phase" in rules
        assert next(v for v in acs.verdicts() if v.rule == "heartbeat-phase").severity == (
            "mandatory"
        )
    finally:
        await cpe.stop()


async def test_quirk_combining_heartbeat_with_other_events_is_caught(acs) -> None:
    t = FakeTime()
    start = t.now()
    cpe = _cpe(acs.server.cwmp_url, t, quirks=["heartbeat-combined"], PeriodicInformEnable="true",
               PeriodicInformInterval="30",
               PeriodicInformTime=soap.format_datetime(start + timedelta(seconds=10)))  # fmt: skip
    _policy_via_acs(acs, soap.format_datetime(start + timedelta(seconds=10)))
    await cpe.start()
    try:
        await t.advance(40, [cpe.idle])
        assert ["2 PERIODIC", "14 HEARTBEAT"] in _events(cpe) or [
            "14 HEARTBEAT",
            "2 PERIODIC",
        ] in _events(cpe)
        found = [v for v in acs.verdicts() if v.rule == "heartbeat-alone"]
        assert found and found[0].severity == "optional"
    finally:
        await cpe.stop()


async def test_a_cwmp_1_0_client_sends_no_heartbeat(acs) -> None:
    """cwmp-1-0.xsd's EventCode patterns stop at 9 REQUEST DOWNLOAD: no valid heartbeat."""
    t = FakeTime()
    tree_values = {"HeartbeatPolicy__Enable": "true", "HeartbeatPolicy__ReportingInterval": "30"}
    cpe = _cpe(acs.server.cwmp_url, t, **tree_values)
    cpe.config.cwmp_version = cpe.version_cap = "1.0"
    await cpe.start()
    try:
        await t.advance(100, [cpe.idle])
        assert cpe.informs and not any("14 HEARTBEAT" in e for e in _events(cpe))
        assert_valid(acs)
    finally:
        await cpe.stop()
