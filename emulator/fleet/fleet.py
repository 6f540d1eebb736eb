"""Many virtual printers in one asyncio loop, sharing everything that can be shared.

A :class:`Fleet` is one worker's share of a fleet. What a single ``VirtualPrinter`` owns per
device, the fleet owns once:

* **one engine ticker**: a single task ticks the behaviour engines of the devices that have
  work (a job waiting or printing); an idle printer costs no CPU because every face ticks the
  engine itself before it reads (``PrinterControl``, the SNMP view, IPP operations);
* **one SNMP agent** (``emulator.snmp.agent.SnmpAgent``), so managers see a real agent per
  printer: one UDP socket for the whole worker (``snmp_sockets="wildcard"``: ``IP_PKTINFO``
  gives each datagram's destination address, which names the device, and the answer leaves
  from it) or one UDP socket per device address (``per-address``). ``auto`` follows the TCP
  listening mode (small fleets stay on their own addresses and never hold a port on
  ``0.0.0.0``; large ones share); port blocks always need per-address sockets;
* **one aiohttp application per TCP face** (IPP, EWS, control, TR-069 connection requests),
  served on one listening socket per port for the whole worker (``wildcard``: the connection's
  local address names the device, DESIGN §6) or, when the descriptor budget allows it or the
  layout needs it, on one socket per device address (``per-address``) — still one app and one
  runner per face, never one per device;
* **one TR-069 client per device** (``cwmp_cpe.Cpe`` over the printer's TR-069 view), which
  holds no socket while idle; its persistent state (event queue, TransferComplete records,
  attributes, ParameterKey) goes to one in-memory map per worker, written to
  ``state_dir/<worker>.json`` on :meth:`Fleet.stop` and read back on the next start.

Per device the fleet keeps plain Python: the ``PrinterState``, its engine, the TR-069 view and
client. Protocol objects (pyasn1, lxml, IPP messages) exist only while a request is answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gc
import hashlib
import json
import logging
import os
import random
import socket
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from printbench.common import httplog
from printbench.common.clock import Clock, SystemClock
from printbench.common.httpguard import GuardedAppRunner
from printbench.emulator import state as st
from printbench.emulator.behaviour import ACTIVE_JOB_STATES, PrinterEngine
from printbench.emulator.device import Ports
from printbench.emulator.fleet import limits
from printbench.emulator.fleet.plan import Layout, profile_for
from printbench.emulator.identity import cr_credentials
from printbench.emulator.profiles import Profile, build_printer, load_profile

if TYPE_CHECKING:
    from printbench.cwmp_cpe import Cpe  # imported when a fleet serves TR-069, not before

log = logging.getLogger(__name__)

TCP_FACES: tuple[str, ...] = ("ipp", "ews", "control", "cwmp")
FACES: tuple[str, ...] = ("snmp", *TCP_FACES)
LISTEN_MODES = ("auto", "wildcard", "per-address")
SNMP_SOCKET_MODES = LISTEN_MODES
_BUSY_JOB_STATES = frozenset({"pending", *ACTIVE_JOB_STATES})

#: The local (host, port) of the connection being served, for port-block lookups.
_LOCAL: contextvars.ContextVar[tuple[str, int] | None] = contextvars.ContextVar(
    "fleet_local", default=None
)


class FleetError(RuntimeError):
    """The fleet cannot start as configured (address in use, bad profile, descriptor limit)."""


@dataclass
class FleetConfig:
    """One worker's share of a fleet: devices ``first`` .. ``first + count - 1``."""

    count: int
    first: int = 0
    layout: Layout = field(default_factory=Layout)
    mix: tuple[tuple[str, float], ...] = (("mono-desktop-laser", 1.0),)
    faces: tuple[str, ...] = FACES
    acs_url: str | None = None
    listen: str = "auto"
    #: SNMP: one wildcard UDP socket per worker, one per device address, or (auto) as ``listen``.
    snmp_sockets: str = "auto"
    bind_host: str = "0.0.0.0"
    seed: int = 0
    state_dir: Path | None = None
    worker: int = 0
    periodic_interval: int | None = None  # overrides the profile's PeriodicInformInterval
    jitter: bool = True  # spread periodic informs over the interval (PeriodicInformTime)
    ramp: float = 0.0  # devices started per second (0: as fast as possible)
    tick_interval: float = 0.5
    cwmp_username: str = ""  # CPE -> ACS credentials (ManagementServer.Username/Password)
    cwmp_password: str = ""
    http_timeout: float = 30.0
    #: Sessions one worker runs at once (0: no limit); the others wait for a slot before
    #: their session starts (see MeteredCpe).
    max_sessions: int = 256
    #: STUN (TR-069 Annex G): "host:port" of the STUN server every printer keeps a binding
    #: with (a NAT's inside address puts the fleet behind it, emulator/nat.py); None: STUN off
    #: and no UDP socket per printer. USERNAME is the serial number.
    stun_server: str | None = None
    stun_password: str = ""
    stun_keepalive: int = 30  # STUNMaximumKeepAlivePeriod, seconds
    #: A test PKI folder (``printbench pki``): each printer's client trusts its CA and
    #: presents its own certificate, issued from the folder for its OUI-SerialNumber.
    pki_dir: Path | None = None

    def __post_init__(self) -> None:
        unknown = set(self.faces) - set(FACES)
        if unknown:
            raise FleetError(
                f"unknown face(s) {', '.join(sorted(unknown))} (faces: {', '.join(FACES)})"
            )
        if self.listen not in LISTEN_MODES:
            raise FleetError(f"listen mode {self.listen!r} is not one of {', '.join(LISTEN_MODES)}")
        if self.snmp_sockets not in SNMP_SOCKET_MODES:
            raise FleetError(
                f"SNMP socket mode {self.snmp_sockets!r} is not one of "
                f"{', '.join(SNMP_SOCKET_MODES)}"
            )
        if self.snmp_sockets == "wildcard" and self.layout.port_blocks:
            raise FleetError(snmp_port_blocks_error())


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Build a worker's printers with Python's cyclic garbage collector off, then collect once
    and freeze what survived (``gc.freeze``: long-lived objects leave the generations the
    collector scans).

    Why: a printer is some hundred objects that live as long as the fleet; with the collector
    on, its generation-2 passes re-scan every printer built so far, which took half of the
    start-up CPU (10,000 printers in one process: 1.54 ms CPU per printer with the collector,
    0.81 ms without). Collecting once before freezing keeps the cyclic garbage of the build
    from being frozen with the printers. Only without a ramp: a ramped start runs sessions for
    as long as it lasts, and their garbage must be collected as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.collect()
        gc.freeze()
        if was_enabled:
            gc.enable()


