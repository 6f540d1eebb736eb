"""The embedded TR-069 client of a virtual printer against the stub ACS (fake time)."""

from __future__ import annotations

from printbench.cwmp import messages as m
from printbench.cwmp_cpe import FakeTime, MemoryStore
from printbench.emulator.tr069.transfers import make_config, make_firmware

from .conftest import assert_printer_valid, printer_id, start_printer

PS = "Device.Services.PrintService.1."
LOC = PS + "Description.ServiceLocation"


def codes(inform: m.Inform) -> set[tuple[str, str]]:
    return {(e.event_code, e.command_key) for e in inform.event}


async def session(acs, vp, t: FakeTime) -> str:
    """Start a session with a Connection Request and let it finish."""
    sid = await acs.connection_request(printer_id(vp.state))
    await t.advance(0, [vp.tr069.cpe.idle])
    return sid


async def test_cpe_printer_bootstrap_and_forced_params(acs, fake_time: FakeTime) -> None:
    vp = await start_printer(acs, fake_time, "127.70.0.1")
    try:
        inform = vp.tr069.cpe.informs[0]
        assert {c for c, _ in codes(inform)} == {"0 BOOTSTRAP", "1 BOOT"}
        params = {p.name: p.value for p in inform.parameter_list}
        assert params["Device.DeviceInfo.SoftwareVersion"] == vp.state.identity.software_version
        assert params["Device.ManagementServer.ConnectionRequestURL"].startswith(
            "http://127.70.0.1:"
        )
        assert inform.device_id.serial_number == vp.state.identity.serial_number
        assert_printer_valid(acs)
    finally:
        await vp.stop()


async def test_cpe_printer_rpcs_through_state(acs, fake_time: FakeTime) -> None:
    vp = await start_printer(acs, fake_time, "127.70.0.2")
    dev = printer_id(vp.state)
    before = vp.state.description.location
    try:
        gpv = acs.enqueue(dev, m.GetParameterValues((LOC, "Device.DeviceInfo.")))
        spv = acs.enqueue(
            dev,
            m.SetParameterValues((m.ParameterValueStruct(LOC, "Lab 7", "xsd:string"),), "key-1"),
        )
        gpn = acs.enqueue(dev, m.GetParameterNames(PS + "Status.", True))
        bad = acs.enqueue(dev, m.GetParameterValues(("Device.Nope.",)))
        deny = acs.enqueue(
            dev,
            m.SetParameterAttributes(
                (m.SetParameterAttributesStruct("Device.DeviceInfo.UpTime", True, 2),)
            ),
        )
        unsupported = acs.enqueue(dev, m.GetOptions())  # ChangeDUState is supported (issue 15)
        await session(acs, vp, fake_time)
        values = {p.name: p.value for p in (await gpv.result(1)).parameter_list}
        assert values[LOC] == before
        assert (await spv.result(1)).status == 0
        assert vp.state.description.location == "Lab 7"  # written through the state
        assert vp.state.management.parameter_key == "key-1"
        names = [p.name for p in (await gpn.result(1)).parameter_list]
        assert PS + "Status.State" in names and all(n.rstrip(".").count(".") == 5 for n in names)
        for item, code in ((bad, 9005), (deny, 9009), (unsupported, 9000)):
            try:
                await item.result(1)
            except Exception as exc:
                assert exc.fault.fault_code == code
            else:
                raise AssertionError(f"expected fault {code}")
        # the next Inform reports the new ParameterKey
        await session(acs, vp, fake_time)
        last = {p.name: p.value for p in vp.tr069.cpe.informs[-1].parameter_list}
        assert last["Device.ManagementServer.ParameterKey"] == "key-1"
        assert_printer_valid(acs)
    finally:
        await vp.stop()


