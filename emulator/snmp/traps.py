"""printerV2Alert notifications (RFC 3805 §2.2.13 / printerV2AlertTrap), pure encoding.

An SNMPv2c SNMPv2-Trap-PDU carries sysUpTime.0, snmpTrapOID.0 = printerV2Alert
(1.3.6.1.2.1.43.18.2.0.1), then the new alert row's prtAlertIndex, prtAlertSeverityLevel,
prtAlertGroup, prtAlertGroupIndex, prtAlertLocation and prtAlertCode (the objects RFC 3805
lists for the notification), each instance-qualified by hrDeviceIndex.prtAlertIndex.
"""

from __future__ import annotations

from printbench.emulator import state as st
from printbench.emulator.snmp import enums as en
from printbench.emulator.snmp.mib import (
    PRINTER_DEVICE_INDEX,
    PRINTER_V2_ALERT_TRAP,
    PRT_ALERT_ENTRY,
    SNMP_TRAP_OID_0,
    SYS_UPTIME_0,
)
from printbench.snmp import ber

DEFAULT_TRAP_PORT = 162


class TrapDestinationError(ValueError):
    """A trap destination in the state is not ``host[:port]``."""


def parse_destination(text: str) -> tuple[str, int]:
    """``"127.0.0.1:1162"`` → ``("127.0.0.1", 1162)``; the port defaults to 162."""
    host, sep, port = text.strip().rpartition(":")
    if not sep:
        host, port = text.strip(), str(DEFAULT_TRAP_PORT)
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise TrapDestinationError(f"trap destination {text!r}: expected host[:port]")
    return host, int(port)


def alert_varbinds(alert: st.Alert, uptime_ticks: int) -> list[tuple[tuple[int, ...], ber.Value]]:
    inst = (PRINTER_DEVICE_INDEX, alert.index)

    def col(n: int) -> tuple[int, ...]:
        return (*PRT_ALERT_ENTRY, n, *inst)

    return [
        (SYS_UPTIME_0, (ber.TIMETICKS, uptime_ticks & 0xFFFFFFFF)),
        (SNMP_TRAP_OID_0, (ber.OBJECT_IDENTIFIER, PRINTER_V2_ALERT_TRAP)),
        (col(1), (ber.INTEGER, alert.index)),
        (
            col(2),
            (
                ber.INTEGER,
                en.enum_value(en.PRT_ALERT_SEVERITY, alert.severity, "PrtAlertSeverityLevelTC"),
            ),
        ),
        (col(4), (ber.INTEGER, en.enum_value(en.PRT_ALERT_GROUP, alert.group, "PrtAlertGroupTC"))),
        (col(5), (ber.INTEGER, alert.group_index)),
        (col(6), (ber.INTEGER, alert.location)),
        (col(7), (ber.INTEGER, en.enum_value(en.PRT_ALERT_CODE, alert.code, "PrtAlertCodeTC"))),
    ]


def encode_alert_trap(
    alert: st.Alert, *, uptime_ticks: int, community: str, request_id: int
) -> bytes:
    """The datagram of one SNMPv2c printerV2Alert notification."""
    body = b"".join(ber.encode_varbind(o, v) for o, v in alert_varbinds(alert, uptime_ticks))
    return ber.encode_message(
        1, community.encode(), ber.TRAP_V2, request_id & 0x7FFFFFFF, 0, 0, body
    )
