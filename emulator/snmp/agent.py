"""The SNMP face of many virtual printers in one process (asyncio; pysnmp 7 for SNMPv3).

Layout (reference/snmp.md §1.5-1.7): a manager must see a real agent per printer, so every
answer leaves from the address that was asked (net-snmp drops a reply from another source).
Two ways to get there:

* **per-address** (the default of :meth:`SnmpAgent.add_device`): one pre-bound UDP socket
  per device address, so ``EADDRINUSE`` surfaces at :meth:`add_device`;
* **wildcard** (:meth:`SnmpAgent.serve_wildcard`, then :meth:`add_device` on the same port):
  one UDP socket for every device on that port, bound to ``0.0.0.0`` (or one address) with
  ``IP_PKTINFO`` on. ``recvmsg`` hands us the datagram's destination address (ip(7),
  ``IP_PKTINFO``: ``ipi_addr`` is the header destination), which names the device; the
  answer goes out with ``sendmsg`` and an ``in_pktinfo`` whose ``ipi_spec_dst`` is that
  address, so the kernel uses it as the source. One descriptor serves 100,000 printers; a
  datagram for an address no device owns is dropped and counted (``unknown_address``).

Every datagram then goes to :meth:`SnmpAgent._datagram`:

* SNMPv1/v2c are answered by :func:`emulator.snmp.responder.handle_datagram` — a strict BER
  codec plus the pure MIB view, ~10× faster than decoding with pyasn1 (docs/snmp.md has the
  figures). Community ``state.snmp.read_community`` reads, ``write_community`` reads and
  writes; anything else is dropped (snmpInBadCommunityNames).
* SNMPv3 is handed to **one** pysnmp ``SnmpEngine`` per process (USM authPriv; the engine's
  dispatcher sees each device as its own transport domain, so the request's
  ``transportDomain`` names the device; a wildcard socket is one domain, and the request's
  ``transportAddress`` carries the local address it was sent to). Its responder calls the same pure logic, so v3
  answers equal v1/v2c answers, with the correct error-index (pysnmp's own reports the wrong
  one, §1.4 #9) and GETBULK trimmed (§1.4 #3). Consequence: all devices share the process's
  snmpEngineID, and devices that declare the same v3 user name must use the same keys.

A device whose ``state.status.powered`` is False answers nothing. Any exception inside a
request costs that request (genErr or a drop, counted), never the agent. When an alert row
is added to a device's state, a printerV2Alert trap (SNMPv2c) goes from the device's
address to every ``state.snmp.trap_destinations`` entry.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
import struct
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from printbench.emulator import state as st
from printbench.emulator.snmp.mib import AUTHORIZATION_ERROR, GEN_ERR, MibDevice
from printbench.emulator.snmp.responder import MAX_RESPONSE_SIZE, Counters, handle_datagram, respond
from printbench.emulator.snmp.traps import (
    TrapDestinationError,
    encode_alert_trap,
    parse_destination,
)
from printbench.snmp import ber

log = logging.getLogger(__name__)

__all__ = ["SnmpAgent", "SnmpAgentError", "wildcard_socket"]

#: ``IP_PKTINFO`` from <linux/in.h> (Python's socket module does not export it on 3.11).
IP_PKTINFO: int = getattr(socket, "IP_PKTINFO", 8)
#: ``struct in_pktinfo { int ipi_ifindex; struct in_addr ipi_spec_dst, ipi_addr; }`` (ip(7)).
_IN_PKTINFO = struct.Struct("=i4s4s")
_ANCILLARY_SIZE = socket.CMSG_SPACE(_IN_PKTINFO.size)
#: Datagrams read per readiness callback before other work gets the loop again.
_READ_BATCH = 64
#: Largest request we read (the largest UDP payload over IPv4).
_MAX_DATAGRAM = 65535
#: Receive buffer asked for a wildcard socket: it queues the requests of every printer of a
#: worker, not of one (the kernel caps it at net.core.rmem_max, socket(7) SO_RCVBUF).
_WILDCARD_RCVBUF = 4 << 20


class SnmpAgentError(RuntimeError):
    """The agent cannot serve a device as asked (address in use, conflicting v3 user, ...)."""


def wildcard_socket(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    """A bound, non-blocking UDP socket with ``IP_PKTINFO`` on: errors surface here, naming
    the address. ``reuse_port`` is for a supervisor that makes one per worker (SO_REUSEPORT,
    steered by destination address); a lone fleet leaves it off so that a second fleet on
    the same port fails with EADDRINUSE instead of silently sharing its datagrams."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _WILDCARD_RCVBUF)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise SnmpAgentError(
            f"SNMP {host}:{port}/udp: cannot bind: {exc.strerror or exc}"
        ) from None
    sock.setblocking(False)
    return sock


