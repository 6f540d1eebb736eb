"""The loader serves the model's types, access and notification rules through cwmp.params."""

from __future__ import annotations

import pytest

from printbench.cwmp import params as P
from printbench.datamodel.loader import Binding, NullBinder, build_data_model, load_spec

PS = "Device.Services.PrintService.{i}."


@pytest.fixture(scope="module")
def spec():
    return load_spec()


def test_spec_has_types_access_and_notification(spec):
    state = spec.params[PS + "Status.State"]
    assert state.forced_inform and not state.writable
    assert state.type.is_valid("Idle") and not state.type.is_valid("Sleeping")
    level = spec.params[
        PS
        + "Configuration.Markers.Marker.{i}.MarkerSupplies.MarkerSupply.{i}.MarkerSupplyDescription.MarkerSupplyCurrentLevel"
    ]
    assert level.type.base == "int" and level.active_notify == "canDeny"
    loc = spec.params[PS + "Description.ServiceLocation"]
    assert loc.writable and loc.type.max_length == 127 and not loc.type.is_valid("x" * 128)
    mac = spec.params[
        PS + "Configuration.Interfaces.Interface.{i}.InterfaceStatus.InterfacePhysicalAddress"
    ]
    assert mac.type.is_valid("00:1b:a9:0a:ff:01") and not mac.type.is_valid("nope")
    text = spec.params[
        PS
        + "Configuration.Consoles.Console.{i}.ConsoleDescription.ConsoleDisplayBuffer.ConsoleDisplayText"
    ]
    assert text.type.list is not None
    union = spec.params[PS + "Defaults.DefaultPrintJobTicket.PrintDocumentProcessing.Media"]
    assert union.type.is_valid("iso_a4_210x297mm") and union.type.is_valid("custom_x_10x20mm")
    assert not union.type.is_valid("garbage")
    assert spec.params["Device.ManagementServer.ParameterKey"].forced_inform
    assert spec.objects[PS].is_table and spec.objects[PS].max_entries is None


class Printer:
    """A tiny stand-in for a device state, to show the binding hook."""

    def __init__(self) -> None:
        self.location = "Lab 1"
        self.trays = {1: {"name": "Tray 1"}, 2: {"name": "Tray 2"}}


class DemoBinder(NullBinder):
    def table(self, spec):
        if spec.path == PS:
            return P.MappingTable(lambda root: {1: root})
        if spec.path.endswith("InputTrays.InputTray.{i}."):
            return P.MappingTable(lambda ps: ps.trays)
        return P.MappingTable(lambda parent: {})

    def parameter(self, spec):
        if spec.path == PS + "Description.ServiceLocation":
            return Binding(
                get=lambda nc: nc.obj.location, set=lambda nc, v: setattr(nc.obj, "location", v)
            )
        if spec.path.endswith("InputTrayDescription.InputTrayName"):
            return Binding(
                get=lambda nc: nc.obj["name"], set=lambda nc, v: nc.obj.__setitem__("name", v)
            )
        return None


def test_tree_serves_bound_values_counts_and_rules(spec):
    dm = build_data_model(spec, DemoBinder())
    printer = Printer()
    tree = P.ParameterTree(dm, printer)
    values = {
        v.name: v.value
        for v in tree.get_parameter_values(
            [
                "Device.Services.PrintServiceNumberOfEntries",
                "Device.Services.PrintService.1.Description.ServiceLocation",
                "Device.Services.PrintService.1.Configuration.InputTrays.InputTrayNumberOfEntries",
                "Device.Services.PrintService.1.Configuration.InputTrays.InputTray.2.InputTrayDescription.InputTrayName",
            ]
        )
    }
    assert list(values.values()) == ["1", "Lab 1", "2", "Tray 2"]
    tree.set_parameter_values(
        [("Device.Services.PrintService.1.Description.ServiceLocation", "Lab 2")], "k1"
    )
    assert printer.location == "Lab 2"
    with pytest.raises(P.ParameterFault) as exc:  # readOnly in the model
        tree.set_parameter_values([("Device.Services.PrintService.1.Status.SerialNumber", "x")])
    assert exc.value.spv_faults[0].code == P.FAULT_NOT_WRITABLE
    with pytest.raises(P.ParameterFault) as exc:  # facet from the model: maxLength 127
        tree.set_parameter_values(
            [("Device.Services.PrintService.1.Description.ServiceLocation", "x" * 200)]
        )
    assert exc.value.spv_faults[0].code == P.FAULT_INVALID_PARAMETER_VALUE
    forced = {p.path for p in dm.forced_inform_defs()}
    assert PS + "Status.State" in forced and "Device.DeviceInfo.SoftwareVersion" in forced


def test_include_prunes(spec):
    dm = build_data_model(spec, include=lambda path: not path.startswith(PS + "Capabilities."))
    assert not any(p.path.startswith(PS + "Capabilities.") for p in dm.param_defs())
    assert len(dm.param_defs()) < len(spec.params)
