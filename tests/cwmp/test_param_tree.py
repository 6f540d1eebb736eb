"""Parameter tree semantics: GPV/GPN/SPV/attributes/Add/DeleteObject/value changes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from printbench.cwmp import types as T
from printbench.cwmp.params import (
    STATUS_PENDING,
    AttributeChange,
    DataModel,
    MappingTable,
    ParameterFault,
    ParameterTree,
    ProviderError,
    SchemaError,
    attr,
    parameter_key,
    set_attr,
)


@dataclass
class Tray:
    name: str
    level: int = 100
    enabled: bool = True


@dataclass
class Device:
    serial: str = "SN0001"
    software: str = "1.0"
    location: str = ""
    interval: int = 300
    trays: dict[int, Tray] = field(default_factory=lambda: {1: Tray("Tray 1"), 3: Tray("Bypass")})
    fail_location: bool = False
    next_tray: int = 4


def _set_location(nc, value):
    if nc.obj.fail_location:
        raise ProviderError("flash is full", 9002)
    nc.obj.location = value


def _add_tray(dev: Device) -> int:
    n = dev.next_tray
    dev.next_tray += 1
    dev.trays[n] = Tray(f"Tray {n}")
    return n


def build_model() -> DataModel:
    m = DataModel()
    m.parameter(
        "Device.RootDataModelVersion", T.string(32), get=lambda nc: "2.17", forced_inform=True
    )
    m.parameter("Device.DeviceInfo.SerialNumber", T.string(64), get=attr("serial"))
    m.parameter(
        "Device.DeviceInfo.SoftwareVersion",
        T.string(64),
        get=attr("software"),
        active_notify="forceEnabled",
        forced_inform=True,
    )
    m.parameter(
        "Device.DeviceInfo.Location",
        T.string(32),
        writable=True,
        get=attr("location"),
        set=_set_location,
        active_notify="canDeny",
    )
    m.parameter(
        "Device.ManagementServer.PeriodicInformInterval",
        T.unsigned_int(min=1),
        writable=True,
        get=attr("interval"),
        set=set_attr("interval"),
    )
    m.parameter(
        "Device.ManagementServer.ParameterKey", T.string(32), get=parameter_key, forced_inform=True
    )
    m.parameter("Device.ManagementServer.Username", T.string(256), writable=True)
    m.parameter(
        "Device.ManagementServer.PeriodicInformEnable", "boolean", writable=True, default="true"
    )
    m.parameter(
        "Device.ManagementServer.ConnectionRequestURL",
        "URL",
        get=lambda nc: "http://127.1.0.1:7547/cr",
        active_notify="forceDefaultEnabled",
        forced_inform=True,
    )
    m.table(
        "Device.Printer.Tray.{i}.",
        provider=MappingTable(
            lambda dev: dev.trays, add=_add_tray, delete=lambda dev, i: dev.trays.pop(i)
        ),
        writable=True,
        max_entries=5,
    )
    m.parameter("Device.Printer.Tray.{i}.Name", T.string(64), get=attr("name"))
    m.parameter("Device.Printer.Tray.{i}.Level", T.int_(min=-3, max=100), get=attr("level"))
    m.parameter(
        "Device.Printer.Tray.{i}.Enable",
        "boolean",
        writable=True,
        get=attr("enabled"),
        set=set_attr("enabled"),
    )
    m.table("Device.ManagementServer.InformParameter.{i}.", writable=True)
    m.parameter("Device.ManagementServer.InformParameter.{i}.Enable", "boolean", writable=True)
    m.parameter(
        "Device.ManagementServer.InformParameter.{i}.ParameterName", T.string(256), writable=True
    )
    return m


MODEL = build_model()


@pytest.fixture
def dev() -> Device:
    return Device()


@pytest.fixture
def tree(dev) -> ParameterTree:
    return ParameterTree(MODEL, dev)


def values(tree, names):
    return {p.name: p.value for p in tree.get_parameter_values(names)}


# -- GetParameterValues -------------------------------------------------------------------------


def test_gpv_full_names_and_types(tree):
    res = tree.get_parameter_values(
        ["Device.DeviceInfo.SerialNumber", "Device.Printer.Tray.3.Enable"]
    )
    assert [(p.name, p.value, p.xsi_type) for p in res] == [
        ("Device.DeviceInfo.SerialNumber", "SN0001", "xsd:string"),
        ("Device.Printer.Tray.3.Enable", "true", "xsd:boolean"),
    ]


def test_gpv_is_a_live_view(tree, dev):
    dev.trays[1].level = 42
    dev.trays[7] = Tray("New")
    v = values(tree, ["Device.Printer.Tray."])
    assert v["Device.Printer.Tray.1.Level"] == "42"
    assert v["Device.Printer.Tray.7.Name"] == "New"
    assert "Device.Printer.Tray.2.Name" not in v


def test_gpv_partial_path_and_whole_tree(tree):
    part = values(tree, ["Device.ManagementServer."])
    assert set(part) == {
        "Device.ManagementServer.PeriodicInformInterval",
        "Device.ManagementServer.ParameterKey",
        "Device.ManagementServer.Username",
        "Device.ManagementServer.PeriodicInformEnable",
        "Device.ManagementServer.ConnectionRequestURL",
    }
    everything = values(tree, [""])
    assert set(part) < set(everything)
    assert everything["Device.Printer.Tray.3.Name"] == "Bypass"
    assert everything["Device.ManagementServer.PeriodicInformEnable"] == "true"


@pytest.mark.parametrize(
    "name",
    [
        "Device.Nope",
        "Device.DeviceInfo",  # object without the trailing dot
        "Device.DeviceInfo.SerialNumber.",  # parameter with a trailing dot
        "Device.Printer.Tray.2.Name",  # no such instance
        "Device.Printer.Tray.01.Name",  # leading zero
        "Device.Printer.Tray.x.Name",
        "Device..DeviceInfo.",
        "Device.Printer.Tray.1",
        ".",
        "Device." + "A" * 300,
    ],
)
def test_gpv_invalid_names_fault_9005(tree, name):
    with pytest.raises(ParameterFault) as ei:
        tree.get_parameter_values([name])
    assert ei.value.code == 9005
    assert repr(name)[:20].strip("'") in ei.value.message or name[:20] in ei.value.message


def test_getter_failure_is_9002_not_a_traceback():
    m = DataModel()
    m.parameter("Device.X", "string", get=lambda nc: 1 / 0)
    tree = ParameterTree(m)
    with pytest.raises(ParameterFault) as ei:
        tree.get_parameter_values(["Device."])
    assert ei.value.code == 9002 and "Device.X" in ei.value.message


# -- GetParameterNames --------------------------------------------------------------------------


def names(infos):
    return [(i.name, i.writable) for i in infos]


def test_gpn_root_next_level(tree):
    assert names(tree.get_parameter_names("", True)) == [("Device.", False)]


def test_gpn_object_next_level(tree):
    got = names(tree.get_parameter_names("Device.Printer.", True))
    assert got == [("Device.Printer.Tray.", True)]
    got = names(tree.get_parameter_names("Device.Printer.Tray.", True))
    assert got == [("Device.Printer.Tray.1.", True), ("Device.Printer.Tray.3.", True)]
    got = names(tree.get_parameter_names("Device.Printer.Tray.3.", True))
    assert got == [
        ("Device.Printer.Tray.3.Name", False),
        ("Device.Printer.Tray.3.Level", False),
        ("Device.Printer.Tray.3.Enable", True),
    ]


def test_gpn_full_subtree_includes_the_object_itself(tree):
    got = names(tree.get_parameter_names("Device.Printer.", False))
    assert got[0] == ("Device.Printer.", False)
    assert ("Device.Printer.Tray.", True) in got
    assert ("Device.Printer.Tray.1.", True) in got
    assert ("Device.Printer.Tray.1.Enable", True) in got
    assert len(got) == 1 + 1 + 2 * (1 + 3)


def test_gpn_whole_tree_lists_every_parameter_once(tree):
    everything = tree.get_parameter_names("", False)
    params = [i.name for i in everything if not i.name.endswith(".")]
    assert len(params) == len(set(params))
    assert set(params) == set(values(tree, [""]))
    assert everything[0].name == "Device."


def test_gpn_parameter(tree):
    assert names(tree.get_parameter_names("Device.DeviceInfo.Location", False)) == [
        ("Device.DeviceInfo.Location", True)
    ]
    with pytest.raises(ParameterFault) as ei:
        tree.get_parameter_names("Device.DeviceInfo.Location", True)
    assert ei.value.code == 9003
    with pytest.raises(ParameterFault) as ei:
        tree.get_parameter_names("Device.Bogus.", True)
    assert ei.value.code == 9005


# -- SetParameterValues -------------------------------------------------------------------------


def test_spv_applies_and_updates_parameter_key(tree, dev):
    status = tree.set_parameter_values(
        [
            ("Device.DeviceInfo.Location", "Room 1", "xsd:string"),
            ("Device.ManagementServer.PeriodicInformInterval", "60", "xsd:unsignedInt"),
            ("Device.Printer.Tray.3.Enable", "0", "xsd:boolean"),
            ("Device.ManagementServer.Username", "acs"),
        ],
        "key-1",
    )
    assert status == 0
    assert (dev.location, dev.interval, dev.trays[3].enabled) == ("Room 1", 60, False)
    assert tree.parameter_key == "key-1"
    assert (
        values(tree, ["Device.ManagementServer."])["Device.ManagementServer.ParameterKey"]
        == "key-1"
    )
    assert tree.get_value("Device.ManagementServer.Username") == "acs"
    assert tree.get_value("Device.Printer.Tray.3.Enable") == "false"


def test_spv_faults_one_per_bad_parameter_and_changes_nothing(tree, dev):
    with pytest.raises(ParameterFault) as ei:
        tree.set_parameter_values(
            [
                ("Device.DeviceInfo.Location", "ok"),
                ("Device.Nope", "x"),
                ("Device.DeviceInfo.SerialNumber", "x"),
                ("Device.ManagementServer.PeriodicInformInterval", "abc"),
                ("Device.ManagementServer.PeriodicInformInterval.", "1"),
                ("Device.Printer.Tray.1.Enable", "true", "xsd:string"),
                ("Device.DeviceInfo.", "x"),
            ],
            "new-key",
        )
    f = ei.value
    assert f.code == 9003
    assert [(x.name, x.code) for x in f.spv_faults] == [
        ("Device.Nope", 9005),
        ("Device.DeviceInfo.SerialNumber", 9008),
        ("Device.ManagementServer.PeriodicInformInterval", 9006),
        ("Device.ManagementServer.PeriodicInformInterval.", 9005),
        ("Device.Printer.Tray.1.Enable", 9006),
        ("Device.DeviceInfo.", 9005),
    ]
    assert dev.location == "" and tree.parameter_key == ""


def test_spv_invalid_value_is_9007(tree):
    with pytest.raises(ParameterFault) as ei:
        tree.set_parameter_values([("Device.ManagementServer.PeriodicInformInterval", "0")])
    assert [(x.code) for x in ei.value.spv_faults] == [9007]
    assert "range" in ei.value.spv_faults[0].message
    with pytest.raises(ParameterFault) as ei:
        tree.set_parameter_values([("Device.DeviceInfo.Location", "x" * 33)])
    assert ei.value.spv_faults[0].code == 9007


def test_spv_duplicates_rejected(tree, dev):
    with pytest.raises(ParameterFault) as ei:
        tree.set_parameter_values(
            [("Device.DeviceInfo.Location", "a"), ("Device.DeviceInfo.Location", "b")]
        )
    assert [(x.name, x.code) for x in ei.value.spv_faults] == [("Device.DeviceInfo.Location", 9003)]
    assert dev.location == ""


def test_spv_rolls_back_when_the_device_fails_midway(tree, dev):
    dev.fail_location = True
    with pytest.raises(ParameterFault) as ei:
        tree.set_parameter_values(
            [
                ("Device.ManagementServer.PeriodicInformInterval", "77"),
                ("Device.ManagementServer.Username", "u"),
                ("Device.DeviceInfo.Location", "x"),
            ],
            "k",
        )
    assert ei.value.code == 9002
    assert dev.interval == 300
    assert tree.get_value("Device.ManagementServer.Username") == ""
    assert tree.parameter_key == ""


def test_spv_lenient_xsi_type_option(dev):
    tree = ParameterTree(MODEL, dev, strict_xsi_type=False)
    tree.set_parameter_values(
        [("Device.ManagementServer.PeriodicInformInterval", "5", "xsd:string")]
    )
    assert dev.interval == 5


def test_spv_parameter_key_too_long(tree):
    with pytest.raises(ParameterFault) as ei:
        tree.set_parameter_values([("Device.ManagementServer.Username", "u")], "k" * 33)
    assert ei.value.code == 9003
    assert tree.get_value("Device.ManagementServer.Username") == ""


def test_spv_pending_status():
    m = DataModel()
    box = {"v": "a"}
    m.parameter(
        "Device.X",
        "string",
        writable=True,
        get=lambda nc: box["v"],
        set=lambda nc, v: (box.__setitem__("v", v), STATUS_PENDING)[1],
    )
    tree = ParameterTree(m)
    assert tree.set_parameter_values([("Device.X", "b")]) == STATUS_PENDING


WRITABLE_GOOD = {
    "Device.DeviceInfo.Location": st.text(
        st.characters(codec="ascii", exclude_categories=("Cc",)), max_size=32
    ),
    "Device.ManagementServer.PeriodicInformInterval": st.integers(1, 2**32 - 1).map(str),
    "Device.ManagementServer.Username": st.text(
        st.characters(codec="ascii", exclude_categories=("Cc",)), max_size=20
    ),
    "Device.Printer.Tray.1.Enable": st.sampled_from(["true", "false", "1", "0"]),
    "Device.Printer.Tray.3.Enable": st.sampled_from(["true", "false", "1", "0"]),
    "Device.ManagementServer.PeriodicInformEnable": st.sampled_from(["true", "false"]),
}
BAD = st.one_of(
    st.tuples(
        st.just("Device.ManagementServer.PeriodicInformInterval"),
        st.sampled_from(["-1", "x", "0", "1.5"]),
        st.just(None),
    ),
    st.tuples(st.just("Device.DeviceInfo.SerialNumber"), st.text(max_size=3), st.just(None)),
    st.tuples(
        st.sampled_from(["Device.Missing", "Device.Printer.Tray.9.Enable", "Device.Printer."]),
        st.just("1"),
        st.just(None),
    ),
    st.tuples(
        st.just("Device.DeviceInfo.Location"),
        st.text(min_size=33, max_size=40, alphabet="ab"),
        st.just(None),
    ),
    st.tuples(st.just("Device.Printer.Tray.3.Enable"), st.just("true"), st.just("xsd:int")),
)


@settings(max_examples=150, deadline=None)
@given(
    good=st.dictionaries(st.sampled_from(sorted(WRITABLE_GOOD)), st.just(None), max_size=6).flatmap(
        lambda d: st.fixed_dictionaries({k: WRITABLE_GOOD[k] for k in d})
    ),
    bad=st.lists(BAD, max_size=4, unique_by=lambda x: x[0]),
    order=st.randoms(use_true_random=False),
)
def test_spv_is_atomic_property(good, bad, order):
    dev = Device()
    tree = ParameterTree(MODEL, dev)
    bad = [b for b in bad if b[0] not in good]
    items = [(k, v, None) for k, v in good.items()] + bad
    order.shuffle(items)
    before = values(tree, [""])
    if bad:
        with pytest.raises(ParameterFault) as ei:
            tree.set_parameter_values(items, "k")
        assert ei.value.code == 9003
        assert sorted(f.name for f in ei.value.spv_faults) == sorted(b[0] for b in bad)
        assert values(tree, [""]) == before
        assert tree.parameter_key == ""
    else:
        tree.set_parameter_values(items, "k")
        after = values(tree, [""])
        for k, v in good.items():
            assert after[k] == MODEL_TYPE[k].validate(v)
        assert tree.parameter_key == "k"


MODEL_TYPE = {
    "Device.DeviceInfo.Location": T.string(32),
    "Device.ManagementServer.PeriodicInformInterval": T.unsigned_int(),
    "Device.ManagementServer.Username": T.string(),
    "Device.Printer.Tray.1.Enable": T.boolean(),
    "Device.Printer.Tray.3.Enable": T.boolean(),
    "Device.ManagementServer.PeriodicInformEnable": T.boolean(),
}


# -- attributes and notifications ---------------------------------------------------------------


def test_default_and_forced_attributes(tree):
    attrs = {a.name: a.notification for a in tree.get_parameter_attributes(["Device.DeviceInfo."])}
    assert attrs == {
        "Device.DeviceInfo.SerialNumber": 0,
        "Device.DeviceInfo.SoftwareVersion": 2,
        "Device.DeviceInfo.Location": 0,
    }
    cr = tree.get_parameter_attributes(["Device.ManagementServer.ConnectionRequestURL"])
    assert cr[0].notification == 2  # forceDefaultEnabled


def test_spa_and_persistence(tree, dev):
    tree.set_parameter_attributes(
        [
            AttributeChange("Device.Printer.Tray.", True, 1, True, ("Subscriber",)),
            AttributeChange("Device.ManagementServer.ConnectionRequestURL", True, 0),
        ]
    )
    got = {
        a.name: (a.notification, a.access_list)
        for a in tree.get_parameter_attributes(["Device.Printer.Tray.1."])
    }
    assert got["Device.Printer.Tray.1.Level"] == (1, ("Subscriber",))
    saved = json.loads(json.dumps(tree.persistent_state()))
    again = ParameterTree(MODEL, dev, state=saved)
    assert again.get_parameter_attributes(["Device.Printer.Tray.3.Name"])[0].notification == 1
    assert (
        again.get_parameter_attributes(["Device.ManagementServer.ConnectionRequestURL"])[
            0
        ].notification
        == 0
    )


def test_spa_can_deny_and_force_enabled(tree):
    with pytest.raises(ParameterFault) as ei:
        tree.set_parameter_attributes([AttributeChange("Device.DeviceInfo.Location", True, 2)])
    assert ei.value.code == 9009
    tree.set_parameter_attributes(
        [AttributeChange("Device.DeviceInfo.Location", True, 1)]
    )  # passive ok
    with pytest.raises(ParameterFault) as ei:
        tree.set_parameter_attributes(
            [AttributeChange("Device.DeviceInfo.SoftwareVersion", True, 0)]
        )
    assert ei.value.code == 9009
    # a partial path skips what cannot change instead of failing
    tree.set_parameter_attributes([AttributeChange("Device.DeviceInfo.", True, 2)])
    got = {a.name: a.notification for a in tree.get_parameter_attributes(["Device.DeviceInfo."])}
    assert got == {
        "Device.DeviceInfo.SerialNumber": 2,
        "Device.DeviceInfo.SoftwareVersion": 2,
        "Device.DeviceInfo.Location": 1,
    }


def test_spa_is_all_or_nothing(tree):
    with pytest.raises(ParameterFault) as ei:
        tree.set_parameter_attributes(
            [
                AttributeChange("Device.DeviceInfo.SerialNumber", True, 1),
                AttributeChange("Device.Nope", True, 1),
            ]
        )
    assert ei.value.code == 9005
    assert tree.get_parameter_attributes(["Device.DeviceInfo.SerialNumber"])[0].notification == 0
    for bad in (7, -1):
        with pytest.raises(ParameterFault) as ei:
            tree.set_parameter_attributes(
                [AttributeChange("Device.DeviceInfo.SerialNumber", True, bad)]
            )
        assert ei.value.code == 9003
    with pytest.raises(ParameterFault) as ei:
        tree.set_parameter_attributes([AttributeChange("Device.DeviceInfo.SerialNumber", True, 4)])
    assert ei.value.code == 9009
    with pytest.raises(ParameterFault) as ei:
        tree.set_parameter_attributes(
            [AttributeChange("Device.DeviceInfo.SerialNumber", False, 0, True, ("Admin",))]
        )
    assert ei.value.code == 9003


def test_forced_inform_values(tree):
    got = {p.name: p.value for p in tree.forced_inform_values()}
    assert got == {
        "Device.RootDataModelVersion": "2.17",
        "Device.DeviceInfo.SoftwareVersion": "1.0",
        "Device.ManagementServer.ParameterKey": "",
        "Device.ManagementServer.ConnectionRequestURL": "http://127.1.0.1:7547/cr",
    }


def test_value_change_tracking(tree, dev):
    tracker = tree.tracker
    tree.set_parameter_attributes(
        [
            AttributeChange("Device.Printer.Tray.1.Level", True, 1),
            AttributeChange("Device.DeviceInfo.SerialNumber", True, 2),
        ]
    )
    assert tracker.poll(10.0) == []
    dev.trays[1].level = 50
    dev.trays[3].level = 10  # not watched
    changes = tracker.poll(11.0)
    assert [(c.name, c.value, c.notification) for c in changes] == [
        ("Device.Printer.Tray.1.Level", "50", 1)
    ]
    assert not tracker.has_active
    dev.software = "1.1"  # forceEnabled → active
    dev.serial = "SN2"
    changes = tracker.poll(12.0)
    assert {(c.name, c.notification) for c in changes} == {
        ("Device.DeviceInfo.SoftwareVersion", 2),
        ("Device.DeviceInfo.SerialNumber", 2),
    }
    assert tracker.has_active
    assert len(tracker.pending_changes()) == 3
    tracker.acknowledge()
    assert tracker.pending_changes() == [] and tracker.poll(13.0) == []


def test_acs_writes_do_not_notify(tree, dev):
    tree.set_parameter_attributes([AttributeChange("Device.Printer.Tray.3.Enable", True, 2)])
    tree.tracker.poll(0)
    tree.set_parameter_values([("Device.Printer.Tray.3.Enable", "false")])
    assert tree.tracker.poll(1) == []
    dev.trays[3].enabled = True
    assert [c.name for c in tree.tracker.poll(2)] == ["Device.Printer.Tray.3.Enable"]


# -- AddObject / DeleteObject -------------------------------------------------------------------


def test_add_delete_provider_table(tree, dev):
    r = tree.add_object("Device.Printer.Tray.", "add-1")
    assert (r.instance_number, r.status) == (4, 0)
    assert tree.parameter_key == "add-1"
    assert tree.get_value("Device.Printer.Tray.4.Name") == "Tray 4"
    assert tree.delete_object("Device.Printer.Tray.1.", "del-1") == 0
    assert 1 not in dev.trays and tree.parameter_key == "del-1"
    with pytest.raises(ParameterFault) as ei:
        tree.get_value("Device.Printer.Tray.1.Name")
    assert ei.value.code == 9005


def test_add_object_faults(tree):
    for bad in [
        "Device.Printer.",
        "Device.Printer.Tray",
        "Device.Printer.Tray.1.",
        "Device.DeviceInfo.Location",
        "X.",
    ]:
        with pytest.raises(ParameterFault) as ei:
            tree.add_object(bad, "k")
        assert ei.value.code == 9005, bad
    tree.add_object("Device.Printer.Tray.")
    tree.add_object("Device.Printer.Tray.")
    tree.add_object("Device.Printer.Tray.")
    with pytest.raises(ParameterFault) as ei:
        tree.add_object("Device.Printer.Tray.", "full")
    assert ei.value.code == 9004 and tree.parameter_key == ""
    for bad in ["Device.Printer.Tray.", "Device.Printer.Tray.99.", "Device.DeviceInfo."]:
        with pytest.raises(ParameterFault) as ei:
            tree.delete_object(bad, "k")
        assert ei.value.code == 9005, bad


def test_stored_table_instances_persist_and_are_not_reused(tree, dev):
    base = "Device.ManagementServer.InformParameter."
    a = tree.add_object(base).instance_number
    b = tree.add_object(base).instance_number
    assert (a, b) == (1, 2)
    tree.set_parameter_values([(f"{base}2.ParameterName", "Device.DeviceInfo.SerialNumber")])
    tree.set_parameter_attributes([AttributeChange(f"{base}2.Enable", True, 1)])
    tree.delete_object(f"{base}2.")
    assert tree.get_parameter_attributes([base]) == [
        tree.get_parameter_attributes([f"{base}1.Enable"])[0],
        tree.get_parameter_attributes([f"{base}1.ParameterName"])[0],
    ]
    saved = json.loads(json.dumps(tree.persistent_state()))
    again = ParameterTree(MODEL, dev, state=saved)
    assert again.add_object(base).instance_number == 3
    assert again.get_value(f"{base}3.ParameterName") == ""
    assert [i.name for i in again.get_parameter_names(base, True)] == [f"{base}1.", f"{base}3."]


def test_listeners_hear_successful_changes(tree):
    heard = []
    tree.listeners.append(lambda op, names: heard.append((op, names)))
    tree.set_parameter_values([("Device.ManagementServer.Username", "x")])
    with pytest.raises(ParameterFault):
        tree.set_parameter_values([("Device.Nope", "x")])
    assert heard == [("SetParameterValues", ["Device.ManagementServer.Username"])]


# -- schema checks ------------------------------------------------------------------------------


def test_schema_errors():
    m = DataModel()
    with pytest.raises(SchemaError):
        m.parameter("Device.T.{i}.X", "string")  # table not declared
    with pytest.raises(SchemaError):
        m.parameter("Device.X", "string", writable=True, get=lambda nc: "")  # no setter
    with pytest.raises(SchemaError):
        m.parameter("Device.Y", "unsignedInt", default="abc")
    m.parameter("Device.Z", "string")
    with pytest.raises(SchemaError):
        m.parameter("Device.Z", "string")


def test_writable_source_without_set_is_refused_when_declared():
    """set() is optional on a ParameterSource; a writable parameter needs it, so the model
    refuses the declaration instead of failing at the first SetParameterValues."""

    class ReadOnlyBox:
        def get(self):
            return "7"

    m = DataModel()
    with pytest.raises(SchemaError, match="no set"):
        m.parameter("Device.Box", "int", writable=True, source=ReadOnlyBox())


def test_parameter_source_protocol():
    class Box:
        def __init__(self):
            self.v = "7"

        def get(self):
            return self.v

        def set(self, value):
            self.v = value

    box = Box()
    m = DataModel()
    m.parameter("Device.Box", "int", writable=True, source=box)
    tree = ParameterTree(m)
    tree.set_parameter_values([("Device.Box", "+08", "xsd:int")])
    assert box.v == "8"


def test_many_devices_share_one_model():
    devices = [Device(serial=f"SN{i}") for i in range(200)]
    trees = [ParameterTree(MODEL, d) for d in devices]
    assert trees[123].get_value("Device.DeviceInfo.SerialNumber") == "SN123"
    assert all(t.model is MODEL for t in trees)


def test_fault_converts_to_a_codec_message(tree):
    from printbench.cwmp.messages import Fault

    with pytest.raises(ParameterFault) as ei:
        tree.set_parameter_values([("Device.Nope", "1"), ("Device.DeviceInfo.SerialNumber", "x")])
    msg = ei.value.to_fault()
    assert isinstance(msg, Fault) and msg.fault_code == 9003 and msg.soap_fault_code == "Client"
    assert [(f.parameter_name, f.fault_code) for f in msg.set_parameter_values_faults] == [
        ("Device.Nope", 9005),
        ("Device.DeviceInfo.SerialNumber", 9008),
    ]
    assert ei.value.to_fault(detailed=False).fault_string == "Invalid arguments"


def test_accepts_codec_structs(tree, dev):
    from printbench.cwmp.messages import ParameterValueStruct, SetParameterAttributesStruct

    tree.set_parameter_values(
        [
            ParameterValueStruct(
                "Device.ManagementServer.PeriodicInformInterval", "9", "xsd:unsignedInt"
            )
        ],
        "s",
    )
    assert dev.interval == 9
    with pytest.raises(ParameterFault) as ei:
        tree.set_parameter_values(
            [
                ParameterValueStruct(
                    "Device.ManagementServer.PeriodicInformInterval", "9", "xsd:boolean"
                )
            ]
        )
    assert ei.value.spv_faults[0].code == 9006
    tree.set_parameter_values(
        [ParameterValueStruct("Device.ManagementServer.PeriodicInformInterval", "10", None)]
    )
    assert dev.interval == 10
    tree.set_parameter_attributes(
        [SetParameterAttributesStruct("Device.DeviceInfo.SerialNumber", True, 1, False, ())]
    )
    assert tree.get_parameter_attributes(["Device.DeviceInfo.SerialNumber"])[0].notification == 1
