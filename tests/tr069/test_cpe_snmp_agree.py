"""net-snmp and the TR-069 face agree on the same value after writes from each side:
sysLocation (SNMPv2-MIB) ↔ Device.Services.PrintService.1.Description.ServiceLocation."""

from __future__ import annotations

import asyncio
import shutil

import pytest

from printbench.cwmp import messages as m
from printbench.cwmp_cpe import FakeTime

from .conftest import assert_printer_valid, printer_id, start_printer

LOC = "Device.Services.PrintService.1.Description.ServiceLocation"
SYS_LOCATION = "1.3.6.1.2.1.1.6.0"

pytestmark = pytest.mark.skipif(shutil.which("snmpget") is None, reason="net-snmp not installed")


async def _net_snmp(*args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0, err.decode()
    return out.decode().strip()


async def test_cpe_snmp_and_tr069_agree(acs, fake_time: FakeTime) -> None:
    vp = await start_printer(acs, fake_time, "127.70.3.1", faces=("snmp", "tr069"))
    dev = printer_id(vp.state)
    target = vp.endpoints["snmp"].removeprefix("udp://")
    comm = vp.state.snmp.write_community
    try:
        # SNMP writes, TR-069 reads (over the wire, through the stub ACS)
        await _net_snmp("snmpset", "-v2c", "-c", comm, "-Oqv", f"udp:{target}", SYS_LOCATION,
                        "s", "Bldg 4, Room 12")  # fmt: skip
        item = acs.enqueue(dev, m.GetParameterValues((LOC,)))
        await acs.connection_request(dev)
        await fake_time.advance(0, [vp.tr069.cpe.idle])
        got = (await item.result(5)).parameter_list[0].value
        assert got == "Bldg 4, Room 12"
        # TR-069 writes, SNMP reads
        item = acs.enqueue(
            dev, m.SetParameterValues((m.ParameterValueStruct(LOC, "Annex, desk 3"),), "loc-2")
        )
        await acs.connection_request(dev)
        await fake_time.advance(0, [vp.tr069.cpe.idle])
        assert (await item.result(5)).status == 0
        out = await _net_snmp("snmpget", "-v2c", "-c", vp.state.snmp.read_community, "-Oqv",
                              f"udp:{target}", SYS_LOCATION)  # fmt: skip
        assert out.strip('"') == "Annex, desk 3"
        assert_printer_valid(acs)
    finally:
        await vp.stop()
