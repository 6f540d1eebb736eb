"""The asyncio CPE runtime: one TR-069 client over a parameter tree (thin I/O over ``cwmp``).

A :class:`Cpe` is given a ``ParameterTree`` (what the device serves), optional
:class:`~cwmp_cpe.transfers.DeviceHooks` (Reboot, FactoryReset, what files mean), a
:class:`~cwmp_cpe.config.CpeConfig`, a clock and a sleep function, and a
:class:`~cwmp_cpe.store.StateStore`. It decides *when* to talk to the ACS and runs the
sessions; every protocol rule lives in ``cwmp`` (session machine, event queue, retry waits,
parameter tree, digest), this module only sequences them:

- one task (:meth:`_main`) parks until the next due time (periodic inform, retry wait,
  scheduled inform, notification throttle) or a wake-up (new event, connection request,
  finished transfer, changed value), then runs at most one session at a time;
- a session: Inform (events, forced parameters, value changes, ``InformParameter.{i}``,
  RetryCount) → held TransferCompletes → ACS RPCs until the ACS's empty response; failures
  feed ``RetryState``; actions that must not interrupt a session (Reboot, FactoryReset,
  firmware activation) run after it;
- transfers run as their own tasks (DelaySeconds on the injected clock) and report through
  the persistent TransferComplete store and events ``7 TRANSFER COMPLETE`` + ``M Download``:
  in the running session if there is one, else in a new session;
- everything TR-069 says must survive a reboot is written to the store after each change.

Per device it holds a few small objects and no socket while idle; the HTTP client exists only
during a session, and connection requests arrive through a shared
:class:`~cwmp_cpe.connreq.ConnectionRequestServer`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import random
import ssl
from collections import deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from printbench.cwmp import digest, faults, soap
from printbench.cwmp import events as E
from printbench.cwmp import messages as m
from printbench.cwmp import params as P
from printbench.cwmp.errors import CwmpError
from printbench.cwmp.retry import RetryState
from printbench.cwmp.session import (
    BadRequestReceived,
    CpeSession,
    EmptyResponseReceived,
    FaultReceived,
    InformAccepted,
    RequestReceived,
    ResponseReceived,
    RetryRequested,
    SessionEnded,
)
from printbench.cwmp_cpe import handlers as H
from printbench.cwmp_cpe.certificates import install as install_certificates
from printbench.cwmp_cpe.config import CpeConfig, lower_version, version_plan
from printbench.cwmp_cpe.http import (
    AcsConnection,
    AcsConnectionPool,
    AcsHttpError,
    TransferError,
    fetch,
    send,
    ssl_context,
)
from printbench.cwmp_cpe.settings import Settings, read_settings
from printbench.cwmp_cpe.store import MemoryStore, StateStore
from printbench.cwmp_cpe.timing import Clock, Sleep, SystemTime
from printbench.cwmp_cpe.transfers import (
    COMPLETED,
    IN_PROGRESS,
    NOT_STARTED,
    TransferJob,
    TransferOutcome,
)

log = logging.getLogger(__name__)
_M = TypeVar("_M", bound=m.Message)

STATE_VERSION = 1


def _iso(dt: datetime) -> str:
    return soap.format_datetime(dt.astimezone(UTC))


class _Session(CpeSession):
    """``CpeSession`` plus the legacy NoMoreRequests header (quirk ``no-more-requests``)."""

    no_more_requests = False
    said_done = False  # an empty POST told the ACS we have no more requests

    def _encode(self, envelope: m.Envelope) -> bytes:
        if self.no_more_requests:
            envelope = dataclasses.replace(envelope, no_more_requests=True)
        return super()._encode(envelope)


class Cpe:
    """One CWMP client. ``await start()``, ``await stop()``; see the module docstring."""

    def __init__(
        self,
        tree: P.ParameterTree,
        config: CpeConfig | None = None,
        *,
        hooks: Any = None,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
        store: StateStore | None = None,
        rng: random.Random | None = None,
        name: str = "cpe",
        secrets: Callable[[], dict[str, str]] | None = None,
        http_pool: AcsConnectionPool | None = None,
    ) -> None:
        default_time = SystemTime()
        #: Shared keep-alive clients (many CPEs in one loop); None: a client per session.
        self.http_pool = http_pool
        self.tree = tree
        self.config = config or CpeConfig()
        self.hooks = hooks
        self.clock: Clock = clock or default_time
        self._sleep: Sleep = sleep or default_time.sleep
        self.store: StateStore = store or MemoryStore()
        self.name = name
        self.secrets = secrets
        self.quirks = self.config.quirks
        self.queue = E.EventQueue()
        self.transfers = E.TransferCompleteStore()
        self.retry = RetryState(rng=rng or random.Random())
        self.jobs: list[TransferJob] = []
        self.scheduled: list[tuple[float, str]] = []  # (monotonic due, CommandKey)
        self.bootstrapped_url: str | None = None
        self.version_cap = self.config.cwmp_version
        self.negotiated_version: str | None = None
        self.connection_request_url = ""
        self.sessions = 0  # sessions that got an InformResponse
        self.failed_sessions = 0
        self.last_session_end: float | None = None
        #: End of the last *successfully completed* session (ACS's empty response, nothing
        #: left to send): the active-notification throttle counts from here (TR-181
        #: DefaultActiveNotificationThrottle: "counted since the last successfully completed
        #: session"). Not persisted: "does not need to be tracked across reboots".
        self.last_success_end: float | None = None
        #: What the ACS did wrong that this CPE noticed and survived (dicts with rule, spec,
        #: message, at); the bench is used to test ACSes, so these are reported, not hidden.
        self.acs_violations: list[dict[str, Any]] = []  # the last 100
        self.acs_violation_seq = 0  # how many were ever recorded (``seq`` of the last)
        self.session: _Session | None = None
        self.informs: list[m.Inform] = []  # recent Informs sent (for tests and the bench)
        # Handlers take their own message type; dispatch picks them by type(request), so
        # the table's values are typed loosely and register() keeps each pair consistent.
        self._handlers: dict[type, Callable[[Any], Any]] = H.parameter_handlers(
            tree, self.quirks
        )
        self._add_device_handlers()
        self._post_session: list[Callable[[], None]] = []
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._busy = 0
        self._task: asyncio.Task[None] | None = None
        self._running = False
        self._poll_needed = True
        self._periodic_next: float | None = None
        self._periodic_key: tuple[Any, ...] | None = None
        self._pending_reboot_key: str | None = None
        self._boot_marker = 0
        self._cr_times: deque[float] = deque()
        self._cr_override = False
        self._challenger: digest.DigestChallenger | None = None
        self._ssl: ssl.SSLContext | None = None
        #: (URL, TLS context) the sessions use instead of ManagementServer.URL and the
        #: configured TLS files (conformance TLS steps: the same ACS on another listener).
        self.acs_transport: tuple[str, ssl.SSLContext | None] | None = None
        self._reported_changes: list[str] = []
        self._restored_jobs: list[TransferJob] = []
        self.listeners: list[Callable[[str, Any], None]] = []
        #: Extra CPE requests for every session (after the held TransferCompletes), each
        #: source called with the session's namespace: how software modules
        #: (``cwmp_cpe.software_modules``) send DUStateChangeComplete without living here.
        self.session_requests: list[Callable[[str], list[m.Message]]] = []

    # =========================================================================================
    # lifecycle
    # =========================================================================================

    async def start(self, *, boot: bool = True) -> None:
        """Restore the persisted state, note the boot (``1 BOOT``) and start the main task."""
        # After a stop() the store, not the stopped tasks, says which transfers are pending.
        self.jobs = [j for j in self.jobs if j.task is not None and not j.task.done()]
        self._restore()
        if boot:
            self.device_booted()
        self._resume_transfers()
        self.tree.listeners.append(self._tree_changed)
        install_certificates(self.tree, [self.config.client_cert])  # Device.Security.
        if self.config.ca_file or self.config.client_cert:
            self._ssl = ssl_context(
                self.config.ca_file,
                self.config.client_cert,
                self.config.client_key,
                check_hostname="tls-no-hostname-check" not in self.quirks,
            )
        self._running = True
        self._task = asyncio.create_task(self._main(), name=f"cwmp-cpe {self.name}")

    async def stop(self) -> None:
        """Stop the main task and transfers; the persisted state stays as last saved."""
        self._running = False
        self._wake.set()
        for job in self.jobs:
            if job.task is not None:
                job.task.cancel()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for job in self.jobs:
            if job.task is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await job.task
        if self._tree_changed in self.tree.listeners:
            self.tree.listeners.remove(self._tree_changed)
        self._save()

    async def idle(self) -> None:
        """Wait until nothing is running: no session, no transfer at work, loop parked."""
        while True:
            while not (self._idle.is_set() and self._busy == 0):
                await self._idle.wait()
                await asyncio.sleep(0)
            # let the parked loop's timer register its sleep before reporting idle
            for _ in range(3):
                await asyncio.sleep(0)
            if self._idle.is_set() and self._busy == 0:
                return

    # =========================================================================================
    # inputs from the device / adapter
    # =========================================================================================

    def settings(self) -> Settings:
        s = read_settings(self.tree, self.config.root)
        if self.config.acs_url and not s.url:
            s = dataclasses.replace(s, url=self.config.acs_url)
        if self.secrets is not None:
            # Password parameters read as "" through the tree (TR-181); the device knows them.
            sec = self.secrets()
            s = dataclasses.replace(
                s,
                password=sec.get("password", s.password),
                cr_password=sec.get("cr_password", s.cr_password),
            )
        return s

    def add_event(self, code: str, command_key: str = "") -> None:
        self.queue.add(code, command_key)
        self._new_event()
        self._save()
        self.wake()

    def _new_event(self) -> None:
        """An event that needs a session was queued. TR-069 §3.2.1.1: a failed session is
        retried after the wait "or when a new event occurs, whichever comes first" (wording
        as quoted by QA Cafe and third-party CPE notes; the PDF is not in /work/shared), so
        a new 7 TRANSFER COMPLETE, 3 SCHEDULED, 2 PERIODIC, M event or active 4 VALUE CHANGE
        ends the wait, though never before the lower end of the current Table 3 row
        (``RetryState.on_new_event``): a busy device is not faster than the table."""
        if self.retry.next_attempt is not None:
            self.retry.on_new_event(self.clock.monotonic())

    def wake(self) -> None:
        self._idle.clear()  # the loop has work: not idle until it parks again
        self._wake.set()

    def values_changed(self) -> None:
        """Device values may have changed: poll the watched parameters soon."""
        self._poll_needed = True
        self.wake()

    def device_booted(self) -> None:
        """The device (re)started: drop what does not survive, queue ``1 BOOT`` (+ M Reboot)."""
        self._boot_marker += 1
        key = self._pending_reboot_key
        self._pending_reboot_key = None
        self.queue.on_reboot()
        self.queue.add("1 BOOT")
        if key is not None:
            self.queue.add("M Reboot", key)
        self._interrupt_transfers("a reboot of the device")
        self.tree.tracker.pending.clear()
        self.tree.tracker.prime()
        self._periodic_key = None
        # Table 3 counts "post reboot" retries: the waits start over; RetryCount stays (the
        # previous session still did not complete successfully).
        self.retry.on_boot()
        self._save()
        self.wake()

    def _interrupt_transfers(self, why: str) -> None:
        """A transfer at work when the device restarts cannot finish: it fails, and is
        reported like any failed transfer (TransferComplete with a fault, 7 TRANSFER
        COMPLETE + M Download/M Upload; TR-069 A.3.2.8: a CPE that accepted a Download with
        Status 1 MUST send a TransferComplete). Transfers still waiting out DelaySeconds are
        not touched: their due time survives the reboot (and the store, for a restart)."""
        for job in list(self.jobs):
            if job.state != IN_PROGRESS or job.task is None or job.task.done():
                continue
            job.task.cancel()
            code = 9010 if job.is_download else 9011
            self._finish_job(job, TransferError(code, f"transfer interrupted by {why}"))

    def device_factory_reset(self) -> None:
        """The device was reset to factory settings: a new relationship (``0 BOOTSTRAP``)."""
        self.queue.on_factory_reset()
        self.transfers.clear()
        self.scheduled.clear()
        self.tree.attributes.clear()
        self.tree.store.clear()
        self.tree.parameter_key = ""
        self.bootstrapped_url = None
        self.negotiated_version = None
        self.version_cap = self.config.cwmp_version
        self.queue.add("0 BOOTSTRAP")
        self.queue.add("1 BOOT")
        self._boot_marker += 1
        self._save()
        self.wake()

    # =========================================================================================
    # connection requests (called by ConnectionRequestServer)
    # =========================================================================================

    def forget_connection_requests(self) -> None:
        """Clear the rate limiter's memory of accepted connection requests, as if its window
        had passed. For test benches that must not wait the window out between scenarios;
        a real CPE never calls it. Call it on the loop that runs this CPE."""
        self._cr_times.clear()

    def connection_request(
        self, method: str, uri: str, authorization: str | None
    ) -> tuple[int, dict[str, str]]:
        """Judge one Connection Request; returns (HTTP status, extra headers)."""
        denied = self.authenticate_connection_request(method, uri, authorization)
        if denied is not None:
            return denied
        return self.accept_connection_request()

    def authenticate_connection_request(
        self, method: str, uri: str, authorization: str | None
    ) -> tuple[int, dict[str, str]] | None:
        """The first step of a Connection Request: None when the ACS is authenticated, else
        the answer (405 for another method, 401 with a digest challenge).

        TR-069 §3.2.2: "The CPE MUST use digest-authentication to authenticate the ACS before
        proceeding - the CPE MUST NOT initiate a connection to the ACS due to an
        unsuccessfully authenticated request." So nothing else happens before this (an
        adapter such as the proxy calls it before it probes a printer). An empty
        ConnectionRequestUsername means no credentials are configured: no ACS can
        authenticate and every request is refused (401), never accepted unauthenticated.
        """
        if method != "GET":
            return 405, {"Allow": "GET"}
        s = self.settings()
        now = self.clock.monotonic()
        ch = self._cr_challenger(s)
        if not s.cr_username:
            return 401, {"WWW-Authenticate": ch.challenge(now)}
        result = ch.verify("GET", uri, authorization, now)
        if not result.ok:
            return 401, {"WWW-Authenticate": ch.challenge(now, stale=result.stale)}
        return None

    def accept_connection_request(self) -> tuple[int, dict[str, str]]:
        """An authenticated Connection Request: 200 and a session with 6 CONNECTION REQUEST,
        or 503 when CWMP is off or the rate limit is reached (TR-069 §3.2.2: SHOULD
        restrict the number accepted, MUST answer 503 then)."""
        s = self.settings()
        if not s.enabled or not s.url:
            return 503, {}
        now = self.clock.monotonic()
        window = self.config.cr_rate_window
        while self._cr_times and self._cr_times[0] <= now - window:
            self._cr_times.popleft()
        if len(self._cr_times) >= self.config.cr_rate_limit:
            return 503, {}
        self._cr_times.append(now)
        self._cr_override = True
        self.queue.add("6 CONNECTION REQUEST")
        self.wake()
        return 200, {}

    def _cr_challenger(self, s: Settings) -> digest.DigestChallenger:
        if self._challenger is None:
            self._challenger = digest.DigestChallenger(
                self.config.cr_realm,
                lambda user: self._cr_password(user),
            )
        return self._challenger

    def _cr_password(self, user: str) -> str | None:
        s = self.settings()
        return s.cr_password if user == s.cr_username else None

    # =========================================================================================
    # persistence
    # =========================================================================================

    def persistent_state(self) -> dict[str, Any]:
        wall, mono = self.clock.now(), self.clock.monotonic()
        return {
            "version": STATE_VERSION,
            "events": self.queue.to_json(),
            "transfers": self.transfers.to_json(),
            "tree": self.tree.persistent_state(),
            "bootstrapped_url": self.bootstrapped_url,
            "version_cap": self.version_cap,
            "scheduled": [
                [_iso(wall + timedelta(seconds=due - mono)), key] for due, key in self.scheduled
            ],
            # RetryCount is zero iff the previous session completed successfully (TR-069
            # A.3.3.1): it must outlive a restart of the process.
            "retry_count": self.retry.retry_count,
            "jobs": [self._job_state(j, wall, mono) for j in self.jobs if j.state != COMPLETED],
        }

    @staticmethod
    def _job_state(job: TransferJob, wall: datetime, mono: float) -> dict[str, Any]:
        """An accepted transfer as stored. The credentials are stored with it: the transfer
        must still be possible after a restart, as TR-069 A.3.2.8 wants it completed."""
        due = job.due if job.due is not None else mono
        return {
            "command_key": job.command_key,
            "is_download": job.is_download,
            "file_type": job.file_type,
            "url": job.url,
            "username": job.username,
            "password": job.password,
            "file_size": job.file_size,
            "target_file_name": job.target_file_name,
            "delay_seconds": job.delay_seconds,
            "due": _iso(wall + timedelta(seconds=due - mono)),
            "state": job.state,
            "start_time": _iso(job.start_time) if job.start_time else None,
        }

    def _save(self) -> None:
        try:
            self.store.save(self.persistent_state())
        except Exception:
            log.exception("%s: cannot save the CPE state", self.name)

    def _restore(self) -> None:
        data = self.store.load()
        if not data:
            return
        try:
            self.queue = E.EventQueue.from_json(data["events"])
            self.transfers = E.TransferCompleteStore.from_json(data["transfers"])
            self.tree.load_state(data.get("tree") or {})
            self.bootstrapped_url = data.get("bootstrapped_url")
            cap = data.get("version_cap") or self.config.cwmp_version
            self.version_cap = cap if cap in m.ALL_VERSIONS else self.config.cwmp_version
            wall, mono = self.clock.now(), self.clock.monotonic()
            self.scheduled = []
            for when, key in data.get("scheduled", []):
                due = soap.parse_datetime(when)
                if due.tzinfo is None:
                    due = due.replace(tzinfo=UTC)
                self.scheduled.append((mono + max(0.0, (due - wall).total_seconds()), str(key)))
            self.retry.retry_count = max(0, int(data.get("retry_count", 0)))
            self._restored_jobs = [
                self._job_from_state(j, wall, mono) for j in data.get("jobs", [])
            ]
        except (KeyError, TypeError, ValueError, E.EventError) as exc:
            log.error("%s: saved CPE state unusable, starting afresh: %s", self.name, exc)

    @staticmethod
    def _job_from_state(d: dict[str, Any], wall: datetime, mono: float) -> TransferJob:
        due = soap.parse_datetime(str(d["due"]))
        if due.tzinfo is None:
            due = due.replace(tzinfo=UTC)
        job = TransferJob(
            str(d["command_key"]),
            bool(d["is_download"]),
            str(d["file_type"]),
            str(d["url"]),
            str(d.get("username", "")),
            str(d.get("password", "")),
            int(d.get("file_size", 0)),
            str(d.get("target_file_name", "")),
            int(d.get("delay_seconds", 0)),
        )
        job.state = int(d.get("state", NOT_STARTED))
        job.due = mono + max(0.0, (due - wall).total_seconds())
        if d.get("start_time"):
            job.start_time = soap.parse_datetime(str(d["start_time"]))
        return job

    def _resume_transfers(self) -> None:
        """Transfers accepted before the process stopped (restored from the store): those
        still waiting out DelaySeconds go on waiting; those that were at work cannot resume
        and fail (reported with TransferComplete, as ``_interrupt_transfers``)."""
        jobs, self._restored_jobs = self._restored_jobs, []
        for job in jobs:
            if any(j.command_key == job.command_key for j in self.jobs):
                continue
            self.jobs.append(job)
            if job.state == NOT_STARTED:
                job.task = asyncio.create_task(
                    self._run_job(job), name=f"transfer {job.command_key}"
                )
            else:
                code = 9010 if job.is_download else 9011
                self._finish_job(job, TransferError(code, "transfer interrupted by a restart"))

    # =========================================================================================
    # the main loop
    # =========================================================================================

    async def _main(self) -> None:
        while self._running:
            self._wake.clear()
            now = self.clock.monotonic()
            # The settings are read once per pass (each read resolves a dozen parameters);
            # nothing awaits between here and the session's start, so they cannot go stale.
            s: Settings | None = None
            try:
                s = self.settings()
                self._refresh(now, s)
            except Exception:
                log.exception("%s: refresh failed", self.name)
            if self._post_session:
                await self._run_post_session()
                continue
            if self._want_session(now, s):
                self._busy += 1
                try:
                    await self._run_session(s)
                except Exception:
                    # A bug (ours or a tree provider's) must cost one attempt and a retry
                    # wait, like any failed session, never a loop that spins at full CPU.
                    log.exception("%s: session crashed", self.name)
                    self.session = None
                    self.failed_sessions += 1
                    self.last_session_end = self.clock.monotonic()
                    self.retry.on_failure(self.last_session_end)
                finally:
                    self._busy -= 1
                continue
            due = self._next_due(now, s)
            self._idle.set()
            await self._park(None if due is None else max(0.0, due - now))
            self._idle.clear()

    async def _park(self, delay: float | None) -> None:
        waiter = asyncio.ensure_future(self._wake.wait())
        tasks: set[asyncio.Future[Any]] = {waiter}
        if delay is not None:
            tasks.add(asyncio.ensure_future(self._timer(delay)))
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in tasks:
                if not t.done():
                    t.cancel()
            for t in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await t

    async def _timer(self, delay: float) -> None:
        await self._sleep(delay)
        self._idle.clear()  # a timer fired: the loop is about to work

    def _refresh(self, now: float, s: Settings | None = None) -> None:
        if s is None:
            s = self.settings()
        self.retry.configure(s.retry_min_wait, s.retry_multiplier)
        # BOOTSTRAP on first contact with an ACS (or a new ACS URL).
        if s.url and s.url != self.bootstrapped_url and "0 BOOTSTRAP" not in self.queue:
            if self.bootstrapped_url is not None:
                self.transfers.clear()
            self.queue.add("0 BOOTSTRAP")
            self._new_event()
            self._save()
        # Periodic informs.
        key = (s.periodic_enable, s.periodic_interval, s.periodic_time)
        if key != self._periodic_key:
            self._periodic_key = key
            self._periodic_next = self._first_periodic(now, s) if s.periodic_enable else None
        if self._periodic_next is not None and now >= self._periodic_next:
            self.queue.add("2 PERIODIC")
            self._new_event()
            while self._periodic_next <= now:
                self._periodic_next += s.periodic_interval
        # ScheduleInform.
        due = [(t, k) for t, k in self.scheduled if t <= now]
        if due:
            self.scheduled = [(t, k) for t, k in self.scheduled if t > now]
            self.queue.add("3 SCHEDULED")
            for _, k in due:
                self.queue.add("M ScheduleInform", k)
            self._new_event()
            self._save()
        if self._poll_needed:
            self._poll_needed = False
            self.tree.tracker.poll(now)

    def _first_periodic(self, now: float, s: Settings) -> float:
        interval = s.periodic_interval
        if s.periodic_time is None:
            return now + interval
        offset = (self.clock.now() - s.periodic_time).total_seconds() % interval
        return now + (interval - offset if offset else interval)

    def _want_session(self, now: float, s: Settings | None = None) -> bool:
        if s is None:
            s = self.settings()
        if not s.enabled or not s.url:
            return False
        retrying = self.retry.next_attempt is not None
        if retrying and self._new_active_change():
            self.retry.on_new_event(now)  # an active 4 VALUE CHANGE is a new event too
        backoff = retrying and now < self.retry.next_attempt  # type: ignore[operator]
        if backoff and not self._cr_override:
            # Only a Connection Request skips the wait at once: the ACS asked for the session
            # (TR-069 §3.2.2) and the accepted requests are rate-limited (cr_rate_limit).
            return False
        if len(self.queue):
            return True
        if self.tree.tracker.has_active:
            # TR-181 DefaultActiveNotificationThrottle: a session that retries a failed one
            # "MUST NOT be delayed based on this parameter value".
            return retrying or self._throttle_due(s) <= now
        return False

    def _new_active_change(self) -> bool:
        """An active value change that arrived after the last failed attempt."""
        since = self.retry.failed_at
        return since is not None and any(
            c.active and c.at > since for c in self.tree.tracker.pending.values()
        )

    def _throttle_due(self, s: Settings) -> float:
        """TR-181 DefaultActiveNotificationThrottle: "the time is counted since the last
        successfully completed session" (a failed session does not restart it)."""
        if self.last_success_end is None or not s.throttle:
            return float("-inf")
        return self.last_success_end + s.throttle

    def _next_due(self, now: float, s: Settings | None = None) -> float | None:
        candidates = []
        if self._periodic_next is not None:
            candidates.append(self._periodic_next)
        candidates += [t for t, _ in self.scheduled]
        if self.retry.next_attempt is not None:
            if len(self.queue) or self.tree.tracker.has_active:
                candidates.append(self.retry.next_attempt)
        elif self.tree.tracker.has_active:
            candidates.append(self._throttle_due(s if s is not None else self.settings()))
        if not candidates:
            return None
        return max(min(candidates), now)

    # =========================================================================================
    # a session
    # =========================================================================================

    def _build_inform(self, s: Settings) -> tuple[m.Inform, list[str]]:
        changes = self.tree.tracker.pending_changes()
        if changes:
            self.queue.add("4 VALUE CHANGE")
        events = self.queue.inform_events()
        codes = {e.code for e in events}
        values: dict[str, P.ParameterValue] = {}
        for v in self.tree.forced_inform_values():
            values[v.name] = v
        for ch in changes:
            values.setdefault(ch.name, P.ParameterValue(ch.name, ch.value, ch.xsi_type))
        for name in self._inform_parameters(codes):
            if name not in values:
                try:
                    got = self.tree.get_parameter_values([name])
                except P.ParameterFault:
                    continue
                for v in got:
                    values.setdefault(v.name, v)
        inform = m.Inform(
            device_id=self._device_id(),
            event=tuple(m.EventStruct(e.code, e.command_key) for e in events),
            max_envelopes=1,
            current_time=self.clock.now(),
            retry_count=self.retry.retry_count,
            parameter_list=tuple(
                m.ParameterValueStruct(v.name, v.value, v.xsi_type) for v in values.values()
            ),
        )
        return inform, [c.name for c in changes]

    def _inform_parameters(self, codes: set[str]) -> list[str]:
        """``ManagementServer.InformParameter.{i}``: enabled rows whose EventList matches."""
        base = f"{self.config.root}ManagementServer.InformParameter."
        if not self.tree.exists(base):
            return []
        out = []
        try:
            rows = self.tree.get_parameter_names(base, True)
        except P.ParameterFault:
            return []
        for row in rows:
            try:
                vals = {
                    v.name.rsplit(".", 1)[-1]: v.value
                    for v in self.tree.get_parameter_values([row.name])
                }
            except P.ParameterFault:
                continue
            if vals.get("Enable", "false") not in ("true", "1") or not vals.get("ParameterName"):
                continue
            wanted = {e.strip() for e in vals.get("EventList", "").split(",") if e.strip()}
            if wanted and not wanted & codes:
                continue
            out.append(vals["ParameterName"])
        return out

    def _device_id(self) -> m.DeviceIdStruct:
        if self.config.device_id is not None:
            return self.config.device_id
        info = f"{self.config.root}DeviceInfo."

        def get(name: str) -> str:
            try:
                return self.tree.get_value(info + name)
            except P.ParameterFault:
                return ""

        return m.DeviceIdStruct(
            get("Manufacturer"), get("ManufacturerOUI"), get("ProductClass"), get("SerialNumber")
        )

    def _encode_options(self) -> dict[str, Any]:
        opts: dict[str, Any] = {}
        if "boolean-digits" in self.quirks:
            opts.update(boolean_style="digit", boolean_values=True)
        if "datetime-ms" in self.quirks:
            opts["datetime_ms"] = True
        return opts

    def _cookie_ok(self, header: str) -> bool:
        if "cookies-need-path" not in self.quirks:
            return True
        attrs = [a.strip().lower() for a in header.split(";")[1:]]
        return any(a.startswith("path=") for a in attrs)

    def _transfer_complete(self, rec: E.TransferRecord, namespace: str) -> m.TransferComplete:
        """The TransferComplete for ``rec`` in a session of ``namespace``.

        The record keeps the specific fault; the code sent is one ``namespace``'s schema
        allows (cwmp-1-0 knows only the general 9010/9011), mapped at send time because a
        record may outlive a version change (8006 lowers the offer).
        """
        code, text = faults.transfer_complete_fault(
            rec.fault_code, rec.fault_string, namespace, is_download=rec.is_download
        )
        return m.TransferComplete(
            command_key=rec.command_key,
            fault_struct=m.FaultStruct(code, text),
            start_time=soap.parse_datetime(rec.start_time),
            complete_time=soap.parse_datetime(rec.complete_time),
        )

    async def _run_session(self, settings: Settings | None = None) -> None:
        """One session. ``settings``: as read by the main loop just before (nothing awaited
        since); None reads them afresh."""
        s = settings if settings is not None else self.settings()
        self._cr_override = False
        self._refresh(self.clock.monotonic(), s)
        inform, change_names = self._build_inform(s)
        plan = version_plan(self.version_cap, self.quirks)
        cs = _Session(
            namespace=plan.namespace,
            supported_versions=plan.supported_versions,
            session_timeout=plan.session_timeout,
            encode_options=self._encode_options(),
            max_size=self.config.max_acs_message,
            strict_ids=self.config.strict,
        )
        cs.no_more_requests = "no-more-requests" in self.quirks
        for rec in self.transfers.pending():
            if rec.kind == "transfer":
                cs.queue_request(self._transfer_complete(rec, cs.namespace))
        url, ssl_ctx = self.acs_transport or (s.url, self._ssl)
        for source in self.session_requests:
            for request in source(cs.namespace):
                cs.queue_request(request)
        conn = AcsConnection(
            url,
            s.username,
            s.password,
            ssl_ctx=ssl_ctx,
            timeout=self.config.http_timeout,
            max_redirects=self.config.max_redirects,
            cookie_filter=self._cookie_ok,
            pool=self.http_pool if self.acs_transport is None else None,
            max_message=self.config.max_acs_message,
        )
        conn.auth.digest_ok = "auth-basic-only" not in self.quirks  # a defect (OD-1.2)
        self.session = cs
        self.informs.append(inform)
        del self.informs[:-20]
        informed = ended_ok = tc_fault = False
        version_fault = False
        try:
            body = cs.start(inform, self.clock.monotonic())
            is_response = False  # the body answers an ACS request (SOAPAction with no value)
            while True:
                reply = await conn.post(body, cs.cookie_header(), response=is_response)
                is_response = False
                ev = cs.receive(
                    reply.status, reply.body, self.clock.monotonic(), set_cookie=reply.set_cookie
                )
                if isinstance(ev, InformAccepted):
                    informed = True
                    self._on_inform_accepted(inform, change_names, ev.cwmp_version, s)
                elif isinstance(ev, ResponseReceived):
                    if isinstance(ev.request, m.TransferComplete):
                        self._on_transfer_acknowledged(ev.request.command_key)
                    else:
                        self._emit("acknowledged", ev.request)  # for session_requests sources
                elif isinstance(ev, FaultReceived):
                    if isinstance(ev.request, m.Inform):
                        version_fault = ev.fault.fault_code == 8006
                        log.warning("%s: Inform answered with fault %s", self.name, ev.fault)
                    elif isinstance(ev.request, m.TransferComplete):
                        tc_fault = True
                elif isinstance(ev, RequestReceived):
                    response = await self._dispatch(ev.request)
                    body = cs.respond(response, self.clock.monotonic())
                    if "xml-cr-literal" in self.quirks:  # a defect (LOC-001 catches it)
                        body = body.replace(b"&#13;", b"\r")
                    is_response = True
                    continue
                elif isinstance(ev, BadRequestReceived):
                    body = cs.respond(ev.fault, self.clock.monotonic())
                    is_response = True
                    continue
                elif isinstance(ev, SessionEnded):
                    ended_ok = True
                    break
                if cs.ended:
                    break
                if isinstance(ev, (InformAccepted, ResponseReceived, FaultReceived,
                                   RetryRequested, EmptyResponseReceived)):  # fmt: skip
                    body = cs.next_post(self.clock.monotonic())
                    if not body and not cs.hold_requests:
                        cs.said_done = True
        except (AcsHttpError, CwmpError) as exc:
            log.warning("%s: session failed: %s", self.name, exc)
            cs.fail(str(exc))
        finally:
            self.session = None
            self._note_id_mismatches(cs)
            await conn.close(reusable=ended_ok)
        now = self.clock.monotonic()
        self.last_session_end = now
        if not informed:
            self.failed_sessions += 1
            self.queue.on_session_failed()
            if version_fault and lower_version(self.version_cap) is not None:
                self.version_cap = lower_version(self.version_cap)  # type: ignore[assignment]
        if informed and ended_ok and not tc_fault:
            self.retry.on_success()
            self.last_success_end = now
        else:
            # Every kind of failure (refused, HTTP error, bad envelope, strict cwmp:ID
            # mismatch, timeout, a session broken off after the InformResponse, a faulted
            # TransferComplete) counts: RetryCount is zero only after a successful session
            # (TR-069 A.3.3.1) and the next attempt waits out Table 3 (§3.2.1.1).
            self.retry.on_failure(now)
        self._save()
        self._emit("session", {"ok": informed and ended_ok, "inform": inform})

    def _note_id_mismatches(self, cs: _Session) -> None:
        """Record the ACS's cwmp:ID violations of this session (non-strict mode)."""
        for message in cs.id_mismatches:
            self.record_acs_violation("acs-id-echo", "TR-069 §3.5 Table 4 (cwmp:ID)", message)

    def record_acs_violation(self, rule: str, spec: str, message: str) -> None:
        """Note something the ACS did wrong (kept, logged, and passed to the listeners)."""
        self.acs_violation_seq += 1
        v = {
            "seq": self.acs_violation_seq,
            "rule": rule,
            "spec": spec,
            "message": message,
            "at": _iso(self.clock.now()),
        }
        self.acs_violations.append(v)
        del self.acs_violations[:-100]
        log.warning("%s: ACS violation %s: %s", self.name, rule, message)
        self._emit("acs-violation", v)

    def _on_inform_accepted(
        self, inform: m.Inform, change_names: list[str], version: str, s: Settings
    ) -> None:
        self.sessions += 1
        self.negotiated_version = version
        codes = {e.event_code for e in inform.event}
        self.queue.on_inform_response()
        self.tree.tracker.acknowledge(change_names)
        if "0 BOOTSTRAP" in codes:
            self.bootstrapped_url = s.url
        self._save()

    def _on_transfer_acknowledged(self, command_key: str) -> None:
        self.transfers.acknowledge(command_key)
        self.queue.on_transfer_complete_response(command_key)
        self._save()

    def _emit(self, what: str, data: Any) -> None:
        for listener in list(self.listeners):
            try:
                listener(what, data)
            except Exception:
                log.exception("%s: listener failed", self.name)

    async def _run_post_session(self) -> None:
        actions, self._post_session = self._post_session, []
        self._busy += 1
        try:
            for action in actions:
                try:
                    action()
                except Exception:
                    log.exception("%s: post-session action failed", self.name)
        finally:
            self._busy -= 1

    def _after_session(self, action: Callable[[], None]) -> None:
        self._post_session.append(action)
        self.wake()

    def _tree_changed(self, op: str, names: list[str]) -> None:
        self._periodic_key = None  # settings may have changed
        self._save()
        self.wake()

    # =========================================================================================
    # RPCs
    # =========================================================================================

    def supported_methods(self) -> tuple[str, ...]:
        return tuple(c.METHOD for c in m.CPE_METHODS if c in self._handlers)

    def register(self, method: type[_M], handler: Callable[[_M], Any]) -> None:
        """Add or replace the handler of a CPE method (may return an awaitable)."""
        self._handlers[method] = handler

    async def _dispatch(self, request: m.Message) -> m.Message:
        handler = self._handlers.get(type(request))
        if handler is None:
            return m.Fault.of(9000)
        try:
            result = handler(request)
            if asyncio.iscoroutine(result):
                result = await result
        except Exception:
            log.exception("%s: handler for %s failed", self.name, request.METHOD)
            return m.Fault.of(9002)
        return result

    def _add_device_handlers(self) -> None:
        h = self.hooks
        self._handlers[m.GetRPCMethods] = lambda r: m.GetRPCMethodsResponse(
            self.supported_methods()
        )
        self._handlers[m.ScheduleInform] = self._schedule_inform
        if h is not None and hasattr(h, "reboot"):
            self._handlers[m.Reboot] = self._reboot
        if h is not None and hasattr(h, "factory_reset"):
            self._handlers[m.FactoryReset] = self._factory_reset
        if h is not None and hasattr(h, "accept_download"):
            self._handlers[m.Download] = self._download
        if h is not None and hasattr(h, "upload_content"):
            self._handlers[m.Upload] = self._upload
        if m.Download in self._handlers or m.Upload in self._handlers:
            self._handlers[m.GetQueuedTransfers] = self._get_queued_transfers
            self._handlers[m.GetAllQueuedTransfers] = self._get_all_queued_transfers
            self._handlers[m.CancelTransfer] = self._cancel_transfer

    def _schedule_inform(self, req: m.ScheduleInform) -> m.Message:
        if req.delay_seconds < 1:
            return m.Fault(9003, "ScheduleInform DelaySeconds must be 1 or more")
        if len(req.command_key) > 32:
            return m.Fault(9003, "CommandKey longer than 32 characters")
        self.scheduled.append((self.clock.monotonic() + req.delay_seconds, req.command_key))
        self._save()
        return m.ScheduleInformResponse()

    def _reboot(self, req: m.Reboot) -> m.Message:
        if len(req.command_key) > 32:
            return m.Fault(9003, "CommandKey longer than 32 characters")
        key = req.command_key

        def do() -> None:
            self._pending_reboot_key = key
            marker = self._boot_marker
            self.hooks.reboot()
            if self._boot_marker == marker:  # the device did not report its boot itself
                self.device_booted()

        self._after_session(do)
        return m.RebootResponse()

    def _factory_reset(self, req: m.FactoryReset) -> m.Message:
        if "factory-reset-ignored" in self.quirks:  # a defect to test against (BS-001)
            return m.FactoryResetResponse()

        def do() -> None:
            marker = self._boot_marker
            self.hooks.factory_reset()
            if self._boot_marker == marker:
                self.device_factory_reset()

        self._after_session(do)
        return m.FactoryResetResponse()

    # -- transfers ----------------------------------------------------------------------------

    def _download(self, req: m.Download) -> m.Message:
        types = tuple(getattr(self.hooks, "download_types", ()))
        if req.file_type not in types:
            return m.Fault(
                9003, f"FileType {req.file_type!r} is not supported ({', '.join(types)})"
            )
        return self._queue_job(
            TransferJob(
                req.command_key,
                True,
                req.file_type,
                req.url,
                req.username,
                req.password,
                req.file_size,
                req.target_file_name,
                req.delay_seconds,
            ),
            m.DownloadResponse,
        )

    def _upload(self, req: m.Upload) -> m.Message:
        types = tuple(getattr(self.hooks, "upload_types", ()))
        if req.file_type not in types:
            return m.Fault(
                9003, f"FileType {req.file_type!r} is not supported ({', '.join(types)})"
            )
        return self._queue_job(
            TransferJob(
                req.command_key,
                False,
                req.file_type,
                req.url,
                req.username,
                req.password,
                delay_seconds=req.delay_seconds,
            ),
            m.UploadResponse,
        )

    def _queue_job(self, job: TransferJob, response: type) -> m.Message:
        if len(job.command_key) > 32:
            return m.Fault(9003, "CommandKey longer than 32 characters")
        if not job.url:
            return m.Fault(9003, "URL is empty")
        scheme = job.url.split(":", 1)[0].lower()
        if scheme not in ("http", "https"):
            return m.Fault(9013, f"unsupported protocol {scheme!r}")
        if len([j for j in self.jobs if j.state != COMPLETED]) >= 16:
            return m.Fault(9004, "too many queued transfers")
        self.jobs.append(job)
        job.origin = self.session
        job.due = self.clock.monotonic() + job.delay_seconds
        self._save()  # an accepted transfer must survive a restart (TR-069 A.3.2.8)
        job.task = asyncio.create_task(self._run_job(job), name=f"transfer {job.command_key}")
        return response(status=1)

    async def _run_job(self, job: TransferJob) -> None:
        due = job.due if job.due is not None else self.clock.monotonic() + job.delay_seconds
        if due > self.clock.monotonic():
            await self._sleep(due - self.clock.monotonic())
        self._busy += 1
        job.state = IN_PROGRESS
        job.start_time = self.clock.now()
        self._save()
        outcome: TransferOutcome | None = None
        fault: TransferError | None = None
        try:
            if job.is_download:
                if job.file_size and job.file_size > self.config.max_download_size:
                    raise TransferError(
                        9010,
                        f"FileSize {job.file_size} is over the {self.config.max_download_size}"
                        " bytes this device takes",
                    )
                got = await fetch(
                    job.url,
                    job.username,
                    job.password,
                    ssl_ctx=self._ssl,
                    timeout=self.config.transfer_timeout,
                    max_size=self.config.max_download_size,
                    directory=self.config.download_dir,
                )
                try:
                    log.info("%s: downloaded %s: %d bytes, SHA-256 %s",
                             self.name, job.url, got.size, got.sha256)  # fmt: skip
                    if job.file_size and got.size != job.file_size:
                        raise TransferError(
                            9018, f"file is {got.size} bytes, FileSize said {job.file_size}"
                        )
                    outcome = await self.hooks.accept_download(job, got)
                finally:
                    got.path.unlink(missing_ok=True)
            else:
                content, ctype = await self.hooks.upload_content(job)
                await send(
                    job.url,
                    content,
                    job.username,
                    job.password,
                    method=self.config.upload_method,
                    content_type=ctype,
                    ssl_ctx=self._ssl,
                    timeout=self.config.transfer_timeout,
                )
        except TransferError as exc:
            fault = exc
        except asyncio.CancelledError:
            # Stopped (process exit: the job stays IN_PROGRESS in the store and fails at the
            # next start), interrupted by a reboot (already reported) or cancelled by
            # CancelTransfer (already removed). Never silently marked done here.
            self._busy -= 1
            raise
        except Exception as exc:
            log.exception("%s: transfer %s failed", self.name, job.command_key)
            fault = TransferError(9002, f"internal error: {exc}")
        if fault is not None:
            # Codes no TransferComplete may carry (9013, 9003, ...) become the general one
            # now; what an older namespace lacks is mapped when the record is sent.
            code, text = faults.transfer_complete_fault(
                fault.code, fault.message, m.CWMP_1_2, is_download=job.is_download
            )
            fault = TransferError(code, text)
        try:
            if fault is None and outcome is not None and outcome.activate is not None:
                if outcome.reboot:
                    activate = outcome.activate

                    def do(job: TransferJob = job) -> None:
                        marker = self._boot_marker
                        activate()
                        if self._boot_marker == marker:
                            self.device_booted()
                        self._finish_job(job, None)

                    self._after_session(do)
                    return
                outcome.activate()
            self._finish_job(job, fault)
        finally:
            self._busy -= 1

    def _finish_job(self, job: TransferJob, fault: TransferError | None) -> None:
        job.state = COMPLETED
        with contextlib.suppress(ValueError):
            self.jobs.remove(job)
        if "no-transfer-complete" in self.quirks:
            return
        rec = E.TransferRecord(
            command_key=job.command_key,
            start_time=_iso(job.start_time or self.clock.now()),
            complete_time=_iso(self.clock.now()),
            fault_code=fault.code if fault else 0,
            fault_string=(fault.message[:256] if fault else ""),
            is_download=job.is_download,
        )
        self.transfers.add(rec)
        self.queue.add("7 TRANSFER COMPLETE")
        self.queue.add("M Download" if job.is_download else "M Upload", job.command_key)
        self._new_event()
        session = self.session
        if (
            session is not None
            and session is job.origin
            and not session.ended
            and not session.said_done
        ):
            # The session that started the transfer, still before our empty POST (or the
            # ACS holds our requests): TR-069 A.3.3.2 "later in the same session in which
            # the transfer was initiated". A transfer from an earlier session that ends
            # during this one waits for a new session whose Inform carries 7 TRANSFER
            # COMPLETE and its M Download (this Inform was built without them).
            session.queue_request(self._transfer_complete(rec, session.namespace))
        self._save()
        self._emit("transfer", rec)
        self.wake()

    def _queued(self) -> Iterable[TransferJob]:
        return [j for j in self.jobs if j.state != COMPLETED]

    def _get_queued_transfers(self, req: m.Message) -> m.Message:
        return m.GetQueuedTransfersResponse(
            tuple(m.QueuedTransferStruct(j.command_key, j.state) for j in self._queued())
        )

    def _get_all_queued_transfers(self, req: m.Message) -> m.Message:
        return m.GetAllQueuedTransfersResponse(
            tuple(
                m.AllQueuedTransferStruct(
                    command_key=j.command_key,
                    state=j.state,
                    is_download=j.is_download,
                    file_type=j.file_type,
                    file_size=j.file_size,
                    target_file_name=j.target_file_name,
                )
                for j in self._queued()
            )
        )

    def _cancel_transfer(self, req: m.CancelTransfer) -> m.Message:
        jobs = [j for j in self._queued() if j.command_key == req.command_key]
        if not jobs:
            return m.Fault(9003, f"no queued transfer with CommandKey {req.command_key!r}")
        if any(j.state != NOT_STARTED for j in jobs):
            return m.Fault.of(9021)
        for j in jobs:
            if j.task is not None:
                j.task.cancel()
            j.state = COMPLETED
            self.jobs.remove(j)
        self._save()  # a cancelled transfer must not come back after a restart
        return m.CancelTransferResponse()
