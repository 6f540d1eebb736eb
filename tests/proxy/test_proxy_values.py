"""Values real printers report that the emulator never did: they must not fault a whole request.

Real printers report ``prtAlertTime`` 0 (RFC 3805: "the value of sysUpTime at the time that this
alert was generated", so 0 is "at boot"); the proxy must turn TimeTicks into a dateTime (boot time
+ ticks). One value the proxy cannot convert gets its type's unknown value and a note naming the
parameter; the ACS still gets every other parameter (issue 13, part 3).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from printbench.cwmp import messages as m
from printbench.cwmp.types import parse_datetime
from printbench.cwmp_proxy.binding import template_of
from printbench.datamodel import conversions

PS = "Device.Services.PrintService."
DC = PS + "1.Status.ConditionTable.ActiveConditions.DeviceCondition."


def _values(resp: m.Message) -> dict[str, str]:
    assert isinstance(resp, m.GetParameterValuesResponse), resp
    return {v.name: v.value for v in resp.parameter_list}


async def _sysuptime_ticks(host: str, port: int) -> int:
    """sysUpTime.0 read with net-snmp, independently of the proxy's SNMP client."""
    proc = await asyncio.create_subprocess_exec(
        "snmpget", "-v2c", "-c", "public", "-On", "-Oqvt", "-t", "2", "-r", "1",
        f"{host}:{port}", "1.3.6.1.2.1.1.3.0",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return int(out.decode().strip())


def _alert_rows(values: dict[str, str]) -> dict[str, dict[str, str]]:
    rows: dict[str, dict[str, str]] = {}
    for name, value in values.items():
        if name.startswith(DC):
            inst, _, leaf = name[len(DC) :].partition(".")
            rows.setdefault(inst, {})[leaf] = value
    return rows


async def test_alert_time_zero_is_boot_time_over_snmp(printers, make_device) -> None:
    """prtAlertTime 0 and 12345 become boot time and boot time + 123 s; the GPV is answered."""
    printer = await printers("color-laser-mfp")
    printer.engine.inject("jam")
    printer.engine.inject("cover_open")
    alerts = sorted(printer.state.alerts, key=lambda a: a.index)
    assert len(alerts) >= 2
    alerts[0].time_ticks = 0  # what 10 of 12 real recordings hold
    alerts[1].time_ticks = 12345
    device = await make_device(printer, protocols=("snmp", "ipp"))
    got = _values(await device.get_parameter_values(m.GetParameterValues((PS,))))
    port = int(printer.endpoints["snmp"].rsplit(":", 1)[1])
    boot = datetime.now(UTC) - timedelta(seconds=await _sysuptime_ticks(printer.host, port) / 100)
    rows = _alert_rows(got)
    by_index = {int(i): r for i, r in rows.items()}
    first, second = by_index[alerts[0].index], by_index[alerts[1].index]
    t0, t1 = parse_datetime(first["Time"]), parse_datetime(second["Time"])
    assert abs((t0 - boot).total_seconds()) < 5, (first["Time"], boot)
    assert (t1 - t0).total_seconds() == 123
    assert len(got) > 100  # the whole PrintService, not a fault or a stub
    assert not device.view.notes
    jam = by_index[next(a.index for a in alerts if a.code == "jam")]
    assert (jam["Name"], jam["Component.Group"]) == ("MediaJam", "MediaPath")  # not 8 and 13
    # every value the ACS got is valid for its data-model type (names, patterns, ranges)
    invalid = [
        f"{n}={v!r}"
        for n, v in got.items()
        if not device.tree.model.param_def(template_of(n)).type.is_valid(v)
    ]
    assert not invalid, invalid


async def test_unconvertible_value_gets_unknown_value_not_a_fault(printers, make_device) -> None:
    """A corrupt alert time and severity: TR-106 Unknown Time / the enumeration's unknown value,
    a note naming each parameter, and every other parameter still served."""
    printer = await printers("color-laser-mfp")
    printer.engine.inject("jam")
    alert = printer.state.alerts[0]
    device = await make_device(printer, protocols=("ews",))
    before = _values(await device.get_parameter_values(m.GetParameterValues((PS,))))
    alert.time_ticks = "6git3159"  # type: ignore[assignment]  # a corrupt row, as in a recording
    alert.severity = "no-such-severity"
    got = _values(await device.get_parameter_values(m.GetParameterValues((PS,))))
    prefix = f"{DC}{alert.index}."
    assert got[prefix + "Time"] == "0001-01-01T00:00:00Z"
    assert parse_datetime(got[prefix + "Time"]) == conversions.UNKNOWN_TIME
    assert got[prefix + "Severity"] != before[prefix + "Severity"]
    assert set(got) == set(before)  # every other parameter is still there
    same = [n for n in got if n not in (prefix + "Time", prefix + "Severity")]
    assert all(got[n] == before[n] for n in same if "UpTime" not in n)
    assert "6git3159" in device.view.notes[prefix + "Time"]
    assert "no-such-severity" in device.view.notes[prefix + "Severity"]


def test_ticks_to_datetime_rules() -> None:
    """Boot time + ticks (whole seconds); unknown boot time gives TR-106 Unknown Time."""
    boot = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert conversions.ticks_to_datetime((0, boot)) == boot
    assert conversions.ticks_to_datetime((12399, boot)) == boot + timedelta(seconds=123)
    assert conversions.ticks_to_datetime((0, None)) == conversions.UNKNOWN_TIME
    for bad in ("6git3159", -1, 2**32, None):
        try:
            conversions.ticks_to_datetime((bad, boot))
        except conversions.ConversionError:
            continue
        raise AssertionError(f"{bad!r} was accepted")


async def test_alert_time_over_ews_uses_the_printers_other_clock(printers, make_device) -> None:
    """The EWS state dump carries alert ticks but no uptime: the boot time comes from the
    printer's IPP printer-up-time (same boot), not Unknown Time."""
    printer = await printers("color-laser-mfp")
    printer.engine.inject("jam")
    alert = printer.state.alerts[0]
    alert.time_ticks = 500
    device = await make_device(printer, protocols=("ews", "ipp"))
    got = _values(await device.get_parameter_values(m.GetParameterValues((PS,))))
    port = int(printer.endpoints["snmp"].rsplit(":", 1)[1])
    boot = datetime.now(UTC) - timedelta(seconds=await _sysuptime_ticks(printer.host, port) / 100)
    t = parse_datetime(got[f"{DC}{alert.index}.Time"])
    assert abs((t - (boot + timedelta(seconds=5))).total_seconds()) < 5, (t, boot)
