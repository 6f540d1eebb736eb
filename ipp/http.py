"""A small HTTP/1.1 request parser for the IPP face (RFC 9112). Pure: bytes in, events out.

Why not aiohttp's server: for the monitoring poll (a few attributes, keep-alive) aiohttp's
request/response machinery costs ~80 µs per request, four times the IPP work itself. The IPP
face needs only a sliver of HTTP: POST with a body (Content-Length or chunked; ipptool sends
chunked), ``Expect: 100-continue``, keep-alive and pipelining. This parser does that and
refuses everything else with a precise status:

* 400: a malformed request line, header line, chunk or Content-Length; bare CR or LF; obsolete
  line folding; Content-Length together with Transfer-Encoding (request smuggling); a repeated
  Host or differing Content-Lengths;
* 413: a body over ``max_body``; 431: a head over ``max_head`` bytes or ``max_headers`` lines;
* 417: an expectation other than 100-continue; 501: a transfer coding other than chunked;
  505: an HTTP version other than 1.0 and 1.1.

After an error the parser accepts nothing more: the connection is answered and closed.
Every step consumes input or waits for more, and every buffer is capped, so a peer can neither
hang the parser nor grow its memory without bound.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_HEAD = 16 * 1024
MAX_HEADERS = 100
MAX_CHUNK_LINE = 1024

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_TARGET = re.compile(rb"[\x21-\x7e]+")
# header lines: token ":" field-value (visible ASCII, SP, HTAB, obs-text), each ending in CRLF
_FIELDS = re.compile(rb"(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t\x20-\x7e\x80-\xff]*\r\n)*")
_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}")
_VERSION = re.compile(rb"HTTP/[0-9]\.[0-9]")

REASONS = {
    100: "Continue",
    200: "OK",
    401: "Unauthorized",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    413: "Content Too Large",
    417: "Expectation Failed",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
    505: "HTTP Version Not Supported",
}


class HttpError(Exception):
    """The request cannot be parsed: answer ``status`` with ``message`` and close."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(slots=True)
class Head:
    """A parsed request head: only what the IPP face needs is kept."""

    method: bytes
    path: str  # without query
    version: bytes  # b"HTTP/1.1" or b"HTTP/1.0"
    host: str
    content_type: str  # media type, lower case, parameters dropped ("" when absent)
    keep_alive: bool
    expect_continue: bool
    length: int  # Content-Length, or -1 for chunked
    authorization: str = ""  # the Authorization header (RFC 9110 §11.6.2), "" when absent


# parser states
_HEAD, _BODY, _CHUNK_SIZE, _CHUNK_DATA, _TRAILER, _DEAD = range(6)


