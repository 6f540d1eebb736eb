"""The embedded web server as an aiohttp application: thin handlers over :mod:`pages`.

One application (and one listener per port) serves any number of printers: the local
address a connection arrived on names the device (``lookup(local_host)``), as DESIGN.md §6
asks. Handlers only read the request, call the pure page functions, and render HTML
(jinja2, autoescaped) or JSON.

Routes (see docs/ews.md):

* ``/`` and ``/status``, ``/info``: public; ``/config`` and ``/config/<page>``: admin only.
* ``/login`` (GET form, POST), ``/logout`` (POST, with the CSRF token).
* ``/api/status``, ``/api/info``: public JSON; ``/api/pages``, ``/api/config/<page>``
  (GET, POST) and ``/api/state``: admin only, by HTTP Basic or by session cookie plus the
  ``X-CSRF-Token`` header on POST; ``/api/login``, ``/api/logout``, ``/api/session``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import jinja2
from aiohttp import web
from multidict import MultiDictProxy

from printbench.common import httplog
from printbench.common.clock import Clock
from printbench.emulator import firmware
from printbench.emulator.ews import pages
from printbench.emulator.ews import software as ews_software
from printbench.emulator.ews.auth import (
    COOKIE_NAME,
    CSRF_FIELD,
    CSRF_HEADER,
    Session,
    SessionStore,
    check_credentials,
    csrf_ok,
    parse_basic,
)
from printbench.emulator.ews.fields import time_zones
from printbench.emulator.state import PrinterState

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
#: Largest request body accepted (forms are a few kilobytes); bigger gets 413.
MAX_BODY = 64 * 1024
#: Largest firmware image ``POST /api/firmware`` takes (streamed to disk, never in memory).
MAX_FIRMWARE = 256 * 1024 * 1024
#: Most form fields in one post (a page has at most a dozen).
MAX_FORM_FIELDS = 200


class Device(Protocol):
    """What the EWS needs from a virtual printer."""

    state: PrinterState
    clock: Clock
    engine: Any


Lookup = Callable[[str], "Device | None"]

LOOKUP_KEY = web.AppKey("ews_lookup", object)
SESSIONS_KEY = web.AppKey("ews_sessions", SessionStore)
JINJA_KEY = web.AppKey("ews_jinja", jinja2.Environment)
CSS_KEY = web.AppKey("ews_css", bytes)
ICON_KEY = web.AppKey("ews_icon", bytes)
DEVICE_RKEY = web.RequestKey("ews_device", object)
HOST_RKEY = web.RequestKey("ews_host", str)
SESSION_RKEY = web.RequestKey("ews_session", object)

_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
_SAFE_NEXT = re.compile(r"^/[A-Za-z0-9/_.-]{0,100}$")


class Reject(Exception):
    """A request refused before validation: a status code and a message for the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# ---------------------------------------------------------------------------------------------
# Application
# ---------------------------------------------------------------------------------------------


