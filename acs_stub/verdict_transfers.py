"""Judging CPE-initiated and scheduled transfers — pure checks over what the ACS saw.

- ``schedule-download-window`` (optional): the TransferComplete of a ScheduleDownload has a
  StartTime inside one of its TimeWindows. The windows count from when the CPE received the
  request (TimeWindowStruct WindowStart/WindowEnd, TR-069 A.4.1.8; wording not seen in a
  public copy, hence optional); the ACS measures them from the CurrentTime of the Inform of
  the session that carried the request (the CPE's own clock, so skew does not matter), which
  is at or before the receipt: a StartTime before ``CurrentTime + WindowStart`` is early for
  certain; the upper end allows :data:`SESSION_SLACK` for the session's own length. A
  TransferComplete with fault 9020 (no window could be used) is not judged.
- ``autonomous-transfer-policy`` (mandatory): TR-181 ManagementServer.
  AutonomousTransferCompletePolicy: transfer types, results and file types not indicated by
  TransferTypeFilter / ResultTypeFilter / FileTypeFilter "MUST NOT be included when the CPE
  notifies the ACS" (judged with the policy as the ACS set or read it).
- ``autonomous-transfer-event`` (optional): an AutonomousTransferComplete is sent in a
  session whose Inform carries ``10 AUTONOMOUS TRANSFER COMPLETE`` (TR-069 A.3.3.1 Table 7;
  the MUST wording for this pairing was not seen).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

#: Seconds a session may take between its Inform and the CPE's receipt of the request.
SESSION_SLACK = 10.0
NO_WINDOW_FAULT = 9020


@dataclass(frozen=True)
class Scheduled:
    informed_at: datetime  # CurrentTime of the Inform of the session that sent it
    windows: tuple[tuple[int, int], ...]


def _utc(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


class WindowBook:
    """ScheduleDownloads the CPE accepted, by (device, CommandKey)."""

    def __init__(self) -> None:
        self._book: dict[tuple[str, str], Scheduled] = {}

    def accepted(self, device: str, request: Any, inform: Any) -> None:
        if inform is None or getattr(inform, "current_time", None) is None:
            return
        windows = tuple((w.window_start, w.window_end) for w in request.time_window_list)
        self._book[(device, request.command_key)] = Scheduled(_utc(inform.current_time), windows)

    def finding(self, device: str, tc: Any) -> str | None:
        """Why ``tc`` (a TransferComplete) is outside its windows, or None."""
        entry = self._book.pop((device, tc.command_key), None)
        if entry is None or tc.fault_struct.fault_code == NO_WINDOW_FAULT:
            return None
        start = _utc(tc.start_time)
        if start.year <= 1:
            return None  # unknown StartTime
        for lo, hi in entry.windows:
            opens = entry.informed_at + timedelta(seconds=lo - 1)
            closes = entry.informed_at + timedelta(seconds=hi + SESSION_SLACK)
            if opens <= start <= closes:
                return None
        spans = ", ".join(f"[{lo}, {hi}] s" for lo, hi in entry.windows)
        offset = (start - entry.informed_at).total_seconds()
        return (
            f"ScheduleDownload {tc.command_key!r} started {offset:.1f} s after the session "
            f"that sent it, outside its windows {spans}"
        )


def _policy(params: Mapping[str, str]) -> dict[str, str] | None:
    for root in ("Device.", "InternetGatewayDevice."):
        p = f"{root}ManagementServer.AutonomousTransferCompletePolicy."
        if p + "Enable" in params:
            return {k[len(p) :]: v for k, v in params.items() if k.startswith(p)}
    return None


def disabled_finding(params: Mapping[str, str]) -> str | None:
    """``autonomous-transfer-disabled`` (optional): TR-181 Enable "Enable/disable CPE
    notification of AUTONOMOUS TRANSFER COMPLETE events" (no MUST wording)."""
    pol = _policy(params)
    if pol is not None and pol.get("Enable", "").strip().lower() not in ("true", "1"):
        return "AutonomousTransferComplete sent while the policy's Enable is false"
    return None


def policy_finding(atc: Any, params: Mapping[str, str]) -> str | None:
    """Why ``atc`` (an AutonomousTransferComplete) is one the policy excludes, or None."""
    pol = _policy(params)
    if pol is None:
        return None
    if pol.get("Enable", "").strip().lower() not in ("true", "1"):
        return None  # judged by disabled_finding (no MUST found for Enable)
    kind = "Download" if atc.is_download else "Upload"
    ttf = pol.get("TransferTypeFilter", "")
    if ttf and ttf not in ("Both", kind):
        return f"an {kind} reported while TransferTypeFilter is {ttf!r}"
    result = "Success" if atc.fault_struct.fault_code == 0 else "Failure"
    rtf = pol.get("ResultTypeFilter", "")
    if rtf and rtf not in ("Both", result):
        return f"a {result} reported while ResultTypeFilter is {rtf!r}"
    if "FileTypeFilter" in pol:
        allowed = [f.strip() for f in pol["FileTypeFilter"].split(",") if f.strip()]
        if atc.file_type not in allowed:
            return f"FileType {atc.file_type!r} is not in FileTypeFilter {allowed}"
    return None
