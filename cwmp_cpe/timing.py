"""Time for the CPE runtime: a clock (monotonic + wall) and a sleep function, both injected.

Why: TR-069 behaviour is mostly timing (periodic informs, retry waits, throttles, DelaySeconds,
ScheduleInform). The runtime never reads ``time`` or calls ``asyncio.sleep`` itself, so a test
can hand it a :class:`FakeTime` and run a day of periodic informs in milliseconds, while the
sessions themselves still run over real loopback HTTP.

:class:`FakeTime` is a *manual* clock: ``sleep`` blocks until a test moves time forward with
``advance``; ``advance`` jumps from one sleeper's deadline to the next and lets the system
settle (``settle`` callables, e.g. ``Cpe.idle``) between jumps, so every timer fires at its
exact instant and in order.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Monotonic seconds and timezone-aware UTC wall time (emulator.clock.Clock fits)."""

    def monotonic(self) -> float: ...

    def now(self) -> datetime: ...


Sleep = Callable[[float], Awaitable[None]]


class SystemTime:
    """The real clock and ``asyncio.sleep``."""

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class FakeTime:
    """A clock that moves only in :meth:`advance`; ``sleep`` waits for it."""

    def __init__(self, start: datetime | None = None, monotonic_start: float = 1000.0) -> None:
        self._wall = start or datetime(2026, 1, 1, tzinfo=UTC)
        self._mono = monotonic_start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def monotonic(self) -> float:
        return self._mono

    def now(self) -> datetime:
        return self._wall

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._mono + seconds, next(self._seq), fut))
        await fut

    def next_deadline(self) -> float | None:
        """When the earliest live sleeper wakes (None: nobody sleeps)."""
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)
        return self._sleepers[0][0] if self._sleepers else None

    def _jump(self, to: float) -> None:
        if to > self._mono:
            self._wall += timedelta(seconds=to - self._mono)
            self._mono = to
        while self._sleepers and self._sleepers[0][0] <= self._mono:
            _, _, fut = heapq.heappop(self._sleepers)
            if not fut.done():
                fut.set_result(None)

    async def advance(
        self, seconds: float, settle: Iterable[Callable[[], Awaitable[object]]] = ()
    ) -> None:
        """Move time forward by ``seconds``, firing every sleeper at its own deadline.

        Before each jump every ``settle()`` is awaited (e.g. ``cpe.idle``), so work a timer
        started (a session over loopback HTTP) finishes before time moves on.
        """
        if seconds < 0:
            raise ValueError(f"time cannot go backwards (advance by {seconds})")
        settlers = list(settle)
        target = self._mono + seconds

        async def settle_all() -> None:
            for _ in range(3):
                await asyncio.sleep(0)
            for s in settlers:
                await s()

        while True:
            await settle_all()
            deadline = self.next_deadline()
            if deadline is None or deadline > target:
                break
            self._jump(deadline)
        self._jump(target)
        await settle_all()