def _destination(ancillary: list[tuple[int, int, bytes]]) -> str | None:
    """The destination address of a received datagram, from its IP_PKTINFO control message."""
    for level, kind, data in ancillary:
        if level == socket.IPPROTO_IP and kind == IP_PKTINFO and len(data) >= _IN_PKTINFO.size:
            _ifindex, _spec_dst, addr = _IN_PKTINFO.unpack_from(data)
            return socket.inet_ntoa(addr)
    return None


class _Wildcard:
    """One UDP socket serving every device on its port; the destination address names the
    device (``IP_PKTINFO``) and answers leave from that address."""

    __slots__ = ("agent", "domain", "endpoints", "host", "port", "sock", "v3_transport")

    def __init__(self, agent: SnmpAgent, sock: socket.socket) -> None:
        self.agent = agent
        self.sock = sock
        self.host, self.port = sock.getsockname()[:2]
        self.endpoints: dict[str, _Endpoint] = {}  # destination address -> device
        self.v3_transport: Any = None  # one pysnmp transport (domain) for the whole socket
        self.domain: tuple[int, ...] | None = None

    def covers(self, host: str) -> bool:
        return self.host in ("0.0.0.0", host)

    def readable(self) -> None:
        """Read what is queued (bounded), dispatch each datagram to the owning device."""
        agent = self.agent
        for _ in range(_READ_BATCH):
            try:
                data, ancillary, _flags, addr = self.sock.recvmsg(_MAX_DATAGRAM, _ANCILLARY_SIZE)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # a queued ICMP error (ECONNREFUSED...): it is consumed
                log.debug("SNMP *:%d: %s", self.port, exc)
                continue
            dst = _destination(ancillary)
            ep = self.endpoints.get(dst) if dst is not None else None
            if ep is None:  # nobody owns that address: drop, as a host without the agent would
                agent.counters.unknown_address += 1
                continue
            try:
                agent._datagram(ep, data, addr)
            except Exception:  # never let one datagram stop the socket
                agent.counters.internal_errors += 1
                log.exception("SNMP %s:%d: unexpected error on a datagram from %s",
                              ep.host, self.port, addr)  # fmt: skip

    def sendto(self, data: bytes, addr: tuple[str, int], source: str) -> None:
        """Send ``data`` to ``addr`` from ``source`` (``ipi_spec_dst``, ip(7))."""
        info = _IN_PKTINFO.pack(0, socket.inet_aton(source), bytes(4))
        try:
            self.sock.sendmsg([data], [(socket.IPPROTO_IP, IP_PKTINFO, info)], 0, addr)
        except (BlockingIOError, InterruptedError):  # send buffer full: UDP may lose it
            self.agent.counters.send_dropped += 1
        except OSError as exc:
            self.agent.counters.send_dropped += 1
            log.debug("SNMP %s:%d: send to %s failed: %s", source, self.port, addr, exc)


class _V3Sender:
    """What pysnmp's transport writes to for a wildcard socket: the reply's transport
    address carries the local address the request came to, which becomes the source."""

    __slots__ = ("wildcard",)

    def __init__(self, wildcard: _Wildcard) -> None:
        self.wildcard = wildcard

    def sendto(self, data: bytes, addr: Any) -> None:
        local = addr.get_local_address() if hasattr(addr, "get_local_address") else None
        if not local:
            log.warning("SNMPv3 *:%d: reply to %s without a local address: dropped",
                        self.wildcard.port, addr)  # fmt: skip
            return
        self.wildcard.sendto(data, (addr[0], addr[1]), local[0])

    def close(self) -> None:  # pysnmp closes its transports; the socket is ours
        return None


