"""A private Prosody XMPP server for tests and the built-in conformance run (TR-069 Annex K).

Why a real server: Annex K connection requests go ACS → XMPP server → CPE, and the bench must
show them through a server ACS vendors use, not a mock. Debian's ``prosody`` package is used
as installed (``./dev`` installs it); nothing of the system service is touched: each instance
has its own config file, data, certificate and log in a temporary folder, listens for clients
on one loopback address and port, runs in the foreground (``prosody -F``) as a child process
and is stopped (SIGTERM, then SIGKILL) by :meth:`ProsodyServer.stop`.

Root and normal users alike: ``run_as_root = true`` keeps Prosody from switching to the
``prosody`` system user (which could not read a root-owned temporary folder); as a normal user
the option is inert. Accounts are created with ``prosodyctl --config FILE register`` before
the server starts or while it runs (internal storage is files, which the server re-reads).

TLS: the stream is encrypted (``c2s_require_encryption``) with a certificate for the XMPP
domain made here with ``cryptography``; clients verify it against :attr:`ca_file`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

_DOMAIN_RE = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,250}[a-z0-9])?$")
_USER_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class ProsodyError(RuntimeError):
    """Prosody is missing, or an instance could not be started or configured."""


def prosody_path() -> str | None:
    """The ``prosody`` program, or None when the package is not installed."""
    return shutil.which("prosody") or (
        "/usr/bin/prosody" if Path("/usr/bin/prosody").is_file() else None
    )


def prosodyctl_path() -> str | None:
    return shutil.which("prosodyctl") or (
        "/usr/bin/prosodyctl" if Path("/usr/bin/prosodyctl").is_file() else None
    )


def unavailable_reason() -> str | None:
    """None when an instance can be started here, else why not (for not-applicable reports)."""
    if prosody_path() is None or prosodyctl_path() is None:
        return "the XMPP server prosody is not installed (Debian package prosody; ./dev setup)"
    return None


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _lua(s: str) -> str:
    """A Lua string literal (paths and names from our own temporary folder)."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def make_certificate(domain: str, folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate and key for ``domain`` (subjectAltName DNS and the XMPP
    domain), written to ``folder``; the certificate doubles as the clients' CA file."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=7))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    crt = folder / f"{domain}.crt"
    keyf = folder / f"{domain}.key"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyf.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    os.chmod(keyf, 0o600)
    return crt, keyf


