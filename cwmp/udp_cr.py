"""UDP Connection Request messages (TR-069 Annex G), pure: build, parse, authenticate.

Format (Annex G, wording as quoted from TR-111 Part 2 on public pages, e.g. jianshu.com
"TR-069 Connection Request"; the Annex's own section number was not verified, the PDF is not
in /work/shared): one UDP datagram holding an HTTP 1.1 GET message with no body (a
Content-Length, if any, is 0), whose Request-URI is an absolute URI: scheme ``http``,
authority the CPE's ``UDPConnectionRequestAddress`` (or the destination address and port),
path empty, and a query with

====  =====================================================================================
ts    timestamp: seconds since the Unix epoch when the message was made
id    message ID: an unsigned integer; the same for copies of one request
un    ``ConnectionRequestUsername``
cn    a cnonce: a random string chosen by the ACS
sig   HMAC-SHA1 over ts, id, un and cn concatenated, keyed with ``ConnectionRequestPassword``,
      as 40 hex digits (what GenieACS, icwmp and the Go ACSs in public code send)
====  =====================================================================================

The CPE's side (:class:`UdpCrValidator`): a request is authenticated when ``un`` is the
configured username and ``sig`` verifies; copies of a request (the same ``id``) and requests
older than the newest one accepted are ignored, so an ACS may send several copies and a
captured datagram cannot be replayed. Annex G's text on replays and timestamps was not found;
the rules follow the fields' stated purpose (ts/id/cnonce exist to defeat replay) and are a
bench policy, reported as such, not a quoted MUST. A request that fails is ignored silently:
UDP has no answer to give (Annex G: the CPE does not respond to the datagram; its answer is
the session with ``6 CONNECTION REQUEST``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

MAX_DATAGRAM = 2048  # far above any real request; longer ones are refused unread


class UdpCrError(ValueError):
    """A datagram that is not a UDP Connection Request; the message says why."""


def signature(password: str, ts: str, msg_id: str, username: str, cnonce: str) -> str:
    """``sig``: HMAC-SHA1(key=password, ts + id + un + cn), lower-case hex."""
    text = f"{ts}{msg_id}{username}{cnonce}".encode()
    return hmac.new(password.encode(), text, hashlib.sha1).hexdigest()


@dataclass(frozen=True)
class UdpConnectionRequest:
    authority: str
    ts: str
    id: str
    un: str
    cn: str
    sig: str


def build(
    authority: str,
    username: str,
    password: str,
    *,
    ts: int,
    msg_id: int | None = None,
    cnonce: str | None = None,
    sig: str | None = None,
) -> bytes:
    """The datagram an ACS sends (``sig`` overrides the computed one, for negative tests)."""
    mid = str(msg_id if msg_id is not None else secrets.randbelow(2**32))
    cn = cnonce or secrets.token_hex(8)
    s = sig if sig is not None else signature(password, str(ts), mid, username, cn)
    query = urlencode({"ts": str(ts), "id": mid, "un": username, "cn": cn, "sig": s})
    return f"GET http://{authority}?{query} HTTP/1.1\r\nHost: {authority}\r\n\r\n".encode()


def parse(data: bytes) -> UdpConnectionRequest:
    if len(data) > MAX_DATAGRAM:
        raise UdpCrError(f"{len(data)} bytes is longer than a UDP Connection Request")
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise UdpCrError("not ASCII text") from None
    head, _sep, body = text.partition("\r\n\r\n")
    lines = head.split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or parts[0] != "GET" or not parts[2].startswith("HTTP/1."):
        raise UdpCrError(f"request line {lines[0][:80]!r} is not 'GET <absolute-URI> HTTP/1.1'")
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length" and value.strip() not in ("", "0"):
            raise UdpCrError("Content-Length must be 0 (Annex G: no message body)")
    if body.strip():
        raise UdpCrError("a UDP Connection Request has no body")
    url = urlsplit(parts[1])
    if url.scheme.lower() != "http" or not url.netloc:
        raise UdpCrError(f"Request-URI {parts[1][:80]!r} is not an absolute http URI")
    # Annex G: the path MUST be empty. Accepted with "/" as well (some ACSs send it).
    if url.path not in ("", "/"):
        raise UdpCrError(f"Request-URI path {url.path!r} must be empty")
    q = parse_qs(url.query, keep_blank_values=True)
    missing = [k for k in ("ts", "id", "un", "cn", "sig") if len(q.get(k, [])) != 1]
    if missing:
        raise UdpCrError(f"query lacks (or repeats) {', '.join(missing)}")
    ts, mid = q["ts"][0], q["id"][0]
    if not ts.isdigit() or not mid.isdigit():
        raise UdpCrError("ts and id must be unsigned integers")
    return UdpConnectionRequest(url.netloc, ts, mid, q["un"][0], q["cn"][0], q["sig"][0].lower())


class UdpCrValidator:
    """The CPE's memory of accepted requests (see the module docstring for the rules)."""

    def __init__(self, remember: int = 256) -> None:
        self.remember = remember
        self._seen: OrderedDict[str, None] = OrderedDict()
        self.newest_ts = -1

    def check(
        self,
        req: UdpConnectionRequest,
        username: str,
        password: str,
        *,
        verify_signature: bool = True,
        reject_replays: bool = True,
    ) -> str | None:
        """None when the request is accepted (and remembered), else why it is ignored."""
        if verify_signature:
            if not username:
                return "no ConnectionRequestUsername configured"
            if req.un != username:
                return f"un {req.un!r} is not the ConnectionRequestUsername"
            want = signature(password, req.ts, req.id, req.un, req.cn)
            if not hmac.compare_digest(want, req.sig):
                return "sig does not verify (HMAC-SHA1 with ConnectionRequestPassword)"
        if reject_replays:
            if req.id in self._seen:
                return f"id {req.id} already seen (a copy or a replay)"
            if int(req.ts) < self.newest_ts:
                return f"ts {req.ts} is older than the newest accepted ({self.newest_ts})"
        self._seen[req.id] = None
        while len(self._seen) > self.remember:
            self._seen.popitem(last=False)
        self.newest_ts = max(self.newest_ts, int(req.ts))
        return None
