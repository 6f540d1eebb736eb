"""The SNMP face of many virtual printers in one process (asyncio; pysnmp 7 for SNMPv3).

Layout (reference/snmp.md §1.5-1.7): one pre-bound UDP socket per device address, so a
manager sees a real agent per printer and ``EADDRINUSE`` surfaces at :meth:`add_device`.
Every datagram goes first to our own :class:`asyncio.DatagramProtocol`:

* SNMPv1/v2c are answered by :func:`emulator.snmp.responder.handle_datagram` — a strict BER
  codec plus the pure MIB view, ~10× faster than decoding with pyasn1 (docs/snmp.md has the
  figures). Community ``state.snmp.read_community`` reads, ``write_community`` reads and
  writes; anything else is dropped (snmpInBadCommunityNames).
* SNMPv3 is handed to **one** pysnmp ``SnmpEngine`` per process (USM authPriv; the engine's
  dispatcher sees each device as its own transport domain, so the request's
  ``transportDomain`` names the device). Its responder calls the same pure logic, so v3
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

__all__ = ["SnmpAgent", "SnmpAgentError"]


class SnmpAgentError(RuntimeError):
    """The agent cannot serve a device as asked (address in use, conflicting v3 user, ...)."""


class _Endpoint(asyncio.DatagramProtocol):
    """One device on one UDP address."""

    def __init__(self, agent: SnmpAgent, device: Any, mib: MibDevice, host: str, port: int) -> None:
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

    # -- devices --------------------------------------------------------------------------

    async def add_device(self, device: Any, host: str, port: int = 1161) -> tuple[str, int]:
        """Start answering for ``device`` on ``host:port`` (UDP); returns the bound address
        (port 0 picks a free port)."""
        state: st.PrinterState = device.state
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
        if response is not None and ep.transport is not None:
            ep.transport.sendto(response, addr)

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
        if not snmp.trap_destinations or ep.transport is None:
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
                ep.transport.sendto(packet, parse_destination(dest))
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
            ep = self.agent._by_domain.get(tuple(info["transportDomain"]))
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
