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
import math
import multiprocessing as mp
import random
import time
from pathlib import Path
from typing import Any

from printbench.loadtest.recorder import Recorder, storm_drain  # noqa: F401  (re-exported)


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
    # A second without a completed session is a gap in the line (NaN), not a zero.
    ax.plot(xs, [math.nan if v is None else v * 1000 for v in p50], lw=1, label="p50")
    ax.plot(xs, [math.nan if v is None else v * 1000 for v in p99], lw=1, label="p99")
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
    durs, informs = rec.histogram_ms()
    if durs:
        for series, label in ((durs, "whole session"), (informs, "Inform → InformResponse")):
            if series:
                values, weights = zip(*series, strict=True)
                ax.hist(values, bins=60, weights=weights, alpha=0.6, label=label)
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

    from printbench.common.eventloop import install_from_env

    install_from_env()  # PRINTBENCH_EVENT_LOOP=uvloop: measured, not the default
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
