"""The CPE's XMPP connection for Connection Requests (TR-069 Annex K; TR-181
``Device.XMPP.Connection.{i}`` referenced by ``ManagementServer.ConnReqXMPPConnection``).

An adapter, like ``cwmp_cpe.connreq`` for HTTP: it keeps one XMPP client stream (slixmpp) to
the configured server, answers ``connectionRequest`` IQs after the checks of
``cwmp.xmpp_cr.judge_request`` and hands an accepted one to ``Cpe.accept_connection_request``
(the same rate limit and coalescing as HTTP requests; 503 there becomes ``service-unavailable``
here). What it reads comes from the tree afresh on each (re)connection, so an ACS that changes
the connection through SetParameterValues is obeyed after :meth:`XmppConnReq.wake`.

Why it never gives up: the server going away is normal behind NAT (the reason Annex K exists),
so after every loss or failed attempt it waits as TR-181 ServerRetryInitialInterval /
ServerRetryIntervalMultiplier / ServerRetryMaxInterval say (``cwmp.xmpp_cr.reconnect_wait``)
and connects again; the attempt count restarts after a connection that came up. It
exposes ``status`` (TR-181 Status enumeration), ``jabber_id`` (the full JID the server bound,
kept while the connection is lost, as TR-181 ConnReqJabberID requires), ``tls`` and ``stats``
for the data model.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from printbench.cwmp import params as P
from printbench.cwmp import xmpp_cr as X
from printbench.cwmp_cpe.settings import _get, _int

log = logging.getLogger(__name__)

MS = "ManagementServer."
#: How long one connection attempt (TCP, STARTTLS, SASL, bind) may take.
CONNECT_TIMEOUT = 20.0


@dataclass
class XmppSettings:
    """One ``XMPP.Connection.{i}`` as read from the tree."""

    path: str  # "Device.XMPP.Connection.1."
    enable: bool = False
    username: str = ""
    password: str = ""
    domain: str = ""
    resource: str = ""
    algorithm: str = "DNS-SRV"
    keepalive: int = -1
    attempts: int = 16
    retry_initial: int = 60
    retry_multiplier: int = 2000
    retry_max: int = 30720
    use_tls: bool = False
    servers: list[tuple[str, int]] = field(default_factory=list)

    def problem(self) -> str | None:
        """Why no connection can be tried (TR-181 Status Error_Misconfigured), or None."""
        if not self.username or not self.domain:
            return "Username and Domain are required"
        if self.algorithm == "ServerTable" and not self.servers:
            return "ServerConnectAlgorithm ServerTable with no enabled Server row"
        if self.algorithm not in ("ServerTable", "DNS-SRV", "DNS"):
            return f"ServerConnectAlgorithm {self.algorithm} is not supported"
        return None


def connection_path(tree: P.ParameterTree, root: str = "Device.") -> str | None:
    """The ``XMPP.Connection.{i}.`` that ManagementServer.ConnReqXMPPConnection names."""
    ref = (_get(tree, root + MS + "ConnReqXMPPConnection") or "").strip()
    if not ref:
        return None
    return ref if ref.endswith(".") else ref + "."


def read_xmpp_settings(
    tree: P.ParameterTree, path: str, password: str | None = None
) -> XmppSettings:
    """The connection at ``path`` (``password`` overrides the tree's, which reads "")."""
    g = lambda n: _get(tree, path + n)  # noqa: E731
    servers: list[tuple[int, str, int]] = []
    try:
        rows = tree.get_parameter_names(path + "Server.", True)
    except P.ParameterFault:
        rows = []
    for info in rows:
        row = info.name
        if not row.endswith(".") or (_get(tree, row + "Enable") or "").lower() not in (
            "true",
            "1",
        ):
            continue
        addr = (_get(tree, row + "ServerAddress") or "").strip()
        if addr:
            prio = _int(_get(tree, row + "Priority"), 0)
            servers.append((prio, addr, _int(_get(tree, row + "Port"), 5222)))
    servers.sort(key=lambda s: s[0])  # lower Priority first (TR-181, as DNS SRV)
    return XmppSettings(
        path=path,
        enable=(g("Enable") or "").lower() in ("true", "1"),
        username=g("Username") or "",
        password=password if password is not None else (g("Password") or ""),
        domain=g("Domain") or "",
        resource=g("Resource") or "",
        algorithm=g("ServerConnectAlgorithm") or "DNS-SRV",
        keepalive=_int(g("KeepAliveInterval"), -1),
        attempts=_int(g("ServerConnectAttempts"), 16),
        retry_initial=_int(g("ServerRetryInitialInterval"), 60),
        retry_multiplier=_int(g("ServerRetryIntervalMultiplier"), 2000),
        retry_max=_int(g("ServerRetryMaxInterval"), 30720),
        use_tls=(g("UseTLS") or "").lower() in ("true", "1"),
        servers=[(a, p) for _prio, a, p in servers],
    )


async def close_filters(client: Any) -> None:
    """End a slixmpp stream's outgoing-filter task, which slixmpp itself cancels only when the
    object is garbage-collected (``XMLStream.__del__``): left running it is "destroyed but
    pending" when the event loop closes."""
    task = getattr(client, "_run_out_filters", None)
    if task is not None and not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


@dataclass
class XmppStats:
    """TR-181 XMPP.Connection.{i}.Stats: stanzas of the connection-request service."""

    received: int = 0
    transmitted: int = 0
    received_errors: int = 0
    transmitted_errors: int = 0


class XmppConnReq:
    """One CPE's XMPP connection: ``await start()``, ``wake()`` after a configuration change,
    ``await stop()``."""

    def __init__(
        self,
        cpe: Any,
        *,
        password: Callable[[], str | None] | None = None,
        ca_file: Path | str | None = None,
        rng: random.Random | None = None,
        faulty: frozenset[str] = frozenset(),
    ) -> None:
        self.cpe = cpe
        self._password = password
        self.ca_file = Path(ca_file) if ca_file else None
        self.rng = rng  # None: the random module (a Random() per printer costs 2.5 KB)
        #: Deliberate defects (quirk modes of the embedded client), see cwmp_cpe.config.QUIRKS.
        self.faulty = faulty
        self.status = "Disabled"
        self.jabber_id = ""
        self.tls = False
        self.last_change = datetime(1, 1, 1, tzinfo=UTC)
        self.stats = XmppStats()
        self.attempts = 0  # connection attempts since the last one that came up
        self.connections = 0  # connections that came up (for tests and reports)
        self.last_error = ""
        # created when the loop first runs: an idle printer without XMPP keeps no event
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._running = False
        self._client: Any = None
        self.listeners: list[Callable[[str], None]] = []
        self._changed: asyncio.Future[str] | None = None

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        self._running = True
        self._ensure_task()

    def _ensure_task(self) -> None:
        # No task while disabled: a fleet of printers without XMPP pays nothing for it.
        if self._running and (self._task is None or self._task.done()):
            if self._wake is None:
                self._wake = asyncio.Event()
            self._task = asyncio.create_task(self._run(), name=f"xmpp {self.cpe.name}")

    async def stop(self) -> None:
        self._running = False
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._drop_client()
        self._set_status("Disabled")

    def wake(self) -> None:
        """The configuration may have changed: reconnect with what the tree says now."""
        if self._wake is not None:
            self._wake.set()
        self._ensure_task()

    async def wait_up(self, timeout: float) -> bool:
        """True once the connection is up (for tests and the conformance target)."""
        return await self.wait_status(lambda s: s == "Enabled", timeout)

    async def wait_status(self, accept: Callable[[str], bool], timeout: float) -> bool:
        """True once ``accept(status)`` holds (awaits status changes, no polling)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while not accept(self.status):
            left = end - loop.time()
            if left <= 0:
                return False
            if self._changed is None or self._changed.done():
                self._changed = loop.create_future()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._changed), left)
        return True

    # -- state ----------------------------------------------------------------------------

    def _set_status(self, status: str, why: str = "") -> None:
        if why:
            self.last_error = why
        if status != self.status:
            log.info("%s: XMPP %s -> %s %s", self.cpe.name, self.status, status, why)
            self.status = status
            self.last_change = datetime.now(UTC)
            for fn in list(self.listeners):
                fn(status)
            if self._changed is not None and not self._changed.done():
                self._changed.set_result(status)

    def settings(self) -> XmppSettings | None:
        tree = self.cpe.tree
        path = connection_path(tree, self.cpe.config.root)
        if path is None:
            return None
        pw = self._password() if self._password is not None else None
        return read_xmpp_settings(tree, path, pw)

    # -- the connection loop --------------------------------------------------------------

    async def _run(self) -> None:
        assert self._wake is not None  # made by _ensure_task
        wake = self._wake
        while True:
            wake.clear()
            s = self.settings()
            if s is None or not s.enable:
                self._set_status("Disabled")
                return  # wake() starts the loop again
            problem = s.problem()
            if problem:
                self._set_status("Error_Misconfigured", problem)
                return
            self.attempts += 1
            outcome = await self._connect_once(s)
            if outcome == "reconfigure":
                self.attempts = 0
                continue
            if outcome == "lost":
                self.attempts = 1  # the first reconnection wait after a connection was up
            wait = X.reconnect_wait(
                max(1, self.attempts),
                s.retry_initial,
                s.retry_multiplier,
                s.retry_max,
                (self.rng or random).random(),
            )
            log.info("%s: XMPP %s; reconnecting in %.1f s", self.cpe.name, outcome, wait)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), wait)

    def _address(self, s: XmppSettings) -> tuple[str | None, int | None]:
        if s.algorithm == "ServerTable" and s.servers:
            return s.servers[0]
        return None, None  # DNS-SRV / DNS: slixmpp resolves the domain (RFC 6120 §3.2)

    def _ssl_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
        return ctx

    async def _connect_once(self, s: XmppSettings) -> str:
        """One connection: returns "lost" (it was up), "auth-failed", "unreachable",
        "timeout" or "reconfigure" (the configuration changed)."""
        import slixmpp

        self._set_status("Connecting")
        jid = f"{s.username}@{s.domain}" + (f"/{s.resource}" if s.resource else "")
        client = slixmpp.ClientXMPP(jid, s.password)
        client.enable_direct_tls = False  # STARTTLS on the c2s port (RFC 6120 §5)
        client.enable_starttls = True
        client.enable_plaintext = False
        client.ssl_context = self._ssl_context()
        if s.keepalive > 0:
            client.whitespace_keepalive = True
            client.whitespace_keepalive_interval = s.keepalive
        elif s.keepalive == 0:
            client.whitespace_keepalive = False
        self._client = client
        done: asyncio.Future[str] = asyncio.get_running_loop().create_future()

        def finish(what: str) -> None:
            if not done.done():
                done.set_result(what)

        tls = [False]  # STARTTLS done on this stream (TR-181 TLSEstablished)
        client.add_event_handler("tls_success", lambda _e: tls.__setitem__(0, True))
        client.add_event_handler("session_start", lambda _e: self._on_up(client, tls[0]))
        client.add_event_handler("failed_all_auth", lambda _e: finish("auth-failed"))
        client.add_event_handler("connection_failed", lambda _e: finish("unreachable"))
        client.add_event_handler("disconnected", lambda _e: finish("lost"))
        client.add_event_handler("stream_error", lambda _e: finish("lost"))
        from slixmpp.xmlstream.handler import Callback
        from slixmpp.xmlstream.matcher import MatchXPath

        client.register_handler(
            Callback(
                "tr069-annex-k",
                MatchXPath(f"{{jabber:client}}iq/{{{X.NS}}}connectionRequest"),
                self._on_iq,
            )
        )
        host, port = self._address(s)
        client.connect(host, port)
        assert self._wake is not None
        waker: asyncio.Future[Any] = asyncio.ensure_future(self._wake.wait())
        pending: set[asyncio.Future[Any]] = {done, waker}
        try:
            first, _ = await asyncio.wait(
                pending, timeout=CONNECT_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
            )
            if waker in first:
                outcome = "reconfigure"
            elif done in first:
                outcome = done.result()
            else:
                outcome = "timeout"
            if outcome == "lost" and self.status != "Enabled":
                outcome = "unreachable"
        finally:
            waker.cancel()
        await self._drop_client()
        self.tls = False
        status = {
            "auth-failed": "Error_AuthenticationFailure",
            "unreachable": "ServerNotPresent",
            "timeout": "ServerNotPresent",
            "lost": "Connecting",
            "reconfigure": "Connecting",
        }[outcome]
        self._set_status(status, outcome)
        return outcome

    def _on_up(self, client: Any, tls: bool) -> None:
        jid = str(client.boundjid.full)
        self.tls = tls
        self.attempts = 0
        self.connections += 1
        client.send_presence()  # available, so the server routes IQs to this resource
        if jid != self.jabber_id:
            # TR-181 ConnReqJabberID: changes only when a new JID is bound, and is then an
            # active notification (forceDefaultEnabled): poll so 4 VALUE CHANGE follows.
            self.jabber_id = jid
            self.cpe.values_changed()
            self.cpe.wake()
        self._set_status("Enabled")

    async def _drop_client(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        with contextlib.suppress(Exception):
            client.cancel_connection_attempt()
        with contextlib.suppress(Exception):
            fut = client.disconnect(wait=0.5)
            await asyncio.wait_for(fut, 2.0)
        with contextlib.suppress(Exception):
            client.abort()
        await close_filters(client)

    # -- connection requests --------------------------------------------------------------

    def _on_iq(self, iq: Any) -> None:
        if iq["type"] not in ("get", "set"):
            return  # results/errors are not requests
        # Both request types: ACSes in the field send the connectionRequest in an IQ "get"
        # (GenieACS, django-acs, mosesacs, a production AVSystem capture), others "set".
        self.stats.received += 1
        sender = str(iq["from"])
        el = iq.xml.find(f"{{{X.NS}}}connectionRequest")
        data = ET.tostring(el, encoding="utf-8") if el is not None else b""
        s = self.cpe.settings()
        # quirk modes: those given here plus the runtime's (a scenario may switch them)
        faulty = self.faulty | frozenset(getattr(self.cpe, "quirks", ()) or ())
        root = self.cpe.config.root
        allowed = X.allowed_list(_get(self.cpe.tree, root + MS + "ConnReqAllowedJabberIDs") or "")
        if "xmpp-cr-any-sender" in faulty:
            allowed = []  # defect: ConnReqAllowedJabberIDs ignored
        decision = X.judge_request(
            sender, data, allowed=allowed, username=s.cr_username, password=s.cr_password
        )
        if decision.condition == X.NOT_AUTHORIZED and "xmpp-cr-no-auth" in faulty:
            decision = X.Decision(True, why="defect: credentials not checked")
        if decision.accept:
            # the HTTP path's rate limit and coalescing; 503 there (CWMP off, no ACS URL,
            # too many requests) is service-unavailable here
            status, _headers = self.cpe.accept_connection_request()
            if status != 200:
                decision = X.Decision(False, X.SERVICE_UNAVAILABLE, why=f"CPE answers {status}")
        log.info("%s: XMPP connection request from %s: %s", self.cpe.name, sender,
                 "accepted" if decision.accept else f"{decision.condition} ({decision.why})")  # fmt: skip
        reply = iq.reply(clear=True)
        if decision.accept:
            self.stats.transmitted += 1
        else:
            reply["type"] = "error"
            reply["error"]["type"] = decision.error_type
            reply["error"]["condition"] = decision.condition
            self.stats.transmitted_errors += 1
        reply.send()
