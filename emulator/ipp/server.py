"""The IPP face over HTTP: thin adapters around :mod:`emulator.ipp.operations`.

One listener serves every virtual printer of a process: the connection's local address
(``sockname``) names the device, so a single listener on 0.0.0.0 (or one per address)
answers for 127.x.y.z printers without a socket per device (DESIGN.md §6).

Two adapters share one request path (:class:`IppEndpoint`):

* :func:`start_ipp_listener` / :func:`create_ipp_server`: an asyncio protocol over the small
  HTTP/1.1 parser of :mod:`emulator.ipp.http`. This is the fast one (see docs/ipp.md).
* :func:`create_ipp_app`: an aiohttp application, kept for code that mounts the face in
  aiohttp.

What the adapters add to the pure operations: HTTP checks (POST, ``application/ipp``, body
size), power state (a switched-off printer answers 503), decode errors turned into an IPP
``client-error-bad-request`` (or HTTP 400 when not even the 8-byte header is there), and a
last-resort ``server-error-internal-error`` so a bug never becomes a bare HTTP 500.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import weakref
from collections.abc import Callable
from email.utils import formatdate
from typing import Any

from aiohttp import web

from printbench.common import httplog
from printbench.common.connlimit import ConnectionCaps, ConnectionLimiter, client_key
from printbench.emulator.ipp.access import REALM
from printbench.emulator.ipp.cache import AttributeCache
from printbench.emulator.ipp.operations import (
    BAD_REQUEST,
    INTERNAL_ERROR,
    Context,
    build_response,
    respond,
)
from printbench.ipp.codec import IppDecodeError, decode, encode
from printbench.ipp.http import REASONS, Head, HttpError, RequestParser

log = logging.getLogger(__name__)

Lookup = Callable[[str], Any]
LOOKUP_KEY = web.AppKey("ipp_lookup", object)
ENDPOINT_KEY = web.AppKey("ipp_endpoint", object)
EWS_PORT_KEY = web.AppKey("ipp_ews_port", int)
MAX_BODY = 64 * 1024 * 1024 + 65536  # one document (64 MiB) plus its attributes
KEEPALIVE_TIMEOUT = 75.0  # idle keep-alive connection (aiohttp's default)
HEAD_TIMEOUT = 30.0  # from the first byte of a request head to its end
BODY_TIMEOUT = 60.0  # longest pause while a body is being received

_HOST = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$")
_PATHS = ("/ipp/print", "/")
_JOB_PATH = re.compile(r"/ipp/print/[0-9]+")
IPP = "application/ipp"
TEXT = "text/plain; charset=utf-8"

Answer = tuple[int, str, bytes]  # HTTP status, content type, body


def known_path(path: str) -> bool:
    """The paths the face answers: /ipp/print, /ipp/print/<job-id> and /."""
    return path in _PATHS or _JOB_PATH.fullmatch(path) is not None


class IppEndpoint:
    """The request path shared by both adapters: device, power, content type, IPP."""

    def __init__(self, lookup: Lookup, ews_port: int) -> None:
        self.lookup = lookup
        self.ews_port = ews_port
        self._uris: dict[tuple[str, str, int, int], tuple[str, str]] = {}
        self._caches: weakref.WeakKeyDictionary[Any, AttributeCache] = weakref.WeakKeyDictionary()

    def check(self, local: tuple[str, int], content_type: str) -> tuple[Any, Answer | None]:
        """The device for this request, or the HTTP answer refusing it (before the body)."""
        device = self.lookup(local[0])
        if device is None:
            return None, (404, TEXT, f"no printer at {local[0]}\n".encode())
        if not device.state.status.powered:
            return None, (503, TEXT, b"printer is powered off\n")
        if content_type != IPP:
            return None, (400, TEXT, b"Content-Type must be application/ipp\n")
        return device, None

    def uris(
        self, host: str, local: tuple[str, int], ews_port: int | None = None
    ) -> tuple[str, str]:
        """printer-uri as the client addressed us (Host header), and the EWS URL on that host
        (the device's ``network.http_port``, else the endpoint's default)."""
        ews_port = self.ews_port if ews_port is None else ews_port
        key = (host, local[0], local[1], ews_port)
        found = self._uris.get(key)
        if found is None:
            if not _HOST.match(host):
                addr = f"[{local[0]}]" if ":" in local[0] else local[0]
                host = f"{addr}:{local[1]}"
            name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            found = f"ipp://{host}/ipp/print", f"http://{name}:{ews_port}/"
            if len(self._uris) > 1024:  # Host headers come from clients: keep the memo small
                self._uris.clear()
            self._uris[key] = found
        return found

    def cache(self, device: Any) -> AttributeCache:
        """The device's attribute cache (one per state object, dropped with the state)."""
        state = device.state
        cache = self._caches.get(state)
        if cache is None:
            cache = self._caches[state] = AttributeCache(state)
        return cache

    def ipp(
        self, device: Any, body: bytes, host: str, local: tuple[str, int], authorization: str = ""
    ) -> Answer:
        """Decode, respond, encode; never raises. Work left in slices (a bulk cancel) is
        run here at once; the adapters use :meth:`ipp_sliced` to run it between other work."""
        answer, work = self.ipp_sliced(device, body, host, local, authorization)
        for step in work:
            _run_step(step, local)
        return answer

    def ipp_sliced(
        self, device: Any, body: bytes, host: str, local: tuple[str, int], authorization: str = ""
    ) -> tuple[Answer, list[Callable[[], Any]]]:
        """The answer, and the slices of work to run before it is sent (each short)."""
        cache = self.cache(device)
        printer_uri, more_info = self.uris(host, local, device.state.network.http_port)
        key = cache.memo_key(body)
        if key is not None:
            kept = cache.recall(printer_uri, key, body)
            if kept is not None:
                return (200, IPP, kept), []
        try:
            msg = decode(body)
        except IppDecodeError as exc:
            if len(body) < 8:
                return (400, TEXT, f"{exc}\n".encode()), []
            version_of_request = (body[0], body[1]) if body[0] in (1, 2) else (2, 0)
            request_id = int.from_bytes(body[4:8], "big", signed=True)
            return (
                200,
                IPP,
                encode(
                    build_response(version_of_request, request_id, BAD_REQUEST, str(exc), [], [])
                ),
            ), []
        try:
            version = cache.version
            cache.clean = False
            ctx = Context(device, printer_uri, more_info, cache, authorization=authorization)
            out = encode(respond(msg, ctx))
            if ctx.challenge:  # the access policy: ask for the administrator's credentials
                return (401, TEXT, b"authentication required\n"), []
            if key is not None and cache.clean and cache.version == version:
                cache.keep(printer_uri, key, out)
            return (200, IPP, out), ctx.work or []
        except Exception:  # a bug: answer in IPP, log it, keep serving
            log.exception("IPP operation 0x%04x failed on %s", msg.code, local[0])
            ipp_version = msg.version if msg.version[0] in (1, 2) else (2, 0)
            response = build_response(
                ipp_version, msg.request_id, INTERNAL_ERROR, "internal error", [], []
            )
            return (200, IPP, encode(response)), []


