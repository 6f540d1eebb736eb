"""One virtual printer: its state, behaviour engine, clock, control API and protocol faces.

``VirtualPrinter`` is what the faces receive from ``lookup(local_host)``: it has ``.state``,
``.engine``, ``.clock`` (and ``.control``). :meth:`VirtualPrinter.start` binds the faces on
the printer's own loopback address with the standard port layout (DESIGN §8): SNMP 1161/udp,
IPP 8631 at ``/ipp/print``, EWS 8080, the control API 8081 (``/api/...``), TR-069 connection
requests 7547 (added by the embedded TR-069 client). A fleet shares listeners between devices
instead; this class is the single-printer case and the unit a fleet is made of.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from printbench.common import httplog
from printbench.common.clock import Clock, SystemClock
from printbench.common.httpguard import GuardedAppRunner, HttpTimeouts
from printbench.emulator.behaviour import PrinterEngine
from printbench.emulator.control import PrinterControl, create_control_app
from printbench.emulator.identity import cr_credentials
from printbench.emulator.profiles import Profile, build_printer, load_profile

log = logging.getLogger(__name__)

FACES: tuple[str, ...] = ("snmp", "ipp", "ews", "control", "tr069")


@dataclass(frozen=True)
class Ports:
    """The port layout on a printer's address (0: let the system choose, for tests)."""

    snmp: int = 1161
    ipp: int = 8631
    ews: int = 8080
    control: int = 8081
    cwmp: int = 7547  # connection requests (the embedded TR-069 client)

    @classmethod
    def standard(cls) -> Ports:
        """The ports a real printer uses (needs privileges to bind)."""
        return cls(snmp=161, ipp=631, ews=80, control=8081, cwmp=7547)

    @classmethod
    def ephemeral(cls) -> Ports:
        return cls(snmp=0, ipp=0, ews=0, control=0, cwmp=0)


