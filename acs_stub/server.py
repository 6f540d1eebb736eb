"""The stub ACS's CWMP endpoint: an aiohttp adapter over the cwmp core.

Why it is shaped like GenieACS (genieacs/genieacs lib/cwmp.ts): a session starts with an
Inform, is found again by its cookie (``session=<id>``) or by the TCP connection it arrived
on, takes CPE requests until the CPE's empty POST, then runs the RPCs queued for the device
and ends with an empty HTTP 204. One session per device at a time: a second Inform from a
device already in session gets HTTP 400 "CPE already in session". Idle sessions expire after
``session_timeout`` seconds (30 by default, as ``cwmp.sessionTimeout``).

Every exchange goes to the journal and every incoming envelope to the judge. Bad input never
gets a 500: a body that is not a CWMP envelope is answered with the CWMP fault the codec names
(8002/8003/8000/8004) or an HTTP 4xx.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import secrets
import ssl
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from printbench.acs_stub.files import FileStore
from printbench.acs_stub.httpauth import AuthPolicy, HttpAuthenticator
from printbench.acs_stub.journal import MAX_UNDECODED_KEPT, Journal, body_text, pick_headers
from printbench.acs_stub.registry import (
    EVENTS_SEEN_KEPT,
    SESSION_IDS_KEPT,
    Device,
    Registry,
)
from printbench.acs_stub.rpc_queue import QueuedRpc
from printbench.acs_stub.store import STATE_FILE, AcsStore
from printbench.acs_stub.tls import add_listener, note_tls, server_context
from printbench.acs_stub.verdicts import Judge, SessionView, attempt_key
from printbench.common import httplog
from printbench.common.clock import Clock, SystemClock
from printbench.common.connlimit import ConnectionCaps
from printbench.common.httpguard import GuardedAppRunner, HttpTimeouts
from printbench.cwmp import messages as m
from printbench.cwmp import soap
from printbench.cwmp.errors import CwmpDecodeError, CwmpEncodeError, CwmpError
from printbench.cwmp.session import (
    AcsSession,
    AcsState,
    BadRequestReceived,
    CpeRequestReceived,
    EmptyPostReceived,
    InformReceived,
    Reply,
    RpcFaultReceived,
    RpcResponseReceived,
    highest_common_version,
    implied_version,
)

log = logging.getLogger(__name__)

#: Bodies over this size are refused with 413 before parsing (the codec's own cap is 1 MiB).
MAX_BODY = 32 * 1024 * 1024  # a GetParameterValuesResponse of a whole tree is megabytes

#: Responses the ACS sends to CPE requests it supports.
_CPE_REQUEST_RESPONSES: dict[type, Callable[[Any], m.Message]] = {
    m.TransferComplete: lambda req: m.TransferCompleteResponse(),
    m.AutonomousTransferComplete: lambda req: m.AutonomousTransferCompleteResponse(),
    m.GetRPCMethods: lambda req: m.GetRPCMethodsResponse(
        method_list=tuple(c.METHOD for c in m.ACS_METHODS)
    ),
    m.RequestDownload: lambda req: m.RequestDownloadResponse(),
    m.Kicked: lambda req: m.KickedResponse(next_url=req.next),
    m.DUStateChangeComplete: lambda req: m.DUStateChangeCompleteResponse(),
    m.AutonomousDUStateChangeComplete: lambda req: m.AutonomousDUStateChangeCompleteResponse(),
}


@dataclass
class AcsConfig:
    """Settings of one stub ACS; every field has a default that works on loopback."""

    host: str = "127.0.0.1"
    port: int = 7547
    control_port: int = 7557
    cwmp_path: str = "/"
    ssl_cert: Path | None = None
    ssl_key: Path | None = None
    #: Verify CPE client certificates against this CA file (optional unless required).
    client_ca: Path | None = None
    #: Mutual TLS: a CPE without a certificate from ``client_ca`` cannot connect.
    require_client_cert: bool = False
    session_timeout: float = 30.0
    auth: AuthPolicy = field(default_factory=AuthPolicy)
    #: GenieACS's ``cwmp.cookiesPath``: add ``Path=<value>`` to the session cookie.
    cookie_path: str | None = None
    journal_dir: Path | None = None  # None: printbench.common.settings.reports_dir()
    journal_file: bool = True
    xsd_checks: bool = True
    verdicts: bool = True
    #: Called on every accepted Inform; returns RPCs to enqueue (an auto-provisioning policy).
    on_inform: Callable[[Device, m.Inform], Iterable[m.Message]] | None = None
    #: Seconds a connection may take to send its request (slow clients are cut off).
    read_timeout: float = 10.0
    # seconds a CPE may take to send a request head (then 408 and close; docs/acs.md)
    head_timeout: float = 30.0
    #: Journal entries kept in memory (the oldest are dropped beyond it). 0 together with
    #: ``journal_file=False`` keeps no journal at all: a load run's lean ACS.
    journal_keep: int = 200_000
    #: Bytes of journal bodies kept in memory (the oldest entries go first; issue 17).
    journal_keep_bytes: int = 64 * 1024 * 1024
    #: Size of a journal file before it rotates to ``.1`` (0: never), rotated files kept.
    journal_max_file_bytes: int = 256 * 1024 * 1024
    journal_keep_files: int = 3
    #: Keep the registry and the queued RPCs in ``<journal folder>/acs-state.sqlite3`` so a
    #: restarted ACS on the same folder loses none (``printbench acs`` does; issue 17).
    persist: bool = False
    #: Admission control: with this many sessions in progress a new session is refused at
    #: once with HTTP 503 (no Retry-After) instead of queueing past the CPEs' HTTP timeout;
    #: the CPE counts a failed session and retries after its session retry wait
    #: (CWMPRetryMinimumWaitInterval...). 0: no limit.
    max_sessions: int = 0
    #: Open CWMP connections per client address (0: no cap; a fleet's CPEs may all come
    #: from one address, like CPEs behind NAT) and in total; past one a connection gets
    #: 503 + Retry-After at once (common/connlimit.py, docs/acs.md).
    max_conns_per_client: int = 0
    max_conns: int = 8192


@dataclass(eq=False)
class StubSession:
    """One CWMP session in progress: the cwmp machine plus what the stub adds around it."""

    id: str
    device: Device
    view: SessionView
    machine: AcsSession
    started: float
    last_activity: float
    in_flight: QueuedRpc | None = None
    ended: asyncio.Future[str] | None = None
    transports: weakref.WeakSet = field(default_factory=weakref.WeakSet)
    done: bool = False  # ended (204 sent, expired or dropped)
    seen: int = 0  # envelopes of machine.journal already handed to the judge

    @property
    def namespace(self) -> str:
        return self.machine.namespace


@dataclass
class _Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    method: str | None = None
    cwmp_id: str | None = None
    note: str = ""
    session: StubSession | None = None


class AcsServer:
    """The CWMP endpoint with its registry, journal, judge and file store."""

    def __init__(self, config: AcsConfig | None = None, *, clock: Clock | None = None) -> None:
        self.config = config or AcsConfig()
        self.clock = clock or SystemClock()
        self.registry = Registry()
        journal_path = None
        if self.config.persist:
            from printbench.common.settings import reports_dir

            state = (self.config.journal_dir or reports_dir()) / STATE_FILE
            self.registry = Registry(AcsStore(state))
        if self.config.journal_file:
            from printbench.common.settings import reports_dir

            folder = self.config.journal_dir or reports_dir()
            stamp = self.clock.now().strftime("%Y%m%dT%H%M%S")
            journal_path = folder / f"acs-journal-{stamp}-{secrets.token_hex(3)}.jsonl"
        self.journal = Journal(
            journal_path,
            clock_now=self.clock.now,
            keep=max(0, self.config.journal_keep),
            keep_bytes=max(0, self.config.journal_keep_bytes),
            max_file_bytes=max(0, self.config.journal_max_file_bytes),
            keep_files=self.config.journal_keep_files,
        )
        self.judge = Judge(xsd=self.config.xsd_checks)
        #: Per device: what to send after answering its RequestDownload (control API).
        self.request_download_answers: dict[
            str, Callable[[m.RequestDownload], list[m.Message]]
        ] = {}
        self.authenticator = HttpAuthenticator(
            realm="printbench-acs", monotonic=self.clock.monotonic
        )
        self.files = FileStore()
        self.sessions: dict[str, StubSession] = {}
        self.refused = 0  # new sessions refused with 503 (max_sessions)
        self._by_device: dict[str, StubSession] = {}
        # The TCP connection a session runs on (for CPEs that drop the cookie), weakly held.
        self._by_transport: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._inform_waiters: list[tuple[Callable[[Device, m.Inform], bool], asyncio.Future]] = []
        self._session_waiters: dict[str, list[asyncio.Future[StubSession]]] = {}
        self._runners: list[web.AppRunner] = []
        self._sweeper: asyncio.Task | None = None
        self.cwmp_url = ""
        self.control_url = ""
        self.files_url = ""
        #: Extra HTTPS listeners of the CWMP endpoint: port -> name (acs_stub.tls).
        self.tls_ports: dict[int, str] = {}

    # -- lifecycle -------------------------------------------------------------------------
    def cwmp_app(self) -> web.Application:
        httplog.install()
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_route("POST", self.config.cwmp_path, self._handle)
        app.router.add_route("*", self.config.cwmp_path, self._not_post)
        return app

    async def start(self, control_app: web.Application | None = None) -> None:
        """Listen on the CWMP port and on the control port (control API + files)."""
        cfg = self.config
        restored = self.registry.restore()  # a persisted ACS's devices and queued RPCs
        if self.registry.store is not None:
            log.info(
                "stub ACS: %d devices and %d queued RPCs restored from %s",
                len(self.registry),
                restored,
                self.registry.store.path,
            )
        ssl_ctx = None
        if cfg.ssl_cert and cfg.ssl_key:
            ssl_ctx = server_context(
                cfg.ssl_cert,
                cfg.ssl_key,
                client_ca=cfg.client_ca,
                require_client=cfg.require_client_cert,
            )
        runner = GuardedAppRunner(
            self.cwmp_app(),
            timeouts=HttpTimeouts(
                head=cfg.head_timeout,
                body=cfg.read_timeout,
                caps=ConnectionCaps(per_client=cfg.max_conns_per_client, total=cfg.max_conns),
            ),
            access_log=None,
            handler_cancellation=True,
            shutdown_timeout=1.0,
        )
        await runner.setup()
        site = web.TCPSite(runner, cfg.host, cfg.port, ssl_context=ssl_ctx, backlog=1024)
        await site.start()
        self._runners.append(runner)
        port = _bound_port(runner)
        scheme = "https" if ssl_ctx else "http"
        self.cwmp_url = f"{scheme}://{_host(cfg.host)}:{port}{cfg.cwmp_path}"

        side = control_app or web.Application()
        side.add_subapp("/fs", self.files.app())
        runner2 = web.AppRunner(side, access_log=None, shutdown_timeout=1.0)
        await runner2.setup()
        await web.TCPSite(runner2, cfg.host, cfg.control_port).start()
        self._runners.append(runner2)
        cport = _bound_port(runner2)
        self.control_url = f"http://{_host(cfg.host)}:{cport}"
        self.files_url = f"{self.control_url}/fs"
        self.files.base_url = self.files_url
        self._sweeper = asyncio.create_task(self._sweep())

    def cwmp_runner(self) -> web.AppRunner:
        """The CWMP endpoint's runner (more listeners can be added to it: acs_stub.tls)."""
        if not self._runners:
            raise RuntimeError("the stub ACS is not started")
        return self._runners[0]

    async def add_tls_listener(self, name: str, ctx: ssl.SSLContext) -> str:
        """Serve the CWMP endpoint over TLS on a new port too; returns its port as text
        (the caller builds the URL with the host name its certificate names)."""
        return str(await add_listener(self, name, ctx, self.config.host))

    async def stop(self) -> None:
        if self._sweeper:
            self._sweeper.cancel()
            self._sweeper = None
        for session in list(self.sessions.values()):
            self._end_session(session, "dropped: server stopped")
            self._forget(session)
        for runner in reversed(self._runners):
            await runner.cleanup()
        self._runners.clear()
        self.journal.close()
        if self.registry.store is not None:
            for device in self.registry:
                self.registry.save(device)
            self.registry.store.close()

    async def _sweep(self) -> None:
        interval = max(0.05, min(1.0, self.config.session_timeout / 4))
        while True:
            await asyncio.sleep(interval)
            self.expire_sessions()

    def expire_sessions(self) -> list[str]:
        """Drop sessions idle longer than the timeout (by the injected clock); their ids."""
        now = self.clock.monotonic()
        expired = [
            s
            for s in self.sessions.values()
            if now - s.last_activity >= self.config.session_timeout
        ]
        dropped = []
        for session in expired:
            if not session.done:
                dropped.append(session.id)
                self._end_session(session, "expired")
            self._forget(session)  # a finished session lingering after its 204 just goes
        return dropped

    # -- HTTP handling -----------------------------------------------------------------------
    async def _not_post(self, request: web.Request) -> web.Response:
        return web.Response(status=405, text="CWMP endpoint: use POST\n", headers={"Allow": "POST"})

    async def _handle(self, request: web.Request) -> web.Response:
        transport_key = request.transport
        try:
            # asyncio.timeout, not wait_for: no extra task per request (a hot path under load).
            async with asyncio.timeout(self.config.read_timeout):
                body = await request.read()
        except TimeoutError:
            self._journal_in(request, None, b"", note="body not received in time")
            return self._respond(
                request, None, _Reply(408, b"request timeout\n", note="slow client")
            )
        except web.RequestPayloadError as exc:
            # A body that does not decode (Content-Encoding: gzip with a corrupt stream, a
            # broken chunked framing): the client's fault, RFC 9110 §15.5.1 400, one line.
            reason = httplog.one_line(exc)
            log.info("stub ACS: undecodable request body from %s: %s", request.remote, reason)
            self._journal_in(request, None, b"", note=f"bad request content: {reason}")
            reply = _Reply(400, b"request body could not be decoded\n", note="bad content")
            response = self._respond(request, None, reply)
            # the rest of the body cannot be framed any more: close (RFC 9112 §9.6)
            response.force_close()
            return response
        except web.HTTPRequestEntityTooLarge:
            self._journal_in(request, None, b"", note="body over the size limit")
            reply = _Reply(413, b"request body too large\n", note="refused: too large")
            return self._respond(request, None, reply)
        except (ConnectionError, OSError) as exc:
            # The CPE went away mid-request (a client timeout, a stopped fleet): nobody to
            # answer; a journal note instead of an unhandled-exception traceback.
            self._journal_in(request, None, b"", note=f"connection lost: {exc}")
            raise web.HTTPBadRequest(text="connection lost\n") from None
        session, by_cookie = self._find_session(request, transport_key)
        same_connection = None
        if (
            session is not None
            and not by_cookie
            and not _awaits_inform_resend(session)
            and _INFORM_RE.search(body[:4096])
        ):
            # A cookie-less Inform on a connection that carried another session (a pooled
            # connection, e.g. a proxy with many virtual devices): a new session, and the
            # other one is left alone unless it belongs to the same device.
            same_connection, session = session, None
        limit = self.config.max_sessions
        if session is None and limit > 0 and len(self._by_device) >= limit:
            self.refused += 1
            self._journal_in(request, None, body, note="refused: too many sessions")
            reply = _Reply(503, b"too many sessions in progress\n", note="overloaded")
            return self._respond(request, None, reply)
        try:
            reply = self._step(request, session, body, transport_key, same_connection)
        except Exception:  # never let a bug become a 500 with a traceback
            log.exception("stub ACS failed on a POST")
            reply = _Reply(400, b"request could not be processed\n", note="internal error")
            session = None
        return self._respond(request, reply.session or session, reply)

    def _find_session(self, request: web.Request, transport_key: Any):
        """(session, found by cookie): by the session cookie, else by the TCP connection."""
        cookie = request.cookies.get("session")
        session = self.sessions.get(cookie) if cookie else None
        if session is not None:
            return session, True
        if transport_key is not None:
            return self._by_transport.get(transport_key), False
        return None, False

    def _respond(self, request: web.Request, session: StubSession | None, reply: _Reply):
        headers = dict(reply.headers)
        if reply.body and "Content-Type" not in headers and reply.status in (200, 400):
            headers["Content-Type"] = soap.CONTENT_TYPE
        response = web.Response(status=reply.status, body=reply.body, headers=headers)
        if not self.journal.active:
            return response
        self.journal.record(
            "http",
            "acs->cpe",
            device=session.device.id if session else None,
            session=session.id if session else None,
            http_status=reply.status,
            headers=pick_headers(response.headers),
            body=body_text(reply.body),
            method=reply.method if reply.body else "",
            cwmp_id=reply.cwmp_id,
            note=reply.note,
        )
        return response

    def _journal_in(
        self, request, session, body: bytes, *, method=None, cwmp_id=None, note="", device=None
    ):
        if not self.journal.active:
            return self.journal.record("http", "cpe->acs")
        if device is None and session is not None:
            device = session.device
        return self.journal.record(
            "http",
            "cpe->acs",
            device=device.id if device else None,
            session=session.id if session else None,
            http_method=request.method,
            path=request.path,
            headers=pick_headers(request.headers),
            body=body_text(body),
            method=method,
            cwmp_id=cwmp_id,
            note=note,
        )

    # -- the protocol step -------------------------------------------------------------------
    def _step(self, request, session: StubSession | None, body: bytes, tkey: Any, same_conn=None):
        now = self.clock.monotonic()
        if session is None:
            return self._start(request, body, tkey, now, same_conn)
        return self._continue(request, session, body, tkey, now)

    def _new_machine(self) -> AcsSession:
        return AcsSession(timeout=self.config.session_timeout, max_size=MAX_BODY)

    def _start(
        self, request: web.Request, body: bytes, tkey: Any, now: float, same_conn=None
    ) -> _Reply:
        """A POST outside any session: it must be an Inform."""
        machine = self._new_machine()
        try:
            ev = machine.receive(body, now)
        except CwmpError as exc:
            env = _last_received(machine, 0)
            # a body that is no envelope at all keeps only its start (issue 17: each refused
            # ~1 MB POST kept 256 KB); what did decode is kept for the verdicts' readers
            kept = body if env is not None else body[:MAX_UNDECODED_KEPT]
            entry = self._journal_in(
                request, None, kept, method=_method_of(env, body, exc), note=str(exc)
            )
            if self.config.verdicts:
                view = SessionView(session_id="-")
                if env is not None and isinstance(env.body, m.Inform):
                    view.device = self._device_for(env.body)
                    self.judge.envelope(view, body, env, entry.ref, headers=request.headers)
                    self.judge.inform(view, env, entry.ref, view.device)
                elif env is not None or soap.is_empty(body):
                    self.judge.session_start_violation(
                        view, (env.method or "") if env else "", entry.ref
                    )
            reply = machine.error_reply(exc)
            return _Reply(_no_500(reply.status), reply.body, method="Fault", note=str(exc))
        assert isinstance(ev, InformReceived)
        env = ev.envelope
        device = self._device_for(ev.inform)
        policy = device_auth_policy(device, self.config.auth)
        denied = self.authenticator.check(request, policy)
        if denied is not None:
            entry = self._journal_in(
                request, None, body, method="Inform", cwmp_id=env.id, device=device
            )
            headers = {"WWW-Authenticate": denied.headers["WWW-Authenticate"]}
            self._refused_inform(device, env, entry.ref)
            refusal = denied.body if isinstance(denied.body, bytes | bytearray) else b""
            return _Reply(401, bytes(refusal), headers, note=f"{policy.mode} auth required")
        current = self._by_device.get(device.id)
        if current is not None and not current.done and _awaits_inform_resend(current):
            # The Inform answered with 8005, sent again on a new connection without the
            # cookie: it continues that session.
            return self._continue(request, current, body, tkey, now)
        if current is not None and current is same_conn:
            # The same device, the same connection, a fresh Inform: it gave up the old one.
            self._end_session(current, "dropped: new Inform")
            current = None
        if current is not None:
            if now - current.last_activity < self.config.session_timeout:
                self._journal_in(
                    request, None, body, method="Inform", cwmp_id=env.id, device=device
                )
                return _Reply(400, b"CPE already in session\n", note="CPE already in session")
            self._end_session(current, "expired")
        # The session exists from here on.
        session = self._new_session(device, machine, tkey, now)
        entry = self._journal_in(request, session, body, method="Inform", cwmp_id=env.id)
        note_tls(self, request, session, entry.ref)  # over TLS: the client certificate
        session.seen = len(machine.journal)
        if self.config.verdicts:
            self.judge.envelope(session.view, body, env, entry.ref, headers=request.headers)
        return self._on_inform(session, ev, entry.ref, now)

    def _on_inform(self, session: StubSession, ev: InformReceived, ref: int, now: float):
        """Answer an Inform (the first POST, or the same Inform again after 8005)."""
        machine = session.machine
        device = session.device
        env = ev.envelope
        retry = self._scripted_retry(session, env, ref)
        if retry is not None:
            # 8005 keeps the session (cwmp AcsSession): the CPE sends the same Inform again
            # on it; the cookie lets a CPE that opens a new connection find it.
            out = self._reply(machine.respond(retry, now), session, note="scripted 8005")
            out.headers["Set-Cookie"] = self._cookie(session)
            return out
        codes = {e.event_code for e in ev.inform.event}
        session.view.connection_requested = device.take_connection_request_credit(
            "6 CONNECTION REQUEST" in codes
        )
        if self.config.verdicts:
            self.judge.inform(session.view, env, ref, device)
        self._apply_inform(session, device, ev.inform)
        if device.cwmp_versions is not None:  # a narrower offer for this device
            ev = dataclasses.replace(ev, cwmp_version=_offer(machine, env, device.cwmp_versions))
        hold = device.hold_on_inform
        device.hold_on_inform = False
        reply = machine.respond_inform(now, hold_requests=hold)
        session.view.held = machine.last_hold
        out = self._reply(reply, session)
        if ev.cwmp_version is None:
            self._end_session(session, "failed: no common CWMP version (8006)")
        else:
            out.headers["Set-Cookie"] = self._cookie(session)
        self._notify_inform(device, ev.inform)
        return out

    def _refused_inform(self, device: Device, env: m.Envelope, ref: int) -> None:
        """An Inform answered 401 is a failed session attempt the CPE counts in RetryCount,
        unless it is the same Inform again (same cwmp:ID, RetryCount, CurrentTime: a
        challenge or a stale nonce answered within one attempt)."""
        inform = env.body
        assert isinstance(inform, m.Inform)  # only an Inform is refused this way
        key = attempt_key(env)
        if key == device.last_refused_attempt:
            return
        if self.config.verdicts:
            self.judge.retry_count(SessionView(session_id="-", device=device), inform, ref, device)
        device.last_refused_attempt = key
        device.last_session_ok = False
        device.last_retry_count = inform.retry_count

    def _continue(
        self, request: web.Request, session: StubSession, body: bytes, tkey: Any, now: float
    ) -> _Reply:
        machine = session.machine
        view = session.view
        self._touch(session, tkey, now)
        try:
            ev = machine.receive(body, now)
        except CwmpError as exc:
            env = _last_received(machine, session.seen)
            session.seen = len(machine.journal)
            if env is not None and isinstance(env.body, m.Inform):
                # A new Inform on this session's cookie or connection: a new session.
                if not session.done:
                    self._end_session(session, "dropped: new Inform")
                self._forget(session)
                return self._start(request, body, tkey, now)
            entry = self._journal_in(
                request, session, body, method=_method_of(env, body, exc), note=str(exc)
            )
            if self.config.verdicts:
                if env is not None:
                    self.judge.envelope(view, body, env, entry.ref, headers=request.headers)
                elif isinstance(exc, CwmpDecodeError) or not soap.is_empty(body):
                    self.judge.undecodable(view, body, str(exc), entry.ref)
                else:
                    self.judge.empty_post_while_outstanding(view, entry.ref)
            if session.in_flight is not None:
                session.in_flight.abort(f"protocol error: {exc}")
                session.in_flight = None
            reply = machine.error_reply(exc)
            self._end_session(session, f"failed: {exc}")
            return _Reply(
                _no_500(reply.status), reply.body, method="Fault", note=str(exc), session=session
            )
        self._transfer_responses_delivered(session)  # a next message: they arrived
        env = _last_received(machine, session.seen)
        session.seen = len(machine.journal)
        entry = self._journal_in(
            request,
            session,
            body,
            method=env.method if env else "",
            cwmp_id=env.id if env else None,
        )
        if env is not None and self.config.verdicts:
            self.judge.envelope(view, body, env, entry.ref, headers=request.headers)
        if isinstance(ev, InformReceived):  # the Inform again after our 8005
            return self._on_inform(session, ev, entry.ref, now)
        if isinstance(ev, CpeRequestReceived):
            return self._on_cpe_request(session, ev, entry.ref, now)
        if isinstance(ev, BadRequestReceived):
            return self._reply(machine.respond(ev.fault, now), session, note=str(ev.error))
        if isinstance(ev, EmptyPostReceived):
            if self.config.verdicts:
                self.judge.empty_post(view, request.headers, entry.ref)
            view.any_empty_post = True
            if not view.held:
                view.empty_post_seen = True
            return self._next_rpc(session, now)
        if isinstance(ev, RpcResponseReceived | RpcFaultReceived):
            return self._on_answer(session, ev, now)
        raise AssertionError(f"unexpected session event {ev!r}")  # pragma: no cover

    def _device_for(self, inform: m.Inform) -> Device:
        did = inform.device_id
        return self.registry.for_identity(
            did.manufacturer, did.oui, did.product_class, did.serial_number
        )

    def _touch(self, session: StubSession, tkey: Any, now: float) -> None:
        session.last_activity = now
        if tkey is not None and tkey not in session.transports:
            session.transports.add(tkey)
            self._by_transport[tkey] = session

    def _reply(self, reply: Reply, session: StubSession, note: str = "") -> _Reply:
        # The judge's view of HoldRequests follows every ACS message (TR-069 §3.5 Table 4:
        # the header holds for the message carrying it; one without it releases the hold),
        # not only InformResponse and RPCs: a response to a CPE request releases it too.
        session.view.held = session.machine.last_hold
        env = _last_sent(session.machine)
        return _Reply(
            _no_500(reply.status),
            reply.body,
            method=env.method if env is not None and reply.body else None,
            cwmp_id=env.id if env is not None and reply.body else None,
            note=note,
            session=session,
        )

    def _cookie(self, session: StubSession) -> str:
        cookie = f"session={session.id}"
        if self.config.cookie_path:
            cookie += f"; Path={self.config.cookie_path}"
        return cookie

    def _new_session(self, device: Device, machine: AcsSession, tkey: Any, now: float):
        sid = secrets.token_hex(8)
        view = SessionView(session_id=sid, device=device, namespace=machine.namespace)
        session = StubSession(
            id=sid,
            device=device,
            view=view,
            machine=machine,
            started=now,
            last_activity=now,
            ended=asyncio.get_running_loop().create_future(),
        )
        self.sessions[sid] = session
        self._by_device[device.id] = session
        if tkey is not None:
            session.transports.add(tkey)
            self._by_transport[tkey] = session
        device.session_ids.append(sid)
        if len(device.session_ids) > SESSION_IDS_KEPT:  # bounded in a long run (issue 17)
            del device.session_ids[:-SESSION_IDS_KEPT]
        self.journal.record("session", device=device.id, session=sid, note="session started")
        for future in self._session_waiters.pop(device.id, []):
            if not future.done():
                future.set_result(session)
        return session

    def _apply_inform(self, session: StubSession, device: Device, inform: m.Inform) -> None:
        view = session.view
        view.inform = inform
        view.inform_events = [(e.event_code, e.command_key) for e in inform.event]
        device.last_inform = inform
        device.last_inform_at = self.clock.now()
        device.inform_count += 1
        device.last_retry_count = inform.retry_count
        device.last_refused_attempt = None
        device.events_seen.extend(view.inform_events)
        if len(device.events_seen) > EVENTS_SEEN_KEPT:  # bounded in a long run (issue 17)
            del device.events_seen[:-EVENTS_SEEN_KEPT]
        codes = {c for c, _ in view.inform_events}
        if "1 BOOT" in codes or "0 BOOTSTRAP" in codes:
            device.pending_reboot_key = None
        if "0 BOOTSTRAP" in codes:
            device.outstanding_transfers.clear()
            device.expected_parameter_key = None
        self.registry.update_params(device, {p.name: p.value for p in inform.parameter_list})
        if self.config.on_inform is not None:
            for rpc in self.config.on_inform(device, inform):
                device.queue.put(rpc)
        self.registry.save(device)

    def _scripted_retry(self, session: StubSession, env: m.Envelope, ref: int) -> m.Fault | None:
        """8005 on purpose: a Fault to send if scripted; checks that a resend is unchanged."""
        device = session.device
        body = env.body
        previous = device.retry_expected
        if previous is not None:
            device.retry_expected = None
            if self.config.verdicts and (body is None or not _same_request(previous, body)):
                self.judge.add(
                    session.view,
                    "retry-same-request",
                    f"after 8005 to {previous.METHOD} the CPE sent {env.method} "
                    "(or changed its arguments)",
                    ref,
                )
        if device.retry_faults > 0:
            device.retry_faults -= 1
            device.retry_expected = body
            return m.Fault.of(8005)
        return None

    # CPE requests ----------------------------------------------------------------------------
    def _on_cpe_request(
        self, session: StubSession, ev: CpeRequestReceived, ref: int, now: float
    ) -> _Reply:
        body = ev.request
        retry = self._scripted_retry(session, ev.envelope, ref)
        if retry is not None:
            return self._reply(session.machine.respond(retry, now), session, note="scripted 8005")
        if isinstance(body, m.TransferComplete):
            # Forgotten only once the TransferCompleteResponse is known to have arrived (the
            # session's next message, or a normal end): a CPE that lost it resends the same
            # TransferComplete in its next session (TR-069 A.3.3.2, 7/M Download kept until
            # the response), which must still match.
            session.view.transfers_answered.append(body.command_key)
        elif isinstance(body, m.DUStateChangeComplete):
            session.view.transfers_answered.append("du:" + (body.command_key or ""))
        if isinstance(body, m.RequestDownload):
            # The ACS "may then send a Download" (TR-069 A.4.2.2): queued for this session.
            answer = self.request_download_answers.get(session.device.id)
            for rpc in answer(body) if answer is not None else ():
                session.device.queue.put(rpc)
        make = _CPE_REQUEST_RESPONSES[type(body)]
        return self._reply(session.machine.respond(make(body), now), session)

    # The ACS speaks: after the empty POST and after each answer -----------------------------
    def _on_answer(self, session: StubSession, ev, now: float) -> _Reply:
        item, session.in_flight = session.in_flight, None
        view = session.view
        view.outstanding = None
        view.outstanding_id = None
        if isinstance(ev, RpcFaultReceived):
            if item is not None:
                item.fail(ev.fault)
        else:
            self._apply_response(session, ev.request, ev.response)
            if item is not None:
                item.resolve(ev.response)
        return self._next_rpc(session, now)

    def _apply_response(self, session: StubSession, request: m.Message, body: m.Message) -> None:
        device = session.device
        if isinstance(body, m.GetParameterValuesResponse):
            self.registry.update_params(device, {p.name: p.value for p in body.parameter_list})
        elif isinstance(request, m.SetParameterValues | m.AddObject | m.DeleteObject):
            device.expected_parameter_key = request.parameter_key
            if isinstance(request, m.SetParameterValues):
                self.registry.update_params(
                    device, {p.name: p.value for p in request.parameter_list}
                )
        elif isinstance(request, m.Download | m.Upload | m.ScheduleDownload):
            if isinstance(request, m.ScheduleDownload) or getattr(body, "status", 1) == 1:
                kind = type(request).__name__
                device.outstanding_transfers[request.command_key] = kind
                session.view.transfers_this_session.add(request.command_key)
            if isinstance(request, m.ScheduleDownload):
                self.judge.schedule_download_accepted(session.view, request)
        elif isinstance(request, m.Reboot):
            device.pending_reboot_key = request.command_key
        elif isinstance(request, m.ChangeDUState) and isinstance(body, m.ChangeDUStateResponse):
            device.outstanding_du[request.command_key or ""] = len(request.operations)

    def _next_rpc(self, session: StubSession, now: float) -> _Reply:
        machine = session.machine
        view = session.view
        item = None
        sent = None
        if not session.done:
            item = session.device.queue.pop()
            if item is not None:
                sent = machine.enqueue(item.request, hold_requests=item.hold_requests)
        try:
            reply = machine.next_reply(now)
        except CwmpEncodeError as exc:
            if item is not None:
                item.fail(m.Fault.of(8002, f"the ACS could not encode {item.method}: {exc}"))
            self._end_session(session, f"failed: {exc}")
            return _Reply(204, note=str(exc), session=session)
        view.held = machine.last_hold
        if reply.status == 204 or item is None:
            out = self._reply(reply, session, note="session done")
            self._end_session(session, "done")
            return out
        item.attempts += 1
        item.sent_in_session = session.id
        session.in_flight = item
        view.outstanding = item.request
        view.outstanding_id = sent.cwmp_id if sent is not None else None
        return self._reply(reply, session)

    # Session end -------------------------------------------------------------------------------
    def _end_session(self, session: StubSession, reason: str, *, judge: bool = True) -> None:
        """Close a session. After 'done' it lingers (by cookie/connection) until the timeout,
        so a CPE that was holding requests can still deliver them after the 204."""
        if session.done:
            return
        session.done = True
        device = session.device
        ref = self.journal.record(
            "session", device=device.id, session=session.id, note=f"session {reason}"
        ).ref
        if judge and self.config.verdicts and session.view.inform is not None:
            self.judge.session_closed(session.view, reason, ref)
        if session.in_flight is not None:
            device.queue.push_front(session.in_flight)  # re-sent in the next session
            session.in_flight = None
        if session.view.inform is not None:
            device.last_session_ok = reason == "done"
        if reason == "done":
            self._transfer_responses_delivered(session)
        if self._by_device.get(device.id) is session:
            del self._by_device[device.id]
        if reason != "done":
            self._forget(session)
        if session.ended is not None and not session.ended.done():
            session.ended.set_result(reason)

    def _transfer_responses_delivered(self, session: StubSession) -> None:
        """The TransferCompleteResponses of the session reached the CPE: forget those
        transfers (until then a resent TransferComplete still matches)."""
        answered = session.view.transfers_answered
        for key in answered:
            if key.startswith("du:"):  # a DUStateChangeComplete (same delivery rule)
                session.device.outstanding_du.pop(key[3:], None)
            session.device.outstanding_transfers.pop(key, None)
        answered.clear()

    def _forget(self, session: StubSession) -> None:
        if self.sessions.get(session.id) is session:
            del self.sessions[session.id]
        for key in list(session.transports):
            if self._by_transport.get(key) is session:
                del self._by_transport[key]
        session.transports = weakref.WeakSet()

    # -- waiting -----------------------------------------------------------------------------------
    def _notify_inform(self, device: Device, inform: m.Inform) -> None:
        keep = []
        for predicate, future in self._inform_waiters:
            if future.done():
                continue
            if predicate(device, inform):
                future.set_result((device, inform))
            else:
                keep.append((predicate, future))
        self._inform_waiters = keep

    def inform_waiter(self, predicate: Callable[[Device, m.Inform], bool]) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self._inform_waiters.append((predicate, future))
        return future

    def session_waiter(self, device_id: str) -> asyncio.Future[StubSession]:
        future = asyncio.get_running_loop().create_future()
        self._session_waiters.setdefault(device_id, []).append(future)
        return future

    def current_session(self, device_id: str) -> StubSession | None:
        return self._by_device.get(device_id)


