"""Judging a Connection Request: digest authentication and the rate limit (no sockets).

The HTTP listener (``cwmp_cpe.connreq``, or an adapter such as the proxy) passes the
method, URI and Authorization header; the gate answers with an HTTP status and headers and,
when the request is accepted, the runtime queues ``6 CONNECTION REQUEST``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from printbench.cwmp import digest
from printbench.cwmp_cpe.settings import Settings


class ConnectionRequestGate:
    """One CPE's Connection Request authenticator and rate limiter."""

    def __init__(
        self,
        realm: str,
        settings: Callable[[], Settings],
        monotonic: Callable[[], float],
        limits: Callable[[], tuple[int, float]],
    ) -> None:
        self._settings = settings
        self._monotonic = monotonic
        #: (requests, seconds) read at each request: a bench raises the CPE's
        #: ``config.cr_rate_limit`` after construction (conformance built-in target).
        self._limits = limits
        self._times: deque[float] = deque()
        self._challenger = digest.DigestChallenger(realm, self._password)

    def forget(self) -> None:
        """Clear the rate limiter's memory, as if its window had passed (test benches)."""
        self._times.clear()

    def authenticate(
        self, method: str, uri: str, authorization: str | None
    ) -> tuple[int, dict[str, str]] | None:
        """None when the ACS is authenticated, else the answer (405, or 401 + challenge).

        TR-069 §3.2.2: "The CPE MUST use digest-authentication to authenticate the ACS before
        proceeding - the CPE MUST NOT initiate a connection to the ACS due to an
        unsuccessfully authenticated request." An empty ConnectionRequestUsername means no
        credentials are configured: every request is refused (401), never accepted.
        """
        if method != "GET":
            return 405, {"Allow": "GET"}
        s = self._settings()
        now = self._monotonic()
        ch = self._challenger
        if not s.cr_username:
            return 401, {"WWW-Authenticate": ch.challenge(now)}
        result = ch.verify("GET", uri, authorization, now)
        if not result.ok:
            return 401, {"WWW-Authenticate": ch.challenge(now, stale=result.stale)}
        return None

    def admit(self) -> tuple[int, dict[str, str]] | None:
        """After authentication: None to accept, or 503 when CWMP is off or the rate limit
        is reached (TR-069 §3.2.2: SHOULD restrict the number accepted, MUST answer 503)."""
        s = self._settings()
        if not s.enabled or not s.url:
            return 503, {}
        now = self._monotonic()
        limit, window = self._limits()
        while self._times and self._times[0] <= now - window:
            self._times.popleft()
        if len(self._times) >= limit:
            return 503, {}
        self._times.append(now)
        return None

    def _password(self, user: str) -> str | None:
        s = self._settings()
        return s.cr_password if user == s.cr_username else None
