"""A minimal, strict BER codec for SNMPv1/v2c messages (RFC 1157, RFC 3416, RFC 3417).

Why not pyasn1: decoding and re-encoding each request with pyasn1 caps an agent at ~3k
requests/s per core (reference/snmp.md §1.6); a purpose-built codec for the few types SNMP
uses is an order of magnitude faster. It is also *strict*: anything that is not a
well-formed v1/v2c message (indefinite lengths, constructed strings, trailing bytes,
over-long integers, bad OIDs) raises :class:`BerError`, which the agent counts and drops,
as RFC 3417 §8 / RFC 3412 §7.2.2 want (snmpInASNParseErrs).

Values are plain Python: ``(tag, value)`` with the tags below; ints for INTEGER and the
unsigned application types, bytes for OCTET STRING / IpAddress / Opaque, tuples of ints for
OBJECT IDENTIFIER, None for NULL and the three v2 exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass

# Universal and application tags (RFC 2578 / RFC 3416).
INTEGER = 0x02
OCTET_STRING = 0x04
NULL = 0x05
OBJECT_IDENTIFIER = 0x06
SEQUENCE = 0x30
IP_ADDRESS = 0x40
COUNTER32 = 0x41
GAUGE32 = 0x42
TIMETICKS = 0x43
OPAQUE = 0x44
COUNTER64 = 0x46
NO_SUCH_OBJECT = 0x80
NO_SUCH_INSTANCE = 0x81
END_OF_MIB_VIEW = 0x82

# PDU tags.
GET = 0xA0
GETNEXT = 0xA1
RESPONSE = 0xA2
SET = 0xA3
TRAP_V1 = 0xA4
GETBULK = 0xA5
INFORM = 0xA6
TRAP_V2 = 0xA7
REPORT = 0xA8

REQUEST_PDUS = frozenset({GET, GETNEXT, SET, GETBULK})

TAG_NAMES = {
    INTEGER: "INTEGER",
    OCTET_STRING: "OCTET STRING",
    NULL: "NULL",
    OBJECT_IDENTIFIER: "OBJECT IDENTIFIER",
    IP_ADDRESS: "IpAddress",
    COUNTER32: "Counter32",
    GAUGE32: "Gauge32",
    TIMETICKS: "TimeTicks",
    OPAQUE: "Opaque",
    COUNTER64: "Counter64",
    NO_SUCH_OBJECT: "noSuchObject",
    NO_SUCH_INSTANCE: "noSuchInstance",
    END_OF_MIB_VIEW: "endOfMibView",
}

_UNSIGNED32 = frozenset({COUNTER32, GAUGE32, TIMETICKS})
_EXCEPTIONS = frozenset({NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW})

MAX_OID_LEN = 128  # RFC 2578 §3.5
MAX_VARBINDS = 1024  # more than fits in a UDP datagram anyway

Value = tuple[int, object]
VarBind = tuple[tuple[int, ...], Value]


class BerError(ValueError):
    """The bytes are not a well-formed SNMPv1/v2c message; ``offset`` says where."""

    def __init__(self, message: str, offset: int = -1) -> None:
        super().__init__(f"{message} (at byte {offset})" if offset >= 0 else message)
        self.offset = offset


@dataclass(slots=True)
class Message:
    """A decoded v1/v2c message (request or response)."""

    version: int  # 0 = SNMPv1, 1 = SNMPv2c
    community: bytes
    pdu_type: int
    request_id: int
    error_status: int  # GETBULK: non-repeaters
    error_index: int  # GETBULK: max-repetitions
    varbinds: list[VarBind]


# -- decoding ---------------------------------------------------------------------------------


def _header(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the TLV at ``pos``."""
    if pos + 2 > end:
        raise BerError("truncated tag/length", pos)
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise BerError("multi-byte tags are not used by SNMP", pos)
    first = data[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    elif first == 0x80:
        raise BerError("indefinite length is not allowed", pos - 1)
    else:
        n = first & 0x7F
        if n > 4 or pos + n > end:
            raise BerError("bad long-form length", pos - 1)
        length = int.from_bytes(data[pos : pos + n], "big")
        pos += n
    if pos + length > end:
        raise BerError(f"length {length} runs past the end", pos)
    return tag, pos, pos + length


def _int(data: bytes, start: int, end: int, *, signed: bool = True, max_octets: int = 5) -> int:
    n = end - start
    if n == 0 or n > max_octets:
        raise BerError(f"integer of {n} octets", start)
    return int.from_bytes(data[start:end], "big", signed=signed)


def _expect_int(data: bytes, pos: int, end: int) -> tuple[int, int]:
    tag, s, e = _header(data, pos, end)
    if tag != INTEGER:
        raise BerError(f"expected INTEGER, got tag 0x{tag:02x}", pos)
    value = _int(data, s, e)
    if not -(2**31) <= value < 2**31:
        raise BerError("Integer32 out of range", s)
    return value, e


def decode_oid(data: bytes, start: int, end: int) -> tuple[int, ...]:
    if start == end:
        raise BerError("empty OBJECT IDENTIFIER", start)
    subids: list[int] = []
    value = 0
    started = False
    for i in range(start, end):
        byte = data[i]
        if not started and byte == 0x80:
            raise BerError("non-minimal OID sub-identifier", i)
        value = (value << 7) | (byte & 0x7F)
        started = True
        if value > 0xFFFFFFFF + 80 * 0x1000000:
            raise BerError("OID sub-identifier > 2^32-1", i)
        if not byte & 0x80:
            subids.append(value)
            value = 0
            started = False
    if started:
        raise BerError("truncated OID sub-identifier", end)
    first = subids[0]
    if first < 40:
        oid = [0, first]
    elif first < 80:
        oid = [1, first - 40]
    else:
        oid = [2, first - 80]
    oid.extend(subids[1:])
    if len(oid) > MAX_OID_LEN or any(s > 0xFFFFFFFF for s in oid):
        raise BerError("OBJECT IDENTIFIER too long or sub-identifier too large", start)
    return tuple(oid)


def _value(data: bytes, pos: int, end: int, version: int) -> tuple[Value, int]:
    tag, s, e = _header(data, pos, end)
    if tag == NULL:
        if e != s:
            raise BerError("NULL with content", s)
        return (NULL, None), e
    if tag == INTEGER:
        return (INTEGER, _int(data, s, e)), e
    if tag == OCTET_STRING:
        return (OCTET_STRING, bytes(data[s:e])), e
    if tag == OBJECT_IDENTIFIER:
        return (OBJECT_IDENTIFIER, decode_oid(data, s, e)), e
    if tag == IP_ADDRESS:
        if e - s != 4:
            raise BerError("IpAddress is not 4 octets", s)
        return (IP_ADDRESS, bytes(data[s:e])), e
    if tag in _UNSIGNED32:
        v = _int(data, s, e, signed=False)
        if v > 0xFFFFFFFF or (e - s == 5 and data[s] != 0):
            raise BerError("unsigned 32-bit value out of range", s)
        return (tag, v), e
    if tag == OPAQUE:
        return (OPAQUE, bytes(data[s:e])), e
    if tag == COUNTER64 and version >= 1:
        v = _int(data, s, e, signed=False, max_octets=9)
        if v > 0xFFFFFFFFFFFFFFFF:
            raise BerError("Counter64 out of range", s)
        return (COUNTER64, v), e
    if tag in _EXCEPTIONS and version >= 1:
        if e != s:
            raise BerError("exception value with content", s)
        return (tag, None), e
    raise BerError(f"unknown value tag 0x{tag:02x}", pos)


def peek_version(data: bytes) -> int | None:
    """The message's version number, or None if the outer framing is not even BER."""
    try:
        tag, s, e = _header(data, 0, len(data))
        if tag != SEQUENCE:
            return None
        vtag, vs, ve = _header(data, s, e)
        if vtag != INTEGER or ve - vs > 5 or ve == vs:
            return None
        return int.from_bytes(data[vs:ve], "big", signed=True)
    except BerError:
        return None


def decode_message(data: bytes) -> Message:
    """Decode an SNMPv1/v2c message; raise :class:`BerError` for anything malformed."""
    end = len(data)
    tag, pos, mend = _header(data, 0, end)
    if tag != SEQUENCE:
        raise BerError("message is not a SEQUENCE", 0)
    if mend != end:
        raise BerError("trailing bytes after the message", mend)
    version, pos = _expect_int(data, pos, mend)
    if version not in (0, 1):
        raise BerError(f"not an SNMPv1/v2c message (version {version})", 0)
    tag, s, pos = _header(data, pos, mend)
    if tag != OCTET_STRING:
        raise BerError("community is not an OCTET STRING", s)
    community = bytes(data[s:pos])
    pdu_type, pos, pend = _header(data, pos, mend)
    if pend != mend:
        raise BerError("trailing bytes after the PDU", pend)
    if pdu_type not in (GET, GETNEXT, RESPONSE, SET, TRAP_V2, GETBULK, INFORM, REPORT):
        raise BerError(f"unsupported PDU type 0x{pdu_type:02x}", pos)
    if version == 0 and pdu_type in (GETBULK, INFORM, TRAP_V2, REPORT):
        raise BerError("SNMPv2 PDU in an SNMPv1 message", pos)
    request_id, pos = _expect_int(data, pos, pend)
    error_status, pos = _expect_int(data, pos, pend)
    error_index, pos = _expect_int(data, pos, pend)
    tag, pos, vend = _header(data, pos, pend)
    if tag != SEQUENCE or vend != pend:
        raise BerError("bad variable-bindings list", pos)
    varbinds: list[VarBind] = []
    while pos < vend:
        tag, vs, ve = _header(data, pos, vend)
        if tag != SEQUENCE:
            raise BerError("variable binding is not a SEQUENCE", pos)
        otag, os_, oe = _header(data, vs, ve)
        if otag != OBJECT_IDENTIFIER:
            raise BerError("variable binding name is not an OID", vs)
        oid = decode_oid(data, os_, oe)
        value, vpos = _value(data, oe, ve, version)
        if vpos != ve:
            raise BerError("trailing bytes in a variable binding", vpos)
        varbinds.append((oid, value))
        if len(varbinds) > MAX_VARBINDS:
            raise BerError("too many variable bindings", pos)
        pos = ve
    return Message(version, community, pdu_type, request_id, error_status, error_index, varbinds)


# -- encoding ---------------------------------------------------------------------------------


def _len(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(raw),)) + raw


