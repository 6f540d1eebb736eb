"""Fixtures for the EWS tests: real printers (profile + behaviour engine) behind a real
aiohttp server on 127.40.0.0/16 with ephemeral ports."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from printbench.common.clock import FakeClock
from printbench.emulator.behaviour import PrinterEngine
from printbench.emulator.ews import create_ews_app
from printbench.emulator.profiles import build_printer
from printbench.emulator.state import PrinterState

_hosts = itertools.count(1)


@dataclass
class Device:
    state: PrinterState
    engine: PrinterEngine
    clock: FakeClock


def make_device(host: str, seed: int = 0) -> Device:
    clock = FakeClock()
    state = build_printer("color-laser-mfp", seed=seed, clock=clock, host=host)
    return Device(state, PrinterEngine(state, clock), clock)


@dataclass
class Server:
    """An EWS listening on one or more 127.40.x.y addresses (one app, one lookup)."""

    devices: dict[str, Device]
    urls: dict[str, str] = field(default_factory=dict)

    @property
    def host(self) -> str:
        return next(iter(self.devices))

    @property
    def device(self) -> Device:
        return self.devices[self.host]

    @property
    def url(self) -> str:
        return self.urls[self.host]

    def snapshot(self, host: str | None = None) -> list[tuple[str, Any]]:
        return list(self.devices[host or self.host].state.walk())


def fresh_hosts(n: int) -> list[str]:
    """Addresses no other test in this session uses (the /16 is this suite's own)."""
    out = []
    for _ in range(n):
        k = next(_hosts)
        out.append(f"127.40.{k // 250}.{k % 250 + 1}")
    return out


async def start_server(hosts: list[str]) -> tuple[Server, web.AppRunner]:
    devices = {h: make_device(h, seed=i) for i, h in enumerate(hosts)}
    app = create_ews_app(devices.get)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    server = Server(devices)
    for h in hosts:
        site = web.TCPSite(runner, h, 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        server.urls[h] = f"http://{h}:{port}"
    return server, runner


@pytest_asyncio.fixture
async def ews() -> AsyncIterator[Server]:
    server, runner = await start_server(fresh_hosts(1))
    try:
        yield server
    finally:
        await runner.cleanup()


def client() -> aiohttp.ClientSession:
    """A client that keeps cookies for IP-address hosts (the default jar refuses them)."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def login(session: aiohttp.ClientSession, url: str) -> str:
    """Log in through the HTML form; return the session's CSRF token."""
    async with session.post(
        f"{url}/login", data={"username": "admin", "password": "admin", "next": "/config"}
    ) as r:
        assert r.status == 200, await r.text()
    async with session.get(f"{url}/api/session") as r:
        body = await r.json()
    assert body["logged_in"] is True
    return body["csrf_token"]


@pytest.fixture
def basic() -> dict[str, str]:
    """HTTP Basic headers with the admin account (the machine auth scheme of the JSON API)."""
    return {"Authorization": aiohttp.encode_basic_auth("admin", "admin")}


@pytest.fixture
def ews_kit() -> Any:
    """The helpers above for test modules (conftest is not importable under importlib mode)."""
    import types

    return types.SimpleNamespace(
        client=client,
        login=login,
        start_server=start_server,
        fresh_hosts=fresh_hosts,
        make_device=make_device,
    )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def ews_module() -> AsyncIterator[Server]:
    """One EWS for a whole module (the Chromium tests share one browser and one server)."""
    server, runner = await start_server(fresh_hosts(1))
    try:
        yield server
    finally:
        await runner.cleanup()
