"""HTTP for the CPE: the CWMP connection to the ACS and file transfers (Download/Upload).

One aiohttp ``ClientSession`` per CWMP session (a single keep-alive connection, as TR-069
expects a session to stay on one TCP connection where it can), closed when the session ends,
so an idle device holds no socket and no TLS state. Cookies are the session machine's
business (``CpeSession.store_cookies``), so aiohttp's own cookie jar is disabled.

Many CPEs in one process (a fleet) can share an :class:`AcsConnectionPool` instead: a session
borrows one single-connection client for its whole duration (still one TCP connection per
session) and hands it back at the end, so the next session of any CPE reuses the keep-alive
connection instead of paying a TCP connect and a new aiohttp client each time, as a
connection-pooling proxy in front of many devices would.

Authentication: on a 401 the challenge is answered (Digest preferred over Basic, through
``cwmp.digest``) and the same request is sent again; later requests of the session carry the
Authorization up front (digest nonce count grows). Redirects (301/302/303/307/308) are followed
by re-POSTing the same body, at most ``max_redirects`` times, and the new URL is used for the
rest of this session only (TR-069: a redirect is not persisted).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import ssl
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import aiohttp

from printbench.common.httpio import CHUNK, BodyTooLarge, read_response
from printbench.cwmp import digest, soap

log = logging.getLogger(__name__)

REDIRECTS = (301, 302, 303, 307, 308)
#: Largest ACS message read (TR-069 A.2.1 asks for at least 32 KB; a GetParameterValues of a
#: whole tree is megabytes). Over it the session fails with an AcsHttpError: without the
#: envelope there is no cwmp:ID a Fault 9004 could answer.
MAX_RESPONSE = 32 * 1024 * 1024


class AcsHttpError(Exception):
    """The ACS could not be reached or answered at the HTTP level in a way CWMP cannot use."""


def ssl_context(
    ca_file: Path | None,
    client_cert: Path | None,
    client_key: Path | None,
    *,
    check_hostname: bool = True,
) -> ssl.SSLContext:
    """A client TLS context checking the server against ``ca_file`` (else the system store).

    TR-069 §3.3 (Amd 6, as read in translations; the PDF is not here): the CPE MUST
    authenticate the ACS by its certificate, validated against a trusted root, with the host
    part of the ACS URL as the reference identifier (RFC 6125; an IP address against the
    presented IP identifiers); CPEs SHOULD use TLS 1.2 or later. ``check_hostname`` False is
    the ``tls-no-hostname-check`` quirk only (a defect to test ACS-side scenarios against).
    """
    ctx = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.check_hostname = check_hostname
    if client_cert:
        ctx.load_cert_chain(str(client_cert), str(client_key) if client_key else None)
    return ctx


def _tls_reason(exc: BaseException) -> str | None:
    """A one-line TLS reason when ``exc`` is a TLS failure (None otherwise)."""
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        err = exc.certificate_error
        text = getattr(err, "verify_message", None) or str(err)
        return f"the ACS certificate was rejected ({text}; TR-069 §3.3: chain and host name)"
    seen: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and cause not in seen:  # the SSL error behind aiohttp's
        seen.append(cause)
        if isinstance(cause, ssl.SSLError):
            return f"TLS failure ({cause.reason or cause})"
        cause = getattr(cause, "os_error", None) or cause.__cause__ or cause.__context__
    if isinstance(exc, aiohttp.ClientSSLError):
        return f"TLS handshake failed ({exc})"
    return None


def _request_uri(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


class Authenticator:
    """Answers 401 challenges for one set of credentials (Digest or Basic)."""

    def __init__(self, username: str, password: str) -> None:
        self.username = username
        self.password = password
        self._digest: digest.DigestClient | None = None
        self._basic: str | None = None
        #: False: the ``auth-basic-only`` quirk (a CPE that cannot answer Digest)
        self.digest_ok = True

    def header(self, method: str, url: str, body: bytes = b"") -> str | None:
        if self._digest is not None:
            return self._digest.authorization(method, _request_uri(url), body)
        return self._basic

    def challenged(self, www_authenticate: list[str]) -> bool:
        """Take a 401's challenges; False when none can be answered (or no credentials)."""
        if not (self.username or self.password):
            return False
        for value in www_authenticate:
            if value.lower().startswith("digest") and self.digest_ok:
                client = digest.DigestClient(self.username, self.password)
                try:
                    client.accept(value)
                except digest.AuthError:
                    continue
                self._digest, self._basic = client, None
                return True
        for value in www_authenticate:
            if value.lower().startswith("basic"):
                self._digest = None
                self._basic = digest.basic_authorization(self.username, self.password)
                return True
        return False