def tlv(tag: int, content: bytes) -> bytes:
    return bytes((tag,)) + _len(len(content)) + content


def _int_bytes(value: int) -> bytes:
    return value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True)


def _uint_bytes(value: int) -> bytes:
    # unsigned types are encoded as non-negative INTEGERs: a leading 0 if the top bit is set
    return value.to_bytes(value.bit_length() // 8 + 1, "big")


def encode_oid_content(oid: tuple[int, ...]) -> bytes:
    if len(oid) < 2:
        oid = (*oid, 0) if oid else (0, 0)
    out = bytearray()
    subids = (oid[0] * 40 + oid[1], *oid[2:])
    for sub in subids:
        if sub < 0x80:
            out.append(sub)
            continue
        chunk = []
        while sub:
            chunk.append(sub & 0x7F)
            sub >>= 7
        chunk.reverse()
        out.extend(c | 0x80 for c in chunk[:-1])
        out.append(chunk[-1])
    return bytes(out)


def encode_value(value: Value) -> bytes:
    tag, v = value
    # Each tag checks that its value has the Python type it is encoded from, so a value of
    # the wrong type is a ValueError naming the tag, not a TypeError from deep inside.
    if tag == INTEGER and isinstance(v, int):
        return tlv(INTEGER, _int_bytes(v))
    if tag in (OCTET_STRING, IP_ADDRESS, OPAQUE) and isinstance(v, bytes | bytearray):
        return tlv(tag, bytes(v))
    if tag == OBJECT_IDENTIFIER and isinstance(v, tuple):
        return tlv(tag, encode_oid_content(v))
    if (tag in _UNSIGNED32 or tag == COUNTER64) and isinstance(v, int):
        return tlv(tag, _uint_bytes(v))
    if tag == NULL or tag in _EXCEPTIONS:
        return bytes((tag, 0))
    raise ValueError(f"cannot encode value tag 0x{tag:02x} from {type(v).__name__}")


def encode_varbind(oid: tuple[int, ...], value: Value) -> bytes:
    return tlv(SEQUENCE, tlv(OBJECT_IDENTIFIER, encode_oid_content(oid)) + encode_value(value))


def encode_message(
    version: int,
    community: bytes,
    pdu_type: int,
    request_id: int,
    error_status: int,
    error_index: int,
    encoded_varbinds: bytes,
) -> bytes:
    """A whole message from already-encoded variable bindings (concatenated)."""
    pdu = (
        tlv(INTEGER, _int_bytes(request_id))
        + tlv(INTEGER, _int_bytes(error_status))
        + tlv(INTEGER, _int_bytes(error_index))
        + tlv(SEQUENCE, encoded_varbinds)
    )
    return tlv(
        SEQUENCE,
        tlv(INTEGER, _int_bytes(version)) + tlv(OCTET_STRING, community) + tlv(pdu_type, pdu),
    )


def message_overhead(community: bytes, request_id: int) -> int:
    """Bytes a response needs besides its varbinds' encodings (upper bound)."""
    return 4 + 3 + (2 + len(community) + 3) + 4 + (2 + len(_int_bytes(request_id))) + 6 + 4


def format_oid(oid: tuple[int, ...]) -> str:
    return ".".join(map(str, oid))


def parse_oid(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.strip().lstrip(".").split("."))
