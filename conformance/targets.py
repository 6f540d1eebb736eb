"""Targets: what is under test and where (the plugfest harness).

A target file (YAML) has a ``kind``:

``builtin`` (the default)
    Everything in-process on loopback: our stub ACS, one virtual printer per profile (each with
    its embedded TR-069 client), and the CWMP proxy in front of a second printer per profile
    (``printers: per-path``, the default, so both paths run at once; ``shared``: the proxy in
    front of the same printers). Every profile therefore appears twice,
    ``<profile>/embedded`` and ``<profile>/proxy``. Settings:
    ``base_address`` (printers get consecutive loopback addresses from it; tests use
    127.90.x.y so parallel runs do not collide), ``profiles``, ``via``, ``ports``
    (``ephemeral``: every face on port 0, the default, or ``standard``: the DESIGN §8 layout).
``cpe``
    A third-party CPE or printer whose ACS URL points at our stub ACS (``acs: {host, port}``);
    ``devices`` lists each with ``oui``/``product_class``/``serial`` (or ``acs_id``) and its
    ``connection_request: {url, username, password}``.
``proxy``
    A third-party proxy: we start the printers (as for builtin) and the ACS, write the
    printers file the proxy needs, and wait for its virtual devices to inform.
``acs``
    A third-party ACS: we start printers whose embedded clients use ``acs_url``. Without an
    NBI only CPE-side checks apply (scenarios that list ``acs`` in ``targets``).

Why the adapters for the embedded client and the proxy are isolated below: those parts are
separate packages with their own lifecycles; the target only needs, per device, an ACS id,
a connection request URL with credentials, the printer's control API and its TR-069 view.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import secrets
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from printbench.acs_stub.control import AcsControl
from printbench.acs_stub.httpauth import authorization_for
from printbench.acs_stub.registry import device_key
from printbench.acs_stub.server import AcsConfig
from printbench.common.clock import SystemClock
from printbench.common.httpio import BodyTooLarge, discard_response
from printbench.common.settings import package_dir
from printbench.conformance.engine import InformTap
from printbench.cwmp_proxy.inventory import PrinterEntry
from printbench.cwmp_proxy.proxy import Proxy, ProxyConfig
from printbench.emulator.device import FACES, Ports, VirtualPrinter
from printbench.emulator.profiles import list_profiles
from printbench.emulator.tr069.view import printer_tree

log = logging.getLogger(__name__)

PS = "Device.Services.PrintService.1."
#: Longest real wait ``advance`` performs on a real-time target.
MAX_ADVANCE = 15.0


class TargetError(ValueError):
    """A target file is wrong or the target cannot be started; names the file and line."""


@dataclass
class DeviceHandle:
    """One CPE under test as the engine sees it."""

    name: str
    via: str  # embedded | proxy | external
    acs_id: str
    profile: str | None = None
    serial: str = ""
    control: Any = None  # emulator.control.PrinterControl (ground truth, fault injection)
    oracle: Callable[[list[str]], Awaitable[dict[str, str]]] | None = None
    cr_url: str = ""
    cr_username: str = ""
    cr_password: str = ""
    clock: Any = None
    printer: Any = None
    client: Any = None  # the embedded client / proxy device object, when in-process
    capabilities: set[str] = field(default_factory=set)
    boot_error: str = ""  # why the device never came up (its scenarios fail with it)
    unreachable: int = 0  # connection requests in a row that started no session
    #: set when the device went away: {"cause": scenario id, "rpc": method, "ref": journal ref,
    #: "informs": Informs seen then}; cleared when it informs again
    down: dict[str, Any] | None = None

    def cwmp_client(self) -> Any:
        """The in-process ``cwmp_cpe.Cpe`` behind this device (None for a third-party CPE)."""
        return getattr(self.client, "cpe", None)

    def cr_rate_window(self) -> float:
        """Seconds the CPE counts connection requests over for its rate limit (TR-069 says
        none: 10 s is our client's default and a common choice)."""
        cpe = self.cwmp_client()
        return float(getattr(getattr(cpe, "config", None), "cr_rate_window", 10.0))

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "via": self.via,
            "profile": self.profile,
            "acs_id": self.acs_id,
            "serial": self.serial,
            "host": getattr(self.printer, "host", None),
            "connection_request_url": self.cr_url,
        }