@dataclass
class HttpReply:
    status: int
    body: bytes
    set_cookie: list[str]


def _client(ssl_ctx: ssl.SSLContext | None, timeout: float) -> aiohttp.ClientSession:
    """An aiohttp client holding at most one connection (one CWMP session at a time)."""
    connector = aiohttp.TCPConnector(limit=1, ssl=ssl_ctx if ssl_ctx is not None else True)
    return aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),
        timeout=aiohttp.ClientTimeout(total=timeout),
    )


class AcsConnectionPool:
    """Idle single-connection clients shared by many CPEs of one event loop.

    A session takes one with :meth:`acquire` and gives it back with :meth:`release` when it
    ended cleanly (a failed session's client is closed: its connection may be half-used).
    Idle clients older than ``max_idle`` seconds are closed rather than reused, so a
    keep-alive connection the ACS may already have dropped (Node's default keep-alive is
    5 s) is not handed out; at most ``max_size`` idle clients are kept.
    """

    def __init__(self, *, max_size: int = 512, max_idle: float = 4.0, clock=None) -> None:
        self.max_size = max_size
        self.max_idle = max_idle
        self._now = clock or time.monotonic
        # Keyed by the TLS context object itself (not its id(), which a new context could
        # reuse): a client's connector is bound to the context it was made with.
        self._idle: dict[
            tuple[ssl.SSLContext | None, float], list[tuple[float, aiohttp.ClientSession]]
        ] = {}
        self.created = 0
        self.reused = 0
        self._closing: set[asyncio.Task[None]] = set()

    def acquire(
        self, ssl_ctx: ssl.SSLContext | None, timeout: float
    ) -> tuple[aiohttp.ClientSession, bool]:
        """A client for one session and whether it was reused (may hold a live connection)."""
        stack = self._idle.get((ssl_ctx, timeout))
        now = self._now()
        while stack:
            t, client = stack.pop()  # the most recently used: its connection is the freshest
            if now - t <= self.max_idle and not client.closed:
                self.reused += 1
                return client, True
            self._discard(client)
        self.created += 1
        return _client(ssl_ctx, timeout), False

    def release(
        self, client: aiohttp.ClientSession, ssl_ctx: ssl.SSLContext | None, timeout: float
    ) -> None:
        stack = self._idle.setdefault((ssl_ctx, timeout), [])
        if client.closed or len(stack) >= self.max_size:
            self._discard(client)
            return
        stack.append((self._now(), client))

    def _discard(self, client: aiohttp.ClientSession) -> None:
        if not client.closed:
            task = asyncio.ensure_future(client.close())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def close(self) -> None:
        for stack in self._idle.values():
            for _, client in stack:
                await client.close()
        self._idle.clear()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)


