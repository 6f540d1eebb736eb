"""Printing activity over time for a fleet: jobs, supplies running down, faults, operators.

One task per worker drives every device of its fleet (no task per device). Each second it
draws, from Poisson distributions with the configured rates:

* print jobs (``jobs_per_hour`` per device, 1-``max_pages`` pages): they take paper and
  toner, advance counters and, over hours, empty supplies and trays the way real use does;
* faults (``faults_per_hour`` per device: paper jam, open cover, offline), each cleared by
  "someone" after a random 30 s to ``fault_minutes`` minutes;
* the operator: a printer out of paper gets paper, one out of toner a new cartridge, after
  ``service_minutes`` on average (otherwise a long run ends with every printer stopped).

``speed`` multiplies every rate, so a test or a demo sees a day's activity in minutes.
Everything goes through the behaviour engine's public API, like the control API would.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import partial
from typing import Any

from printbench.emulator.behaviour import EngineError

log = logging.getLogger(__name__)

FAULT_KINDS = ("jam", "cover_open", "offline")


@dataclass
class ActivityConfig:
    enabled: bool = True
    jobs_per_hour: float = 4.0
    max_pages: int = 20
    faults_per_hour: float = 0.05
    fault_minutes: float = 10.0
    service_minutes: float = 20.0
    speed: float = 1.0
    step: float = 1.0  # seconds between draws


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (normal approximation for large means)."""
    if mean <= 0:
        return 0
    if mean > 50:
        return max(0, round(rng.gauss(mean, mean**0.5)))
    n, p, limit = 0, 1.0, pow(2.718281828459045, -mean)
    while True:
        p *= rng.random()
        if p <= limit:
            return n
        n += 1


class Activity:
    """Drives the devices of one :class:`~emulator.fleet.fleet.Fleet`."""

    def __init__(self, fleet: Any, config: ActivityConfig | None = None, *,
                 rng: random.Random | None = None) -> None:  # fmt: skip
        self.fleet = fleet
        self.config = config or ActivityConfig()
        self.rng = rng or random.Random(fleet.config.seed * 31 + fleet.config.worker)
        self.jobs = 0
        self.faults = 0
        self.services = 0
        self._due: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._task: asyncio.Task[None] | None = None
        self._now = 0.0
        if self.config.enabled:
            self.start()

    def configure(self, **changes: Any) -> None:
        known = {f.name for f in fields(ActivityConfig)}
        unknown = set(changes) - known
        if unknown:
            raise ValueError(f"unknown activity setting(s): {', '.join(sorted(unknown))}")
        for k, v in changes.items():
            setattr(self.config, k, type(getattr(self.config, k))(v))
        if self.config.enabled:
            self.start()

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="fleet activity")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while self.config.enabled:
            await asyncio.sleep(self.config.step)
            try:
                self.step(self.config.step)
            except Exception:
                log.exception("fleet activity step failed")

    def step(self, seconds: float) -> None:
        """Advance the activity by ``seconds`` (of real time; ``speed`` scales the rates)."""
        c = self.config
        devices = self.fleet.devices
        if not devices:
            return
        self._now += seconds
        hours = seconds * c.speed / 3600.0
        rng = self.rng
        for _ in range(_poisson(rng, len(devices) * c.jobs_per_hour * hours)):
            self._job(rng.choice(devices))
        for _ in range(_poisson(rng, len(devices) * c.faults_per_hour * hours)):
            self._fault(rng.choice(devices))
        while self._due and self._due[0][0] <= self._now:
            _, _, action = heapq.heappop(self._due)
            with contextlib.suppress(EngineError):
                action()
        # The operator looks at a few printers each step (every device about once a minute).
        for device in rng.sample(devices, min(len(devices), max(1, len(devices) // 60))):
            self._service(device)

    def _later(self, minutes_mean: float, action: Callable[[], None]) -> None:
        delay = max(30.0, self.rng.expovariate(1.0 / max(minutes_mean * 60.0, 1.0)))
        delay /= max(self.config.speed, 1e-9)
        heapq.heappush(self._due, (self._now + delay, next(self._seq), action))

    def _job(self, device: Any) -> None:
        if not device.state.status.powered:
            return
        try:
            device.engine.submit_job(pages=self.rng.randint(1, max(1, self.config.max_pages)),
                                     name="fleet activity", user="fleet")  # fmt: skip
            self.jobs += 1
        except EngineError:
            pass  # the printer refuses jobs now (offline, not accepting): as a real one would

    def _fault(self, device: Any) -> None:
        kind = self.rng.choice(FAULT_KINDS)
        engine = device.engine
        try:
            engine.inject(kind)
        except EngineError:
            return
        self.faults += 1
        self._later(self.config.fault_minutes / 2, lambda: engine.clear(kind))

    def _service(self, device: Any) -> None:
        s = device.state
        engine = device.engine
        for supply in s.supplies:
            if supply.level == 0 and supply.max_capacity > 0:
                self.services += 1
                self._later(self.config.service_minutes, partial(engine.refill, supply.index))
                return
        for tray in s.input_trays:
            if tray.level == 0 and tray.capacity > 0:
                self.services += 1
                self._later(self.config.service_minutes, partial(engine.load_paper, tray.index))
                return
        for out in s.output_trays:
            if out.remaining_capacity == 0:
                self._later(
                    self.config.service_minutes / 4, partial(engine.empty_output, out.index)
                )
                return
