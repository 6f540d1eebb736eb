"""SetParameterValues through the proxy: every read-write mapped parameter is written over
the printer's own protocol, shows there (net-snmp snmpget, CUPS ipptool, EWS JSON), and is
set back; a refused value rolls back what was already written."""

from __future__ import annotations

import asyncio
import json

import aiohttp

from printbench.cwmp import messages as m
from printbench.cwmp_proxy.binding import template_of
from printbench.emulator.tr069.view import printer_tree

PS = "Device.Services.PrintService.1."

SPECIAL = {
    "DNSServers": "127.0.0.54",
    "TimeZone": "Europe/Paris",
    "NTPServer": "ntp.example.net",
    "Recipients": "ops@example.net",
    "HostName": "printer-x",
    "Server": "smtp.example.net",
    "WINSServer": "127.0.0.9",
    "From": "printer@example.net",
    "TrapDestinations": "127.0.0.1:9162",
    "IPv4Address": "127.80.0.77",
    "DefaultGateway": "127.80.0.254",
    "SubnetMask": "255.255.0.0",
    "ReadCommunity": "public2",
    "WriteCommunity": "private2",
    "Events": "jam",
    "PSPaperSelect": "tray1",
    "PCLFont": "Arial",
    "PCLSymbolSet": "Roman-8",
    "OwnerVCard": "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Proxy Tester\r\nEND:VCARD\r\n",
    "Sides": "TwoSidedLongEdge",
    "OrientationRequested": "Landscape",
    "FeedOrientation": "LongEdgeFirst",
    "Units": "Dpi",
    "CrossFeedDir": "1200",
    "FeedDir": "1200",
    "InterfaceAdminState": "Down",
}


def new_value(name: str, current: str, type_: object) -> str:
    leaf = name.rsplit(".", 1)[-1]
    if leaf in SPECIAL:
        return SPECIAL[leaf]
    base = type_.base  # type: ignore[attr-defined]
    if base == "boolean":
        return "false" if current in ("true", "1") else "true"
    if base in ("int", "unsignedInt"):
        return str(int(current) + 1 if leaf != "Darkness" else (int(current) % 5) + 1)
    return "pb-" + (current[:10] or "x").replace(" ", "-")