def snmp_port_blocks_error() -> str:
    return ("--snmp-sockets wildcard needs printers on their own addresses: with port blocks "
            "each printer has its own SNMP port, served by its own socket (per-address)")  # fmt: skip


def resolve_snmp_sockets(asked: str, listen_mode: str, layout: Layout) -> str:
    """The SNMP socket mode a worker uses: port blocks need one socket per printer (each has
    its own port); ``auto`` follows the TCP listening mode already chosen."""
    if layout.port_blocks:
        return "per-address"
    if asked == "auto":
        return "wildcard" if listen_mode == "wildcard" else "per-address"
    return asked


def cr_path(serial: str, seed: int) -> str:
    """A ConnectionRequestURL path unique per device (TR-069: SHOULD be random/unique)."""
    return "/cwmp/" + hashlib.blake2s(f"path:{seed}:{serial}".encode(), digest_size=6).hexdigest()


class FleetDevice:
    """One printer of a fleet: what the faces' ``lookup`` returns (``.state``, ``.engine``,
    ``.clock``), plus the TR-069 client and the reboot/factory-reset hooks it calls."""

    __slots__ = (
        "__weakref__",
        "clock",
        "cpe",
        "cr_path",
        "engine",
        "fleet",
        "host",
        "index",
        "ports",
        "profile",
        "seed",
        "state",
        "tr069",
        "view",
    )  # fmt: skip

    def __init__(self, fleet: Fleet, index: int, host: str, ports: Ports, profile: Profile,
                 seed: int, clock: Clock) -> None:  # fmt: skip
        self.fleet = fleet
        self.index = index
        self.host = host
        self.ports = ports
        self.profile = profile
        self.seed = seed
        self.clock = clock
        self.state: st.PrinterState = self._build()
        self.engine = PrinterEngine(self.state, clock, seed=seed, factory=self._build)
        self.cpe: Any = None
        self.view: Any = None
        self.tr069: Any = None
        self.cr_path = ""
        self.state.subscribe(self._on_change)

    def _build(self) -> st.PrinterState:
        state = build_printer(self.profile, seed=self.seed, clock=self.clock, host=self.host)
        self.fleet._configure(self, state)
        return state

    def _on_change(self, event: st.ChangeEvent) -> None:
        if event.path == "jobs" or event.path.startswith("jobs."):
            self.fleet._active.add(self)

    @property
    def serial(self) -> str:
        return self.state.identity.serial_number

    @property
    def device_id(self) -> str:
        """The CWMP DeviceId as the stub ACS names it: ``OUI-ProductClass-SerialNumber``."""
        i = self.state.identity
        return f"{i.oui}-{i.product_class}-{i.serial_number}"

    @property
    def busy(self) -> bool:
        return any(j.state in _BUSY_JOB_STATES for j in self.state.jobs)

    # -- hooks of the TR-069 client (cwmp_cpe.transfers.DeviceHooks) -------------------------

    def reboot(self) -> None:
        self.engine.reboot()

    def factory_reset(self) -> None:
        self.engine.factory_reset()