def create_ews_app(lookup: Lookup, *, sessions: SessionStore | None = None) -> web.Application:
    """The EWS application for every printer ``lookup`` knows by its local address."""
    httplog.install()
    app = web.Application(
        client_max_size=MAX_BODY, middlewares=[_errors_middleware, _device_middleware]
    )
    app[LOOKUP_KEY] = lookup
    app[SESSIONS_KEY] = sessions or SessionStore()
    app[JINJA_KEY] = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    app[CSS_KEY] = (HERE / "static" / "ews.css").read_bytes()
    app[ICON_KEY] = (HERE / "static" / "icon.svg").read_bytes()
    app.on_response_prepare.append(_security_headers)
    r = app.router
    r.add_get("/", status_page)
    r.add_get("/status", status_page)
    r.add_get("/info", info_page)
    r.add_get("/config", config_index)
    r.add_get("/config/{slug}", config_get)
    r.add_post("/config/{slug}", config_post)
    r.add_get("/login", login_get)
    r.add_post("/login", login_post)
    r.add_post("/logout", logout_post)
    r.add_get("/static/ews.css", css)
    r.add_get("/static/icon.svg", icon)
    r.add_get("/favicon.ico", icon)
    r.add_get("/api/status", api_status)
    r.add_get("/api/info", api_info)
    r.add_get("/api/pages", api_pages)
    r.add_get("/api/config/{slug}", api_config_get)
    r.add_post("/api/config/{slug}", api_config_post)
    r.add_get("/api/state", api_state)
    r.add_post("/api/firmware", api_firmware_post)
    r.add_post("/api/login", api_login)
    r.add_post("/api/logout", api_logout)
    r.add_get("/api/session", api_session)
    ews_software.add_routes(r)  # /software, /api/software (issue 15)
    return app


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn refusals into their status and anything unexpected into a logged 500 (no traceback
    reaches the client)."""
    try:
        return await handler(request)
    except Reject as exc:
        return _refusal(request, exc.status, exc.message)
    except web.HTTPException:
        raise
    except Exception as exc:
        if httplog.is_peer_error(exc):  # a client gone mid-body, a body that does not decode
            log.info("EWS: %s %s: %s", request.method, request.path_qs[:200], httplog.one_line(exc))
            return web.Response(status=400, text="request could not be read\n")
        log.exception("EWS: unexpected error on %s %s", request.method, request.path_qs[:200])
        return web.Response(status=500, text="internal error\n")


@web.middleware
async def _device_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    host = str(sockname[0]) if sockname else ""
    device = request.app[LOOKUP_KEY](host) if host else None  # type: ignore[operator]
    if device is None:
        raise Reject(404, f"no printer at {host or 'this address'}")
    if not device.state.status.powered:
        raise Reject(503, "the printer is powered off")
    request[DEVICE_RKEY] = device
    request[HOST_RKEY] = host
    return await handler(request)


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.setdefault("Content-Security-Policy", _CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if not request.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")


def _refusal(request: web.Request, status: int, message: str) -> web.Response:
    if request.path.startswith("/api/"):
        headers = {}
        if status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="printer administration", charset="UTF-8"'
        return web.json_response({"error": message}, status=status, headers=headers)
    device = request.get(DEVICE_RKEY)
    if device is None or request.app.get(JINJA_KEY) is None:
        return web.Response(status=status, text=message + "\n")
    return _render(request, "error.html", {"status": status, "message": message}, status=status)


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _device(request: web.Request) -> Device:
    return request[DEVICE_RKEY]  # type: ignore[return-value]


def _session(request: web.Request) -> Session | None:
    if SESSION_RKEY not in request:
        device = _device(request)
        request[SESSION_RKEY] = request.app[SESSIONS_KEY].find(
            request.cookies.get(COOKIE_NAME),
            request[HOST_RKEY],
            device.state,
            device.clock.monotonic(),
        )
    return request[SESSION_RKEY]  # type: ignore[return-value]


def _render(
    request: web.Request, template: str, context: dict[str, Any], status: int = 200
) -> web.Response:
    device = _device(request)
    state = device.state
    session = _session(request)
    base = {
        "printer": {
            "name": state.description.name,
            "make_and_model": state.description.make_and_model
            or f"{state.identity.manufacturer} {state.identity.model}",
            "location": state.description.location,
            "state": state.status.state,
        },
        "logged_in": session is not None,
        "username": session.username if session else "",
        "csrf": session.csrf if session else "",
        "csrf_field": CSRF_FIELD,
        "menu": [(p.slug, p.title, p.group) for p in pages.config_pages(state).values()],
        "path": request.path,
    }
    base.update(context)
    html = request.app[JINJA_KEY].get_template(template).render(base)
    return web.Response(text=html, content_type="text/html", charset="utf-8", status=status)


def _safe_next(value: str | None) -> str:
    if value and _SAFE_NEXT.match(value) and not value.startswith("//"):
        return value
    return "/config"


def _page(request: web.Request) -> pages.ConfigPage:
    page = pages.config_pages(_device(request).state).get(request.match_info["slug"])
    if page is None:
        raise Reject(404, f"no configuration page {request.match_info['slug'][:60]!r}")
    return page


async def _read_form(request: web.Request) -> dict[str, list[str]]:
    """A browser post as {name: [values]}; malformed bodies are refused with 400/415."""
    ctype = request.content_type
    if ctype not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise Reject(
            415, f"a form must be posted as application/x-www-form-urlencoded, not {ctype[:60]!r}"
        )
    try:
        data: MultiDictProxy[Any] = await request.post()
    except web.HTTPException:
        raise
    except Exception as exc:  # malformed bodies raise many types deep in the parsers
        raise Reject(400, f"the form body could not be read ({type(exc).__name__})") from None
    if len(data) > MAX_FORM_FIELDS:
        raise Reject(400, f"too many form fields ({len(data)}; at most {MAX_FORM_FIELDS})")
    form: dict[str, list[str]] = {}
    for name, value in data.items():
        if not isinstance(value, str):
            raise Reject(400, f"form field {name[:60]!r} is a file upload; only text is accepted")
        form.setdefault(name, []).append(value)
    return form


async def _read_json(request: web.Request) -> Any:
    if request.content_type != "application/json":
        raise Reject(
            415, f"post JSON with Content-Type application/json, not {request.content_type[:60]!r}"
        )
    body = await request.read()
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise Reject(400, f"the body is not valid UTF-8 JSON: {str(exc)[:120]}") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


# ---------------------------------------------------------------------------------------------
# HTML pages
# ---------------------------------------------------------------------------------------------


async def css(request: web.Request) -> web.Response:
    return web.Response(body=request.app[CSS_KEY], content_type="text/css", charset="utf-8")


async def icon(request: web.Request) -> web.Response:
    return web.Response(body=request.app[ICON_KEY], content_type="image/svg+xml")


async def status_page(request: web.Request) -> web.Response:
    device = _device(request)
    model = pages.status_model(device.state, device.clock.monotonic())
    return _render(request, "status.html", {"s": model, "title": "Status"})


async def info_page(request: web.Request) -> web.Response:
    device = _device(request)
    model = pages.info_model(device.state, device.clock.monotonic())
    return _render(request, "info.html", {"i": model, "title": "Device information"})


def _login_redirect(request: web.Request) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"/login?next={quote(_safe_next(request.path))}")


async def config_index(request: web.Request) -> web.Response:
    if _session(request) is None:
        raise _login_redirect(request)
    all_pages = list(pages.config_pages(_device(request).state).values())
    return _render(request, "config_index.html", {"pages": all_pages, "title": "Configuration"})


def _form_context(
    page: pages.ConfigPage, shown: dict[str, Any], errors: dict[str, str], saved: bool
) -> dict[str, Any]:
    return {
        "page": page,
        "values": shown,
        "errors": errors,
        "form_error": errors.get(pages.FORM_ERROR, ""),
        "saved": saved,
        "title": page.title,
        "time_zones": time_zones(),
    }


async def config_get(request: web.Request) -> web.Response:
    if _session(request) is None:
        raise _login_redirect(request)
    page = _page(request)
    shown = _display_values(pages.page_values(_device(request).state, page))
    saved = request.query.get("saved") == "1"
    return _render(request, "config.html", _form_context(page, shown, {}, saved))


def _display_values(values: dict[str, Any]) -> dict[str, Any]:
    """Values as the form shows them: lists one entry a line, secrets blank."""
    out: dict[str, Any] = {}
    for path, value in values.items():
        if value is None:
            out[path] = ""
        elif isinstance(value, list):
            out[path] = value
        else:
            out[path] = value
    return out


async def config_post(request: web.Request) -> web.Response:
    session = _session(request)
    if session is None:
        raise Reject(403, "log in as the administrator to change settings")
    page = _page(request)
    form = await _read_form(request)
    token = form.pop(CSRF_FIELD, [])
    if len(token) != 1 or not csrf_ok(session, token[0]):
        raise Reject(
            403, "the form's security token is missing or wrong; reload the page and try again"
        )
    state = _device(request).state
    changes, errors = pages.parse_form(state, page, form)
    if errors:
        shown = _display_values(pages.page_values(state, page))
        for f in page.fields:
            raw = form.get(f.path)
            if f.secret:
                continue
            if f.kind == "bool":
                shown[f.path] = bool(raw)
            elif f.kind == "multichoice":
                shown[f.path] = list(raw or [])
            elif raw:
                shown[f.path] = raw[0]
        return _render(
            request, "config.html", _form_context(page, shown, errors, False), status=400
        )
    pages.apply_changes(state, changes)
    log.info("EWS %s: %s changed %s", request[HOST_RKEY], page.slug, [p for p, _ in changes])
    raise web.HTTPSeeOther(f"/config/{page.slug}?saved=1")


async def login_get(request: web.Request) -> web.Response:
    nxt = _safe_next(request.query.get("next"))
    return _render(request, "login.html", {"next": nxt, "error": "", "title": "Log in"})


async def login_post(request: web.Request) -> web.Response:
    form = await _read_form(request)
    username = (form.get("username") or [""])[0]
    password = (form.get("password") or [""])[0]
    nxt = _safe_next((form.get("next") or [""])[0])
    device = _device(request)
    if not check_credentials(device.state, username, password):
        context = {"next": nxt, "error": "Wrong user name or password.", "title": "Log in"}
        return _render(request, "login.html", context, status=401)
    session = request.app[SESSIONS_KEY].open(
        request[HOST_RKEY], device.state, device.clock.monotonic()
    )
    response = web.HTTPSeeOther(nxt)
    _set_cookie(response, session.token)
    raise response


def _set_cookie(response: web.StreamResponse, token: str) -> None:
    response.set_cookie(COOKIE_NAME, token, httponly=True, samesite="Strict", path="/")


async def logout_post(request: web.Request) -> web.Response:
    session = _session(request)
    if session is None:
        raise web.HTTPSeeOther("/")
    form = await _read_form(request)
    token = form.get(CSRF_FIELD, [])
    if len(token) != 1 or not csrf_ok(session, token[0]):
        raise Reject(403, "the form's security token is missing or wrong")
    request.app[SESSIONS_KEY].close(session.token)
    response = web.HTTPSeeOther("/")
    response.del_cookie(COOKIE_NAME, path="/")
    raise response


# ---------------------------------------------------------------------------------------------
# JSON twin
# ---------------------------------------------------------------------------------------------


def _api_auth(request: web.Request, *, write: bool) -> None:
    """Admin by HTTP Basic (no CSRF: a browser cannot post JSON cross-site without CORS), or
    by session cookie with the session's CSRF token in ``X-CSRF-Token`` on writes."""
    state = _device(request).state
    header = request.headers.get("Authorization")
    if header is not None:
        creds = parse_basic(header)
        if creds is None or not check_credentials(state, *creds):
            raise Reject(401, "wrong user name or password (HTTP Basic, the EWS admin account)")
        return
    session = _session(request)
    if session is None:
        raise Reject(401, "log in: HTTP Basic with the admin account, or a session cookie")
    if write and not csrf_ok(session, request.headers.get(CSRF_HEADER)):
        raise Reject(403, f"the {CSRF_HEADER} header is missing or wrong")


