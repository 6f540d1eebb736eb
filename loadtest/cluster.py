"""The driver of a cluster fleet: start every host agent, poll each every second, merge.

The driver knows agents only through :class:`AgentLink` (``call(method, *args, timeout)``), so
the same loop drives Ray actors (``loadtest.ray_engine.RayAgentLink``) and the tests' plain
in-process agents. Each poll returns what a host recorded since the last one: HDR histograms
per second and per kind, which :meth:`Recorder.merge_wire` adds to the run's recorder, so the
JSON, plots and summary table are the ones the single-machine ``load`` writes.

Failures never hang the run: every call has a timeout; an agent that is lost (its node died,
its actor died for good, or it did not answer in time) stops the run with one line naming the
host; an agent that Ray restarted (a new incarnation that answers "not running") is given its
plan again, and its shard restarts from the state files its workers wrote.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from printbench.loadtest.cluster_plan import HostPlan
from printbench.loadtest.recorder import Recorder

log = logging.getLogger(__name__)

TOTAL_KEYS = ("sessions_ok", "sessions_failed", "in_session", "queued_events", "busy",
              "snmp_requests", "snmp_unknown_address", "rss_kb")  # fmt: skip


class ClusterError(RuntimeError):
    """The cluster run cannot go on; the message is one line for the user."""


class AgentLost(Exception):
    """An agent that will not answer again (its node or actor is gone, or it timed out)."""


class AgentUnavailable(Exception):
    """An agent that is being restarted (it may answer again)."""


class AgentLink(Protocol):
    """How the driver reaches one host agent."""

    async def call(self, method: str, *args: Any, timeout: float) -> Any: ...


@dataclass
class HostState:
    plan: HostPlan
    link: AgentLink
    incarnation: str = ""
    totals: dict[str, Any] = field(default_factory=dict)
    restarts: int = 0
    polls: int = 0
    unavailable_since: float | None = None
    started: dict[str, Any] = field(default_factory=dict)


class ClusterDriver:
    """Start, poll, merge, stop: one driver for any number of hosts."""

    def __init__(self, links: list[AgentLink], plans: list[HostPlan], config: dict[str, Any],
                 *, poll_timeout: float = 10.0, start_timeout: float = 900.0,
                 restart_wait: float = 60.0, max_restarts: int = 3) -> None:  # fmt: skip
        self.hosts = [HostState(p, link) for p, link in zip(plans, links, strict=True)]
        self.config = config
        self.poll_timeout = poll_timeout
        self.start_timeout = start_timeout
        self.restart_wait = restart_wait
        self.max_restarts = max_restarts
        self.rec = Recorder()
        self.raw: list[list[Any]] = []  # test mode: every session's (kind, duration, inform)
        self.rounds = 0
        self.on_event: Callable[[str], None] = lambda line: log.warning("%s", line)

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Check every host's plan, then start every host's share at once; the first host
        that cannot start stops the run (the others are stopped)."""
        await self.check()
        replies = await asyncio.gather(*(self._start(h) for h in self.hosts),
                                       return_exceptions=True)  # fmt: skip
        problems = [r for r in replies if isinstance(r, BaseException)]
        if problems:
            await self.stop()
            first = problems[0]
            raise first if isinstance(first, ClusterError) else ClusterError(str(first))

    async def check(self) -> None:
        """Every host checks its plan (an unrouted prefix: one line) before any starts."""

        async def one(h: HostState) -> str | None:
            try:
                return await h.link.call("check", asdict(h.plan), timeout=self.poll_timeout * 3)
            except (AgentLost, AgentUnavailable) as exc:
                return f"{self._name(h)}: agent not reachable: {exc}"

        problems = [p for p in await asyncio.gather(*(one(h) for h in self.hosts)) if p]
        if problems:
            raise ClusterError(problems[0])

    async def _start(self, h: HostState) -> None:
        try:
            reply = await h.link.call("start", asdict(h.plan), self.config,
                                      timeout=self.start_timeout)  # fmt: skip
        except (AgentLost, AgentUnavailable) as exc:
            raise ClusterError(f"{self._name(h)}: lost while starting: {exc}") from None
        if not isinstance(reply, dict) or reply.get("error"):
            raise ClusterError(str(reply.get("error") if isinstance(reply, dict) else reply))
        h.incarnation = str(reply.get("incarnation", ""))
        h.started = reply

    async def stop(self) -> None:
        """Stop every agent that still answers, merging what each recorded last."""

        async def one(h: HostState) -> None:
            try:
                reply = await h.link.call("stop", timeout=max(self.poll_timeout, 150.0))
            except (AgentLost, AgentUnavailable, TimeoutError) as exc:
                log.warning("%s: not stopped cleanly: %s", self._name(h), exc)
                return
            if isinstance(reply, dict) and reply.get("delta"):
                self._merge(reply["delta"])

        await asyncio.gather(*(one(h) for h in self.hosts))

    # -- polling ------------------------------------------------------------------------------

    def _name(self, h: HostState) -> str:
        return f"host {h.plan.index} {h.plan.node_address} (node {h.plan.node_id[:12]})"

    def _merge(self, delta: dict[str, Any]) -> None:
        self.rec.merge_wire(delta)
        for host, end in delta.get("cr_ends", []):
            self.rec.session_done(str(host), float(end))
        self.raw.extend(delta.get("raw", []))

    async def poll_once(self) -> None:
        """Poll every host at once; merge; restart the plans of restarted agents."""
        await asyncio.gather(*(self._poll(h) for h in self.hosts))
        self.rounds += 1

    async def _poll(self, h: HostState) -> None:
        try:
            reply = await h.link.call("poll", timeout=self.poll_timeout)
        except AgentUnavailable as exc:
            now = time.monotonic()
            h.unavailable_since = h.unavailable_since or now
            if now - h.unavailable_since > self.restart_wait:
                raise ClusterError(f"{self._name(h)} lost: not back {self.restart_wait:.0f} s "
                                   f"after it went away ({exc})") from None  # fmt: skip
            return
        except AgentLost as exc:
            raise ClusterError(f"{self._name(h)} lost: {exc}; run stopped") from None
        h.unavailable_since = None
        h.polls += 1
        if not reply.get("running"):
            await self._restart(h, reply)
            return
        h.totals = reply.get("totals", {})
        self._merge(reply.get("delta", {}))

    async def _restart(self, h: HostState, reply: dict[str, Any]) -> None:
        if h.restarts >= self.max_restarts:
            raise ClusterError(f"{self._name(h)}: agent restarted {h.restarts} times; given up")
        h.restarts += 1
        self.on_event(f"{self._name(h)}: agent restarted (incarnation "
                      f"{reply.get('incarnation')}); starting its printers from their state files")  # fmt: skip
        await self._start(h)

    async def command(self, cmd: str, args: dict[str, Any] | None = None) -> list[Any]:
        """Send a fleet command (``reboot-storm``) to every host at once."""
        async def one(h: HostState) -> Any:
            try:
                return await h.link.call("command", cmd, args or {}, timeout=self.poll_timeout * 6)
            except (AgentLost, AgentUnavailable) as exc:
                raise ClusterError(f"{self._name(h)} lost: {exc}; run stopped") from None

        return list(await asyncio.gather(*(one(h) for h in self.hosts)))

    async def inventory(self, limit_per_host: int = 0) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for h in self.hosts:
            try:
                out.extend(await h.link.call("inventory", limit_per_host,
                                             timeout=self.poll_timeout * 6))  # fmt: skip
            except (AgentLost, AgentUnavailable) as exc:
                raise ClusterError(f"{self._name(h)} lost: {exc}; run stopped") from None
        return out

    async def run(self, seconds: float, stop: asyncio.Event | None = None,
                  every: Callable[[], Any] | None = None) -> None:  # fmt: skip
        """Poll every second for ``seconds`` (or until ``stop``), calling ``every`` each round."""
        stop = stop or asyncio.Event()
        deadline = time.monotonic() + seconds
        while not stop.is_set() and time.monotonic() < deadline:
            t = time.monotonic()
            await self.poll_once()
            if every is not None:
                r = every()
                if asyncio.iscoroutine(r):
                    await r
            wait = max(0.0, 1.0 - (time.monotonic() - t))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), min(wait, max(0.0, deadline - time.monotonic())))

    # -- views --------------------------------------------------------------------------------

    def totals(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: sum(int(h.totals.get(k, 0)) for h in self.hosts)
                               for k in TOTAL_KEYS}  # fmt: skip
        faces: dict[str, int] = {}
        for h in self.hosts:
            for k, v in (h.totals.get("face_requests") or {}).items():
                faces[k] = faces.get(k, 0) + int(v)
        out["face_requests"] = faces
        out["devices"] = sum(h.plan.count for h in self.hosts)
        out["hosts"] = len(self.hosts)
        out["workers"] = sum(int(h.started.get("workers", 0)) for h in self.hosts)
        out["agent_restarts"] = sum(h.restarts for h in self.hosts)
        out["restarts"] = sum(int(h.totals.get("restarts", 0)) for h in self.hosts)
        return out