async def test_cpe_printer_reboot_and_factory_reset(acs, fake_time: FakeTime) -> None:
    vp = await start_printer(acs, fake_time, "127.70.0.3")
    dev = printer_id(vp.state)
    cpe = vp.tr069.cpe
    try:
        boots = vp.state.status.boot_count
        acs.enqueue(dev, m.Reboot("rb-42"))
        await session(acs, vp, fake_time)
        assert vp.state.status.boot_count == boots + 1
        assert {("1 BOOT", ""), ("M Reboot", "rb-42")} <= codes(cpe.informs[-1])
        profile_location = vp.state.description.location
        vp.state.description.location = "moved"
        acs.enqueue(dev, m.SetParameterValues((m.ParameterValueStruct(LOC, "x"),), "k9"))
        await session(acs, vp, fake_time)
        acs.enqueue(dev, m.FactoryReset())
        await session(acs, vp, fake_time)
        last = cpe.informs[-1]
        assert {c for c, _ in codes(last)} == {"0 BOOTSTRAP", "1 BOOT"}
        assert vp.state.description.location == profile_location
        params = {p.name: p.value for p in last.parameter_list}
        assert params["Device.ManagementServer.ParameterKey"] == ""
        # TR-181: a factory reset empties ParameterKey; the stub ACS forgets the expected
        # key on 0 BOOTSTRAP, so no tolerance is needed any more
        assert_printer_valid(acs)
    finally:
        await vp.stop()


async def test_cpe_printer_firmware_download_digest(acs, fake_time: FakeTime) -> None:
    vp = await start_printer(acs, fake_time, "127.70.0.4")
    dev = printer_id(vp.state)
    cpe = vp.tr069.cpe
    try:
        image = make_firmware(vp.state.identity.product_class, "9.9.1")
        acs.add_file("fw.json", image, auth="digest", username="fw", password="fwpw")
        resp = acs.enqueue(
            dev,
            m.Download(
                "dl-1",
                "1 Firmware Upgrade Image",
                acs.file_url("fw.json"),
                "fw",
                "fwpw",
                len(image),
            ),
        )
        await session(acs, vp, fake_time)
        assert (await resp.result(1)).status == 1
        await fake_time.advance(0, [cpe.idle])
        assert vp.state.identity.software_version == "9.9.1"
        informs = [i for i in cpe.informs if ("M Download", "dl-1") in codes(i)]
        assert informs, [codes(i) for i in cpe.informs]
        assert {("1 BOOT", ""), ("7 TRANSFER COMPLETE", "")} <= codes(informs[0])
        params = {p.name: p.value for p in informs[0].parameter_list}
        assert params["Device.DeviceInfo.SoftwareVersion"] == "9.9.1"
        tcs = [e for e in acs.journal(device=dev) if e.get("method") == "TransferComplete"]
        assert len(tcs) == 1 and "<FaultCode>0</FaultCode>" in tcs[0]["body"]
        assert len(cpe.transfers) == 0 and len(cpe.queue) == 0
        assert_printer_valid(acs)
    finally:
        await vp.stop()


async def test_cpe_printer_download_failures(acs, fake_time: FakeTime) -> None:
    vp = await start_printer(acs, fake_time, "127.70.0.5")
    dev = printer_id(vp.state)
    cpe = vp.tr069.cpe
    try:
        good = make_firmware(vp.state.identity.product_class, "2.0")
        acs.add_file("bad.json", good.replace(b'"2.0"', b'"2.1"')[:-5] + b"xx}")
        acs.add_file("auth.json", good, auth="digest", username="u", password="right")
        cases = {"c-corrupt": ("bad.json", ""), "c-auth": ("auth.json", "wrong")}
        for key, (name, pw) in cases.items():
            acs.enqueue(dev, m.Download(key, "1 Firmware Upgrade Image", acs.file_url(name),
                                        "u", pw))  # fmt: skip
        acs.enqueue(dev, m.Download("c-proto", "1 Firmware Upgrade Image", "ftp://x/y"))
        await session(acs, vp, fake_time)
        await fake_time.advance(0, [cpe.idle])
        tcs = {}
        for e in acs.journal(device=dev):
            if e.get("method") == "TransferComplete":
                env = m.Envelope  # noqa: F841
                from printbench.cwmp import soap

                tc = soap.decode(e["body"].encode()).body
                tcs[tc.command_key] = tc.fault_struct.fault_code
        assert tcs == {"c-corrupt": 9018, "c-auth": 9012}
        assert vp.state.identity.software_version != "2.0"
        faults = [e for e in acs.journal(device=dev) if e.get("method") == "Fault"]
        assert any("9013" in e["body"] for e in faults)
        assert_printer_valid(acs)
    finally:
        await vp.stop()


