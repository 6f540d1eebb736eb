"""Quirk modes: each is off by default, and when on, the wire shows it (and the stub ACS's
rules catch the ones that break TR-069)."""

from __future__ import annotations

import re

import pytest

from printbench.cwmp import messages as m
from printbench.cwmp_cpe import Cpe, CpeConfig, FakeTime
from printbench.cwmp_cpe.config import ConfigError

from .conftest import assert_valid, device_id, make_cpe


def bodies(acs, method: str) -> list[str]:
    return [e["body"] for e in acs.journal() if e.get("direction") == "cpe->acs"
            and e.get("method") == method]  # fmt: skip


async def _run(acs, t: FakeTime, quirks=(), rpcs=(), **kw) -> Cpe:
    cpe = await make_cpe(acs, t, quirks=frozenset(quirks), **kw)
    for rpc in rpcs:
        acs.enqueue(device_id(), rpc)
    await cpe.start()
    await t.advance(0, [cpe.idle])
    return cpe


async def test_cpe_quirks_off_by_default(acs, fake_time: FakeTime) -> None:
    cpe = await _run(acs, fake_time)
    try:
        inform = bodies(acs, "Inform")[0]
        assert 'xsi:type="xsd:boolean">false<' in inform
        assert not re.search(r"<CurrentTime>[^<]*\.\d{3}Z<", inform)
        assert "urn:dslforum-org:cwmp-1-2" in inform and "NoMoreRequests" not in inform
        assert_valid(acs)
    finally:
        await cpe.stop()


async def test_cpe_quirk_boolean_digits_datetime_ms(acs, fake_time: FakeTime) -> None:
    cpe = await _run(acs, fake_time, ["boolean-digits", "datetime-ms", "no-more-requests"])
    try:
        inform = bodies(acs, "Inform")[0]
        assert 'xsi:type="xsd:boolean">0<' in inform
        assert re.search(r"<CurrentTime>[^<]*\.000Z<", inform)
        assert "<cwmp:NoMoreRequests>1</cwmp:NoMoreRequests>" in inform
    finally:
        await cpe.stop()


@pytest.mark.parametrize("quirk", ["urn-cwmp-1-3", "urn-cwmp-1-4"])
async def test_cpe_quirk_nonstandard_urn(acs, fake_time: FakeTime, quirk: str) -> None:
    cpe = await _run(acs, fake_time, [quirk])
    try:
        assert f"urn:dslforum-org:{quirk[4:]}" in bodies(acs, "Inform")[0]
    finally:
        await cpe.stop()


async def test_cpe_quirk_parameter_key_frozen_is_caught(acs, fake_time: FakeTime) -> None:
    spv = m.SetParameterValues(
        (m.ParameterValueStruct("Device.DeviceInfo.ProvisioningCode", "P1"),), "k-7"
    )
    cpe = await _run(acs, fake_time, ["parameter-key-frozen"], rpcs=[spv])
    try:
        assert cpe.tree.parameter_key == ""  # the quirk: never updated
        cpe.add_event("M ScheduleInform", "x")
        await fake_time.advance(0, [cpe.idle])
        rules = {v.rule for v in acs.verdicts()}
        assert "parameter-key" in rules  # the stub ACS notices
    finally:
        await cpe.stop()


async def test_cpe_quirk_gpn_ignores_next_level(acs, fake_time: FakeTime) -> None:
    normal = await _run(acs, fake_time, rpcs=[m.GetParameterNames("Device.", True)])
    await normal.stop()
    quirky = await _run(
        acs, fake_time, ["gpn-ignore-next-level"], rpcs=[m.GetParameterNames("Device.", True)]
    )
    await quirky.stop()
    first, second = bodies(acs, "GetParameterNamesResponse")
    assert "Device.ManagementServer.URL" not in first  # NextLevel honoured
    assert "Device.ManagementServer.URL" in second  # the whole subtree


async def test_cpe_quirk_cookies_need_path(fake_time: FakeTime) -> None:
    from .conftest import small_tree

    cpe = Cpe(small_tree(), CpeConfig(quirks=frozenset({"cookies-need-path"})))
    assert not cpe._cookie_ok("session=abc")
    assert cpe._cookie_ok("session=abc; Path=/")
    assert Cpe(small_tree(), CpeConfig())._cookie_ok("session=abc")


def test_cpe_quirk_names_checked() -> None:
    with pytest.raises(ConfigError, match="unknown TR-069 client quirk"):
        CpeConfig(quirks=frozenset({"booleans-as-words"}))
    with pytest.raises(ConfigError, match="exclude"):
        CpeConfig(quirks=frozenset({"urn-cwmp-1-3", "urn-cwmp-1-4"}))
