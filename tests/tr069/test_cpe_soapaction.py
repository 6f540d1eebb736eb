"""SOAPAction and Content-Type on the CPE's POSTs, as TR-069 §3.4.1 wants them.

TR-069 Amendment 6 §3.4.1 (SOAP over HTTP): when the HTTP request carries a SOAP response or
a SOAP fault, the SOAPAction header MUST have no value (no quotes either), i.e. it is sent as
``SOAPAction:``; an empty HTTP POST MUST NOT carry SOAPAction nor Content-Type; an envelope
is sent as ``text/xml``. Requests of the CPE (Inform, TransferComplete) keep SOAP 1.1 §6.1.1's
``SOAPAction: ""`` (no TR-069 text found that asks for another form there).
Checked on the headers the stub ACS recorded for each POST it received.
"""

from __future__ import annotations

import pytest

from printbench.acs_stub.rpc_queue import RpcFault
from printbench.cwmp import messages as m
from printbench.cwmp_cpe import FakeTime

from .conftest import printer_id, start_printer


async def test_cpe_soapaction_has_no_value_on_responses_and_faults(acs, fake_time: FakeTime):
    vp = await start_printer(acs, fake_time, "127.70.3.1")
    dev = printer_id(vp.state)
    try:
        gpv = acs.enqueue(dev, m.GetParameterValues(("Device.DeviceInfo.SerialNumber",)))
        bad = acs.enqueue(dev, m.ChangeDUState())  # answered with Fault 9000
        await acs.connection_request(dev)
        await fake_time.advance(0, [vp.tr069.cpe.idle])
        await gpv.result(1)
        with pytest.raises(RpcFault):  # the fault we asked for
            await bad.result(1)
        posts = [e for e in acs.journal(device=dev) if e.get("direction") == "cpe->acs"]
        by_kind: dict[str, list[dict]] = {}
        for e in posts:
            kind = e.get("method") or ("empty" if not e.get("body") else "?")
            by_kind.setdefault(kind, []).append(e["headers"])
        assert {"Inform", "GetParameterValuesResponse", "Fault", "empty"} <= set(by_kind)
        for kind in ("GetParameterValuesResponse", "Fault"):
            for h in by_kind[kind]:
                assert h.get("SOAPAction") == "", (kind, h)
                assert h.get("Content-Type", "").startswith("text/xml"), (kind, h)
        for h in by_kind["Inform"]:
            assert h.get("SOAPAction") == '""', h
        for h in by_kind["empty"]:
            assert "SOAPAction" not in h and "Content-Type" not in h, h
    finally:
        await vp.stop()