class Target:
    """Base: the devices, our ACS (or None), and time."""

    kind = "builtin"

    def __init__(self, name: str, settings: dict[str, Any] | None = None) -> None:
        self.name = name
        self.settings = settings or {}
        self.devices: list[DeviceHandle] = []
        self.acs: Any = None
        self.inform_tap: Any = None
        self.time_scale = float(self.settings.get("time_scale", 1.0))
        self.capabilities: set[str] = set()
        self.notes: list[str] = []
        #: Why a capability is missing (for the report's "not applicable" line), e.g. "xmpp".
        self.capability_reasons: dict[str, str] = {}

    def capabilities_for(self, device: DeviceHandle) -> set[str]:
        return self.capabilities | device.capabilities

    def clock_for(self, acs_id: str) -> Any:

        for d in self.devices:
            if d.acs_id == acs_id and d.clock is not None:
                return d.clock
        return SystemClock()

    async def advance(self, seconds: float) -> None:
        """Let device time pass (a real wait here, bounded)."""
        await asyncio.sleep(min(seconds, MAX_ADVANCE))

    async def prepare_connection_request(self, device: DeviceHandle) -> None:
        if self.acs is None:
            return
        self.follow_cr_url(device)
        self.acs.set_connection_request(
            device.acs_id,
            username=device.cr_username,
            password=device.cr_password,
            url=device.cr_url or None,
        )

    def follow_cr_url(self, device: DeviceHandle) -> None:
        """Take the ConnectionRequestURL the device informed last (TR-069 §3.2.2: the CPE
        reports it in every Inform; a CPE that restarts may listen on a new port)."""
        if self.acs is None:
            return
        known = self.acs.known_device(device.acs_id)
        if known is not None and known.cr_url and known.cr_url != device.cr_url:
            if device.cr_url:
                note = (
                    f"{device.name}: ConnectionRequestURL now {known.cr_url} (was {device.cr_url})"
                )
                log.info("%s", note)
                self.notes.append(note)
            device.cr_url = known.cr_url

    def informs_of(self, device: DeviceHandle) -> int:
        """How many Informs the ACS has had from ``device`` (0 when it knows none)."""
        known = self.acs.known_device(device.acs_id) if self.acs is not None else None
        return int(getattr(known, "inform_count", 0) or 0) if known is not None else 0

    async def reset_cr_rate_limit(self, device: DeviceHandle) -> bool:
        """Make the CPE forget the connection requests it counts for its rate limit, as if
        its window had passed. False: this target cannot (the caller waits the window out)."""
        return False

    async def start(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    async def stop(self) -> None:
        if self.acs is not None:
            await self.acs.stop()
            self.acs = None

    async def __aenter__(self) -> Target:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _start_acs(self, report_dir: Path | None) -> None:

        acs = self.settings.get("acs") or {}
        config = AcsConfig(
            host=str(acs.get("host", "127.0.0.1")),
            port=int(acs.get("port", 0)),
            control_port=int(acs.get("control_port", 0)),
            journal_dir=report_dir,
            session_timeout=float(acs.get("session_timeout", 30.0)),
        )
        self.acs = await AcsControl.start(config)

        # Subscribed before any device starts, so first-contact Informs are seen too.
        self.inform_tap = InformTap(self.acs, self.clock_for)

    async def wait_devices(self, timeout: float) -> None:
        """Wait until every device has informed once (so its ACS id and CR URL are known)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            missing = [
                d
                for d in self.devices
                if self.acs.known_device(d.acs_id) is None
                or not self.acs.known_device(d.acs_id).inform_count
            ]
            if not missing:
                break
            if loop.time() > end:
                # Kept, not dropped: every scenario on them fails with this reason.
                for d in missing:
                    d.boot_error = f"{d.name} sent no Inform within {timeout:.0f} s of the start"
                    self.notes.append(d.boot_error)
                break
            await asyncio.sleep(0.05)
        for d in self.devices:
            known = self.acs.known_device(d.acs_id)
            if known is not None and known.cr_url and not d.cr_url:
                d.cr_url = known.cr_url


# --- printers we run ---------------------------------------------------------------------------


def allocate_hosts(base: str, count: int) -> list[str]:
    """``count`` consecutive loopback addresses from ``base`` (must stay in 127.0.0.0/8)."""
    try:
        first = ipaddress.IPv4Address(base)
    except ipaddress.AddressValueError:
        raise TargetError(f"base_address {base!r} is not an IPv4 address") from None
    hosts = [first + i for i in range(count)]
    if not all(h in ipaddress.IPv4Network("127.0.0.0/8") for h in hosts):
        raise TargetError(f"base_address {base}: {count} printers must fit in 127.0.0.0/8")
    return [str(h) for h in hosts]


class PrinterFleet:
    """Virtual printers, one per profile, on consecutive loopback addresses."""

    def __init__(
        self,
        profiles: list[str],
        base: str,
        *,
        ports: str = "ephemeral",
        acs_url: str | None = None,
        embedded: bool | list[bool] = True,
        cr_rate_limit: int | None = None,
        strict: bool = False,
    ) -> None:
        """``embedded``: whether the printers run their embedded TR-069 client, for all of
        them or per printer (a list as long as ``profiles``)."""
        self.profiles = profiles
        self.cr_rate_limit = cr_rate_limit
        self.strict = strict  # CpeConfig.strict of the embedded clients
        self.hosts = allocate_hosts(base, len(profiles))
        self.ports = ports
        self.acs_url = acs_url
        wanted = embedded if isinstance(embedded, list) else [embedded] * len(profiles)
        if len(wanted) != len(profiles):
            raise ValueError("PrinterFleet: one embedded flag per profile")
        self.embedded_for = [bool(e) and acs_url is not None for e in wanted]
        self.embedded = any(self.embedded_for)
        self.printers: list[Any] = []

    async def start(self) -> None:


        ports = Ports.ephemeral() if self.ports == "ephemeral" else Ports()
        for i, (profile, host, embedded) in enumerate(
            zip(self.profiles, self.hosts, self.embedded_for, strict=True)
        ):
            printer = VirtualPrinter(profile, host=host, seed=i, ports=ports, acs_url=self.acs_url)
            self.printers.append(printer)
            # Provisioned as an ACS would: connection requests need digest credentials.
            mgmt = printer.state.management
            if not mgmt.connection_request_username:
                mgmt.connection_request_username = f"cr-{printer.state.identity.serial_number}"
                mgmt.connection_request_password = secrets.token_hex(8)
            faces = tuple(f for f in FACES if f != "tr069" or embedded)
            await printer.start(faces=faces)
            if printer.tr069 is not None and self.cr_rate_limit:
                # Every RPC step of a scenario may need its own session; the default 5 per
                # 10 s would make a run wait on 503s. CR-004 bursts above this limit.
                printer.tr069.cpe.config.cr_rate_limit = self.cr_rate_limit
            if printer.tr069 is not None and self.strict:
                printer.tr069.cpe.config.strict = True

    async def stop(self) -> None:
        # All at once: each printer's stop waits on its own peers (its XMPP stream's close,
        # its sessions), and one after the other that added up to seconds per target.
        async def stop_one(p: Any) -> None:
            with contextlib.suppress(Exception):
                await p.stop()

        await asyncio.gather(*(stop_one(p) for p in reversed(self.printers)))
        self.printers.clear()


def printer_oracle(printer: Any) -> Callable[[list[str]], Awaitable[dict[str, str]]] | None:
    """The printer's own TR-069 view (emulator/tr069/view.py) as ``names -> {name: value}``."""
    # Its own tree over the same state: independent of the client's and the proxy's trees.
    tree, _view = printer_tree(printer.state, printer.clock)

    async def values(names: list[str]) -> dict[str, str]:
        printer.engine.tick()
        out: dict[str, str] = {}
        for name in names:
            try:
                for pv in tree.get_parameter_values([name]):
                    out[pv.name] = pv.value
            except Exception:  # a name the printer does not have: absent from the answer
                continue
        return out

    return values


async def start_proxy(printers: list[Any], acs_url: str, host: str = "127.0.0.1") -> Any | None:
    """Start the CWMP proxy in front of ``printers`` (None if the package is not available).

    Connection requests to its virtual devices need digest credentials, as on a real CPE."""

    entries = []
    for p in printers:
        snmp_port = int(p.endpoints["snmp"].rsplit(":", 1)[1])
        s = p.state
        entries.append(
            PrinterEntry(
                address=p.host,
                snmp_port=snmp_port,
                community=s.snmp.read_community,
                write_community=s.snmp.write_community,
                ipp_uri=p.endpoints["ipp"],
                ews_url=p.endpoints["ews"],
                ews_username=s.admin.username,
                ews_password=s.admin.password,
            )
        )
    config = ProxyConfig(
        acs_url=acs_url,
        host=host,
        cr_port=0,
        cr_username="printbench",
        cr_password=secrets.token_hex(6),
        # scenarios wait seconds, not minutes, for a change at the printer to reach the ACS
        poll_intervals={"status": 2.0, "config": 5.0, "active": 1.0},
    )
    runner = ProxyThread(Proxy(config, entries))
    await runner.start()
    return runner


class ProxyThread:
    """The proxy on its own event loop in its own thread.

    Why: the proxy is a separate system under test that talks to the printers and the ACS
    only over sockets; on its own loop, a proxy that misbehaves (blocks, spins) cannot starve
    the ACS, the printers or the engine, and the run still ends with a verdict."""

    def __init__(self, proxy: Any) -> None:

        self.proxy = proxy
        self.config = proxy.config
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="cwmp-proxy", daemon=True
        )

    async def start(self) -> None:
        self._thread.start()
        fut = asyncio.run_coroutine_threadsafe(self.proxy.start(), self.loop)
        await asyncio.wrap_future(fut)

    def device(self, address: str) -> Any:
        return self.proxy.device(address)

    async def stop(self) -> None:
        if not self._thread.is_alive():
            return
        fut = asyncio.run_coroutine_threadsafe(self.proxy.stop(), self.loop)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.wrap_future(fut), 10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        await asyncio.to_thread(self._thread.join, 5)
        if not self._thread.is_alive():
            self.loop.close()


