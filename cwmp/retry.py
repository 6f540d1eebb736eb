"""Session retry waits (TR-069 3.2.1.1, Table 3) and the Inform RetryCount.

After a failed session the CPE waits a random time in ``[m·k^(n-1), m·k^n]`` seconds before
retry ``n`` (1 for the first retry), with ``n`` capped at 10, where ``m`` is
``ManagementServer.CWMPRetryMinimumWaitInterval`` (default 5, 1..65535) and ``k`` is
``CWMPRetryIntervalMultiplier``/1000 (default 2000, 1000..65535). With the defaults this gives
the well-known table 5-10, 10-20, ..., 2560-5120 s. Randomness spreads a fleet's retries so an
ACS coming back is not hit by every CPE at once; the RNG is injected for tests.

Two counters, because TR-069 uses two (see docs/tr069-client.md "Retries"):

- ``retry_count`` is the Inform's RetryCount: "Number of prior times an attempt was made to
  retry this session", which must be zero if and only if the previous session completed
  successfully (TR-069 Amd 6 A.3.3.1, Inform argument RetryCount; wording as quoted in
  issue 12 and in open-source CPE sources, the PDF itself is not in /work/shared). It counts *every* attempt that did
  not complete successfully (refused, no InformResponse, or broken off after it) and goes
  back to 0 only on a successful session, so it survives a reboot (persisted by the runtime).
- ``table_index`` is Table 3's "post reboot session retry count": the row that sets the
  wait. It restarts at a reboot (TR-069 Table 3 header; RDK quotes it as "Post reboot session
  retry count") and at a successful session.

A new event during the wait may end it early: TR-069 §3.2.1.1 has the CPE retry "after the
wait interval or when a new event occurs, whichever comes first" (wording as quoted by QA
Cafe's session-retry page and third-party CPE notes; unverified against the PDF). The bench
never lets that make it faster than the table: the earliest attempt is always the lower end
of the current row after the failure (:meth:`RetryState.on_new_event`), so over any run the
attempts are at most :func:`max_attempts`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Protocol

DEFAULT_MIN_WAIT = 5
DEFAULT_MULTIPLIER = 2000
MIN_WAIT_RANGE = (1, 65535)  # TR-181 CWMPRetryMinimumWaitInterval range
MULTIPLIER_RANGE = (1000, 65535)  # TR-181 CWMPRetryIntervalMultiplier range
MAX_EXPONENT = 10


class Uniform(Protocol):
    def uniform(self, a: float, b: float) -> float: ...


def _check(min_wait: int, multiplier: int) -> None:
    if not MIN_WAIT_RANGE[0] <= min_wait <= MIN_WAIT_RANGE[1]:
        raise ValueError(f"CWMPRetryMinimumWaitInterval {min_wait} is outside 1..65535")
    if not MULTIPLIER_RANGE[0] <= multiplier <= MULTIPLIER_RANGE[1]:
        raise ValueError(f"CWMPRetryIntervalMultiplier {multiplier} is outside 1000..65535")


def retry_wait_range(
    retry: int, min_wait: int = DEFAULT_MIN_WAIT, multiplier: int = DEFAULT_MULTIPLIER
) -> tuple[float, float]:
    """Bounds in seconds of the wait before retry number ``retry`` (1-based)."""
    if retry < 1:
        raise ValueError(f"retry number {retry} must be 1 or more")
    _check(min_wait, multiplier)
    n = min(retry, MAX_EXPONENT)
    k = multiplier / 1000
    return min_wait * k ** (n - 1), min_wait * k**n


def retry_wait(
    retry: int,
    min_wait: int = DEFAULT_MIN_WAIT,
    multiplier: int = DEFAULT_MULTIPLIER,
    rng: Uniform | None = None,
) -> float:
    """A random wait before retry number ``retry``, within ``retry_wait_range``."""
    lo, hi = retry_wait_range(retry, min_wait, multiplier)
    return (rng or random).uniform(lo, hi)


def max_attempts(
    duration: float, min_wait: int = DEFAULT_MIN_WAIT, multiplier: int = DEFAULT_MULTIPLIER
) -> int:
    """The most session attempts Table 3 allows one CPE in ``duration`` seconds of failures.

    The first attempt at 0, then each retry ``n`` at the earliest the lower end of its row
    after the previous attempt (sessions taking no time): the bound a fleet pointed at a
    dead ACS must stay under.
    """
    if duration < 0:
        return 0
    attempts, t, n = 1, 0.0, 1
    while True:
        t += retry_wait_range(n, min_wait, multiplier)[0]
        if t > duration:
            return attempts
        attempts += 1
        n += 1


@dataclass
class RetryState:
    """Tracks failed session attempts: the Inform RetryCount and when to try again.

    ``next_attempt`` and ``failed_at`` are absolute times on the caller's clock.
    """

    min_wait: int = DEFAULT_MIN_WAIT
    multiplier: int = DEFAULT_MULTIPLIER
    retry_count: int = 0
    next_attempt: float | None = None
    rng: Uniform = field(default_factory=random.Random, repr=False)
    table_index: int = 0
    failed_at: float | None = None

    def __post_init__(self) -> None:
        _check(self.min_wait, self.multiplier)

    def on_failure(self, now: float) -> float:
        """A session failed at ``now``; returns the time of the next attempt."""
        self.retry_count += 1
        self.table_index += 1
        self.failed_at = now
        self.next_attempt = now + retry_wait(
            self.table_index, self.min_wait, self.multiplier, self.rng
        )
        return self.next_attempt

    def on_success(self) -> None:
        """The session completed successfully: RetryCount 0, no wait."""
        self.retry_count = 0
        self.table_index = 0
        self.next_attempt = None
        self.failed_at = None

    def on_boot(self) -> None:
        """The device restarted: the wait table starts again from its first row (Table 3
        counts "post reboot" retries) and the pending wait is dropped, so the boot's Inform
        goes out at once. RetryCount is kept: the previous session still did not complete
        successfully."""
        self.table_index = 0
        self.next_attempt = None
        self.failed_at = None

    def earliest(self) -> float | None:
        """The earliest time any new event may start the retry (the row's lower end)."""
        if self.next_attempt is None or self.failed_at is None:
            return self.next_attempt
        lo = retry_wait_range(max(1, self.table_index), self.min_wait, self.multiplier)[0]
        return min(self.next_attempt, self.failed_at + lo)

    def on_new_event(self, now: float) -> float | None:
        """A new event that needs a session occurred at ``now`` during the wait: retry
        "when a new event occurs, whichever comes first" (§3.2.1.1), but not before the
        lower end of the current row. Returns the (possibly earlier) next attempt."""
        if self.next_attempt is None:
            return None
        floor = self.earliest()
        assert floor is not None
        self.next_attempt = max(floor, min(self.next_attempt, now))
        return self.next_attempt

    def configure(self, min_wait: int, multiplier: int) -> None:
        """New values of the two ManagementServer parameters (validated)."""
        _check(min_wait, multiplier)
        self.min_wait, self.multiplier = min_wait, multiplier

    def to_dict(self) -> dict[str, object]:
        return {
            "min_wait": self.min_wait,
            "multiplier": self.multiplier,
            "retry_count": self.retry_count,
            "next_attempt": self.next_attempt,
            "table_index": self.table_index,
            "failed_at": self.failed_at,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object], rng: Uniform | None = None) -> RetryState:
        def number(key: str, default: int) -> int:
            value = data.get(key, default)
            return int(value) if isinstance(value, int | float | str) else default

        def moment(key: str) -> float | None:
            value = data.get(key)
            return float(value) if isinstance(value, int | float) else None

        st = cls(
            number("min_wait", DEFAULT_MIN_WAIT),
            number("multiplier", DEFAULT_MULTIPLIER),
            number("retry_count", 0),
            moment("next_attempt"),
        )
        st.table_index = number("table_index", st.retry_count)
        st.failed_at = moment("failed_at")
        if rng is not None:
            st.rng = rng
        return st