async def api_status(request: web.Request) -> web.Response:
    device = _device(request)
    return web.json_response(pages.status_model(device.state, device.clock.monotonic()))


async def api_info(request: web.Request) -> web.Response:
    device = _device(request)
    return web.json_response(pages.info_model(device.state, device.clock.monotonic()))


async def api_pages(request: web.Request) -> web.Response:
    _api_auth(request, write=False)
    all_pages = pages.config_pages(_device(request).state).values()
    return web.json_response({"pages": [p.describe() for p in all_pages]})


async def api_config_get(request: web.Request) -> web.Response:
    _api_auth(request, write=False)
    page = _page(request)
    return web.json_response(pages.page_values(_device(request).state, page))


async def api_config_post(request: web.Request) -> web.Response:
    _api_auth(request, write=True)
    page = _page(request)
    body = await _read_json(request)
    state = _device(request).state
    changes, errors = pages.parse_json(state, page, body)
    if errors:
        return web.json_response({"errors": errors}, status=400)
    pages.apply_changes(state, changes)
    return web.json_response(
        {"changed": [p for p, _ in changes], "values": pages.page_values(state, page)}
    )


async def _receive_firmware(request: web.Request) -> Path:
    """The request body in a new temporary file, size-capped while it streams in.

    Read from ``request.content`` (not ``read()``, whose 64 KiB form cap would refuse any
    image); the file is removed when anything fails.
    """
    if request.content_length is not None and request.content_length > MAX_FIRMWARE:
        raise Reject(413, f"firmware images are limited to {MAX_FIRMWARE} bytes")
    fd, name = tempfile.mkstemp(prefix="ews-firmware-", suffix=".bin")
    path = Path(name)
    try:
        size = 0
        with os.fdopen(fd, "wb") as out:
            async for chunk in request.content.iter_chunked(64 * 1024):
                size += len(chunk)
                if size > MAX_FIRMWARE:
                    raise Reject(413, f"firmware images are limited to {MAX_FIRMWARE} bytes")
                out.write(chunk)
        if request.content_length is not None and size != request.content_length:
            raise Reject(400, f"the image ended after {size} of {request.content_length} bytes")
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