def _run_step(step: Callable[[], Any], local: tuple[str, int]) -> None:
    try:
        step()
    except Exception:  # a bug in one slice must not stop the connection
        log.exception("IPP deferred work failed on %s", local[0])


async def run_slices(work: list[Callable[[], Any]], local: tuple[str, int]) -> None:
    """Run slices of work, letting the event loop serve other clients between them."""
    for step in work:
        _run_step(step, local)
        await asyncio.sleep(0)


# -- asyncio protocol --------------------------------------------------------------------------

_date_cache: list[Any] = [0, b""]


def _date() -> bytes:
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[0] = now
        _date_cache[1] = formatdate(now, usegmt=True).encode()
    return _date_cache[1]


def _response(status: int, ctype: str, body: bytes, keep_alive: bool, version: bytes) -> bytes:
    if keep_alive:
        conn = b"" if version == b"HTTP/1.1" else b"Connection: keep-alive\r\n"
    else:
        conn = b"Connection: close\r\n"
    allow = b"Allow: POST\r\n" if status == 405 else b""
    if status == 401:  # RFC 9110 §11.6.1: a 401 carries its challenge (emulator/ipp/access.py)
        allow = b'WWW-Authenticate: Basic realm="%s", charset="UTF-8"\r\n' % REALM.encode()
    return (
        b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nDate: %s\r\n"
        b"Server: printbench\r\n%s%s\r\n"
        % (
            status,
            REASONS.get(status, "").encode(),
            ctype.encode(),
            len(body),
            _date(),
            conn,
            allow,
        )
    ) + body


