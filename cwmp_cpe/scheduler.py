"""When a CPE opens a session: the pure decisions of the runtime's main loop (no I/O, no clock).

Everything here takes the current monotonic time and plain values and returns a decision,
so each rule can be tested without a loop or a network:

- :class:`PeriodicSchedule`: ``2 PERIODIC`` every PeriodicInformInterval, in phase with
  PeriodicInformTime when it is known (TR-069 §3.2.1, TR-181 ManagementServer);
- :func:`want_session`: whether to start a session now (events queued, an active value
  change, the retry wait of TR-069 §3.2.1.1, the notification throttle of TR-181
  DefaultActiveNotificationThrottle, a Connection Request that skips the wait);
- :func:`next_due`: when the loop must look again if nothing wakes it.

Feature modules add their own due times through ``Cpe.add_timer`` (a :class:`Timer`); this
module only combines them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class Timer(Protocol):
    """A source of due times (ScheduleInform, heartbeat, ...), polled by the main loop.

    ``due()`` is the next monotonic time it wants the loop to run (None: nothing pending);
    ``fire(now)`` is called on every pass of the loop and acts on what is due at ``now``
    (typically: queue an event). Both must be cheap and must not await.
    """

    def due(self) -> float | None: ...

    def fire(self, now: float) -> None: ...


def first_periodic(now: float, wall: datetime, interval: int, phase: datetime | None) -> float:
    """The first periodic inform after ``now``: ``interval`` from now, or the next instant
    of the ``phase`` grid (PeriodicInformTime + k * interval) when a phase is known."""
    if phase is None:
        return now + interval
    offset = (wall - phase).total_seconds() % interval
    return now + (interval - offset if offset else interval)


class PeriodicSchedule:
    """The next ``2 PERIODIC`` of one CPE, recomputed when the three settings change."""

    def __init__(self) -> None:
        self.key: tuple[object, ...] | None = None
        self.next: float | None = None

    def invalidate(self) -> None:
        """Settings may have changed (tree write, boot): recompute on the next pass."""
        self.key = None

    def tick(
        self, now: float, wall: datetime, enable: bool, interval: int, phase: datetime | None
    ) -> bool:
        """Advance to ``now``; True when a periodic inform is due (at most one per call:
        missed intervals are not made up, TR-069 wants one Inform per interval)."""
        key = (enable, interval, phase)
        if key != self.key:
            self.key = key
            self.next = first_periodic(now, wall, interval, phase) if enable else None
        if self.next is None or now < self.next:
            return False
        while self.next <= now:
            self.next += interval
        return True


def throttle_due(last_success_end: float | None, throttle: int) -> float:
    """TR-181 DefaultActiveNotificationThrottle: "the time is counted since the last
    successfully completed session" (a failed session does not restart it)."""
    if last_success_end is None or not throttle:
        return float("-inf")
    return last_success_end + throttle


@dataclass(frozen=True)
class LoopState:
    """What the decisions look at, read once per pass of the loop."""

    now: float
    enabled: bool  # ManagementServer.EnableCWMP and a URL to talk to
    queued_events: int
    has_active_change: bool  # an active notification is pending
    retry_next: float | None  # the retry wait's end (None: the last session succeeded)
    cr_override: bool  # an accepted Connection Request skips the retry wait
    throttle_due: float


def want_session(st: LoopState, *, extra_wanted: bool = False) -> bool:
    """Start a session now? ``extra_wanted``: a feature has something to send outside the
    event queue (it obeys the same retry wait)."""
    if not st.enabled:
        return False
    retrying = st.retry_next is not None
    backoff = retrying and st.now < st.retry_next  # type: ignore[operator]
    if backoff and not st.cr_override:
        # Only a Connection Request skips the wait at once: the ACS asked for the session
        # (TR-069 §3.2.2) and the accepted requests are rate-limited (cr_rate_limit).
        return False
    if st.queued_events or extra_wanted:
        return True
    if st.has_active_change:
        # TR-181 DefaultActiveNotificationThrottle: a session that retries a failed one
        # "MUST NOT be delayed based on this parameter value".
        return retrying or st.throttle_due <= st.now
    return False


def next_due(
    st: LoopState, timers: Iterable[float | None], *, extra_wanted: bool = False
) -> float | None:
    """When the parked loop must run again on its own (None: only a wake-up)."""
    candidates = [t for t in timers if t is not None]
    if st.retry_next is not None:
        if st.queued_events or st.has_active_change or extra_wanted:
            candidates.append(st.retry_next)
    elif st.has_active_change:
        candidates.append(st.throttle_due)
    if not candidates:
        return None
    return max(min(candidates), st.now)


def fire_all(timers: Iterable[Timer], now: float, on_error: Callable[[Timer], None]) -> None:
    """Let every timer act on ``now``; one failing timer does not stop the others."""
    for timer in timers:
        try:
            timer.fire(now)
        except Exception:
            on_error(timer)
