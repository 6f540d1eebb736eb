"""``Device.Time.`` of a virtual printer, bound to its time settings (TP-181 5.1.2).

A printer's web page has an NTP switch, a server and a time zone (the state's ``time``
section, also served as ``PS.X_PRINTBENCH-ORG_Settings.Time.*``); TR-181 2.17 names the same
settings ``Device.Time.Enable``, ``NTPServer1``, ``LocalTimeZone``, so one setting is seen
both ways. ``NTPServer2``..``5`` have no place on the printer's page: they stay stored
values of the tree (kept across reboots by the client's store).

``CurrentLocalTime`` is the printer's clock in its zone: an IANA name (``Europe/Berlin``)
through ``zoneinfo``, or a POSIX TZ string as TR-181 asks (``CET-1CEST,M3.5.0,M10.5.0/3``):
its standard offset only (the daylight-saving rule is not applied: said here, not hidden).

``Status``: TR-181 enumerates Disabled, Unsynchronized, Synchronized,
Error_FailedToSynchronize, Error. The emulator speaks no NTP (its clock is the bench's), so
it never claims ``Synchronized``: ``Disabled`` when NTP is off, ``Error_FailedToSynchronize``
when on without a server, ``Unsynchronized`` otherwise.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

T = "Device.Time."
_POSIX = re.compile(r"^(?:[A-Za-z]{3,}|<[^>]+>)([+-]?)(\d{1,2})(?::(\d{2}))?")


def zone_of(name: str) -> tzinfo:
    """The zone a printer's time-zone setting names (UTC when it names none we know)."""
    text = (name or "").strip()
    if not text or text.upper() in ("UTC", "GMT", "Z"):
        return UTC
    if "/" in text and "," not in text:  # an IANA name; a POSIX rule has commas
        try:
            return ZoneInfo(text)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    m = _POSIX.match(text)
    if m is None:
        return UTC
    # POSIX offsets are west-positive: "EST5" is UTC-5
    minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
    sign = 1 if m.group(1) == "-" else -1
    return timezone(timedelta(minutes=sign * minutes))


def local_time(now: datetime, zone_name: str) -> str:
    """xsd:dateTime of ``now`` in the zone, with its offset (``Z`` in UTC)."""
    local = now.astimezone(zone_of(zone_name)).replace(microsecond=0)
    text = local.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def status(time_settings: Any) -> str:
    if not time_settings.ntp_enabled:
        return "Disabled"
    if not time_settings.ntp_server:
        return "Error_FailedToSynchronize"
    return "Unsynchronized"


def declare_time(b: Any) -> None:
    """Bind ``Device.Time.`` on a ``view.PrinterBinder``."""
    b.rw(T + "Enable", lambda v: v.state.time.ntp_enabled, "time.ntp_enabled")
    b.rw(T + "NTPServer1", lambda v: v.state.time.ntp_server, "time.ntp_server")
    b.rw(T + "LocalTimeZone", lambda v: v.state.time.time_zone, "time.time_zone")
    b.ro(T + "Status", lambda v: status(v.state.time))
    b.ro(T + "CurrentLocalTime", lambda v: local_time(v.clock.now(), v.state.time.time_zone))
