"""A fleet over several worker processes (one per core by default), supervised by a parent.

Each worker runs a :class:`~emulator.fleet.fleet.Fleet` for a contiguous range of devices
(so a contiguous range of addresses). The parent:

* plans the ranges and, for wildcard listening, makes the TCP listening sockets itself: one
  ``SO_REUSEPORT`` socket per worker and port, all bound to the same wildcard address, with a
  classic BPF program (``SO_ATTACH_REUSEPORT_CBPF``) that reads the destination address of
  each new connection and hands it to the socket of the worker that owns that address. Every
  worker thus needs one listener per port, and no connection ever lands in the wrong process.
  The parent keeps its copies, so a restarted worker gets the very same sockets back;
* does the same for SNMP with wildcard SNMP sockets: one ``SO_REUSEPORT`` UDP socket per
  worker (``IP_PKTINFO`` on) and the same program (socket(7), SO_ATTACH_REUSEPORT_CBPF: it
  "defines how packets are assigned to the sockets in the reuseport group"; "Sockets are
  numbered in the order in which they are added to the group (that is, the order of bind(2)
  calls for UDP sockets ...)", so socket ``w`` is bound ``w``-th). It reads the IPv4 header's
  destination, as for TCP, so each datagram is read by the worker that owns that address.
  The program is attached even for
  one worker (it then always answers 0): a stranger's socket joining the group on the same
  port (same user, SO_REUSEPORT) would get index 1 and never see a datagram;
* starts the workers (``python -m emulator.fleet.workers SPEC``, sockets inherited), reads
  their JSON-line reports on stdout (progress, ready, inventory, stats with session samples)
  and sends them commands on stdin (stats, reboot storm, activity, stop);
* restarts a worker that dies (its persisted TR-069 state is reloaded), up to a few times;
* serves a fleet control API on 127.0.0.1 that reaches every device: ``/api/devices/{host}/…``
  is forwarded to the device's own control listener, where the owning worker answers it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import dataclasses
import ipaddress
import json
import logging
import os
import signal
import socket
import struct
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from printbench.common.httpio import BodyTooLarge, read_response
from printbench.emulator.device import Ports
from printbench.emulator.fleet import limits
from printbench.emulator.fleet.fleet import (
    TCP_FACES,
    Fleet,
    FleetConfig,
    FleetError,
    listening_socket,
    resolve_snmp_sockets,
    snmp_port_blocks_error,
)
from printbench.emulator.fleet.plan import Layout, nth_address, split

#: Largest answer of a printer's control API relayed by the fleet's front door.
MAX_CONTROL_ANSWER = 16 * 1024 * 1024

log = logging.getLogger(__name__)

SO_ATTACH_REUSEPORT_CBPF = 51
SKF_NET_OFF = -0x100000
MAX_RESTARTS = 3


# ---------------------------------------------------------------------------------------------
# steering connections to the owning worker
# ---------------------------------------------------------------------------------------------


def steering_program(upper_bounds: list[int]) -> bytes:
    """cBPF: load the IPv4 destination, return the index of the first range it is below.

    ``upper_bounds[w]`` is one past worker ``w``'s last address (as an integer)."""

    def ins(code: int, jt: int, jf: int, k: int) -> bytes:
        return struct.pack("HBBI", code, jt, jf, k & 0xFFFFFFFF)

    ld_abs_w, jge_k, ret_k = 0x20, 0x35, 0x06
    prog = [ins(ld_abs_w, 0, 0, SKF_NET_OFF + 16)]
    for w, bound in enumerate(upper_bounds[:-1]):
        prog.append(ins(jge_k, 1, 0, bound))  # A >= bound: skip the return
        prog.append(ins(ret_k, 0, 0, w))
    prog.append(ins(ret_k, 0, 0, len(upper_bounds) - 1))
    return b"".join(prog)


