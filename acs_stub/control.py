"""The stub ACS's control API: the same operations in-process (async Python) and as HTTP/JSON.

Why both: the built-in conformance run drives the ACS in the same event loop (no HTTP, typed
messages), while a plugfest run or a human with curl drives a standalone ``printbench acs``.
The HTTP layer is a thin translation of :class:`AcsControl` methods; RPC arguments in JSON
use the message dataclasses' field names (``{"method": "GetParameterValues",
"args": {"parameter_names": ["Device.DeviceInfo."]}}``), converted by ``message_from_json``.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from printbench.acs_stub.files import FileStoreError, ServedFile, UploadedFile
from printbench.acs_stub.journal import JournalEntry, render_session_html
from printbench.acs_stub.registry import Credentials, Device
from printbench.acs_stub.rpc_queue import QueuedRpc, RpcFault
from printbench.acs_stub.server import AcsConfig, AcsServer
from printbench.acs_stub.verdicts import RULES, Violation
from printbench.common import httplog
from printbench.common.clock import Clock
from printbench.common.httpio import BodyTooLarge, discard_response
from printbench.cwmp import messages as m


class ControlError(ValueError):
    """A control request the ACS cannot carry out (unknown device, bad arguments, ...)."""


class ConnectionRequestError(ControlError):
    """The CPE did not accept the Connection Request (unreachable, refused, bad auth)."""


# --- JSON <-> message ----------------------------------------------------------------------


def _convert(meta: Mapping[str, Any], value: Any, where: str) -> Any:
    kind = meta.get("kind")
    cls = meta.get("cls")
    if kind in (m.ARRAY, m.REPEAT):
        if not isinstance(value, list | tuple):
            raise ControlError(f"{where}: expected a list, got {type(value).__name__}")
        if cls is None:
            return tuple(str(v) for v in value)
        return tuple(_struct(cls, v, f"{where}[{i}]") for i, v in enumerate(value))
    if kind == m.STRUCT:
        if cls is None:
            raise ControlError(f"{where}: no struct type to build")
        return _struct(cls, value, where)
    if kind == m.INT:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ControlError(f"{where}: expected an integer")
        try:
            return int(value)
        except ValueError:
            raise ControlError(f"{where}: {value!r} is not an integer") from None
    if kind == m.BOOL:
        if isinstance(value, str):
            return value.lower() in ("1", "true")
        return bool(value)
    if kind == m.DATETIME:
        try:
            return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise ControlError(f"{where}: {value!r} is not an ISO 8601 dateTime") from None
    if kind == m.OPERATION:
        return _operations(value, where)
    return value if value is None else str(value)


#: ChangeDUState operation names in JSON: the xsi:type or the operation's name.
_OPERATION_NAMES = {
    **{name: cls for name, cls in m.OPERATION_TYPES.items()},
    **{name[: -len("OpStruct")]: cls for name, cls in m.OPERATION_TYPES.items()},
}


def _operations(value: Any, where: str) -> tuple[m.OperationStruct, ...]:
    """ChangeDUState Operations from JSON: ``[{"type": "Install", "url": ...}, ...]``
    (``type`` is Install/Update/Uninstall or the xsi:type InstallOpStruct, ...)."""
    if not isinstance(value, list | tuple):
        raise ControlError(f"{where}: expected a list of operations")
    out = []
    for i, op in enumerate(value):
        if not isinstance(op, Mapping):
            raise ControlError(f"{where}[{i}]: expected an object with a type")
        kind = str(op.get("type", ""))
        cls = _OPERATION_NAMES.get(kind)
        if cls is None:
            raise ControlError(
                f"{where}[{i}].type: expected one of {', '.join(_OPERATION_NAMES)}, got {kind!r}"
            )
        out.append(_struct(cls, {k: v for k, v in op.items() if k != "type"}, f"{where}[{i}]"))
    return tuple(out)


def _struct(cls: type, data: Any, where: str) -> Any:
    if not isinstance(data, Mapping):
        raise ControlError(f"{where}: expected an object for {cls.__name__}")
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(data) - set(known)
    if unknown:
        raise ControlError(f"{where}: {cls.__name__} has no field {sorted(unknown)[0]!r}")
    kwargs = {}
    for name, value in data.items():
        meta = known[name].metadata
        kwargs[name] = _convert(meta, value, f"{where}.{name}") if meta else value
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ControlError(f"{where}: {exc}") from None


def message_from_json(method: str, args: Mapping[str, Any] | None) -> m.Message:
    """Build a CPE RPC (ACS→CPE request) from its method name and JSON arguments."""
    cls = next((c for c in m.CPE_METHODS if method == c.METHOD), None)
    if cls is None:
        raise ControlError(
            f"unknown CPE method {method!r}; one of {', '.join(c.METHOD for c in m.CPE_METHODS)}"
        )
    return _struct(cls, dict(args or {}), method)


def to_json(value: Any) -> Any:
    """JSON-friendly form of a message, struct, violation or plain value."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, m.Message):
            out = {"method": value.METHOD, **out}
        return out
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, datetime):
        return value.isoformat()
    return value


