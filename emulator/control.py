"""The control API: ground truth and fault injection for a virtual printer.

Tests, scenarios and operators read the whole state and act on the printer the way a person
standing next to it would (open a cover, refill toner, pull the plug) through this API, never
by reaching into private fields. :class:`PrinterControl` is the in-process API;
:func:`create_control_app` serves the same over HTTP/JSON for one printer or a fleet:

==========================================  ===================================================
``GET  /api/state``                         every scalar of the state, ``{path: value}``
``GET  /api/value/{path}``                  one value, ``{"path": ..., "value": ...}``
``PUT  /api/value/{path}``                  body ``{"value": ...}``: set it (type-checked)
``GET  /api/jobs``                          the job table
``POST /api/jobs``                          body: ``pages`` and an optional ticket; a new job
``DELETE /api/jobs/{id}``                   cancel a job
``POST /api/faults/{fault}/inject|clear``   body: the fault's parameters (``tray_index`` ...)
``POST /api/refill``                        body ``{"supply_index": n}`` (all if absent)
``POST /api/load-paper``                    body ``{"tray_index": n, "sheets": k}``
``POST /api/empty-output``                  body ``{"tray_index": n}``
``POST /api/reboot`` ``/api/factory-reset`` ``/api/pause`` ``/api/resume``
``POST /api/power/off`` ``/api/power/on``
``POST /api/finish``                        print every runnable job to the end now
``GET  /api/events?since=N&limit=M``        change events after sequence number N
==========================================  ===================================================

Every route also exists under ``/api/devices/{host}/...`` to pick a printer of a fleet by its
address; without it the printer is the one whose address the request arrived on. Errors are
JSON ``{"error": message}`` with 400 (malformed), 404 (no such thing) or 409 (the printer
refuses in its present state).
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from aiohttp import web

from printbench.common import httplog
from printbench.emulator import software
from printbench.emulator import state as st
from printbench.emulator.behaviour import FAULTS, EngineError, EngineInvalid, EngineNotFound
from printbench.emulator.tr069 import cpe_initiated

log = logging.getLogger(__name__)

Lookup = Callable[[str], Any]


class ControlError(Exception):
    """A control request failed; ``status`` is the HTTP status it maps to."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    return value


def job_summary(job: st.Job) -> dict[str, Any]:
    """A job as JSON."""
    return {name: _jsonable(getattr(job, name)) for name in job.__dataclass_fields__}


