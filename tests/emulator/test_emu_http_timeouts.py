"""Issue 17 item 9: an incomplete request head or a stalled body gets 408 and a closed
connection within the configured limits, on every TCP face (IPP's own HTTP layer and the
aiohttp faces: EWS, control API, connection-request server, stub ACS).

The limits are set short here; the assertions are about what happens (408, closed), never
about the exact time. ``asyncio.timeout`` is a guard far below aiohttp's 75 s keep-alive, so
a face that does not enforce its limit fails instead of hanging."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest

from printbench.acs_stub.control import AcsControl
from printbench.acs_stub.server import AcsConfig
from printbench.common.httpguard import HttpTimeouts
from printbench.emulator.device import Ports, VirtualPrinter

SHORT = HttpTimeouts(head=0.3, body=0.3)
PARTIAL_HEAD = b"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
STALLED_BODY = (
    b"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {ctype}\r\nContent-Length: 100\r\n\r\n{"
)
#: face -> (path, content type) of a request whose handler reads the body
BODY_READERS = {
    "ipp": (b"/ipp/print", b"application/ipp"),
    "ews": (b"/api/login", b"application/json"),
    "printer-control": (b"/api/jobs", b"application/json"),
    "acs": (None, b"text/xml"),
}


async def _answer(host: str, port: int, data: bytes) -> bytes:
    """Send ``data`` and read until the server closes the connection."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(data)
        await writer.drain()
        async with asyncio.timeout(20):  # a guard; the limits are 0.3 s
            return await reader.read()  # to EOF: the server must close
    finally:
        writer.close()


@pytest.fixture
async def endpoints(tmp_path):
    acs = await AcsControl.start(
        AcsConfig(
            host="127.0.0.1",
            port=0,
            control_port=0,
            journal_dir=tmp_path,
            head_timeout=0.3,
            read_timeout=0.3,
        )
    )
    vp = VirtualPrinter(
        "color-laser-mfp",
        host="127.71.1.1",
        ports=Ports.ephemeral(),
        acs_url=acs.server.cwmp_url,
        http_timeouts=SHORT,
    )
    await vp.start(faces=("ipp", "ews", "control", "tr069"), drive=False)
    urls = {
        "ipp": vp.endpoints["ipp"].replace("ipp://", "http://"),
        "ews": vp.endpoints["ews"],
        "printer-control": vp.endpoints["control"],
        "connection-request": vp.endpoints["tr069"],
        "acs": acs.server.cwmp_url,
    }
    try:
        yield {k: urlsplit(u) for k, u in urls.items()}
    finally:
        await vp.stop()
        await acs.stop()


@pytest.mark.parametrize("face", ["ipp", "ews", "printer-control", "connection-request", "acs"])
async def test_incomplete_head_gets_408_and_is_closed(endpoints, face: str) -> None:
    url = endpoints[face]
    request = PARTIAL_HEAD.replace(b"{path}", (url.path or "/").encode())
    answer = await _answer(url.hostname, url.port, request)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:120]


@pytest.mark.parametrize("face", sorted(BODY_READERS))
async def test_stalled_body_gets_408_and_is_closed(endpoints, face: str) -> None:
    """(A connection request is a GET without a body, TR-069 §3.2.2: no body case there.)"""
    url = endpoints[face]
    path, ctype = BODY_READERS[face]
    request = STALLED_BODY.replace(b"{path}", path or url.path.encode())
    answer = await _answer(url.hostname, url.port, request.replace(b"{ctype}", ctype))
    assert answer.startswith(b"HTTP/1.1 408"), answer[:120]


def test_http_timeout_defaults_are_the_documented_ones() -> None:
    from printbench.emulator.ipp import server as ipp

    assert (HttpTimeouts().head, HttpTimeouts().body) == (30.0, 60.0)
    assert (ipp.HEAD_TIMEOUT, ipp.BODY_TIMEOUT) == (30.0, 60.0)
    assert AcsConfig().head_timeout == 30.0
