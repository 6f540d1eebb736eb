"""STUN messages as TR-069 Annex G uses them (pure: bytes in, bytes out, no sockets).

Annex G ("Connection Request via NAT Gateway") lets an ACS reach a CPE behind a NAT: the CPE
keeps a NAT binding open with STUN Binding Requests sent from its UDP Connection Request port,
learns the public address from the MAPPED-ADDRESS of the Binding Response and tells the ACS
(``ManagementServer.UDPConnectionRequestAddress``). The mechanism was written for classic STUN
(RFC 3489): a note in later amendments says so (read in a translation of Amendment 4's
Annex G, the PDF is not in /work/shared). This codec speaks both wire forms:

* requests carry RFC 5389's magic cookie in the first 32 bits of the transaction ID, which an
  RFC 3489 server treats as part of its 128-bit ID (RFC 5389 §12 backwards compatibility), so
  one request works against either kind of server (coturn answers both);
* responses are read with MAPPED-ADDRESS (RFC 3489 §11.2.1) or XOR-MAPPED-ADDRESS (RFC 5389
  §15.2), the XOR form preferred when both are present (a NAT may rewrite a plain address
  inside the payload; RFC 5389 §15.2 says why the XOR form exists).

The CWMP attributes (TR-069 Annex G; type codes as every open-source implementation and
Wireshark's classic-STUN dissector use them, the Annex's own table was not found):

* ``CONNECTION-REQUEST-BINDING`` 0xC001, value the 20 bytes ``"dslforum TR-111 "`` padded —
  the string is 16 characters, "dslforum TR-111 " with its trailing space; it marks a Binding
  Request sent from the UDP Connection Request port so the ACS's STUN server knows this
  binding is the one to send UDP Connection Requests to;
* ``BINDING-CHANGE`` 0xC002, empty: the binding changed since the last Binding Request;
* ``USERNAME`` 0x0006 and ``MESSAGE-INTEGRITY`` 0x0008 (HMAC-SHA1, RFC 3489 §11.2.8 / RFC 5389
  §15.4) when the server asks for them with a 401 error (TR-181 ``STUNUsername``: "If is
  empty, the CPE MUST NOT send STUN Binding Requests with message integrity").

Decoding is strict about framing (length, alignment, attribute bounds) and raises
:class:`StunError` with what was wrong; unknown comprehension-optional attributes
(>= 0x8000) are kept and ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import struct
from dataclasses import dataclass, field

MAGIC_COOKIE = 0x2112A442
HEADER_LEN = 20

# message types (RFC 3489 §11.1, RFC 5389 §6)
BINDING_REQUEST = 0x0001
BINDING_RESPONSE = 0x0101
BINDING_ERROR_RESPONSE = 0x0111

# attributes
MAPPED_ADDRESS = 0x0001
RESPONSE_ADDRESS = 0x0002
CHANGE_REQUEST = 0x0003
SOURCE_ADDRESS = 0x0004
CHANGED_ADDRESS = 0x0005
USERNAME = 0x0006
PASSWORD = 0x0007
MESSAGE_INTEGRITY = 0x0008
ERROR_CODE = 0x0009
UNKNOWN_ATTRIBUTES = 0x000A
REFLECTED_FROM = 0x000B
REALM = 0x0014
NONCE = 0x0015
XOR_MAPPED_ADDRESS = 0x0020
SOFTWARE = 0x8022
FINGERPRINT = 0x8028
CONNECTION_REQUEST_BINDING = 0xC001
BINDING_CHANGE = 0xC002

#: The CONNECTION-REQUEST-BINDING value (TR-069 Annex G): 16 characters, trailing space.
CONNECTION_REQUEST_BINDING_VALUE = b"dslforum TR-111 "

ATTRIBUTE_NAMES = {
    MAPPED_ADDRESS: "MAPPED-ADDRESS",
    RESPONSE_ADDRESS: "RESPONSE-ADDRESS",
    CHANGE_REQUEST: "CHANGE-REQUEST",
    SOURCE_ADDRESS: "SOURCE-ADDRESS",
    CHANGED_ADDRESS: "CHANGED-ADDRESS",
    USERNAME: "USERNAME",
    PASSWORD: "PASSWORD",
    MESSAGE_INTEGRITY: "MESSAGE-INTEGRITY",
    ERROR_CODE: "ERROR-CODE",
    UNKNOWN_ATTRIBUTES: "UNKNOWN-ATTRIBUTES",
    REFLECTED_FROM: "REFLECTED-FROM",
    REALM: "REALM",
    NONCE: "NONCE",
    XOR_MAPPED_ADDRESS: "XOR-MAPPED-ADDRESS",
    SOFTWARE: "SOFTWARE",
    FINGERPRINT: "FINGERPRINT",
    CONNECTION_REQUEST_BINDING: "CONNECTION-REQUEST-BINDING",
    BINDING_CHANGE: "BINDING-CHANGE",
}


class StunError(ValueError):
    """Bytes that are not a well-formed STUN message; the message says what is wrong."""


Address = tuple[str, int]


@dataclass
class StunMessage:
    """One STUN message: type, 16-byte transaction ID (cookie included) and attributes in
    order. ``attrs`` keeps raw values; the typed accessors below decode the ones Annex G
    needs."""

    type: int
    transaction_id: bytes
    attrs: list[tuple[int, bytes]] = field(default_factory=list)

    # -- accessors ---------------------------------------------------------------------------
    def get(self, attr: int) -> bytes | None:
        for t, v in self.attrs:
            if t == attr:
                return v
        return None

    def has(self, attr: int) -> bool:
        return any(t == attr for t, _ in self.attrs)

    @property
    def rfc5389(self) -> bool:
        """The transaction ID starts with the magic cookie (an RFC 5389 agent sent it)."""
        return self.transaction_id[:4] == struct.pack("!I", MAGIC_COOKIE)

    @property
    def connection_request_binding(self) -> bool:
        """Carries CONNECTION-REQUEST-BINDING with Annex G's value."""
        v = self.get(CONNECTION_REQUEST_BINDING)
        return v is not None and v.startswith(CONNECTION_REQUEST_BINDING_VALUE)

    @property
    def username(self) -> str | None:
        v = self.get(USERNAME)
        return None if v is None else v.rstrip(b"\x00").decode("utf-8", "replace")

    def mapped_address(self) -> Address | None:
        """XOR-MAPPED-ADDRESS if present, else MAPPED-ADDRESS (see the module docstring)."""
        x = self.get(XOR_MAPPED_ADDRESS)
        if x is not None:
            return decode_address(x, xor=self.transaction_id)
        v = self.get(MAPPED_ADDRESS)
        return decode_address(v) if v is not None else None

    def error_code(self) -> tuple[int, str] | None:
        v = self.get(ERROR_CODE)
        if v is None:
            return None
        if len(v) < 4:
            raise StunError("ERROR-CODE shorter than 4 bytes")
        return (v[2] & 0x07) * 100 + v[3], v[4:].decode("utf-8", "replace")


