"""Connection Request authentication comes first and is never skipped (TR-069 §3.2.2: "The
CPE MUST use digest-authentication to authenticate the ACS before proceeding"): with empty
ConnectionRequestUsername/Password no request is accepted."""

from __future__ import annotations

import aiohttp
from aiohttp import DigestAuthMiddleware

from printbench.acs_stub.control import send_connection_request
from printbench.acs_stub.registry import Credentials
from printbench.cwmp_cpe import ConnectionRequestServer, FakeTime

from .conftest import make_cpe


async def _cpe(acs, t: FakeTime, **values: str):
    cpe = await make_cpe(acs, t, values=values)
    server = ConnectionRequestServer("127.70.1.9", 0)
    await server.start()
    url = server.register(cpe)
    cpe.tree.root["cr_url"] = url
    await cpe.start()
    await t.advance(0, [cpe.idle])  # BOOTSTRAP session
    return cpe, server, url


async def test_cpe_connreq_empty_credentials_refuse_every_request(acs, fake_time) -> None:
    cpe, server, url = await _cpe(
        acs, fake_time, ConnectionRequestUsername="", ConnectionRequestPassword=""
    )
    try:
        async with aiohttp.ClientSession() as http, http.get(url) as resp:
            assert resp.status == 401
            assert resp.headers["WWW-Authenticate"].startswith("Digest ")
        # not even a digest answer computed with the empty credentials is accepted
        mw = DigestAuthMiddleware("", "")
        async with aiohttp.ClientSession(middlewares=(mw,)) as http, http.get(url) as resp:
            assert resp.status == 401
        assert await send_connection_request(url, Credentials("", "")) == 401
        await fake_time.advance(0, [cpe.idle])
        assert cpe.sessions == 1  # no session from any of them
    finally:
        await cpe.stop()
        await server.stop()


async def test_cpe_connreq_authenticates_before_anything_else(acs, fake_time) -> None:
    """With CWMP disabled an unauthenticated request learns nothing but 401."""
    cpe, server, url = await _cpe(acs, fake_time)
    try:
        cpe.tree.store["Device.ManagementServer.EnableCWMP"] = "false"
        async with aiohttp.ClientSession() as http, http.get(url) as resp:
            assert resp.status == 401
        assert await send_connection_request(url, Credentials("cruser", "crpass")) == 503
    finally:
        await cpe.stop()
        await server.stop()


def test_a_standalone_printer_ships_with_connection_request_credentials() -> None:
    """A printer started on its own (``printbench printer``) would otherwise refuse every
    Connection Request until an ACS wrote credentials it cannot write without a session; like
    a real CPE's label, its factory credentials are stable per serial and printed on the
    tr069 endpoint line, and a factory reset restores them."""
    from printbench.emulator.device import VirtualPrinter

    a = VirtualPrinter("mono-desktop-laser", host="127.70.1.10", seed=3)
    b = VirtualPrinter("mono-desktop-laser", host="127.70.1.10", seed=3)
    mg = a.state.management
    assert mg.connection_request_username and mg.connection_request_password
    assert (mg.connection_request_username, mg.connection_request_password) == (
        b.state.management.connection_request_username,
        b.state.management.connection_request_password,
    )
    a.endpoints["tr069"] = "http://127.70.1.10:7547/cwmp/x"
    (line,) = [x for x in a.endpoint_lines() if x.startswith("tr069 ")]
    assert line.split()[1:] == [
        "http://127.70.1.10:7547/cwmp/x", "user", mg.connection_request_username,
        "password", mg.connection_request_password,
    ]  # fmt: skip
    mg.connection_request_username = "changed-by-acs"
    a.engine.factory_reset()
    assert a.state.management.connection_request_username == b.state.management.connection_request_username
