"""HTTP Digest (RFC 7616, RFC 2617 compatible) and Basic authentication, both directions.

TR-069 needs digest in two places: the CPE authenticating to the ACS (the ACS challenges, the
CPE answers) and the ACS authenticating a Connection Request (the CPE challenges, the ACS
answers). Both sides live here as pure code: nonces, cnonces and the clock are injected, so
tests can expire a nonce without waiting and the embedded client, the stub ACS and the proxy
share one implementation.

Supported: algorithms MD5 (TR-069 MUST), MD5-sess (TR-069: the CPE MUST support it), SHA-256
and SHA-256-sess (RFC 7616); qop ``auth`` (TR-069 MUST), ``auth-int`` and the qop-less RFC 2069
form that some old CPEs still send. Not supported: ``userhash``, ``username*`` (RFC 7616 3.4.4),
SHA-512-256; the challenger then answers 401 and says why in ``DigestResult.reason``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

_HASHES: dict[str, Callable[[bytes], str]] = {
    "MD5": lambda b: hashlib.md5(b, usedforsecurity=False).hexdigest(),
    "SHA-256": lambda b: hashlib.sha256(b).hexdigest(),
}
ALGORITHMS = ("MD5", "MD5-sess", "SHA-256", "SHA-256-sess")
_UNQUOTED = {"algorithm", "qop", "nc", "stale"}  # RFC 7616: these are sent as tokens


class AuthError(ValueError):
    """A header cannot be parsed or a challenge cannot be answered."""


# -- header syntax ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Challenge:
    """One auth scheme with its parameters (names lower-cased) or its token68."""

    scheme: str
    params: Mapping[str, str] = field(default_factory=dict)
    token68: str | None = None

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.params.get(key, default)


_TOKEN68_RE = re.compile(r"([A-Za-z0-9._~+/-]+=*)[ \t]*(?=,|$)")
_TCHAR = set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _token(s: str, i: int) -> tuple[str, int]:
    j = i
    while j < len(s) and s[j] in _TCHAR:
        j += 1
    return s[i:j], j


def _ws(s: str, i: int) -> int:
    while i < len(s) and s[i] in " \t":
        i += 1
    return i


def _quoted(s: str, i: int) -> tuple[str, int]:
    assert s[i] == '"'
    out = []
    i += 1
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            out.append(s[i + 1])
            i += 2
            continue
        if c == '"':
            return "".join(out), i + 1
        out.append(c)
        i += 1
    raise AuthError("unterminated quoted string in an authentication header")


def parse_challenges(header: str) -> list[Challenge]:
    """Parse a WWW-Authenticate (or Authorization) value into its challenges.

    Handles several challenges in one header, quoted strings with escapes, token68 and
    empty list elements; raises AuthError with the position of a syntax error.
    """
    out: list[Challenge] = []
    s = header
    i = 0
    n = len(s)
    while True:
        while i < n and s[i] in " \t,":
            i += 1
        if i >= n:
            return out
        scheme, i = _token(s, i)
        if not scheme:
            raise AuthError(f"expected an auth scheme at position {i} of {header!r}")
        params: dict[str, str] = {}
        token68 = None
        j = _ws(s, i)
        if j > i and j < n and s[j] != ",":
            i = j
            m68 = _TOKEN68_RE.match(s, i)
            if m68:
                token68 = m68.group(1)
                i = m68.end(1)
            if token68 is None:
                while True:
                    start = i
                    name, i = _token(s, i)
                    i = _ws(s, i)
                    if not name or i >= n or s[i] != "=":
                        i = start  # not a parameter: the next challenge starts here
                        break
                    i = _ws(s, i + 1)
                    if i < n and s[i] == '"':
                        value, i = _quoted(s, i)
                    else:
                        value, i = _token(s, i)
                    params[name.lower()] = value
                    i = _ws(s, i)
                    if i >= n:
                        break
                    if s[i] != ",":
                        raise AuthError(f"expected ',' at position {i} of {header!r}")
                    # skip commas; stop if what follows is a new scheme rather than a param
                    while i < n and s[i] in " \t,":
                        i += 1
                    if i >= n:
                        break
                    name2, k2 = _token(s, i)
                    k2 = _ws(s, k2)
                    if not name2 or k2 >= n or s[k2] != "=":
                        break
        else:
            i = j
        out.append(Challenge(scheme, params, token68))


def _quote(v: str) -> str:
    return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _format(scheme: str, params: Mapping[str, str]) -> str:
    parts = [f"{k}={v if k in _UNQUOTED else _quote(v)}" for k, v in params.items()]
    return f"{scheme} " + ", ".join(parts)


# -- the digest computation ---------------------------------------------------------------------


def _hash_for(algorithm: str) -> Callable[[bytes], str]:
    base = algorithm.upper().removesuffix("-SESS")
    h = _HASHES.get(base)
    if h is None or algorithm.upper() not in {a.upper() for a in ALGORITHMS}:
        raise AuthError(
            f"unsupported digest algorithm {algorithm!r} (supported: {', '.join(ALGORITHMS)})"
        )
    return h


def digest_response(
    *,
    algorithm: str,
    username: str,
    realm: str,
    password: str,
    method: str,
    uri: str,
    nonce: str,
    cnonce: str = "",
    nc: str = "",
    qop: str = "",
    body: bytes = b"",
) -> str:
    """The ``response`` value of RFC 7616 section 3.4.1 (RFC 2069 form when qop is empty)."""
    h = _hash_for(algorithm)
    ha1 = h(f"{username}:{realm}:{password}".encode())
    if algorithm.upper().endswith("-SESS"):
        ha1 = h(f"{ha1}:{nonce}:{cnonce}".encode())
    a2 = f"{method}:{uri}"
    if qop == "auth-int":
        a2 += ":" + h(body)
    ha2 = h(a2.encode())
    if qop:
        return h(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}".encode())
    return h(f"{ha1}:{nonce}:{ha2}".encode())


# -- challenger (server side) -------------------------------------------------------------------


@dataclass(frozen=True)
class DigestResult:
    """Outcome of checking an Authorization header.

    ``ok``: authenticated as ``username``. Otherwise answer 401 with a fresh challenge,
    with ``stale=true`` when ``stale`` is set (right credentials, expired or unknown nonce).
    """

    ok: bool
    username: str | None = None
    stale: bool = False
    reason: str = ""


@dataclass
class _NonceState:
    created: float
    last_nc: int = 0  # highest nc seen with qop; 0 after a qop-less use; -1 forgotten


def _default_nonce() -> str:
    return secrets.token_urlsafe(24)


class DigestChallenger:
    """Issues digest challenges and verifies Authorization headers.

    ``credentials`` maps a username to its password (a dict or a callable returning None for
    unknown users). ``nonce_lifetime`` seconds after issue a nonce is stale. For TR-069's "new
    nonce per connection", call ``challenge`` per connection and ``forget`` the nonce when the
    connection closes.

    Nonces are stateless (issue 17): ``<random>.<issue time>.<HMAC-SHA-256 of both>`` under a
    per-challenger key, the construction RFC 7616 §3.3 suggests (a nonce built from a time
    stamp and a private key, so the server can check it without storing it). Issuing one
    stores nothing, so unauthenticated requests (any number) cannot push a valid nonce out
    of a table; a nonce whose MAC does not check (another key: a restarted server) or that is
    older than ``nonce_lifetime`` is stale.

    Replay (RFC 7616 §5.5, RFC 2617 §4.5): only nonces used by an *authenticated* request are
    tracked, at most ``max_nonces`` of them. With qop the nonce count must grow with every
    request on a nonce; without qop (RFC 2069 clients, only accepted when ``allow_no_qop``)
    there is no count, so a qop-less digest may use its nonce once. When the tracked table
    is full the oldest entry goes, and every nonce issued no later than it counts as stale
    from then on: an untracked nonce is never accepted twice.
    """

    def __init__(
        self,
        realm: str,
        credentials: Mapping[str, str] | Callable[[str], str | None],
        *,
        algorithm: str = "MD5",
        qop: tuple[str, ...] = ("auth",),
        nonce_lifetime: float = 300.0,
        nonce_factory: Callable[[], str] = _default_nonce,
        opaque: str | None = None,
        allow_no_qop: bool = True,
        max_nonces: int = 10_000,
        key: bytes | None = None,
    ) -> None:
        _hash_for(algorithm)
        for q in qop:
            if q not in ("auth", "auth-int"):
                raise ValueError(f"unsupported qop {q!r}")
        self.realm = realm
        self._lookup = credentials.get if isinstance(credentials, Mapping) else credentials
        self.algorithm = algorithm
        self.qop = tuple(qop)
        self.nonce_lifetime = nonce_lifetime
        self._nonce_factory = nonce_factory
        self.opaque = opaque if opaque is not None else nonce_factory()
        self.allow_no_qop = allow_no_qop
        self.max_nonces = max_nonces
        self._key = key if key is not None else secrets.token_bytes(32)
        #: nonces used by an authenticated request (first use order), for replay checks
        self._used: OrderedDict[str, _NonceState] = OrderedDict()
        self._floor_ms: int | None = None  # nonces issued at or before it are stale

    def _sign(self, body: str) -> str:
        mac = hmac.new(self._key, body.encode(), hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    def _issued_ms(self, nonce: str) -> int | None:
        """The issue time (ms) of a nonce this challenger signed, or None."""
        head, sep, mac = nonce.rpartition(".")
        if not sep or not hmac.compare_digest(self._sign(head), mac):
            return None
        try:
            return int(head.rpartition(".")[2], 16)
        except ValueError:
            return None

    def tracked_nonces(self) -> int:
        """How many used nonces are kept for replay checks (at most ``max_nonces``)."""
        return len(self._used)

    def challenge(self, now: float, *, stale: bool = False) -> str:
        """A WWW-Authenticate value with a fresh nonce (nothing is stored)."""
        body = f"{self._nonce_factory()}.{int(now * 1000):x}"
        nonce = f"{body}.{self._sign(body)}"
        params: dict[str, str] = {"realm": self.realm}
        if self.qop:
            params["qop"] = ",".join(self.qop)
        params["algorithm"] = self.algorithm
        params["nonce"] = nonce
        params["opaque"] = self.opaque
        if stale:
            params["stale"] = "true"
        out = _format("Digest", params)
        if self.qop:  # RFC 7616 quotes qop-options in challenges
            out = out.replace(f"qop={params['qop']}", f'qop="{params["qop"]}"', 1)
        return out

    def forget(self, nonce: str) -> None:
        """Refuse ``nonce`` from now on (stale): the connection it was issued for closed."""
        issued = self._issued_ms(nonce)
        if issued is not None:
            self._track(nonce, _NonceState(issued / 1000, last_nc=-1), issued)

    def _track(self, nonce: str, state: _NonceState, issued_ms: int) -> None:
        self._used[nonce] = state
        while len(self._used) > self.max_nonces:
            _old, evicted = self._used.popitem(last=False)
            floor = int(evicted.created * 1000)
            self._floor_ms = floor if self._floor_ms is None else max(self._floor_ms, floor)

    def verify(
        self, method: str, uri: str, authorization: str | None, now: float, body: bytes = b""
    ) -> DigestResult:
        """Check an Authorization header for a request ``method uri`` at time ``now``."""
        if not authorization:
            return DigestResult(False, reason="no Authorization header")
        try:
            creds = [c for c in parse_challenges(authorization) if c.scheme.lower() == "digest"]
        except AuthError as exc:
            return DigestResult(False, reason=str(exc))
        if not creds:
            return DigestResult(False, reason="Authorization is not Digest")
        p = creds[0].params
        for key in ("username", "realm", "nonce", "uri", "response"):
            if key not in p:
                return DigestResult(False, reason=f"Authorization lacks {key}")
        username = p["username"]
        if p.get("userhash", "false").lower() == "true" or "username*" in p:
            return DigestResult(False, username, reason="userhash/username* are not supported")
        if p["realm"] != self.realm:
            return DigestResult(
                False, username, reason=f"realm {p['realm']!r} is not {self.realm!r}"
            )
        algorithm = p.get("algorithm", "MD5")
        if algorithm.upper() != self.algorithm.upper():
            return DigestResult(False, username, reason=f"algorithm {algorithm!r} was not offered")
        if "opaque" in p and p["opaque"] != self.opaque:
            return DigestResult(False, username, reason="opaque does not match")
        if not _same_uri(p["uri"], uri):
            return DigestResult(
                False, username, reason=f"uri {p['uri']!r} is not the request {uri!r}"
            )
        qop = p.get("qop", "")
        nc_text = p.get("nc", "")
        cnonce = p.get("cnonce", "")
        if qop:
            if qop not in self.qop:
                return DigestResult(False, username, reason=f"qop {qop!r} was not offered")
            if not nc_text or not cnonce:
                return DigestResult(False, username, reason="qop given without nc and cnonce")
            try:
                nc = int(nc_text, 16)
            except ValueError:
                return DigestResult(False, username, reason=f"nc {nc_text!r} is not hexadecimal")
        else:
            if self.qop and not self.allow_no_qop:
                return DigestResult(False, username, reason="qop is required")
            nc = 0
            if algorithm.upper().endswith("-SESS") and not cnonce:
                return DigestResult(False, username, reason="-sess algorithm without cnonce")
        password = self._lookup(username)
        if password is None:
            return DigestResult(False, username, reason=f"unknown user {username!r}")
        try:
            expected = digest_response(
                algorithm=algorithm,
                username=username,
                realm=self.realm,
                password=password,
                method=method,
                uri=p["uri"],
                nonce=p["nonce"],
                cnonce=cnonce,
                nc=nc_text,
                qop=qop,
                body=body,
            )
        except AuthError as exc:
            return DigestResult(False, username, reason=str(exc))
        if not hmac.compare_digest(expected, p["response"].lower()):
            return DigestResult(False, username, reason="wrong response (bad password?)")
        nonce = p["nonce"]
        issued = self._issued_ms(nonce)
        if (
            issued is None
            or now - issued / 1000 > self.nonce_lifetime
            or (self._floor_ms is not None and issued <= self._floor_ms)
        ):
            # Right credentials on a nonce we no longer honour: RFC 7616 says stale=true,
            # so the client retries with the new nonce without asking the user again.
            self._used.pop(nonce, None)
            return DigestResult(False, username, stale=True, reason="stale nonce")
        state = self._used.get(nonce)
        if state is not None and state.last_nc < 0:
            return DigestResult(False, username, stale=True, reason="nonce forgotten")
        if not qop:
            if state is not None:  # no nonce count to tell a replay: one use per nonce
                return DigestResult(
                    False, username, stale=True, reason="digest without qop replayed"
                )
            self._track(nonce, _NonceState(issued / 1000), issued)
            return DigestResult(True, username)
        if state is None:
            self._track(nonce, _NonceState(issued / 1000, last_nc=nc), issued)
        elif nc <= state.last_nc:
            return DigestResult(
                False,
                username,
                reason=f"nonce count {nc_text} replayed (last {state.last_nc:08x})",
            )
        else:
            state.last_nc = nc
        return DigestResult(True, username)


def _same_uri(header_uri: str, request_uri: str) -> bool:
    if header_uri == request_uri:
        return True

    def norm(u: str) -> str:
        parts = urlsplit(u)
        path = parts.path or "/"
        return path + ("?" + parts.query if parts.query else "")

    return norm(header_uri) == norm(request_uri)


# -- client side --------------------------------------------------------------------------------


def _default_cnonce() -> str:
    return secrets.token_hex(8)


class DigestClient:
    """Answers digest challenges: keeps the last challenge and a nonce count per nonce."""

    def __init__(
        self,
        username: str,
        password: str,
        *,
        cnonce_factory: Callable[[], str] = _default_cnonce,
    ) -> None:
        self.username = username
        self.password = password
        self._cnonce_factory = cnonce_factory
        self.challenge: Challenge | None = None
        self._nc: dict[str, int] = {}

    def accept(self, www_authenticate: str | Challenge) -> Challenge:
        """Remember the first Digest challenge we can answer (raise AuthError if none)."""
        if isinstance(www_authenticate, Challenge):
            candidates = [www_authenticate]
        else:
            candidates = parse_challenges(www_authenticate)
        problems = []
        for ch in candidates:
            if ch.scheme.lower() != "digest":
                continue
            alg = ch.get("algorithm", "MD5") or "MD5"
            try:
                _hash_for(alg)
            except AuthError as exc:
                problems.append(str(exc))
                continue
            if "nonce" not in ch.params or "realm" not in ch.params:
                problems.append("digest challenge without realm or nonce")
                continue
            qops = _qops(ch)
            if ch.get("qop") is not None and not qops & {"auth", "auth-int"}:
                problems.append(f"no supported qop in {ch.get('qop')!r}")
                continue
            self.challenge = ch
            return ch
        raise AuthError(
            "no usable Digest challenge" + (": " + "; ".join(problems) if problems else "")
        )

    def authorization(self, method: str, uri: str, body: bytes = b"") -> str:
        """An Authorization value for the accepted challenge (nc grows per request)."""
        ch = self.challenge
        if ch is None:
            raise AuthError("no challenge accepted yet")
        nonce = ch.params["nonce"]
        realm = ch.params["realm"]
        algorithm = ch.get("algorithm", "MD5") or "MD5"
        qops = _qops(ch)
        qop = "auth" if "auth" in qops else ("auth-int" if "auth-int" in qops else "")
        params: dict[str, str] = {
            "username": self.username,
            "realm": realm,
            "nonce": nonce,
            "uri": uri,
        }
        cnonce = ""
        nc_text = ""
        if qop or algorithm.upper().endswith("-SESS"):
            cnonce = self._cnonce_factory()
        if qop:
            n = self._nc.get(nonce, 0) + 1
            self._nc = {nonce: n}  # one nonce at a time: old counts are useless
            nc_text = f"{n:08x}"
        response = digest_response(
            algorithm=algorithm,
            username=self.username,
            realm=realm,
            password=self.password,
            method=method,
            uri=uri,
            nonce=nonce,
            cnonce=cnonce,
            nc=nc_text,
            qop=qop,
            body=body,
        )
        if "algorithm" in ch.params:
            params["algorithm"] = algorithm
        params["response"] = response
        if "opaque" in ch.params:
            params["opaque"] = ch.params["opaque"]
        if qop:
            params["qop"] = qop
            params["nc"] = nc_text
        if cnonce:
            params["cnonce"] = cnonce
        return _format("Digest", params)

    def respond(self, method: str, uri: str, www_authenticate: str, body: bytes = b"") -> str:
        """Accept a challenge and answer it in one step."""
        self.accept(www_authenticate)
        return self.authorization(method, uri, body)


def _qops(ch: Challenge) -> set[str]:
    raw = ch.get("qop")
    return {q.strip() for q in raw.split(",") if q.strip()} if raw else set()


# -- Basic --------------------------------------------------------------------------------------


def basic_challenge(realm: str) -> str:
    return f'Basic realm={_quote(realm)}, charset="UTF-8"'


def basic_authorization(username: str, password: str) -> str:
    raw = f"{username}:{password}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def parse_basic(authorization: str | None) -> tuple[str, str] | None:
    """``(username, password)`` from a Basic Authorization value, or None if it is not one."""
    if not authorization:
        return None
    scheme, _, rest = authorization.strip().partition(" ")
    if scheme.lower() != "basic" or not rest.strip():
        return None
    try:
        raw = base64.b64decode(rest.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    user, sep, password = raw.partition(":")
    return (user, password) if sep else None


def check_basic(
    authorization: str | None, credentials: Mapping[str, str] | Callable[[str], str | None]
) -> str | None:
    """The authenticated username, or None."""
    parsed = parse_basic(authorization)
    if parsed is None:
        return None
    lookup = credentials.get if isinstance(credentials, Mapping) else credentials
    expected = lookup(parsed[0])
    if expected is None or not hmac.compare_digest(expected.encode(), parsed[1].encode()):
        return None
    return parsed[0]
