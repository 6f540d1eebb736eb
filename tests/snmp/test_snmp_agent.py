"""The SNMP agent against net-snmp's real tools: walks in every version equal the pure MIB
view, exceptions, GETBULK trimming, SET semantics and error-index, live values, power."""

from __future__ import annotations

import pytest

from printbench.emulator.snmp.mib import MibDevice
from tests.snmp.snmp_support import V3, Served, parse_numeric_walk, run, view_as_text

pytestmark = pytest.mark.interop

SYS_DESCR, SYS_CONTACT, SYS_NAME, SYS_LOCATION = (f"1.3.6.1.2.1.1.{n}.0" for n in (1, 4, 5, 6))
SUPPLY_LEVEL_1 = "1.3.6.1.2.1.43.11.1.1.9.1.1"
MARKER_LIFE_1 = "1.3.6.1.2.1.43.10.2.1.4.1.1"
RESET = "1.3.6.1.2.1.43.5.1.1.3.1"
FMT = ["-On", "-Ox", "-Ot"]


def view(served: Served) -> MibDevice:
    return served.agent.mib_at(served.host, served.port)


@pytest.mark.parametrize(
    "tool",
    [
        ["snmpwalk", "-v1", "-c", "public"],
        ["snmpwalk", "-v2c", "-c", "public"],
        ["snmpwalk", "-v2c", "-c", "private"],
        ["snmpbulkwalk", "-v2c", "-c", "public", "-Cr25"],
        ["snmpwalk", *V3],
        ["snmpbulkwalk", *V3, "-Cr10"],
    ],
    ids=[
        "v1-walk",
        "v2c-walk",
        "v2c-walk-write-community",
        "v2c-bulkwalk",
        "v3-walk",
        "v3-bulkwalk",
    ],
)
async def test_whole_walk_matches_pure_view(served: Served, tool: list[str]) -> None:
    rc, out, err = await run(*tool, *FMT, served.target, ".1")
    assert rc == 0, err
    walked = parse_numeric_walk(out)
    expected = view_as_text(view(served))
    assert len(expected) > 350
    if "-v1" in tool:
        assert out.rstrip().endswith("End of MIB")  # v1: noSuchName past the last object
    else:  # v2c/v3: the walk of the whole tree ends on an endOfMibView binding
        last_oid, last = walked.pop()
        assert last_oid == expected[-1][0] and last.startswith(
            "No more variables left in this MIB View"
        )
    assert walked == expected  # same objects, same values, same (lexicographic) order


async def test_getnext_past_the_end_is_end_of_mib_view(served: Served) -> None:
    last = ".".join(map(str, view(served).walk()[-1][0]))
    rc, out, _ = await run("snmpgetnext", "-v2c", "-c", "public", "-On", served.target, last)
    assert rc == 0 and "No more variables left in this MIB View" in out
    rc, out, err = await run("snmpgetnext", "-v1", "-c", "public", "-On", served.target, last)
    assert "noSuchName" in err + out  # SNMPv1 has no endOfMibView


async def test_get_exceptions_per_version(served: Served) -> None:
    rc, out, _ = await run(
        "snmpget",
        "-v2c",
        "-c",
        "public",
        "-On",
        served.target,
        SYS_NAME,
        "1.3.6.1.2.1.1.5.1",
        "1.3.6.1.2.1.99.1.0",
        "1.3.6.1.2.1.43.18.1.1.8.1.77",
    )
    lines = out.splitlines()
    assert rc == 0 and len(lines) == 4
    assert served.device.state.description.name in lines[0]
    assert "No Such Instance" in lines[1]  # sysName exists, instance .1 does not
    assert "No Such Object" in lines[2]
    assert "No Such Instance" in lines[3]  # prtAlertDescription exists (no row 77)
    rc, out, err = await run(
        "snmpget", "-v1", "-c", "public", served.target, SYS_NAME, "1.3.6.1.2.1.99.1.0"
    )
    assert "noSuchName" in err and "1.3.6.1.2.1.99.1.0" in err.replace("iso.", "1.")


