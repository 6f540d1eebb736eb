"""Issue 17 item 8: a malformed HTTP request to an aiohttp face is one log line, not an ERROR
with a traceback ("Error handling request"); a client gone mid-body is not an "unexpected
error". Every aiohttp face is tried with raw bytes on a real socket: the stub ACS (CWMP and
control), and a printer's EWS, control API and connection-request server."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

import pytest

from printbench.acs_stub.control import AcsControl
from printbench.acs_stub.server import AcsConfig
from printbench.emulator.device import Ports, VirtualPrinter

MALFORMED = [
    b"GET / HTTP/1.1\r\nHost: x\r\nthis is no header\r\n\r\n",
    b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nabcde",
    b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
]


async def _raw(host: str, port: int, data: bytes, *, close_early: bool = False) -> bytes:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(data)
        await writer.drain()
        if close_early:
            return b""
        async with asyncio.timeout(10):  # a guard: the server must answer or close
            return await reader.read(65536)
    finally:
        writer.close()


@pytest.fixture
async def faces(tmp_path):
    acs = await AcsControl.start(
        AcsConfig(host="127.0.0.1", port=0, control_port=0, journal_dir=tmp_path)
    )
    vp = VirtualPrinter(
        "color-laser-mfp", host="127.71.0.1", ports=Ports.ephemeral(), acs_url=acs.server.cwmp_url
    )
    await vp.start(faces=("ews", "control", "tr069"), drive=False)
    urls = {
        "acs": acs.server.cwmp_url,
        "acs-control": acs.server.control_url,
        "ews": vp.endpoints["ews"],
        "printer-control": vp.endpoints["control"],
        "connection-request": vp.endpoints["tr069"],
    }
    try:
        yield {k: urlsplit(u) for k, u in urls.items()}
    finally:
        await vp.stop()
        await acs.stop()


def _noisy(records: list[logging.LogRecord]) -> list[str]:
    return [
        f"{r.name} {r.levelname} {r.getMessage()[:120]}"
        for r in records
        if r.exc_info or r.levelno >= logging.ERROR or "unexpected error" in r.getMessage()
    ]


@pytest.mark.parametrize(
    "face", ["acs", "acs-control", "ews", "printer-control", "connection-request"]
)
async def test_malformed_requests_are_one_line_each(faces, face: str, caplog) -> None:
    caplog.set_level(logging.INFO)
    url = faces[face]
    for data in MALFORMED:
        caplog.clear()
        answer = await _raw(url.hostname, url.port, data)
        assert answer == b"" or answer[:12] in (b"HTTP/1.1 400", b"HTTP/1.0 400"), answer[:80]
        assert _noisy(caplog.records) == []
        lines = [r for r in caplog.records if r.levelno >= logging.INFO]
        assert len(lines) <= 1, [r.getMessage() for r in lines]


async def test_ews_client_gone_mid_body_is_not_an_unexpected_error(faces, caplog) -> None:
    caplog.set_level(logging.INFO)
    url = faces["ews"]
    head = (
        b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b'Content-Length: 100000\r\n\r\n{"username": "admin", "pass'
    )
    await _raw(url.hostname, url.port, head, close_early=True)
    for _ in range(500):  # until the EWS has logged the request it could not read
        if any(r.name == "printbench.emulator.ews.app" for r in caplog.records):
            break
        await asyncio.sleep(0.01)
    assert [r.levelname for r in caplog.records if r.name == "printbench.emulator.ews.app"] == ["INFO"]
    assert _noisy(caplog.records) == []
    # the EWS still answers
    answer = await _raw(url.hostname, url.port, b"GET /api/status HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200")