class _CrRegistry:
    """What ``EmbeddedClient`` takes for a connection request server: the fleet's shared
    listener serves the device at its own address and path."""

    __slots__ = ("device", "fleet")

    def __init__(self, fleet: Fleet, device: FleetDevice) -> None:
        self.fleet = fleet
        self.device = device

    def register(self, cpe: Any, path: str | None = None) -> str:
        d = self.device
        d.cr_path = path or d.cr_path
        url = f"http://{d.host}:{d.ports.cwmp}{d.cr_path}"
        cpe.connection_request_url = url
        return url

    def unregister(self, cpe: Any) -> None:
        return None


class _Slot:
    """The TR-069 client's store: one entry of the worker's state map (no copy, no I/O)."""

    __slots__ = ("fleet", "key")

    def __init__(self, fleet: Fleet, key: str) -> None:
        self.fleet = fleet
        self.key = key

    def load(self) -> dict[str, Any] | None:
        return self.fleet._saved.get(self.key)

    def save(self, state: dict[str, Any]) -> None:
        self.fleet._saved[self.key] = state


@dataclass
class SessionSample:
    """One TR-069 session of one device as the load run sees it."""

    end: float  # time.time() when it ended
    duration: float  # seconds, whole session
    inform: float | None  # seconds from the Inform POST to the InformResponse (None: none)
    ok: bool
    retry_count: int
    events: tuple[str, ...]
    host: str = ""


class Metrics:
    """Counters and samples of one worker; drained by whoever reports them."""

    def __init__(self) -> None:
        self.samples: list[SessionSample] = []
        self.sessions_ok = 0
        self.sessions_failed = 0
        self.face_requests: dict[str, int] = {f: 0 for f in FACES}

    def drain(self) -> list[SessionSample]:
        out, self.samples = self.samples, []
        return out


