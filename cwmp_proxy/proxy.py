"""The CWMP proxy as a whole: the proxy's own CWMP device, one virtual device per printer,
the connection request listener and the notifier, in one asyncio loop.

The proxy is itself a CWMP device (TR-069 Annex J.2 calls it the *proxier*): it informs with
its own DeviceId, and its ``Device.ManagementServer.VirtualDevice.{i}`` lists the proxied
printers, so an ACS can see which printers sit behind which proxy; each printer's
``DeviceInfo.ProxierInfo`` points back at it. Everything else a printer device does (sessions,
periodic informs, connection requests, notifications) is its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from printbench.common import httplog
from printbench.common.pki import ensure_pki, issue_cpe_files
from printbench.cwmp import params as P
from printbench.cwmp_cpe import Cpe, CpeConfig
from printbench.cwmp_cpe.store import JsonFileStore, StateStore
from printbench.cwmp_cpe.timing import Clock, Sleep
from printbench.cwmp_proxy import diagnostics
from printbench.cwmp_proxy.errors import ProxyError
from printbench.cwmp_proxy.inventory import PrinterEntry
from printbench.cwmp_proxy.model import Identity, ModelConfig, ProxyRoot, build_model
from printbench.cwmp_proxy.notifications import Notifier
from printbench.cwmp_proxy.virtual_device import PrinterDevice

log = logging.getLogger(__name__)


@dataclass
class ProxyConfig:
    acs_url: str
    host: str = "127.0.0.1"
    cr_port: int = 7548  # 7547 on 127.0.0.1 belongs to the stub ACS (DESIGN §8)
    periodic_inform_interval: int = 3600
    periodic_inform_enable: bool = True
    cr_username: str = ""
    cr_password: str = ""
    timeout: float = 1.0  # per printer request
    retries: int = 1
    cr_probe_timeout: float = 1.0
    poll_intervals: dict[str, float] = field(default_factory=dict)
    trap_port: int | None = None  # UDP port for printerV2Alert traps (None: no listener)
    serial_number: str = ""
    cwmp_version: str = "1.4"
    strict: bool = False  # CpeConfig.strict for every device of the proxy
    #: Where the CWMP state of the proxy and of each virtual device is kept (JSON files) and
    #: the proxy's serial number: a restart is then 1 BOOT with the same DeviceIds, its
    #: queued events, pending TransferCompletes and attributes, not 0 BOOTSTRAP of every
    #: printer. None: memory only (a restart is a new proxy).
    state_dir: Path | None = None
    #: A test PKI folder (``printbench pki``): every device trusts its ``ca.pem`` for the
    #: ACS's certificate and presents its own client certificate, issued from the folder
    #: for its DeviceId (OUI-SerialNumber); the proxy's own device gets one too.
    pki_dir: Path | None = None


def _serial_number(state_dir: Path | None) -> str:
    """The proxy's serial number: kept in ``state_dir`` once chosen (the DeviceId an ACS
    knows it by), a new random one without a state folder."""
    if state_dir is None:
        return f"proxy-{secrets.token_hex(4)}"
    path = Path(state_dir) / "identity.json"
    try:
        serial = str(json.loads(path.read_text(encoding="utf-8"))["serial_number"])
        if serial:
            return serial
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ProxyError(f"{path}: unreadable proxy identity ({exc})") from None
    serial = f"proxy-{secrets.token_hex(4)}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"serial_number": serial}) + "\n", encoding="utf-8")
    return serial


class Proxy:
    """``await start()`` → endpoint lines; ``await stop()``."""

    def __init__(
        self,
        config: ProxyConfig,
        printers: list[PrinterEntry],
        *,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
    ) -> None:
        self.config = config
        #: Time of the CWMP runtimes (the proxy's device and every virtual device); None:
        #: the real clock. Injected so tests can run a failing ACS for minutes in ms.
        self._time: dict[str, Any] = {"clock": clock, "sleep": sleep}
        self.entries = printers
        self.devices: dict[str, PrinterDevice] = {}
        self.identity = Identity(
            manufacturer="printbench",
            oui="000000",
            model_name="printbench CWMP proxy",
            description="CWMP proxy for printers over SNMP, IPP and EWS",
            product_class="CWMPProxy",
            serial_number=config.serial_number or _serial_number(config.state_dir),
            software_version="1.0",
        )
        self.cpe: Cpe | None = None
        self.root: ProxyRoot | None = None
        self.notifier: Notifier | None = None
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self._paths: dict[str, Any] = {}
        self._preparing: dict[str, asyncio.Task[bool]] = {}
        self.cr_base = ""

    def _store(self, name: str) -> StateStore | None:
        if self.config.state_dir is None:
            return None
        safe = "".join(ch if ch.isalnum() or ch in "-._" else "_" for ch in name)
        return JsonFileStore(Path(self.config.state_dir) / f"{safe}.json")

    def _tls(self, config: CpeConfig, identity: Any) -> CpeConfig:
        """``config`` with the PKI folder's CA and the device's own client certificate."""
        if self.config.pki_dir is None:
            return config
        cert, key = issue_cpe_files(self.config.pki_dir, identity.oui, identity.serial_number)
        return dataclasses.replace(
            config, ca_file=self.config.pki_dir / "ca.pem", client_cert=cert, client_key=key
        )

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> list[str]:
        c = self.config
        if c.pki_dir is not None:
            ensure_pki(c.pki_dir)
        model_config = ModelConfig(
            acs_url=c.acs_url,
            periodic_inform_interval=c.periodic_inform_interval,
            periodic_inform_enable=c.periodic_inform_enable,
            cr_username=c.cr_username,
            cr_password=c.cr_password,
        )
        self.model, self.bindings = build_model(model_config)
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0, limit_per_host=4),
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        port = await self._start_cr_server()
        self.cr_base = f"http://{c.host}:{port}"
        cpe_config = self._tls(
            CpeConfig(cwmp_version=c.cwmp_version, strict=c.strict), self.identity
        )
        # The proxy's own device.
        self.root = ProxyRoot(
            identity=self.identity,
            devices=lambda: [d.virtual_device_row() for d in self.devices.values()],
        )
        tree = P.ParameterTree(self.model, self.root, strict_xsi_type=False)
        self.root.cr_url = self._register(None)
        self.cpe = Cpe(tree, cpe_config, name="proxy", store=self._store("proxy"), **self._time)
        self.cpe.connection_request_url = self.root.cr_url
        diagnostics.serve(self.cpe)  # the proxy's own Device.IP.Diagnostics. too
        self._paths[self.root.cr_url.rsplit("/", 2)[-1]] = self.cpe
        # One virtual device per printer, identities read concurrently.
        for e in self.entries:
            self.devices[e.address] = PrinterDevice(
                e,
                self.model,
                self.bindings,
                self._session,
                proxier=self.identity,
                timeout=c.timeout,
                retries=c.retries,
                cpe_config=CpeConfig(cwmp_version=c.cwmp_version, strict=c.strict),
                store=self._store(f"printer-{e.address}"),
            )
        await asyncio.gather(*(d.discover() for d in self.devices.values()))
        for d in self.devices.values():
            url = self._register(d)
            d.cpe_config = self._tls(d.cpe_config, d.identity)  # known after discover()
            d.make_cpe(url, **self._time)
        await self.cpe.start()
        await asyncio.gather(*(d.prefetch_watched() for d in self.devices.values()))
        for d in self.devices.values():
            assert d.cpe is not None
            await d.cpe.start()
        self.notifier = Notifier(
            lambda: self.devices.values(),
            intervals=c.poll_intervals,
            trap_host=c.host,
            trap_port=c.trap_port,
        )
        await self.notifier.start()
        return self.endpoint_lines()

    async def stop(self) -> None:
        if self.notifier is not None:
            await self.notifier.stop()
        for d in self.devices.values():
            await d.stop()
        if self.cpe is not None:
            await self.cpe.stop()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def __aenter__(self) -> Proxy:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def endpoint_lines(self) -> list[str]:
        lines = [
            f"proxy cwmp-device {self.identity.oui}-{self.identity.product_class}-"
            f"{self.identity.serial_number} cr {self.root.cr_url if self.root else ''} "
            f"acs {self.config.acs_url}"
        ]
        for d in self.devices.values():
            i = d.identity
            lines.append(
                f"printer {d.entry.address} {i.oui}-{i.product_class}-{i.serial_number} "
                f"protocols {','.join(d.entry.protocols)} cr {d.view.cr_url}"  # type: ignore[attr-defined]
            )
        if self.notifier is not None and self.notifier.trap_port is not None:
            lines.append(f"traps udp://{self.config.host}:{self.notifier.trap_port}")
        return lines

    # -- connection requests ----------------------------------------------------------------

    def _register(self, device: PrinterDevice | None) -> str:
        token = secrets.token_hex(8)
        if device is not None:
            self._paths[token] = device
        return f"{self.cr_base}/cwmp/{token}"

    async def _start_cr_server(self) -> int:
        httplog.install()
        app = web.Application()
        app.router.add_route("*", "/cwmp/{token}", self._cr)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.cr_port, reuse_address=True)
        await site.start()
        bound = [a for a in self._runner.addresses if isinstance(a, tuple)]
        return int(bound[-1][1]) if bound else self.config.cr_port

    async def _cr(self, request: web.Request) -> web.Response:
        """A Connection Request for the proxy's own device or a virtual device.

        The ACS is authenticated first (TR-069 §3.2.2: "MUST ... authenticate the ACS before
        proceeding"): an unauthenticated request costs no printer probe and learns nothing
        about the printer (a 503 would tell that it is offline). Then, for a virtual device,
        Annex J: a proxied device that does not answer gets 503.
        """
        target = self._paths.get(request.match_info["token"])
        if target is None:
            return web.Response(status=404)
        cpe = target.cpe if isinstance(target, PrinterDevice) else target
        if cpe is None:
            return web.Response(status=503)
        denied = cpe.authenticate_connection_request(
            request.method, request.path_qs, request.headers.get("Authorization")
        )
        if denied is not None:
            status, headers = denied
            return web.Response(status=status, headers=headers)
        if isinstance(target, PrinterDevice):
            if not await self._prepare(target):
                target.online = False
                return web.Response(status=503)
            target.online = True
        status, headers = cpe.accept_connection_request()
        return web.Response(status=status, headers=headers)

    async def _prepare(self, target: PrinterDevice) -> bool:
        """Probe the printer, then read what is watched; one run shared by concurrent requests.

        The read lets a session the request starts carry the changes of passive parameters
        (4 VALUE CHANGE) the interval poll has not seen yet. Sharing matters for bursts: sixty
        requests at once cost one probe and one read, and are all judged together, so the
        accepted ones fold into one session instead of trickling into several.
        """
        task = self._preparing.get(target.entry.address)
        if task is None or task.done():

            async def run() -> bool:
                if not await target.conn.reachable(self.config.cr_probe_timeout):
                    return False
                if self.notifier is not None:
                    try:
                        await self.notifier.poll_device(target, {"status", "config", "active"})
                    except Exception as exc:  # a failed read must not refuse the request
                        log.info(
                            "%s: poll before the session failed: %r", target.entry.address, exc
                        )
                return True

            task = asyncio.get_running_loop().create_task(run())
            self._preparing[target.entry.address] = task
        return await asyncio.shield(task)

    # -- helpers for tests and the benchmark -----------------------------------------------

    def device(self, address: str) -> PrinterDevice:
        return self.devices[address]


async def run_forever(proxy: Proxy) -> None:
    """Start, print the endpoint lines and ``ready``, then serve until cancelled."""
    lines = await proxy.start()
    for line in lines:
        print(line, flush=True)
    print("ready", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        with contextlib.suppress(Exception):
            await proxy.stop()
