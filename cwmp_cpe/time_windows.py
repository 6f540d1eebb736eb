"""ScheduleDownload time windows (TR-069 A.4.1.8, TimeWindowStruct) — pure rules, no I/O.

What each rule rests on:

- cwmp-1-2.xsd (schema): TimeWindowList holds at most 2 TimeWindowStruct; WindowStart and
  WindowEnd are unsignedInt seconds; WindowMode matches ``[1-9]\\d*( \\S+)+`` (documented
  values 1 At Any Time, 2 Immediately, 3 When Idle, 4 Confirmation Needed) or a vendor
  ``X <OUI> ...``; UserMessage at most 256 characters; MaxRetries an int.
- The windows are offsets from when the CPE received the request, in order and not
  overlapping; an empty list, a window that ends before it starts, overlapping windows or a
  mode this CPE does not know are refused with 9003 Invalid arguments. This is how the
  reference notes and CPEs (icwmp, cwmp-sim) read A.4.1.8; the PDF's wording was not seen,
  so these are this CPE's choices, not quoted MUSTs.
- Within a window: mode 1/2 start at the window's start; 3 waits until the device is idle;
  4 waits until the user confirms (``UserMessage`` shown). A failed attempt is retried in the
  same window up to MaxRetries times (-1: the CPE decides, here :data:`CPE_RETRIES`); when no
  window is left the TransferComplete carries 9020 ("unable to complete download within
  specified time windows", A.5.1 / cwmp-1-2.xsd TransferCompleteCPEFaultCodeType).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

AT_ANY_TIME = "1 At Any Time"
IMMEDIATELY = "2 Immediately"
WHEN_IDLE = "3 When Idle"
CONFIRMATION_NEEDED = "4 Confirmation Needed"
MODES = (AT_ANY_TIME, IMMEDIATELY, WHEN_IDLE, CONFIRMATION_NEEDED)
#: MaxRetries -1 ("the CPE decides"): this many retries per window.
CPE_RETRIES = 3
#: Seconds between attempts inside a window (and between idle/confirmation checks).
RETRY_PAUSE = 1.0
#: TR-069 A.5.1: the TransferComplete fault when no window allowed the download.
NO_WINDOW_FAULT = 9020


@dataclass(frozen=True)
class Window:
    start: int  # seconds after the request was received
    end: int
    mode: str = AT_ANY_TIME
    user_message: str = ""
    max_retries: int = 0

    def retries(self) -> int:
        return CPE_RETRIES if self.max_retries < 0 else self.max_retries


def check_windows(windows: Sequence[Window]) -> str | None:
    """Why the list cannot be accepted (fault 9003), or None."""
    if not windows:
        return "TimeWindowList is empty"
    if len(windows) > 2:
        return "TimeWindowList holds more than 2 windows (cwmp-1-2.xsd maxOccurs 2)"
    for i, w in enumerate(windows, 1):
        if w.end < w.start:
            return f"window {i}: WindowEnd {w.end} is before WindowStart {w.start}"
        if w.mode not in MODES and not w.mode.startswith("X "):
            return f"window {i}: WindowMode {w.mode!r} is not one of {', '.join(MODES)}"
        if w.mode.startswith("X "):
            return f"window {i}: vendor WindowMode {w.mode!r} is not supported by this CPE"
        if len(w.user_message) > 256:
            return f"window {i}: UserMessage is longer than 256 characters"
        if w.max_retries < -1:
            return f"window {i}: MaxRetries {w.max_retries} is below -1"
    if len(windows) == 2 and windows[1].start < windows[0].end:
        return "the two windows overlap (the second starts before the first ends)"
    return None


def may_start(window: Window, *, idle: bool, confirmed: bool) -> bool:
    """Whether an attempt may start now inside ``window``."""
    if window.mode == WHEN_IDLE:
        return idle
    if window.mode == CONFIRMATION_NEEDED:
        return confirmed
    return True
