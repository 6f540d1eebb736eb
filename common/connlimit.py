"""Caps on open connections per client address and in total, for every TCP face (issue 17).

A peer that opens connections and keeps them (idle keep-alives, slow heads inside their
timeout) holds a descriptor and buffers each; without a cap one client can take every
descriptor of a fleet worker. Each face's listener owns one :class:`ConnectionLimiter`;
a connection past either cap is answered at once with ``503 Service Unavailable`` and
``Retry-After`` (RFC 9110 §15.6.4: the server "is currently unable to handle the request
due to a temporary overload"; §10.2.3: Retry-After says how long to wait) and closed, so a
client learns why instead of timing out.

Pure bookkeeping (no I/O): the adapters (``common/httpguard.py`` for the aiohttp faces,
``emulator/ipp/server.py``) call :meth:`acquire` in ``connection_made`` and
:meth:`release` in ``connection_lost``.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Defaults (docs/emulator.md "Connection caps"): generous for any real client or poller
#: (CUPS keeps 1-2 connections per printer; a fleet poller well under 100), far below the
#: process's descriptor limit.
CONNS_PER_CLIENT = 128
CONNS_TOTAL = 2048
RETRY_AFTER = 5  # seconds a refused client is asked to wait


@dataclass(frozen=True, slots=True)
class ConnectionCaps:
    """How many connections one client address, and all together, may hold open on one
    face (0: no cap), and the Retry-After (seconds) of the refusal."""

    per_client: int = CONNS_PER_CLIENT
    total: int = CONNS_TOTAL
    retry_after: int = RETRY_AFTER


class ConnectionLimiter:
    """Counts open connections per client address and in total against :class:`ConnectionCaps`."""

    def __init__(self, caps: ConnectionCaps | None = None) -> None:
        self.caps = caps or ConnectionCaps()
        self.open = 0
        self.by_client: dict[str, int] = {}
        self.refused = 0  # connections refused at a cap so far

    def acquire(self, client: str) -> bool:
        """Count a new connection from ``client`` (a :func:`client_key`); False (nothing
        counted) past a cap."""
        caps = self.caps
        held = self.by_client.get(client, 0)
        if (caps.total and self.open >= caps.total) or (
            caps.per_client and held >= caps.per_client
        ):
            self.refused += 1
            return False
        self.open += 1
        self.by_client[client] = held + 1
        return True

    def release(self, client: str) -> None:
        """A connection counted by :meth:`acquire` closed."""
        held = self.by_client.get(client, 0)
        if held <= 1:
            self.by_client.pop(client, None)
        else:
            self.by_client[client] = held - 1
        self.open = max(0, self.open - 1)

    def refusal(self) -> bytes:
        """The answer at the cap: HTTP 503 with Retry-After, then the connection closes."""
        body = b"too many connections; retry later\n"
        return (
            b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: %d\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\n"
            b"Connection: close\r\n\r\n" % (self.caps.retry_after, len(body))
        ) + body


def peer_host(transport: object) -> str:
    """The client address of a transport ("?" when unknown)."""
    get = getattr(transport, "get_extra_info", None)
    peer = get("peername") if get is not None else None
    return str(peer[0]) if peer else "?"


def client_key(transport: object) -> str:
    """What a per-client cap counts: the client address *and* the local address it reached.
    A fleet worker serves many printers on one listener; each printer has its own caps, as
    a real one would, so a client that fills one printer's share does not lock the same
    client (a poller behind the same address) out of the others."""
    get = getattr(transport, "get_extra_info", None)
    local = get("sockname") if get is not None else None
    return f"{peer_host(transport)}>{local[0] if local else '?'}"
