"""File server for Download and receiver for Upload, with checksums and HTTP auth.

Why inside the stub ACS: a Download or Upload scenario needs a file server it controls, to
check that the CPE fetched the exact bytes (size and SHA-256), sent the credentials the ACS
gave it in the RPC, and uploaded content the test can inspect. GET/HEAD serve registered
files; PUT/POST store uploads; each may demand basic or digest credentials.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from printbench.acs_stub.httpauth import AuthPolicy, HttpAuthenticator

_NAME = re.compile(r"^[A-Za-z0-9._~-]{1,200}$")

#: Largest upload accepted (a vendor log file or configuration backup).
MAX_UPLOAD = 64 * 1024 * 1024


class FileStoreError(ValueError):
    """A file name or registration the store refuses."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_digest(path: Path) -> tuple[int, str]:
    sha = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(1024 * 1024):
            sha.update(chunk)
            size += len(chunk)
    return size, sha.hexdigest()


@dataclass
class ServedFile:
    """A file to serve: ``content`` in memory, or ``path`` on disk (sent with sendfile, so
    a firmware image of hundreds of MB costs the stub no memory)."""

    name: str
    content: bytes
    content_type: str = "application/octet-stream"
    auth: AuthPolicy = field(default_factory=AuthPolicy)
    downloads: int = 0
    path: Path | None = None
    size: int = field(init=False)
    sha256: str = field(init=False)

    def __post_init__(self) -> None:
        if self.path is None:
            self.size, self.sha256 = len(self.content), sha256_hex(self.content)
        else:
            self.size, self.sha256 = _file_digest(self.path)

    def info(self, base_url: str) -> dict[str, Any]:
        return {
            "name": self.name,
            "url": f"{base_url}/files/{self.name}",
            "size": self.size,
            "sha256": self.sha256,
            "auth": self.auth.mode,
            "downloads": self.downloads,
        }


@dataclass
class UploadedFile:
    name: str
    content: bytes
    http_method: str
    content_type: str
    received_at: str

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def sha256(self) -> str:
        return sha256_hex(self.content)

    def info(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "size": self.size,
            "sha256": self.sha256,
            "http_method": self.http_method,
            "content_type": self.content_type,
            "received_at": self.received_at,
        }


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise FileStoreError(
            f"file name {name!r} must be 1-200 characters of letters, digits, '.', '_', '~', '-'"
        )
    return name


class FileStore:
    """Registered downloads and received uploads; ``app()`` is the aiohttp face."""

    def __init__(self, authenticator: HttpAuthenticator | None = None) -> None:
        self.base_url = ""
        self._files: dict[str, ServedFile] = {}
        self._upload_auth: dict[str, AuthPolicy] = {}
        self.default_upload_auth = AuthPolicy()
        self.uploads: dict[str, UploadedFile] = {}
        self._upload_waiters: dict[str, list[asyncio.Future[UploadedFile]]] = {}
        self._auth = authenticator or HttpAuthenticator(realm="printbench-files")

    # -- registration ---------------------------------------------------------------------
    def add(
        self,
        name: str,
        content: bytes | Path,
        *,
        content_type: str = "application/octet-stream",
        auth: str = "none",
        username: str = "",
        password: str = "",
    ) -> ServedFile:
        """Serve ``content`` at ``/files/<name>``: bytes held in memory, or a path on disk
        (read at each GET with sendfile, never held: firmware images of hundreds of MB);
        ``auth`` is none, basic or digest."""
        if isinstance(content, Path):
            if not content.is_file():
                raise FileStoreError(f"{content}: not a file")
            data, path = b"", content
        else:
            data, path = bytes(content), None
        served = ServedFile(
            _check_name(name), data, content_type, AuthPolicy.of(auth, username, password),
            path=path,
        )  # fmt: skip
        self._files[name] = served
        return served

    def get(self, name: str) -> ServedFile | None:
        return self._files.get(name)

    def files(self) -> list[ServedFile]:
        return list(self._files.values())

    def expect_upload(
        self, name: str, *, auth: str = "none", username: str = "", password: str = ""
    ) -> str:
        """Demand credentials for uploads to ``/upload/<name>``; return its URL."""
        self._upload_auth[_check_name(name)] = AuthPolicy.of(auth, username, password)
        return self.upload_url(name)

    def url(self, name: str) -> str:
        return f"{self.base_url}/files/{name}"

    def upload_url(self, name: str) -> str:
        return f"{self.base_url}/upload/{name}"

    async def wait_upload(self, name: str, timeout: float | None = None) -> UploadedFile:
        """The upload stored under ``name`` (already received or the next one)."""
        if name in self.uploads:
            return self.uploads[name]
        future: asyncio.Future[UploadedFile] = asyncio.get_running_loop().create_future()
        self._upload_waiters.setdefault(name, []).append(future)
        return await asyncio.wait_for(future, timeout)

    # -- HTTP -----------------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_UPLOAD)
        app.router.add_route("GET", "/files/{name}", self._get)
        app.router.add_route("PUT", "/upload/{name}", self._put)
        app.router.add_route("POST", "/upload/{name}", self._put)
        return app

    async def _get(self, request: web.Request) -> web.StreamResponse:
        served = self._files.get(request.match_info["name"])
        if served is None:
            raise web.HTTPNotFound(text="no such file\n")
        denied = self._auth.check(request, served.auth)
        if denied is not None:
            return denied
        if request.method == "GET":
            served.downloads += 1
        if served.path is not None:
            return web.FileResponse(
                served.path,
                headers={"Content-Type": served.content_type, "X-Checksum-SHA256": served.sha256},
            )
        return web.Response(
            body=served.content,
            content_type=served.content_type,
            headers={"X-Checksum-SHA256": served.sha256},
        )

    async def _put(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if not _NAME.match(name):
            raise web.HTTPBadRequest(text="bad file name\n")
        policy = self._upload_auth.get(name, self.default_upload_auth)
        denied = self._auth.check(request, policy)
        if denied is not None:
            return denied
        try:
            content = await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise
        upload = UploadedFile(
            name=name,
            content=content,
            http_method=request.method,
            content_type=request.content_type,
            received_at=datetime.now(UTC).isoformat(),
        )
        self.uploads[name] = upload
        for future in self._upload_waiters.pop(name, []):
            if not future.done():
                future.set_result(upload)
        return web.Response(status=201 if request.method == "PUT" else 200, text="stored\n")