async def test_getbulk_stops_after_the_first_all_end_of_mib_view_row(served: Served) -> None:
    entries = view(served).walk()
    start = ".".join(map(str, entries[-3][0]))
    rc, out, err = await run(
        "snmpbulkget", "-v2c", "-c", "public", "-On", "-Cn0", "-Cr50", served.target, start
    )
    assert rc == 0, err
    lines = out.splitlines()
    assert len(lines) == 3  # the last two instances, then one endOfMibView (not 48 of them)
    assert "No more variables" in lines[-1]
    # non-repeaters: the first binding once, the second repeated
    rc, out, _ = await run(
        "snmpbulkget",
        "-v2c",
        "-c",
        "public",
        "-On",
        "-Cn1",
        "-Cr3",
        served.target,
        SYS_DESCR,
        SYS_CONTACT,
    )
    oids = [line.split(" = ")[0] for line in out.splitlines()]
    assert oids == [
        ".1.3.6.1.2.1.1.2.0",
        ".1.3.6.1.2.1.1.5.0",
        ".1.3.6.1.2.1.1.6.0",
        ".1.3.6.1.2.1.1.7.0",
    ]


@pytest.mark.parametrize(
    "auth", [["-v2c", "-c", "private"], ["-v1", "-c", "private"], V3], ids=["v2c", "v1", "v3"]
)
async def test_set_sys_location_with_write_access_changes_state(
    served: Served, auth: list[str]
) -> None:
    events = []
    served.device.state.subscribe(events.append)
    rc, out, err = await run("snmpset", *auth, served.target, SYS_LOCATION, "s", "Print room 2")
    assert rc == 0, err
    assert served.device.state.description.location == "Print room 2"
    assert any(e.path == "description.location" for e in events)
    rc, out, _ = await run("snmpget", "-v2c", "-c", "public", served.target, SYS_LOCATION)
    assert '"Print room 2"' in out


@pytest.mark.parametrize(
    ("auth", "error"),
    [(["-v2c", "-c", "public"], "noAccess"), (["-v1", "-c", "public"], "noSuchName")],
    ids=["v2c", "v1"],
)
async def test_read_community_can_never_write(served: Served, auth: list[str], error: str) -> None:
    before = list(served.device.state.walk())
    rc, _out, err = await run(
        "snmpset", *auth, served.target, SYS_LOCATION, "s", "hacked", SYS_NAME, "s", "x"
    )
    assert rc != 0 and error in err
    assert list(served.device.state.walk()) == before


async def test_v3_needs_auth_priv(served: Served) -> None:
    _rc, out, err = await run(
        "snmpget",
        "-v3",
        "-u",
        "admin",
        "-l",
        "authNoPriv",
        "-a",
        "SHA",
        "-A",
        "authpassword",
        served.target,
        SYS_NAME,
    )
    assert "Unsupported security level" in err or "authorizationError" in err
    assert served.device.state.description.name not in out
    _rc, out, err = await run(
        "snmpget", *V3[:-2], "-X", "wrongpassword", "-t", "0.5", "-r", "0", served.target, SYS_NAME
    )
    assert served.device.state.description.name not in out


@pytest.mark.parametrize(
    ("second", "error"),
    [
        ([SYS_CONTACT, "i", "5"], "wrongType"),
        ([SYS_DESCR, "s", "x"], "notWritable"),
        (["1.3.6.1.2.1.43.11.1.1.9.1.1", "i", "50"], "notWritable"),  # supply level: measured
        ([SYS_CONTACT, "s", "x" * 256], "wrongLength"),
        ([RESET, "i", "9"], "wrongValue"),
        (["1.3.6.1.2.1.43.8.2.1.12.1.99", "s", "A5"], "noCreation"),
        (["1.3.6.1.2.1.43.8.2.1.10.1.2", "i", "100000"], "inconsistentValue"),
    ],
    ids=[
        "wrongType",
        "notWritable",
        "notWritable-supply",
        "wrongLength",
        "wrongValue",
        "noCreation",
        "inconsistentValue",
    ],
)
@pytest.mark.parametrize("auth", [["-v2c", "-c", "private"], V3], ids=["v2c", "v3"])
async def test_multi_varbind_set_is_all_or_nothing_with_the_right_error_index(
    served: Served, auth: list[str], second: list[str], error: str
) -> None:
    before = list(served.device.state.walk())
    rc, _out, err = await run(
        "snmpset",
        *auth,
        "-On",
        served.target,
        SYS_LOCATION,
        "s",
        "changed",
        *second,
        SYS_NAME,
        "s",
        "renamed",
    )
    assert rc != 0 and error in err
    # net-snmp names the failed object from error-index: the 2nd binding, not the 1st or 3rd
    assert f"Failed object: .{second[0]}" in err
    assert list(served.device.state.walk()) == before


