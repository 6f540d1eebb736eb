"""One CPE's UDP Connection Request socket with its STUN binding (TR-069 Annex G).

The socket does two jobs, as Annex G wants them done from one port: it sends the STUN Binding
Requests that keep the NAT binding open (``cwmp.stun_binding.BindingMaintainer`` decides what
and when) and it receives UDP Connection Requests (``cwmp.udp_cr``), which arrive through that
binding. An authenticated request goes to ``Cpe.accept_connection_request`` — the same rate
limit and coalescing as the TCP Connection Request (TR-069 §3.2.2), and a session with
``6 CONNECTION REQUEST``. Nothing is sent back: UDP Connection Requests have no answer.

What it reads, afresh on every ``reconfigure()`` (the adapter calls it when the ACS changed a
``STUN*`` parameter): ``ManagementServer.STUNEnable``, ``STUNServerAddress`` (empty: the host
of the ACS URL, TR-181 "the CPE MUST use the address of the ACS extracted from the host
portion of the ACS URL"), ``STUNServerPort`` (0 or unset: 3478, TR-181 "SHOULD be ... the
default STUN port, 3478"), ``STUNUsername``, ``STUNPassword`` (from the device's secrets when
the tree hides it), ``STUNMinimumKeepAlivePeriod``, ``STUNMaximumKeepAlivePeriod``.

What it gives: :attr:`udp_address` (``UDPConnectionRequestAddress``: the mapped public
address once STUN learned it; the local listening address when STUN is off, TR-181) and
:attr:`nat_detected` (``NATDetected``, false when STUN is off, TR-181 "MUST be false").
A change calls ``on_change`` (the adapter polls notifications: an ACS that set active
notification on UDPConnectionRequestAddress gets ``4 VALUE CHANGE``, Annex G's way of telling
it the binding moved).

Timing uses the event loop's clock (real time): STUN retransmissions are sub-second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from printbench.cwmp import stun as S
from printbench.cwmp import udp_cr as U
from printbench.cwmp.stun_binding import BindingConfig, BindingMaintainer
from printbench.cwmp_cpe.settings import _bool, _get, _int

log = logging.getLogger(__name__)

MS = "ManagementServer."
DEFAULT_STUN_PORT = 3478


@dataclass(frozen=True)
class StunSettings:
    enabled: bool = False
    server_host: str = ""
    server_port: int = DEFAULT_STUN_PORT
    username: str = ""
    password: str = ""
    min_period: int = 0
    max_period: int = -1


def read_stun_settings(cpe: Any) -> StunSettings:
    """The ``STUN*`` parameters of ``cpe``'s tree (see the module docstring for defaults)."""
    tree, p = cpe.tree, cpe.config.root + MS
    enabled = _bool(_get(tree, p + "STUNEnable"), False)
    host = _get(tree, p + "STUNServerAddress") or ""
    if not host:
        host = urlsplit(cpe.settings().url).hostname or ""
    password = _get(tree, p + "STUNPassword") or ""
    if cpe.secrets is not None:
        password = cpe.secrets().get("stun_password", password) or password
    return StunSettings(
        enabled=enabled,
        server_host=host,
        server_port=_int(_get(tree, p + "STUNServerPort"), DEFAULT_STUN_PORT) or DEFAULT_STUN_PORT,
        username=_get(tree, p + "STUNUsername") or "",
        password=password,
        min_period=_int(_get(tree, p + "STUNMinimumKeepAlivePeriod"), 0),
        max_period=_int(_get(tree, p + "STUNMaximumKeepAlivePeriod"), -1),
    )


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, agent: UdpConnectionRequestAgent) -> None:
        self.agent = agent

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.agent._datagram(data, addr)

    def error_received(self, exc: Exception) -> None:  # ICMP port unreachable and the like
        self.agent.last_error = f"socket error: {exc}"