def acs_id_of(printer: Any) -> str:

    ident = printer.state.identity
    return device_key(ident.oui, ident.product_class, ident.serial_number)


class BuiltinTarget(Target):
    """Stub ACS + one virtual printer per profile, managed through the embedded client and
    through the proxy, all in this process on loopback."""

    kind = "builtin"

    def __init__(
        self,
        name: str = "builtin",
        settings: dict[str, Any] | None = None,
        report_dir: Path | None = None,
    ) -> None:
        super().__init__(name, settings)
        self.report_dir = report_dir
        self.fleet: PrinterFleet | None = None
        self.proxy: Any = None
        self.clients: list[Any] = []
        self.capabilities = {"acs", "emulator"}
        self.xmpp: Any = None  # conformance.xmpp_target.XmppSetup when prosody runs

    async def start(self) -> None:

        profiles = self.settings.get("profiles", "all")
        names = list_profiles() if profiles == "all" else list(profiles)
        via = list(self.settings.get("via", ["embedded", "proxy"]))
        # ``printers: per-path`` (the default): each path gets printers of its own, so the
        # embedded and proxied devices of one profile run their scenarios at the same time
        # (one queue per printer, see Engine.run: paths sharing a printer run one after the
        # other, which made the main job twice as long). ``shared``: one printer seen
        # through both paths, the proxy in front of printers whose own clients also inform.
        sharing = str(self.settings.get("printers", "per-path"))
        if sharing not in ("per-path", "shared"):
            raise TargetError(f"printers: {sharing!r} is not per-path or shared")
        split = sharing == "per-path" and {"embedded", "proxy"} <= set(via)
        await self._start_acs(self.report_dir)
        try:
            acs_url = self.acs.server.cwmp_url
            base = str(self.settings.get("base_address", "127.1.0.1"))
            self.fleet = PrinterFleet(
                names * 2 if split else names,
                base,
                ports=str(self.settings.get("ports", "ephemeral")),
                acs_url=acs_url,
                embedded=[True] * len(names) + [False] * len(names)
                if split
                else "embedded" in via,
                cr_rate_limit=int(self.settings.get("cr_rate_limit", 40)),
            )
            await self.fleet.start()
            printers = self.fleet.printers
            embedded_printers = printers[: len(names)] if split else printers
            proxied_printers = printers[len(names) :] if split else printers
            oracles = {id(p): printer_oracle(p) for p in printers}
            for printer in embedded_printers:
                oracle = oracles[id(printer)]
                if "embedded" in via and printer.tr069 is not None:
                    mgmt = printer.state.management
                    self.devices.append(
                        DeviceHandle(
                            name=f"{printer.profile.name}/embedded",
                            via="embedded",
                            acs_id=acs_id_of(printer),
                            cr_url=printer.endpoints.get("tr069", ""),
                            cr_username=mgmt.connection_request_username,
                            cr_password=mgmt.connection_request_password,
                            client=printer.tr069,
                            **self._printer_fields(printer, oracle),
                        )
                    )
            if "proxy" in via:
                self.proxy = await start_proxy(proxied_printers, acs_url, "127.0.0.1")
                if self.proxy is None:
                    self.notes.append("CWMP proxy not available: proxied devices left out")
                else:

                    limit = int(self.settings.get("cr_rate_limit", 40))
                    for printer in proxied_printers:
                        vdev = self.proxy.device(printer.host)
                        if vdev.cpe is not None and limit:
                            vdev.cpe.config.cr_rate_limit = limit  # as for the embedded clients
                        ident = vdev.identity
                        self.devices.append(
                            DeviceHandle(
                                name=f"{printer.profile.name}/proxy",
                                via="proxy",
                                acs_id=device_key(
                                    ident.oui, ident.product_class, ident.serial_number
                                ),
                                cr_url=vdev.view.cr_url,
                                cr_username=self.proxy.config.cr_username,
                                cr_password=self.proxy.config.cr_password,
                                client=vdev,
                                **self._printer_fields(printer, oracles[id(printer)]),
                            )
                        )
            if self.devices:
                await self.wait_devices(float(self.settings.get("boot_timeout", 15)))
            if self.settings.get("xmpp", True) and any(d.via == "embedded" for d in self.devices):
                from printbench.conformance.xmpp_target import start_xmpp

                self.xmpp = await start_xmpp(self)  # TR-069 Annex K (prosody if installed)
            broken = [d for d in self.devices if d.via == "proxy" and d.boot_error]
            if broken and self.proxy is not None:
                # A proxy whose devices never inform may be spinning; stop it so the
                # embedded devices' run is not starved. Its scenarios fail with boot_error.
                self.notes.append(f"proxy stopped: {len(broken)} virtual device(s) never informed")
                with contextlib.suppress(Exception):
                    await self.proxy.stop()
                self.proxy = None
        except BaseException:
            await self.stop()
            raise

    async def reset_cr_rate_limit(self, device: DeviceHandle) -> bool:
        """Clear the in-process client's connection-request limiter (``cwmp_cpe.Cpe``: the
        times of the requests it accepted in the current window). Why: after CR-004's burst
        the next scenario needs connection requests at once; waiting the 10 s window out
        on every device cost a fifth of the whole run. The proxy's clients live on the
        proxy's own loop, so theirs is cleared there."""
        forget = getattr(device.cwmp_client(), "forget_connection_requests", None)
        if forget is None:
            return False
        loop = getattr(self.proxy, "loop", None) if device.via == "proxy" else None
        if loop is None:
            forget()
            return True

        async def clear() -> None:
            forget()

        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(clear(), loop))
        return True

    @staticmethod
    def _printer_fields(printer: Any, oracle: Any) -> dict[str, Any]:
        return {
            "profile": printer.profile.name,
            "serial": printer.state.identity.serial_number,
            "control": printer.control,
            "oracle": oracle,
            "clock": printer.clock,
            "printer": printer,
            "capabilities": {"oracle"} if oracle else set(),
        }

    async def stop(self) -> None:
        for client in self.clients:
            with contextlib.suppress(Exception):
                await client.stop()
        self.clients.clear()
        if self.xmpp is not None:
            with contextlib.suppress(Exception):
                await self.xmpp.stop()
            self.xmpp = None
        if self.proxy is not None:
            with contextlib.suppress(Exception):
                await self.proxy.stop()
            self.proxy = None
        if self.fleet is not None:
            await self.fleet.stop()
            self.fleet = None
        await super().stop()