async def test_cpe_printer_config_download_hold_requests(acs, fake_time: FakeTime) -> None:
    vp = await start_printer(acs, fake_time, "127.70.0.6")
    dev = printer_id(vp.state)
    cpe = vp.tr069.cpe
    try:
        cfg = make_config({"description.location": "From file", "defaults.copies": 3,
                           "network.dns_servers": ["10.0.0.1", "10.0.0.2"]})  # fmt: skip
        acs.add_file("cfg.yaml", cfg)
        acs.set_hold_on_inform(dev)  # our empty POST is sent under hold: requests may follow
        acs.enqueue(
            dev,
            m.Download("cfg-1", "3 Vendor Configuration File", acs.file_url("cfg.yaml")),
            hold_requests=True,
        )
        # more held RPCs: the transfer finishes while they run, TransferComplete must wait
        for _ in range(3):
            acs.enqueue(dev, m.GetParameterValues((LOC,)), hold_requests=True)
        acs.enqueue(dev, m.GetParameterValues((LOC,)))  # releases the hold
        await session(acs, vp, fake_time)
        assert vp.state.description.location == "From file"
        assert vp.state.defaults.copies == 3
        assert vp.state.network.dns_servers == ("10.0.0.1", "10.0.0.2")
        # Delivered (in this session when the download beat the ACS's RPCs, else in the next
        # one with 7 + M Download) and never while held: the stub's hold-requests rule.
        tcs = [e for e in acs.journal(device=dev) if e.get("method") == "TransferComplete"]
        assert len(tcs) == 1 and "cfg-1" in tcs[0]["body"]
        assert len(cpe.transfers) == 0 and len(cpe.queue) == 0
        assert_printer_valid(acs)  # includes the hold-requests rule
    finally:
        await vp.stop()


async def test_cpe_printer_upload_config(acs, fake_time: FakeTime) -> None:
    vp = await start_printer(acs, fake_time, "127.70.0.7")
    dev = printer_id(vp.state)
    try:
        url = acs.expect_upload("conf.yaml", auth="basic", username="up", password="pw")
        acs.enqueue(dev, m.Upload("up-1", "1 Vendor Configuration File", url, "up", "pw"))
        await session(acs, vp, fake_time)
        uploaded = await acs.wait_upload("conf.yaml", timeout=5)
        from printbench.cwmp_cpe.file_formats import parse_config

        values = parse_config(uploaded.content, vp.state)
        assert values["description.location"] == vp.state.description.location
        assert_printer_valid(acs)
    finally:
        await vp.stop()


async def test_cpe_printer_transfer_complete_survives_restart(acs, fake_time: FakeTime) -> None:
    store = MemoryStore()
    vp = await start_printer(acs, fake_time, "127.70.0.8", store=store)
    dev = printer_id(vp.state)
    try:
        acs.add_file("cfg2.yaml", make_config({"description.info": "cfg2"}))
        acs.enqueue(dev, m.Download("keep-1", "3 Vendor Configuration File",
                                    acs.file_url("cfg2.yaml"), delay_seconds=60))  # fmt: skip
        await session(acs, vp, fake_time)
        acs.set_retry_faults(dev, 50)  # the ACS refuses every Inform from now on
        await fake_time.advance(61, [vp.tr069.cpe.idle])
        assert vp.state.description.info == "cfg2"
        assert len(vp.tr069.cpe.transfers) == 1  # not delivered
    finally:
        await vp.stop()
    acs.set_retry_faults(dev, 0)
    # "emulator restart": a new client with the same store delivers it
    await vp.start(faces=("tr069",), drive=False)
    try:
        await fake_time.advance(0, [vp.tr069.cpe.idle])
        inform = vp.tr069.cpe.informs[-1]
        assert {("1 BOOT", ""), ("7 TRANSFER COMPLETE", ""), ("M Download", "keep-1")} <= codes(
            inform
        )
        assert len(vp.tr069.cpe.transfers) == 0
    finally:
        await vp.stop()