class AcsConnection:
    """POSTs one CWMP session's messages to the ACS."""

    def __init__(
        self,
        url: str,
        username: str,
        password: str,
        *,
        ssl_ctx: ssl.SSLContext | None,
        timeout: float,
        max_redirects: int,
        cookie_filter=None,
        pool: AcsConnectionPool | None = None,
        max_message: int = MAX_RESPONSE,
    ) -> None:
        self.url = url
        self.max_message = max_message
        self.auth = Authenticator(username, password)
        self.max_redirects = max_redirects
        self.redirects = 0
        self._cookie_filter = cookie_filter
        self._pool = pool
        self._pool_key = (ssl_ctx, timeout)
        self._reused = False
        self._exchanges = 0
        if pool is not None:
            self._http, self._reused = pool.acquire(ssl_ctx, timeout)
        else:
            self._http = _client(ssl_ctx, timeout)

    async def close(self, *, reusable: bool = False) -> None:
        """End the session's HTTP side; ``reusable``: it ended cleanly, pool the connection."""
        if self._pool is not None and reusable:
            self._pool.release(self._http, *self._pool_key)
        else:
            await self._http.close()

    async def post(self, body: bytes, cookie: str | None, *, response: bool = False) -> HttpReply:
        """POST one message; ``response``: the body is a response or a fault to the ACS.

        TR-069 Amd 6 §3.4.1: on a POST carrying a SOAP response or fault the SOAPAction
        header MUST have no value (``SOAPAction:``, no quotes); an empty POST MUST NOT carry
        SOAPAction nor Content-Type. A request (Inform, TransferComplete) keeps SOAP 1.1
        §6.1.1's ``""`` (the intent is the Request-URI).
        """
        auth_tries = 0
        while True:
            headers = {"User-Agent": "printbench-cwmp-cpe"}
            if body:
                headers["Content-Type"] = soap.CONTENT_TYPE
            action = soap.soap_action(body)  # TR-069 §3.4.1: none on an empty POST,
            if action is not None:  # no value on responses and faults
                headers["SOAPAction"] = action
            if cookie:
                headers["Cookie"] = cookie
            authz = self.auth.header("POST", self.url, body)
            if authz:
                headers["Authorization"] = authz
            try:
                # aiohttp adds a Content-Type of its own to a POST without one, which
                # §3.4.1 forbids on the empty POST.
                async with self._http.post(
                    self.url,
                    data=body,
                    headers=headers,
                    allow_redirects=False,
                    skip_auto_headers=() if body else ("Content-Type",),
                ) as resp:
                    data = await read_response(resp, self.max_message)
                    status = resp.status
                    cookies = resp.headers.getall("Set-Cookie", [])
                    location = resp.headers.get("Location")
                    challenges = resp.headers.getall("WWW-Authenticate", [])
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
                tls = _tls_reason(exc)
                if tls is not None:  # no retry: the peer is not who it must be
                    raise AcsHttpError(f"{self.url}: TLS: {tls}") from exc
                if self._reused and self._exchanges == 0:
                    # A pooled keep-alive connection the ACS closed while it sat idle: the
                    # request never reached it. Once more on a connection of our own.
                    self._reused = False
                    await self._http.close()
                    self._http = _client(*self._pool_key)
                    continue
                connected = not isinstance(exc, aiohttp.ClientConnectorError)
                if connected and self._exchanges == 0 and self.url.startswith("https:"):
                    # TLS 1.3: a server refusing our certificate closes after the handshake
                    raise AcsHttpError(
                        f"{self.url}: TLS: the ACS closed the connection before answering "
                        f"(client certificate refused?): {type(exc).__name__}: {exc}"
                    ) from exc
                raise AcsHttpError(f"{self.url}: {type(exc).__name__}: {exc}") from exc
            except BodyTooLarge as exc:
                raise AcsHttpError(f"{self.url}: ACS message refused: {exc}") from None
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                raise AcsHttpError(f"{self.url}: {type(exc).__name__}: {exc}") from exc
            self._exchanges += 1
            if self._cookie_filter is not None:
                cookies = [c for c in cookies if self._cookie_filter(c)]
            if status == 401 and auth_tries < 2 and self.auth.challenged(challenges):
                auth_tries += 1
                continue
            if status == 401:
                raise AcsHttpError(f"{self.url}: HTTP 401, ACS authentication failed")
            if status in REDIRECTS and location:
                if self.redirects >= self.max_redirects:
                    raise AcsHttpError(f"{self.url}: more than {self.max_redirects} redirects")
                self.redirects += 1
                self.url = urljoin(self.url, location)
                log.info("redirected to %s", self.url)
                continue
            return HttpReply(status, data, cookies)


# -- file transfers ------------------------------------------------------------------------


