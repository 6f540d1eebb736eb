"""An in-process UDP NAT for tests: printers behind one public address, a port per printer.

The seed's architecture figure puts the printers behind a firewall and the ACS on the Internet;
on one machine's loopback there is no router to put between them, so this object is one.
Printers send to an *inside* address of the NAT (one per upstream destination: what a route
would do, here an address per destination) instead of the destination itself; the NAT gives
each inside endpoint (printer address and port) a mapping, a UDP socket of its own on the
*public* address, and relays:

* outbound, inside endpoint → destination, leaves from the mapping's public port (so the STUN
  server sees ``public:port``, not the printer's address: NATDetected);
* inbound, anything arriving on a mapping's public port is passed to the inside endpoint if
  the filter lets it in: ``endpoint-independent`` (full cone), ``address`` (only from an IP
  address the mapping sent to: RFC 4787 "address-dependent filtering"), ``address-port``
  (only from the exact address and port).

Mappings time out: ``timeout`` seconds after the last *outbound* datagram the mapping and its
port are gone (RFC 4787 REQ-6: outbound refresh MUST; it asks for at least 2 minutes, tests
use less), so a printer that stops its STUN keep-alives loses its binding, and its next
Binding Request gets a new port (a binding change). Real NATs differ in all of this, which is
why the policy is a parameter.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Address = tuple[str, int]
FILTERS = ("endpoint-independent", "address", "address-port")


class NatError(ValueError):
    pass


@dataclass
class NatStats:
    mappings_created: int = 0
    mappings_expired: int = 0
    outbound: int = 0
    inbound: int = 0
    filtered: int = 0  # inbound datagrams the filter dropped


class _Relay(asyncio.DatagramProtocol):
    def __init__(self, handler: Callable[[bytes, Address], None]) -> None:
        self.handler = handler

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.handler(data, (addr[0], addr[1]))

    def error_received(self, exc: Exception) -> None:
        pass  # ICMP unreachable from a closed peer: UDP has no one to tell


def _same(relay: _Relay) -> _Relay:
    return relay


@dataclass
class Mapping:
    inside: Address
    public_port: int
    transport: asyncio.DatagramTransport
    via: _Inside  # the inside address the printer sent to (answers come back from it)
    last_out: float
    peers: set[Address] = field(default_factory=set)


class _Inside:
    """The NAT's inside address for one upstream destination."""

    def __init__(self, nat: UdpNat, upstream: Address) -> None:
        self.nat = nat
        self.upstream = upstream
        self.transport: asyncio.DatagramTransport | None = None
        self.address: Address = ("", 0)

    def received(self, data: bytes, source: Address) -> None:
        self.nat._outbound(self, data, source)


class UdpNat:
    """``await start()``; ``inside_address(upstream)``; ``await stop()``."""

    def __init__(
        self,
        public_host: str,
        inside_host: str,
        upstream: list[Address],
        *,
        timeout: float = 60.0,
        filtering: str = "address",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if filtering not in FILTERS:
            raise NatError(f"filtering {filtering!r} is not one of {', '.join(FILTERS)}")
        if timeout <= 0:
            raise NatError("timeout must be > 0")
        self.public_host = public_host
        self.inside_host = inside_host
        self.timeout = timeout
        self.filtering = filtering
        self.clock = clock
        self.stats = NatStats()
        self.mappings: dict[Address, Mapping] = {}
        self._insides = [_Inside(self, (h, p)) for h, p in upstream]
        self._sweeper: asyncio.Task[None] | None = None
        self._pending: dict[Address, asyncio.Future[Mapping]] = {}

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        for ins in self._insides:
            relay = _Relay(ins.received)
            tr, _ = await loop.create_datagram_endpoint(
                functools.partial(_same, relay), local_addr=(self.inside_host, 0)
            )
            ins.transport = tr
            host, port = tr.get_extra_info("sockname")[:2]
            ins.address = (str(host), int(port))
        self._sweeper = loop.create_task(self._sweep(), name="nat sweeper")

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        for mp in list(self.mappings.values()):
            mp.transport.close()
        self.mappings.clear()
        for ins in self._insides:
            if ins.transport is not None:
                ins.transport.close()

    def inside_address(self, upstream: Address | None = None) -> Address:
        """Where a printer sends to reach ``upstream`` (default: the first) through the NAT."""
        for ins in self._insides:
            if upstream is None or ins.upstream == upstream:
                return ins.address
        raise NatError(f"no route to {upstream} through this NAT")

    def public_address_of(self, inside: Address) -> Address | None:
        mp = self.mappings.get(inside)
        return (self.public_host, mp.public_port) if mp is not None else None

    # -- relaying ----------------------------------------------------------------------------
    def _outbound(self, via: _Inside, data: bytes, source: Address) -> None:
        mp = self.mappings.get(source)
        if mp is None:
            fut = self._pending.get(source)
            if fut is None:
                fut = self._pending[source] = asyncio.ensure_future(self._new_mapping(via, source))
            fut.add_done_callback(lambda f: self._send_out(f.result(), via, data))
            return
        self._send_out(mp, via, data)

    def _send_out(self, mp: Mapping, via: _Inside, data: bytes) -> None:
        mp.last_out = self.clock()
        mp.peers.add(via.upstream)
        self.stats.outbound += 1
        mp.transport.sendto(data, via.upstream)

    async def _new_mapping(self, via: _Inside, inside: Address) -> Mapping:
        loop = asyncio.get_running_loop()
        holder: list[Mapping] = []
        tr, _ = await loop.create_datagram_endpoint(
            lambda: _Relay(lambda d, a: self._inbound(holder[0], d, a)),
            local_addr=(self.public_host, 0),
        )
        port = int(tr.get_extra_info("sockname")[1])
        mp = Mapping(inside, port, tr, via, self.clock())
        holder.append(mp)
        self.mappings[inside] = mp
        self._pending.pop(inside, None)
        self.stats.mappings_created += 1
        return mp

    def _inbound(self, mp: Mapping, data: bytes, source: Address) -> None:
        if self.mappings.get(mp.inside) is not mp:
            return  # expired
        if self.filtering == "address" and source[0] not in {p[0] for p in mp.peers}:
            self.stats.filtered += 1
            return
        if self.filtering == "address-port" and source not in mp.peers:
            self.stats.filtered += 1
            return
        self.stats.inbound += 1
        if mp.via.transport is not None:
            mp.via.transport.sendto(data, mp.inside)

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(min(1.0, self.timeout / 4))
            now = self.clock()
            for key, mp in list(self.mappings.items()):
                if now - mp.last_out > self.timeout:
                    del self.mappings[key]
                    mp.transport.close()
                    self.stats.mappings_expired += 1