async def test_cpe_printer_schedule_inform_and_queued_transfers(acs, fake_time: FakeTime) -> None:
    vp = await start_printer(acs, fake_time, "127.70.0.9")
    dev = printer_id(vp.state)
    cpe = vp.tr069.cpe
    try:
        acs.add_file("c.yaml", make_config({"description.info": "later"}))
        url = acs.file_url("c.yaml")
        acs.enqueue(dev, m.ScheduleInform(120, "sched-1"))
        acs.enqueue(dev, m.Download("q-1", "3 Vendor Configuration File", url, delay_seconds=300))
        acs.enqueue(dev, m.Download("q-2", "3 Vendor Configuration File", url, delay_seconds=300))
        queued = acs.enqueue(dev, m.GetAllQueuedTransfers())
        cancel = acs.enqueue(dev, m.CancelTransfer("q-2"))
        after = acs.enqueue(dev, m.GetQueuedTransfers())
        methods = acs.enqueue(dev, m.GetRPCMethods())
        await session(acs, vp, fake_time)
        listed = (await queued.result(1)).transfer_list
        assert [(t.command_key, t.state, t.is_download) for t in listed] == [
            ("q-1", 1, True),
            ("q-2", 1, True),
        ]
        await cancel.result(1)
        assert [t.command_key for t in (await after.result(1)).transfer_list] == ["q-1"]
        supported = set((await methods.result(1)).method_list)
        assert {"Reboot", "FactoryReset", "Download", "Upload", "ScheduleInform",
                "CancelTransfer", "GetAllQueuedTransfers"} <= supported  # fmt: skip
        await fake_time.advance(119, [cpe.idle])
        assert not any(("M ScheduleInform", "sched-1") in codes(i) for i in cpe.informs)
        await fake_time.advance(1, [cpe.idle])
        assert {("3 SCHEDULED", ""), ("M ScheduleInform", "sched-1")} <= codes(cpe.informs[-1])
        await fake_time.advance(180, [cpe.idle])
        keys = [e.command_key for i in cpe.informs for e in i.event if e.event_code == "M Download"]
        tcs = [e for e in acs.journal(device=dev) if e.get("method") == "TransferComplete"]
        assert len(tcs) == 1 and "q-1" in tcs[0]["body"]  # the cancelled one never reports
        assert "q-2" not in keys
        assert vp.state.description.info == "later"
        assert_printer_valid(acs)
    finally:
        await vp.stop()


async def test_cpe_printer_quirk_no_transfer_complete(acs, fake_time: FakeTime) -> None:
    vp = await start_printer(acs, fake_time, "127.70.0.10", quirks=("no-transfer-complete",))
    dev = printer_id(vp.state)
    try:
        acs.add_file("n.yaml", make_config({"description.info": "silent"}))
        acs.enqueue(dev, m.Download("nt-1", "3 Vendor Configuration File", acs.file_url("n.yaml")))
        await session(acs, vp, fake_time)
        await fake_time.advance(3600, [vp.tr069.cpe.idle])
        assert vp.state.description.info == "silent"  # applied ...
        assert not [e for e in acs.journal(device=dev) if e.get("method") == "TransferComplete"]
        assert len(vp.tr069.cpe.transfers) == 0  # ... but never reported
    finally:
        await vp.stop()