class TransferError(Exception):
    """A transfer failed; ``code`` is the TR-069 fault for TransferComplete (9010-9020)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message


@dataclass
class DownloadedFile:
    """A complete download on disk: its size and SHA-256, computed while it streamed in.

    The runtime removes ``path`` once the device hooks have taken it (``accept_download``
    returned or raised): a hook that needs the bytes later copies what it needs.
    """

    path: Path
    size: int
    sha256: str

    def read_bytes(self, limit: int) -> bytes:
        """The whole file for formats parsed in memory (configuration files), capped."""
        if self.size > limit:
            raise TransferError(9010, f"file of {self.size} bytes, over {limit} for this type")
        return self.path.read_bytes()


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


_SWEPT: set[str] = set()


def remove_stale_downloads(directory: Path | None) -> list[Path]:
    """Remove partial downloads left by processes that died mid-transfer (once per folder and
    process); returns what was removed.

    A partial file is named ``download-<pid>-<random>.part``; one whose process no longer
    exists can never be completed (the persisted transfer job starts the download again from
    the beginning after the restart), so it only fills the disk. Files of live processes,
    and files not named so, are left alone: the system temporary folder is shared.
    """
    folder = Path(directory if directory is not None else tempfile.gettempdir())
    key = str(folder.resolve())
    if key in _SWEPT:
        return []
    _SWEPT.add(key)
    removed = []
    for part in folder.glob("download-*-*.part"):
        pid = part.name.split("-")[1]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            _remove(part)
            removed.append(part)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


async def _stream_to_file(
    resp: aiohttp.ClientResponse, url: str, max_size: int, directory: Path | None
) -> DownloadedFile:
    """Write the body to a new temporary file, hashing and counting on the way.

    The cap is checked against Content-Length first, then on every chunk, so a file larger
    than the device takes is refused before it fills the disk; the partial file is removed
    on any failure (TR-069 A.3.2.8: a failed download leaves the CPE as it was).
    """
    if resp.content_length is not None and resp.content_length > max_size:
        raise TransferError(9010, f"{url}: file of {resp.content_length} bytes, over {max_size}")
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
    remove_stale_downloads(directory)
    fd, name = tempfile.mkstemp(prefix=f"download-{os.getpid()}-", suffix=".part", dir=directory)
    path = Path(name)
    sha = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            async for chunk in resp.content.iter_chunked(CHUNK):
                size += len(chunk)
                if size > max_size:
                    raise TransferError(9010, f"{url}: file larger than {max_size} bytes")
                sha.update(chunk)
                out.write(chunk)
        if resp.content_length is not None and size != resp.content_length:
            raise TransferError(9017, f"{url}: transfer ended early ({size} of "
                                      f"{resp.content_length} bytes)")  # fmt: skip
    except BaseException:
        _remove(path)
        raise
    return DownloadedFile(path, size, sha.hexdigest())


async def _transfer(
    method: str,
    url: str,
    username: str,
    password: str,
    *,
    data: bytes = b"",
    content_type: str = "application/octet-stream",
    ssl_ctx: ssl.SSLContext | None,
    timeout: float,
    max_size: int,
    upload: bool,
    directory: Path | None = None,
) -> DownloadedFile | None:
    fail = 9011 if upload else 9010
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise TransferError(9013, f"unsupported protocol {scheme or '(none)'!r} in {url!r}")
    auth = Authenticator(username, password)
    connector = aiohttp.TCPConnector(limit=1, ssl=ssl_ctx if ssl_ctx is not None else True)
    async with aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),
        timeout=aiohttp.ClientTimeout(total=timeout),
    ) as http:
        for attempt in range(3):
            headers = {"User-Agent": "printbench-cwmp-cpe"}
            if upload:
                headers["Content-Type"] = content_type
            authz = auth.header(method, url, data if upload else b"")
            if authz:
                headers["Authorization"] = authz
            try:
                async with http.request(
                    method, url, data=data if upload else None, headers=headers
                ) as resp:
                    if resp.status == 401:
                        challenges = resp.headers.getall("WWW-Authenticate", [])
                        if attempt == 0 and auth.challenged(challenges):
                            continue
                        raise TransferError(9012, f"{url}: the file server refused the credentials")
                    if resp.status in (403, 404, 410):
                        raise TransferError(fail if upload else 9016, f"{url}: HTTP {resp.status}")
                    if resp.status >= 300:
                        raise TransferError(fail, f"{url}: HTTP {resp.status}")
                    if upload:
                        return None
                    return await _stream_to_file(resp, url, max_size, directory)
            except TransferError:
                raise
            except aiohttp.ClientConnectorError as exc:
                raise TransferError(
                    fail if upload else 9015, f"{url}: cannot contact the server: {exc}"
                ) from None
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                raise TransferError(
                    fail if upload else 9017, f"{url}: {type(exc).__name__}: {exc}"
                ) from None
    raise TransferError(9012, f"{url}: authentication did not succeed")


async def fetch(
    url: str,
    username: str = "",
    password: str = "",
    *,
    ssl_ctx: ssl.SSLContext | None = None,
    timeout: float = 300.0,
    max_size: int = 256 * 1024 * 1024,
    directory: Path | None = None,
) -> DownloadedFile:
    """GET a file for Download into a temporary file in ``directory`` (None: the system's).

    ``TransferError`` carries 9010/9012/9013/9015/9016/9017; memory use does not grow with
    the file's size.
    """
    got = await _transfer(
        "GET",
        url,
        username,
        password,
        ssl_ctx=ssl_ctx,
        timeout=timeout,
        max_size=max_size,
        upload=False,
        directory=directory,
    )
    assert got is not None
    return got


async def send(
    url: str,
    data: bytes,
    username: str = "",
    password: str = "",
    *,
    method: str = "PUT",
    content_type: str = "application/octet-stream",
    ssl_ctx: ssl.SSLContext | None = None,
    timeout: float = 300.0,
) -> None:
    """PUT/POST a file for Upload; ``TransferError`` carries 9011/9012/9013."""
    await _transfer(
        method,
        url,
        username,
        password,
        data=data,
        content_type=content_type,
        ssl_ctx=ssl_ctx,
        timeout=timeout,
        max_size=0,
        upload=True,
    )