class ExternalCpeTarget(Target):
    """Someone else's CPE or printer, pointed at our stub ACS."""

    kind = "cpe"

    def __init__(self, name: str, settings: dict[str, Any], report_dir: Path | None = None) -> None:
        super().__init__(name, settings)
        self.report_dir = report_dir
        self.capabilities = {"acs"}

    async def start(self) -> None:

        await self._start_acs(self.report_dir)
        for i, dev in enumerate(self.settings.get("devices") or []):
            acs_id = dev.get("acs_id") or device_key(
                str(dev["oui"]), str(dev["product_class"]), str(dev["serial"])
            )
            cr = dev.get("connection_request") or {}
            self.devices.append(
                DeviceHandle(
                    name=str(dev.get("name", f"cpe-{i + 1}")),
                    via="embedded",
                    acs_id=acs_id,
                    profile=dev.get("profile"),
                    serial=str(dev.get("serial", "")),
                    cr_url=str(cr.get("url", "")),
                    cr_username=str(cr.get("username", "")),
                    cr_password=str(cr.get("password", "")),
                )
            )
        print(
            f"stub ACS listening at {self.acs.server.cwmp_url}: point the device(s) at it",
            flush=True,
        )
        await self.wait_devices(float(self.settings.get("boot_timeout", 300)))


