"""One host's share of a cluster fleet: the existing supervisor, reported to a driver.

:class:`HostAgentCore` is what the Ray actor ``HostAgent`` (``loadtest.ray_engine``) is made
of, kept free of Ray so that the driver can be tested against plain in-process agents. It runs
the fleet supervisor (``emulator.fleet.workers.Supervisor``: worker processes, SO_REUSEPORT
steering, worker restarts, state files) for the devices of its :class:`HostPlan`, records the
sessions its workers report in a :class:`~loadtest.recorder.Recorder` and hands the driver,
on each poll, what was recorded since the last one (HDR histograms per second and kind, in
their compressed encoding), plus the supervisor's totals.

A Ray async actor runs its event loop in a thread that is not the main thread, so nothing here
installs signal handlers: the driver stops the agent with :meth:`stop`. Worker processes stop
and write their state files when their stdin closes, which also happens when the agent's
process dies, so a restarted agent finds its printers' state (event queues, pending
TransferComplete) and its shard sends the ``1 BOOT``/``M Reboot`` or ``7 TRANSFER COMPLETE``
it owes.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import time
import uuid
from pathlib import Path
from typing import Any

from printbench.emulator.device import Ports
from printbench.emulator.fleet.fleet import FleetError
from printbench.loadtest.cluster_plan import HostPlan
from printbench.loadtest.recorder import Recorder, kind_of

log = logging.getLogger(__name__)


def check_routed(plan: HostPlan) -> str | None:
    """One line when the plan's addresses are not local to this host (unrouted prefix)."""
    lay = plan.layout()
    for addr in dict.fromkeys((lay.host(0), lay.host(plan.count - 1))):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind((addr, 0))
        except OSError as exc:
            prefix = plan.network or f"{addr}/32"
            if exc.errno == errno.EADDRNOTAVAIL:
                return (f"host {plan.index} {plan.node_address}: {addr} is not routed to this "
                        f"host; bind the prefix with `ip route add local {prefix} dev lo`")  # fmt: skip
            return f"host {plan.index} {plan.node_address}: cannot bind {addr}: {exc}"
        finally:
            sock.close()
    return None


class HostAgentCore:
    """The fleet supervisor of one host, driven by polls (no signal handlers, no prints)."""

    def __init__(self, *, keep_raw: bool = False) -> None:
        #: Test mode: also return every session's raw duration so percentiles can be checked.
        self.keep_raw = keep_raw
        self.incarnation = uuid.uuid4().hex[:12]  # a restarted agent is a new incarnation
        self.sup: Any = None
        self.plan: HostPlan | None = None
        self.pending = Recorder()
        self.raw: list[list[Any]] = []
        self.cr_ends: list[list[Any]] = []
        self.storm_at: float | None = None
        self.startup_s = 0.0

    # -- lifecycle ----------------------------------------------------------------------------

    async def check(self, plan: dict[str, Any]) -> str | None:
        """Whether this host can serve the plan (its addresses are local): the driver asks
        every host before any starts, so a wrong plan costs one line and nothing else."""
        return check_routed(HostPlan(**plan))

    async def start(self, plan: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        """Start this host's share; ``{"error": line}`` instead of an exception for the user."""
        from printbench.emulator.fleet.workers import Supervisor, SupervisorConfig

        p = HostPlan(**plan)
        self.plan = p
        problem = check_routed(p)
        if problem:
            return {"error": problem}
        lay = p.layout()
        ports = config.get("ports")
        if ports:
            from dataclasses import replace

            lay = replace(lay, ports=Ports(**ports))
        state_root = config.get("state_dir")
        cfg = SupervisorConfig(
            devices=p.count, workers=int(config.get("workers") or p.cpus), layout=lay,
            mix=tuple((str(n), float(w)) for n, w in config.get("mix", [["mono-desktop-laser", 1]])),
            faces=tuple(config.get("faces", ("snmp", "ipp", "ews", "control", "cwmp"))),
            acs_url=config.get("acs_url"), listen=config.get("listen", "auto"),
            snmp_sockets=config.get("snmp_sockets", "auto"),
            bind_host=config.get("bind_host", "0.0.0.0"), seed=p.seed,
            state_dir=Path(state_root) / f"host-{p.index}" if state_root else None,
            periodic_interval=config.get("periodic_interval"),
            jitter=bool(config.get("jitter", True)), ramp=float(config.get("ramp", 0.0)),
            api_port=-1, http_timeout=float(config.get("http_timeout", 30.0)),
        )  # fmt: skip
        sup = Supervisor(cfg)
        sup.on_samples = self._samples
        t0 = time.monotonic()
        try:
            await sup.start()
        except (FleetError, OSError, ValueError) as exc:
            return {"error": f"host {p.index} {p.node_address}: {exc}"}
        self.sup = sup
        self.startup_s = time.monotonic() - t0
        return {"started": True, "incarnation": self.incarnation, "pid": os.getpid(),
                "startup_s": round(self.startup_s, 2), "listen": sup.listen_mode,
                "workers": len(sup.workers)}  # fmt: skip

    async def stop(self) -> dict[str, Any]:
        if self.sup is not None:
            await self.sup.stop()
            self.sup = None
        return {"stopped": True, "delta": self._drain()}

    # -- what the driver asks -----------------------------------------------------------------

    def _samples(self, worker: int, samples: list[list[Any]]) -> None:
        self.pending.add(worker, samples)
        for end, dur, inform, ok, _retry, events, host in samples:
            if not ok:
                continue
            kind = kind_of(events)
            if kind == "cr":
                self.cr_ends.append([host, end])
            if self.keep_raw:
                self.raw.append([kind, dur, inform])

    def _drain(self) -> dict[str, Any]:
        wire = self.pending.to_wire()
        self.pending = Recorder()
        self.pending.storm_at = self.storm_at
        wire["cr_ends"], self.cr_ends = self.cr_ends, []
        if self.keep_raw:
            wire["raw"], self.raw = self.raw, []
        return wire

    async def poll(self) -> dict[str, Any]:
        """What was recorded since the last poll, and the supervisor's totals."""
        if self.sup is None:
            return {"running": False, "incarnation": self.incarnation}
        return {"running": True, "incarnation": self.incarnation,
                "totals": self.sup.totals(), "delta": self._drain()}  # fmt: skip

    async def command(self, cmd: str, args: dict[str, Any] | None = None) -> list[Any]:
        if self.sup is None:
            return []
        if cmd == "reboot-storm":
            self.storm_at = float((args or {}).get("at", time.time()))
            self.pending.mark_storm(self.storm_at)
            return await self.sup.command("reboot-storm")
        return await self.sup.command(cmd, **(args or {}))

    async def inventory(self, limit: int = 0) -> list[dict[str, Any]]:
        if self.sup is None:
            return []
        records = self.sup.inventory()
        records = records if limit <= 0 else records[:limit]
        first = self.plan.first if self.plan is not None else 0
        host = self.plan.index if self.plan is not None else 0
        # Fleet-wide index (the supervisor counts from 0 on every host) and the host.
        return [{**r, "index": int(r.get("index", 0)) + first, "host": host} for r in records]

    async def state_files(self) -> list[str]:
        """The state files of this host's workers (they survive an agent's death)."""
        if self.sup is None or self.sup.config.state_dir is None:
            return []
        return sorted(str(p) for p in Path(self.sup.config.state_dir).glob("worker-*.json"))
