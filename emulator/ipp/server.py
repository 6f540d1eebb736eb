"""The IPP face over HTTP: a thin aiohttp adapter around :mod:`emulator.ipp.operations`.

One application serves every virtual printer of a process: the connection's local address
(``sockname``) names the device, so a single listener on 0.0.0.0 (or one per address)
answers for 127.x.y.z printers without a socket per device (DESIGN.md §6).

What the adapter adds to the pure operations: HTTP checks (POST, ``application/ipp``, body
size), power state (a switched-off printer answers 503), decode errors turned into an IPP
``client-error-bad-request`` (or HTTP 400 when not even the 8-byte header is there), and a
last-resort ``server-error-internal-error`` so a bug never becomes a bare HTTP 500.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from aiohttp import web

from emulator.ipp.codec import IppDecodeError, Message, decode, encode
from emulator.ipp.operations import BAD_REQUEST, INTERNAL_ERROR, Context, build_response, respond

log = logging.getLogger(__name__)

Lookup = Callable[[str], Any]
LOOKUP_KEY = web.AppKey("ipp_lookup", object)
EWS_PORT_KEY = web.AppKey("ipp_ews_port", int)
MAX_BODY = 64 * 1024 * 1024 + 65536  # one document (64 MiB) plus its attributes

_HOST = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$")


def create_ipp_app(
    lookup: Lookup, *, ews_port: int = 8080, max_body: int = MAX_BODY
) -> web.Application:
    """An aiohttp application answering IPP POSTs at ``/ipp/print`` and ``/``.

    ``lookup(local_address)`` returns the device (``.state``, ``.engine``, ``.clock``) served
    on that address, or None (HTTP 404).
    """
    app = web.Application(client_max_size=max_body)
    app[LOOKUP_KEY] = lookup
    app[EWS_PORT_KEY] = ews_port
    app.router.add_post("/ipp/print", _handle)
    app.router.add_post("/ipp/print/{job_id:[0-9]+}", _handle)
    app.router.add_post("/", _handle)
    return app


def _local(request: web.Request) -> tuple[str, int]:
    transport = request.transport
    sock = transport.get_extra_info("sockname") if transport is not None else None
    if not sock:
        return "127.0.0.1", 0
    return sock[0], sock[1]


def _uris(request: web.Request, local: tuple[str, int], ews_port: int) -> tuple[str, str]:
    """printer-uri as the client addressed us (Host header), and the EWS URL on that host."""
    host = request.headers.get("Host", "")
    if not _HOST.match(host):
        addr = f"[{local[0]}]" if ":" in local[0] else local[0]
        host = f"{addr}:{local[1]}"
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return f"ipp://{host}/ipp/print", f"http://{name}:{ews_port}/"


def _ipp(message: Message) -> web.Response:
    return web.Response(body=encode(message), content_type="application/ipp")


async def _handle(request: web.Request) -> web.StreamResponse:
    local = _local(request)
    device = request.app[LOOKUP_KEY](local[0])
    if device is None:
        return web.Response(status=404, text=f"no printer at {local[0]}\n")
    if not device.state.status.powered:
        return web.Response(status=503, text="printer is powered off\n")
    if request.content_type != "application/ipp":
        return web.Response(status=400, text="Content-Type must be application/ipp\n")
    body = await request.read()
    try:
        msg = decode(body)
    except IppDecodeError as exc:
        if len(body) < 8:
            return web.Response(status=400, text=f"{exc}\n")
        version = (body[0], body[1]) if body[0] in (1, 2) else (2, 0)
        request_id = int.from_bytes(body[4:8], "big", signed=True)
        return _ipp(build_response(version, request_id, BAD_REQUEST, str(exc), [], []))
    printer_uri, more_info = _uris(request, local, request.app[EWS_PORT_KEY])
    try:
        response = respond(msg, Context(device, printer_uri, more_info))
        return _ipp(response)
    except Exception:  # a bug: answer in IPP, log it, keep serving
        log.exception("IPP operation 0x%04x failed on %s", msg.code, local[0])
        version = msg.version if msg.version[0] in (1, 2) else (2, 0)
        return _ipp(
            build_response(version, msg.request_id, INTERNAL_ERROR, "internal error", [], [])
        )