def attach_steering(sock: socket.socket, program: bytes) -> None:
    buf = ctypes.create_string_buffer(program)
    fprog = struct.pack("HL", len(program) // 8, ctypes.addressof(buf))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, fprog)


def shared_listeners(host: str, port: int, bounds: list[int]) -> list[socket.socket]:
    """One listening socket per worker on ``host:port``, steered by destination address."""
    socks: list[socket.socket] = []
    try:
        for w in range(len(bounds)):
            sock = listening_socket(host, port, reuse_port=True)
            if w == 0 and len(bounds) > 1:
                attach_steering(sock, steering_program(bounds))
            sock.listen(4096)
            socks.append(sock)
    except BaseException:
        for s in socks:
            s.close()
        raise
    return socks


def shared_snmp_sockets(host: str, port: int, bounds: list[int]) -> list[socket.socket]:
    """One SNMP UDP socket per worker on ``host:port``, each datagram steered to the worker
    that owns its destination address (same program as the TCP listeners)."""
    from printbench.emulator.snmp.agent import SnmpAgentError, wildcard_socket

    socks: list[socket.socket] = []
    try:
        for w in range(len(bounds)):
            try:
                sock = wildcard_socket(host, port, reuse_port=True)
            except SnmpAgentError as exc:
                raise FleetError(str(exc)) from None
            socks.append(sock)
            if w == 0:
                attach_steering(sock, steering_program(bounds))
    except BaseException:
        for s in socks:
            s.close()
        raise
    return socks


# ---------------------------------------------------------------------------------------------
# the plan the parent hands a worker
# ---------------------------------------------------------------------------------------------


@dataclass
class SupervisorConfig:
    devices: int
    workers: int = 0  # 0: one per core
    layout: Layout = field(default_factory=Layout)
    mix: tuple[tuple[str, float], ...] = (("mono-desktop-laser", 1.0),)
    faces: tuple[str, ...] = ("snmp", *TCP_FACES)
    acs_url: str | None = None
    listen: str = "auto"
    snmp_sockets: str = "auto"  # wildcard | per-address | auto (as the TCP listening mode)
    bind_host: str = "0.0.0.0"
    seed: int = 0
    state_dir: Path | None = None
    periodic_interval: int | None = None
    jitter: bool = True
    ramp: float = 0.0
    api_host: str = "127.0.0.1"
    api_port: int = 8090
    log_level: int = logging.WARNING
    http_timeout: float = 30.0
    #: STUN for every printer (TR-069 Annex G): FleetConfig.stun_server and friends.
    stun_server: str | None = None
    stun_password: str = ""
    stun_keepalive: int = 30
    pki_dir: Path | None = None  # FleetConfig.pki_dir

    def worker_count(self) -> int:
        w = self.workers or os.cpu_count() or 1
        return max(1, min(w, self.devices))


def _spec(cfg: SupervisorConfig, w: int, rng: range, fds: dict[str, int], listen: str,
          ramp: float, snmp_sockets: str = "per-address") -> dict[str, Any]:  # fmt: skip
    lay = cfg.layout
    return {
        "worker": w,
        "first": rng.start,
        "count": len(rng),
        "base_address": lay.base_address,
        "ports": dataclasses.asdict(lay.ports),
        "port_base": lay.port_base,
        "mix": [list(m) for m in cfg.mix],
        "faces": list(cfg.faces),
        "acs_url": cfg.acs_url,
        "listen": listen,
        "snmp_sockets": snmp_sockets,
        "bind_host": cfg.bind_host,
        "seed": cfg.seed,
        "state_dir": str(cfg.state_dir) if cfg.state_dir else None,
        "periodic_interval": cfg.periodic_interval,
        "jitter": cfg.jitter,
        "ramp": ramp,
        "fds": fds,
        "log_level": cfg.log_level,
        "http_timeout": cfg.http_timeout,
        "stun_server": cfg.stun_server,
        "stun_password": cfg.stun_password,
        "stun_keepalive": cfg.stun_keepalive,
        "pki_dir": str(cfg.pki_dir) if cfg.pki_dir else None,
    }


def _config_from_spec(spec: dict[str, Any]) -> FleetConfig:
    return FleetConfig(
        count=spec["count"],
        first=spec["first"],
        layout=Layout(spec["base_address"], Ports(**spec["ports"]), spec["port_base"]),
        mix=tuple((str(n), float(w)) for n, w in spec["mix"]),
        faces=tuple(spec["faces"]),
        acs_url=spec["acs_url"],
        listen=spec["listen"],
        snmp_sockets=spec.get("snmp_sockets", "per-address"),
        bind_host=spec["bind_host"],
        seed=spec["seed"],
        state_dir=Path(spec["state_dir"]) if spec["state_dir"] else None,
        worker=spec["worker"],
        periodic_interval=spec["periodic_interval"],
        jitter=spec["jitter"],
        ramp=spec["ramp"],
        http_timeout=spec["http_timeout"],
        stun_server=spec.get("stun_server"),
        stun_password=spec.get("stun_password", ""),
        stun_keepalive=int(spec.get("stun_keepalive", 30)),
        pki_dir=Path(spec["pki_dir"]) if spec.get("pki_dir") else None,
    )


# ---------------------------------------------------------------------------------------------
# the parent
# ---------------------------------------------------------------------------------------------


@dataclass
class WorkerInfo:
    index: int
    devices: range
    spec: dict[str, Any]
    proc: asyncio.subprocess.Process | None = None
    started: int = 0
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    stopped: asyncio.Event = field(default_factory=asyncio.Event)
    stats: dict[str, Any] = field(default_factory=dict)
    records: list[dict[str, Any]] = field(default_factory=list)
    restarts: int = 0
    error: str = ""
    reader: asyncio.Task[None] | None = None
    reply: asyncio.Future[Any] | None = None  # the reply awaited to the last command()


class Supervisor:
    """Starts, watches and stops the worker processes of one fleet."""

    def __init__(self, config: SupervisorConfig) -> None:
        self.config = config
        self.workers: list[WorkerInfo] = []
        self.sockets: dict[str, list[socket.socket]] = {}
        self.listen_mode = ""
        self.snmp_mode = ""
        self.on_samples: Callable[[int, list[list[Any]]], None] | None = None
        self.on_progress: Callable[[], None] | None = None
        self._stopping = False
        self._api_runner: Any = None
        self.api_url = ""
        self._http: Any = None
        self.t_start = 0.0
        self.t_ready = 0.0

    # -- plan ---------------------------------------------------------------------------------

    def _plan(self) -> None:
        cfg = self.config
        cfg.layout.check(cfg.devices)
        ranges = split(cfg.devices, cfg.worker_count())
        tcp = [f for f in cfg.faces if f in TCP_FACES]
        per_worker = max(len(r) for r in ranges)
        mode = cfg.listen
        if cfg.snmp_sockets == "wildcard" and cfg.layout.port_blocks:
            raise FleetError(snmp_port_blocks_error())
        if cfg.layout.port_blocks:
            mode = "per-address"
        elif mode == "auto":
            need = limits.budget(per_worker, tcp_faces=len(tcp), per_address=True,
                                 snmp="snmp" in cfg.faces, tr069="cwmp" in cfg.faces,
                                 snmp_per_address=cfg.snmp_sockets != "wildcard")  # fmt: skip
            mode = "per-address" if limits.fits(need.total) and per_worker <= 2000 else "wildcard"
        self.listen_mode = mode
        snmp_mode = resolve_snmp_sockets(cfg.snmp_sockets, mode, cfg.layout)
        self.snmp_mode = snmp_mode if "snmp" in cfg.faces else ""
        fds: dict[str, list[int]] = {}
        shared = (mode == "wildcard" and tcp) or self.snmp_mode == "wildcard"
        bounds = [
            int(ipaddress.IPv4Address(nth_address(cfg.layout.base_address, r.stop - 1))) + 1
            for r in ranges
        ] if shared else []  # fmt: skip
        if mode == "wildcard" and tcp:
            for face in tcp:
                port = getattr(cfg.layout.ports, face)
                self.sockets[face] = shared_listeners(cfg.bind_host, port, bounds)
                fds[face] = [s.fileno() for s in self.sockets[face]]
        if self.snmp_mode == "wildcard":
            self.sockets["snmp"] = shared_snmp_sockets(cfg.bind_host, cfg.layout.ports.snmp,
                                                       bounds)  # fmt: skip
            fds["snmp"] = [s.fileno() for s in self.sockets["snmp"]]
        # The start-up ramp is fleet-wide: each worker takes its share.
        ramp = cfg.ramp / len(ranges) if cfg.ramp else 0.0
        for w, r in enumerate(ranges):
            mine = {face: fd[w] for face, fd in fds.items()}
            self.workers.append(WorkerInfo(w, r, _spec(cfg, w, r, mine, mode, ramp,
                                                       snmp_mode)))  # fmt: skip

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Start every worker and wait until all are ready (FleetError if one fails)."""
        self.t_start = time.monotonic()
        if self.config.pki_dir is not None:  # once, before the workers issue from it
            from printbench.common.pki import ensure_pki

            ensure_pki(self.config.pki_dir)
        self._plan()
        try:
            for w in self.workers:
                await self._spawn(w)
            await self._wait_ready()
            self.t_ready = time.monotonic()
            await self._start_api()
        except BaseException:
            await self.stop()
            raise

    async def _wait_ready(self) -> None:
        pending = {asyncio.ensure_future(w.ready.wait()): w for w in self.workers}
        died = {asyncio.ensure_future(w.stopped.wait()): w for w in self.workers}
        try:
            while pending:
                done, _ = await asyncio.wait([*pending, *died], return_when=asyncio.FIRST_COMPLETED)
                for fut in done:
                    if fut in died:
                        w = died[fut]
                        raise FleetError(
                            f"worker {w.index} stopped while starting: {w.error or 'no reason given'}"
                        )
                    pending.pop(fut)
        finally:
            for fut in [*pending, *died]:
                fut.cancel()

    async def _spawn(self, w: WorkerInfo) -> None:
        fds = list(w.spec["fds"].values())
        w.ready = asyncio.Event()
        w.stopped = asyncio.Event()
        w.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "printbench.emulator.fleet.workers", json.dumps(w.spec),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            pass_fds=fds, limit=64 * 1024 * 1024,
        )  # fmt: skip
        w.reader = asyncio.create_task(self._read(w), name=f"fleet worker {w.index} reader")

    async def _read(self, w: WorkerInfo) -> None:
        proc = w.proc
        assert proc is not None and proc.stdout is not None
        while True:
            line = await proc.stdout.readline()
            if not line:
                break
            try:
                msg = json.loads(line)
            except ValueError:
                log.warning("worker %d: %s", w.index, line.decode(errors="replace").rstrip())
                continue
            self._handle(w, msg)
        rc = await proc.wait()
        w.stopped.set()
        if self._stopping or not w.ready.is_set():
            if rc and not w.error:
                w.error = f"exit status {rc}"
            return
        if w.restarts >= MAX_RESTARTS:
            log.error("worker %d died (exit %s); not restarted again", w.index, rc)
            return
        w.restarts += 1
        log.error("worker %d died (exit %s); restarting (%d)", w.index, rc, w.restarts)
        await self._spawn(w)

    def _handle(self, w: WorkerInfo, msg: dict[str, Any]) -> None:
        kind = msg.get("event")
        if kind == "progress":
            w.started = msg["started"]
            if self.on_progress:
                self.on_progress()
        elif kind == "ready":
            w.records = msg.get("inventory", [])
            w.stats = msg.get("stats", {})
            w.started = len(w.devices)
            w.ready.set()
        elif kind == "stats":
            w.stats = msg.get("stats", {})
            samples = msg.get("samples") or []
            if samples and self.on_samples:
                self.on_samples(w.index, samples)
        elif kind == "error":
            w.error = msg.get("message", "")
            log.error("worker %d: %s", w.index, w.error)
        elif kind == "reply":
            fut = w.reply
            if fut is not None and not fut.done():
                fut.set_result(msg.get("result"))

    async def command(self, cmd: str, **args: Any) -> list[Any]:
        """Send a command to every running worker; returns their replies."""
        futs = []
        for w in self.workers:
            if w.proc is None or w.proc.returncode is not None or w.proc.stdin is None:
                continue
            fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            w.reply = fut
            w.proc.stdin.write((json.dumps({"cmd": cmd, **args}) + "\n").encode())
            await w.proc.stdin.drain()
            futs.append(fut)
        return list(await asyncio.gather(*(asyncio.wait_for(f, 60) for f in futs)))

    async def stop(self, timeout: float = 120.0) -> None:
        """Ask every worker to stop (they persist their state), then wait for them."""
        self._stopping = True
        if self._api_runner is not None:
            await self._api_runner.cleanup()
            self._api_runner = None
        if self._http is not None:
            await self._http.close()
            self._http = None
        for w in self.workers:
            if w.proc is not None and w.proc.returncode is None and w.proc.stdin is not None:
                with contextlib.suppress(Exception):
                    w.proc.stdin.write(b'{"cmd": "stop"}\n')
                    await w.proc.stdin.drain()
                    w.proc.stdin.close()
        for w in self.workers:
            if w.proc is None:
                continue
            try:
                await asyncio.wait_for(w.proc.wait(), timeout)
            except TimeoutError:
                log.error("worker %d did not stop in %.0f s; killed", w.index, timeout)
                with contextlib.suppress(ProcessLookupError):
                    w.proc.kill()
                await w.proc.wait()
            if w.reader is not None:
                with contextlib.suppress(Exception):
                    await w.reader
        for socks in self.sockets.values():
            for s in socks:
                s.close()
        self.sockets.clear()

    # -- views --------------------------------------------------------------------------------

    @property
    def started(self) -> int:
        return sum(w.started for w in self.workers)

    def inventory(self) -> list[dict[str, Any]]:
        return [r for w in self.workers for r in w.records]

    def totals(self) -> dict[str, Any]:
        keys = ("sessions_ok", "sessions_failed", "in_session", "queued_events", "busy",
                "snmp_requests", "snmp_unknown_address", "rss_kb")  # fmt: skip
        out: dict[str, Any] = {k: sum(int(w.stats.get(k, 0)) for w in self.workers) for k in keys}
        faces: dict[str, int] = {}
        for w in self.workers:
            for k, v in (w.stats.get("face_requests") or {}).items():
                faces[k] = faces.get(k, 0) + int(v)
        out["face_requests"] = faces
        out["devices"] = self.config.devices
        out["workers"] = len(self.workers)
        out["restarts"] = sum(w.restarts for w in self.workers)
        return out

    def worker_for(self, host: str, port: int | None = None) -> WorkerInfo | None:
        idx = self.config.layout.index_of(host, port)
        if idx is None:
            return None
        return next((w for w in self.workers if idx in w.devices), None)

    # -- the fleet control API ----------------------------------------------------------------

    async def _start_api(self) -> None:
        if self.config.api_port is None or self.config.api_port < 0:
            return
        import aiohttp
        from aiohttp import web

        self._http = aiohttp.ClientSession()
        from printbench.common import httplog

        httplog.install()
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_get("/api/fleet", self._api_fleet)
        app.router.add_get("/api/fleet/inventory", self._api_inventory)
        app.router.add_post("/api/fleet/reboot-storm", self._api_storm)
        app.router.add_route("*", "/api/devices/{host}/{tail:.*}", self._api_device)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.config.api_host, self.config.api_port)
        await site.start()
        self._api_runner = runner
        port = [a for a in runner.addresses if isinstance(a, tuple)][-1][1]
        self.api_url = f"http://{self.config.api_host}:{port}/api/"

    async def _api_fleet(self, request: Any) -> Any:
        from aiohttp import web

        return web.json_response(
            {
                "totals": self.totals(),
                "listen": self.listen_mode,
                "workers": [
                    {
                        "index": w.index,
                        "first": w.devices.start,
                        "count": len(w.devices),
                        "pid": w.proc.pid if w.proc else None,
                        "restarts": w.restarts,
                        "stats": w.stats,
                    }
                    for w in self.workers
                ],
            }
        )

    async def _api_inventory(self, request: Any) -> Any:
        from aiohttp import web

        return web.json_response({"devices": self.inventory()})

    async def _api_storm(self, request: Any) -> Any:
        from aiohttp import web

        replies = await self.command("reboot-storm")
        return web.json_response({"rebooted": sum(int(r or 0) for r in replies)})

    async def _api_device(self, request: Any) -> Any:
        from aiohttp import web

        host = request.match_info["host"]
        addr, _, port_text = host.partition(":")
        port = int(port_text) if port_text.isdigit() else None
        lay = self.config.layout
        idx = lay.index_of(addr, port)
        if idx is None or idx >= self.config.devices:
            return web.json_response({"error": f"no printer at {host}"}, status=404)
        target = f"http://{lay.host(idx)}:{lay.ports_of(idx).control}"
        url = f"{target}/api/devices/{host}/{request.match_info['tail']}"
        body = await request.read()
        async with self._http.request(
            request.method, url, data=body or None, params=request.query,
            headers={"Content-Type": request.headers.get("Content-Type", "application/json")},
        ) as resp:  # fmt: skip
            try:
                data = await read_response(resp, MAX_CONTROL_ANSWER)
            except BodyTooLarge as exc:
                return web.json_response({"error": f"{url}: {exc}"}, status=502)
            return web.Response(body=data, status=resp.status, content_type=resp.content_type)


# ---------------------------------------------------------------------------------------------
# the worker process
# ---------------------------------------------------------------------------------------------


def _emit(msg: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(msg, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def _rss_kb() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except OSError:
        return 0


async def _worker_main(spec: dict[str, Any]) -> int:
    from printbench.emulator.fleet.activity import Activity, ActivityConfig
    from printbench.emulator.fleet.inventory import device_record

    config = _config_from_spec(spec)
    sockets = {face: [socket.socket(fileno=fd)] for face, fd in (spec.get("fds") or {}).items()}
    fleet = Fleet(config, sockets=sockets)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM,):
        loop.add_signal_handler(sig, stop.set)
    # Ctrl-C reaches the whole process group: the parent decides when workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        await fleet.start(lambda n, total: _emit({"event": "progress", "started": n}))
    except FleetError as exc:
        _emit({"event": "error", "message": str(exc)})
        return 2
    activity = Activity(fleet, ActivityConfig(enabled=False))
    w = config.worker

    def stats() -> dict[str, Any]:
        s = fleet.stats()
        s["rss_kb"] = _rss_kb()
        return s

    _emit({"event": "ready", "stats": stats(),
           "inventory": [device_record(d, w) for d in fleet.devices]})  # fmt: skip

    async def report() -> None:
        while True:
            await asyncio.sleep(1.0)
            samples = [
                [
                    round(s.end, 3),
                    round(s.duration, 5),
                    None if s.inform is None else round(s.inform, 5),
                    s.ok,
                    s.retry_count,
                    list(s.events),
                    s.host,
                ]
                for s in fleet.metrics.drain()
            ]
            _emit({"event": "stats", "stats": stats(), "samples": samples})

    async def commands() -> None:
        reader = asyncio.StreamReader(limit=16 * 1024 * 1024)
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        while True:
            line = await reader.readline()
            if not line:
                break  # the parent is gone: stop
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            cmd = msg.get("cmd")
            result: Any = None
            if cmd == "stop":
                break
            if cmd == "reboot-storm":
                result = fleet.reboot_storm()
            elif cmd == "stats":
                result = stats()
            elif cmd == "activity":
                activity.configure(**(msg.get("config") or {}))
                result = dataclasses.asdict(activity.config)
            _emit({"event": "reply", "cmd": cmd, "result": result})
        stop.set()

    tasks = [asyncio.create_task(report()), asyncio.create_task(commands())]
    await stop.wait()
    for t in tasks:
        t.cancel()
    await activity.stop()
    await fleet.stop(persist=True)
    samples = [[round(s.end, 3), round(s.duration, 5),
                None if s.inform is None else round(s.inform, 5), s.ok, s.retry_count,
                list(s.events), s.host] for s in fleet.metrics.drain()]  # fmt: skip
    _emit({"event": "stats", "stats": stats(), "samples": samples})
    _emit({"event": "stopped", "state_file": str(fleet.state_file() or "")})
    return 0


def main() -> None:
    spec = json.loads(sys.argv[1])
    logging.basicConfig(
        level=spec.get("log_level", logging.WARNING),
        format=f"%(asctime)s worker {spec['worker']} %(levelname)s %(name)s: %(message)s",
    )
    if spec.get("log_level", logging.WARNING) >= logging.WARNING:
        # A refusing ACS makes every device log each failed session: keep the log readable.
        logging.getLogger("printbench.cwmp_cpe.runtime").setLevel(logging.ERROR)
    sys.exit(asyncio.run(_worker_main(spec)))


if __name__ == "__main__":
    main()