async def _snmpget(target: str, oid: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        "snmpget",
        "-v2c",
        "-c",
        "public",
        "-On",
        "-Oqv",
        "-t",
        "2",
        "-r",
        "1",
        target,
        oid,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return out.decode().strip().strip('"')


async def _ipptool(uri: str, attr: str) -> str:
    test = (
        "{ OPERATION Get-Printer-Attributes GROUP operation-attributes-tag "
        "ATTR charset attributes-charset utf-8 ATTR naturalLanguage "
        "attributes-natural-language en ATTR uri printer-uri $uri "
        f"ATTR keyword requested-attributes {attr} STATUS successful-ok "
        f"DISPLAY {attr} }}\n"
    )
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".test", delete=False) as f:
        f.write(test)
    proc = await asyncio.create_subprocess_exec(
        "ipptool",
        "-T",
        "5",
        "-t",
        uri,
        f.name,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 0, out.decode()[-400:]
    return out.decode()


async def _ews(url: str, path: str) -> object:
    async with (
        aiohttp.ClientSession() as s,
        s.get(url.rstrip("/") + "/api/state", auth=aiohttp.BasicAuth("admin", "admin")) as r,
    ):
        return (await r.json())[path]


async def native_shows(device, printer, name: str, row, src, value) -> None:
    """The value is visible on the printer's own protocol (third-party clients)."""
    inner = tuple(int(x) for x in name.split(".") if x.isdigit())[1:]
    if src.kind == "snmp":
        from printbench.cwmp_proxy.binding import _fill

        inst = _fill(src.instance.replace("{dev}", "1"), inner)
        port = printer.endpoints["snmp"].rsplit(":", 1)[1]
        got = await _snmpget(f"udp:{printer.host}:{port}", f"{src.oid}.{inst}")
        assert got, name
    elif src.kind == "ipp":
        out = await _ipptool(printer.endpoints["ipp"], src.attribute)
        assert src.attribute in out, out
    else:
        field = src.field.replace("{i}", str(inner[-1]) if inner else "")
        got = await _ews(printer.endpoints["ews"], field)
        native = device.writer.native_for_test(src, value)
        assert got == native, f"{name}: EWS shows {got!r}, expected {native!r}"


async def test_proxy_every_writable_parameter(printers, make_device) -> None:
    printer = await printers("color-laser-mfp")
    device = await make_device(printer)
    resp = await device.get_parameter_names(m.GetParameterNames(PS, False))
    writable = [i.name for i in resp.parameter_list if i.writable and not i.name.endswith(".")]
    assert len(writable) >= 50
    oracle, _ = printer_tree(printer.state, printer.clock)
    written, refused = [], []
    for name in writable:
        cur = (await device.get_parameter_values(m.GetParameterValues((name,)))).parameter_list[0]
        pd = device.tree.model.param_def(template_of(name))
        new = new_value(name, cur.value, pd.type)
        if new == cur.value:
            continue
        r = await device.set_parameter_values(
            m.SetParameterValues((m.ParameterValueStruct(name, new, cur.type),), "k1")
        )
        if isinstance(r, m.Fault):
            # Only "this printer does not let it be written" or "refused value" are allowed.
            assert r.fault_code == 9003, r
            assert r.set_parameter_values_faults[0].fault_code in (9007, 9008), r
            refused.append((name, r.set_parameter_values_faults[0].fault_code))
            assert oracle.get_value(name) == cur.value, f"{name} changed although refused"
            continue
        assert r.status == 0
        written.append(name)
        # the printer's own TR-069 view (the oracle) and its native protocol both show it
        got = (await device.get_parameter_values(m.GetParameterValues((name,)))).parameter_list[0]
        assert got.value == new
        src = device.writer.last[name]
        await native_shows(
            device,
            printer,
            name,
            device.bindings.rows[template_of(name)],
            src,
            device.view.read(
                device.bindings.rows[template_of(name)],
                tuple(int(x) for x in name.split(".") if x.isdigit()),
            ),
        )
        # and back
        r = await device.set_parameter_values(
            m.SetParameterValues((m.ParameterValueStruct(name, cur.value, cur.type),), "k2")
        )
        assert not isinstance(r, m.Fault), (name, r)
        back = (await device.get_parameter_values(m.GetParameterValues((name,)))).parameter_list[0]
        assert back.value == cur.value
    assert len(written) >= 45, (len(written), refused)
    assert device.tree.parameter_key == "k2"
    print(f"written {len(written)}, refused {refused}")


async def test_proxy_spv_rolls_back_across_protocols(printers, make_device) -> None:
    printer = await printers("color-laser-mfp")
    device = await make_device(printer)
    loc = PS + "Description.ServiceLocation"  # IPP printer-location
    contact = PS + "Description.OwnerVCard"  # SNMP sysContact
    bad = PS + "X_PRINTBENCH-ORG_Settings.TCPIP.HostName"  # EWS: refuses an invalid host name
    before_loc = printer.state.description.location
    before_contact = printer.state.description.contact_name
    r = await device.set_parameter_values(
        m.SetParameterValues(
            (
                m.ParameterValueStruct(loc, "Moved", "xsd:string"),
                m.ParameterValueStruct(contact, SPECIAL["OwnerVCard"], "xsd:string"),
                m.ParameterValueStruct(bad, "not a host!", "xsd:string"),
            ),
            "rollback",
        )
    )
    assert isinstance(r, m.Fault) and r.fault_code == 9003, r
    assert [f.parameter_name for f in r.set_parameter_values_faults] == [bad]
    assert r.set_parameter_values_faults[0].fault_code == 9007
    assert printer.state.description.location == before_loc
    assert printer.state.description.contact_name == before_contact
    assert device.tree.parameter_key == ""


async def test_proxy_spv_read_only_and_bad_type(printers, make_device) -> None:
    printer = await printers("mono-desktop-laser")
    device = await make_device(printer)
    r = await device.set_parameter_values(
        m.SetParameterValues(
            (
                m.ParameterValueStruct(PS + "Status.SerialNumber", "X", "xsd:string"),
                m.ParameterValueStruct(
                    PS + "X_PRINTBENCH-ORG_Settings.SMTP.Port", "many", "xsd:unsignedInt"
                ),
            ),
            "",
        )
    )
    assert isinstance(r, m.Fault) and r.fault_code == 9003
    assert [f.fault_code for f in r.set_parameter_values_faults] == [9008, 9006]
    assert json.dumps(printer.state.network.smtp_port) == "25"
