"""Heartbeat: ``14 HEARTBEAT`` sessions on their own schedule (TR-069 Amd 6 Annex O).

A feature module (``cwmp_cpe.extensions``) driven by ``ManagementServer.HeartbeatPolicy.``
in the device's tree, read afresh on every pass of the loop so an ACS's
SetParameterValues takes effect at once. What each rule rests on:

- TR-181 2.12+ ``HeartbeatPolicy.ReportingInterval`` (seconds, minInclusive 30): "the
  interval for which the CPE MUST attempt to connect with the ACS and call the Inform
  method if Enable is true".
- ``HeartbeatPolicy.InitiationTime``: "Each Inform call MUST occur at this reference time
  plus or minus an integer multiple of the ReportingInterval" (a time in the future sets the
  phase too); the Unknown Time "indicates that no particular time reference is specified.
  The CPE MUST locally choose a random time reference" (so does a CPE without absolute time).
- ``HeartbeatPolicy``: "If this object is supported then the CPE MUST support the
  requirements of TR-069 Annex O". The Annex O text itself was not available (searched: the
  docs, pages, issues and code corpora); what follows from it here is therefore built as the
  ACS vendors' CPEs do it, not as a quoted MUST: the heartbeat Inform carries the
  ``14 HEARTBEAT`` event alone, in a session of its own (icwmp's ``heartbeat.c`` builds a
  separate session with only that event), beside the periodic informs, and a failed
  heartbeat session is retried after the TR-069 §3.2.1.1 wait until it gets through or the
  device reboots (``cwmp.events`` policy of 14: retried, dropped by a reboot; icwmp retries
  it too). A heartbeat that comes due while one is still pending is not queued twice
  (the event is Single).

Quirks (``cwmp_cpe.config.QUIRKS``): ``heartbeat-ignores-phase`` counts the interval from
when the policy was set, ignoring InitiationTime; ``heartbeat-combined`` queues
``14 HEARTBEAT`` with the other events instead of a session of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from printbench.cwmp import messages as m
from printbench.cwmp import params as P
from printbench.cwmp.events import Event
from printbench.cwmp_cpe.config import version_plan
from printbench.cwmp_cpe.scheduler import PeriodicSchedule
from printbench.cwmp_cpe.settings import _bool, _get, _int, _time

if TYPE_CHECKING:
    from printbench.cwmp_cpe.runtime import Cpe

EVENT = "14 HEARTBEAT"
#: TR-181 HeartbeatPolicy.ReportingInterval: minInclusive 30 (its default, too).
MIN_INTERVAL = 30


@dataclass(frozen=True)
class HeartbeatPolicy:
    """``ManagementServer.HeartbeatPolicy.`` as read from the tree."""

    enable: bool = False
    interval: int = MIN_INTERVAL
    initiation: datetime | None = None  # None: the Unknown Time (no phase given)


def read_policy(tree: P.ParameterTree, root: str = "Device.") -> HeartbeatPolicy:
    """The policy (a model without the object reads as disabled)."""
    p = f"{root}ManagementServer.HeartbeatPolicy."
    enable = _bool(_get(tree, p + "Enable"), False)
    if not enable:
        return HeartbeatPolicy()
    interval = _int(_get(tree, p + "ReportingInterval"), MIN_INTERVAL)
    return HeartbeatPolicy(
        enable=True,
        interval=max(MIN_INTERVAL, interval),
        initiation=_time(_get(tree, p + "InitiationTime")),
    )


class Heartbeat:
    """The heartbeat schedule of one Cpe and its sessions."""

    name = "heartbeat"

    def __init__(self, cpe: Cpe) -> None:
        self.cpe = cpe
        self.schedule = PeriodicSchedule()
        #: A heartbeat came due and its Inform has not been answered yet.
        self.pending = False
        self.sent = 0  # heartbeat Informs answered (for the bench)
        self._random_key: tuple[bool, int] | None = None
        self._random_phase: datetime | None = None
        cpe.add_timer(self)
        cpe.add_own_session(self)
        cpe.on_boot(self._on_boot)

    def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    def _on_boot(self) -> None:
        # A reboot drops an undelivered heartbeat (14 is "until reboot", cwmp.events) and
        # the schedule starts over from the policy.
        self.pending = False
        self.schedule.invalidate()

    def _phase(self, policy: HeartbeatPolicy, wall: datetime) -> datetime | None:
        """The reference time: InitiationTime, or a random one chosen locally (TR-181:
        the CPE MUST choose one when InitiationTime is the Unknown Time)."""
        if "heartbeat-ignores-phase" in self.cpe.quirks:
            return None  # the defect: the interval counts from now
        if policy.initiation is not None:
            return policy.initiation
        key = (policy.enable, policy.interval)
        if key != self._random_key or self._random_phase is None:
            self._random_key = key
            offset = self.cpe.rng.uniform(0, policy.interval)
            self._random_phase = wall - timedelta(seconds=offset)
        return self._random_phase

    # -- timer --------------------------------------------------------------------------------

    def due(self) -> float | None:
        return self.schedule.next

    def expressible(self) -> bool:
        """Whether the sessions this CPE runs can carry ``14 HEARTBEAT``: cwmp-1-0.xsd lists
        its EventCodes one by one (up to 9 REQUEST DOWNLOAD), so a CPE capped at CWMP 1.0
        has no schema-valid heartbeat Inform; cwmp-1-1 and later allow any ``\\d+( \\S+)+``."""
        return version_plan(self.cpe.version_cap, self.cpe.quirks).namespace != m.CWMP_1_0

    def fire(self, now: float) -> None:
        cpe = self.cpe
        policy = read_policy(cpe.tree, cpe.config.root)
        if policy.enable and not self.expressible():
            policy = HeartbeatPolicy()
        wall = cpe.clock.now()
        phase = self._phase(policy, wall) if policy.enable else None
        if not self.schedule.tick(now, wall, policy.enable, policy.interval, phase):
            return
        if "heartbeat-combined" in cpe.quirks:
            cpe.queue.add(EVENT)  # the defect: merged into the ordinary Inform
        else:
            self.pending = True
        cpe.note_new_event()

    # -- the session of its own ---------------------------------------------------------------

    def wanted(self) -> bool:
        return self.pending

    def inform_events(self) -> list[Event]:
        return [Event(EVENT)]

    def accepted(self) -> None:
        self.pending = False
        self.sent += 1
        self.cpe.emit("heartbeat", self.sent)

    def failed(self) -> None:
        pass  # stays pending: retried after the retry wait (see the module docstring)
