"""Bodies of real sizes through the embedded client (issue 12, item 1).

aiohttp's ``StreamReader.read(n)`` returns what is buffered, not n bytes: a body read that
way is cut at one network read. These tests use sizes that never arrive in one read: a
3,000,000-byte firmware image from the stub ACS's file server, and ACS messages of over
2 MB (GetParameterValues of every parameter name of the tree, SetParameterValues of 500
parameters), each checked end to end against what the printer's state holds.
"""

from __future__ import annotations

from printbench.cwmp import messages as m
from printbench.cwmp import soap
from printbench.cwmp_cpe import FakeTime
from printbench.emulator.tr069.transfers import write_firmware

from .conftest import assert_printer_valid, printer_id, start_printer

FIRMWARE = "1 Firmware Upgrade Image"


def codes(inform: m.Inform) -> set[tuple[str, str]]:
    return {(e.event_code, e.command_key) for e in inform.event}


async def session(acs, vp, t: FakeTime) -> str:
    sid = await acs.connection_request(printer_id(vp.state))
    await t.advance(0, [vp.tr069.cpe.idle])
    return sid


def transfer_completes(acs, dev: str) -> dict[str, int]:
    out = {}
    for e in acs.journal(device=dev):
        if e.get("method") == "TransferComplete":
            tc = soap.decode(e["body"].encode()).body
            out[tc.command_key] = tc.fault_struct.fault_code
    return out


async def test_cpe_download_3mb_firmware_from_stub(acs, fake_time: FakeTime, tmp_path) -> None:
    """Issue 12: a 3,000,000-byte image ended in 9017 "transfer ended early"."""
    vp = await start_printer(acs, fake_time, "127.70.1.1")
    dev = printer_id(vp.state)
    cpe = vp.tr069.cpe
    try:
        pc = vp.state.identity.product_class
        image = write_firmware(tmp_path / "fw", pc, "7.3.0", 3_000_000).read_bytes()
        assert len(image) == 3_000_000
        acs.add_file("fw3m.bin", image)
        resp = acs.enqueue(
            dev, m.Download("dl-3m", FIRMWARE, acs.file_url("fw3m.bin"), file_size=len(image))
        )
        await session(acs, vp, fake_time)
        assert (await resp.result(1)).status == 1
        await fake_time.advance(0, [cpe.idle])
        assert transfer_completes(acs, dev) == {"dl-3m": 0}
        assert vp.state.identity.software_version == "7.3.0"
        after = [i for i in cpe.informs if ("M Download", "dl-3m") in codes(i)]
        assert after and ("1 BOOT", "") in codes(after[0])
        params = {p.name: p.value for p in after[0].parameter_list}
        assert params["Device.DeviceInfo.SoftwareVersion"] == "7.3.0"
        assert_printer_valid(acs)
    finally:
        await vp.stop()


async def test_cpe_answers_gpv_of_every_parameter_over_2mb(acs, fake_time: FakeTime) -> None:
    """Issue 12: GetParameterValues of all names in one message came back as a fault
    "not well-formed XML" (the request was cut at one read)."""
    vp = await start_printer(acs, fake_time, "127.70.1.2")
    dev = printer_id(vp.state)
    try:
        gpn = acs.enqueue(dev, m.GetParameterNames("Device.", False))
        await session(acs, vp, fake_time)
        names = [p.name for p in (await gpn.result(1)).parameter_list if not p.name.endswith(".")]
        assert len(names) > 1000

        # Every name, repeated until the message passes 2 MB (a GPV may name a parameter
        # more than once; the response then repeats it).
        def size(copies: int) -> int:
            return len(soap.encode(m.Envelope(m.GetParameterValues(tuple(names * copies)))))

        copies = 1
        while size(copies) < 2 * 1024 * 1024:
            copies += 1
        request = m.GetParameterValues(tuple(names * copies))
        gpv = acs.enqueue(dev, request)
        await session(acs, vp, fake_time)
        got = (await gpv.result(5)).parameter_list
        assert [p.name for p in got] == list(request.parameter_names)
        by_name = {p.name: p.value for p in got}
        assert by_name["Device.DeviceInfo.SerialNumber"] == vp.state.identity.serial_number
        assert by_name["Device.DeviceInfo.SoftwareVersion"] == vp.state.identity.software_version
    finally:
        await vp.stop()


async def test_cpe_answers_spv_of_500_parameters(acs, fake_time: FakeTime) -> None:
    """SetParameterValues of 500 distinct parameters in one message is applied whole.

    Writable parameters of the tree outside ManagementServer (where a value rewritten to
    itself could still restart things) plus InformParameter instances added for the
    purpose, each set to the value GetParameterValues read, and one changed value to see
    the message applied. Names are distinct: WT-151 rules out one parameter named twice.
    DefaultPrintJobTicket is left out: its unset values read back as "" or 0, which its own
    patterns and ranges refuse (a gap of the model, not of the transport).
    """
    vp = await start_printer(acs, fake_time, "127.70.1.3")
    dev = printer_id(vp.state)
    table = "Device.ManagementServer.InformParameter."
    loc = "Device.Services.PrintService.1.Description.ServiceLocation"
    try:
        adds = [acs.enqueue(dev, m.AddObject(table, f"k{i}")) for i in range(140)]
        gpn = acs.enqueue(dev, m.GetParameterNames("Device.", False))
        await session(acs, vp, fake_time)
        for a in adds:
            assert (await a.result(1)).status == 0
        writable = [
            p.name
            for p in (await gpn.result(1)).parameter_list
            if p.writable
            and not p.name.endswith(".")
            and p.name != loc
            and ".DefaultPrintJobTicket." not in p.name
            and (not p.name.startswith("Device.ManagementServer.") or p.name.startswith(table))
        ]
        gpv = acs.enqueue(dev, m.GetParameterValues(tuple(writable)))
        await session(acs, vp, fake_time)
        current = list((await gpv.result(1)).parameter_list)
        assert len(current) >= 499
        values = tuple(m.ParameterValueStruct(p.name, p.value, p.type) for p in current[:499])
        values += (m.ParameterValueStruct(loc, "Room 500 <&>", "xsd:string"),)
        assert len({v.name for v in values}) == 500
        spv = acs.enqueue(dev, m.SetParameterValues(values, "big-1"))
        await session(acs, vp, fake_time)
        assert (await spv.result(5)).status in (0, 1)
        assert vp.state.description.location == "Room 500 <&>"
        assert vp.state.management.parameter_key == "big-1"
        check = acs.enqueue(dev, m.GetParameterValues(tuple(v.name for v in values)))
        await session(acs, vp, fake_time)
        after = {p.name: p.value for p in (await check.result(1)).parameter_list}
        assert after == {v.name: v.value for v in values}
    finally:
        await vp.stop()