class _Endpoint(asyncio.DatagramProtocol):
    """One device on one UDP address (its own socket, or its share of a wildcard socket)."""

    __slots__ = (
        "agent",
        "device",
        "domain",
        "host",
        "mib",
        "port",
        "state",
        "transport",
        "traps_sent",
        "unsubscribe",
        "v3_transport",
        "v3_user",
        "wildcard",
    )  # fmt: skip

    def __init__(self, agent: SnmpAgent, device: Any, mib: MibDevice, host: str, port: int,
                 wildcard: _Wildcard | None = None) -> None:  # fmt: skip
        self.agent = agent
        self.device = device
        self.state: st.PrinterState = device.state
        self.mib = mib
        self.host = host
        self.port = port
        self.transport: asyncio.DatagramTransport | None = None
        self.domain: tuple[int, ...] | None = None
        self.v3_transport: Any = None
        self.v3_user: str | None = None
        self.unsubscribe: Callable[[], None] | None = None
        self.traps_sent = 0
        self.wildcard = wildcard

    def send(self, data: bytes, addr: tuple[str, int]) -> None:
        """Send from this device's own address, whichever socket it is served on."""
        if self.wildcard is not None:
            self.wildcard.sendto(data, addr, self.host)
        elif self.transport is not None:
            self.transport.sendto(data, addr)

    @property
    def can_send(self) -> bool:
        return self.wildcard is not None or self.transport is not None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A datagram endpoint is always given a DatagramTransport; the base signature says
        # BaseTransport because connection_made is shared with stream protocols.
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            self.agent._datagram(self, data, addr)
        except Exception:  # never let one datagram stop the endpoint
            self.agent.counters.internal_errors += 1
            log.exception(
                "SNMP %s:%d: unexpected error on a datagram from %s", self.host, self.port, addr
            )

    def error_received(self, exc: Exception) -> None:  # ICMP port unreachable etc.
        log.debug("SNMP %s:%d: %s", self.host, self.port, exc)


