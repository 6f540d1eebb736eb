"""The pure software-module core (cwmp/du.py) and the messages it makes (issue 15, item 1).

State machines and faults on an Inventory; every OpResultStruct the core produces, inside
ChangeDUState / DUStateChangeComplete / AutonomousDUStateChangeComplete envelopes, round-trips
through the codec and validates against the BBF XSDs (cwmp-1-2, and 1-4 with its headers).
"""

from __future__ import annotations

import pytest

from printbench.cwmp import du as D
from printbench.cwmp import messages as m
from printbench.cwmp import schema, soap

NOW = "2026-12-04T12:00:00Z"
APP = D.Package("App", "ACME", "1.0", "OSGi R6", units=(D.UnitSpec("app", auto_start=False),))


def inventory() -> D.Inventory:
    return D.Inventory(
        exec_envs=[D.ExecEnv(1, "Apps", "OSGi R6"), D.ExecEnv(2, "Res", "Printer Resources 1.0")]
    )


def test_du_install_update_uninstall_state_machine() -> None:
    inv = inventory()
    du = inv.install(APP, "http://x/app", NOW)
    assert (du.status, du.uuid) == ("Installed", D.generated_uuid("ACME", "App"))
    (eu,) = inv.eus_of(du)
    assert (eu.status, eu.requested_state) == ("Idle", "Idle")
    inv.request_state(eu, "Active")
    assert eu.status == "Starting"
    inv.settle()
    assert eu.status == "Active"
    new = inv.update(du, D.Package(**{**APP.__dict__, "version": "1.2"}), "http://x/v2", NOW)
    (eu2,) = inv.eus_of(new)
    assert (new.version, eu2.status) == ("1.2", "Active")  # running before: running again
    with pytest.raises(D.DuFault) as same:
        inv.update(du, D.Package(**{**APP.__dict__, "version": "1.2"}), "u", NOW)
    assert same.value.code == 9032
    with pytest.raises(D.DuFault) as down:
        inv.update(du, APP, "u", NOW)
    assert down.value.code == 9030
    inv.uninstall(du)
    assert (du.status, inv.units, inv.eus) == ("Uninstalled", [], [])


def test_du_install_faults() -> None:
    inv = inventory()
    cases = [
        (m.InstallOpStruct("http://x", uuid="zz"), 9022),
        (m.InstallOpStruct("http://x", execution_env_ref="Device.SoftwareModules.ExecEnv.7"), 9023),
    ]
    for op, code in cases:
        with pytest.raises(D.DuFault) as exc:
            inv.check_install(op)
        assert exc.value.code == code
    inv.exec_envs[0].enabled = False
    with pytest.raises(D.DuFault) as disabled:
        inv.check_install(
            m.InstallOpStruct("http://x", execution_env_ref="Device.SoftwareModules.ExecEnv.1.")
        )
    assert disabled.value.code == 9024
    inv.exec_envs[0].enabled = True
    with pytest.raises(D.DuFault) as mismatch:
        inv.install(APP, "u", NOW, ee=inv.exec_envs[1])
    assert mismatch.value.code == 9025
    inv.install(APP, "u", NOW)
    with pytest.raises(D.DuFault) as dup:
        inv.install(APP, "u", NOW)
    assert dup.value.code == 9026
    inv.exec_envs[1].disk_space = 1
    big = D.Package("Fonts", "ACME", "1", "Printer Resources 1.0", size=10 * 1024)
    with pytest.raises(D.DuFault) as full:
        inv.install(big, "u", NOW)
    assert full.value.code == 9027


def test_du_uninstall_and_update_lookup_faults() -> None:
    inv = inventory()
    du = inv.install(APP, "http://x/app", NOW)
    other = "11111111-2222-5333-8444-555555555555"
    with pytest.raises(D.DuFault) as unknown:
        inv.find_uninstall_targets(m.UninstallOpStruct(other))
    assert unknown.value.code == 9028
    with pytest.raises(D.DuFault) as version:
        inv.find_update_targets(m.UpdateOpStruct(uuid=du.uuid, version="9.9"))
    assert version.value.code == 9028
    assert inv.find_update_targets(m.UpdateOpStruct(url="http://x/app")) == [du]
    du.status = "Installing"
    with pytest.raises(D.DuFault) as busy:
        inv.find_uninstall_targets(m.UninstallOpStruct(du.uuid))
    assert busy.value.code == 9029


