"""The mapping table: coverage of the seed's tables, and validation errors that name the line."""

from __future__ import annotations

import dataclasses

import pytest

from printbench.datamodel import oids
from printbench.datamodel.loader import load_spec
from printbench.datamodel.mapping import (
    MappingError,
    load_mapping,
    parse_mapping,
    render_markdown,
    validate,
)

PS = "Device.Services.PrintService.{i}."


@pytest.fixture(scope="module")
def spec():
    return load_spec()


@pytest.fixture(scope="module")
def mapping(spec):
    return load_mapping(spec=spec)


SEED_ROWS = {
    "Serial Number": ("Status.SerialNumber", "read", "snmp"),
    "Device Description": ("Description.ServiceInfo", None, None),
    "Memory Capacity": (
        "Configuration.Storages.Storage.{i}.StorageStatus.StorageSize",
        "read",
        "snmp",
    ),
    "Contact": ("Description.OwnerVCard", "read-write", "snmp"),
    "Location": ("Description.ServiceLocation", "read-write", "ipp"),
    "MAC Address": (
        "Configuration.Interfaces.Interface.{i}.InterfaceStatus.InterfacePhysicalAddress",
        "read",
        "snmp",
    ),
    "Front Panel Display": (
        "Configuration.Consoles.Console.{i}.ConsoleDescription.ConsoleDisplayBuffer.ConsoleDisplayText",
        "read",
        "snmp",
    ),
    "Printer Color": ("Description.ColorSupported", "read", "snmp"),
    "Printer Status": ("Status.State", "read", "ipp"),
    "Toner Levels": (
        "Configuration.Markers.Marker.{i}.MarkerSupplies.MarkerSupply.{i}.MarkerSupplyDescription.MarkerSupplyCurrentLevel",
        "read",
        "snmp",
    ),
    "Tray status": (
        "Configuration.InputTrays.InputTray.{i}.InputTrayStatus.SubunitStates.SubunitState",
        "read",
        "snmp",
    ),
    "General Page Count": (
        "Status.Counters.MediasUsed.MediaUsed.{i}.MediaUsedTotalSheets",
        "read",
        "snmp",
    ),
    "Default Orientation": (
        "Defaults.DefaultPrintJobTicket.PrintDocumentProcessing.FeedOrientation",
        "read-write",
        "ipp",
    ),
    "Default Number of sides": (
        "Defaults.DefaultPrintJobTicket.PrintDocumentProcessing.Sides",
        "read-write",
        "ipp",
    ),
    "Default Print Resolution": (
        "Defaults.DefaultPrintJobTicket.PrintDocumentProcessing.Resolution.Units",
        "read-write",
        "ipp",
    ),
    "Default number of copies": (
        "Defaults.DefaultPrintJobTicket.PrintDocumentProcessing.Copies",
        "read-write",
        "ipp",
    ),
}

EWS_ROWS = [
    "DNS and WINS Configuration",
    "SMTP configuration",
    "FTP configuration",
    "HTTP configuration",
    "LPD and Port 9100",
    "SNMP configuration",
    "Time configuration",
    "TCP/IP configuration",
    "Email alerts configuration",
    "Finishing configuration",
    "Scan, print, fax settings",
    "PCL settings",
    "PS settings",
    "Printer general, identification and asset information",
    "Consumable status and estimates",
    "Service (drum, fuser, roller)",
    "Paper - Metering",
    "Tray status",
    "SNMP and EWS connection settings",
]


@pytest.mark.parametrize("row", sorted(SEED_ROWS))
def test_seed_rows_are_mapped_with_the_seed_source_and_access(mapping, row):
    path, access, kind = SEED_ROWS[row]
    r = mapping.row(PS + path)
    assert r.seed == row
    if access:
        assert r.access == access and r.sources[0].kind == kind


def test_ews_table_rows_are_covered(mapping):
    seeds = {r.seed for r in mapping.rows}
    missing = [row for row in EWS_ROWS if not any(s.startswith(row) for s in seeds)]
    assert missing == []


