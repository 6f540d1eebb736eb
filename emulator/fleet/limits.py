"""Open-file budget of a fleet worker: count what it needs, raise the soft limit, or say why not.

Open files are the first wall a fleet hits (DESIGN §6): a process may be capped at 20,000
descriptors. What a worker holds:

* for SNMP, one UDP socket for the whole worker (``wildcard``: ``IP_PKTINFO`` names the
  device and sets the answer's source) or one per device (``per-address``, or port blocks);
* TCP listeners: with ``wildcard`` listening one socket per face for the whole worker; with
  ``per-address`` listening (or port blocks) one per face *per device*;
* one TCP connection per device while its TR-069 session runs, plus the client connections
  faces are serving. Sessions wait for one of the worker's ``max_sessions`` slots before they
  connect, and the worker's pool keeps at most ``POOL_IDLE`` idle ACS connections, so with
  the gate on at most ``max_sessions + POOL_IDLE`` connections are open even in a reboot
  storm; without it (``max_sessions=0``) every device may be in a session at once;
* a fixed reserve for the event loop, log files, pipes and the interpreter itself.
"""

from __future__ import annotations

import resource
from dataclasses import dataclass

RESERVE = 256  # event loop, pipes, log files, imported modules' files, a few clients
#: Idle keep-alive ACS connections a worker's pool keeps (cwmp_cpe.http.AcsConnectionPool).
POOL_IDLE = 512


class FleetLimitError(RuntimeError):
    """The system does not allow the descriptors the fleet needs; the message says what to do."""


@dataclass(frozen=True)
class DescriptorBudget:
    """How many descriptors one worker needs, and why."""

    devices: int
    snmp: int
    listeners: int
    sessions: int
    reserve: int = RESERVE

    @property
    def total(self) -> int:
        return self.snmp + self.listeners + self.sessions + self.reserve

    def explain(self) -> str:
        return (
            f"{self.total} descriptors for {self.devices} devices: {self.snmp} SNMP sockets, "
            f"{self.listeners} TCP listeners, {self.sessions} concurrent TR-069 sessions, "
            f"{self.reserve} reserve"
        )


def budget(
    devices: int,
    *,
    tcp_faces: int,
    per_address: bool,
    snmp: bool = True,
    tr069: bool = True,
    snmp_per_address: bool = True,
    max_sessions: int = 0,
) -> DescriptorBudget:
    """The descriptors a worker serving ``devices`` needs (sessions: every device at once,
    or, when ``max_sessions`` gates them, the slots plus the pool's idle connections)."""
    sessions = devices if max_sessions <= 0 else min(devices, max_sessions + POOL_IDLE)
    return DescriptorBudget(
        devices=devices,
        snmp=(devices if snmp_per_address else 1) if snmp else 0,
        listeners=tcp_faces * (devices if per_address else 1),
        sessions=sessions if tr069 else 0,
    )


def current() -> tuple[int, int]:
    """(soft, hard) RLIMIT_NOFILE of this process."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft, hard


def fits(need: int) -> bool:
    """Whether ``need`` descriptors are possible without privileges (soft can go up to hard)."""
    _, hard = current()
    return hard == resource.RLIM_INFINITY or need <= hard


def ensure(need: DescriptorBudget) -> int:
    """Raise the soft limit to at least ``need.total``; returns the new soft limit.

    Raises :class:`FleetLimitError` naming the numbers when the hard limit is lower."""
    soft, hard = current()
    want = need.total
    if soft != resource.RLIM_INFINITY and soft >= want:
        return soft
    if hard != resource.RLIM_INFINITY and hard < want:
        raise FleetLimitError(
            f"open-file limit too low: this worker needs {need.explain()}, but the hard "
            f"limit (ulimit -Hn) is {hard}. Use more workers (--workers), fewer devices, "
            "wildcard listening (--listen wildcard --snmp-sockets wildcard), or raise the hard limit "
            "(/etc/security/limits.conf, systemd LimitNOFILE=, docker --ulimit nofile=)."
        )
    target = want if hard == resource.RLIM_INFINITY else max(want, min(hard, want * 2))
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError) as exc:
        raise FleetLimitError(
            f"cannot raise the open-file limit to {target} (hard {hard}): {exc}"
        ) from None
    return target