def test_du_ee_disable_stops_its_units_and_enable_restarts_them() -> None:
    inv = inventory()
    du = inv.install(APP, "u", NOW)
    (eu,) = inv.eus_of(du)
    inv.request_state(eu, "Active")
    inv.settle()
    inv.set_ee_enabled(inv.exec_envs[0], False)
    assert eu.status == "Idle" and inv.exec_envs[0].status == "Disabled"
    inv.request_state(eu, "Active")
    assert (eu.status, eu.fault_code) == ("Idle", "UnStartable")
    inv.set_ee_enabled(inv.exec_envs[0], True)
    assert (eu.status, eu.fault_code) == ("Active", "NoFault")


def test_du_inventory_json_round_trip() -> None:
    inv = inventory()
    inv.install(APP, "u", NOW)
    again = D.Inventory.from_json(inv.to_json())
    assert again == inv
    with pytest.raises(ValueError, match="inventory unreadable"):
        D.Inventory.from_json("{not json")


def test_du_compl_policy_filters() -> None:
    ok = D.OpOutcome("Install", current_state="Installed")
    bad = D.OpOutcome("Uninstall", fault_code=9028)
    assert not D.ComplPolicy().allows(ok)  # TR-181 default Enable false
    pol = D.ComplPolicy.from_values({"Enable": "true", "OperationTypeFilter": "Install,Uninstall",
                                     "ResultTypeFilter": "Failure", "FaultCodeFilter": "9028"})  # fmt: skip
    assert (pol.allows(ok), pol.allows(bad)) == (False, True)
    only_install = D.ComplPolicy(True, ("Install",), "Both")
    assert (only_install.allows(ok), only_install.allows(bad)) == (True, False)


def test_du_transfer_codes_map_into_the_xsd_set() -> None:
    assert D.du_fault_code(9010) == 9027 and D.du_fault_code(9014) == 9017
    assert all(D.du_fault_code(c) in D.DU_FAULT_CODES for c in range(9000, 9033))


def _outcomes() -> list[D.OpOutcome]:
    inv = inventory()
    du = inv.install(APP, "http://x/app", NOW)
    ok = inv.outcome("Install", du, NOW, NOW, "Installed")
    failed = D.failed_outcome("Install", D.DuFault(9016, "HTTP 404"), uuid=None, version="",
                              start=NOW, now=NOW)  # fmt: skip
    kept = D.failed_outcome("Update", D.DuFault(9032, "same"), uuid=du.uuid, version="1.0",
                            start=NOW, now=NOW, du=du)  # fmt: skip
    return [ok, failed, kept]


MESSAGES = [
    m.ChangeDUState(
        (
            m.InstallOpStruct("http://h/a.du", None, "u", "p", "Device.SoftwareModules.ExecEnv.1"),
            m.UpdateOpStruct(uuid=D.generated_uuid("ACME", "App"), version="1.0", url="http://h/b"),
            m.UninstallOpStruct(D.generated_uuid("ACME", "App")),
        ),
        "ck",
    ),
    m.DUStateChangeComplete(tuple(o.op_result() for o in _outcomes()), "ck"),
    m.AutonomousDUStateChangeComplete(tuple(o.auton_op_result() for o in _outcomes())),
    m.DUStateChangeCompleteResponse(),
    m.AutonomousDUStateChangeCompleteResponse(),
    m.ChangeDUStateResponse(),
]


@pytest.mark.parametrize("message", MESSAGES, ids=[type(x).METHOD for x in MESSAGES])
def test_du_messages_round_trip_and_validate(message: m.Message) -> None:
    env = m.Envelope(message, id="du-1", namespace=m.CWMP_1_2)
    data = soap.encode(env)
    assert schema.validation_errors(data, "cwmp-1-2.xsd") == []
    assert soap.decode(data).body == message
    v14 = m.Envelope(message, id="du-2", supported_cwmp_versions=("1.2", "1.4"),
                     use_cwmp_version="1.4")  # fmt: skip
    assert schema.validation_errors(soap.encode(v14), schema.SCHEMA_1_4) == []


def test_du_xsd_refuses_a_code_outside_its_set() -> None:
    """Why du_fault_code exists: 9010 in a DU result is invalid per cwmp-1-2.xsd."""
    bad = D.OpOutcome("Install", fault_code=9010, fault_string="x").op_result()
    data = soap.encode(m.Envelope(m.DUStateChangeComplete((bad,), "k"), id="x"))
    assert schema.validation_errors(data, "cwmp-1-2.xsd")