def _metered_cpe_class(fleet_metrics: Metrics, session_gate: asyncio.Semaphore | None) -> type[Cpe]:
    """``cwmp_cpe.Cpe`` timing each session and its Inform→InformResponse (built lazily, one
    class per fleet start: every printer of the worker shares its metrics and session gate)."""
    from printbench.cwmp_cpe import Cpe

    class MeteredCpe(Cpe):
        metrics: Metrics | None = fleet_metrics
        gate: asyncio.Semaphore | None = session_gate

        async def _run_session(self, settings: Any = None) -> None:
            gate = self.gate
            if gate is None:
                await self._metered_session(settings)
                return
            if gate.locked():
                settings = None  # it waits for a slot: the settings are read again after
            # Thousands of printers share one process and core: in a reboot storm each
            # would start its session at once and every one would crawl past the HTTP
            # timeout. A printer waits for a slot first (as if it booted a little later);
            # the session it then runs is timed from its Inform on.
            async with gate:
                await self._metered_session(settings)

        async def _metered_session(self, settings: Any = None) -> None:
            t0 = time.monotonic()
            self._t_inform: float | None = None
            failed = self.failed_sessions
            try:
                await super()._run_session(settings)
            finally:
                metrics = self.metrics
                if metrics is not None:
                    inform = self.informs[-1] if self.informs else None
                    ok = self.failed_sessions == failed
                    if ok:
                        metrics.sessions_ok += 1
                    else:
                        metrics.sessions_failed += 1
                    metrics.samples.append(
                        SessionSample(
                            end=time.time(),
                            duration=time.monotonic() - t0,
                            inform=None if self._t_inform is None else self._t_inform - t0,
                            ok=ok,
                            retry_count=inform.retry_count if inform is not None else 0,
                            events=tuple(e.event_code for e in inform.event) if inform else (),
                            host=self.name.split(" ", 1)[0],
                        )
                    )

        def _on_inform_accepted(self, *args: Any) -> None:
            self._t_inform = time.monotonic()
            super()._on_inform_accepted(*args)

    return MeteredCpe


# ---------------------------------------------------------------------------------------------
# listening sockets
# ---------------------------------------------------------------------------------------------


