"""The asyncio CPE runtime: one TR-069 client over a parameter tree (thin I/O over ``cwmp``).

A :class:`Cpe` is given a ``ParameterTree`` (what the device serves), optional
:class:`~cwmp_cpe.transfers.DeviceHooks` (Reboot, FactoryReset, what files mean), a
:class:`~cwmp_cpe.config.CpeConfig`, a clock and a sleep function, and a
:class:`~cwmp_cpe.store.StateStore`. It decides *when* to talk to the ACS and runs the
sessions; every protocol rule lives in ``cwmp`` (session machine, event queue, retry waits,
parameter tree, digest). This module is the core that sequences the parts, each in its own
module with one job:

- ``scheduler``: the pure decisions (periodic informs, retry wait, throttle, next due time);
- ``session_run``: one session over HTTP (Inform, CPE requests, ACS requests);
- ``inform``: the Inform's events and ParameterList;
- ``cr_gate``: Connection Request authentication and rate limit;
- ``persistence``: the persisted state as named sections;
- feature modules attached through the extension points of ``extensions``:
  ``device_rpcs`` (GetRPCMethods, ScheduleInform, Reboot, FactoryReset) and
  ``transfer_jobs`` (Download, Upload, the queue, CancelTransfer, TransferComplete),
  ``heartbeat`` (``14 HEARTBEAT`` sessions of their own, TR-069 Annex O),
  ``cpe_transfers`` (RequestDownload, AutonomousTransferComplete).

One task (:meth:`_main`) parks until the next due time or a wake-up (new event, connection
request, finished transfer, changed value), then runs at most one session at a time; actions
that must not interrupt a session (Reboot, FactoryReset, firmware activation) run after it.
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
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from printbench.cwmp import events as E
from printbench.cwmp import messages as m
from printbench.cwmp import params as P
from printbench.cwmp.retry import RetryState
from printbench.cwmp_cpe import handlers as H
from printbench.cwmp_cpe import scheduler as S
from printbench.cwmp_cpe.certificates import install as install_certificates
from printbench.cwmp_cpe.config import CpeConfig, lower_version
from printbench.cwmp_cpe.cpe_transfers import CpeTransfers
from printbench.cwmp_cpe.cr_gate import ConnectionRequestGate
from printbench.cwmp_cpe.device_rpcs import DeviceRpcs
from printbench.cwmp_cpe.extensions import Feature, OutboundRequest, OutboxProvider, OwnSession
from printbench.cwmp_cpe.heartbeat import Heartbeat
from printbench.cwmp_cpe.http import AcsConnectionPool, TransferError, ssl_context
from printbench.cwmp_cpe.inform import build_inform, device_id
from printbench.cwmp_cpe.persistence import Persistence, StateSection, TimeBase, iso
from printbench.cwmp_cpe.session_run import Session, run_session
from printbench.cwmp_cpe.settings import Settings, read_settings
from printbench.cwmp_cpe.store import MemoryStore, StateStore
from printbench.cwmp_cpe.timing import Clock, Sleep, SystemTime
from printbench.cwmp_cpe.transfer_jobs import TransferJobs, transfer_complete
from printbench.cwmp_cpe.transfers import TransferJob

log = logging.getLogger(__name__)
_M = TypeVar("_M", bound=m.Message)
_F = TypeVar("_F", bound=Feature)

_Session = Session  # the old name


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
        self.sleep: Sleep = sleep or default_time.sleep
        self.name = name
        self.secrets = secrets
        self.quirks = self.config.quirks
        self.queue = E.EventQueue()
        self.transfers = E.TransferCompleteStore()
        self.retry = RetryState(rng=rng or random.Random())
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
        self.session: Session | None = None
        self.informs: list[m.Inform] = []  # recent Informs sent (for tests and the bench)
        self.listeners: list[Callable[[str, Any], None]] = []
        #: The Reboot CommandKey to report as ``M Reboot`` with the next ``1 BOOT``.
        self.pending_reboot_key: str | None = None
        #: Counts device_booted/device_factory_reset calls: a post-session action compares
        #: it to learn whether the device reported its restart itself.
        self.boot_count = 0
        self.ssl: ssl.SSLContext | None = None
        #: (URL, TLS context) the sessions use instead of ManagementServer.URL and the
        #: configured TLS files (conformance TLS steps: the same ACS on another listener).
        self.acs_transport: tuple[str, ssl.SSLContext | None] | None = None
        # Handlers take their own message type; dispatch picks them by type(request), so
        # the table's values are typed loosely and register() keeps each pair consistent.
        self._handlers: dict[type, Callable[[Any], Any]] = H.parameter_handlers(tree, self.quirks)
        self._post_session: list[Callable[[], None]] = []
        self._timers: list[S.Timer] = []
        self.outbox_providers: list[OutboxProvider] = []
        self._boot_actions: list[Callable[[], None]] = []
        self._reset_actions: list[Callable[[], None]] = []
        self._own_sessions: list[OwnSession] = []
        #: The source whose session is running (None: an ordinary session).
        self.own_session: OwnSession | None = None
        #: For features that need chance (a random heartbeat phase); tests seed it.
        self.rng = rng or random.Random()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._busy = 0
        self._task: asyncio.Task[None] | None = None
        self._running = False
        self._poll_needed = True
        self._cr_override = False
        self.periodic = S.PeriodicSchedule()
        self.persistence = Persistence(
            store or MemoryStore(),
            lambda: TimeBase(self.clock.now(), self.clock.monotonic()),
            name,
        )
        self._persist_core()
        self.cr_gate = ConnectionRequestGate(
            self.config.cr_realm,
            self.settings,
            lambda: self.clock.monotonic(),
            lambda: (self.config.cr_rate_limit, self.config.cr_rate_window),
        )
        #: Attached feature modules by name (``extensions.Feature``).
        self.features: dict[str, Feature] = {}
        self.device_rpcs = self.attach(DeviceRpcs(self))
        self.transfer_jobs = self.attach(TransferJobs(self))
        self.heartbeat = self.attach(Heartbeat(self))
        self.cpe_transfers = self.attach(CpeTransfers(self))
        #: Extra CPE requests for every session, each source called with the session's
        #: namespace (how ``cwmp_cpe.software_modules`` sends DUStateChangeComplete); an
        #: answered one is emitted to the listeners as ("acknowledged", request). A fault
        #: does not fail the session (the source keeps the record and sends it again).
        self.session_requests: list[Callable[[str], list[m.Message]]] = []
        self.add_outbox(self._session_request_outbox)

    # =========================================================================================
    # extension points (see cwmp_cpe.extensions)
    # =========================================================================================

    def attach(self, feature: _F) -> _F:
        """Keep ``feature`` (built with this Cpe) so start/stop reach it."""
        self.features[feature.name] = feature
        return feature

    def register(self, method: type[_M], handler: Callable[[_M], Any]) -> None:
        """Add or replace the handler of a CPE method (may return an awaitable)."""
        self._handlers[method] = handler

    def persist(self, section: StateSection) -> None:
        """Keep ``section`` in the persisted state (``cwmp_cpe.persistence``)."""
        self.persistence.add(section)

    def after_session(self, action: Callable[[], None]) -> None:
        """Run ``action`` once no session is open (reboots, activations)."""
        self._post_session.append(action)
        self.wake()

    _after_session = after_session  # the old name

    def add_timer(self, timer: S.Timer) -> None:
        self._timers.append(timer)

    def add_own_session(self, source: OwnSession) -> None:
        """Sessions whose Inform carries only ``source``'s events (see ``extensions``)."""
        self._own_sessions.append(source)

    def _own_session_due(self) -> OwnSession | None:
        """The source whose session goes next, if any; a boot or bootstrap Inform goes
        first (the ACS learns of a new relationship or a restart before anything else)."""
        if "0 BOOTSTRAP" in self.queue or "1 BOOT" in self.queue:
            return None
        return next((src for src in self._own_sessions if src.wanted()), None)

    def add_outbox(self, provider: OutboxProvider) -> None:
        self.outbox_providers.append(provider)

    def _session_request_outbox(self, namespace: str) -> list[OutboundRequest]:
        def acknowledged(request: m.Message) -> Callable[[m.Message], None]:
            return lambda _answer: self._emit("acknowledged", request)

        return [
            OutboundRequest(request, on_response=acknowledged(request), fault_fails_session=False)
            for source in self.session_requests
            for request in source(namespace)
        ]

    def send_request(self, out: OutboundRequest) -> bool:
        """Send ``out`` in the session open now if it can still take a request."""
        session = self.session
        if session is None or not session.open_for_requests:
            return False
        session.send(out)
        return True

    def on_boot(self, action: Callable[[], None]) -> None:
        """Run ``action`` when the device (re)starts, before ``1 BOOT`` is saved."""
        self._boot_actions.append(action)

    def on_factory_reset(self, action: Callable[[], None]) -> None:
        """Run ``action`` when the device is reset to factory settings."""
        self._reset_actions.append(action)

    @contextlib.contextmanager
    def busy(self) -> Iterator[None]:
        """Work in progress outside a session (a transfer): :meth:`idle` waits for it."""
        self._busy += 1
        try:
            yield
        finally:
            self._busy -= 1

    def emit(self, what: str, data: Any) -> None:
        """Tell the listeners (the bench, the emulator's client) what happened."""
        for listener in list(self.listeners):
            try:
                listener(what, data)
            except Exception:
                log.exception("%s: listener failed", self.name)

    _emit = emit

    def save(self) -> None:
        """Write the persisted state (after every change of it)."""
        self.persistence.save()

    _save = save

    def persistent_state(self) -> dict[str, Any]:
        return self.persistence.state()

    @property
    def store(self) -> StateStore:
        return self.persistence.store

    @store.setter
    def store(self, store: StateStore) -> None:
        self.persistence.store = store

    # -- the parts' state under the old names (tests and adapters read them) -------------------

    @property
    def _ssl(self) -> ssl.SSLContext | None:  # the old name
        return self.ssl

    @property
    def jobs(self) -> list[TransferJob]:
        return self.transfer_jobs.jobs

    @jobs.setter
    def jobs(self, jobs: list[TransferJob]) -> None:
        self.transfer_jobs.jobs = jobs

    @property
    def scheduled(self) -> list[tuple[float, str]]:
        return self.device_rpcs.scheduled

    @scheduled.setter
    def scheduled(self, scheduled: list[tuple[float, str]]) -> None:
        self.device_rpcs.scheduled = scheduled

    def _finish_job(self, job: TransferJob, fault: TransferError | None) -> None:
        self.transfer_jobs.finish(job, fault)

    def _transfer_complete(self, rec: E.TransferRecord, namespace: str) -> m.TransferComplete:
        return transfer_complete(rec, namespace)

    # =========================================================================================
    # lifecycle
    # =========================================================================================

    async def start(self, *, boot: bool = True) -> None:
        """Restore the persisted state, note the boot (``1 BOOT``) and start the main task."""
        self.transfer_jobs.forget_stopped()
        self.persistence.restore()
        if boot:
            self.device_booted()
        for feature in list(self.features.values()):
            feature.start()
        self.tree.listeners.append(self._tree_changed)
        install_certificates(self.tree, [self.config.client_cert])  # Device.Security.
        if self.config.ca_file or self.config.client_cert:
            self.ssl = ssl_context(
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
        self.transfer_jobs.cancel_tasks()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for feature in list(self.features.values()):
            await feature.stop()
        if self._tree_changed in self.tree.listeners:
            self.tree.listeners.remove(self._tree_changed)
        self.save()

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
        self.note_new_event()
        self.save()
        self.wake()

    def note_new_event(self) -> None:
        """An event that needs a session was queued. TR-069 §3.2.1.1: a failed session is
        retried after the wait "or when a new event occurs, whichever comes first" (wording
        as quoted by QA Cafe and third-party CPE notes; the PDF is not in /work/shared), so
        a new 7 TRANSFER COMPLETE, 3 SCHEDULED, 2 PERIODIC, M event or active 4 VALUE CHANGE
        ends the wait, though never before the lower end of the current Table 3 row
        (``RetryState.on_new_event``): a busy device is not faster than the table."""
        if self.retry.next_attempt is not None:
            self.retry.on_new_event(self.clock.monotonic())

    _new_event = note_new_event

    def wake(self) -> None:
        self._idle.clear()  # the loop has work: not idle until it parks again
        self._wake.set()

    def values_changed(self) -> None:
        """Device values may have changed: poll the watched parameters soon."""
        self._poll_needed = True
        self.wake()

    def device_booted(self) -> None:
        """The device (re)started: drop what does not survive, queue ``1 BOOT`` (+ M Reboot)."""
        self.boot_count += 1
        key = self.pending_reboot_key
        self.pending_reboot_key = None
        self.queue.on_reboot()
        self.queue.add("1 BOOT")
        if key is not None:
            self.queue.add("M Reboot", key)
        for action in list(self._boot_actions):
            action()
        self.tree.tracker.pending.clear()
        self.tree.tracker.prime()
        self.periodic.invalidate()
        # Table 3 counts "post reboot" retries: the waits start over; RetryCount stays (the
        # previous session still did not complete successfully).
        self.retry.on_boot()
        self.save()
        self.wake()

    def device_factory_reset(self) -> None:
        """The device was reset to factory settings: a new relationship (``0 BOOTSTRAP``)."""
        self.queue.on_factory_reset()
        self.transfers.clear()
        for action in list(self._reset_actions):
            action()
        self.tree.attributes.clear()
        self.tree.store.clear()
        self.tree.parameter_key = ""
        self.bootstrapped_url = None
        self.negotiated_version = None
        self.version_cap = self.config.cwmp_version
        self.queue.add("0 BOOTSTRAP")
        self.queue.add("1 BOOT")
        self.boot_count += 1
        self.save()
        self.wake()

    # =========================================================================================
    # connection requests (called by ConnectionRequestServer)
    # =========================================================================================

    def forget_connection_requests(self) -> None:
        """Clear the rate limiter's memory of accepted connection requests, as if its window
        had passed. For test benches that must not wait the window out between scenarios;
        a real CPE never calls it. Call it on the loop that runs this CPE."""
        self.cr_gate.forget()

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
        the answer (405, 401 with a digest challenge); see ``cr_gate`` (TR-069 §3.2.2). An
        adapter such as the proxy calls it before it probes a printer."""
        return self.cr_gate.authenticate(method, uri, authorization)

    def accept_connection_request(self) -> tuple[int, dict[str, str]]:
        """An authenticated Connection Request: 200 and a session with 6 CONNECTION REQUEST,
        or 503 when CWMP is off or the rate limit is reached (TR-069 §3.2.2)."""
        refused = self.cr_gate.admit()
        if refused is not None:
            return refused
        self._cr_override = True
        self.queue.add("6 CONNECTION REQUEST")
        self.wake()
        return 200, {}

    # =========================================================================================
    # persistence (the core's sections; features add their own)
    # =========================================================================================

    def _persist_core(self) -> None:
        def load_events(v: Any, _b: TimeBase) -> None:
            self.queue = E.EventQueue.from_json(v)

        def load_transfers(v: Any, _b: TimeBase) -> None:
            self.transfers = E.TransferCompleteStore.from_json(v)

        def load_cap(v: Any, _b: TimeBase) -> None:
            cap = v or self.config.cwmp_version
            self.version_cap = cap if cap in m.ALL_VERSIONS else self.config.cwmp_version

        def load_bootstrapped(v: Any, _b: TimeBase) -> None:
            self.bootstrapped_url = v

        def load_retry(v: Any, _b: TimeBase) -> None:
            self.retry.retry_count = max(0, int(v))

        add = self.persistence.add
        add(StateSection("events", lambda _b: self.queue.to_json(), load_events))
        add(StateSection("transfers", lambda _b: self.transfers.to_json(), load_transfers))
        add(
            StateSection(
                "tree",
                lambda _b: self.tree.persistent_state(),
                lambda v, _b: self.tree.load_state(v or {}),
            )
        )
        add(StateSection("bootstrapped_url", lambda _b: self.bootstrapped_url, load_bootstrapped))
        add(StateSection("version_cap", lambda _b: self.version_cap, load_cap))
        # RetryCount is zero iff the previous session completed successfully (TR-069
        # A.3.3.1): it must outlive a restart of the process.
        add(StateSection("retry_count", lambda _b: self.retry.retry_count, load_retry))

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
        await self.sleep(delay)
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
            self.note_new_event()
            self.save()
        if self.periodic.tick(
            now, self.clock.now(), s.periodic_enable, s.periodic_interval, s.periodic_time
        ):
            self.queue.add("2 PERIODIC")
            self.note_new_event()
        S.fire_all(
            self._timers,
            now,
            lambda t: log.exception("%s: timer %r failed", self.name, t),
        )
        if self._poll_needed:
            self._poll_needed = False
            self.tree.tracker.poll(now)

    def _loop_state(self, now: float, s: Settings) -> S.LoopState:
        return S.LoopState(
            now=now,
            enabled=bool(s.enabled and s.url),
            queued_events=len(self.queue),
            has_active_change=self.tree.tracker.has_active,
            retry_next=self.retry.next_attempt,
            cr_override=self._cr_override,
            throttle_due=S.throttle_due(self.last_success_end, s.throttle),
        )

    def _want_session(self, now: float, s: Settings | None = None) -> bool:
        if s is None:
            s = self.settings()
        if self.retry.next_attempt is not None and self._new_active_change():
            self.retry.on_new_event(now)  # an active 4 VALUE CHANGE is a new event too
        extra = any(src.wanted() for src in self._own_sessions)
        return S.want_session(self._loop_state(now, s), extra_wanted=extra)

    def _new_active_change(self) -> bool:
        """An active value change that arrived after the last failed attempt."""
        since = self.retry.failed_at
        return since is not None and any(
            c.active and c.at > since for c in self.tree.tracker.pending.values()
        )

    def _next_due(self, now: float, s: Settings | None = None) -> float | None:
        if s is None:
            s = self.settings()
        timers = [self.periodic.next] + [t.due() for t in self._timers]
        extra = any(src.wanted() for src in self._own_sessions)
        return S.next_due(self._loop_state(now, s), timers, extra_wanted=extra)

    async def _run_post_session(self) -> None:
        actions, self._post_session = self._post_session, []
        with self.busy():
            for action in actions:
                try:
                    action()
                except Exception:
                    log.exception("%s: post-session action failed", self.name)

    def _tree_changed(self, op: str, names: list[str]) -> None:
        self.periodic.invalidate()  # settings may have changed
        self.save()
        self.wake()

    # =========================================================================================
    # a session
    # =========================================================================================

    def _build_inform(self, s: Settings) -> tuple[m.Inform, list[str]]:
        own = self.own_session = self._own_session_due()
        if own is not None:
            # A session of its own: only the source's events; queued events and value
            # changes wait for the next ordinary session.
            events, changes = own.inform_events(), []
        else:
            changes = self.tree.tracker.pending_changes()
            if changes:
                self.queue.add("4 VALUE CHANGE")
            events = self.queue.inform_events()
        inform = build_inform(
            self.tree,
            root=self.config.root,
            events=events,
            changes=changes,
            device=self.config.device_id or device_id(self.tree, self.config.root),
            now=self.clock.now(),
            retry_count=self.retry.retry_count,
        )
        return inform, [c.name for c in changes]

    def _cookie_ok(self, header: str) -> bool:
        if "cookies-need-path" not in self.quirks:
            return True
        attrs = [a.strip().lower() for a in header.split(";")[1:]]
        return any(a.startswith("path=") for a in attrs)

    async def _run_session(self, settings: Settings | None = None) -> None:
        """One session. ``settings``: as read by the main loop just before (nothing awaited
        since); None reads them afresh."""
        s = settings if settings is not None else self.settings()
        self._cr_override = False
        self._refresh(self.clock.monotonic(), s)
        await run_session(self, s)

    def _session_done(
        self, inform: m.Inform, *, informed: bool, ok: bool, version_fault: bool
    ) -> None:
        """Account for the session just ended (called by ``session_run``)."""
        now = self.clock.monotonic()
        self.last_session_end = now
        own, self.own_session = self.own_session, None
        if not informed:
            self.failed_sessions += 1
            if own is not None:
                own.failed()
            else:
                self.queue.on_session_failed()
            lower = lower_version(self.version_cap)
            if version_fault and lower is not None:
                self.version_cap = lower
        if ok:
            self.retry.on_success()
            self.last_success_end = now
        else:
            # Every kind of failure (refused, HTTP error, bad envelope, strict cwmp:ID
            # mismatch, timeout, a session broken off after the InformResponse, a faulted
            # TransferComplete) counts: RetryCount is zero only after a successful session
            # (TR-069 A.3.3.1) and the next attempt waits out Table 3 (§3.2.1.1).
            self.retry.on_failure(now)
        self.save()
        self.emit("session", {"ok": ok, "inform": inform})

    def record_acs_violation(self, rule: str, spec: str, message: str) -> None:
        """Note something the ACS did wrong (kept, logged, and passed to the listeners)."""
        self.acs_violation_seq += 1
        v = {
            "seq": self.acs_violation_seq,
            "rule": rule,
            "spec": spec,
            "message": message,
            "at": iso(self.clock.now()),
        }
        self.acs_violations.append(v)
        del self.acs_violations[:-100]
        log.warning("%s: ACS violation %s: %s", self.name, rule, message)
        self.emit("acs-violation", v)

    def _on_inform_accepted(
        self, inform: m.Inform, change_names: list[str], version: str, s: Settings
    ) -> None:
        self.sessions += 1
        self.negotiated_version = version
        codes = {e.event_code for e in inform.event}
        if self.own_session is not None:
            self.own_session.accepted()
        else:
            self.queue.on_inform_response()
            self.tree.tracker.acknowledge(change_names)
        if "0 BOOTSTRAP" in codes:
            self.bootstrapped_url = s.url
        self.save()

    # =========================================================================================
    # RPCs
    # =========================================================================================

    def supported_methods(self) -> tuple[str, ...]:
        return tuple(c.METHOD for c in m.CPE_METHODS if c in self._handlers)

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
