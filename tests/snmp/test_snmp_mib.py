"""The pure MIB view and SET rules, without any network."""

from __future__ import annotations

import pytest

from printbench.emulator.snmp import enums as en
from printbench.emulator.snmp.mib import (
    INCONSISTENT_VALUE,
    NO_ACCESS,
    NO_CREATION,
    NOT_WRITABLE,
    WRONG_LENGTH,
    WRONG_TYPE,
    WRONG_VALUE,
    MibDevice,
    detected_error_names,
    device_status,
    printer_status,
)
from printbench.snmp import ber
from tests.snmp.snmp_support import Device

SYS_LOCATION = (1, 3, 6, 1, 2, 1, 1, 6, 0)
SYS_CONTACT = (1, 3, 6, 1, 2, 1, 1, 4, 0)
HR_PRINTER_STATUS = (1, 3, 6, 1, 2, 1, 25, 3, 5, 1, 1, 1)
HR_ERROR_STATE = (1, 3, 6, 1, 2, 1, 25, 3, 5, 1, 2, 1)
PRT_INPUT = (1, 3, 6, 1, 2, 1, 43, 8, 2, 1)


def s(text: str) -> ber.Value:
    return (ber.OCTET_STRING, text.encode())


def i(value: int) -> ber.Value:
    return (ber.INTEGER, value)


def test_walk_is_sorted_unique_and_typed(mib: MibDevice) -> None:
    entries = mib.walk()
    oids = [o for o, _ in entries]
    assert oids == sorted(oids) and len(set(oids)) == len(oids)
    tags = {v[0] for _, v in entries}
    assert tags <= {
        ber.INTEGER,
        ber.OCTET_STRING,
        ber.OBJECT_IDENTIFIER,
        ber.COUNTER32,
        ber.GAUGE32,
        ber.TIMETICKS,
    }
    for _, (tag, v) in entries:
        if tag == ber.INTEGER:
            assert -(2**31) <= v < 2**31
        if tag == ber.OCTET_STRING:
            assert len(v) <= 255


def test_identity_and_system_group(mib: MibDevice, device: Device) -> None:
    st = device.state
    assert mib.get((1, 3, 6, 1, 2, 1, 1, 2, 0)) == (
        ber.OBJECT_IDENTIFIER,
        ber.parse_oid(st.identity.sys_object_id),
    )
    assert mib.get((1, 3, 6, 1, 2, 1, 1, 5, 0)) == s(st.description.name)
    assert mib.get((1, 3, 6, 1, 2, 1, 43, 5, 1, 1, 17, 1)) == s(st.identity.serial_number)
    mac = bytes.fromhex(st.interfaces[0].mac_address.replace(":", ""))
    assert mib.get((1, 3, 6, 1, 2, 1, 2, 2, 1, 6, 1)) == (ber.OCTET_STRING, mac)
    device.clock.advance(12.5)
    assert mib.get((1, 3, 6, 1, 2, 1, 1, 3, 0)) == (ber.TIMETICKS, 1250)  # computed at lookup


def test_supplies_use_the_enumeration_tables(mib: MibDevice, device: Device) -> None:
    for supply in device.state.supplies:
        inst = (1, supply.index)
        assert mib.get((1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 5, *inst)) == i(
            en.PRT_MARKER_SUPPLIES_TYPE[supply.supply_type]
        )
        assert mib.get((1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 9, *inst)) == i(supply.level)


def test_status_objects_follow_the_engine(mib: MibDevice, device: Device) -> None:
    assert mib.get(HR_PRINTER_STATUS) == i(3)  # idle
    assert mib.get(HR_ERROR_STATE) == s("\x00\x00")
    device.engine.inject("cover_open")
    assert "doorOpen" in detected_error_names(device.state)
    assert mib.get(HR_ERROR_STATE) == (ber.OCTET_STRING, bytes([0x08, 0x00]))  # bit 4
    assert device_status(device.state) == 5  # down: a critical alert
    alert = device.state.alerts[-1]
    assert mib.get((1, 3, 6, 1, 2, 1, 43, 18, 1, 1, 7, 1, alert.index)) == i(
        en.PRT_ALERT_CODE["coverOpen"]
    )
    assert mib.get((1, 3, 6, 1, 2, 1, 43, 6, 1, 1, 3, 1, 1)) == i(3)  # prtCoverStatus coverOpen
    device.engine.clear("cover_open")
    device.engine.inject("jam")
    assert mib.get(HR_ERROR_STATE)[1][0] & 0x04  # jammed, bit 5
    device.engine.clear("jam")
    device.engine.inject("tray_empty", tray_index=2)
    assert {"noPaper", "inputTrayEmpty"} <= detected_error_names(device.state)
    assert mib.get((*PRT_INPUT, 11, 1, 2))[1] & 8  # prtInputStatus: non-critical alert bit


def test_printer_status_mapping(device: Device) -> None:
    st = device.state
    for state, expected in (("idle", 3), ("processing", 4), ("stopped", 1)):
        st.status.state = state
        assert printer_status(st) == expected
    st.status.state = "idle"
    st.status.state_reasons = ("warming-up",)
    assert printer_status(st) == 5