def new_transaction_id() -> bytes:
    """Magic cookie + 96 random bits (see the module docstring on compatibility)."""
    return struct.pack("!I", MAGIC_COOKIE) + secrets.token_bytes(12)


# -- attributes ---------------------------------------------------------------------------------


def encode_address(addr: Address, *, xor: bytes | None = None) -> bytes:
    """MAPPED-ADDRESS form (family 1 IPv4, 2 IPv6); ``xor`` = transaction ID for the XOR form."""
    ip = ipaddress.ip_address(addr[0])
    port = addr[1]
    raw = ip.packed
    family = 1 if ip.version == 4 else 2
    if xor is not None:
        port ^= MAGIC_COOKIE >> 16
        key = struct.pack("!I", MAGIC_COOKIE) + xor[4:16]
        raw = bytes(a ^ b for a, b in zip(raw, key, strict=False))
    return struct.pack("!BBH", 0, family, port) + raw


def decode_address(value: bytes, *, xor: bytes | None = None) -> Address:
    if len(value) < 8:
        raise StunError(f"address attribute of {len(value)} bytes (expected 8 or 20)")
    _, family, port = struct.unpack("!BBH", value[:4])
    size = {1: 4, 2: 16}.get(family)
    if size is None or len(value) < 4 + size:
        raise StunError(f"address attribute with family {family} and {len(value)} bytes")
    raw = value[4 : 4 + size]
    if xor is not None:
        port ^= MAGIC_COOKIE >> 16
        key = struct.pack("!I", MAGIC_COOKIE) + xor[4:16]
        raw = bytes(a ^ b for a, b in zip(raw, key, strict=False))
    return str(ipaddress.ip_address(raw)), port


