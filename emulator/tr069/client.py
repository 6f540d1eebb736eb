"""The embedded TR-069 client of one virtual printer: glue between the printer and cwmp_cpe.

It builds the TR-069 view of the printer's state, a ``cwmp_cpe.Cpe`` over it with the
printer's hooks (Reboot, FactoryReset, firmware and configuration files), serves connection
requests on the printer's own address, and turns the state's change events into what the
runtime needs to know:

- ``status.boot_count`` → the device booted (``1 BOOT``, plus ``M Reboot`` after a Reboot RPC);
- ``status.factory_resets`` → factory reset (``0 BOOTSTRAP``, attributes and ParameterKey gone);
- ``management.*`` → settings changed (ACS URL, periodic inform, credentials): re-read now;
- anything else (supply levels, state, alerts, counters) → poll the watched parameters, which
  yields passive notifications for the next Inform and active ones that start a session
  (throttled by DefaultActiveNotificationThrottle).
"""

from __future__ import annotations

import hashlib
import logging
from collections import deque
from pathlib import Path
from typing import Any, Protocol

from printbench.cwmp_cpe import ConnectionRequestServer, Cpe, CpeConfig, MemoryStore
from printbench.cwmp_cpe.config import QUIRKS
from printbench.cwmp_cpe.diag_service import attach as attach_diagnostics
from printbench.cwmp_cpe.stun_agent import UdpConnectionRequestAgent
from printbench.cwmp_cpe.xmpp import XmppConnReq
from printbench.emulator.state import ValueRejected
from printbench.emulator.tr069 import diag_view
from printbench.emulator.tr069.transfers import PrinterHooks
from printbench.emulator.tr069.view import printer_tree

log = logging.getLogger(__name__)


class CrRegistry(Protocol):
    """Where a client registers for connection requests: a ``ConnectionRequestServer`` of its
    own, or a listener shared by many printers (the fleet's)."""

    def register(self, cpe: Any, path: str | None = None) -> str: ...

    def unregister(self, cpe: Any) -> None: ...


def _sleep_for(clock: Any):
    sleep = getattr(clock, "sleep", None)
    if sleep is not None:
        return sleep
    from printbench.cwmp_cpe import SystemTime

    return SystemTime().sleep