# --- the in-process API -----------------------------------------------------------------------


class AcsControl:
    """Everything a scenario does to the stub ACS."""

    def __init__(self, server: AcsServer) -> None:
        self.server = server
        self.stun: Any = None  # acs_stub.stun_server.StunServer once start_stun() ran

    @classmethod
    async def start(cls, config: AcsConfig | None = None, *, clock: Clock | None = None):
        """A running stub ACS with its control API on ``server.control_url``."""
        server = AcsServer(config, clock=clock)
        control = cls(server)
        await server.start(control.http_app())
        return control

    async def stop(self) -> None:
        if self.stun is not None:
            await self.stun.stop()
        await self.server.stop()

    async def start_stun(self, host: str = "127.0.0.1", port: int = 3478, **kw: Any) -> Any:
        """Start the STUN server role (TR-069 Annex G; ``acs_stub.stun_server``)."""
        from printbench.acs_stub.stun_server import StunServer
        from printbench.acs_stub.udp_connreq import journal_bindings

        kw.setdefault("on_binding", journal_bindings(self))
        self.stun = StunServer(host, port, **kw)
        await self.stun.start()
        return self.stun

    async def __aenter__(self) -> AcsControl:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # devices ------------------------------------------------------------------------------------
    def devices(self) -> list[Device]:
        return list(self.server.registry)

    def device(self, device_id: str) -> Device:
        device = self.server.registry.get(device_id)
        if device is None:
            raise ControlError(f"unknown device {device_id!r}")
        return device

    def _device_or_new(self, device_id: str) -> Device:
        try:
            return self.server.registry.ensure(device_id)
        except ValueError as exc:
            raise ControlError(str(exc)) from None

    # RPCs ---------------------------------------------------------------------------------------
    def enqueue(
        self, device_id: str, request: m.Message, *, hold_requests: bool = False
    ) -> QueuedRpc:
        """Queue ``request`` for the device's next (or current) session."""
        if not (isinstance(request, m.Message) and type(request) in m.CPE_METHODS):
            raise ControlError(f"{type(request).__name__} is not an RPC the ACS sends to a CPE")
        return self._device_or_new(device_id).queue.put(request, hold_requests=hold_requests)

    async def call(
        self,
        device_id: str,
        request: m.Message,
        *,
        hold_requests: bool = False,
        timeout: float | None = 30.0,
    ) -> m.Message:
        """Enqueue and await the CPE's response; ``RpcFault`` on a CWMP fault."""
        item = self.enqueue(device_id, request, hold_requests=hold_requests)
        try:
            return await item.result(timeout)
        except TimeoutError:
            item.abort("timed out")
            raise

    def answer_request_download(
        self, device_id: str, answer: Callable[[m.RequestDownload], list[m.Message]] | None
    ) -> None:
        """What the ACS sends after answering the device's RequestDownload (TR-069 A.4.2.2:
        RequestDownloadResponse, then it may send a Download); None: only the response."""
        if answer is None:
            self.server.request_download_answers.pop(device_id, None)
        else:
            self.server.request_download_answers[device_id] = answer

    def set_hold_on_inform(self, device_id: str, hold: bool = True) -> None:
        """Put HoldRequests=1 on the device's next InformResponse."""
        self._device_or_new(device_id).hold_on_inform = hold

    def set_retry_faults(self, device_id: str, count: int) -> None:
        """Answer the device's next ``count`` requests (Inform included) with fault 8005."""
        if count < 0:
            raise ControlError("count must be >= 0")
        self._device_or_new(device_id).retry_faults = count

    def set_device_auth(
        self, device_id: str, mode: str | None, username: str = "", password: str = ""
    ) -> None:
        """CPE→ACS authentication for one device (None: the server's global setting)."""
        from printbench.acs_stub.httpauth import MODES

        if mode is not None and mode not in MODES:
            raise ControlError(f"auth mode {mode!r} is not one of {', '.join(MODES)}")
        device = self._device_or_new(device_id)
        device.auth_mode = mode
        device.auth_credentials = Credentials(username, password)
        self.server.registry.save(device)

    def set_connection_request(
        self,
        device_id: str,
        *,
        username: str | None = None,
        password: str | None = None,
        url: str | None = None,
    ) -> None:
        """Credentials (and optionally the URL) for Connection Requests to the device."""
        device = self._device_or_new(device_id)
        if username is not None or password is not None:
            device.cr_credentials = Credentials(username or "", password or "")
        if url is not None:
            device.cr_url = url
        self.server.registry.save(device)

    async def connection_request(
        self, device_id: str, *, timeout: float = 30.0, kind: str = "http", **xmpp: Any
    ) -> str:
        """Send a Connection Request and await the session it starts; returns its id.
        ``kind="udp"``: a UDP Connection Request through the device's STUN binding (TR-069
        Annex G, ``acs_stub.udp_connreq``). ``kind="xmpp"``: over XMPP (TR-069 Annex K,
        ``acs_stub.xmpp``; ``xmpp`` takes its ``to``/``sender``/``username``/``password``),
        refused or unanswered → error."""
        if kind == "xmpp":
            return await self._xmpp_connection_request(device_id, timeout, xmpp)
        if kind == "udp":
            from printbench.acs_stub.udp_connreq import (
                UdpConnectionRequestError,
                send_udp_connection_request,
            )

            try:
                out = await send_udp_connection_request(self, device_id, timeout=timeout)
            except UdpConnectionRequestError as exc:
                raise ConnectionRequestError(str(exc)) from None
            if out.session is None:
                raise ConnectionRequestError(
                    f"UDP connection request to {out.address} ({out.copies} copies): no session "
                    f"with 6 CONNECTION REQUEST within {timeout:g} s (TR-069 Annex G, §3.2.2)"
                )
            return out.session
        if kind != "http":
            raise ControlError(f"connection request kind {kind!r} is not http, udp or xmpp")
        device = self.device(device_id)
        if not device.cr_url:
            raise ConnectionRequestError(f"device {device_id} has no ConnectionRequestURL")
        waiter = self.server.session_waiter(device.id)
        device.pending_connection_requests += 1
        try:
            status = await send_connection_request(
                device.cr_url, device.cr_credentials, timeout=min(timeout, 10.0)
            )
        except Exception:
            device.pending_connection_requests = max(0, device.pending_connection_requests - 1)
            waiter.cancel()
            raise
        self.server.journal.record(
            "note",
            "acs->cpe-cr",
            device=device.id,
            http_status=status,
            http_method="GET",
            path=device.cr_url,
            note="connection request",
        )
        if status not in (200, 204):
            device.pending_connection_requests = max(0, device.pending_connection_requests - 1)
            waiter.cancel()
            raise ConnectionRequestError(f"connection request to {device.cr_url}: HTTP {status}")
        session = await asyncio.wait_for(waiter, timeout)
        return session.id

    async def _xmpp_connection_request(
        self, device_id: str, timeout: float, args: dict[str, Any]
    ) -> str:
        from printbench.acs_stub import xmpp as X

        try:
            out = await X.connection_request(self, device_id, timeout=timeout, **args)
        except X.XmppControlError as exc:
            raise ConnectionRequestError(str(exc)) from None
        if out.session is None:
            raise ConnectionRequestError(
                f"XMPP connection request to {out.to}: {out.answer.kind} "
                f"{out.answer.condition}".rstrip() + ", no session"
            )
        return out.session

    async def wait_inform(
        self,
        device_id: str | None = None,
        *,
        events: Iterable[str] = (),
        params: Mapping[str, str | None] | Iterable[str] | None = None,
        timeout: float = 30.0,
    ) -> tuple[Device, m.Inform]:
        """The next Inform (from ``device_id`` if given) carrying all ``events`` and ``params``.

        ``params`` is a list of names that must be present, or a mapping of name to the value
        required (None: any value).
        """
        wanted_events = set(events)
        wanted: dict[str, str | None] = (
            dict(params) if isinstance(params, Mapping) else dict.fromkeys(params or (), None)
        )

        def match(device: Device, inform: m.Inform) -> bool:
            if device_id is not None and device.id != device_id:
                return False
            codes = {e.event_code for e in inform.event}
            if not wanted_events <= codes:
                return False
            values = {p.name: p.value for p in inform.parameter_list}
            return all(
                name in values and (value is None or values[name] == value)
                for name, value in wanted.items()
            )

        return await asyncio.wait_for(self.server.inform_waiter(match), timeout)

    async def wait_session_end(self, session_id: str, timeout: float = 30.0) -> str:
        """Await the end of a session; returns 'done', 'expired' or 'dropped: …'."""
        session = self.server.sessions.get(session_id)
        if session is None or session.ended is None:
            for entry in reversed(self.server.journal.entries(session=session_id, kind="session")):
                if entry.note.startswith("session ") and entry.note != "session started":
                    return entry.note.removeprefix("session ")
            raise ControlError(f"unknown session {session_id!r}")
        return await asyncio.wait_for(asyncio.shield(session.ended), timeout)

    def expire_sessions(self) -> list[str]:
        return self.server.expire_sessions()

    async def run_diagnostic(
        self, device_id: str, obj: str, params: Mapping[str, Any], **kw: Any
    ) -> Any:
        """Run a TR-181 diagnostic (IPPing, TraceRoute, Download/UploadDiagnostics, ...) and
        await 8 DIAGNOSTICS COMPLETE; see ``acs_stub.diagnostics.run_diagnostic``."""
        from printbench.acs_stub.diagnostics import run_diagnostic

        return await run_diagnostic(self, device_id, obj, params, **kw)

    # files --------------------------------------------------------------------------------------
    def add_file(
        self,
        name: str,
        content: bytes | Path,
        *,
        auth: str = "none",
        username: str = "",
        password: str = "",
        content_type: str = "application/octet-stream",
    ) -> ServedFile:
        """Serve bytes, or a file from disk (large images: the stub never holds them)."""
        try:
            return self.server.files.add(
                name,
                content,
                content_type=content_type,
                auth=auth,
                username=username,
                password=password,
            )
        except (FileStoreError, ValueError) as exc:
            raise ControlError(str(exc)) from None

    def file_url(self, name: str) -> str:
        return self.server.files.url(name)

    def expect_upload(
        self, name: str, *, auth: str = "none", username: str = "", password: str = ""
    ) -> str:
        try:
            return self.server.files.expect_upload(
                name, auth=auth, username=username, password=password
            )
        except (FileStoreError, ValueError) as exc:
            raise ControlError(str(exc)) from None

    async def wait_upload(self, name: str, timeout: float = 30.0) -> UploadedFile:
        return await self.server.files.wait_upload(name, timeout)

    # journal and verdicts -----------------------------------------------------------------------
    # The journal and the registry as the conformance engine reads them: one façade, so an
    # orchestrator never reaches into the server's objects (issue 14).
    def known_device(self, device_id: str) -> Device | None:
        """The device if the ACS has seen it (None, not an error, if not yet)."""
        return self.server.registry.get(device_id)

    def journal_entries(
        self,
        *,
        device: str | None = None,
        session: str | None = None,
        since: int = 0,
        kind: str | None = None,
    ) -> list[JournalEntry]:
        """Journal entries after ``since`` (a ref), filtered; oldest first."""
        return self.server.journal.entries(device=device, session=session, since=since, kind=kind)

    def journal_entry(self, ref: int) -> JournalEntry | None:
        return self.server.journal.get(ref)

    def last_journal_ref(self) -> int:
        """The ref of the newest entry (0: none yet): a cursor for 'what came since'."""
        entries = self.server.journal.entries()
        return entries[-1].ref if entries else 0

    def journal_note(self, device: str | None, note: str) -> None:
        """Add a note to the journal (findings of the other side, next to the envelopes)."""
        self.server.journal.record("note", "-", device=device, note=note)

    @property
    def journal_path(self) -> Path | None:
        return self.server.journal.path

    async def journal_changed(self, timeout: float) -> bool:
        """Wait for the next journal entry (the subscription: every request, response,
        session start and end is one); False after ``timeout`` seconds."""
        return await self.server.journal.changed(timeout)

    def journal(
        self, *, device: str | None = None, session: str | None = None, since: int = 0
    ) -> list[dict[str, Any]]:
        entries = self.server.journal.entries(device=device, session=session, since=since)
        return [e.to_dict() for e in entries]

    def verdicts(self, *, device: str | None = None, session: str | None = None) -> list[Violation]:
        found = self.server.judge.violations
        return [
            v
            for v in found
            if (device is None or v.device == device) and (session is None or v.session == session)
        ]

    def session_html(self, session_id: str) -> str:
        entries = self.server.journal.entries(session=session_id)
        return render_session_html(session_id, entries, self.verdicts(session=session_id))

    # HTTP face ----------------------------------------------------------------------------------
    def http_app(self) -> web.Application:
        return _http_app(self)


