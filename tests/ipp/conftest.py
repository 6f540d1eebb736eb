"""Shared set-up for the IPP tests: virtual printers on 127.30.0.x and the documents ipptool prints.

ipptool ships its .test files but no documents, so :func:`make_documents` writes the ones
``ipp-1.1.test`` and ``ipp-2.0.test`` name in FILE directives: small valid PDFs (A4, Letter),
DSC PostScript files, and colour and grey JPEGs (through matplotlib, a declared dependency).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web

from printbench.common.clock import SystemClock
from printbench.emulator.behaviour import PrinterEngine
from printbench.emulator.profiles import build_printer
from printbench.emulator.state import PrinterState

IPPTOOL_DIR = Path("/usr/share/cups/ipptool")
IPP_HOSTS = ("127.30.0.1", "127.30.0.2")
ADMIN_BASIC = "Basic YWRtaW46YWRtaW4="  # admin:admin, the profiles' administrator account


@dataclass
class Device:
    state: PrinterState
    engine: PrinterEngine
    clock: SystemClock


def make_pdf(pages: int, width: int, height: int) -> bytes:
    """A valid PDF with ``pages`` pages of ``width``×``height`` points, each with one line of text."""
    objects: list[bytes] = []
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode())
    font = 3 + 2 * pages
    for i in range(pages):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] "
            f"/Contents {4 + 2 * i} 0 R /Resources << /Font << /F1 {font} 0 R >> >> >>".encode()
        )
        stream = f"BT /F1 24 Tf 72 {height - 96} Td (printbench page {i + 1}) Tj ET".encode()
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def make_postscript(pages: int, width: int, height: int) -> bytes:
    lines = [
        "%!PS-Adobe-3.0",
        f"%%BoundingBox: 0 0 {width} {height}",
        f"%%Pages: {pages}",
        "%%EndComments",
    ]
    for i in range(1, pages + 1):
        lines += [
            f"%%Page: {i} {i}",
            f"/Helvetica findfont 24 scalefont setfont 72 {height - 96} moveto (printbench page {i}) show",
            "showpage",
        ]
    lines.append("%%EOF")
    return ("\n".join(lines) + "\n").encode()


def make_jpeg(path: Path, color: bool) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import numpy as np
    from matplotlib import image

    y, x = np.mgrid[0:64, 0:96]
    if color:
        rgb = np.stack([x / 95, y / 63, 1 - x / 95], axis=-1)
        image.imsave(path, rgb, format="jpeg")
    else:
        image.imsave(path, x / 95, cmap="gray", format="jpeg")


def make_documents(directory: Path) -> None:
    """Write every document the shipped ipp-1.1/ipp-2.0 tests name into ``directory``."""
    a4, letter = (595, 842), (612, 792)
    (directory / "document-a4.pdf").write_bytes(make_pdf(2, *a4))
    (directory / "document-letter.pdf").write_bytes(make_pdf(2, *letter))
    (directory / "document-a4.ps").write_bytes(make_postscript(2, *a4))
    (directory / "document-letter.ps").write_bytes(make_postscript(2, *letter))
    make_jpeg(directory / "color.jpg", color=True)
    make_jpeg(directory / "gray.jpg", color=False)


@pytest.fixture
def ipp_workdir(tmp_path: Path) -> Path:
    """A copy of the shipped .test files plus the documents they print."""
    if not IPPTOOL_DIR.is_dir() or shutil.which("ipptool") is None:
        pytest.skip("ipptool (cups-ipp-utils) is not installed; ./dev setup installs it")
    work = tmp_path / "ipptool"
    work.mkdir()
    for test in IPPTOOL_DIR.glob("*.test"):
        shutil.copy(test, work / test.name)
    make_documents(work)
    return work


def make_device(host: str = IPP_HOSTS[0], seed: int = 0, speed: float = 200.0) -> Device:
    clock = SystemClock()
    state = build_printer("color-laser-mfp", seed=seed, clock=clock, host=host)
    return Device(state, PrinterEngine(state, clock, seed=seed, speed=speed), clock)


@dataclass
class IppServer:
    devices: dict[str, Device]
    port: int

    def uri(self, host: str = IPP_HOSTS[0]) -> str:
        return f"ipp://{host}:{self.port}/ipp/print"

    def admin_uri(self, host: str = IPP_HOSTS[0]) -> str:
        """The URI with the profile's administrator credentials (ipptool answers the access
        policy's 401 with them: emulator/ipp/access.py)."""
        return f"ipp://admin:admin@{host}:{self.port}/ipp/print"