class EmbeddedClient:
    """One printer's TR-069 client. ``await start()`` / ``await stop()``."""

    def __init__(
        self,
        state: Any,
        engine: Any,
        clock: Any,
        *,
        host: str = "127.1.0.1",
        port: int = 7547,
        acs_url: str | None = None,
        store: Any = None,
        sleep: Any = None,
        cr_server: CrRegistry | None = None,
        http_timeouts: Any = None,
        udp_port: int | None = None,
        udp_listen_without_stun: bool = True,
        **config: Any,
    ) -> None:
        self.state = state
        self.engine = engine
        self.clock = clock
        self.host = host
        self.port = port
        if acs_url:
            state.management.acs_url = acs_url
        self.tree, self.view = printer_tree(state, clock)
        self.log: deque[str] = deque(maxlen=500)
        self.hooks = PrinterHooks(state, engine, self.log)
        mg = state.management
        quirks = frozenset(q for q in mg.quirks if q in QUIRKS)
        unknown = set(mg.quirks) - set(QUIRKS)
        if unknown:
            log.warning("%s: unknown TR-069 quirks ignored: %s", host, ", ".join(sorted(unknown)))
        self.config = CpeConfig(cwmp_version=mg.cwmp_version or "1.4", quirks=quirks, **config)
        self.cpe = Cpe(
            self.tree,
            self.config,
            hooks=self.hooks,
            clock=clock,
            sleep=sleep or _sleep_for(clock),
            store=store if store is not None else MemoryStore(),
            name=f"{host} {state.identity.serial_number}",
            secrets=self._secrets,
        )
        # Device.IP.Diagnostics. (TR-181/TR-143): tests run after the session, then 8 event.
        self.diagnostics = attach_diagnostics(self.cpe, lambda: diag_view.store(self.view))
        # Started and stopped here only when it is the client's own.
        self._own_server: ConnectionRequestServer | None = None
        if cr_server is None:
            cr_server = self._own_server = ConnectionRequestServer(host, port, timeouts=http_timeouts)
        self.cr_server: CrRegistry = cr_server
        self._unsubscribe: Any = None
        # UDP Connection Requests + STUN binding (TR-069 Annex G), on the UDP port of the
        # same number as the TCP connection request port unless told otherwise.
        self.udp = UdpConnectionRequestAgent(
            self.cpe,
            host,
            port if udp_port is None else udp_port,
            on_change=self._udp_changed,
            listen_without_stun=udp_listen_without_stun,
        )
        # TR-181 SupportedConnReqMethods: this client can take UDP connection requests with
        # STUN (Annex G), whether STUNEnable is on yet or not (view_xmpp.py builds the list)
        self.view.extra["connreq_methods"] = ("STUN",)
        # TR-069 Annex K connection requests over the printer's XMPP connection (state.xmpp)
        self.xmpp = XmppConnReq(
            self.cpe,
            password=lambda: self.state.xmpp.password,
            ca_file=self.state.xmpp.ca_file or None,
        )
        self.view.extra["xmpp"] = self.xmpp

    def _secrets(self) -> dict[str, str]:
        mg = self.state.management
        return {
            "password": mg.password,
            "cr_password": mg.connection_request_password,
            "stun_password": mg.stun_password,
        }

    def _cr_path(self) -> str:
        token = hashlib.sha256(
            f"{self.state.identity.serial_number}|{self.host}".encode()
        ).hexdigest()[:16]
        return f"/cwmp/{token}"

    async def start(self) -> str:
        """Start serving; returns the ConnectionRequestURL."""
        if self._own_server is not None:
            await self._own_server.start()
        url = self.cr_server.register(self.cpe, self._cr_path())
        self.view.connection_request_url = url
        self.tree.listeners.append(self._tree_changed)
        self._unsubscribe = self.state.subscribe(self._on_change)
        await self.udp.start()
        await self.cpe.start()
        await self.xmpp.start()
        return url

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        await self.xmpp.stop()
        self.diagnostics.close()  # a test at work stops within 0.5 s, without an event
        await self.cpe.stop()
        await self.udp.stop()
        self.cr_server.unregister(self.cpe)
        if self._own_server is not None:
            await self._own_server.stop()

    def _tree_changed(self, op: str, names: list[str]) -> None:
        # Mirror the ParameterKey into the state so the EWS and a factory reset see it.
        if self.state.management.parameter_key != self.tree.parameter_key:
            try:
                self.state.management.parameter_key = self.tree.parameter_key
            except ValueRejected as exc:
                # TR-069 allows any string(32) as ParameterKey (TP-181 5.7.3 sends tab, CR,
                # LF); the printer's other faces cannot show control characters, so its
                # state keeps the last key they can carry. The tree (what the ACS reads and
                # the store keeps) has the real one.
                log.info("%s: ParameterKey not shown on the printer's faces: %s", self.host, exc)

    def _on_change(self, event: Any) -> None:
        path = event.path
        self.log.append(f"{self.clock.now().isoformat()} {path} {event.old!r} -> {event.new!r}")
        if path == "status.boot_count":
            diag_view.on_reboot(self.view)  # a test in progress does not survive
            self.cpe.device_booted()
        elif path == "status.factory_resets":
            self.cpe.device_factory_reset()
        elif path.startswith("management."):
            if path.startswith("management.stun_"):
                self.udp.reconfigure()
            self.cpe.wake()
        elif path == "xmpp.allowed_jabber_ids":
            self.cpe.values_changed()  # read per request: the stream stays as it is
        elif path.startswith("xmpp."):
            self.xmpp.ca_file = Path(self.state.xmpp.ca_file) if self.state.xmpp.ca_file else None
            self.xmpp.wake()  # reconnect with the new settings
            self.cpe.values_changed()
        else:
            self.cpe.values_changed()

    def _udp_changed(self) -> None:
        """The UDP agent learned a new mapped address or NAT state: the view shows it and the
        watched parameters are polled (an ACS that set notification on
        UDPConnectionRequestAddress hears of the change, TR-069 Annex G)."""
        self.view.extra["udp_cr_address"] = self.udp.udp_address
        self.view.extra["nat_detected"] = self.udp.nat_detected
        self.cpe.values_changed()