# --- Connection Request client ----------------------------------------------------------------


async def send_connection_request(
    url: str, credentials: Credentials | None, *, timeout: float = 10.0
) -> int:
    """HTTP GET to a ConnectionRequestURL, answering a Digest (or Basic) challenge."""
    from printbench.acs_stub.httpauth import authorization_for

    client_timeout = aiohttp.ClientTimeout(total=timeout)
    try:
        async with aiohttp.ClientSession(timeout=client_timeout) as http:
            async with http.get(url) as resp:
                await discard_response(resp)
                if resp.status != 401 or credentials is None:
                    return resp.status
                challenge = resp.headers.get("WWW-Authenticate", "")
            header = authorization_for(
                challenge, "GET", url, credentials.username, credentials.password
            )
            if header is None:
                return 401
            async with http.get(url, headers={"Authorization": header}) as resp:
                await discard_response(resp)
                return resp.status
    except (aiohttp.ClientError, TimeoutError, OSError, BodyTooLarge) as exc:
        raise ConnectionRequestError(f"connection request to {url}: {exc}") from None


# --- HTTP/JSON --------------------------------------------------------------------------------


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(to_json(data), status=status)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise web.HTTPBadRequest(
            text=json.dumps({"error": "body is not JSON"}), content_type="application/json"
        ) from None
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(
            text=json.dumps({"error": "body must be a JSON object"}),
            content_type="application/json",
        )
    return data