class IppProtocol(asyncio.Protocol):
    """One HTTP/1.1 connection: keep-alive, pipelined requests answered in order."""

    def __init__(
        self, endpoint: IppEndpoint, max_body: int, timeouts: tuple[float, float, float],
        limiter: ConnectionLimiter | None = None,
    ) -> None:  # fmt: skip
        self.endpoint = endpoint
        self.limiter = limiter
        self.client: str | None = None  # counted by the limiter
        self.parser = RequestParser(max_body=max_body)
        self.timeouts = timeouts
        self.transport: asyncio.Transport | None = None
        self.local: tuple[str, int] = ("127.0.0.1", 0)
        self.head: Head | None = None
        self.device: Any = None
        self.paused = False  # the peer does not read: stop parsing until it does
        self.busy = False  # an answer waits for sliced work: parse nothing more until sent
        self.want_continue = False  # a 100 Continue is owed once the body is awaited
        self.closing = False
        self.last = 0.0  # time of the last bytes received
        self.head_started = 0.0
        self.timer: asyncio.TimerHandle | None = None
        self.loop = asyncio.get_running_loop()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        sock = transport.get_extra_info("sockname")
        if sock:
            self.local = (sock[0], sock[1])
        self.last = self.loop.time()
        limiter = self.limiter
        if limiter is not None:
            client = client_key(transport)
            if not limiter.acquire(client):
                # past a connection cap (common/connlimit.py): 503 + Retry-After at once, the
                # write side shut so the client reads it, dropped after a second
                log.info("IPP: connection from %s refused: %d open from it, %d in all (503)",
                         client, limiter.by_client.get(client, 0), limiter.open)  # fmt: skip
                self.closing = True
                tr: asyncio.Transport = transport  # type: ignore[assignment]
                tr.write(limiter.refusal())
                if tr.can_write_eof():
                    tr.write_eof()
                self.loop.call_later(1.0, tr.close)
                return
            self.client = client
        self.timer = self.loop.call_later(self.timeouts[0], self._check_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.client is not None and self.limiter is not None:
            self.limiter.release(self.client)
            self.client = None
        self.closing = True
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.transport = None

    def pause_writing(self) -> None:
        self.paused = True
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        self.paused = False
        if self.transport is not None and not self.closing:
            self.transport.resume_reading()
            self._process()

    def data_received(self, data: bytes) -> None:
        self.last = self.loop.time()
        parser = self.parser
        if parser.in_head and not parser.buf:
            self.head_started = self.last
        parser.feed(data)
        if not self.paused:
            self._process()
        self._rearm()

    def _rearm(self) -> None:
        """Bring the timer forward when a head or a body has begun: armed for the 75 s
        keep-alive, it used to fire only then, so a slow head got its 408 after 75 s, not
        the 30 s documented (issue 17 item 9)."""
        timer = self.timer
        if self.closing or self.transport is None:
            return
        keepalive, head_timeout, body_timeout = self.timeouts
        parser = self.parser
        if parser.idle:
            deadline = self.last + keepalive
        elif parser.in_head:
            deadline = self.head_started + head_timeout
        else:
            deadline = self.last + body_timeout
        if timer is not None and timer.when() <= deadline:
            return  # fires early enough and re-checks then
        if timer is not None:
            timer.cancel()
        self.timer = self.loop.call_at(deadline, self._check_timeout)

    def eof_received(self) -> bool:
        return False  # close once the answers already written are flushed

    def _process(self) -> None:
        parser = self.parser
        while not self.paused and not self.closing and not self.busy:
            try:
                event = parser.next_event()
            except HttpError as exc:
                self._finish(exc.status, TEXT, f"{exc.message}\n".encode(), False, b"HTTP/1.1")
                return
            if event is None:
                if self.want_continue and self.transport is not None:
                    self.want_continue = False
                    self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                return
            if isinstance(event, Head):
                self._on_head(event)
            else:
                self._on_body(event)
            if parser.in_head and parser.buf:
                self.head_started = self.last

    def _on_head(self, head: Head) -> None:
        self.head = head
        if head.method != b"POST":
            if known_path(head.path):
                self._finish(
                    405,
                    TEXT,
                    b"405: Method Not Allowed",
                    head.keep_alive and head.length == 0,
                    head.version,
                )
            else:
                self._finish(
                    404, TEXT, b"404: Not Found", head.keep_alive and head.length == 0, head.version
                )
            return
        if not known_path(head.path):
            self._finish(
                404, TEXT, b"404: Not Found", head.keep_alive and head.length == 0, head.version
            )
            return
        device, answer = self.endpoint.check(self.local, head.content_type)
        if answer is not None:
            # the body is not read: keep the connection only when there is none
            self._finish(*answer, head.keep_alive and head.length == 0, head.version)
            return
        self.device = device
        # RFC 7231 §5.1.1: 100 Continue unless the body is already here. Part of it may be
        # (CUPS sends the IPP attributes chunk at once, then waits up to 1 s for the 100
        # before the document): answer once the parser needs more bytes, see _process.
        self.want_continue = head.expect_continue and head.length != 0

    def _on_body(self, body: bytes) -> None:
        head = self.head
        self.want_continue = False  # the whole body came: the final answer follows
        if head is None or self.device is None:  # a refused head already closed us
            return
        (status, ctype, out), work = self.endpoint.ipp_sliced(
            self.device, body, head.host, self.local, head.authorization
        )
        self.head = None
        self.device = None
        if not work:
            self._finish(status, ctype, out, head.keep_alive, head.version)
            return
        # the answer waits for the slices; pipelined requests wait behind it (in order)
        self.busy = True
        if self.transport is not None:
            self.transport.pause_reading()
        self.loop.create_task(self._finish_later(work, (status, ctype, out), head))

    async def _finish_later(
        self, work: list[Callable[[], Any]], answer: Answer, head: Head
    ) -> None:
        await run_slices(work, self.local)
        self._finish(*answer, head.keep_alive, head.version)
        self.busy = False
        if self.transport is not None and not self.closing and not self.paused:
            self.transport.resume_reading()
            self._process()

    def _finish(
        self, status: int, ctype: str, body: bytes, keep_alive: bool, version: bytes
    ) -> None:
        transport = self.transport
        if transport is None:
            return
        transport.write(_response(status, ctype, body, keep_alive, version))
        if not keep_alive:
            self.closing = True
            transport.close()
        else:
            self.head = None
            self.device = None

    def _check_timeout(self) -> None:
        """One timer per connection, re-armed when it fires (nothing per request)."""
        self.timer = None
        if self.transport is None or self.closing:
            return
        keepalive, head_timeout, body_timeout = self.timeouts
        now = self.loop.time()
        parser = self.parser
        if parser.idle:
            left = keepalive - (now - self.last)
            if left <= 0:
                self.closing = True
                self.transport.close()
                return
        elif parser.in_head:
            left = head_timeout - (now - self.head_started)
        else:
            left = body_timeout - (now - self.last)
        if left <= 0:
            self._finish(408, TEXT, b"request not received in time\n", False, b"HTTP/1.1")
            return
        self.timer = self.loop.call_later(max(left, 0.05), self._check_timeout)


def create_ipp_server(
    lookup: Lookup,
    *,
    ews_port: int = 8080,
    max_body: int = MAX_BODY,
    keepalive_timeout: float = KEEPALIVE_TIMEOUT,
    head_timeout: float = HEAD_TIMEOUT,
    body_timeout: float = BODY_TIMEOUT,
    caps: ConnectionCaps | None = None,
) -> Callable[[], asyncio.Protocol]:
    """A protocol factory for ``loop.create_server``: the IPP face on every address it binds.

    ``lookup(local_address)`` returns the device (``.state``, ``.engine``, ``.clock``) served
    on that address, or None (HTTP 404). ``caps``: open connections per client address and
    in total (one count for every connection the factory makes; defaults of
    :class:`ConnectionCaps`).
    """
    endpoint = IppEndpoint(lookup, ews_port)
    timeouts = (keepalive_timeout, head_timeout, body_timeout)
    limiter = ConnectionLimiter(caps)
    return lambda: IppProtocol(endpoint, max_body, timeouts, limiter)


async def start_ipp_listener(
    lookup: Lookup, host: str | None, port: int, **options: Any
) -> asyncio.Server:
    """Listen on ``host:port`` (port 0: ephemeral) and serve IPP; close the returned server
    with ``server.close(); await server.wait_closed()``. ``options`` go to
    :func:`create_ipp_server`; ``reuse_address`` is set as aiohttp's TCPSite does."""
    factory = create_ipp_server(lookup, **options)
    return await asyncio.get_running_loop().create_server(factory, host, port, reuse_address=True)


# -- aiohttp application -------------------------------------------------------------------------


def create_ipp_app(
    lookup: Lookup, *, ews_port: int = 8080, max_body: int = MAX_BODY
) -> web.Application:
    """An aiohttp application answering IPP POSTs at ``/ipp/print`` and ``/`` (slower than
    :func:`start_ipp_listener`; for mounting the face inside aiohttp)."""
    httplog.install()
    app = web.Application(client_max_size=max_body)
    app[LOOKUP_KEY] = lookup
    app[EWS_PORT_KEY] = ews_port
    app[ENDPOINT_KEY] = IppEndpoint(lookup, ews_port)
    app.router.add_post("/ipp/print", _handle)
    app.router.add_post("/ipp/print/{job_id:[0-9]+}", _handle)
    app.router.add_post("/", _handle)
    return app


def _local(request: web.Request) -> tuple[str, int]:
    transport = request.transport
    sock = transport.get_extra_info("sockname") if transport is not None else None
    if not sock:
        return "127.0.0.1", 0
    return sock[0], sock[1]


async def _handle(request: web.Request) -> web.StreamResponse:
    endpoint: IppEndpoint = request.app[ENDPOINT_KEY]  # type: ignore[assignment]
    local = _local(request)
    device, answer = endpoint.check(local, request.content_type)
    if answer is None:
        body = await request.read()
        answer, work = endpoint.ipp_sliced(
            device, body, request.headers.get("Host", ""), local,
            request.headers.get("Authorization", ""),
        )  # fmt: skip
        await run_slices(work, local)
    status, ctype, out = answer
    if ctype == IPP:
        return web.Response(status=status, body=out, content_type=IPP)
    if status == 401:
        return web.Response(status=401, text=out.decode(), headers={
            "WWW-Authenticate": f'Basic realm="{REALM}", charset="UTF-8"'})  # fmt: skip
    return web.Response(status=status, text=out.decode())
