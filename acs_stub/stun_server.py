"""The stub ACS's STUN server and UDP Connection Request sender (TR-069 Annex G).

A CPE behind a NAT keeps a binding open with Binding Requests carrying
CONNECTION-REQUEST-BINDING; the source address a request arrives from *is* the CPE's
``UDPConnectionRequestAddress`` (the NAT's public side). This server answers every Binding
Request (MAPPED-ADDRESS, and XOR-MAPPED-ADDRESS for RFC 5389 clients) and remembers, per CPE,
the last binding such a request showed, so the ACS can reach the CPE without waiting for an
Inform to carry the new address. A CPE is named by the request's USERNAME (TR-181
``STUNUsername``; the bench sets it to the serial number) or, without one, by its address.

With ``credentials`` set, Binding Requests must carry USERNAME and a valid MESSAGE-INTEGRITY;
others get 401 (RFC 3489 §11.2.9), which makes a CPE with ``STUNUsername`` send them.

UDP Connection Requests leave from this server's own socket: a NAT that filters by address
and port (RFC 4787 "address and port-dependent filtering") only lets in datagrams from where
the binding's own traffic went, which is the STUN server. GenieACS does the same (its NBI binds
the STUN port with SO_REUSEADDR for that reason, ``lib/connection-request.ts``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from printbench.cwmp import stun as S

log = logging.getLogger(__name__)


@dataclass
class StunBinding:
    """What Binding Requests with CONNECTION-REQUEST-BINDING showed of one CPE."""

    key: str
    address: S.Address
    username: str | None
    first_seen: float
    last_seen: float
    requests: int = 1
    binding_changes: int = 0  # requests that carried BINDING-CHANGE
    moves: int = 0  # times the source address changed
    integrity: bool = False
    #: Seconds between keep-alive requests (new transactions without BINDING-CHANGE; RFC 3489
    #: retransmissions, which reuse the transaction ID, are not counted), the last 50.
    intervals: list[float] = field(default_factory=list)
    last_tid: bytes = b""
    last_keepalive: float | None = None

    @property
    def authority(self) -> str:
        return f"{self.address[0]}:{self.address[1]}"


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, server: StunServer) -> None:
        self.server = server

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.server.handle(data, (addr[0], addr[1]))

    def error_received(self, exc: Exception) -> None:
        self.server.errors += 1


class StunServer:
    """``await start()`` → port; ``bindings``; ``send_to(address, data)``; ``await stop()``."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 3478,
        *,
        credentials: Callable[[str], str | None] | None = None,
        on_binding: Callable[[StunBinding, bool], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.host = host
        self.port = port
        self.credentials = credentials
        #: USERNAME → STUN password, used when ``credentials`` is None and this is not empty
        #: (the conformance steps register each device they put behind a NAT here).
        self.passwords: dict[str, str] = {}
        self.on_binding = on_binding
        self.clock = clock
        self.bindings: dict[str, StunBinding] = {}
        self._by_address: dict[S.Address, str] = {}
        self.requests = 0
        self.responses = 0
        self.rejected = 0  # undecodable or unauthenticated
        self.errors = 0
        self.sent = 0  # datagrams sent other than responses (UDP Connection Requests)
        self._transport: asyncio.DatagramTransport | None = None

    async def start(self) -> int:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Protocol(self), local_addr=(self.host, self.port), reuse_port=False
        )
        self._transport = transport
        self.port = int(transport.get_extra_info("sockname")[1])
        return self.port

    async def stop(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None
            with contextlib.suppress(Exception):
                await asyncio.sleep(0)

    @property
    def address(self) -> S.Address:
        return self.host, self.port

    # -- requests ----------------------------------------------------------------------------
    def handle(self, data: bytes, source: S.Address) -> None:
        if not S.is_stun(data):
            return  # not for us (nothing else is served on this port)
        try:
            req = S.decode(data)
        except S.StunError as exc:
            self.rejected += 1
            log.debug("STUN from %s:%s undecodable: %s", *source, exc)
            return
        if req.type != S.BINDING_REQUEST:
            return
        self.requests += 1
        integrity = False
        creds = self.credentials or (self.passwords.get if self.passwords else None)
        if creds is not None:
            user = req.username
            key = creds(user) if user else None
            if key is None or not S.check_integrity(data, key.encode()):
                self.rejected += 1
                self._reply(S.error_response(req, 401, "Unauthorized"), source)
                return
            integrity = True
        self._reply(S.binding_response(req, source), source)
        if req.connection_request_binding:
            self._note(req, source, integrity)

    def _reply(self, msg: S.StunMessage, to: S.Address) -> None:
        if self._transport is not None:
            self._transport.sendto(S.encode(msg), to)
            self.responses += 1

    def _note(self, req: S.StunMessage, source: S.Address, integrity: bool) -> None:
        now = self.clock()
        user = req.username
        key = user or self._by_address.get(source) or f"{source[0]}:{source[1]}"
        b = self.bindings.get(key)
        moved = False
        if b is None:
            b = self.bindings[key] = StunBinding(key, source, user, now, now, integrity=integrity)
            moved = True
        else:
            b.requests += 1
            b.last_seen = now
            b.integrity = integrity
            if b.address != source:
                self._by_address.pop(b.address, None)
                b.address = source
                b.moves += 1
                moved = True
        if req.has(S.BINDING_CHANGE):
            b.binding_changes += 1
        elif req.transaction_id != b.last_tid:
            if b.last_keepalive is not None and not moved:
                b.intervals = [*b.intervals[-49:], now - b.last_keepalive]
            b.last_keepalive = now
        b.last_tid = req.transaction_id
        self._by_address[source] = key
        if self.on_binding is not None:
            self.on_binding(b, moved)

    def binding_for(self, *names: str) -> StunBinding | None:
        """The binding of the first of ``names`` (USERNAME values) seen."""
        for n in names:
            if n and n in self.bindings:
                return self.bindings[n]
        return None

    # -- UDP Connection Requests -------------------------------------------------------------
    def send_to(self, address: S.Address, data: bytes) -> None:
        if self._transport is None:
            raise RuntimeError("the STUN server is not running")
        self._transport.sendto(data, address)
        self.sent += 1


def parse_authority(text: str) -> S.Address:
    """``host:port`` (or ``host``, port 80, TR-181 UDPConnectionRequestAddress) → address."""
    host, sep, port = text.rpartition(":")
    if not sep:
        return text, 80
    if not port.isdigit() or not host:
        raise ValueError(f"UDPConnectionRequestAddress {text!r} is not host:port")
    return host.strip("[]"), int(port)
