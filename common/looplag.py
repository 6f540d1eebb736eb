"""How late the event loop runs a timer: the longest stall since the last read (issue 17).

A task sleeps ``interval`` seconds again and again and notes how much later than asked it
woke up; a callback that holds the loop (a long computation, a blocking call) shows up as
that lateness. Cheap enough to run in every fleet worker (one timer per ``interval``); the
worker reports :meth:`LoopLag.take` with its stats every second, and
``benchmarks/loop_stall.py`` reads it while a hostile client runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time


class LoopLag:
    """The longest lateness of a periodic timer, in seconds, since the last :meth:`take`."""

    def __init__(self, interval: float = 0.01) -> None:
        self.interval = interval
        self.longest = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="loop lag")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self.interval
            await asyncio.sleep(self.interval)
            late = loop.time() - due
            if late > self.longest:
                self.longest = late

    def take(self) -> float:
        """The longest lateness since the last call, and start over."""
        value, self.longest = self.longest, 0.0
        return value


class GcPauses:
    """The longest garbage-collector pause (seconds) since the last :meth:`take`: a
    collection of the oldest generation walks every object of the process, and a fleet
    worker holds millions (hundreds of printers' states, MIB tables, the data model)."""

    def __init__(self) -> None:
        self.longest = 0.0
        self.collections = 0
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        pause = time.perf_counter() - self._started
        self.collections += 1
        if pause > self.longest:
            self.longest = pause

    def take(self) -> float:
        value, self.longest = self.longest, 0.0
        return value
