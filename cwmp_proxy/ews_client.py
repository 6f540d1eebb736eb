"""EWS client for the proxy: the embedded web server's JSON API, logged in like an admin would.

Login is ``POST /api/login`` (session cookie ``ews_session`` + a CSRF token sent back in
``X-CSRF-Token`` on every POST), renewed once when the printer forgets the session (401/403).
Reads use ``GET /api/state`` (every state path in one answer, so a request costs one round
trip whatever it names); writes ``POST /api/config/<page>`` with ``{path: value}``, one page
per POST (the EWS applies a page all-or-nothing). Which page holds which path comes from
``GET /api/pages``, read once per printer. Cookies are handled here rather than in a jar:
one aiohttp session serves many printers that share a host name but not a port.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import aiohttp

from printbench.common.httpio import BodyTooLarge, read_response
from printbench.cwmp_proxy.errors import AuthFailed, NotWritable, Rejected, Unreachable

#: Largest EWS JSON answer read (a state dump of a big MFP is well under 1 MiB).
MAX_EWS_BODY = 8 * 1024 * 1024
#: TR-069 fault 9004 "Resources exceeded": the printer sent more than the proxy takes.
FAULT_RESOURCES_EXCEEDED = 9004


class EwsClient:
    def __init__(
        self,
        base_url: str,
        session: aiohttp.ClientSession,
        *,
        username: str = "admin",
        password: str = "admin",
        timeout: float = 3.0,
        retries: int = 1,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session
        self.username = username
        self.password = password
        self.timeout = timeout
        self.retries = retries
        self._cookie: str | None = None
        self._csrf = ""
        self._pages: dict[str, str] | None = None  # state path -> page slug
        self._login_lock = asyncio.Lock()

    @property
    def where(self) -> str:
        return f"{self.base_url} EWS"

    async def _request(
        self, method: str, path: str, *, json: Any = None, auth: bool = True
    ) -> tuple[int, Any, aiohttp.ClientResponse]:
        headers = {}
        if auth and self._cookie:
            headers["Cookie"] = f"ews_session={self._cookie}"
            if method == "POST":
                headers["X-CSRF-Token"] = self._csrf
        last = ""
        for _ in range(self.retries + 1):
            try:
                async with self.session.request(
                    method,
                    self.base_url + path,
                    json=json,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=self.timeout),
                    allow_redirects=False,
                ) as resp:
                    try:
                        raw = await read_response(resp, MAX_EWS_BODY)
                    except BodyTooLarge as exc:
                        raise Rejected(
                            f"{self.where}: answer refused: {exc}", code=FAULT_RESOURCES_EXCEEDED
                        ) from None
                    try:
                        body = jsonlib.loads(raw) if raw.strip() else None
                    except ValueError:
                        body = None
                    return resp.status, body, resp
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                last = f"{type(exc).__name__} {exc}".strip()
        raise Unreachable(f"{self.where}: no answer after {self.retries + 1} tries ({last})")

    async def login(self) -> None:
        status, body, resp = await self._request(
            "POST",
            "/api/login",
            json={"username": self.username, "password": self.password},
            auth=False,
        )
        if status in (401, 403):
            raise AuthFailed(f"{self.where}: login as {self.username!r} refused (HTTP {status})")
        if status == 503:
            raise Unreachable(f"{self.where}: printer answers 503 (powered off)")
        morsel = resp.cookies.get("ews_session")
        if status != 200 or morsel is None or not isinstance(body, dict):
            raise Rejected(f"{self.where}: login failed (HTTP {status})", 9002)
        self._cookie = morsel.value
        self._csrf = str(body.get("csrf_token", ""))

    async def _authed(self, method: str, path: str, json: Any = None) -> tuple[int, Any]:
        for attempt in (0, 1):
            if self._cookie is None:
                async with self._login_lock:
                    if self._cookie is None:
                        await self.login()
            status, body, _ = await self._request(method, path, json=json)
            if status in (401, 403) and attempt == 0:
                self._cookie = None  # session expired or forgotten: log in again once
                continue
            if status in (401, 403):
                raise AuthFailed(f"{self.where}: {method} {path} refused (HTTP {status})")
            if status == 503:
                raise Unreachable(f"{self.where}: printer answers 503 (powered off)")
            return status, body
        raise AssertionError("unreachable")

    async def info(self) -> dict[str, Any]:
        """The public device-information model (``GET /api/info``)."""
        status, body, _ = await self._request("GET", "/api/info", auth=False)
        if status != 200 or not isinstance(body, dict):
            raise Rejected(f"{self.where}: GET /api/info answered HTTP {status}", 9002)
        return body

    async def upload_firmware(self, path: Path, *, timeout: float = 300.0) -> str:
        """Install the image at ``path`` through ``POST /api/firmware``; the new version.

        The file is streamed from disk (never read into memory) with the admin account over
        HTTP Basic (the EWS API takes it without a session, so no CSRF token either). The
        printer reboots after its 202 answer. A refusal raises ``Rejected`` with the TR-069
        fault it means: 9018 for an image the printer found corrupt, 9010 otherwise.
        """
        auth = aiohttp.BasicAuth(self.username, self.password)
        try:
            with path.open("rb") as f:
                async with self.session.post(
                    self.base_url + "/api/firmware",
                    data=f,
                    auth=auth,
                    headers={"Content-Type": "application/octet-stream"},
                    timeout=aiohttp.ClientTimeout(total=timeout),
                    allow_redirects=False,
                ) as resp:
                    raw = await read_response(resp, MAX_EWS_BODY)
                    status = resp.status
        except BodyTooLarge as exc:
            raise Rejected(f"{self.where}: answer refused: {exc}", code=9010) from None
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise Unreachable(f"{self.where}: firmware upload failed: {exc}") from None
        try:
            body = jsonlib.loads(raw) if raw.strip() else {}
        except ValueError:
            body = {}
        if status in (401, 403):
            raise AuthFailed(f"{self.where}: firmware upload refused (HTTP {status})")
        if status == 202 and isinstance(body, dict) and body.get("version"):
            return str(body["version"])
        errors = body.get("errors", {}) if isinstance(body, dict) else {}
        reason = "; ".join(str(v) for v in errors.values()) or f"HTTP {status}"
        corrupt = isinstance(body, dict) and body.get("reason") == "corrupt"
        raise Rejected(f"{self.where}: firmware refused: {reason}", code=9018 if corrupt else 9010)

    async def state(self) -> dict[str, Any]:
        """Every state path the EWS shows (``GET /api/state``)."""
        status, body = await self._authed("GET", "/api/state")
        if status != 200 or not isinstance(body, dict):
            raise Rejected(f"{self.where}: GET /api/state answered HTTP {status}", 9002)
        return body

    async def pages(self) -> dict[str, str]:
        """``{state path: page slug}`` of every configurable field (cached)."""
        if self._pages is None:
            status, body = await self._authed("GET", "/api/pages")
            if status != 200:
                raise Rejected(f"{self.where}: GET /api/pages answered HTTP {status}", 9002)
            out: dict[str, str] = {}
            pages = body.get("pages", body) if isinstance(body, dict) else body
            items = (
                pages.items() if isinstance(pages, dict) else ((p.get("slug"), p) for p in pages)
            )
            for slug, page in items:
                fields = page.get("fields", []) if isinstance(page, dict) else []
                for f in fields:
                    out[str(f["path"])] = str(page.get("slug", slug))
            self._pages = out
        return self._pages

    async def writable(self, path: str) -> bool:
        return path in await self.pages()

    async def write(self, values: dict[str, Any]) -> None:
        """Write state paths, one POST per configuration page."""
        pages = await self.pages()
        by_page: dict[str, dict[str, Any]] = {}
        for path, v in values.items():
            slug = pages.get(path)
            if slug is None:
                raise NotWritable(f"{self.where}: no configuration page has {path}", names=(path,))
            by_page.setdefault(slug, {})[path] = v
        for slug, body in by_page.items():
            status, answer = await self._authed("POST", f"/api/config/{slug}", json=body)
            if status == 400 and isinstance(answer, dict):
                errors = answer.get("errors", {})
                detail = "; ".join(f"{k}: {v}" for k, v in errors.items())
                raise Rejected(f"{self.where}: refused {detail}", names=tuple(errors))
            if status != 200:
                raise Rejected(
                    f"{self.where}: POST /api/config/{slug} answered HTTP {status}", 9002
                )

    async def get_paths(self, paths: Iterable[str]) -> dict[str, Any]:
        state = await self.state()
        return {p: state[p] for p in paths if p in state}