async def test_writable_printer_objects_go_through_the_state(served: Served) -> None:
    s = served.device.state
    rc, _, err = await run(
        "snmpset",
        "-v2c",
        "-c",
        "private",
        served.target,
        "1.3.6.1.2.1.43.5.1.1.16.1",
        "s",
        "Finance MFP",
        "1.3.6.1.2.1.43.5.1.1.4.1",
        "s",
        "Ana",
        "1.3.6.1.2.1.43.5.1.1.13.1",
        "i",
        "4",
        "1.3.6.1.2.1.43.8.2.1.9.1.2",
        "i",
        "300",
        "1.3.6.1.2.1.43.8.2.1.10.1.2",
        "i",
        "280",
        "1.3.6.1.2.1.43.8.2.1.12.1.2",
        "s",
        "na_letter_8.5x11in",
    )
    assert rc == 0, err
    tray = s.row("input_trays", 2)
    assert (s.description.name, s.description.current_operator, s.consoles[0].disabled) == (
        "Finance MFP",
        "Ana",
        True,
    )
    assert (tray.capacity, tray.level, tray.media) == (300, 280, "na_letter_8.5x11in")


async def test_supply_level_and_life_count_move_with_a_job(served: Served) -> None:
    async def get(oid: str) -> int:
        rc, out, err = await run("snmpget", "-v2c", "-c", "public", "-Oqv", served.target, oid)
        assert rc == 0, err
        return int(out.split()[0])

    level, life = await get(SUPPLY_LEVEL_1), await get(MARKER_LIFE_1)
    engine = served.device.engine
    engine.submit_job(pages=100)
    engine.finish_all()
    assert await get(MARKER_LIFE_1) == life + 100 == served.device.state.markers[0].life_count
    new_level = await get(SUPPLY_LEVEL_1)
    assert new_level < level and new_level == served.device.state.supplies[0].level


async def test_prt_general_reset_power_cycles(served: Served) -> None:
    s = served.device.state
    boots = s.status.boot_count
    served.device.clock.advance(60)
    rc, _, err = await run("snmpset", "-v2c", "-c", "private", served.target, RESET, "i", "4")
    assert rc == 0, err
    assert s.status.boot_count == boots + 1
    rc, out, _ = await run(
        "snmpget", "-v2c", "-c", "public", "-Ot", "-Oqv", served.target, "1.3.6.1.2.1.1.3.0"
    )
    assert out.strip() == "0"  # up time restarts at the boot


async def test_powered_off_device_does_not_answer(served: Served) -> None:
    served.device.engine.power_off()
    rc, out, err = await run(
        "snmpget", "-v2c", "-c", "public", "-t", "0.3", "-r", "0", served.target, SYS_NAME
    )
    assert rc != 0 and "Timeout" in err
    served.device.engine.power_on()
    rc, out, err = await run("snmpget", "-v2c", "-c", "public", served.target, SYS_NAME)
    assert rc == 0 and served.device.state.description.name in out


async def test_remove_device_frees_the_address(served: Served) -> None:
    await served.agent.remove_device(served.host, served.port)
    rc, out, err = await run(
        "snmpget", "-v2c", "-c", "public", "-t", "0.3", "-r", "0", served.target, SYS_NAME
    )
    assert rc != 0
    assert await served.agent.add_device(served.device, served.host, served.port) == (
        served.host,
        served.port,
    )
    rc, out, err = await run("snmpget", *V3, served.target, SYS_NAME)
    assert rc == 0, err and served.device.state.description.name in out
