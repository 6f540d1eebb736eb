"""``printbench load``: a fleet against an ACS, measured.

The run starts the built-in stub ACS in its own process (lean: no XSD checks, verdicts or
journal file, so the ACS measures as a server and not as a test oracle) unless ``--acs-url``
names another ACS, starts the fleet, and records every TR-069 session the workers report:
when it ended, how long it took, how long the Inform waited for its InformResponse, whether it
succeeded, its RetryCount and events. It also sends Connection Requests at a steady rate with
digest authentication (credentials from the fleet inventory) and times the HTTP answer and
the CR → session round trip, and can fire a reboot storm and time its drain (every device's
``1 BOOT`` session completed). Results: one JSON file and three PNG plots in ``reports/``, a
summary table on the terminal.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing as mp
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))]


@dataclass
class Recorder:
    """Every session sample of a run, with helpers for the figures."""

    t0: float = field(default_factory=time.time)
    samples: list[list[Any]] = field(default_factory=list)  # end, dur, inform, ok, retry, ev, host
    cr: list[dict[str, Any]] = field(default_factory=list)
    _cr_waiting: dict[str, list[float]] = field(default_factory=dict)

    def add(self, worker: int, samples: list[list[Any]]) -> None:
        for s in samples:
            self.samples.append(s)
            if "6 CONNECTION REQUEST" in s[5] and s[3]:
                sent = self._cr_waiting.get(s[6])
                if sent:
                    t = sent.pop(0)
                    i = self._cr_index(s[6], t)
                    if i >= 0:
                        self.cr[i]["session_end"] = s[0] - t

    def _cr_index(self, host: str, t: float) -> int:
        for i in range(len(self.cr) - 1, -1, -1):
            if self.cr[i]["host"] == host and self.cr[i]["sent"] == t:
                return i
        return -1

    def cr_sent(self, host: str, t: float, http_s: float | None, status: int | str) -> None:
        self.cr.append({"host": host, "sent": t, "http": http_s, "status": status})
        if status in (200, 204):
            self._cr_waiting.setdefault(host, []).append(t)

    def window(self, start: float, end: float, *, skip_boot: bool = False) -> list[list[Any]]:
        return [
            s for s in self.samples
            if start <= s[0] < end and not (skip_boot and "1 BOOT" in s[5])
        ]  # fmt: skip

    def summary(self, start: float, end: float, *, skip_boot: bool = False) -> dict[str, Any]:
        win = self.window(start, end, skip_boot=skip_boot)
        ok = [s for s in win if s[3]]
        durs = [s[1] for s in ok]
        informs = [s[2] for s in ok if s[2] is not None]
        span = max(end - start, 1e-9)
        ms = lambda v: None if v is None else round(v * 1000, 1)  # noqa: E731
        return {
            "seconds": round(span, 1),
            "sessions": len(ok),
            "failed": len(win) - len(ok),
            "sessions_per_s": round(len(ok) / span, 1),
            "retried": sum(1 for s in win if s[4] > 0),
            "max_retry_count": max((s[4] for s in win), default=0),
            "session_ms": {"p50": ms(_pct(durs, 0.5)), "p90": ms(_pct(durs, 0.9)),
                           "p99": ms(_pct(durs, 0.99)), "max": ms(max(durs, default=None))},
            "inform_ms": {"p50": ms(_pct(informs, 0.5)), "p90": ms(_pct(informs, 0.9)),
                          "p99": ms(_pct(informs, 0.99)), "max": ms(max(informs, default=None))},
        }  # fmt: skip

    def cr_summary(self) -> dict[str, Any]:
        http = [c["http"] for c in self.cr if c.get("http") is not None]
        rt = [c["session_end"] for c in self.cr if "session_end" in c]
        ms = lambda v: None if v is None else round(v * 1000, 1)  # noqa: E731
        return {
            "sent": len(self.cr),
            "accepted": sum(1 for c in self.cr if c["status"] in (200, 204)),
            "refused": sum(1 for c in self.cr if c["status"] not in (200, 204)),
            "http_ms": {"p50": ms(_pct(http, 0.5)), "p99": ms(_pct(http, 0.99))},
            "round_trip_ms": {"p50": ms(_pct(rt, 0.5)), "p99": ms(_pct(rt, 0.99)),
                              "completed": len(rt)},
        }  # fmt: skip

    def per_second(self) -> tuple[list[float], list[int], list[float | None], list[float | None]]:
        if not self.samples:
            return [], [], [], []
        first = int(self.t0)
        last = int(max(s[0] for s in self.samples)) + 1
        n = last - first
        counts = [0] * n
        lat: list[list[float]] = [[] for _ in range(n)]
        for s in self.samples:
            i = int(s[0]) - first
            if 0 <= i < n and s[3]:
                counts[i] += 1
                lat[i].append(s[1])
        xs = [float(i) for i in range(n)]
        return xs, counts, [_pct(v, 0.5) for v in lat], [_pct(v, 0.99) for v in lat]


def storm_drain(rec: Recorder, t_storm: float, devices: int) -> float | None:
    """Seconds from the storm until every device completed a ``1 BOOT`` session (or None).

    Only sessions that started after the storm count: a start-up session (also ``1 BOOT``)
    still running when the storm came is not the storm's."""
    hosts: set[str] = set()
    for s in sorted(rec.samples, key=lambda s: s[0]):
        if s[0] - s[1] >= t_storm and s[3] and "1 BOOT" in s[5]:
            hosts.add(s[6])
            if len(hosts) >= devices:
                return s[0] - t_storm
    return None


