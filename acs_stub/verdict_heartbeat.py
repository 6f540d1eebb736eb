"""Judging heartbeat Informs (``14 HEARTBEAT``, TR-069 Amd 6 Annex O) — pure functions.

The judge (``verdicts.Judge.inform``) calls :func:`heartbeat_findings` with the Inform and
what the ACS knows of the device's ``ManagementServer.HeartbeatPolicy.`` (the values it set
or read: ``registry.Device.params``). Two rules, of different standing:

- ``heartbeat-phase`` (mandatory): TR-181 ``HeartbeatPolicy.InitiationTime``: "Each Inform
  call MUST occur at this reference time plus or minus an integer multiple of the
  ReportingInterval". Judged on the Inform's CurrentTime (the CPE's own clock, so clock skew
  between CPE and ACS does not matter) with a tolerance for the time a session takes to
  start (:data:`PHASE_TOLERANCE`), only when the ACS knows Enable, ReportingInterval and a
  known InitiationTime, and not for a retried attempt (RetryCount > 0: TR-069 §3.2.1.1's
  wait moves it off the grid).
- ``heartbeat-alone`` (optional): the heartbeat Inform carries no other event. Expected by
  ACS vendors and done so by icwmp (a session of its own), but the Annex O / Table 7 text
  that would make it a MUST was not found in any public copy we could search.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from printbench.cwmp import soap

EVENT = "14 HEARTBEAT"
#: Seconds a heartbeat Inform may be off its grid point (session start, a busy machine).
PHASE_TOLERANCE = 3.0


def _policy(params: Mapping[str, str]) -> tuple[int, datetime] | None:
    """(ReportingInterval, InitiationTime) when the ACS knows an enabled policy with a
    known reference time; None otherwise (nothing to judge the phase by)."""
    for root in ("Device.", "InternetGatewayDevice."):
        p = f"{root}ManagementServer.HeartbeatPolicy."
        if p + "Enable" not in params:
            continue
        if params[p + "Enable"].strip().lower() not in ("true", "1"):
            return None
        try:
            interval = int(params.get(p + "ReportingInterval", ""))
            when = soap.parse_datetime(params.get(p + "InitiationTime", ""))
        except (ValueError, TypeError):
            return None
        if interval <= 0 or when.year <= 1:
            return None  # the Unknown Time: the CPE picks its own phase
        return interval, when if when.tzinfo else when.replace(tzinfo=UTC)
    return None


def phase_error(current: datetime, interval: int, initiation: datetime) -> float:
    """Seconds between ``current`` and the nearest InitiationTime + k * interval."""
    if current.tzinfo is None:
        current = current.replace(tzinfo=UTC)
    offset = (current - initiation).total_seconds() % interval
    return min(offset, interval - offset)


def heartbeat_findings(inform: Any, params: Mapping[str, str]) -> list[tuple[str, str]]:
    """(rule, message) for each heartbeat rule the Inform breaks."""
    codes = [e.event_code for e in inform.event]
    if EVENT not in codes:
        return []
    out: list[tuple[str, str]] = []
    others = [c for c in codes if c != EVENT]
    if others:
        out.append(("heartbeat-alone", f"14 HEARTBEAT together with {', '.join(others)}"))
    policy = _policy(params)
    current = inform.current_time
    if policy is None or inform.retry_count != 0 or current is None or current.year <= 1:
        return out
    interval, initiation = policy
    err = phase_error(current, interval, initiation)
    if err > PHASE_TOLERANCE:
        out.append(
            (
                "heartbeat-phase",
                f"heartbeat Inform at {soap.format_datetime(current)} is {err:.1f} s off "
                f"InitiationTime {soap.format_datetime(initiation)} + k x {interval} s",
            )
        )
    return out