class ExternalProxyTarget(BuiltinTarget):
    """Someone else's proxy: we run the printers and the ACS; the proxy's virtual devices
    are matched to our printers by serial number."""

    kind = "proxy"

    async def start(self) -> None:

        profiles = self.settings.get("profiles", "all")
        names = list_profiles() if profiles == "all" else list(profiles)
        await self._start_acs(self.report_dir)
        base = str(self.settings.get("base_address", "127.1.0.1"))
        self.fleet = PrinterFleet(
            names, base, ports=str(self.settings.get("ports", "standard")), embedded=False
        )
        await self.fleet.start()
        printers_file = (self.report_dir or Path(".")) / "printers.yaml"
        printers_file.write_text(
            yaml.safe_dump(
                {
                    "printers": [
                        {"address": p.host, "endpoints": p.endpoints} for p in self.fleet.printers
                    ]
                },
                sort_keys=False,
            )
        )
        print(f"printers file: {printers_file}; ACS URL: {self.acs.server.cwmp_url}", flush=True)
        timeout = float(self.settings.get("boot_timeout", 300))
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        by_serial = {p.state.identity.serial_number: p for p in self.fleet.printers}
        while loop.time() < end and len(self.devices) < len(by_serial):
            for known in self.acs.devices():
                printer = by_serial.get(known.serial_number)
                if printer is not None and all(d.acs_id != known.id for d in self.devices):
                    oracle = printer_oracle(printer)
                    self.devices.append(
                        DeviceHandle(
                            name=f"{printer.profile.name}/proxy",
                            via="proxy",
                            acs_id=known.id,
                            profile=printer.profile.name,
                            serial=known.serial_number,
                            control=printer.control,
                            oracle=oracle,
                            printer=printer,
                            cr_url=known.cr_url or "",
                            cr_username=str(self.settings.get("cr_username", "")),
                            cr_password=str(self.settings.get("cr_password", "")),
                            capabilities={"oracle"} if oracle else set(),
                        )
                    )
            await asyncio.sleep(0.1)
        if not self.devices:
            raise TargetError(f"no virtual device of the proxy informed within {timeout:.0f} s")


