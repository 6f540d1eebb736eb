"""A small third-party-style CPE for the plugfest harness tests: it crashes on one RPC.

Behaves like the public CPE simulators met at plugfests: a few RPCs (GetRPCMethods,
GetParameterValues of a handful of parameters), an unauthenticated connection request server,
and a bug: the RPC named ``crash_on`` kills it in the middle of the session (no response, its
connection request port closed). With ``restart_after`` it comes back that many seconds later on
a *new* connection request port and informs ``1 BOOT`` with the new ConnectionRequestURL, as
a restarted process that picks a free port does. It shares only the SOAP codec with the bench.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

import aiohttp
from aiohttp import web

from printbench.cwmp import messages as m
from printbench.cwmp import soap

log = logging.getLogger(__name__)


class CrashingCpe:
    """One CPE: ``start()`` informs BOOTSTRAP; ``crash_on`` RPC: crash; maybe restart later."""

    def __init__(
        self,
        acs_url: str,
        *,
        crash_on: str,
        restart_after: float | None = None,
        serial: str = "CRASH0001",
    ) -> None:
        self.acs_url = acs_url
        self.crash_on = crash_on
        self.restart_after = restart_after
        self.device_id = m.DeviceIdStruct("Plugfest", "00D0B7", "SimCPE", serial)
        self.ports: list[int] = []  # every connection request port it listened on, in order
        self.crashes = 0
        #: TR-069 §3.2.1.1 RetryCount: sessions failed in a row; kept across the restart (the
        #: simulator persists it, as CPEs that keep their event queue in flash do)
        self.retry_count = 0
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._alive = False
        self._lock = asyncio.Lock()

    @property
    def cr_url(self) -> str:
        return f"http://127.0.0.1:{self.ports[-1]}/cr"

    def _spawn(self, coro) -> None:  # type: ignore[no-untyped-def]
        t = asyncio.ensure_future(coro)
        self._tasks.add(t)
        t.add_done_callback(self._tasks.discard)

    async def start(self, events: tuple[str, ...] = ("0 BOOTSTRAP", "1 BOOT")) -> None:
        app = web.Application()
        app.router.add_get("/cr", self._connection_request)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.ports.append(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        self._alive = True
        self._spawn(self._session(events))

    async def stop(self) -> None:
        self._alive = False
        for t in list(self._tasks):
            t.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _connection_request(self, request: web.Request) -> web.Response:
        self._spawn(self._session(("6 CONNECTION REQUEST",)))
        return web.Response(status=200)

    def _params(self) -> dict[str, str]:
        return {
            "Device.RootDataModelVersion": "2.12",
            "Device.DeviceInfo.HardwareVersion": "1.0",
            "Device.DeviceInfo.SoftwareVersion": "4.2",
            "Device.DeviceInfo.ProvisioningCode": "",
            "Device.DeviceInfo.Manufacturer": self.device_id.manufacturer,
            "Device.DeviceInfo.SerialNumber": self.device_id.serial_number,
            "Device.ManagementServer.ParameterKey": "",
            "Device.ManagementServer.ConnectionRequestURL": self.cr_url,
            "Device.ManagementServer.AliasBasedAddressing": "false",
        }

    def _inform(self, events: tuple[str, ...]) -> m.Inform:
        forced = (
            "Device.RootDataModelVersion",
            "Device.DeviceInfo.HardwareVersion",
            "Device.DeviceInfo.SoftwareVersion",
            "Device.DeviceInfo.ProvisioningCode",
            "Device.ManagementServer.ParameterKey",
            "Device.ManagementServer.ConnectionRequestURL",
            "Device.ManagementServer.AliasBasedAddressing",
        )
        values = self._params()
        return m.Inform(
            self.device_id,
            tuple(m.EventStruct(e) for e in events),
            1,
            datetime.now(UTC),
            self.retry_count,
            tuple(
                m.ParameterValueStruct(
                    n, values[n], "xsd:boolean" if n.endswith("Addressing") else "xsd:string"
                )
                for n in forced
            ),
        )

    def _answer(self, req: m.Message) -> m.Message:
        if isinstance(req, m.GetRPCMethods):
            return m.GetRPCMethodsResponse(("GetRPCMethods", "GetParameterValues", "Inform"))
        if isinstance(req, m.GetParameterValues):
            values = self._params()
            missing = [n for n in req.parameter_names if n not in values]
            if missing:
                return m.Fault(9005, f"{missing[0]}: no such parameter")
            return m.GetParameterValuesResponse(
                tuple(
                    m.ParameterValueStruct(n, values[n], "xsd:string") for n in req.parameter_names
                )
            )
        return m.Fault(9000, f"{type(req).__name__} is not supported")

    async def _session(self, events: tuple[str, ...]) -> None:
        """One session; an Inform the ACS does not take (busy, not up yet) is retried."""
        for _ in range(30):
            async with self._lock:
                if not self._alive:
                    return
                try:
                    if await self._exchange(events):
                        return
                except (aiohttp.ClientError, OSError) as exc:
                    log.info("crashing CPE: session failed: %s", exc)
            await asyncio.sleep(0.5)

    async def _exchange(self, events: tuple[str, ...]) -> bool:
        """True when the session ran (or the CPE crashed in it); False: Inform refused."""
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            body = soap.encode(m.Envelope(self._inform(events), id="1"))
            informed = False
            while True:
                headers: dict[str, str] = {}
                if body:  # TR-069 §3.4.1: SOAPAction "" on requests, no value on responses
                    headers = {"Content-Type": "text/xml", "SOAPAction": soap.soap_action(body)}
                async with http.post(
                    self.acs_url,
                    data=body,
                    headers=headers,
                    skip_auto_headers=() if body else ("Content-Type",),
                ) as resp:
                    data = await resp.read()
                    if resp.status != 200 or not data:
                        if resp.status == 204 and informed:
                            self.retry_count = 0  # the session completed
                        return informed or resp.status == 204
                env = soap.decode(data)
                if isinstance(env.body, m.InformResponse):
                    informed = True
                    body = b""  # empty POST: the ACS may send requests
                    continue
                if env.body is None:
                    return True
                if type(env.body).__name__ == self.crash_on:
                    await self._crash()
                    return True
                body = soap.encode(m.Envelope(self._answer(env.body), id=env.id))

    async def _crash(self) -> None:
        """The bug: die mid-session, connection request port gone; maybe come back."""
        self.crashes += 1
        self.retry_count += 1  # this session did not complete
        self._alive = False
        log.info("crashing CPE: %s received, going away", self.crash_on)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.restart_after is not None:

            async def restart() -> None:
                await asyncio.sleep(self.restart_after or 0)
                with contextlib.suppress(Exception):
                    await self.start(("1 BOOT",))

            self._spawn(restart())