def plot(rec: Recorder, out: Path, title: str, marks: dict[str, float]) -> list[Path]:
    """sessions/s and latency over time, and the latency histogram (matplotlib PNGs)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs, counts, p50, p99 = rec.per_second()
    paths = []
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.plot(xs, counts, lw=1)
    ax.set_xlabel("seconds since start")
    ax.set_ylabel("sessions completed per second")
    ax.set_title(title)
    for name, t in marks.items():
        ax.axvline(t - int(rec.t0), color="red", ls="--", lw=1)
        ax.text(t - int(rec.t0), max(counts or [1]), name, color="red", va="top")
    fig.tight_layout()
    paths.append(out.with_name(out.name + "-sessions.png"))
    fig.savefig(paths[-1], dpi=100)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.plot(xs, [None if v is None else v * 1000 for v in p50], lw=1, label="p50")
    ax.plot(xs, [None if v is None else v * 1000 for v in p99], lw=1, label="p99")
    ax.set_xlabel("seconds since start")
    ax.set_ylabel("session latency (ms)")
    ax.set_yscale("log")
    ax.legend()
    ax.set_title(title)
    fig.tight_layout()
    paths.append(out.with_name(out.name + "-latency.png"))
    fig.savefig(paths[-1], dpi=100)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(9, 4))
    durs = [s[1] * 1000 for s in rec.samples if s[3]]
    informs = [s[2] * 1000 for s in rec.samples if s[3] and s[2] is not None]
    if durs:
        ax.hist(durs, bins=60, alpha=0.6, label="whole session")
        ax.hist(informs, bins=60, alpha=0.6, label="Inform → InformResponse")
        ax.set_yscale("log")
        ax.legend()
    ax.set_xlabel("ms")
    ax.set_ylabel("sessions")
    ax.set_title(title)
    fig.tight_layout()
    paths.append(out.with_name(out.name + "-histogram.png"))
    fig.savefig(paths[-1], dpi=100)
    plt.close(fig)
    return paths


# ---------------------------------------------------------------------------------------------
# the stub ACS in its own process
# ---------------------------------------------------------------------------------------------


#: Admission control of the built-in stub ACS: more sessions in progress than this and a new
#: one gets a quick 503 (the CPE retries after its session retry wait) rather than a queue
#: that outlasts the CPEs' HTTP timeout. The fleet's own per-worker slots (256) stay below it.
ACS_MAX_SESSIONS = 1024


def _acs_process(q: Any, host: str, lean: bool, journal_dir: str | None,
                 refuse_boot: int) -> None:  # fmt: skip
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)

    async def main() -> None:
        from printbench.acs_stub.control import AcsControl
        from printbench.acs_stub.server import AcsConfig

        config = AcsConfig(
            host=host, port=0, control_port=0, journal_file=not lean,
            xsd_checks=not lean, verdicts=not lean, journal_keep=0 if lean else 200_000,
            max_sessions=ACS_MAX_SESSIONS,
            journal_dir=Path(journal_dir) if journal_dir else None,
        )  # fmt: skip
        acs = await AcsControl.start(config)
        q.put((acs.server.cwmp_url, acs.server.control_url))
        await asyncio.Event().wait()

    asyncio.run(main())


class StubAcsProcess:
    """The stub ACS in a separate process (spawned), so it has a core of its own."""

    def __init__(self, host: str = "127.0.0.1", *, lean: bool = True,
                 journal_dir: Path | None = None) -> None:  # fmt: skip
        self.host = host
        self.lean = lean
        self.journal_dir = journal_dir
        self.proc: Any = None
        self.url = ""

    async def start(self) -> str:
        ctx = mp.get_context("spawn")
        q = ctx.Queue()
        self.proc = ctx.Process(
            target=_acs_process,
            args=(q, self.host, self.lean, str(self.journal_dir) if self.journal_dir else None, 0),
            daemon=True,
        )
        self.proc.start()
        loop = asyncio.get_running_loop()
        self.url, _ = await loop.run_in_executor(None, q.get, True, 60)
        return self.url

    async def stop(self) -> None:
        if self.proc is not None and self.proc.is_alive():
            self.proc.terminate()
            await asyncio.get_running_loop().run_in_executor(None, self.proc.join, 10)


# ---------------------------------------------------------------------------------------------
# connection requests from the load driver
# ---------------------------------------------------------------------------------------------


async def cr_driver(rec: Recorder, inventory: list[dict[str, Any]], rate: float,
                    stop: asyncio.Event) -> None:  # fmt: skip
    """Send ``rate`` Connection Requests per second to random devices (digest auth)."""
    from printbench.acs_stub.control import ConnectionRequestError, send_connection_request
    from printbench.acs_stub.registry import Credentials

    targets = [r for r in inventory if r.get("cr_url")]
    if rate <= 0 or not targets:
        return
    rng = random.Random(7)
    pending: set[asyncio.Task[None]] = set()

    async def one(r: dict[str, Any]) -> None:
        t = time.time()
        t0 = time.monotonic()
        try:
            status: int | str = await send_connection_request(
                r["cr_url"], Credentials(r["cr_username"], r["cr_password"]), timeout=10
            )
            rec.cr_sent(r["address"], t, time.monotonic() - t0, status)
        except ConnectionRequestError as exc:
            rec.cr_sent(r["address"], t, None, str(exc)[:80])

    while not stop.is_set():
        task = asyncio.create_task(one(rng.choice(targets)))
        pending.add(task)
        task.add_done_callback(pending.discard)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0 / rate)
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)


def write_results(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return path