async def api_firmware_post(request: web.Request) -> web.Response:
    """Install a firmware image (``application/octet-stream``): check it whole, answer 202,
    then flash it and reboot, as a printer's firmware upgrade page does.

    An image that is corrupt, truncated or for another model changes nothing (422).
    """
    _api_auth(request, write=True)
    device = _device(request)
    state = device.state
    if not state.admin.firmware_upload:
        raise Reject(404, "this printer's EWS takes no firmware images")
    # Only application/octet-stream: no HTML form can send it and a cross-site fetch() of it
    # needs a CORS preflight this EWS never grants, so HTTP Basic without a CSRF token (the
    # API's rule for JSON) stays safe here too.
    if request.content_type != "application/octet-stream":
        raise Reject(415, "post the image as application/octet-stream")
    path = await _receive_firmware(request)
    try:
        version = await asyncio.to_thread(
            firmware.parse_firmware_file, path, state.identity.product_class
        )
    except firmware.FirmwareError as exc:
        reason = "corrupt" if exc.code == 9018 else "not-applicable"
        return web.json_response({"errors": {"_form": exc.message}, "reason": reason}, status=422)
    finally:
        path.unlink(missing_ok=True)

    def flash_and_reboot() -> None:
        state.set("identity.software_version", version)
        device.engine.reboot()

    # after the answer is on its way: the reboot must not cut the client's response
    asyncio.get_running_loop().call_later(0.05, flash_and_reboot)
    log.info("EWS: firmware %s accepted, rebooting", version)
    return web.json_response({"version": version, "rebooting": True}, status=202)