class PrinterControl:
    """In-process control of one device (anything with ``.state``, ``.engine``, ``.clock``)."""

    def __init__(self, device: Any, *, max_events: int = 2000) -> None:
        self.device = device
        self._events: deque[tuple[int, st.ChangeEvent]] = deque(maxlen=max_events)
        self._seq = 0
        self._unsubscribe = device.state.subscribe(self._record)

    def _record(self, event: st.ChangeEvent) -> None:
        self._seq += 1
        self._events.append((self._seq, event))

    def close(self) -> None:
        """Stop recording events."""
        self._unsubscribe()

    @property
    def state(self) -> st.PrinterState:
        return self.device.state

    @property
    def engine(self) -> Any:
        return self.device.engine

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except EngineNotFound as exc:
            raise ControlError(404, str(exc)) from None
        except EngineInvalid as exc:
            raise ControlError(400, str(exc)) from None
        except EngineError as exc:
            raise ControlError(409, str(exc)) from None
        except TypeError as exc:  # unexpected keyword arguments from a request body
            raise ControlError(400, str(exc)) from None

    # -- reading --------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Every scalar of the state as ``{dotted path: value}`` (tuples as lists)."""
        self.engine.tick()
        return {path: _jsonable(value) for path, value in self.state.walk()}

    def get(self, path: str) -> Any:
        self.engine.tick()
        try:
            value = self.state.get(path)
        except KeyError as exc:
            raise ControlError(404, exc.args[0] if exc.args else f"no {path!r}") from None
        if isinstance(value, (st.Node, list)):
            return {
                p[len(path) + 1 :]: v
                for p, v in self.snapshot().items()
                if p.startswith(path + ".")
            }
        return _jsonable(value)

    def set(self, path: str, value: Any) -> Any:
        """Set one value (lists become tuples where the state holds tuples), then re-evaluate."""
        self.engine.tick()
        try:
            current = self.state.get(path)
        except KeyError as exc:
            raise ControlError(404, exc.args[0] if exc.args else f"no {path!r}") from None
        if isinstance(current, tuple):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ControlError(400, f"{path!r} holds a list of strings, not {value!r}")
            value = tuple(value)
        elif isinstance(current, bool) != isinstance(value, bool):
            raise ControlError(
                400, f"{path!r} holds {type(current).__name__}, not {type(value).__name__}"
            )
        try:
            self.state.set(path, value)
        except KeyError as exc:
            raise ControlError(400, exc.args[0] if exc.args else str(exc)) from None
        except (TypeError, ValueError) as exc:  # ValueError: the state's ValueRejected
            raise ControlError(400, str(exc)) from None
        self.engine.evaluate()
        return _jsonable(self.state.get(path))

    def jobs(self) -> list[dict[str, Any]]:
        self.engine.tick()
        return [job_summary(j) for j in self.state.jobs]

    def events(self, since: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        """Change events with a sequence number above ``since`` (oldest first)."""
        out = [
            {"seq": seq, "path": e.path, "old": _jsonable(e.old), "new": _jsonable(e.new)}
            for seq, e in self._events
            if seq > since
        ]
        return out[:limit] if limit is not None else out

    @property
    def last_event(self) -> int:
        return self._seq

    # -- acting ---------------------------------------------------------------------------

    def submit_job(self, *, pages: int, **ticket: Any) -> dict[str, Any]:
        return job_summary(self._call(self.engine.submit_job, pages=pages, **ticket))

    def cancel_job(self, job_id: int) -> dict[str, Any]:
        return job_summary(self._call(self.engine.cancel_job, job_id))

    def inject(self, fault: str, **params: Any) -> None:
        self._call(self.engine.inject, fault, **params)

    def clear(self, fault: str, **params: Any) -> None:
        self._call(self.engine.clear, fault, **params)

    def refill(self, supply_index: int | None = None) -> None:
        self._call(self.engine.refill, supply_index)

    def load_paper(self, tray_index: int | None = None, sheets: int | None = None) -> None:
        self._call(self.engine.load_paper, tray_index, sheets)

    def empty_output(self, tray_index: int | None = None) -> None:
        self._call(self.engine.empty_output, tray_index)

    def reboot(self) -> None:
        self._call(self.engine.reboot)

    def factory_reset(self) -> None:
        self._call(self.engine.factory_reset)

    def power_off(self) -> None:
        self._call(self.engine.power_off)

    def power_on(self) -> None:
        self._call(self.engine.power_on)

    def pause(self) -> None:
        self._call(self.engine.pause)

    def resume(self) -> None:
        self._call(self.engine.resume)

    def finish(self) -> None:
        self._call(self.engine.finish_all)

    # -- software modules (issue 15): local changes, reported as AutonomousDUStateChange... --
    def software(self) -> dict[str, Any]:
        return software.summary(self.state)

    def install_module(self, data: bytes) -> dict[str, Any]:
        """Install a DU file at the printer; the outcome (a fault is 422 over HTTP)."""
        return software.install_local(self.state, self.device.clock, data).to_json()

    def uninstall_module(self, uuid: str) -> dict[str, Any]:
        return software.uninstall_local(self.state, self.device.clock, uuid).to_json()


# ---------------------------------------------------------------------------------------------
# HTTP/JSON
# ---------------------------------------------------------------------------------------------

# Subscripted, not AppKey(name, type): a Callable alias or dict[...] is no class to pass.
LOOKUP_KEY = web.AppKey[Lookup]("control_lookup")
CONTROLS_KEY = web.AppKey[dict[int, PrinterControl]]("control_cache")
MAX_BODY = 64 * 1024


def control_for(device: Any, cache: dict[int, PrinterControl] | None = None) -> PrinterControl:
    """The device's own ``control`` if it has one, else one kept in ``cache``."""
    existing = getattr(device, "control", None)
    if isinstance(existing, PrinterControl):
        return existing
    if cache is None:
        return PrinterControl(device)
    key = id(device)
    if key not in cache or cache[key].device is not device:
        cache[key] = PrinterControl(device)
    return cache[key]


def _local_host(request: web.Request) -> str:
    sock = request.transport.get_extra_info("sockname") if request.transport else None
    return sock[0] if sock else ""


def _control(request: web.Request) -> PrinterControl:
    host = request.match_info.get("host") or _local_host(request)
    device = request.app[LOOKUP_KEY](host)
    if device is None:
        raise ControlError(404, f"no printer at {host}")
    return control_for(device, request.app[CONTROLS_KEY])


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ControlError(400, f"request body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ControlError(400, "request body must be a JSON object")
    return data


def _int_param(data: dict[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ControlError(400, f"{key} must be an integer, got {value!r}")
    return value


def _only(data: dict[str, Any], allowed: set[str]) -> None:
    extra = set(data) - allowed
    if extra:
        raise ControlError(
            400,
            f"unknown key(s) {', '.join(sorted(extra))} (expected {', '.join(sorted(allowed)) or 'none'})",
        )


def _ok(**extra: Any) -> web.Response:
    return web.json_response({"ok": True, **extra})


async def _state(request: web.Request) -> web.Response:
    return web.json_response(_control(request).snapshot())


async def _get_value(request: web.Request) -> web.Response:
    path = request.match_info["path"]
    return web.json_response({"path": path, "value": _control(request).get(path)})


async def _put_value(request: web.Request) -> web.Response:
    path = request.match_info["path"]
    data = await _body(request)
    if "value" not in data:
        raise ControlError(400, 'body must be {"value": ...}')
    _only(data, {"value"})
    return web.json_response({"path": path, "value": _control(request).set(path, data["value"])})


async def _jobs(request: web.Request) -> web.Response:
    return web.json_response(_control(request).jobs())


async def _post_job(request: web.Request) -> web.Response:
    data = await _body(request)
    pages = _int_param(data, "pages")
    if pages is None:
        raise ControlError(400, "pages is required")
    ticket = {k: v for k, v in data.items() if k != "pages"}
    job = _control(request).submit_job(pages=pages, **ticket)
    return web.json_response(job, status=201)


async def _cancel_job(request: web.Request) -> web.Response:
    return web.json_response(_control(request).cancel_job(int(request.match_info["job_id"])))


async def _fault(request: web.Request) -> web.Response:
    fault, action = request.match_info["fault"], request.match_info["action"]
    if fault not in FAULTS:
        raise ControlError(404, f"unknown fault {fault!r} (faults: {', '.join(FAULTS)})")
    data = await _body(request)
    control = _control(request)
    (control.inject if action == "inject" else control.clear)(fault, **data)
    return _ok(fault=fault, action=action, state=control.state.status.state)


async def _refill(request: web.Request) -> web.Response:
    data = await _body(request)
    _only(data, {"supply_index"})
    _control(request).refill(_int_param(data, "supply_index"))
    return _ok()


async def _load_paper(request: web.Request) -> web.Response:
    data = await _body(request)
    _only(data, {"tray_index", "sheets"})
    _control(request).load_paper(_int_param(data, "tray_index"), _int_param(data, "sheets"))
    return _ok()


async def _empty_output(request: web.Request) -> web.Response:
    data = await _body(request)
    _only(data, {"tray_index"})
    _control(request).empty_output(_int_param(data, "tray_index"))
    return _ok()


def _simple(method: str) -> Callable[[web.Request], Any]:
    async def handler(request: web.Request) -> web.Response:
        _only(await _body(request), set())
        control = _control(request)
        getattr(control, method)()
        return _ok(state=control.state.status.state)

    return handler


async def _events(request: web.Request) -> web.Response:
    try:
        since = int(request.query.get("since", "0"))
        limit = int(request.query["limit"]) if "limit" in request.query else None
    except ValueError:
        raise ControlError(400, "since and limit must be integers") from None
    control = _control(request)
    return web.json_response({"last": control.last_event, "events": control.events(since, limit)})


@web.middleware
async def _errors(
    request: web.Request, handler: Callable[[web.Request], Any]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except ControlError as exc:
        return web.json_response({"error": exc.message}, status=exc.status)
    except web.HTTPException as exc:
        if exc.status >= 400:
            return web.json_response({"error": exc.reason}, status=exc.status)
        raise
    except Exception as exc:
        if httplog.is_peer_error(exc):  # the client went away or sent a broken body
            log.info("control request %s %s: %s", request.method, request.path,
                     httplog.one_line(exc))  # fmt: skip
            return web.json_response({"error": "request could not be read"}, status=400)
        log.exception("control request %s %s failed", request.method, request.path)
        return web.json_response({"error": "internal error (see the printer's log)"}, status=500)


def _tr069_action(fn: Callable[[Any, dict[str, Any]], dict[str, Any]]) -> Callable[..., Any]:
    """A control request handled by ``emulator.tr069.cpe_initiated`` (issue 15 item 4)."""

    async def handler(request: web.Request) -> web.Response:
        data = await _body(request)
        try:
            return _ok(**fn(_control(request).device, data))
        except cpe_initiated.ActionError as exc:
            raise ControlError(exc.status, str(exc)) from None

    return handler


def create_control_app(lookup: Lookup) -> web.Application:
    """The HTTP/JSON control API for every printer ``lookup(host)`` knows."""
    httplog.install()
    app = web.Application(middlewares=[_errors], client_max_size=MAX_BODY)
    app[LOOKUP_KEY] = lookup
    app[CONTROLS_KEY] = {}
    for prefix in ("/api", "/api/devices/{host}"):
        r = app.router
        r.add_get(f"{prefix}/state", _state)
        r.add_get(prefix + "/value/{path}", _get_value)
        r.add_put(prefix + "/value/{path}", _put_value)
        r.add_get(f"{prefix}/jobs", _jobs)
        r.add_post(f"{prefix}/jobs", _post_job)
        r.add_delete(prefix + "/jobs/{job_id:[0-9]+}", _cancel_job)
        r.add_post(prefix + "/faults/{fault}/{action:inject|clear}", _fault)
        r.add_post(f"{prefix}/refill", _refill)
        r.add_post(f"{prefix}/load-paper", _load_paper)
        r.add_post(f"{prefix}/empty-output", _empty_output)
        r.add_post(f"{prefix}/reboot", _simple("reboot"))
        r.add_post(f"{prefix}/factory-reset", _simple("factory_reset"))
        r.add_post(f"{prefix}/power/off", _simple("power_off"))
        r.add_post(f"{prefix}/power/on", _simple("power_on"))
        r.add_post(f"{prefix}/pause", _simple("pause"))
        r.add_post(f"{prefix}/resume", _simple("resume"))
        r.add_post(f"{prefix}/finish", _simple("finish"))
        r.add_get(f"{prefix}/events", _events)
        r.add_get(f"{prefix}/software", _software)
        r.add_post(f"{prefix}/software", _software_install)
        r.add_delete(prefix + "/software/{uuid}", _software_uninstall)
        r.add_post(f"{prefix}/tr069/request-download", _tr069_action(cpe_initiated.request_download))
        r.add_post(f"{prefix}/tr069/firmware-update", _tr069_action(cpe_initiated.firmware_update))
        r.add_post(f"{prefix}/tr069/confirm-download", _tr069_action(cpe_initiated.confirm_download))
    return app


async def _software(request: web.Request) -> web.Response:
    return web.json_response(_control(request).software())


async def _software_install(request: web.Request) -> web.Response:
    """A DU file as the body (up to MAX_BODY: the control API's bound; larger modules go
    through the EWS, ``POST /api/software``)."""
    out = _control(request).install_module(await request.read())
    return web.json_response(out, status=422 if out["fault_code"] else 201)


async def _software_uninstall(request: web.Request) -> web.Response:
    out = _control(request).uninstall_module(request.match_info["uuid"])
    return web.json_response(out, status=422 if out["fault_code"] else 200)