def test_managed_print_coverage(mapping):
    paths = {r.path for r in mapping.rows}
    for needle in (
        "ActiveConditions.DeviceCondition.{i}.Name",
        "MarkerSupplyType",
        "InputTrayCurrentLevel",
        "OutputTrayRemainingCapacity",
        "MarkerCounterLife",
        "WorkTotals.Impressions",
        "Monitoring.CriticalAlerts",
    ):
        assert any(needle in p for p in paths), needle


def test_every_snmp_row_agrees_with_the_oid_table_and_rw_rows_are_writable(mapping, spec):
    for r in mapping.rows:
        assert spec.params[r.path].writable or not r.writable
        s = r.source("snmp")
        if s:
            assert oids.numeric(s.object) == s.oid
            assert oids.name_of(r.instance_oid((1, 3))) == s.object


def test_ews_fields_exist_in_the_emulator_state(mapping):
    state = pytest.importorskip("printbench.emulator.state")
    classes = {
        "identity": state.Identity,
        "description": state.Description,
        "status": state.Status,
        "counters": state.Counters,
        "defaults": state.Defaults,
        "network": state.NetworkServices,
        "snmp": state.SnmpConfig,
        "time": state.TimeConfig,
        "email_alerts": state.EmailAlerts,
        "finishing": state.FinishingConfig,
        "print_settings": state.PrintSettings,
        "storages": state.Storage,
        "interfaces": state.Interface,
        "consoles": state.Console,
        "supplies": state.Supply,
        "media_used": state.MediaUsed,
        "colorants": state.Colorant,
        "markers": state.Marker,
        "input_trays": state.InputTray,
        "output_trays": state.OutputTray,
        "covers": state.Cover,
        "alerts": state.Alert,
    }
    for r in mapping.rows:
        s = r.source("ews")
        if not s:
            continue
        parts = s.field.split(".")
        cls = classes[parts[0]]
        assert parts[-1] in {f.name for f in dataclasses.fields(cls)}, f"line {r.line}: {s.field}"


def test_instance_rules(mapping):
    r = mapping.row(PS + SEED_ROWS["Toner Levels"][0])
    assert r.instance_oid((1, 1, 4)) == "1.3.6.1.2.1.43.11.1.1.9.1.4"
    assert r.ews_field((1, 1, 4)) == "supplies.4.level"


def test_render_markdown(mapping):
    md = render_markdown(mapping)
    assert md.count("\n") == len(mapping.rows) + 2
    assert "| `PS.Status.SerialNumber` | read | SNMP prtGeneralSerialNumber.{dev}" in md


BAD = [
    ("- path: PS.Status.Nope\n  ews: {field: status.state}\n", 1, "not a parameter"),
    (
        '- path: PS.Status.State\n  access: read\n  snmp: {object: hrPrinterStatus, oid: 1.2.3, instance: "1"}\n',
        3,
        "does not match",
    ),
    (
        '- path: PS.Status.State\n  snmp: {object: hrNope, oid: 1.2.3, instance: "1"}\n',
        2,
        "unknown SNMP object",
    ),
    (
        "- path: PS.Status.SerialNumber\n  access: read-write\n  ews: {field: identity.serial_number}\n",
        2,
        "readOnly in the data model",
    ),
    ("- path: PS.Status.State\n  ipp: {attribute: printer-nope}\n", 2, "unknown IPP attribute"),
    (
        "- path: PS.Status.State\n  ews: {field: status.state, conversion: nope}\n",
        2,
        "unknown conversion",
    ),
    ("- path: PS.Status.State\n  access: write\n  ews: {field: status.state}\n", 2, "access"),
    ("- path: PS.Status.State\n  bogus: 1\n  ews: {field: status.state}\n", 2, "unknown key"),
    ("- path: PS.Status.State\n", 1, "no source"),
    (
        "- path: PS.Status.State\n  ews: {field: status.state}\n- path: PS.Status.State\n  ews: {field: status.state}\n",
        3,
        "mapped twice",
    ),
    ("- path: [unclosed\n", 2, "not valid YAML"),
]


@pytest.mark.parametrize(("text", "line", "message"), BAD)
def test_errors_name_the_file_and_line(spec, text, line, message):
    with pytest.raises(MappingError) as exc:
        validate(parse_mapping(text, "m.yaml"), spec, "m.yaml")
    assert str(exc.value).startswith(f"m.yaml:{line}:") and message in str(exc.value)