def _http_app(ctl: AcsControl) -> web.Application:
    routes = web.RouteTableDef()

    @web.middleware
    async def errors(request: web.Request, handler):
        try:
            return await handler(request)
        except ControlError as exc:
            return _error(400, str(exc))
        except RpcFault as exc:
            return _json({"fault": exc.fault}, status=200)
        except TimeoutError:
            return _error(504, "timed out")
        except Exception as exc:
            if not httplog.is_peer_error(exc):
                raise
            return _error(400, f"request could not be read: {httplog.one_line(exc)}")

    @routes.get("/api")
    async def index(request: web.Request) -> web.Response:
        return _json(
            {
                "cwmp_url": ctl.server.cwmp_url,
                "files_url": ctl.server.files_url,
                "devices": len(ctl.server.registry),
                "sessions_active": len(ctl.server.sessions),
            }
        )

    @routes.get("/api/devices")
    async def devices(request: web.Request) -> web.Response:
        return _json([d.summary() for d in ctl.devices()])

    @routes.get("/api/devices/{id}")
    async def device(request: web.Request) -> web.Response:
        return _json(ctl.device(request.match_info["id"]).summary())

    @routes.post("/api/devices/{id}/rpc")
    async def rpc(request: web.Request) -> web.Response:
        data = await _body(request)
        msg = message_from_json(str(data.get("method", "")), data.get("args"))
        hold = bool(data.get("hold_requests", False))
        if not data.get("wait", True):
            item = ctl.enqueue(request.match_info["id"], msg, hold_requests=hold)
            return _json({"queued": item.id, "method": item.method}, status=202)
        timeout = float(data.get("timeout", 30.0))
        response = await ctl.call(
            request.match_info["id"], msg, hold_requests=hold, timeout=timeout
        )
        return _json({"response": response})

    @routes.post("/api/devices/{id}/hold")
    async def hold(request: web.Request) -> web.Response:
        data = await _body(request)
        ctl.set_hold_on_inform(request.match_info["id"], bool(data.get("hold", True)))
        return _json({"ok": True})

    @routes.post("/api/devices/{id}/retry-faults")
    async def retry_faults(request: web.Request) -> web.Response:
        data = await _body(request)
        try:
            count = int(data.get("count", 1))
        except (TypeError, ValueError):
            raise ControlError("count must be an integer") from None
        ctl.set_retry_faults(request.match_info["id"], count)
        return _json({"ok": True})

    @routes.post("/api/devices/{id}/auth")
    async def auth(request: web.Request) -> web.Response:
        data = await _body(request)
        ctl.set_device_auth(
            request.match_info["id"],
            data.get("mode"),
            str(data.get("username", "")),
            str(data.get("password", "")),
        )
        return _json({"ok": True})

    @routes.post("/api/devices/{id}/connection-request")
    async def connection_request(request: web.Request) -> web.Response:
        data = await _body(request)
        did = request.match_info["id"]
        if any(k in data for k in ("username", "password", "url")):
            ctl.set_connection_request(
                did,
                username=data.get("username"),
                password=data.get("password"),
                url=data.get("url"),
            )
        kind = str(data.get("kind", "http"))  # "xmpp": TR-069 Annex K (to, sender)
        extra = {k: str(data[k]) for k in ("to", "sender") if k in data and kind == "xmpp"}
        session = await ctl.connection_request(
            did, timeout=float(data.get("timeout", 30.0)), kind=kind, **extra
        )
        return _json({"session": session})

    @routes.post("/api/devices/{id}/diagnostics/{object}")
    async def diagnostic(request: web.Request) -> web.Response:
        from printbench.acs_stub.diagnostics import OBJECTS

        data = await _body(request)
        obj = request.match_info["object"]
        params = data.get("params") or {}
        if obj not in OBJECTS or not isinstance(params, dict):
            raise ControlError(f"POST a diagnostic of {', '.join(OBJECTS)} with a params object")
        run = await ctl.run_diagnostic(
            request.match_info["id"], obj, params, timeout=float(data.get("timeout", 60.0))
        )
        return _json({"object": obj, "state": run.state, "values": run.values,
                      "findings": [{"rule": r, "message": t} for r, t in run.findings],
                      "request_session": run.request_session,
                      "complete_session": run.complete_session})  # fmt: skip

    @routes.post("/api/wait-inform")
    async def wait_inform(request: web.Request) -> web.Response:
        data = await _body(request)
        device, inform = await ctl.wait_inform(
            data.get("device"),
            events=data.get("events") or (),
            params=data.get("params"),
            timeout=float(data.get("timeout", 30.0)),
        )
        return _json({"device": device.id, "inform": inform})

    @routes.get("/api/files")
    async def files(request: web.Request) -> web.Response:
        base = ctl.server.files_url
        return _json([f.info(base) for f in ctl.server.files.files()])

    @routes.put("/api/files/{name}")
    async def add_file(request: web.Request) -> web.Response:
        q = request.query
        served = ctl.add_file(
            request.match_info["name"],
            await request.read(),
            auth=q.get("auth", "none"),
            username=q.get("username", ""),
            password=q.get("password", ""),
            content_type=q.get("content_type", "application/octet-stream"),
        )
        return _json(served.info(ctl.server.files_url), status=201)

    @routes.post("/api/uploads/{name}")
    async def expect_upload(request: web.Request) -> web.Response:
        data = await _body(request)
        url = ctl.expect_upload(
            request.match_info["name"],
            auth=str(data.get("auth", "none")),
            username=str(data.get("username", "")),
            password=str(data.get("password", "")),
        )
        return _json({"url": url})

    @routes.get("/api/uploads/{name}")
    async def get_upload(request: web.Request) -> web.Response:
        wait = float(request.query.get("wait", "0") or 0)
        name = request.match_info["name"]
        if wait > 0:
            upload = await ctl.wait_upload(name, wait)
        else:
            found = ctl.server.files.uploads.get(name)
            if found is None:
                return _error(404, f"no upload named {name!r}")
            upload = found
        info = upload.info()
        info["content_base64"] = base64.b64encode(upload.content).decode("ascii")
        return _json(info)

    @routes.get("/api/journal")
    async def journal(request: web.Request) -> web.Response:
        q = request.query
        try:
            since = int(q.get("since", "0"))
        except ValueError:
            raise ControlError("since must be an integer") from None
        return _json(ctl.journal(device=q.get("device"), session=q.get("session"), since=since))

    @routes.get("/api/verdicts")
    async def verdicts(request: web.Request) -> web.Response:
        q = request.query
        return _json(ctl.verdicts(device=q.get("device"), session=q.get("session")))

    @routes.get("/api/rules")
    async def rules(request: web.Request) -> web.Response:
        return _json([dataclasses.asdict(r) for r in RULES.values()])

    @routes.get("/api/sessions")
    async def sessions(request: web.Request) -> web.Response:
        active = set(ctl.server.sessions)
        return _json(
            [
                {"session": sid, "device": dev, "active": sid in active, "html": f"/sessions/{sid}"}
                for sid, dev in ctl.server.journal.sessions()
            ]
        )

    @routes.post("/api/sessions/expire")
    async def expire(request: web.Request) -> web.Response:
        return _json({"expired": ctl.expire_sessions()})

    @routes.get("/sessions/{id}")
    async def session_page(request: web.Request) -> web.Response:
        sid = request.match_info["id"]
        if not ctl.server.journal.entries(session=sid):
            return web.Response(status=404, text="no such session\n")
        return web.Response(text=ctl.session_html(sid), content_type="text/html")

    httplog.install()
    app = web.Application(middlewares=[errors], client_max_size=64 * 1024 * 1024)
    app.add_routes(routes)
    return app
