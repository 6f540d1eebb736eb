"""HTTP authentication for the stub ACS's servers (CWMP endpoint, file server).

A thin aiohttp adapter: Basic and Digest challenges and verification are ``cwmp.digest``'s (the one implementation of RFC 7616 in printbench). A policy names the mode
and the credentials; ``check`` returns None when the request may proceed, else the 401.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web

from printbench.cwmp import digest

MODES = ("none", "basic", "digest")


@dataclass(frozen=True)
class AuthPolicy:
    mode: str = "none"
    username: str = ""
    password: str = ""

    @classmethod
    def of(cls, mode: str, username: str = "", password: str = "") -> AuthPolicy:
        if mode not in MODES:
            raise ValueError(f"auth mode {mode!r} is not one of {', '.join(MODES)}")
        return cls(mode, username, password)


class HttpAuthenticator:
    """Checks Authorization headers against a policy; issues challenges.

    One ``cwmp.digest.DigestChallenger`` per (username, password) policy, so nonces and nonce
    counts are tracked per credential set; ``now`` comes from the injected monotonic clock.
    """

    def __init__(self, realm: str = "printbench-acs", *, monotonic=time.monotonic) -> None:
        self.realm = realm
        self._now = monotonic
        self._digest: dict[tuple[str, str], digest.DigestChallenger] = {}

    def _challenger(self, policy: AuthPolicy) -> digest.DigestChallenger:
        key = (policy.username, policy.password)
        challenger = self._digest.get(key)
        if challenger is None:
            challenger = digest.DigestChallenger(self.realm, {policy.username: policy.password})
            self._digest[key] = challenger
        return challenger

    def check(self, request: web.Request, policy: AuthPolicy) -> web.Response | None:
        """None if ``request`` may proceed under ``policy``, else the 401 to send."""
        if policy.mode == "none":
            return None
        header = request.headers.get("Authorization")
        if policy.mode == "basic":
            if digest.check_basic(header, {policy.username: policy.password}) is not None:
                return None
            return self._unauthorized(digest.basic_challenge(self.realm), "basic")
        challenger = self._challenger(policy)
        now = self._now()
        result = challenger.verify(request.method, request.path_qs, header, now)
        if result.ok:
            return None
        return self._unauthorized(challenger.challenge(now, stale=result.stale), result.reason)

    @staticmethod
    def _unauthorized(challenge: str, reason: str) -> web.Response:
        return web.Response(
            status=401,
            text=f"authentication required ({reason})\n",
            headers={"WWW-Authenticate": challenge},
        )


def authorization_for(
    challenge: str, method: str, url: str, username: str, password: str
) -> str | None:
    """The Authorization value answering a 401 challenge (Digest preferred, then Basic)."""
    uri = urlsplit(url)
    path = (uri.path or "/") + (f"?{uri.query}" if uri.query else "")
    try:
        return digest.DigestClient(username, password).respond(method, path, challenge)
    except digest.AuthError:
        pass
    if challenge.strip().lower().startswith("basic"):
        return digest.basic_authorization(username, password)
    return None
