"""Notifications: an ACS turns on active notification, the printer changes by itself, and the
proxy's virtual device informs with 4 VALUE CHANGE — first by polling, then (with a long poll
interval) prompted by the printer's printerV2Alert trap. Also the printers file formats."""

from __future__ import annotations

import asyncio
import re

import pytest

from printbench.acs_stub.rpc_queue import RpcFault
from printbench.cwmp import messages as m
from printbench.cwmp_proxy.errors import InventoryError
from printbench.cwmp_proxy.inventory import address_range, parse_printers
from printbench.cwmp_proxy.proxy import Proxy
from tests.proxy.conftest import entry_for, proxy_config
from tests.proxy.test_proxy_session import acs  # noqa: F401  (fixture)

PS = "Device.Services.PrintService.1."
TRAY_LEVEL = PS + "Configuration.InputTrays.InputTray.1.InputTrayDescription.InputTrayCurrentLevel"
COVER = PS + "Configuration.Covers.Cover.1.CoverStatus.CoverIsOpen"


async def _value_change(acs, device_id: str, name: str) -> str:  # noqa: F811
    while True:
        device, inform = await asyncio.wait_for(acs.informs.get(), 20)
        codes = {e.event_code for e in inform.event}
        if device.id == device_id and "4 VALUE CHANGE" in codes:
            values = {p.name: p.value for p in inform.parameter_list}
            if name in values:
                return values[name]


@pytest.mark.parametrize("mode", ["poll", "trap"])
async def test_proxy_value_change_inform(acs, printers, mode) -> None:  # noqa: F811
    p = await printers("color-laser-mfp")
    intervals = {"status": 0.2, "config": 5.0} if mode == "poll" else {"status": 300.0}
    config = proxy_config(acs, poll_intervals=intervals, trap_port=0 if mode == "trap" else None)
    async with Proxy(config, [entry_for(p)]) as proxy:
        seen = {}
        while len(seen) < 2:
            device, _ = await asyncio.wait_for(acs.informs.get(), 20)
            seen[device.serial_number] = device
        dev = seen[p.state.identity.serial_number]
        name = COVER
        await acs.connection_request(dev.id, timeout=20)
        if mode == "poll":
            # a tray level moves with every sheet: canDeny, and the proxy denies it (9009)
            with pytest.raises(RpcFault, match="9009"):
                await acs.call(
                    dev.id,
                    m.SetParameterAttributes(
                        (m.SetParameterAttributesStruct(TRAY_LEVEL, True, 2, False, ()),)
                    ),
                )
            await acs.connection_request(dev.id, timeout=20)  # the fault ended that session
        await acs.call(
            dev.id,
            m.SetParameterAttributes((m.SetParameterAttributesStruct(name, True, 2, False, ()),)),
        )
        if mode == "poll":  # no trap destination: only polling can see it
            p.control.inject("cover_open", cover_index=1)
            assert await _value_change(acs, dev.id, name) == "true"
        else:
            p.state.snmp.trap_destinations = (f"127.0.0.1:{proxy.notifier.trap_port}",)
            p.control.inject("cover_open", cover_index=1)
            assert await _value_change(acs, dev.id, name) == "true"
            assert proxy.notifier.traps_received >= 1


def test_proxy_printers_file_formats(tmp_path) -> None:
    y = parse_printers(
        "printers:\n  - address: 127.80.1.1\n    protocols: [snmp, ews]\n"
        "  - {address: 127.80.1.2, snmp_version: '3', v3_user: admin}\n",
        "p.yaml",
    )
    assert [e.protocols for e in y] == [("snmp", "ews"), ("snmp", "ipp", "ews")]
    assert y[1].ipp_uri == "ipp://127.80.1.2:8631/ipp/print"
    j = parse_printers('[{"address": "127.80.1.3", "snmp_port": 161}]', "p.json")
    assert j[0].snmp_port == 161
    c = parse_printers("address,protocols,community\n127.80.1.4,snmp;ipp,secret\n", "p.csv")
    assert c[0].protocols == ("snmp", "ipp") and c[0].community == "secret"
    for text, name, where in [
        ("- address: 127.80.1.1\n- address: 127.80.1.1\n", "d.yaml", "d.yaml:2: printer"),
        ("- {address: 127.80.1.1, colour: red}\n", "u.yaml", "u.yaml:1: unknown key(s) colour"),
        ("- {address: 127.80.1.1, snmp_port: 99999}\n", "p.yaml", "p.yaml:1: snmp_port 99999"),
        ("- {address: 127.80.1.1, snmp_version: '3'}\n", "v.yaml", "v.yaml:1: snmp_version 3"),
        ('[{"address": 1', "b.json", "b.json:1: not valid JSON"),
        ("- [\n", "b.yaml", "b.yaml:2: not valid YAML"),
    ]:
        with pytest.raises(InventoryError, match=re.escape(where)):
            parse_printers(text, name)
    assert address_range("127.80.0.0/30") == ["127.80.0.1", "127.80.0.2"]
    assert address_range("127.80.0.5-127.80.0.7") == ["127.80.0.5", "127.80.0.6", "127.80.0.7"]


async def test_proxy_discovery(printers) -> None:
    from printbench.cwmp_proxy.inventory import PrinterEntry, discover

    p = await printers("mono-desktop-laser")
    e = entry_for(p)
    template = PrinterEntry(
        p.host,
        snmp_port=e.snmp_port,
        ipp_uri=e.ipp_uri,
        ews_url=e.ews_url,
        protocols=("snmp", "ipp"),
    )
    last = p.host.rsplit(".", 1)
    found = await discover(f"{p.host}-{last[0]}.{int(last[1]) + 1}", template, timeout=0.3)
    assert [x.address for x in found] == [p.host]
    assert found[0].protocols == ("snmp", "ipp")