_INFORM_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?Inform[\s/>]")


def _last_received(machine: AcsSession, seen: int) -> m.Envelope | None:
    """The envelope the machine decoded from the POST just fed (None: empty or undecodable)."""
    for direction, env in reversed(machine.journal[seen:]):
        if direction == "received":
            return env
    return None


def _last_sent(machine: AcsSession) -> m.Envelope | None:
    if machine.journal and machine.journal[-1][0] == "sent":
        return machine.journal[-1][1]
    return None


def _method_of(env: m.Envelope | None, body: bytes, exc: Exception) -> str | None:
    if env is not None:
        return env.method or ""
    if soap.is_empty(body):
        return ""
    return getattr(exc, "method", None)


def _no_500(status: int) -> int:
    """The stub answers CPE mistakes with 4xx: a 5xx would blame the ACS."""
    return 400 if status >= 500 else status


def device_auth_policy(device: Device, default: AuthPolicy) -> AuthPolicy:
    if device.auth_mode is None:
        return default
    creds = device.auth_credentials
    return AuthPolicy.of(
        device.auth_mode, creds.username if creds else "", creds.password if creds else ""
    )


def _awaits_inform_resend(session: StubSession) -> bool:
    """The session answered its Inform with 8005 and waits for the same Inform again."""
    machine = session.machine
    return machine.state is AcsState.AWAIT_INFORM and machine.retry_expected is not None


def _same_request(a: m.Message, b: m.Message) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, m.Inform) and isinstance(b, m.Inform):  # CurrentTime may move on
        return dataclasses.replace(a, current_time=b.current_time) == b
    return a == b


def _bound_port(runner: web.AppRunner) -> int:
    for site in runner.sites:
        server = getattr(site, "_server", None)
        if server is not None and server.sockets:
            return server.sockets[0].getsockname()[1]
    raise RuntimeError("site is not listening")


def _host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _offer(machine: AcsSession, env: m.Envelope, versions: tuple[str, ...]) -> str | None:
    """Negotiate again with ``versions`` as this ACS's offer (``Device.cwmp_versions``):
    the highest common version with the CPE's SupportedCWMPVersions, or the version its
    envelope implies if offered; None answers the Inform with fault 8006."""
    machine.supported_versions = versions
    theirs = env.supported_cwmp_versions
    if theirs is not None:
        machine.cwmp_version = highest_common_version(versions, theirs)
    else:
        implied = implied_version(env)
        machine.cwmp_version = implied if implied in versions else None
    return machine.cwmp_version