class ExternalAcsTarget(BuiltinTarget):
    """Someone else's ACS: our printers' embedded clients talk to it; CPE-side checks only."""

    kind = "acs"

    async def start(self) -> None:

        acs_url = self.settings.get("acs_url")
        if not acs_url:
            raise TargetError("an acs target needs acs_url")
        profiles = self.settings.get("profiles", "all")
        names = list_profiles() if profiles == "all" else list(profiles)
        base = str(self.settings.get("base_address", "127.1.0.1"))
        # strict: an ACS response whose cwmp:ID does not echo the request's ends the session
        # (the retry table applies) instead of being recorded and reported (docs/conformance.md)
        strict = bool(self.settings.get("strict", False))
        self.fleet = PrinterFleet(names, base, acs_url=acs_url, strict=strict)
        await self.fleet.start()
        self.capabilities = {"emulator"}
        for printer in self.fleet.printers:
            if printer.tr069 is None:
                raise TargetError("the embedded TR-069 client is not available")
            self.devices.append(
                DeviceHandle(
                    name=f"{printer.profile.name}/embedded",
                    via="embedded",
                    acs_id=acs_id_of(printer),
                    client=printer.tr069,
                    **self._printer_fields(printer, printer_oracle(printer)),
                )
            )


#: Target kind → its class, called as ``cls(name, settings, report_dir)`` (the base Target
#: takes no report_dir, so the table is typed by that call, not as ``type[Target]``).
TargetFactory = Callable[[str, dict[str, Any], Path | None], Target]
KINDS: dict[str, TargetFactory] = {
    "builtin": BuiltinTarget,
    "cpe": ExternalCpeTarget,
    "proxy": ExternalProxyTarget,
    "acs": ExternalAcsTarget,
}
_KEYS = {
    "builtin": {
        "cr_rate_limit",
        "kind",
        "name",
        "base_address",
        "profiles",
        "via",
        "ports",
        "acs",
        "boot_timeout",
        "time_scale",
        "printers",
    },
    "cpe": {"kind", "name", "acs", "devices", "boot_timeout", "time_scale"},
    "proxy": {
        "kind",
        "name",
        "acs",
        "base_address",
        "profiles",
        "ports",
        "boot_timeout",
        "cr_username",
        "cr_password",
        "time_scale",
    },
    "acs": {"kind", "name", "acs_url", "base_address", "profiles", "nbi", "time_scale", "strict"},
}