class SnmpAgent:
    """Serves the SNMP face of any number of devices (each with ``.state``, ``.clock`` and
    optionally ``.engine``) from one event loop."""

    def __init__(self, *, max_cached_tables: int = 256) -> None:
        self.counters = Counters()
        self.max_cached_tables = max_cached_tables
        self._endpoints: dict[tuple[str, int], _Endpoint] = {}
        self._by_domain: dict[tuple[int, ...], _Endpoint] = {}
        self._lru: OrderedDict[int, MibDevice] = OrderedDict()
        self._engine: Any = None
        self._next_domain = 1
        self._v3_users: dict[str, tuple[tuple[str, str, str, str], int]] = {}
        self._wildcards: dict[int, _Wildcard] = {}  # port -> the socket serving it
        self._wild_domains: dict[tuple[int, ...], _Wildcard] = {}

    # -- wildcard sockets -----------------------------------------------------------------

    def serve_wildcard(
        self, sock: socket.socket | None = None, host: str = "0.0.0.0", port: int = 1161
    ) -> tuple[str, int]:
        """Serve every device later added on this port from one UDP socket; returns its
        address. ``sock`` (made by :func:`wildcard_socket`, e.g. a supervisor's SO_REUSEPORT
        share) is used as is, else one is bound to ``host:port`` (port 0: a free port)."""
        if sock is None:
            sock = wildcard_socket(host, port)
        else:
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
        w = _Wildcard(self, sock)
        if w.port in self._wildcards:
            sock.close()
            raise SnmpAgentError(f"SNMP *:{w.port}/udp: already served by a wildcard socket")
        asyncio.get_running_loop().add_reader(sock.fileno(), w.readable)
        self._wildcards[w.port] = w
        return w.host, w.port

    @property
    def wildcard_addresses(self) -> list[tuple[str, int]]:
        return [(w.host, w.port) for w in self._wildcards.values()]

    def _add_shared(self, device: Any, mib: MibDevice, w: _Wildcard, host: str) -> _Endpoint:
        if not w.covers(host):
            raise SnmpAgentError(
                f"SNMP {host}:{w.port}/udp: the wildcard socket is bound to {w.host}, "
                "which does not receive that address"
            )
        if host in w.endpoints:
            raise SnmpAgentError(f"SNMP {host}:{w.port}/udp already serves a device")
        ep = _Endpoint(self, device, mib, host, w.port, wildcard=w)
        if device.state.snmp.v3_enabled:
            ep.v3_transport = self._wildcard_v3(w)  # the engine first: users live in it
            self._claim_v3_user(ep)
        w.endpoints[host] = ep
        return ep

    # -- devices --------------------------------------------------------------------------

    async def add_device(self, device: Any, host: str, port: int = 1161) -> tuple[str, int]:
        """Start answering for ``device`` on ``host:port`` (UDP); returns its address.

        When a wildcard socket serves ``port`` the device shares it; otherwise the device
        gets its own socket bound to ``host:port`` (port 0 picks a free port)."""
        state: st.PrinterState = device.state
        w = self._wildcards.get(port) if port else None
        if w is not None:
            mib = MibDevice(state, device.clock, getattr(device, "engine", None))
            try:
                ep = self._add_shared(device, mib, w, host)
            except Exception:
                mib.close()
                raise
            ep.unsubscribe = state.subscribe(lambda event: self._on_change(ep, event))
            self._endpoints[(host, w.port)] = ep
            return host, w.port
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((host, port))
        except OSError as exc:
            sock.close()
            raise SnmpAgentError(
                f"SNMP {host}:{port}/udp: cannot bind: {exc.strerror or exc}"
            ) from None
        sock.setblocking(False)
        bound = sock.getsockname()[:2]
        if bound in self._endpoints:
            sock.close()
            raise SnmpAgentError(f"SNMP {bound[0]}:{bound[1]}/udp already serves a device")
        mib = MibDevice(state, device.clock, getattr(device, "engine", None))
        ep = _Endpoint(self, device, mib, bound[0], bound[1])
        loop = asyncio.get_running_loop()
        try:
            await loop.create_datagram_endpoint(lambda: ep, sock=sock)
            if state.snmp.v3_enabled:
                self._attach_v3(ep)
        except Exception:
            mib.close()
            if ep.transport is not None:
                ep.transport.close()
            else:
                sock.close()
            raise
        ep.unsubscribe = state.subscribe(lambda event: self._on_change(ep, event))
        self._endpoints[bound] = ep
        return bound

    async def remove_device(self, host: str, port: int) -> None:
        """Stop answering on ``host:port`` and forget the device."""
        ep = self._endpoints.pop((host, port), None)
        if ep is None:
            raise SnmpAgentError(f"SNMP {host}:{port}/udp serves no device")
        self._detach(ep)

    async def close(self) -> None:
        for ep in list(self._endpoints.values()):
            self._detach(ep)
        self._endpoints.clear()
        for w in self._wildcards.values():
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_reader(w.sock.fileno())
            w.sock.close()
        self._wildcards.clear()
        self._wild_domains.clear()
        if self._engine is not None:
            with contextlib.suppress(Exception):
                self._engine.close_dispatcher()
            self._engine = None

    def device_at(self, host: str, port: int) -> Any:
        return self._endpoints[(host, port)].device

    def mib_at(self, host: str, port: int) -> MibDevice:
        return self._endpoints[(host, port)].mib

    @property
    def addresses(self) -> list[tuple[str, int]]:
        return list(self._endpoints)

    def _detach(self, ep: _Endpoint) -> None:
        if ep.unsubscribe is not None:
            ep.unsubscribe()
        if ep.domain is not None and self._engine is not None:
            from pysnmp.entity import config

            ep.v3_transport.transport = None  # our socket: closed below, not by pysnmp
            with contextlib.suppress(Exception):
                config.delete_transport(self._engine, ep.domain)
            self._by_domain.pop(ep.domain, None)
        self._release_v3_user(ep)
        if ep.wildcard is not None:
            ep.wildcard.endpoints.pop(ep.host, None)
        if ep.transport is not None:
            ep.transport.close()
        self._lru.pop(id(ep.mib), None)
        ep.mib.close()

    # -- datagrams ------------------------------------------------------------------------

    def _datagram(self, ep: _Endpoint, data: bytes, addr: tuple[str, int]) -> None:
        c = self.counters
        c.received += 1
        state = ep.state
        if not state.status.powered:
            c.powered_off += 1
            return
        version = ber.peek_version(data)
        if version == 3:
            c.v3 += 1
            if ep.v3_transport is None or not state.snmp.v3_enabled:
                c.bad_versions += 1
                return
            if ep.wildcard is not None:  # the reply's source: the address that was asked
                addr = _v3_address(addr, ep)
            try:
                ep.v3_transport._callback_function(ep.v3_transport, addr, data)
            except Exception as exc:  # pysnmp rejects garbage by raising: count, drop
                c.parse_errors += 1
                log.debug("SNMPv3 %s:%d: dropped: %s", ep.host, ep.port, exc)
            return
        if version not in (0, 1):
            if version is None:
                c.parse_errors += 1
            else:
                c.bad_versions += 1
            return
        snmp = state.snmp
        response = handle_datagram(
            ep.mib,
            data,
            read_community=snmp.read_community.encode(),
            write_community=snmp.write_community.encode(),
            counters=c,
            v1v2c_enabled=snmp.v1v2c_enabled,
        )
        self._touch(ep.mib)
        if response is not None:
            ep.send(response, addr)

    def _touch(self, mib: MibDevice) -> None:
        """Keep at most ``max_cached_tables`` built tables alive (least recently used)."""
        lru = self._lru
        key = id(mib)
        if key in lru:
            lru.move_to_end(key)
            return
        lru[key] = mib
        while len(lru) > self.max_cached_tables:
            _k, old = lru.popitem(last=False)
            old.drop_cache()

    # -- traps ----------------------------------------------------------------------------

    def _on_change(self, ep: _Endpoint, event: st.ChangeEvent) -> None:
        if (
            event.path != "alerts"
            or not isinstance(event.new, int)
            or not isinstance(event.old, int)
        ):
            return
        if event.new <= event.old or not ep.state.status.powered:
            return
        for alert in ep.state.alerts[event.old : event.new]:
            self.send_alert_trap(ep, alert)

    def send_alert_trap(self, ep: _Endpoint, alert: st.Alert) -> int:
        """Send one printerV2Alert for ``alert`` to every destination; returns how many."""
        snmp = ep.state.snmp
        if not snmp.trap_destinations or not ep.can_send:
            return 0
        packet = encode_alert_trap(
            alert,
            uptime_ticks=ep.mib.uptime(),
            community=snmp.trap_community,
            request_id=random.getrandbits(31),
        )
        sent = 0
        for dest in snmp.trap_destinations:
            try:
                ep.send(packet, parse_destination(dest))
                sent += 1
            except (TrapDestinationError, OSError) as exc:
                log.warning("SNMP %s:%d: trap to %r not sent: %s", ep.host, ep.port, dest, exc)
        ep.traps_sent += sent
        return sent

    # -- SNMPv3 through pysnmp ------------------------------------------------------------

    def _ensure_engine(self) -> Any:
        if self._engine is None:
            from pysnmp.entity import engine
            from pysnmp.entity.rfc3413 import context

            eng = engine.SnmpEngine()
            ctx = context.SnmpContext(eng)
            _make_v3_responder()(eng, ctx, self)
            self._engine = eng
        return self._engine

    def _attach_v3(self, ep: _Endpoint) -> None:
        from pysnmp.carrier.asyncio.dgram import udp
        from pysnmp.entity import config

        eng = self._ensure_engine()
        self._claim_v3_user(ep)
        transport = udp.UdpAsyncioTransport()
        transport.transport = ep.transport  # replies leave through the device's own socket
        domain = (*udp.DOMAIN_NAME, self._next_domain)
        self._next_domain += 1
        config.add_transport(eng, domain, transport)
        ep.v3_transport, ep.domain = transport, domain
        self._by_domain[domain] = ep

    def _wildcard_v3(self, w: _Wildcard) -> Any:
        """The one pysnmp transport (one transport domain) of a wildcard socket."""
        if w.v3_transport is None:
            from pysnmp.carrier.asyncio.dgram import udp
            from pysnmp.entity import config

            eng = self._ensure_engine()
            transport = udp.UdpAsyncioTransport()
            transport.transport = _V3Sender(w)
            domain = (*udp.DOMAIN_NAME, self._next_domain)
            self._next_domain += 1
            config.add_transport(eng, domain, transport)
            w.v3_transport, w.domain = transport, domain
            self._wild_domains[domain] = w
        return w.v3_transport

    def _v3_endpoint(self, info: dict[str, Any]) -> _Endpoint | None:
        """The device a v3 request was sent to: its own domain, or on a wildcard socket's
        domain the local address carried by the request's transport address."""
        domain = tuple(info["transportDomain"])
        ep = self._by_domain.get(domain)
        if ep is not None:
            return ep
        w = self._wild_domains.get(domain)
        if w is None:
            return None
        address: Any = info.get("transportAddress")
        local = address.get_local_address() if hasattr(address, "get_local_address") else None
        return w.endpoints.get(local[0]) if local else None

    def _claim_v3_user(self, ep: _Endpoint) -> None:
        from pysnmp.entity import config

        snmp = ep.state.snmp
        auth = {
            "SHA": config.USM_AUTH_HMAC96_SHA,
            "SHA256": config.USM_AUTH_HMAC192_SHA256,
            "MD5": config.USM_AUTH_HMAC96_MD5,
        }.get(snmp.v3_auth_protocol.upper())
        priv = {"AES": config.USM_PRIV_CFB128_AES, "DES": config.USM_PRIV_CBC56_DES}.get(
            snmp.v3_priv_protocol.upper()
        )
        if auth is None or priv is None:
            raise SnmpAgentError(
                f"SNMPv3 user {snmp.v3_user!r}: unsupported protocols "
                f"{snmp.v3_auth_protocol}/{snmp.v3_priv_protocol} (SHA, SHA256, MD5 / AES, DES)"
            )
        if len(snmp.v3_auth_key) < 8 or len(snmp.v3_priv_key) < 8:
            raise SnmpAgentError(f"SNMPv3 user {snmp.v3_user!r}: keys need at least 8 characters")
        creds = (
            snmp.v3_auth_protocol.upper(),
            snmp.v3_auth_key,
            snmp.v3_priv_protocol.upper(),
            snmp.v3_priv_key,
        )
        known = self._v3_users.get(snmp.v3_user)
        if known is not None:
            if known[0] != creds:
                raise SnmpAgentError(
                    f"SNMPv3 user {snmp.v3_user!r} is already served with other keys by this "
                    "process (one snmpEngineID per process: give devices distinct user names)"
                )
            self._v3_users[snmp.v3_user] = (creds, known[1] + 1)
        else:
            config.add_v3_user(
                self._engine, snmp.v3_user, auth, snmp.v3_auth_key, priv, snmp.v3_priv_key
            )
            self._v3_users[snmp.v3_user] = (creds, 1)
        ep.v3_user = snmp.v3_user

    def _release_v3_user(self, ep: _Endpoint) -> None:
        from pysnmp.entity import config

        if ep.v3_user is None:
            return
        creds, count = self._v3_users[ep.v3_user]
        if count > 1:
            self._v3_users[ep.v3_user] = (creds, count - 1)
        else:
            del self._v3_users[ep.v3_user]
            with contextlib.suppress(Exception):
                config.delete_v3_user(self._engine, ep.v3_user)
        ep.v3_user = None


