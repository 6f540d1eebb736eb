"""ACS messages of real sizes through the proxy (issue 12, item 1, "both paths").

The proxy's virtual devices run the same CPE runtime as the embedded client, so a message cut
at one network read broke them too. A GetParameterValues naming every parameter of the
virtual device's tree, repeated past 2 MB, must come back whole and agree with the printer;
a SetParameterValues of many distinct parameters must be applied whole.
"""

from __future__ import annotations

import asyncio

from printbench.cwmp import messages as m
from printbench.cwmp import soap
from printbench.cwmp_proxy.proxy import Proxy
from tests.proxy.conftest import entry_for, proxy_config
from tests.proxy.test_proxy_session import acs  # noqa: F401  (fixture)


async def _device(acs, p):  # noqa: F811
    serial = p.state.identity.serial_number
    dev = None
    while dev is None or dev.serial_number != serial:
        dev, _ = await asyncio.wait_for(acs.informs.get(), 20)
    return dev


async def test_proxy_answers_gpv_over_2mb_and_large_spv(acs, printers) -> None:  # noqa: F811
    p = await printers("color-laser-mfp")
    config = proxy_config(acs, timeout=2.0)
    async with Proxy(config, [entry_for(p)]):
        dev = await _device(acs, p)
        await acs.connection_request(dev.id, timeout=20)
        gpn = await acs.call(dev.id, m.GetParameterNames("Device.", False))
        names = [q.name for q in gpn.parameter_list if not q.name.endswith(".")]
        assert len(names) > 200

        def size(copies: int) -> int:
            return len(soap.encode(m.Envelope(m.GetParameterValues(tuple(names * copies)))))

        copies = 1
        while size(copies) < 2 * 1024 * 1024:
            copies += 1
        request = m.GetParameterValues(tuple(names * copies))
        await acs.connection_request(dev.id, timeout=20)
        got = (await acs.call(dev.id, request, timeout=60)).parameter_list
        assert [q.name for q in got] == list(request.parameter_names)
        values = {q.name: q.value for q in got}
        ps = "Device.Services.PrintService.1."
        assert values["Device.DeviceInfo.SerialNumber"] == p.state.identity.serial_number
        assert values[ps + "Description.ServiceLocation"] == p.state.description.location

        # SetParameterValues of every InformParameter row added for it (stored by the
        # virtual device) plus one printer value (written to the printer)
        table = "Device.ManagementServer.InformParameter."
        adds = [acs.enqueue(dev.id, m.AddObject(table, f"k{i}")) for i in range(170)]
        gpn_q = acs.enqueue(dev.id, m.GetParameterNames(table, False))
        await acs.connection_request(dev.id, timeout=20)
        for a in adds:
            assert (await a.result(30)).status == 0
        gpn = await gpn_q.result(30)
        rows = [q.name for q in gpn.parameter_list if q.writable and not q.name.endswith(".")]
        pvs = [
            m.ParameterValueStruct(n, "false" if n.endswith("Enable") else "", "")
            for n in rows[:499]
        ]
        pvs.append(m.ParameterValueStruct(ps + "Description.ServiceLocation", "Big <&> 500"))
        assert len({v.name for v in pvs}) == 500
        spv = acs.enqueue(dev.id, m.SetParameterValues(tuple(pvs), "big-p"))
        await acs.connection_request(dev.id, timeout=20)
        assert (await spv.result(60)).status in (0, 1)
        assert p.state.description.location == "Big <&> 500"