def listening_socket(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    """A bound TCP socket (not yet listening): errors surface here, naming the address."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise FleetError(f"TCP {host}:{port}: cannot bind: {exc.strerror or exc}") from None
    sock.setblocking(False)
    return sock


class _Face:
    """One TCP face of the worker: one aiohttp app and runner, any number of sockets."""

    def __init__(self, name: str, app: web.Application, fleet: Fleet) -> None:
        self.name = name
        self.app = app
        self.fleet = fleet
        app.middlewares.append(self._middleware)
        httplog.install()
        # head/body timeouts (printbench.common.httpguard defaults): slowloris heads get a 408
        self.runner = GuardedAppRunner(app, access_log=None, handle_signals=False)
        self.servers: list[asyncio.base_events.Server] = []

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Callable[..., Any]) -> Any:
        self.fleet.metrics.face_requests[self.name] += 1
        if self.fleet.layout.port_blocks:
            sock = request.transport.get_extra_info("sockname") if request.transport else None
            _LOCAL.set((sock[0], sock[1]) if sock else None)
        return await handler(request)

    async def setup(self) -> None:
        await self.runner.setup()

    async def serve(self, sock: socket.socket, backlog: int = 1024) -> int:
        loop = asyncio.get_running_loop()
        factory = self.runner.server
        if factory is None:
            raise RuntimeError(f"{self.name} face: serve() before setup()")
        server = await loop.create_server(factory, sock=sock, backlog=backlog)
        self.servers.append(server)
        return sock.getsockname()[1]

    async def close(self) -> None:
        for server in self.servers:
            server.close()
        self.servers.clear()
        await self.runner.cleanup()


# ---------------------------------------------------------------------------------------------
# the fleet
# ---------------------------------------------------------------------------------------------


class Fleet:
    """One worker's devices, faces, engine ticker and TR-069 clients in the running loop.

    ``sockets`` maps a TCP face to listening sockets made elsewhere (the supervisor's shared
    wildcard sockets); faces without one get their own sockets as ``config.listen`` says.
    """

    def __init__(
        self,
        config: FleetConfig,
        *,
        clock: Clock | None = None,
        sockets: dict[str, list[socket.socket]] | None = None,
    ) -> None:
        self.config = config
        self.layout = config.layout
        self.clock: Clock = clock or SystemClock()
        self.metrics = Metrics()
        self.devices: list[FleetDevice] = []
        self._by_host: dict[str, FleetDevice] = {}
        self._by_index: dict[int, FleetDevice] = {}
        self._active: set[FleetDevice] = set()
        self._saved: dict[str, dict[str, Any]] = {}
        self._given_sockets = sockets or {}
        self._faces: dict[str, _Face] = {}
        self._snmp: Any = None
        self._ticker: asyncio.Task[None] | None = None
        self._starting: asyncio.Task[None] | None = None
        self._profiles: dict[str, Profile] = {}
        self._rng = random.Random(config.seed * 7919 + config.first)
        self._cpe_class: type[Cpe] | None = None
        self._http_pool: Any = None
        self._session_gate: asyncio.Semaphore | None = None
        self.listen_mode = ""
        self.snmp_mode = ""
        self._snmp_port = 0  # the wildcard SNMP socket's port, once open
        self.started = 0
        self.running = False
        self.endpoints: dict[str, str] = {}

    # -- lookups ------------------------------------------------------------------------------

    def lookup(self, host: str) -> FleetDevice | None:
        """The device served at ``host`` (a local address or ``/api/devices/{host}``).

        In port-block mode every device shares the address: the port the connection arrived
        on names the device (``host:port`` in a control URL does the same)."""
        if not self.layout.port_blocks:
            return self._by_host.get(host)
        port: int | None = None
        if ":" in host:
            host, _, p = host.rpartition(":")
            port = int(p) if p.isdigit() else None
        else:
            local = _LOCAL.get()
            if local is not None and local[0] == host:
                port = local[1]
        index = self.layout.index_of(host, port)
        return self._by_index.get(index) if index is not None else None

    def device(self, index: int) -> FleetDevice:
        return self._by_index[index]

    # -- configuration of each built state ----------------------------------------------------

    def _configure(self, device: FleetDevice, state: st.PrinterState) -> None:
        """Fleet-wide settings on a freshly built state (also after a factory reset)."""
        c = self.config
        state.network.http_port = device.ports.ews
        mg = state.management
        if c.acs_url:
            mg.acs_url = c.acs_url
        if c.cwmp_username:
            mg.username, mg.password = c.cwmp_username, c.cwmp_password
        if c.periodic_interval:
            mg.periodic_inform_interval = int(c.periodic_interval)
        if c.jitter and mg.periodic_inform_enable:
            # A random phase within the interval: the fleet's informs spread evenly in time.
            rng = random.Random(f"{c.seed}:{state.identity.serial_number}")
            phase = rng.uniform(0, max(1, mg.periodic_inform_interval))
            when = datetime(2000, 1, 1, tzinfo=UTC) + timedelta(seconds=phase)
            mg.periodic_inform_time = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        if not mg.connection_request_username:
            user, password = cr_credentials(state.identity.serial_number, c.seed)
            mg.connection_request_username, mg.connection_request_password = user, password
        if c.stun_server:
            host, _, port = c.stun_server.rpartition(":")
            mg.stun_enable = True
            mg.stun_server_address, mg.stun_server_port = host, int(port or 3478)
            mg.stun_username, mg.stun_password = state.identity.serial_number, c.stun_password
            mg.stun_maximum_keepalive_period = int(c.stun_keepalive)

    # -- start / stop -------------------------------------------------------------------------

    def _profile(self, name: str) -> Profile:
        p = self._profiles.get(name)
        if p is None:
            try:
                p = self._profiles[name] = load_profile(name)
            except Exception as exc:
                raise FleetError(f"profile {name!r}: {exc}") from None
        return p

    def _choose_listen_mode(self) -> str:
        c = self.config
        tcp = [f for f in c.faces if f in TCP_FACES and f not in self._given_sockets]
        if self.layout.port_blocks:
            return "per-address"
        if c.listen != "auto":
            return c.listen
        need = limits.budget(c.count, tcp_faces=len(tcp), per_address=True,
                             snmp="snmp" in c.faces, tr069="cwmp" in c.faces,
                             snmp_per_address=c.snmp_sockets != "wildcard")  # fmt: skip
        # Per-address sockets keep every listener on loopback; when they would not fit,
        # one wildcard socket per port serves every address (DESIGN §6).
        return "per-address" if limits.fits(need.total) and c.count <= 2000 else "wildcard"

    def descriptor_budget(self) -> limits.DescriptorBudget:
        c = self.config
        tcp = [f for f in c.faces if f in TCP_FACES]
        return limits.budget(c.count, tcp_faces=len(tcp),
                             per_address=self.listen_mode == "per-address",
                             snmp="snmp" in c.faces, tr069="cwmp" in c.faces,
                             snmp_per_address=self.snmp_mode != "wildcard",
                             max_sessions=c.max_sessions)  # fmt: skip

    async def start(self, progress: Callable[[int, int], None] | None = None) -> None:
        """Build every device, open the faces, start the ticker and the TR-069 clients.

        ``progress(started, total)`` is called as devices come up."""
        c = self.config
        self.listen_mode = self._choose_listen_mode()
        self.snmp_mode = (
            "wildcard"
            if self._given_sockets.get("snmp")
            else resolve_snmp_sockets(c.snmp_sockets, self.listen_mode, self.layout)
        )
        try:
            limits.ensure(self.descriptor_budget())
        except limits.FleetLimitError as exc:
            raise FleetError(str(exc)) from None
        self._load_saved()
        try:
            await self._open_faces()
            if "cwmp" in c.faces:
                from printbench.cwmp_cpe.http import AcsConnectionPool

                self._http_pool = AcsConnectionPool()
                if c.max_sessions > 0:
                    self._session_gate = asyncio.Semaphore(c.max_sessions)
                self._cpe_class = _metered_cpe_class(self.metrics, self._session_gate)
            self.running = True
            self._ticker = asyncio.create_task(self._tick_loop(), name="fleet engine ticker")
            await self._start_devices(progress)
        except BaseException:
            await self.stop(persist=False)
            raise

    async def _open_faces(self) -> None:
        c = self.config
        apps: dict[str, Callable[[], web.Application]] = {}
        if "ipp" in c.faces:
            from printbench.emulator.ipp.server import create_ipp_app

            apps["ipp"] = lambda: create_ipp_app(self.lookup, ews_port=self.layout.ports.ews)
        if "ews" in c.faces:
            from printbench.emulator.ews.app import create_ews_app

            apps["ews"] = lambda: create_ews_app(self.lookup)
        if "control" in c.faces:
            from printbench.emulator.control import create_control_app

            apps["control"] = lambda: create_control_app(self.lookup)
        if "cwmp" in c.faces:
            apps["cwmp"] = self._cr_app
        for name, make in apps.items():
            face = _Face(name, make(), self)
            await face.setup()
            self._faces[name] = face
            given = self._given_sockets.get(name)
            if given:
                for sock in given:
                    port = await face.serve(sock)
                self.endpoints[name] = f"*:{port}"
            elif self.listen_mode == "wildcard":
                port = getattr(self.layout.ports, name)
                sock = listening_socket(c.bind_host, port, reuse_port=True)
                port = await face.serve(sock)
                self.endpoints[name] = f"{c.bind_host}:{port}"
        if "snmp" in c.faces:
            from printbench.emulator.snmp.agent import SnmpAgent

            self._snmp = SnmpAgent()
            if self.snmp_mode == "wildcard":
                self._serve_snmp_wildcard()

    def _serve_snmp_wildcard(self) -> None:
        """One UDP socket for every device: the supervisor's steered share, or our own."""
        from printbench.emulator.snmp.agent import SnmpAgentError, wildcard_socket

        c = self.config
        port = self.layout.ports.snmp
        try:
            given = self._given_sockets.get("snmp")
            sock = given[0] if given else wildcard_socket(c.bind_host, port)
            host, port = self._snmp.serve_wildcard(sock)
        except SnmpAgentError as exc:
            raise FleetError(str(exc)) from None
        self._snmp_port = port
        self.endpoints["snmp"] = f"{host}:{port}/udp"

    async def _start_devices(self, progress: Callable[[int, int], None] | None) -> None:
        if self.config.ramp > 0:
            await self._build_devices(progress)
            return
        with _collector_paused():
            await self._build_devices(progress)
        await self._start_clients()

    async def _build_devices(self, progress: Callable[[int, int], None] | None) -> None:
        c = self.config
        ramp_t0 = time.monotonic()
        for n in range(c.count):
            i = c.first + n
            device = self._new_device(i)
            await self._attach(device)
            self.started = n + 1
            if progress is not None and (n % 50 == 49 or n + 1 == c.count):
                progress(n + 1, c.count)
            if c.ramp > 0:
                due = ramp_t0 + (n + 1) / c.ramp
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            elif n % 50 == 49:
                await asyncio.sleep(0)  # let the faces answer while the fleet comes up

    async def _start_clients(self) -> None:
        """Without a ramp the TR-069 clients start once every printer is built: their first
        sessions (BOOTSTRAP, BOOT) would otherwise share the CPU with building the rest and
        slow the start-up; now they run as one storm through the session slots. Outside the
        paused collector: a session's objects must not be frozen with the printers."""
        for n, device in enumerate(self.devices):
            if device.tr069 is not None:
                await device.tr069.start()
            if n % 200 == 199:
                await asyncio.sleep(0)

    def _new_device(self, i: int) -> FleetDevice:
        c = self.config
        profile = self._profile(profile_for(c.mix, i))
        host = self.layout.host(i)
        device = FleetDevice(self, i, host, self.layout.ports_of(i), profile,
                             c.seed * 1_000_003 + i, self.clock)  # fmt: skip
        self.devices.append(device)
        self._by_index[i] = device
        if not self.layout.port_blocks:
            self._by_host[host] = device
        return device

    async def _attach(self, device: FleetDevice) -> None:
        c = self.config
        if self._snmp is not None:
            from printbench.emulator.snmp.agent import SnmpAgentError

            try:
                await self._snmp.add_device(device, device.host,
                                            self._snmp_port or device.ports.snmp)  # fmt: skip
            except SnmpAgentError as exc:
                raise FleetError(str(exc)) from None
        if self.listen_mode == "per-address":
            for name, face in self._faces.items():
                if name in self._given_sockets:
                    continue
                port = getattr(device.ports, name)
                await face.serve(listening_socket(device.host, port))
        if "cwmp" in c.faces:
            self._attach_cpe(device)
            if c.ramp > 0:  # else started once every printer is built (_start_devices)
                await device.tr069.start()

    def _attach_cpe(self, device: FleetDevice) -> None:
        from printbench.emulator.tr069.client import EmbeddedClient

        assert self._cpe_class is not None
        device.cr_path = cr_path(device.serial, self.config.seed)
        tls: dict[str, Any] = {}
        if self.config.pki_dir is not None:
            from printbench.common.pki import issue_cpe_files

            ident = device.state.identity  # the DeviceId's OUI and SerialNumber
            cert, key = issue_cpe_files(self.config.pki_dir, ident.oui, ident.serial_number)
            tls = {"ca_file": self.config.pki_dir / "ca.pem", "client_cert": cert,
                   "client_key": key}  # fmt: skip
        client = EmbeddedClient(
            device.state,
            device.engine,
            device.clock,
            host=device.host,
            port=device.ports.cwmp,
            store=_Slot(self, device.serial),
            cr_server=_CrRegistry(self, device),
            http_timeout=self.config.http_timeout,
            udp_port=device.ports.cwmp,  # UDP Connection Requests (Annex G): only with STUN
            udp_listen_without_stun=False,
            **tls,
        )
        # The fleet meters every session (load runs): same object, a subclass that times it
        # (and holds the fleet's metrics and session gate).
        client.cpe.__class__ = self._cpe_class
        # One pool of keep-alive ACS connections per worker: a session still runs on one
        # TCP connection, but does not pay a connect and a new aiohttp client each time.
        client.cpe.http_pool = self._http_pool
        # The client's change log is for one printer on a desk; a fleet keeps a short one.
        client.log = client.hooks.log = deque(maxlen=16)
        device.cpe = client.cpe
        device.view = client.view
        device.tr069 = client

    async def stop(self, *, persist: bool = True) -> None:
        """Stop the clients (their state saved), the faces and the ticker; write the state."""
        self.running = False
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        clients = [d.tr069 for d in self.devices if d.tr069 is not None]
        for chunk in range(0, len(clients), 500):
            await asyncio.gather(*(c.stop() for c in clients[chunk : chunk + 500]),
                                 return_exceptions=True)  # fmt: skip
        if self._http_pool is not None:
            await self._http_pool.close()
        for face in self._faces.values():
            await face.close()
        self._faces.clear()
        if self._snmp is not None:
            await self._snmp.close()
            self._snmp = None
        if persist:
            self.write_state()

    # -- persistence --------------------------------------------------------------------------

    def state_file(self) -> Path | None:
        d = self.config.state_dir
        return None if d is None else Path(d) / f"worker-{self.config.worker}.json"

    def _load_saved(self) -> None:
        d = self.config.state_dir
        if d is None or not Path(d).is_dir():
            return
        for path in sorted(Path(d).glob("worker-*.json")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                log.error("%s: saved fleet state unusable, ignored: %s", path, exc)
                continue
            devices = data.get("devices") if isinstance(data, dict) else None
            if isinstance(devices, dict):
                self._saved.update({k: v for k, v in devices.items() if isinstance(v, dict)})

    def write_state(self) -> Path | None:
        """Write every device's persistent TR-069 state (atomically); returns the file."""
        path = self.state_file()
        if path is None:
            return None
        mine = {d.serial for d in self.devices}
        devices = {k: v for k, v in self._saved.items() if k in mine}
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps({"version": 1, "devices": devices}), encoding="utf-8")
        os.replace(tmp, path)
        return path

    # -- the engine ticker --------------------------------------------------------------------

    async def _tick_loop(self) -> None:
        interval = self.config.tick_interval
        while True:
            await asyncio.sleep(interval)
            self.tick()

    def tick(self) -> int:
        """Tick every engine with work; forget those that have none left. Returns how many."""
        active = list(self._active)
        for device in active:
            try:
                device.engine.tick()
            except Exception:
                log.exception("behaviour tick failed for %s", device.host)
            if not device.busy:
                self._active.discard(device)
        return len(active)

    # -- fleet-wide actions -------------------------------------------------------------------

    def reboot_storm(self, devices: Iterable[FleetDevice] | None = None) -> int:
        """Power-cycle every device at once: each boots and informs ``1 BOOT`` immediately."""
        n = 0
        for device in devices if devices is not None else self.devices:
            device.engine.reboot()  # boot_count changes: the TR-069 client queues 1 BOOT
            n += 1
        return n

    def stats(self) -> dict[str, Any]:
        cpes = [d.cpe for d in self.devices if d.cpe is not None]
        return {
            "worker": self.config.worker,
            "devices": len(self.devices),
            "started": self.started,
            "busy": len(self._active),
            "listen": self.listen_mode,
            "snmp_sockets": self.snmp_mode,
            "sessions_ok": self.metrics.sessions_ok,
            "sessions_failed": self.metrics.sessions_failed,
            "in_session": sum(1 for c in cpes if c.session is not None),
            "queued_events": sum(1 for c in cpes if len(c.queue)),
            "face_requests": dict(self.metrics.face_requests),
            "snmp_requests": self._snmp.counters.received if self._snmp is not None else 0,
            "snmp_unknown_address": (
                self._snmp.counters.unknown_address if self._snmp is not None else 0
            ),
        }

    # -- connection requests ------------------------------------------------------------------

    def _cr_app(self) -> web.Application:
        httplog.install()
        app = web.Application(client_max_size=4096)
        app.router.add_route("*", "/{tail:.*}", self._connection_request)
        return app

    async def _connection_request(self, request: web.Request) -> web.Response:
        sock = request.transport.get_extra_info("sockname") if request.transport else None
        device = self.lookup(sock[0]) if sock else None
        if device is None or device.cpe is None or request.path != device.cr_path:
            return web.Response(status=404)
        status, headers = device.cpe.connection_request(
            request.method, request.path_qs, request.headers.get("Authorization")
        )
        return web.Response(status=status, headers=headers)
