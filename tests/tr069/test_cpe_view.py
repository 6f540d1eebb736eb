"""The printer's TR-069 view: every value valid for its DM type on every profile, every
mapped parameter bound to the state, writes go through the state (change events)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from printbench.cwmp import params as P
from printbench.cwmp_cpe import FakeTime
from printbench.emulator.profiles import build_printer, load_profile
from printbench.emulator.tr069 import view as V

PROFILES = sorted(p.stem for p in (Path(__file__).parents[2] / "profiles").glob("*.yaml"))
PS = "Device.Services.PrintService.1."


@pytest.mark.parametrize("profile", PROFILES)
def test_cpe_view_every_value_fits_its_type(profile: str) -> None:
    t = FakeTime()
    state = build_printer(load_profile(profile), seed=3, clock=t, host="127.70.4.1")
    tree, _ = V.printer_tree(state, t, strict_reads=True)
    names = [i.name for i in tree.get_parameter_names("", False) if not i.name.endswith(".")]
    assert len(names) > 1000
    for name in names:  # one by one, so a failure names the parameter
        tree.get_parameter_values([name])


def test_cpe_view_binds_every_mapped_parameter() -> None:
    mapping = yaml.safe_load((Path(__file__).parents[2] / "datamodel" / "mapping.yaml").read_text())
    binder = V.PrinterBinder()
    missing = []
    for row in mapping:
        path = row["path"].replace("{p}", "{i}")
        if path.startswith("PS."):
            path = V.PS + path[3:]
        elif path.startswith("X."):
            path = V.X + path[2:]
        spec = binder.specs.get(path)
        if spec is None or spec.get is None:
            missing.append(path)
        elif row.get("access") == "read-write" and spec.put is None:
            missing.append(path + " (writable)")
    assert not missing
    cov = V.coverage()
    assert cov["missing_declared"] == 0 and cov["bound"] >= 200


def test_cpe_view_writes_go_through_the_state() -> None:
    t = FakeTime()
    state = build_printer(load_profile("color-laser-mfp"), seed=3, clock=t, host="127.70.4.2")
    tree, _ = V.printer_tree(state, t)
    seen = []
    state.subscribe(lambda e: seen.append((e.path, e.new)))
    tree.set_parameter_values(
        [
            (PS + "Description.ServiceLocation", "Hall B"),
            (
                PS + "Defaults.DefaultPrintJobTicket.PrintDocumentProcessing.Sides",
                "TwoSidedLongEdge",
            ),
            (
                PS + "Description.OwnerVCard",
                "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Ann\\, IT\r\nEND:VCARD\r\n",
            ),
            (PS + "X_PRINTBENCH-ORG_Settings.Network.DNSServers", "10.1.1.1,10.1.1.2"),
            (
                PS + "Configuration.InputTrays.InputTray.1.InputTrayDescription.InputTrayName",
                "Main",
            ),
        ],
        "w1",
    )
    assert ("description.location", "Hall B") in seen
    assert state.defaults.sides == "two-sided-long-edge"
    assert state.description.contact_name == "Ann, IT"
    assert state.network.dns_servers == ("10.1.1.1", "10.1.1.2")
    assert state.input_trays[0].name == "Main"
    # read back through the view, and a bad value changes nothing (atomic SPV)
    assert tree.get_value(PS + "Description.ServiceLocation") == "Hall B"
    with pytest.raises(P.ParameterFault) as exc:
        tree.set_parameter_values(
            [
                (PS + "Description.ServiceLocation", "Nowhere"),
                (
                    PS + "Defaults.DefaultPrintJobTicket.PrintDocumentProcessing.Resolution.Units",
                    "Furlongs",
                ),
            ]
        )
    assert exc.value.code == 9003
    assert state.description.location == "Hall B"
    # live: the state moves, the view follows
    state.supplies[0].level = 42
    lvl = PS + "Configuration.Markers.Marker.1.MarkerSupplies.MarkerSupply.1."
    assert tree.get_value(lvl + "MarkerSupplyDescription.MarkerSupplyCurrentLevel") == "42"


def test_interface_counters_above_two_to_the_31_are_served_as_they_are() -> None:
    """RFC 2863 ifInOctets/ifOutOctets are Counter32 (0..4294967295) and the PWG SM element
    documents itself as "see ifInOctets in RFC 2863", but types it xs:int; a printer that has
    moved 3 GB must not read back as an error or a clamped value."""
    t = FakeTime()
    state = build_printer(load_profile("mono-desktop-laser"), seed=3, clock=t, host="127.70.4.2")
    state.interfaces[0].in_octets = 3_000_000_000
    state.interfaces[0].out_octets = 4_294_967_295
    tree, _ = V.printer_tree(state, t, strict_reads=True)
    status = f"{PS}Configuration.Interfaces.Interface.1.InterfaceStatus."
    got = {v.name: v.value for v in tree.get_parameter_values([status])}
    assert got[status + "InterfaceInOctets"] == "3000000000"
    assert got[status + "InterfaceOutOctets"] == "4294967295"


@pytest.mark.parametrize(
    ("group", "code"),
    [("markerSupplies", "markerTonerEmpty"), ("mediaPath", "jam"), ("input", "inputMediaSupplyEmpty")],
)
def test_alert_names_and_groups_fit_the_model_as_the_proxy_maps_them(group: str, code: str) -> None:
    """The embedded view and the proxy name a condition alike (datamodel.conversions): the
    view used CamelCase of the MIB keyword ("MarkerSupplies", "Jam"), which the model's
    Component.Group patterns reject and the proxy never sends."""
    from printbench.datamodel import conversions as C
    from printbench.emulator import state as st

    t = FakeTime()
    state = build_printer(load_profile("mono-desktop-laser"), seed=3, clock=t, host="127.70.4.3")
    state.alerts.append(st.Alert(index=1, severity="critical", training_level="untrained",
                                 group=group, group_index=1, location=0, code=code,
                                 description="alert", time_ticks=0))  # fmt: skip
    tree, _ = V.printer_tree(state, t, strict_reads=True)
    row = f"{PS}Status.ConditionTable.ActiveConditions.DeviceCondition.1."
    got = {v.name: v.value for v in tree.get_parameter_values([row])}
    assert got[row + "Name"] == C.alert_code_keyword(code)
    assert got[row + "Component.Group"] == C.alert_group_keyword(group)
