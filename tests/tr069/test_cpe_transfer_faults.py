"""TransferComplete FaultCode in the session's namespace (a CPE pinned to an older CWMP).

cwmp-1-0.xsd allows only 0/9001/9002/9010/9011/9012 in TransferComplete; the specific codes
(9015-9019) arrived with cwmp-1-1. A printer pinned to 1.0 therefore reports the general
code and names the specific fault in FaultString; a 1.1 printer keeps the specific code.
"""

from __future__ import annotations

from printbench.cwmp import messages as m
from printbench.cwmp import soap
from printbench.cwmp_cpe import FakeTime
from printbench.emulator.tr069.transfers import make_firmware

from .conftest import assert_printer_valid, printer_id, start_printer


async def _transfer_completes(acs, vp, t: FakeTime) -> dict[str, tuple[str, int, str]]:
    """CommandKey -> (namespace, FaultCode, FaultString) of every TransferComplete sent."""
    await acs.connection_request(printer_id(vp.state))
    await t.advance(0, [vp.tr069.cpe.idle])
    await t.advance(0, [vp.tr069.cpe.idle])
    out = {}
    for e in acs.journal(device=printer_id(vp.state)):
        if e.get("method") == "TransferComplete" and e.get("direction") == "cpe->acs":
            env = soap.decode(e["body"].encode())
            fs = env.body.fault_struct
            out[env.body.command_key] = (env.namespace, fs.fault_code, fs.fault_string)
    return out


def _enqueue_failures(acs, vp) -> None:
    dev = printer_id(vp.state)
    good = make_firmware(vp.state.identity.product_class, "2.0")
    acs.add_file("fw-bad.json", good[:-5] + b"xx}")
    acs.enqueue(
        dev, m.Download("k-corrupt", "1 Firmware Upgrade Image", acs.file_url("fw-bad.json"))
    )
    acs.enqueue(
        dev, m.Download("k-noserver", "3 Vendor Configuration File", "http://127.0.0.1:9/x")
    )
    acs.enqueue(dev, m.Upload("k-up", "2 Vendor Log File", "http://127.0.0.1:9/up"))


async def test_cpe_cwmp_1_0_reports_general_transfer_faults(acs, fake_time: FakeTime) -> None:
    vp = await start_printer(acs, fake_time, "127.70.1.1", cwmp_version="1.0")
    try:
        _enqueue_failures(acs, vp)
        tcs = await _transfer_completes(acs, vp, fake_time)
        assert set(tcs) == {"k-corrupt", "k-noserver", "k-up"}
        assert {ns for ns, _, _ in tcs.values()} == {m.CWMP_1_0}
        assert tcs["k-corrupt"][1] == 9010 and tcs["k-corrupt"][2].startswith("9018 ")
        assert tcs["k-noserver"][1] == 9010 and tcs["k-noserver"][2].startswith("9015 ")
        assert tcs["k-up"][1] == 9011  # the upload path reports the general code itself
        # every envelope validates against cwmp-1-0.xsd and no protocol rule is broken
        assert_printer_valid(acs, allow=[("forced-inform", "AliasBasedAddressing")])
    finally:
        await vp.stop()


async def test_cpe_cwmp_1_1_keeps_specific_transfer_faults(acs, fake_time: FakeTime) -> None:
    vp = await start_printer(acs, fake_time, "127.70.1.2", cwmp_version="1.1")
    try:
        _enqueue_failures(acs, vp)
        tcs = await _transfer_completes(acs, vp, fake_time)
        assert {ns for ns, _, _ in tcs.values()} == {m.CWMP_1_1}
        assert tcs["k-corrupt"][1] == 9018
        assert tcs["k-noserver"][1] == 9015
        assert tcs["k-up"][1] == 9011
        assert_printer_valid(acs, allow=[("forced-inform", "AliasBasedAddressing")])
    finally:
        await vp.stop()