def test_counters_move_with_a_job(mib: MibDevice, device: Device) -> None:
    life = (1, 3, 6, 1, 2, 1, 43, 10, 2, 1, 4, 1, 1)
    before = mib.get(life)[1]
    builds = mib.builds
    device.engine.submit_job(pages=20)
    device.engine.finish_all()
    assert mib.get(life) == (ber.COUNTER32, before + 20)
    assert mib.builds == builds + 1  # the change events invalidated the cached table once
    ic_total = (1, 3, 6, 1, 4, 1, 2699, 1, 3, 1, 8, 1, 1, 4, 1, 3, 3)
    assert mib.get(ic_total) == i(device.state.counters.total_impressions) == i(20)
    used = device.state.media_used[0]
    assert mib.get((1, 3, 6, 1, 4, 1, 2699, 1, 3, 1, 12, 1, 1, 4, 1, used.index, 3)) == i(
        used.total_sheets
    )


def test_cache_is_dropped_and_rebuilt(mib: MibDevice) -> None:
    mib.get(SYS_LOCATION)
    assert mib.cached
    mib.drop_cache()
    assert not mib.cached
    assert mib.get(SYS_LOCATION) is not None and mib.cached


def test_is_object_separates_no_such_object_from_no_such_instance(mib: MibDevice) -> None:
    assert mib.is_object((1, 3, 6, 1, 2, 1, 1, 5, 1))
    assert mib.is_object((1, 3, 6, 1, 2, 1, 43, 18, 1, 1, 8, 1, 99))  # column exists, no rows
    assert not mib.is_object((1, 3, 6, 1, 2, 1, 99, 1, 0))


@pytest.mark.parametrize(
    ("varbinds", "status", "index"),
    [
        ([(SYS_LOCATION, s("a")), ((1, 3, 6, 1, 2, 1, 1, 1, 0), s("x"))], NOT_WRITABLE, 2),
        ([(SYS_LOCATION, s("a")), ((1, 3, 6, 1, 2, 1, 77, 0), s("x"))], NOT_WRITABLE, 2),
        ([(SYS_LOCATION, i(4))], WRONG_TYPE, 1),
        ([(SYS_LOCATION, s("a")), (SYS_CONTACT, s("x" * 256))], WRONG_LENGTH, 2),
        ([(SYS_LOCATION, (ber.OCTET_STRING, b"\xff\xfe"))], WRONG_VALUE, 1),
        ([(SYS_CONTACT, s("a")), ((1, 3, 6, 1, 2, 1, 43, 5, 1, 1, 13, 1), i(7))], WRONG_VALUE, 2),
        ([((1, 3, 6, 1, 2, 1, 1, 6, 1), s("a"))], NO_CREATION, 1),
        ([((*PRT_INPUT, 12, 1, 9), s("a"))], NO_CREATION, 1),
        ([((*PRT_INPUT, 10, 1, 2), i(251))], INCONSISTENT_VALUE, 1),
        ([((*PRT_INPUT, 9, 1, 2), i(100)), (SYS_CONTACT, s("b"))], INCONSISTENT_VALUE, 1),
        ([((1, 3, 6, 1, 2, 1, 43, 5, 1, 1, 10, 1), i(40))], INCONSISTENT_VALUE, 1),
    ],
)
def test_set_errors_change_nothing(
    mib: MibDevice, device: Device, varbinds: list, status: int, index: int
) -> None:
    before = list(device.state.walk())
    assert mib.set(varbinds, may_write=True) == (status, index)
    assert list(device.state.walk()) == before


def test_read_only_access_is_no_access(mib: MibDevice, device: Device) -> None:
    assert mib.set([(SYS_LOCATION, s("x"))], may_write=False) == (NO_ACCESS, 1)
    assert device.state.description.location != "x"


def test_set_applies_all_bindings_together(mib: MibDevice, device: Device) -> None:
    tray = device.state.row("input_trays", 2)
    changes_before = device.state.status.config_changes
    # raising capacity and level together is consistent even though level > old capacity
    result = mib.set(
        [
            ((*PRT_INPUT, 10, 1, 2), i(400)),
            ((*PRT_INPUT, 9, 1, 2), i(500)),
            ((1, 3, 6, 1, 2, 1, 43, 5, 1, 1, 10, 1), i(2)),
            ((1, 3, 6, 1, 2, 1, 43, 16, 5, 1, 2, 1, 1), s("Hello")),
        ],
        may_write=True,
    )
    assert result == (0, 0)
    assert (tray.capacity, tray.level) == (500, 400)
    assert device.state.consoles[0].language == "fr"
    assert device.state.consoles[0].display_buffer[0] == "Hello"
    assert device.state.status.config_changes == changes_before + 1


@pytest.mark.parametrize(
    ("value", "boots", "factory"), [(3, 0, 0), (4, 1, 0), (5, 1, 0), (6, 1, 1)]
)
def test_prt_general_reset(
    mib: MibDevice, device: Device, value: int, boots: int, factory: int
) -> None:
    st = device.state
    b0, f0 = st.status.boot_count, st.status.factory_resets
    st.description.location = "moved"
    assert mib.set([((1, 3, 6, 1, 2, 1, 43, 5, 1, 1, 3, 1), i(value))], may_write=True) == (0, 0)
    assert (st.status.boot_count - b0, st.status.factory_resets - f0) == (boots, factory)
    assert (st.description.location == "moved") == (factory == 0)


def test_critical_event_counter_never_decreases(mib: MibDevice, device: Device) -> None:
    crit = (1, 3, 6, 1, 2, 1, 43, 5, 1, 1, 18, 1)
    assert mib.get(crit) == (ber.COUNTER32, 0)
    device.engine.inject("cover_open")
    device.engine.clear("cover_open")
    device.engine.inject("cover_open")
    assert mib.get(crit) == (ber.COUNTER32, 2)
    assert mib.get((1, 3, 6, 1, 2, 1, 43, 5, 1, 1, 19, 1))[1] >= 2