@contextlib.asynccontextmanager
async def serve(
    devices: dict[str, Device], *, run_engines: bool = True, aiohttp_app: bool = False
) -> AsyncIterator[IppServer]:
    """One listener per address, all on the same (ephemeral) port, one server for all devices.

    By default the asyncio listener (:func:`start_ipp_listener`); ``aiohttp_app`` serves the
    same devices through :func:`create_ipp_app` instead."""
    from printbench.emulator.ipp.server import create_ipp_app, create_ipp_server

    hosts = list(devices)
    closers = []
    if aiohttp_app:
        runner = web.AppRunner(create_ipp_app(devices.get), access_log=None)
        await runner.setup()
        first = web.TCPSite(runner, hosts[0], 0)
        await first.start()
        port = first._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        for host in hosts[1:]:
            await web.TCPSite(runner, host, port).start()
        closers.append(runner.cleanup)
    else:
        loop = asyncio.get_running_loop()
        factory = create_ipp_server(devices.get)
        servers = [await loop.create_server(factory, hosts[0], 0)]
        port = servers[0].sockets[0].getsockname()[1]
        for host in hosts[1:]:
            servers.append(await loop.create_server(factory, host, port))

        async def close() -> None:
            for s in servers:
                s.close()
            for s in servers:
                await s.wait_closed()

        closers.append(close)
    tasks = (
        [asyncio.create_task(d.engine.run(0.02)) for d in devices.values()] if run_engines else []
    )
    try:
        yield IppServer(devices, port)
    finally:
        for t in tasks:
            t.cancel()
        for closer in closers:
            await closer()


@pytest.fixture
async def ipp_server() -> AsyncIterator[IppServer]:
    devices = {host: make_device(host, seed=i) for i, host in enumerate(IPP_HOSTS)}
    async with serve(devices) as server:
        yield server


@pytest.fixture
def ipp_serve():
    """The :func:`serve` context manager, for tests that build their own devices."""
    return serve


@pytest.fixture
def ipp_make_device():
    return make_device


def _ipp_request(
    op: int, uri: str, *attrs: tuple[str, int, object], request_id: int = 1, data: bytes = b""
):
    """A request with charset, natural language, printer-uri and ``attrs`` (name, tag, value|list)."""
    from printbench.ipp.codec import Attribute, Group, Message, Tag

    group = Group(0x01)
    group.add("attributes-charset", Tag.CHARSET, "utf-8")
    group.add("attributes-natural-language", Tag.NATURAL_LANGUAGE, "en")
    group.add("printer-uri", Tag.URI, uri)
    msg = Message((2, 0), op, request_id, [group], data)
    for name, tag, value in attrs:
        target = group
        if name.startswith("job:") or name.startswith("printer:"):
            kind, name = name.split(":", 1)
            gtag = 0x02 if kind == "job" else 0x04
            target = msg.group(gtag) or msg.add_group(gtag)
        values = value if isinstance(value, list) else [value]
        target.attributes.append(Attribute(name, tag, values))
    return msg


@pytest.fixture
def ipp_call():
    """``await ipp_call(server, msg, host=...)`` → decoded response (HTTP status must be 200).
    Sent with the administrator's HTTP Basic credentials, so the access policy (its own
    tests: test_ipp_access.py) lets administration requests through."""
    import aiohttp

    from printbench.ipp.codec import decode, encode

    async def call(server: IppServer, msg, host: str = IPP_HOSTS[0]):
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"http://{host}:{server.port}/ipp/print",
                data=encode(msg),
                headers={"Content-Type": "application/ipp", "Authorization": ADMIN_BASIC},
            ) as resp,
        ):
            body = await resp.read()
            assert resp.status == 200, (resp.status, body[:200])
            assert resp.content_type == "application/ipp"
            return decode(body)

    return call


@pytest.fixture
def ipp_request():
    """``ipp_request(op, uri, (name, tag, value), ..., data=b"")``; ``job:``/``printer:`` prefixes pick the group."""
    return _ipp_request
