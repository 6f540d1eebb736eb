"""Issue 17: open connections per client address and in total are capped on every TCP face
of a printer (IPP, EWS, control API, connection requests); past a cap a new connection gets
HTTP 503 with Retry-After at once (RFC 9110 §15.6.4, §10.2.3) and a connection that closes
frees its place. Real sockets from several loopback source addresses (127.117.3.x)."""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit

import pytest

from printbench.common.connlimit import ConnectionCaps
from printbench.common.httpguard import HttpTimeouts
from printbench.emulator.device import Ports, VirtualPrinter

PER_CLIENT = 6
TOTAL = 10


@pytest.fixture
async def printer():
    vp = VirtualPrinter(
        "color-laser-mfp", host="127.117.3.1", ports=Ports.ephemeral(),
        http_timeouts=HttpTimeouts(caps=ConnectionCaps(per_client=PER_CLIENT, total=TOTAL)),
    )  # fmt: skip
    await vp.start(faces=("ipp", "ews", "control", "tr069"), drive=False)
    try:
        yield vp
    finally:
        await vp.stop()


async def _connect(port: int, source: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.117.3.1", port, local_addr=(source, 0))


async def _refused(reader: asyncio.StreamReader) -> bytes:
    """What a connection gets without sending anything: b"" while it is accepted."""
    try:
        async with asyncio.timeout(0.5):
            return await reader.read(4096)
    except TimeoutError:
        return b""


def _close(conns) -> None:
    for _, w in conns:
        w.close()


@pytest.mark.parametrize("face", ["ipp", "ews", "control", "tr069"])
async def test_connections_past_the_caps_get_503_with_retry_after(printer, face: str) -> None:
    port = urlsplit(printer.endpoints[face].replace("ipp://", "http://")).port
    assert port is not None
    held = [await _connect(port, "127.117.3.2") for _ in range(PER_CLIENT)]
    try:
        # a seventh from the same address: refused with the protocol's answer
        reader, writer = await _connect(port, "127.117.3.2")
        answer = await _refused(reader)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 503 "), answer[:100]
        assert b"\r\nRetry-After: " in answer
        # another client still gets in, up to the total
        others = [await _connect(port, "127.117.3.3") for _ in range(TOTAL - PER_CLIENT)]
        held += others
        silent = await asyncio.gather(*(_refused(r) for r, _ in held))
        assert silent == [b""] * TOTAL  # all accepted, nothing said
        reader, writer = await _connect(port, "127.117.3.4")
        assert (await _refused(reader)).startswith(b"HTTP/1.1 503 ")  # the total reached
        writer.close()
        # a closed connection frees its place: the face serves a request again
        _, w0 = held.pop(0)
        w0.close()
        await w0.wait_closed()
        status = b""
        for _ in range(50):  # until the server has seen the close
            reader, writer = await _connect(port, "127.117.3.4")
            writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            with contextlib.suppress(ConnectionError):
                status = (await asyncio.wait_for(reader.read(4096), 10))[:12]
            writer.close()
            if not status.startswith(b"HTTP/1.1 503"):
                break
            await asyncio.sleep(0.05)
        assert status.startswith(b"HTTP/1.1 ") and not status.startswith(b"HTTP/1.1 503"), status
    finally:
        _close(held)


async def test_many_sockets_from_one_client_are_bounded(printer) -> None:
    """200 sockets at once from one address against the IPP face: PER_CLIENT accepted, the
    rest answered 503, and a good request from elsewhere is served meanwhile."""
    port = urlsplit(printer.endpoints["ipp"].replace("ipp://", "http://")).port
    assert port is not None
    conns = await asyncio.gather(*(_connect(port, "127.117.3.5") for _ in range(200)))
    try:
        answers = await asyncio.gather(*(_refused(r) for r, _ in conns))
        assert sum(a.startswith(b"HTTP/1.1 503 ") for a in answers) == 200 - PER_CLIENT
        assert sum(a == b"" for a in answers) == PER_CLIENT
        reader, writer = await _connect(port, "127.117.3.6")
        writer.write(b"GET /ipp/print HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert (await asyncio.wait_for(reader.read(4096), 10)).startswith(b"HTTP/1.1 405")
        writer.close()
    finally:
        _close(conns)


async def test_a_client_at_one_printers_cap_still_reaches_the_others() -> None:
    """One listener serves many printers (a fleet worker): the per-client cap counts per
    printer, so a client that filled one printer's share is not locked out of the next."""
    from printbench.emulator.ipp.server import create_ipp_server

    hosts = ("127.117.3.11", "127.117.3.12")
    factory = create_ipp_server(lambda host: None, caps=ConnectionCaps(per_client=3, total=50))
    loop = asyncio.get_running_loop()
    first = await loop.create_server(factory, hosts[0], 0)
    port = first.sockets[0].getsockname()[1]
    second = await loop.create_server(factory, hosts[1], port)
    conns = []
    try:
        for _ in range(3):
            conns.append(
                await asyncio.open_connection(hosts[0], port, local_addr=("127.117.3.13", 0))
            )
        r, w = await asyncio.open_connection(hosts[0], port, local_addr=("127.117.3.13", 0))
        conns.append((r, w))
        assert (await _refused(r)).startswith(b"HTTP/1.1 503 ")
        r, w = await asyncio.open_connection(hosts[1], port, local_addr=("127.117.3.13", 0))
        conns.append((r, w))
        w.write(b"GET /ipp/print HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert (await asyncio.wait_for(r.read(4096), 10)).startswith(b"HTTP/1.1 405")
    finally:
        _close(conns)
        for s in (first, second):
            s.close()
            await s.wait_closed()
