"""Head and body timeouts for the aiohttp faces (issue 17 item 9).

aiohttp closes an *idle* keep-alive connection (``keepalive_timeout``, 75 s) but has no
limit on how long a peer may take to send a request head, nor on a pause in the middle of a
body: a slowloris client keeps a connection (a descriptor, buffers) for as long as it likes.
The IPP face has its own HTTP layer with these limits (``emulator/ipp/server.py``); this
module gives the aiohttp faces the same ones:

* **head timeout**: from the first byte of a request head to its end; past it the peer gets
  ``408 Request Timeout`` (RFC 9110 §15.5.9) and the connection is closed;
* **body timeout**: the longest pause while a request body is being received; then 408 too
  (nothing has been answered yet: the handler is still waiting for the body).

Use :class:`GuardedAppRunner` instead of ``web.AppRunner``. It swaps in a request handler
(aiohttp's ``RequestHandler`` plus one timer per connection, armed only while a head or a
body is in progress), so nothing is added per request on the fast path. It reads two
private attributes of aiohttp's handler (``_request_count``, ``_messages``, both there since
aiohttp 3.x); tests/emulator/test_emu_http_timeouts.py fails if a release changes them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from printbench.common.connlimit import ConnectionCaps, ConnectionLimiter, client_key

#: Defaults: the IPP face's (docs/ipp.md), also those of Apache's mod_reqtimeout (header
#: 20-40 s, body 20 s + rate) in spirit: long enough for any real client on a LAN.
HEAD_TIMEOUT = 30.0
BODY_TIMEOUT = 60.0

_408 = (
    b"HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: 29\r\nConnection: close\r\n\r\nrequest not received in time\n"
)


@dataclass(frozen=True, slots=True)
class HttpTimeouts:
    """How long a peer may take for a request head, and pause within a body (seconds;
    0 disables the limit), and how many connections it may hold open (``caps``, per client
    address and in total per face: :mod:`printbench.common.connlimit`)."""

    head: float = HEAD_TIMEOUT
    body: float = BODY_TIMEOUT
    caps: ConnectionCaps = field(default_factory=ConnectionCaps)


class GuardedRequestHandler(RequestHandler):
    """aiohttp's connection handler with a head and a body timeout (see the module doc)."""

    def __init__(
        self, *args: Any, timeouts: HttpTimeouts, limiter: ConnectionLimiter | None = None,
        **kwargs: Any,
    ) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        self._pb_timeouts = timeouts
        self._pb_limiter = limiter
        self._pb_client: str | None = None  # counted by the limiter (None: not counted)
        self._pb_refused = False
        self._pb_head_started: float | None = None  # a head is being received since then
        self._pb_payload: Any = None  # the body of the last request head (a StreamReader)
        self._pb_last = 0.0  # when the last bytes arrived
        self._pb_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        limiter = self._pb_limiter
        if limiter is None:
            return
        client = client_key(transport)
        if limiter.acquire(client):
            self._pb_client = client
            return
        # past a cap: 503 + Retry-After at once (RFC 9110 §15.6.4), nothing of the request is
        # read; the write side is shut so the client reads the answer, and the connection is
        # dropped after a second (or when the client closes) instead of resetting it now
        self._pb_refused = True
        self.logger.info("HTTP: connection from %s refused: %d open from it, %d in all (503)",
                         client, limiter.by_client.get(client, 0), limiter.open)  # fmt: skip
        transport.write(limiter.refusal())
        if transport.can_write_eof():
            transport.write_eof()
        self._loop.call_later(1.0, transport.close)

    def data_received(self, data: bytes) -> None:
        if self._pb_refused:
            return  # the answer is out: discard what the refused client still sends
        payload = self._pb_payload
        body_open = payload is not None and not payload.is_eof()
        count = self._request_count
        super().data_received(data)
        now = self._loop.time()
        self._pb_last = now
        if self._request_count != count:  # a head was completed
            self._pb_head_started = None
            self._pb_payload = self._messages[-1][1] if self._messages else None
        elif not body_open and self._pb_head_started is None:
            self._pb_head_started = now
        self._pb_arm(now)

    def connection_lost(self, exc: BaseException | None) -> None:
        if self._pb_client is not None and self._pb_limiter is not None:
            self._pb_limiter.release(self._pb_client)
            self._pb_client = None
        if self._pb_timer is not None:
            self._pb_timer.cancel()
            self._pb_timer = None
        super().connection_lost(exc)

    def _pb_deadline(self) -> float | None:
        head, body = self._pb_timeouts.head, self._pb_timeouts.body
        if self._pb_head_started is not None and head > 0:
            return self._pb_head_started + head
        payload = self._pb_payload
        if payload is not None and not payload.is_eof() and body > 0:
            return self._pb_last + body
        return None

    def _pb_arm(self, now: float) -> None:
        deadline = self._pb_deadline()
        timer = self._pb_timer
        if deadline is None or (timer is not None and timer.when() <= deadline):
            return  # nothing in progress, or the timer fires early enough (and re-checks)
        if timer is not None:
            timer.cancel()
        self._pb_timer = self._loop.call_at(deadline, self._pb_check)

    def _pb_check(self) -> None:
        self._pb_timer = None
        transport = self.transport
        if transport is None or self._force_close:
            return
        deadline = self._pb_deadline()
        if deadline is None:
            return
        now = self._loop.time()
        if now < deadline:
            self._pb_timer = self._loop.call_at(deadline, self._pb_check)
            return
        self.logger.info(
            "HTTP: request %s not received in time from %s: 408",
            "head" if self._pb_head_started is not None else "body",
            (transport.get_extra_info("peername") or ("?",))[0],
        )
        transport.write(_408)
        self.force_close()


class _GuardedServer(web.Server):
    """aiohttp's protocol factory, making :class:`GuardedRequestHandler` connections."""

    pb_timeouts: HttpTimeouts = HttpTimeouts()
    pb_limiter: ConnectionLimiter | None = None

    def __call__(self) -> RequestHandler:
        return GuardedRequestHandler(
            self, loop=self._loop, timeouts=self.pb_timeouts, limiter=self.pb_limiter,
            **self._kwargs,
        )  # fmt: skip


class GuardedAppRunner(web.AppRunner):
    """``web.AppRunner`` whose connections have :class:`HttpTimeouts`."""

    def __init__(
        self, app: web.Application, *, timeouts: HttpTimeouts | None = None, **kwargs: Any
    ) -> None:
        super().__init__(app, **kwargs)
        self._pb_timeouts = timeouts or HttpTimeouts()
        #: one count of open connections for every site of this runner (one face)
        self.limiter = ConnectionLimiter(self._pb_timeouts.caps)

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        server.__class__ = _GuardedServer  # same object, same state: only __call__ differs
        server.pb_timeouts = self._pb_timeouts  # type: ignore[attr-defined]
        server.pb_limiter = self.limiter  # type: ignore[attr-defined]
        return server
