"""The proxy in front of servers nobody here wrote: CUPS ippeveprinter (IPP) and snmpsim (SNMP)
serving a public recording of a real printer (tests/proxy/data/README.md).

The emulator and the proxy share the IPP codec (``emulator.ipp.codec``) and the project's view of
the MIBs, so a symmetric mistake passes the oracle tests. Here every value the proxy serves is
compared with an independent read of the same server: ``ipptool`` (CUPS) for IPP, net-snmp
``snmpget`` for SNMP. For SNMP the expected DM value is the net-snmp value through the mapping's
conversion: what is checked independently is the wire (BER, GETBULK walks, instance numbers,
table rows), not the conversion tables (tests/datamodel/test_dm_conversions.py has those).

Writes go through where the server allows them (snmpsim's ``writecache`` row); the rest gets the
CWMP fault TR-069 prescribes: SetParameterValues fault 9003 "Invalid arguments" with one
SetParameterValuesFault per parameter, 9008 "Attempt to set a non-writable parameter"
(TR-069 Amendment 6 §A.3.2.1 and the CPE fault code table of §A.5.1; codes and strings as in
cwmp-1-2.xsd), and a parameter the printer does not have is not in its model: 9005 "Invalid
parameter name" (§A.3.2.2).
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

from printbench.cwmp import messages as m
from printbench.cwmp_proxy.binding import conform, render, template_of
from printbench.cwmp_proxy.inventory import PrinterEntry
from printbench.cwmp_proxy.model import Identity
from printbench.cwmp_proxy.virtual_device import PrinterDevice
from printbench.datamodel import conversions
from tests.proxy import interop

PS = "Device.Services.PrintService."
P1 = PS + "1."
DATA = Path(__file__).parent / "data"
RECORDING = DATA / "brother.snmprec"  # LibreNMS tests/snmpsim/brother.snmprec (see README)


def _values(resp: m.Message) -> dict[str, str]:
    assert isinstance(resp, m.GetParameterValuesResponse), resp
    return {v.name: v.value for v in resp.parameter_list}


async def _run(*cmd: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        *cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, (cmd, err.decode(errors="replace"))
    return out.decode("utf-8", "replace")


async def _device(model: Any, http: Any, entry: PrinterEntry) -> PrinterDevice:
    dm, bindings = model
    d = PrinterDevice(
        entry, dm, bindings, http, proxier=Identity(serial_number="interop"), timeout=1.0, retries=1
    )
    await d.discover()
    return d


async def _acs_walk(device: PrinterDevice) -> None:
    """What an independent ACS does first (issue 13): GetParameterNames of PrintService.1., then
    GetParameterValues of every name it listed, in one request: answered, nothing missing."""
    gpn = await device.get_parameter_names(m.GetParameterNames(P1, False))
    assert isinstance(gpn, m.GetParameterNamesResponse), gpn
    names = tuple(p.name for p in gpn.parameter_list if not p.name.endswith("."))
    assert len(names) > 20
    got = _values(await device.get_parameter_values(m.GetParameterValues(names)))
    assert set(got) == set(names)


# -- IPP: CUPS ippeveprinter ----------------------------------------------------------------------

#: RFC 3805 PrtSubUnitStatusTC: 0 is "available and idle", online (bit 8 clear)
_SUBUNIT = {"0": "AvailableAndIdle,Online"}


def _norm(text: str) -> str:
    """Keyword spellings compared: IPP kebab-case / MIB camelCase vs SM CamelCase."""
    return re.sub(r"[-_ ]", "", text).lower()


async def _ipptool_all(uri: str) -> dict[str, str]:
    """Every printer attribute as ipptool prints it (``name (syntax) = value``)."""
    out = await _run("ipptool", "-tv", uri, "get-printer-attributes.test")
    attrs: dict[str, str] = {}
    for line in out.splitlines():
        got = re.match(r"\s+([a-z0-9-]+) \(([^)]*)\) = (.*)$", line)
        if got:
            attrs[got[1]] = got[3]
    return attrs


def _member(text: str, index: int, key: str) -> str | None:
    """``key`` of the ``index``-th (1-based) key=value member of an octetString 1setOf."""
    members = re.split(r",(?=[a-z-]+=)", text)
    if index > len(members):
        return None
    fields = dict(p.split("=", 1) for p in members[index - 1].split(";") if "=" in p)
    return fields.get(key)


@pytest.fixture
async def ippeve():
    async with interop.ippeveprinter(
        "-M", "Acme", "-m", "Laser 9000", "-l", "Lab 1", "-s", "30,20", "-2", "Interop Printer"
    ) as ipp:
        yield ipp


async def test_ippeveprinter_reads_match_ipptool(ippeve, model, http) -> None:
    device = await _device(
        model, http, PrinterEntry("127.0.0.1", protocols=("ipp",), ipp_uri=ippeve.uri)
    )
    got = _values(await device.get_parameter_values(m.GetParameterValues((PS,))))
    attrs = await _ipptool_all(ippeve.uri)
    checked, wrong = 0, []
    for name, value in got.items():
        src = device.view.choice.get(template_of(name))
        if src is None or src.kind != "ipp":
            continue  # NumberOfEntries (checked below)
        text = attrs.get(src.attribute)
        inst = [int(x) for x in re.findall(r"\.(\d+)\.", name[len(P1) :])]
        if src.key and src.attribute in ("printer-input-tray", "printer-supply"):
            text = None if text is None else _member(text, inst[-1], src.key)
        elif src.key and src.attribute.startswith("printer-resolution"):
            res = re.fullmatch(r"(\d+)(?:x(\d+))?(dpi|dpcm)", text or "")
            assert res, text
            text = {"cross-feed": res[1], "feed": res[2] or res[1], "units": res[3]}[src.key]
        if text is None:  # the server lacks this member: unknown value, and a note says so
            assert name in device.view.notes, name
            checked += 1
            continue
        want = _SUBUNIT.get(text, text) if src.key == "status" else text
        if src.attribute == "printer-more-info":
            # ippeveprinter builds URIs from the request's Host; CUPS's HTTP library (ipptool)
            # sends "localhost" for 127.0.0.1, aiohttp (the proxy) the address it was given
            want = want.replace("//localhost:", "//127.0.0.1:")
        if src.attribute == "printer-up-time":
            ok = abs(int(value) - int(want)) <= 5
        else:
            ok = _norm(value) == _norm(want)
        checked += 1
        if not ok:
            wrong.append(f"{name}: proxy {value!r}, ipptool {src.attribute}={want!r}")
    assert not wrong, "\n".join(wrong)
    assert checked >= 30
    n = len(re.split(r",(?=[a-z-]+=)", attrs["printer-input-tray"]))
    assert got[P1 + "Configuration.InputTrays.InputTrayNumberOfEntries"] == str(n)
    await _acs_walk(device)


async def test_ippeveprinter_writes_get_9008(ippeve, model, http) -> None:
    """ippeveprinter has no Set-Printer-Attributes: a write gets 9003 with 9008 per parameter,
    and the printer is unchanged (read back with ipptool)."""
    device = await _device(
        model, http, PrinterEntry("127.0.0.1", protocols=("ipp",), ipp_uri=ippeve.uri)
    )
    name = P1 + "Description.ServiceLocation"
    resp = await device.set_parameter_values(
        m.SetParameterValues((m.ParameterValueStruct(name, "Floor 3", "xsd:string"),), "k1")
    )
    assert isinstance(resp, m.Fault) and resp.fault_code == 9003, resp
    assert [(f.parameter_name, f.fault_code) for f in resp.set_parameter_values_faults] == [
        (name, 9008)
    ]
    assert (await _ipptool_all(ippeve.uri))["printer-location"] == "Lab 1"


# -- SNMP: snmpsim serving a real printer's recording ---------------------------------------------


async def _snmpget_raw(agent: interop.Agent, oid: str) -> Any:
    """One value read with net-snmp: int for numbers, bytes for octet strings, None if absent."""
    out = await _run(
        "snmpget", "-v2c", "-c", agent.community, "-On", "-Oq", "-Ov", "-Oe", "-Ot", "-Ox",
        "-t", "2", "-r", "1", f"{agent.host}:{agent.port}", oid,
    )  # fmt: skip
    text = " ".join(out.split())
    if text.startswith("No Such") or not text:
        return None
    if text.startswith('"'):
        return bytes.fromhex(text.strip('" '))
    return int(text) if re.fullmatch(r"-?\d+", text) else text


@pytest.fixture
async def agent(tmp_path):
    rec = tmp_path / "brother.snmprec"
    lines = RECORDING.read_text().splitlines()
    # sysLocation writable (snmpsim's writecache variation); one corrupt row as real walks have
    lines = [
        "1.3.6.1.2.1.1.6.0|4:writecache|value=<private>" if ln.startswith("1.3.6.1.2.1.1.6.0|")
        else "1.3.6.1.2.1.2.2.1.17.1|65|6git3159" if ln.startswith("1.3.6.1.2.1.2.2.1.17.1|")
        else ln
        for ln in lines
    ]  # fmt: skip
    rec.write_text("\n".join(lines) + "\n")
    async with interop.snmpsim(rec) as a:
        yield a


def _snmp_entry(agent: interop.Agent) -> PrinterEntry:
    return PrinterEntry(
        agent.host,
        protocols=("snmp",),
        snmp_port=agent.port,
        community=agent.community,
        write_community=agent.community,
    )


async def test_snmpsim_recording_reads_match_net_snmp(agent, model, http) -> None:
    assert len(agent.warnings) == 1 and re.search(
        r"brother\.snmprec:\d+: .*6git3159", agent.warnings[0]
    )
    device = await _device(model, http, _snmp_entry(agent))
    got = _values(await device.get_parameter_values(m.GetParameterValues((PS,))))
    checked, wrong = 0, []
    for name, value in got.items():
        tpl = template_of(name)
        src = device.view.choice.get(tpl)
        if src is None or src.kind != "snmp":
            continue
        inst = [int(x) for x in re.findall(r"\.(\d+)(?=\.)", name[len(P1) :])]
        rule = src.instance.replace("{dev}", "1").replace("{i}", str(inst[-1] if inst else 0))
        raws = [await _snmpget_raw(agent, f"{src.oid}.{rule}")]
        for w in src.with_objects:
            raws.append(await _snmpget_raw(agent, f"{conversions_oid(w)}.{rule}"))
        raw = raws[0] if len(raws) == 1 else tuple(raws)
        pt = device.tree.model.param_def(tpl).type
        conv = conversions.get(src.conversion)
        if conv.context == "boot_time":
            continue  # no TimeTicks-to-time row in this recording
        try:
            want = conform(render(conv.to_dm(raw), pt), pt)[0]
        except (conversions.ConversionError, ValueError, TypeError):
            want = None  # no DM form: the proxy must have said so
        checked += 1
        if src.oid == "1.3.6.1.2.1.1.3":  # sysUpTime is the one value snmpsim moves
            continue
        if want is None:
            if name not in device.view.notes:
                wrong.append(f"{name}: {raw!r} has no DM form, yet no note")
        elif value != want:
            wrong.append(f"{name}: proxy {value!r}, net-snmp {raw!r} -> {want!r}")
    assert not wrong, "\n".join(wrong)
    assert checked >= 40
    # what the recording holds is served: 3 trays, 4 interfaces, the MAC's OUI in the DeviceId
    assert got[P1 + "Configuration.InputTrays.InputTray.2.InputTrayDescription.InputTrayName"] == (
        "MANUAL TRAY"
    )
    assert got[P1 + "Configuration.Interfaces.InterfaceNumberOfEntries"] == "4"
    # supplies although the recording has no prtMarkerTable: each supply names its marker
    sup = P1 + "Configuration.Markers.Marker.1.MarkerSupplies.MarkerSupply.2."
    assert got[sup + "MarkerSupplyStatus.MarkerSupplyInfo"] == "Drum Unit"
    assert got[sup + "MarkerSupplyDescription.MarkerSupplyCurrentLevel"] == "11501"
    assert device.identity.oui == "3C2AF4"
    # a Counter32 above 2^31 is served as it is (the model types RFC 2863 counters
    # unsignedInt; it used to be an int, and this value came back as "unknown" with a note)
    octets = P1 + "Configuration.Interfaces.Interface.1.InterfaceStatus.InterfaceInOctets"
    assert got[octets] == "3658275999"
    assert octets not in device.view.notes
    await _acs_walk(device)


def conversions_oid(name: str) -> str:
    from printbench.datamodel import oids

    return oids.OIDS[name][0]


async def test_snmpsim_writes_and_faults(agent, model, http) -> None:
    device = await _device(model, http, _snmp_entry(agent))
    loc = P1 + "Description.ServiceLocation"
    resp = await device.set_parameter_values(
        m.SetParameterValues((m.ParameterValueStruct(loc, "Floor 3", "xsd:string"),), "k1")
    )
    assert isinstance(resp, m.SetParameterValuesResponse) and resp.status == 0, resp
    assert await _snmpget_raw(agent, "1.3.6.1.2.1.1.6.0") == b"Floor 3"
    # sysContact is a plain recorded row: snmpsim answers the SET noError with noSuchInstance
    # and changes nothing; the proxy takes that as not writable (9008), not as success
    vcard = P1 + "Description.OwnerVCard"
    new = "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Jane\r\nEND:VCARD\r\n"
    resp = await device.set_parameter_values(
        m.SetParameterValues((m.ParameterValueStruct(vcard, new, "xsd:string"),), "k2")
    )
    assert isinstance(resp, m.Fault) and resp.fault_code == 9003, resp
    assert [(f.parameter_name, f.fault_code) for f in resp.set_parameter_values_faults] == [
        (vcard, 9008)
    ]
    assert await _snmpget_raw(agent, "1.3.6.1.2.1.1.4.0") == b"<private>"
    # the recording has no prtGeneralSerialNumber: not in this printer's model
    resp = await device.get_parameter_values(m.GetParameterValues((P1 + "Status.SerialNumber",)))
    assert isinstance(resp, m.Fault) and resp.fault_code == 9005, resp
