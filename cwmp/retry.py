"""Session retry waits (TR-069 3.2.1.1, Table 3) and the Inform RetryCount.

After a failed session the CPE waits a random time in ``[m·k^(n-1), m·k^n]`` seconds before
retry ``n`` (1 for the first retry), with ``n`` capped at 10, where ``m`` is
``ManagementServer.CWMPRetryMinimumWaitInterval`` (default 5, 1..65535) and ``k`` is
``CWMPRetryIntervalMultiplier``/1000 (default 2000, 1000..65535). With the defaults this gives
the well-known table 5-10, 10-20, ..., 2560-5120 s. Randomness spreads a fleet's retries so an
ACS coming back is not hit by every CPE at once; the RNG is injected for tests.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Protocol

DEFAULT_MIN_WAIT = 5
DEFAULT_MULTIPLIER = 2000
MAX_EXPONENT = 10


class Uniform(Protocol):
    def uniform(self, a: float, b: float) -> float: ...


def _check(min_wait: int, multiplier: int) -> None:
    if not 1 <= min_wait <= 65535:
        raise ValueError(f"CWMPRetryMinimumWaitInterval {min_wait} is outside 1..65535")
    if not 1000 <= multiplier <= 65535:
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


@dataclass
class RetryState:
    """Tracks failed session attempts: the Inform RetryCount and when to try again.

    ``retry_count`` is what the next Inform reports: 0 for a first attempt, n after n
    consecutive failures. It goes back to 0 once an Inform is answered (a successful
    session, in the QA Cafe reading of TR-069). ``next_attempt`` is an absolute time on the
    caller's clock; a new event may still trigger an earlier attempt (TR-069 allows it).
    """

    min_wait: int = DEFAULT_MIN_WAIT
    multiplier: int = DEFAULT_MULTIPLIER
    retry_count: int = 0
    next_attempt: float | None = None
    rng: Uniform = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        _check(self.min_wait, self.multiplier)

    def on_failure(self, now: float) -> float:
        """A session failed at ``now``; returns the time of the next attempt."""
        self.retry_count += 1
        self.next_attempt = now + retry_wait(
            self.retry_count, self.min_wait, self.multiplier, self.rng
        )
        return self.next_attempt

    def on_success(self) -> None:
        self.retry_count = 0
        self.next_attempt = None

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
        }

    @classmethod
    def from_dict(cls, data: dict[str, object], rng: Uniform | None = None) -> RetryState:
        st = cls(
            int(data.get("min_wait", DEFAULT_MIN_WAIT)),  # type: ignore[arg-type]
            int(data.get("multiplier", DEFAULT_MULTIPLIER)),  # type: ignore[arg-type]
            int(data.get("retry_count", 0)),  # type: ignore[arg-type]
            data.get("next_attempt"),  # type: ignore[arg-type]
        )
        if rng is not None:
            st.rng = rng
        return st