class RequestParser:
    """Feed it bytes; take events: a :class:`Head`, then the complete body (``bytes``).

    ``feed`` appends to the buffer; ``next_event`` returns the next event or None when more
    bytes are needed. Requests are returned strictly in order (pipelining is safe), and the
    parser reads no further than the end of the current body until its body has been taken.
    """

    __slots__ = (
        "_chunks",
        "_remaining",
        "_scan",
        "_total",
        "buf",
        "max_body",
        "max_head",
        "state",
    )

    def __init__(self, *, max_body: int, max_head: int = MAX_HEAD) -> None:
        self.buf = bytearray()
        self.state = _HEAD
        self.max_body = max_body
        self.max_head = max_head
        self._scan = 0  # where to resume looking for the end of the head/line
        self._remaining = 0
        self._chunks: list[bytes] = []
        self._total = 0

    @property
    def idle(self) -> bool:
        """No request in progress: nothing buffered and waiting for a new head."""
        return self.state == _HEAD and not self.buf

    @property
    def in_head(self) -> bool:
        return self.state == _HEAD

    def feed(self, data: bytes) -> None:
        self.buf += data

    def next_event(self) -> Head | bytes | None:
        """The next :class:`Head` or body, or None; raises :class:`HttpError` on bad input."""
        try:
            state = self.state
            if state == _HEAD:
                return self._head()
            if state == _BODY:
                return self._body()
            if state == _DEAD:
                return None
            return self._chunked()
        except HttpError:
            self.state = _DEAD
            self.buf.clear()
            raise

    # -- head ----------------------------------------------------------------------------

    def _head(self) -> Head | None:
        buf = self.buf
        if not buf:
            return None
        end = buf.find(b"\r\n\r\n", self._scan)
        if end < 0:
            if len(buf) > self.max_head:
                raise HttpError(431, f"request head longer than {self.max_head} bytes")
            if buf.find(b"\n\n", max(0, self._scan - 1)) >= 0:
                raise HttpError(400, "header lines must end in CRLF")
            self._scan = max(0, len(buf) - 3)
            return None
        if end + 4 > self.max_head:
            raise HttpError(431, f"request head longer than {self.max_head} bytes")
        head = bytes(buf[:end])
        del buf[: end + 4]
        self._scan = 0
        fields = head.partition(b"\r\n")[2]
        if fields and not _FIELDS.fullmatch(fields + b"\r\n"):
            self._bad_field(fields)
        lines = head.split(b"\r\n")
        if len(lines) > MAX_HEADERS + 1:
            raise HttpError(431, f"more than {MAX_HEADERS} header lines")
        parts = lines[0].split(b" ")
        if len(parts) != 3:
            raise HttpError(400, "request line must be METHOD SP target SP HTTP-version")
        method, target, version = parts
        if not _TOKEN.fullmatch(method):
            raise HttpError(400, "bad method in request line")
        if not _TARGET.fullmatch(target):
            raise HttpError(400, "bad request target")
        if version != b"HTTP/1.1" and version != b"HTTP/1.0":
            if _VERSION.fullmatch(version):
                raise HttpError(505, f"HTTP version {version.decode()} is not supported")
            raise HttpError(400, "bad HTTP version in request line")
        if target[:1] != b"/":
            # absolute-form (RFC 9112 §3.2.2): keep the path only
            scheme, sep, rest = target.partition(b"://")
            if not sep or scheme.lower() not in (b"http", b"https", b"ipp"):
                raise HttpError(400, "request target must be a path or an absolute http URI")
            slash = rest.find(b"/")
            target = rest[slash:] if slash >= 0 else b"/"
        path = target.split(b"?", 1)[0].decode("ascii")
        keep_alive = version == b"HTTP/1.1"
        host: str | None = None
        content_type = ""
        length: int | None = None
        chunked = False
        expect = False
        authorization = ""
        for line in lines[1:]:  # already checked by _FIELDS
            name, _, value = line.partition(b":")
            value = value.strip(b" \t")
            key = name.lower()
            if key == b"content-length":
                if not value.isdigit() or len(value) > 18:
                    raise HttpError(400, "Content-Length must be a decimal number")
                n = int(value)
                if length is not None and n != length:
                    raise HttpError(400, "differing Content-Length headers")
                length = n
            elif key == b"transfer-encoding":
                codings = [c.strip(b" \t").lower() for c in value.split(b",")]
                if codings != [b"chunked"] or chunked:
                    raise HttpError(
                        501, f"transfer coding {value.decode('latin-1')!r} is not supported"
                    )
                chunked = True
            elif key == b"host":
                if host is not None:
                    raise HttpError(400, "more than one Host header")
                host = value.decode("latin-1")
            elif key == b"content-type":
                content_type = value.split(b";", 1)[0].strip(b" \t").lower().decode("latin-1")
            elif key == b"connection":
                tokens = value.lower()
                if b"close" in tokens:
                    keep_alive = False
                elif b"keep-alive" in tokens:
                    keep_alive = True
            elif key == b"authorization":
                authorization = value.decode("latin-1")
            elif key == b"expect":
                if value.lower() != b"100-continue":
                    raise HttpError(
                        417, f"expectation {value.decode('latin-1')!r} is not supported"
                    )
                expect = version == b"HTTP/1.1"
        if chunked and length is not None:
            raise HttpError(400, "Content-Length together with Transfer-Encoding")
        if chunked:
            self.state = _CHUNK_SIZE
            self._chunks = []
            self._total = 0
            length = -1
        else:
            length = length or 0
            if length > self.max_body:
                raise HttpError(413, f"body of {length} bytes is over the {self.max_body} limit")
            self.state = _BODY
            self._remaining = length
        return Head(
            method, path, version, host or "", content_type, keep_alive, expect, length,
            authorization,
        )  # fmt: skip

    @staticmethod
    def _bad_field(fields: bytes) -> None:
        """Name the first bad header line (the slow path of the one-regex check)."""
        for line in fields.split(b"\r\n"):
            name, sep, value = line.partition(b":")
            if line[:1] in (b" ", b"\t"):
                raise HttpError(400, "obsolete header line folding is not accepted")
            if not sep or not _TOKEN.fullmatch(name):
                raise HttpError(400, f"bad header line {line[:40]!r}")
            if _BAD_VALUE.search(value):
                raise HttpError(400, f"control character in header {name.decode()!r}")
        raise HttpError(400, "bad header block")

    # -- bodies --------------------------------------------------------------------------

    def _body(self) -> bytes | None:
        n = self._remaining
        buf = self.buf
        if len(buf) < n:
            return None
        body = bytes(buf[:n])
        del buf[:n]
        self.state = _HEAD
        return body

    def _line(self, what: str) -> bytes | None:
        buf = self.buf
        end = buf.find(b"\r\n", self._scan)
        if end < 0:
            if len(buf) > MAX_CHUNK_LINE:
                raise HttpError(400, f"{what} longer than {MAX_CHUNK_LINE} bytes")
            self._scan = max(0, len(buf) - 1)
            return None
        if end > MAX_CHUNK_LINE:
            raise HttpError(400, f"{what} longer than {MAX_CHUNK_LINE} bytes")
        line = bytes(buf[:end])
        del buf[: end + 2]
        self._scan = 0
        return line

    def _chunked(self) -> bytes | None:
        while True:
            state = self.state
            if state == _CHUNK_SIZE:
                line = self._line("chunk-size line")
                if line is None:
                    return None
                size = line.split(b";", 1)[0].strip(b" \t")
                if not _HEX.fullmatch(size) or _BAD_VALUE.search(line):
                    raise HttpError(400, f"bad chunk-size line {line[:40]!r}")
                n = int(size, 16)
                if self._total + n > self.max_body:
                    raise HttpError(413, f"chunked body over the {self.max_body} limit")
                if n == 0:
                    self.state = _TRAILER
                    self._remaining = 0  # trailer bytes seen
                else:
                    self.state = _CHUNK_DATA
                    self._remaining = n
            elif state == _CHUNK_DATA:
                n = self._remaining
                buf = self.buf
                if len(buf) < n + 2:
                    return None
                if buf[n : n + 2] != b"\r\n":
                    raise HttpError(400, "chunk data must be followed by CRLF")
                self._chunks.append(bytes(buf[:n]))
                self._total += n
                del buf[: n + 2]
                self.state = _CHUNK_SIZE
            else:  # trailer fields, ignored, up to an empty line
                line = self._line("trailer line")
                if line is None:
                    return None
                if not line:
                    body = b"".join(self._chunks)
                    self._chunks = []
                    self.state = _HEAD
                    return body
                self._remaining += len(line) + 2
                name, sep, _ = line.partition(b":")
                if not sep or not _TOKEN.fullmatch(name) or _BAD_VALUE.search(line):
                    raise HttpError(400, f"bad trailer line {line[:40]!r}")
                if self._remaining > self.max_head:
                    raise HttpError(431, f"trailer longer than {self.max_head} bytes")