# -- pysnmp glue ------------------------------------------------------------------------------


def _v3_address(addr: tuple[str, int], ep: _Endpoint) -> Any:
    """pysnmp's transport address for a request that came to ``ep`` on a wildcard socket:
    the local address rides along to the responder and back to :class:`_V3Sender`."""
    from pysnmp.carrier.asyncio.dgram import udp

    return udp.UdpTransportAddress(addr).set_local_address((ep.host, ep.port))


def _make_v3_responder() -> type:
    """The pysnmp command responder for every request PDU type, built lazily so that a
    v1/v2c-only process never imports pysnmp."""
    from pysnmp.entity.rfc3413 import cmdrsp
    from pysnmp.proto import rfc1905
    from pysnmp.proto.api import v2c

    to_ours = {
        v2c.Integer.tagSet: ber.INTEGER,
        v2c.OctetString.tagSet: ber.OCTET_STRING,
        v2c.Null.tagSet: ber.NULL,
        v2c.ObjectIdentifier.tagSet: ber.OBJECT_IDENTIFIER,
        v2c.IpAddress.tagSet: ber.IP_ADDRESS,
        v2c.Counter32.tagSet: ber.COUNTER32,
        v2c.Gauge32.tagSet: ber.GAUGE32,
        v2c.TimeTicks.tagSet: ber.TIMETICKS,
        v2c.Opaque.tagSet: ber.OPAQUE,
        v2c.Counter64.tagSet: ber.COUNTER64,
    }
    pdu_types = {
        rfc1905.GetRequestPDU.tagSet: ber.GET,
        rfc1905.GetNextRequestPDU.tagSet: ber.GETNEXT,
        rfc1905.GetBulkRequestPDU.tagSet: ber.GETBULK,
        rfc1905.SetRequestPDU.tagSet: ber.SET,
    }

    def ours(value: Any) -> ber.Value:
        tag = to_ours.get(value.tagSet, ber.NULL)
        if tag in (ber.OCTET_STRING, ber.IP_ADDRESS, ber.OPAQUE):
            return (tag, bytes(value))
        if tag == ber.OBJECT_IDENTIFIER:
            return (tag, tuple(value))
        if tag == ber.NULL:
            return (tag, None)
        return (tag, int(value))

    def theirs(value: ber.Value) -> Any:
        tag, v = value
        return (
            {
                ber.INTEGER: v2c.Integer,
                ber.OCTET_STRING: v2c.OctetString,
                ber.OBJECT_IDENTIFIER: v2c.ObjectIdentifier,
                ber.IP_ADDRESS: v2c.IpAddress,
                ber.COUNTER32: v2c.Counter32,
                ber.GAUGE32: v2c.Gauge32,
                ber.TIMETICKS: v2c.TimeTicks,
                ber.OPAQUE: v2c.Opaque,
                ber.COUNTER64: v2c.Counter64,
            }[tag](v)
            if tag not in (ber.NULL, ber.NO_SUCH_OBJECT, ber.NO_SUCH_INSTANCE, ber.END_OF_MIB_VIEW)
            else {
                ber.NULL: v2c.Null,
                ber.NO_SUCH_OBJECT: v2c.NoSuchObject,
                ber.NO_SUCH_INSTANCE: v2c.NoSuchInstance,
                ber.END_OF_MIB_VIEW: v2c.EndOfMibView,
            }[tag]("")
        )

    class V3Responder(cmdrsp.CommandResponderBase):
        SUPPORTED_PDU_TYPES = tuple(pdu_types)

        def __init__(self, snmpEngine: Any, snmpContext: Any, agent: SnmpAgent) -> None:
            super().__init__(snmpEngine, snmpContext)
            self.agent = agent

        def handle_management_operation(
            self, snmpEngine: Any, stateReference: Any, contextName: Any, PDU: Any
        ) -> None:
            request = v2c.apiPDU.get_varbinds(PDU)
            try:
                status, index, varbinds = self._answer(snmpEngine, contextName, PDU, request)
            except Exception:
                self.agent.counters.internal_errors += 1
                log.exception("SNMPv3: unexpected error")
                status, index, varbinds = GEN_ERR, 0, request
            self.agent.counters.answered += 1
            self.send_varbinds(snmpEngine, stateReference, status, index, varbinds)
            self.release_state_information(stateReference)

        def _answer(
            self, snmpEngine: Any, contextName: Any, PDU: Any, request: list[Any]
        ) -> tuple[int, int, list[Any]]:
            info = snmpEngine.observer.get_execution_context("rfc3412.receiveMessage:request")
            ep = self.agent._v3_endpoint(info)
            allowed = (
                ep is not None
                and ep.state.status.powered
                and ep.state.snmp.v3_enabled
                and str(info["securityName"]) == ep.state.snmp.v3_user
                and int(info["securityLevel"]) == 3  # authPriv only
                and bytes(contextName) == b""
            )
            if not allowed or ep is None:
                return AUTHORIZATION_ERROR, 1, request
            pdu_type = pdu_types[PDU.tagSet]
            vbs = [(tuple(o), ours(v)) for o, v in request]
            kwargs: dict[str, int] = {}
            if pdu_type == ber.GETBULK:
                kwargs = {
                    "non_repeaters": int(v2c.apiBulkPDU.get_non_repeaters(PDU)),
                    "max_repetitions": int(v2c.apiBulkPDU.get_max_repetitions(PDU)),
                }
            rsp = respond(
                ep.mib,
                pdu_type,
                vbs,
                v1=False,
                may_write=True,
                size_budget=MAX_RESPONSE_SIZE - 200,
                **kwargs,
            )
            self.agent._touch(ep.mib)
            if rsp.error_status:
                return rsp.error_status, rsp.error_index, request
            return 0, 0, [(v2c.ObjectIdentifier(o), theirs(v)) for o, v in rsp.varbinds]

    return V3Responder
