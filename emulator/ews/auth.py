"""Administrator sessions and CSRF tokens of the embedded web server (no HTTP here).

A session is bound to the printer it was opened on (the local address of the connection),
because one listener serves many printers: a cookie from printer A must never unlock
printer B. It also remembers a fingerprint of the admin credentials it was opened with, so
changing the admin password on the device (from any face) ends existing sessions. Sessions
expire after ``idle_timeout`` seconds of the device clock without use; the store holds at
most ``max_sessions`` and forgets the least recently used first, so logins cannot exhaust
memory.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections import OrderedDict
from dataclasses import dataclass

from printbench.emulator.state import PrinterState

COOKIE_NAME = "ews_session"
CSRF_FIELD = "_csrf"
CSRF_HEADER = "X-CSRF-Token"
DEFAULT_IDLE_TIMEOUT = 1800.0
DEFAULT_MAX_SESSIONS = 4096


def _fingerprint(state: PrinterState) -> bytes:
    """A digest of the admin credentials (never the password itself) to bind sessions to."""
    blob = f"{state.admin.username}\x00{state.admin.password}".encode("utf-8", "surrogatepass")
    return hashlib.sha256(blob).digest()


def check_credentials(state: PrinterState, username: str, password: str) -> bool:
    """Constant-time comparison of a login against ``state.admin``."""
    try:
        given = f"{username}\x00{password}".encode()
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(hashlib.sha256(given).digest(), _fingerprint(state))


def parse_basic(header: str) -> tuple[str, str] | None:
    """``(username, password)`` from an ``Authorization: Basic ...`` header, or None."""
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic" or not token or len(token) > 1024:
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    username, sep, password = decoded.partition(":")
    return (username, password) if sep else None


@dataclass
class Session:
    token: str
    host: str  # the printer's address the session was opened on
    username: str
    csrf: str
    fingerprint: bytes
    last_used: float


class SessionStore:
    """Login sessions of every printer behind one EWS application."""

    def __init__(
        self, idle_timeout: float = DEFAULT_IDLE_TIMEOUT, max_sessions: int = DEFAULT_MAX_SESSIONS
    ) -> None:
        self.idle_timeout = idle_timeout
        self.max_sessions = max_sessions
        self._sessions: OrderedDict[str, Session] = OrderedDict()

    def __len__(self) -> int:
        return len(self._sessions)

    def open(self, host: str, state: PrinterState, now: float) -> Session:
        """A new session for the admin of ``state`` at ``host`` (credentials already checked)."""
        while len(self._sessions) >= self.max_sessions:
            self._sessions.popitem(last=False)
        session = Session(
            token=secrets.token_urlsafe(32),
            host=host,
            username=state.admin.username,
            csrf=secrets.token_urlsafe(32),
            fingerprint=_fingerprint(state),
            last_used=now,
        )
        self._sessions[session.token] = session
        return session

    def find(self, token: str | None, host: str, state: PrinterState, now: float) -> Session | None:
        """The live session for ``token`` on this printer, refreshed; None if there is none."""
        if not token or len(token) > 128:
            return None
        session = self._sessions.get(token)
        if session is None:
            return None
        if (
            session.host != host
            or now - session.last_used > self.idle_timeout
            or not hmac.compare_digest(session.fingerprint, _fingerprint(state))
        ):
            if session.host == host:
                self._sessions.pop(token, None)  # expired or credentials changed
            return None
        session.last_used = now
        self._sessions.move_to_end(token)
        return session

    def close(self, token: str) -> None:
        self._sessions.pop(token, None)


def csrf_ok(session: Session, given: str | None) -> bool:
    """Whether a posted CSRF token matches the session's (constant time)."""
    if not given or len(given) > 128:
        return False
    return hmac.compare_digest(session.csrf.encode(), given.encode("utf-8", "replace"))