class UdpConnectionRequestAgent:
    """``await start()``, ``reconfigure()``, ``await stop()``; see the module docstring."""

    def __init__(
        self,
        cpe: Any,
        host: str,
        port: int = 0,
        *,
        on_change: Callable[[], None] | None = None,
        listen_without_stun: bool = True,
    ) -> None:
        self.cpe = cpe
        self.host = host
        self.port = port
        self.on_change = on_change
        self.listen_without_stun = listen_without_stun
        self.settings = StunSettings()
        self.machine: BindingMaintainer | None = None
        self.validator = U.UdpCrValidator()
        self.udp_address = ""
        self.nat_detected = False
        self.accepted = 0  # UDP Connection Requests that started (or joined) a session
        self.ignored: deque[str] = deque(maxlen=50)  # why requests were ignored
        self.binding_changes = 0
        self.last_error = ""
        self._transport: asyncio.DatagramTransport | None = None
        self._server: tuple[str, int] | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        """Open the socket (when wanted) and start the binding loop."""
        self.settings = read_stun_settings(self.cpe)
        await self._apply()
        self._task = asyncio.get_running_loop().create_task(self._loop(), name=f"stun {self.host}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._close()

    def reconfigure(self) -> None:
        """Re-read the settings; a change restarts the binding (a new server, new periods)."""
        new = read_stun_settings(self.cpe)
        if new != self.settings:
            self.settings = new
            self._restart = True
            self._wake.set()

    def _wanted(self, s: StunSettings) -> bool:
        return s.enabled or self.listen_without_stun

    # -- socket ------------------------------------------------------------------------------
    async def _open(self) -> None:
        if self._transport is not None:
            return
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        sock.setblocking(False)
        transport, _ = await loop.create_datagram_endpoint(lambda: _Protocol(self), sock=sock)
        self._transport = transport
        self.port = int(sock.getsockname()[1])

    def _close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    @property
    def local_address(self) -> str:
        return f"{self.host}:{self.port}"

    def _set(self, address: str, nat: bool) -> None:
        if (address, nat) != (self.udp_address, self.nat_detected):
            self.udp_address, self.nat_detected = address, nat
            if self.on_change is not None:
                self.on_change()

    # -- the binding loop --------------------------------------------------------------------
    _restart = False

    async def _apply(self) -> None:
        """Socket and binding machine as ``self.settings`` say."""
        s = self.settings
        self.machine = None
        if not self._wanted(s):
            self._close()
            self._set("", False)
            return
        try:
            await self._open()
        except OSError as exc:
            self.last_error = f"cannot bind UDP {self.host}:{self.port}: {exc}"
            log.warning("%s: %s", self.cpe.name, self.last_error)
            return
        if not s.enabled or not s.server_host:
            self._set(self.local_address, False)  # TR-181: local address, NATDetected false
            return
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(
                s.server_host, s.server_port, type=socket.SOCK_DGRAM, family=socket.AF_INET
            )
        except OSError as exc:
            self.last_error = f"STUN server {s.server_host!r}: {exc}"
            return
        self._server = (str(infos[0][4][0]), int(infos[0][4][1]))
        quirks = self.cpe.quirks
        cfg = BindingConfig(
            self._server,
            (self.host, self.port),
            s.min_period,
            s.max_period,
            s.username,
            s.password,
            connection_request_binding="stun-no-connection-request-binding" not in quirks,
            period_factor=2.0 if "stun-keepalive-too-slow" in quirks else 1.0,
        )
        self.machine = BindingMaintainer(cfg, loop.time())

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            self._wake.clear()
            if self._restart:  # (again if the settings changed while _apply awaited)
                self._restart = False
                await self._apply()
                continue
            m = self.machine
            if m is None or self._transport is None or self._server is None:
                await self._wake.wait()
                continue
            for data in m.poll(loop.time()):
                self._transport.sendto(data, self._server)
            delay = max(0.0, m.next_wakeup() - loop.time())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    # -- incoming ----------------------------------------------------------------------------
    def _datagram(self, data: bytes, addr: tuple[str, int]) -> None:
        if S.is_stun(data):
            m = self.machine
            if m is None:
                return
            update = m.on_datagram(data, asyncio.get_running_loop().time())
            if update is not None:
                if update.changed:
                    self.binding_changes += 1
                self._set(f"{update.mapped[0]}:{update.mapped[1]}", update.nat_detected)
            self._wake.set()
            return
        self._udp_connection_request(data)

    def _udp_connection_request(self, data: bytes) -> None:
        try:
            req = U.parse(data)
        except U.UdpCrError as exc:
            self.ignored.append(f"not a UDP Connection Request: {exc}")
            return
        s = self.cpe.settings()
        quirks = self.cpe.quirks
        why = self.validator.check(
            req,
            s.cr_username,
            s.cr_password,
            verify_signature="udp-cr-no-signature-check" not in quirks,
            reject_replays="udp-cr-no-replay-check" not in quirks,
        )
        if why is not None:
            self.ignored.append(why)
            log.info("%s: UDP Connection Request ignored: %s", self.cpe.name, why)
            return
        status, _headers = self.cpe.accept_connection_request()
        if status == 200:
            self.accepted += 1
        else:
            self.ignored.append(f"not accepted now (would answer {status}: rate limit or CWMP off)")
