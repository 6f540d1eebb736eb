"""The committed model: current, schema-valid, lint-clean, and carrying every seed parameter."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import xmlschema

from printbench.common.standards import bbf_dir
from printbench.datamodel.build import GENERATED_DIR, MARKDOWN_NAME, generate
from printbench.datamodel.loader import load_spec
from printbench.datamodel.translator import FILE_NAME, ROOT_FILE_NAME

PS = "Device.Services.PrintService.{i}."

#: The seed's "Data Model and source of data" rows → (seed path, our path). The seed's
#: "…PrintServiceStatus." becomes "Status." (PrintService prefix dropped) and the 2012
#: base-type level "SubunitStatus.SubUnitState" is "SubunitStates.SubunitState" in the 2016 SM.
SEED = {
    "Serial Number": "Status.SerialNumber",
    "Device Description": "Description.ServiceInfo",
    "Memory Capacity": "Configuration.Storages.Storage.{i}.StorageStatus.StorageSize",
    "Contact": "Description.OwnerVCard",
    "Location": "Description.ServiceLocation",
    "MAC Address": "Configuration.Interfaces.Interface.{i}.InterfaceStatus.InterfacePhysicalAddress",
    "Front Panel Display": "Configuration.Consoles.Console.{i}.ConsoleDescription.ConsoleDisplayBuffer.ConsoleDisplayText",
    "Printer Color": "Description.ColorSupported",
    "Printer Status": "Status.State",
    "Toner Levels": "Configuration.Markers.Marker.{i}.MarkerSupplies.MarkerSupply.{i}.MarkerSupplyDescription.MarkerSupplyCurrentLevel",
    "Tray status": "Configuration.InputTrays.InputTray.{i}.InputTrayStatus.SubunitStates.SubunitState",
    "General Page Count": "Status.Counters.MediasUsed.MediaUsed.{i}.MediaUsedTotalSheets",
    "Default Orientation": "Defaults.DefaultPrintJobTicket.PrintDocumentProcessing.FeedOrientation",
    "Default Number of sides": "Defaults.DefaultPrintJobTicket.PrintDocumentProcessing.Sides",
    "Default Print Resolution": "Defaults.DefaultPrintJobTicket.PrintDocumentProcessing.Resolution.Units",
    "Default number of copies": "Defaults.DefaultPrintJobTicket.PrintDocumentProcessing.Copies",
}
SEED_READ_WRITE = {
    "Contact",
    "Location",
    "Default Orientation",
    "Default Number of sides",
    "Default Print Resolution",
    "Default number of copies",
}


@pytest.fixture(scope="module")
def generated() -> dict[str, bytes]:
    return generate()


def test_committed_files_are_current_and_generation_is_deterministic(generated):
    assert generate() == generated
    for name, content in generated.items():
        assert (GENERATED_DIR / name).read_bytes() == content, (
            f"run printbench datamodel build ({name})"
        )
    assert set(generated) == {FILE_NAME, ROOT_FILE_NAME, MARKDOWN_NAME}


def test_validates_against_cwmp_datamodel_1_15():
    bbf = bbf_dir()
    schema = xmlschema.XMLSchema11(
        str(bbf / "cwmp-datamodel-1-15.xsd"),
        locations=[
            (
                "urn:broadband-forum-org:cwmp:datamodel-report-1-0",
                str(bbf / "cwmp-datamodel-report-1-0.xsd"),
            )
        ],
    )
    for name in (FILE_NAME, ROOT_FILE_NAME):
        errors = [str(e)[:300] for e in schema.iter_errors(str(GENERATED_DIR / name))]
        assert errors == [], name


def _report_py() -> str:
    found = Path(sys.executable).parent / "report.py"
    return str(found) if found.is_file() else (shutil.which("report.py") or "")


@pytest.mark.interop
@pytest.mark.parametrize("name", [FILE_NAME, ROOT_FILE_NAME])
def test_bbfreport_lint_reports_no_errors(name):
    report = _report_py()
    assert report, "bbfreport's report.py is not installed"
    proc = subprocess.run(
        [
            sys.executable,
            report,
            "-C",
            "-I",
            str(bbf_dir()),
            "-I",
            str(GENERATED_DIR),
            "-t",
            "lint",
            name,
        ],
        cwd=GENERATED_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = (proc.stdout + proc.stderr).splitlines()
    errors = [line for line in lines if re.match(r"(ERROR|FATAL|CRITICAL)", line)]
    assert proc.returncode == 0 and errors == [], "\n".join(lines[:20])
    # bbfreport warns "Alias parameter is not a unique key" for every Alias, even in the BBF's
    # own TR-140 and TR-181 (it does not resolve uniqueKey references in lint); for the
    # PrintService model that is the only warning, and the root subset adds only warnings
    # about TR-181 objects left out of the subset.
    if name == FILE_NAME:
        others = [line for line in lines if "not a unique key" not in line]
        assert others == []


@pytest.mark.parametrize("row", sorted(SEED))
def test_every_seed_parameter_is_in_the_model(row):
    spec = load_spec()
    param = spec.params[PS + SEED[row]]
    if row in SEED_READ_WRITE:  # the seed's read-write rows; others may be writable too
        assert param.writable


def test_model_size_and_scope():
    spec = load_spec()
    ps = [p for p in spec.params if p.startswith(PS)]
    assert len(ps) > 800 and len([o for o in spec.objects if o.startswith(PS)]) > 200
    assert not any(
        ".JobTable." in p or "CapabilitiesReady" in p or "MediaColDatabase" in p for p in ps
    )
    assert all(len(p) <= 256 for p in spec.params)
    assert "Device.Services.PrintServiceNumberOfEntries" in spec.params
    root = {
        "Device.RootDataModelVersion",
        "Device.DeviceInfo.ManufacturerOUI",
        "Device.DeviceInfo.ProxierInfo.ManufacturerOUI",
        "Device.ManagementServer.PeriodicInformInterval",
        "Device.ManagementServer.CWMPRetryIntervalMultiplier",
        "Device.ManagementServer.InformParameter.{i}.ParameterName",
        "Device.ManagementServer.VirtualDevice.{i}.SerialNumber",
    }
    assert root <= set(spec.params)


def test_root_definitions_are_copied_verbatim_from_tr181():
    from lxml import etree

    from printbench.datamodel.xsd import safe_parser

    ours = etree.parse(str(GENERATED_DIR / ROOT_FILE_NAME), safe_parser()).getroot()
    tr181 = etree.parse(str(bbf_dir() / "tr-181-2-17-0-cwmp-full.xml"), safe_parser()).getroot()
    mine = ours.find("model/object[@name='Device.ManagementServer.']/parameter[@name='URL']")
    theirs = tr181.find("model/object[@name='Device.ManagementServer.']/parameter[@name='URL']")
    assert mine.findtext("description") == theirs.findtext("description")
    assert mine.get("access") == theirs.get("access")