async def api_state(request: web.Request) -> web.Response:
    _api_auth(request, write=False)
    return web.json_response(pages.state_dump(_device(request).state))


async def api_login(request: web.Request) -> web.Response:
    body = await _read_json(request)
    if not isinstance(body, dict) or not all(
        isinstance(body.get(k), str) for k in ("username", "password")
    ):
        return web.json_response(
            {"errors": {"_form": 'post {"username": "...", "password": "..."}'}}, status=400
        )
    device = _device(request)
    if not check_credentials(device.state, body["username"], body["password"]):
        raise Reject(401, "wrong user name or password")
    session = request.app[SESSIONS_KEY].open(
        request[HOST_RKEY], device.state, device.clock.monotonic()
    )
    response = web.json_response({"csrf_token": session.csrf})
    _set_cookie(response, session.token)
    return response


async def api_logout(request: web.Request) -> web.Response:
    session = _session(request)
    if session is not None:
        if not csrf_ok(session, request.headers.get(CSRF_HEADER)):
            raise Reject(403, f"the {CSRF_HEADER} header is missing or wrong")
        request.app[SESSIONS_KEY].close(session.token)
    response = web.json_response({"logged_in": False})
    response.del_cookie(COOKIE_NAME, path="/")
    return response


async def api_session(request: web.Request) -> web.Response:
    session = _session(request)
    if session is None:
        return web.json_response({"logged_in": False})
    return web.json_response(
        {"logged_in": True, "username": session.username, "csrf_token": session.csrf}
    )