def resolve_target_path(path: Path | str) -> Path:
    """A target file as given, or a built-in target by name (``plugfest-acs``).

    A path that exists (or names a folder) is used as it is, so the user's own files win over
    the built-in ``printbench.targets`` package data of the same name.
    """
    given = Path(path)
    if given.exists() or given.suffix in (".yaml", ".yml") or len(given.parts) > 1:
        return given

    builtin = package_dir("printbench.targets") / f"{given.name}.yaml"
    return builtin if builtin.is_file() else given


def load_target(
    path: Path | str | None, report_dir: Path | None = None, overrides: dict[str, Any] | None = None
) -> Target:
    """A target from a YAML file (None: the built-in target with default settings)."""
    settings: dict[str, Any] = {"kind": "builtin", "name": "builtin"}
    if path is not None:
        path = resolve_target_path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise TargetError(f"{path}: cannot read: {exc}") from None
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            data = yaml.safe_load(text)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            raise TargetError(
                f"{path}:{mark.line + 1 if mark else 1}: YAML syntax: {exc.problem}"
            ) from None
        if not isinstance(data, dict):
            raise TargetError(f"{path}:1: a target file is a mapping")
        kind = data.get("kind", "builtin")
        if kind not in KINDS:
            raise TargetError(
                f"{path}:{_line_of(node, 'kind')}: kind {kind!r} is not one of {', '.join(KINDS)}"
            )
        for key in data:
            if key not in _KEYS[kind]:
                raise TargetError(
                    f"{path}:{_line_of(node, key)}: unknown key {key!r} for a {kind} target "
                    f"(expected {', '.join(sorted(_KEYS[kind]))})"
                )
        settings = dict(data)
        settings.setdefault("name", path.stem)
    settings.update(overrides or {})
    cls = KINDS[settings.get("kind", "builtin")]
    return cls(str(settings.get("name")), settings, report_dir)


def _line_of(node: Any, key: str) -> int:
    if isinstance(node, yaml.MappingNode):
        for k, _v in node.value:
            if getattr(k, "value", None) == key:
                return k.start_mark.line + 1
    return 1


async def raw_connection_request(
    url: str, username: str | None, password: str | None, timeout: float = 10.0
) -> tuple[int, str]:
    """GET the ConnectionRequestURL; answer a digest challenge when credentials are given.

    Returns the final HTTP status and the first challenge header (to check it is Digest)."""
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as http:
            async with http.get(url) as resp:
                await discard_response(resp)
                challenge = resp.headers.get("WWW-Authenticate", "")
                if resp.status != 401 or username is None:
                    return resp.status, challenge
            header = authorization_for(challenge, "GET", url, username, password or "")
            if header is None:
                return 401, challenge
            async with http.get(url, headers={"Authorization": header}) as resp:
                await discard_response(resp)
                return resp.status, challenge
    except (aiohttp.ClientError, TimeoutError, OSError, BodyTooLarge) as exc:
        from printbench.conformance.steps import StepFailed

        raise StepFailed(f"connection request to {url}: {exc}") from None