def encode_error_code(code: int, reason: str) -> bytes:
    return struct.pack("!HBB", 0, code // 100, code % 100) + reason.encode()


# -- messages -----------------------------------------------------------------------------------


def _pad(n: int) -> int:
    return (4 - n % 4) % 4


def _attrs_bytes(attrs: list[tuple[int, bytes]]) -> bytes:
    out = bytearray()
    for t, v in attrs:
        out += struct.pack("!HH", t, len(v)) + v + b"\x00" * _pad(len(v))
    return bytes(out)


def encode(msg: StunMessage, *, integrity_key: bytes | None = None) -> bytes:
    """The wire form; with ``integrity_key`` a MESSAGE-INTEGRITY attribute is appended.

    MESSAGE-INTEGRITY (RFC 5389 §15.4): HMAC-SHA1 over the message up to the attribute, with
    the header length already counting it. RFC 3489 §11.2.8 pads the input to 64 bytes; for
    HMAC that changes nothing (the key schedule pads blocks), the header length is the one
    difference and RFC 5389's form is what current servers check.
    """
    if len(msg.transaction_id) != 16:
        raise StunError("transaction ID must be 16 bytes")
    body = _attrs_bytes([(t, v) for t, v in msg.attrs if t != MESSAGE_INTEGRITY])
    if integrity_key is None:
        return struct.pack("!HH", msg.type, len(body)) + msg.transaction_id + body
    head = struct.pack("!HH", msg.type, len(body) + 24) + msg.transaction_id
    mac = hmac.new(integrity_key, head + body, hashlib.sha1).digest()
    return head + body + struct.pack("!HH", MESSAGE_INTEGRITY, 20) + mac


def decode(data: bytes) -> StunMessage:
    """Parse one datagram; :class:`StunError` when it is not a STUN message."""
    if len(data) < HEADER_LEN:
        raise StunError(f"{len(data)} bytes is shorter than a STUN header (20)")
    mtype, length = struct.unpack("!HH", data[:4])
    if mtype & 0xC000:
        raise StunError(f"first two bits of the type must be 0 (type 0x{mtype:04x})")
    if length % 4:
        raise StunError(f"message length {length} is not a multiple of 4")
    if HEADER_LEN + length != len(data):
        raise StunError(f"header says {length} bytes of attributes, datagram has "
                        f"{len(data) - HEADER_LEN}")  # fmt: skip
    msg = StunMessage(mtype, bytes(data[4:20]))
    pos = HEADER_LEN
    while pos < len(data):
        if pos + 4 > len(data):
            raise StunError(f"truncated attribute header at offset {pos}")
        t, n = struct.unpack("!HH", data[pos : pos + 4])
        end = pos + 4 + n
        if end > len(data):
            raise StunError(f"attribute 0x{t:04x} of {n} bytes runs past the end (offset {pos})")
        msg.attrs.append((t, bytes(data[pos + 4 : end])))
        pos = end + _pad(n)
    return msg


def check_integrity(data: bytes, key: bytes) -> bool:
    """True when ``data`` carries a MESSAGE-INTEGRITY that ``key`` produced (RFC 5389 form,
    or RFC 3489's where the header length did not count the attribute)."""
    pos = HEADER_LEN
    while pos + 4 <= len(data):
        t, n = struct.unpack("!HH", data[pos : pos + 4])
        if t == MESSAGE_INTEGRITY and n == 20:
            got = data[pos + 4 : pos + 24]
            for length in (pos + 24 - HEADER_LEN, pos - HEADER_LEN):
                head = data[:2] + struct.pack("!H", length) + data[4:pos]
                if hmac.compare_digest(hmac.new(key, head, hashlib.sha1).digest(), got):
                    return True
            return False
        pos += 4 + n + _pad(n)
    return False


def is_stun(data: bytes) -> bool:
    """Cheap test that a datagram may be STUN (a UDP Connection Request starts with 'GET')."""
    return len(data) >= HEADER_LEN and data[0] < 2


# -- the messages Annex G needs ---------------------------------------------------------------


def binding_request(
    *,
    transaction_id: bytes | None = None,
    connection_request_binding: bool = True,
    binding_change: bool = False,
    username: str | None = None,
) -> StunMessage:
    """A Binding Request as the CPE sends it from its UDP Connection Request port."""
    msg = StunMessage(BINDING_REQUEST, transaction_id or new_transaction_id())
    if connection_request_binding:
        msg.attrs.append((CONNECTION_REQUEST_BINDING, CONNECTION_REQUEST_BINDING_VALUE))
    if binding_change:
        msg.attrs.append((BINDING_CHANGE, b""))
    if username:
        msg.attrs.append((USERNAME, username.encode()))
    return msg


def binding_response(request: StunMessage, source: Address) -> StunMessage:
    """The server's success answer: MAPPED-ADDRESS (RFC 3489) always, XOR-MAPPED-ADDRESS too
    when the request came from an RFC 5389 client."""
    msg = StunMessage(BINDING_RESPONSE, request.transaction_id)
    msg.attrs.append((MAPPED_ADDRESS, encode_address(source)))
    if request.rfc5389:
        msg.attrs.append((XOR_MAPPED_ADDRESS, encode_address(source, xor=request.transaction_id)))
    return msg


def error_response(request: StunMessage, code: int, reason: str) -> StunMessage:
    return StunMessage(
        BINDING_ERROR_RESPONSE,
        request.transaction_id,
        [(ERROR_CODE, encode_error_code(code, reason))],
    )


def describe(msg: StunMessage) -> str:
    """One line for logs and the journal."""
    kind = {BINDING_REQUEST: "Binding Request", BINDING_RESPONSE: "Binding Response",
            BINDING_ERROR_RESPONSE: "Binding Error Response"}.get(msg.type, f"0x{msg.type:04x}")  # fmt: skip
    names = [ATTRIBUTE_NAMES.get(t, f"0x{t:04x}") for t, _ in msg.attrs]
    return f"{kind} [{', '.join(names)}]"
