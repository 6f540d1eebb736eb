"""A small real ACS for retry tests: it answers each session the way a script says.

Why not the stub ACS: the stub is a correct ACS with a few failure switches; the retry rules
must be seen against every kind of ACS failure (wrong cwmp:ID, HTTP errors, bad envelopes,
silence, a session broken off after the InformResponse), and this peer makes each one on
purpose over real loopback HTTP. Each Inform is recorded with its RetryCount, events and the
time on the clock given.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from printbench.cwmp import messages as m
from printbench.cwmp import soap

#: How one session goes. "ok": InformResponse then 204; "wrong-id": InformResponse with a
#: cwmp:ID that is not the Inform's, then 204; "http-500": HTTP 500 without a body to the
#: Inform; "bad-envelope": HTTP 200 with a body that is not XML; "silent": no answer (the
#: CPE's HTTP timeout ends it); "break-after-inform": InformResponse, then HTTP 500 to the
#: CPE's next POST; "fault-tc": TransferComplete answered with fault 8002.
MODES = ("ok", "wrong-id", "http-500", "bad-envelope", "silent", "break-after-inform",
         "fault-tc")  # fmt: skip


@dataclass
class Seen:
    at: float
    retry_count: int
    events: list[str]
    serial: str
    mode: str


@dataclass
class ScriptedAcs:
    clock: Any
    default: str = "ok"
    script: list[str] = field(default_factory=list)  # modes of the next sessions, in order
    informs: list[Seen] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # methods of CPE requests seen
    url: str = ""
    _runner: web.AppRunner | None = None
    _mode: dict[str, str] = field(default_factory=dict)  # per cookie: this session's mode

    async def start(self) -> ScriptedAcs:
        self._stopping = asyncio.Event()
        app = web.Application()
        app.router.add_post("/acs", self._post)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = next(a for a in self._runner.addresses if isinstance(a, tuple))[1]
        self.url = f"http://127.0.0.1:{port}/acs"
        return self

    async def stop(self) -> None:
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()

    def attempts(self, serial: str | None = None) -> list[Seen]:
        return [s for s in self.informs if serial is None or s.serial == serial]

    async def _post(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        cookie = request.cookies.get("s", "")
        if not body.strip():
            mode = self._mode.pop(cookie, "ok")
            if mode == "break-after-inform":
                return web.Response(status=500)
            return web.Response(status=204)
        env = soap.decode(body)
        if isinstance(env.body, m.Inform):
            return await self._inform(env)
        self.requests.append(env.method or "")
        mode = self._mode.get(cookie, "ok")
        if isinstance(env.body, m.TransferComplete):
            if mode == "fault-tc":
                out = m.Envelope(m.Fault(8002, "not now"), id=env.id, namespace=env.namespace)
                return web.Response(status=500, body=soap.encode(out), content_type="text/xml")
            out = m.Envelope(m.TransferCompleteResponse(), id=env.id, namespace=env.namespace)
            return web.Response(body=soap.encode(out), content_type="text/xml")
        return web.Response(status=500)

    async def _inform(self, env: m.Envelope) -> web.StreamResponse:
        inform = env.body
        assert isinstance(inform, m.Inform)
        mode = self.script.pop(0) if self.script else self.default
        self.informs.append(
            Seen(
                self.clock.monotonic(),
                inform.retry_count,
                [e.event_code for e in inform.event],
                inform.device_id.serial_number,
                mode,
            )
        )
        if mode == "http-500":
            return web.Response(status=500)
        if mode == "bad-envelope":
            return web.Response(body=b"this is not an envelope", content_type="text/xml")
        if mode == "silent":
            await self._stopping.wait()  # never answers while the test runs
            return web.Response(status=204)
        cwmp_id = f"not-{env.id}" if mode == "wrong-id" else env.id
        out = m.Envelope(m.InformResponse(), id=cwmp_id, namespace=env.namespace)
        resp = web.Response(body=soap.encode(out), content_type="text/xml")
        key = str(len(self.informs))
        self._mode[key] = mode
        resp.set_cookie("s", key)
        return resp
