"""Bounded reads to EOF (``printbench.common.httpio``) and the clients that use them.

The server writes its body in many small pieces with pauses, so that a reader that takes
one network read (``StreamReader.read(n)``) gets a cut body; the helpers must return all of
it, and refuse a body over the cap with ``BodyTooLarge`` (Content-Length or counted).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from printbench.common.httpio import BodyTooLarge, read_response
from printbench.cwmp_proxy.errors import Rejected
from printbench.cwmp_proxy.ews_client import MAX_EWS_BODY, EwsClient
from printbench.cwmp_proxy.ipp_client import MAX_IPP_RESPONSE, IppClient

PIECE = b"0123456789abcdef" * 1024  # 16 KiB


async def _dribble(request: web.Request) -> web.StreamResponse:
    """``n`` pieces of 16 KiB, a pause between them; ``length=1`` sends Content-Length."""
    n = int(request.query.get("n", "64"))
    resp = web.StreamResponse(headers={"Content-Type": request.query.get("ct", "text/plain")})
    if request.query.get("length"):
        resp.content_length = n * len(PIECE)
    await resp.prepare(request)
    for _ in range(n):
        await resp.write(PIECE)
        await asyncio.sleep(0.001)
    await resp.write_eof()
    return resp


@pytest.fixture
async def server() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", _dribble)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("length", ["", "1"])
async def test_read_response_reads_to_eof(server: str, length: str) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server}/x?n=64&length={length}") as resp:
            assert len(await read_response(resp, 64 * len(PIECE))) == 64 * len(PIECE)
        # the mistake it replaces: one read returns what is buffered (fewer bytes)
        async with http.get(f"{server}/x?n=64&length={length}") as resp:
            assert len(await resp.content.read(64 * len(PIECE))) < 64 * len(PIECE)


@pytest.mark.parametrize("length", ["", "1"])
async def test_read_response_refuses_over_cap(server: str, length: str) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{server}/x?n=8&length={length}") as resp,
    ):
        with pytest.raises(BodyTooLarge) as exc:
            await read_response(resp, 8 * len(PIECE) - 1)
    assert exc.value.size == (8 * len(PIECE) if length else None)


async def test_proxy_ipp_client_refuses_an_endless_answer(server: str) -> None:
    """The proxy's IPP client read responses with no bound: now TR-069 fault 9004."""
    n = MAX_IPP_RESPONSE // len(PIECE) + 1
    async with aiohttp.ClientSession() as http:
        client = IppClient(f"{server}/ipp/print?n={n}&ct=application/ipp", http, retries=0)
        with pytest.raises(Rejected) as exc:
            await client.get_attributes(["printer-name"])
    assert exc.value.code == 9004


async def test_proxy_ews_client_refuses_an_endless_answer(server: str) -> None:
    n = MAX_EWS_BODY // len(PIECE) + 1
    async with aiohttp.ClientSession() as http:
        client = EwsClient(server, http, retries=0)
        with pytest.raises(Rejected) as exc:
            await client._request("GET", f"/api/state?n={n}&ct=application/json")
    assert exc.value.code == 9004