class VirtualPrinter:
    """A printer of ``profile``, unit ``seed``, on loopback address ``host``."""

    def __init__(
        self,
        profile: str | Profile,
        *,
        host: str = "127.1.0.1",
        seed: int = 0,
        clock: Clock | None = None,
        speed: float = 1.0,
        acs_url: str | None = None,
        ports: Ports | None = None,
        http_timeouts: HttpTimeouts | None = None,
    ) -> None:
        self.profile = profile if isinstance(profile, Profile) else load_profile(profile)
        self.host = host
        self.seed = seed
        self.clock: Clock = clock or SystemClock()
        self.ports = ports or Ports()
        #: head/body limits of the TCP faces (IPP, EWS, control, connection requests)
        self.http_timeouts = http_timeouts or HttpTimeouts()
        self.acs_url = acs_url
        self.state = self._build()
        self.engine = PrinterEngine(
            self.state, self.clock, seed=seed, speed=speed, factory=self._build
        )
        self.control = PrinterControl(self)
        self.endpoints: dict[str, str] = {}
        self._runners: list[web.AppRunner] = []
        self._servers: list[asyncio.Server] = []
        self._snmp_agent: Any = None
        self._driver: asyncio.Task[None] | None = None
        self.tr069: Any = None  # emulator.tr069.client.EmbeddedClient while started
        self.tr069_store: Any = None  # its persistent state (kept across stop/start)
        #: More CpeConfig settings for the embedded client (TLS files: ca_file, client_cert...)
        self.tr069_config: dict[str, Any] = {}

    def _build(self) -> Any:
        state = build_printer(self.profile, seed=self.seed, clock=self.clock, host=self.host)
        bound = getattr(self, "ews_port_bound", None)  # kept over a factory reset
        if bound:
            state.network.http_port = bound
        if self.acs_url:
            state.management.acs_url = self.acs_url
        if not state.management.connection_request_username:  # factory credentials (§3.2.2)
            user, password = cr_credentials(state.identity.serial_number, self.seed)
            state.management.connection_request_username = user
            state.management.connection_request_password = password
        return state

    def lookup(self, local_host: str) -> VirtualPrinter | None:
        """The faces' lookup: this printer for its own address."""
        return self if local_host == self.host else None

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self, *, faces: tuple[str, ...] = FACES, drive: bool = True) -> dict[str, str]:
        """Bind the faces on the printer's address; with ``drive``, run the engine in real time.

        Returns ``{face: endpoint URL}`` (also kept in :attr:`endpoints`)."""
        unknown = set(faces) - set(FACES)
        if unknown:
            raise ValueError(
                f"unknown face(s) {', '.join(sorted(unknown))} (faces: {', '.join(FACES)})"
            )
        try:
            if "snmp" in faces:
                from printbench.emulator.snmp.agent import SnmpAgent

                self._snmp_agent = SnmpAgent()
                host, port = await self._snmp_agent.add_device(self, self.host, self.ports.snmp)
                self.endpoints["snmp"] = f"udp://{host}:{port}"
            if "ipp" in faces:
                from printbench.emulator.ipp.server import start_ipp_listener

                # The IPP face's own HTTP/1.1 layer, about 3x aiohttp's rate (docs/ipp.md).
                server = await start_ipp_listener(
                    self.lookup,
                    self.host,
                    self.ports.ipp,
                    ews_port=self.ports.ews,
                    head_timeout=self.http_timeouts.head,
                    body_timeout=self.http_timeouts.body,
                )
                self._servers.append(server)
                port = int(server.sockets[0].getsockname()[1])
                self.endpoints["ipp"] = f"ipp://{self.host}:{port}/ipp/print"
            if "ews" in faces:
                from printbench.emulator.ews.app import create_ews_app

                port = await self._serve(create_ews_app(self.lookup), self.ports.ews)
                self.ews_port_bound = self.state.network.http_port = port
                self.endpoints["ews"] = f"http://{self.host}:{port}/"
            if "control" in faces:
                port = await self._serve(create_control_app(self.lookup), self.ports.control)
                self.endpoints["control"] = f"http://{self.host}:{port}/api/"
            if "tr069" in faces:
                from printbench.cwmp_cpe import MemoryStore
                from printbench.emulator.tr069.client import EmbeddedClient

                if self.tr069_store is None:
                    self.tr069_store = MemoryStore()
                self.tr069 = EmbeddedClient(
                    self.state,
                    self.engine,
                    self.clock,
                    host=self.host,
                    port=self.ports.cwmp,
                    store=self.tr069_store,
                    http_timeouts=self.http_timeouts,
                    **self.tr069_config,
                )
                self.endpoints["tr069"] = await self.tr069.start()
        except BaseException:
            await self.stop()
            raise
        if drive:
            self._driver = asyncio.create_task(self.engine.run(), name=f"engine {self.host}")
        return dict(self.endpoints)

    async def _serve(self, app: web.Application, port: int) -> int:
        httplog.install()
        runner = GuardedAppRunner(
            app, timeouts=self.http_timeouts, access_log=None, handle_signals=False
        )
        await runner.setup()
        self._runners.append(runner)
        site = web.TCPSite(runner, self.host, port, reuse_address=True)
        await site.start()
        bound = [a for a in runner.addresses if isinstance(a, tuple)]
        return int(bound[-1][1]) if bound else port

    async def stop(self) -> None:
        """Close every face and stop the engine driver."""
        if self._driver is not None:
            self._driver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._driver
            self._driver = None
        if self.tr069 is not None:
            await self.tr069.stop()
            self.tr069 = None
        for runner in reversed(self._runners):
            await runner.cleanup()
        self._runners.clear()
        for server in self._servers:
            server.close()
            await server.wait_closed()
        self._servers.clear()
        if self._snmp_agent is not None:
            await self._snmp_agent.close()
            self._snmp_agent = None
        self.endpoints.clear()

    async def __aenter__(self) -> VirtualPrinter:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def endpoint_lines(self) -> list[str]:
        """What ``printbench printer`` prints, one endpoint a line."""
        s = self.state
        lines = [
            f"printer {s.description.name} {s.identity.manufacturer} {s.identity.model} serial {s.identity.serial_number}"
        ]
        if "snmp" in self.endpoints:
            lines.append(
                f"snmp {self.endpoints['snmp']} community {s.snmp.read_community}/{s.snmp.write_community}"
                f" v3 user {s.snmp.v3_user}"
            )
        for face in ("ipp", "ews", "control", "tr069"):
            if face in self.endpoints:
                extra = ""
                if face == "tr069":  # the connection request needs them (digest)
                    mg = s.management
                    extra = (
                        f" user {mg.connection_request_username}"
                        f" password {mg.connection_request_password}"
                    )
                lines.append(f"{face} {self.endpoints[face]}{extra}")
        if s.management.acs_url:
            lines.append(f"acs {s.management.acs_url}")
        return lines
