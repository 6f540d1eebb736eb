"""Printers that fail: offline mid-session, SNMP timeouts and wrong community, EWS login
failure, IPP errors. Each gives the right CWMP fault with a clear string, nothing hangs, the
device stays and recovers, and other printers keep being served."""

from __future__ import annotations

from printbench.cwmp import messages as m

PS = "Device.Services.PrintService.1."
STATE = PS + "Status.State"  # IPP primary
SERIAL = PS + "Status.SerialNumber"  # SNMP primary
DNS = PS + "X_PRINTBENCH-ORG_Settings.Network.DNSDomain"  # EWS only


async def _gpv(device, *names: str) -> m.Message:
    return await device.get_parameter_values(m.GetParameterValues(names))


async def test_proxy_printer_offline_mid_session_and_back(printers, make_device) -> None:
    a = await printers("color-laser-mfp")
    b = await printers("inkjet-office", seed=2)
    da = await make_device(a, timeout=0.3)
    db = await make_device(b, timeout=0.3)
    assert isinstance(await _gpv(da, PS), m.GetParameterValuesResponse)
    a.control.power_off()
    r = await _gpv(da, PS)
    assert isinstance(r, m.Fault) and r.fault_code == 9002, r
    assert a.host in r.fault_string
    r = await _gpv(da, SERIAL)
    assert isinstance(r, m.Fault) and "SNMP" in r.fault_string and a.host in r.fault_string
    # the device stays: its identity is still served
    r = await _gpv(da, "Device.DeviceInfo.SerialNumber")
    assert isinstance(r, m.GetParameterValuesResponse)
    assert r.parameter_list[0].value == a.state.identity.serial_number
    # another printer is not affected
    r = await _gpv(db, PS)
    assert isinstance(r, m.GetParameterValuesResponse) and len(r.parameter_list) > 50
    # writes fault too, and nothing changes
    r = await da.set_parameter_values(
        m.SetParameterValues((m.ParameterValueStruct(DNS, "x.example", "xsd:string"),), "k")
    )
    assert isinstance(r, m.Fault) and r.fault_code == 9002
    assert not await da.conn.reachable(0.3)
    a.control.power_on()
    assert await da.conn.reachable(1.0)
    r = await _gpv(da, STATE, SERIAL, DNS)
    assert isinstance(r, m.GetParameterValuesResponse)
    assert [v.value for v in r.parameter_list][1:] == [
        a.state.identity.serial_number,
        a.state.network.dns_domain,
    ]
    assert da.online


async def test_proxy_wrong_community_times_out_cleanly(printers, make_device) -> None:
    p = await printers("mono-desktop-laser")
    d = await make_device(p, community="wrong", protocols=("snmp",), timeout=0.2, retries=1)
    r = await _gpv(d, SERIAL)
    assert isinstance(r, m.Fault) and r.fault_code == 9002
    assert "no answer after 2 tries" in r.fault_string and "community" in r.fault_string


async def test_proxy_snmp_v3_reads(printers, make_device) -> None:
    p = await printers("mono-desktop-laser")
    s = p.state.snmp
    d = await make_device(
        p,
        protocols=("snmp",),
        snmp_version="3",
        v3_user=s.v3_user,
        v3_auth_key=s.v3_auth_key,
        v3_priv_key=s.v3_priv_key,
    )
    r = await _gpv(d, SERIAL)
    assert isinstance(r, m.GetParameterValuesResponse)
    assert r.parameter_list[0].value == p.state.identity.serial_number


async def test_proxy_ews_login_failure(printers, make_device) -> None:
    p = await printers("color-laser-mfp")
    d = await make_device(p, ews_password="wrong", protocols=("ews",))
    r = await _gpv(d, DNS)
    assert isinstance(r, m.Fault) and r.fault_code == 9002
    assert "login as 'admin' refused" in r.fault_string
    r = await d.set_parameter_values(
        m.SetParameterValues((m.ParameterValueStruct(DNS, "x.example", "xsd:string"),), "k")
    )
    assert isinstance(r, m.Fault) and r.fault_code == 9002
    assert p.state.network.dns_domain != "x.example"


async def test_proxy_ipp_errors(printers, make_device) -> None:
    p = await printers("color-laser-mfp")
    wrong = p.endpoints["ipp"].replace("/ipp/print", "/ipp/nothing")
    d = await make_device(p, ipp_uri=wrong, protocols=("ipp",))
    r = await _gpv(d, STATE)
    assert isinstance(r, m.Fault) and r.fault_code == 9002
    assert "IPP" in r.fault_string and "404" in r.fault_string
    # an IPP refusal of a value is a per-parameter 9007, nothing written
    ok = await make_device(p, protocols=("ipp",))
    copies = PS + "Defaults.DefaultPrintJobTicket.PrintDocumentProcessing.Copies"
    r = await ok.set_parameter_values(
        m.SetParameterValues((m.ParameterValueStruct(copies, "5000", "xsd:int"),), "k")
    )
    assert isinstance(r, m.Fault) and r.fault_code == 9003, r
    assert r.set_parameter_values_faults[0].fault_code in (9007,)
    assert p.state.defaults.copies != 5000


async def test_proxy_reboot_and_factory_reset_through_snmp(printers, make_device) -> None:
    import asyncio

    from printbench.cwmp_proxy.virtual_device import PrinterHooks

    p = await printers("color-laser-mfp")
    d = await make_device(p)
    boots = p.state.status.boot_count
    hooks = PrinterHooks(d)
    hooks.reboot()  # prtGeneralReset powerCycleReset(4)
    await asyncio.gather(*d._tasks)
    assert p.state.status.boot_count == boots + 1
    p.state.description.location = "changed"
    hooks.factory_reset()  # resetToFactoryDefaults(6)
    await asyncio.gather(*d._tasks)
    assert p.state.status.factory_resets == 1
    assert p.state.description.location != "changed"
    # without SNMP the mapping has no way: the RPCs are not offered (9000)
    ipp_only = await make_device(p, protocols=("ipp",))
    cpe = ipp_only.make_cpe("http://127.0.0.1:9/cwmp/x")
    assert "Reboot" not in cpe.supported_methods()
    r = await cpe._dispatch(m.Reboot("k"))
    assert isinstance(r, m.Fault) and r.fault_code == 9000