@dataclass
class ProsodyServer:
    """One private Prosody instance: ``await start()``, ``register(user, password)``,
    ``await stop()`` (or ``async with``)."""

    domain: str = "xmpp.printbench.test"
    host: str = "127.0.0.1"
    port: int = 0  # 0: a free port chosen at start
    folder: Path | None = None  # None: a new temporary folder, removed at stop
    startup_timeout: float = 15.0
    ca_file: Path = field(init=False, default=Path())
    _proc: subprocess.Popen[bytes] | None = field(init=False, default=None)
    _own_folder: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        if not _DOMAIN_RE.match(self.domain):
            raise ProsodyError(f"XMPP domain {self.domain!r} is not a lower-case DNS name")

    @property
    def config_file(self) -> Path:
        assert self.folder is not None
        return self.folder / "prosody.cfg.lua"

    @property
    def log_file(self) -> Path:
        assert self.folder is not None
        return self.folder / "prosody.log"

    def _write_config(self, cert: Path, key: Path) -> None:
        assert self.folder is not None
        f = self.folder
        lines = [
            "-- written by printbench.common.prosody: a private test instance",
            "run_as_root = true",
            f"pidfile = {_lua(str(f / 'prosody.pid'))}",
            f"data_path = {_lua(str(f / 'data'))}",
            f"certificates = {_lua(str(f / 'certs'))}",
            'log = { { levels = { min = "info" }, to = "file", filename = '
            f"{_lua(str(self.log_file))} }} }}",
            'modules_enabled = { "roster"; "saslauth"; "tls"; "disco"; "ping"; "posix" }',
            'modules_disabled = { "s2s"; "offline" }',
            f"interfaces = {{ {_lua(self.host)} }}",
            f"c2s_ports = {{ {self.port} }}",
            "c2s_direct_tls_ports = {}",
            "legacy_ssl_ports = {}",
            "s2s_ports = {}",
            "http_ports = {}",
            "https_ports = {}",
            "c2s_require_encryption = true",
            'authentication = "internal_hashed"',
            'storage = "internal"',
            f"ssl = {{ key = {_lua(str(key))}; certificate = {_lua(str(cert))}; }}",
            f"VirtualHost {_lua(self.domain)}",
            "",
        ]
        self.config_file.write_text("\n".join(lines))

    async def start(self) -> None:
        """Write the configuration, start ``prosody -F`` and wait until it accepts clients."""
        why = unavailable_reason()
        if why:
            raise ProsodyError(why)
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="printbench-prosody-"))
            self._own_folder = True
        (self.folder / "data").mkdir(parents=True, exist_ok=True)
        (self.folder / "certs").mkdir(exist_ok=True)
        if not self.port:
            self.port = _free_port(self.host)
        cert = self.folder / "certs" / f"{self.domain}.crt"
        key = self.folder / "certs" / f"{self.domain}.key"
        if not (cert.is_file() and key.is_file()):  # a restart keeps its certificate
            cert, key = make_certificate(self.domain, self.folder / "certs")
        self.ca_file = cert
        self._write_config(cert, key)
        prog = prosody_path()
        assert prog is not None
        self._proc = subprocess.Popen(
            [prog, "-F", "--config", str(self.config_file)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # our own process group: stop() signals only it
        )
        loop = asyncio.get_running_loop()
        end = loop.time() + self.startup_timeout
        while True:
            if self._proc.poll() is not None:
                tail = self._log_tail()
                self._proc = None
                raise ProsodyError(f"prosody exited at start ({self.config_file}): {tail}")
            try:
                _r, w = await asyncio.open_connection(self.host, self.port)
                w.close()
                with contextlib.suppress(Exception):
                    await w.wait_closed()
                break
            except OSError:
                if loop.time() > end:
                    await self.stop()
                    raise ProsodyError(
                        f"prosody did not listen on {self.host}:{self.port} within "
                        f"{self.startup_timeout:.0f} s: {self._log_tail()}"
                    ) from None
                await asyncio.sleep(0.1)
        log.info("prosody for %s on %s:%d (%s)", self.domain, self.host, self.port, self.folder)

    def _log_tail(self) -> str:
        try:
            return " | ".join(self.log_file.read_text(errors="replace").splitlines()[-5:])
        except OSError:
            return "(no log)"

    async def register(self, user: str, password: str) -> str:
        """Create account ``user@domain`` (``prosodyctl register``); returns the bare JID."""
        if not _USER_RE.match(user):
            raise ProsodyError(f"XMPP user name {user!r}: only letters, digits, . _ -")
        if not password or any(c in password for c in "\r\n\0"):
            raise ProsodyError("an XMPP password must be non-empty and on one line")
        ctl = prosodyctl_path()
        if ctl is None:
            raise ProsodyError(unavailable_reason() or "prosodyctl missing")
        proc = await asyncio.create_subprocess_exec(
            ctl, "--config", str(self.config_file), "register", user, self.domain, password,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        out, _ = await proc.communicate()
        if proc.returncode != 0:
            raise ProsodyError(
                f"prosodyctl register {user} {self.domain} failed ({proc.returncode}): "
                f"{out.decode(errors='replace')[-300:]}"
            )
        return f"{user}@{self.domain}"

    async def stop(self, *, keep: bool = False) -> None:
        """Stop the instance (SIGTERM, SIGKILL after 5 s) and remove its own folder, unless
        ``keep``: then ``start()`` brings the same server (port, accounts, certificate) back,
        which is how tests make "the server goes away" and return."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            loop = asyncio.get_running_loop()
            # A throwaway instance (its folder is removed next) need not close its streams
            # gracefully, which took prosody a second with clients connected: a second per
            # built-in target stopped. One that comes back (``keep``) gets its 5 s.
            end = loop.time() + (5.0 if keep else 0.1)
            while proc.poll() is None and loop.time() < end:
                await asyncio.sleep(0.05)
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if not keep and self._own_folder and self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None
            self._own_folder = False

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    async def __aenter__(self) -> ProsodyServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
