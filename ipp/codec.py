"""IPP message codec (RFC 8010 §3): bytes ⇄ :class:`Message`, tag- and order-preserving.

Pure code, no I/O. The model keeps everything the wire carries, so a conformance bench can
check value tags, value order and group placement exactly, and can build deliberately odd
messages:

* a :class:`Message` holds its groups in wire order (a group tag may repeat, as the job
  groups of a Get-Jobs response do) and the document data after end-of-attributes;
* an :class:`Attribute` holds its name, its value tag and its values; when the values of one
  attribute carry different tags (``keyword`` and ``name`` in one 1setOf), ``value_tags``
  lists the tag of every value;
* a collection value is a list of member :class:`Attribute` s, nested to any depth (capped);
* out-of-band values (unsupported, unknown, no-value, not-settable, delete-attribute,
  admin-define) keep their tag and their (normally empty) value bytes;
* reserved and extension tags (0x7F) keep their raw value bytes.

Malformed input raises :class:`IppDecodeError` (offset and what was expected), never another
exception and never loops: every step consumes at least one byte, and the number of
attributes, values and the collection depth are capped.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from enum import IntEnum
from typing import Any

__all__ = [
    "Attribute",
    "DateTime",
    "Group",
    "GroupTag",
    "IppDecodeError",
    "IppEncodeError",
    "Message",
    "Range",
    "Resolution",
    "StringWithLanguage",
    "Tag",
    "decode",
    "encode",
    "encode_attribute",
]


class GroupTag(IntEnum):
    """Delimiter tags (RFC 8010 §3.5.1, IANA IPP registry)."""

    OPERATION = 0x01
    JOB = 0x02
    END = 0x03
    PRINTER = 0x04
    UNSUPPORTED = 0x05
    SUBSCRIPTION = 0x06
    EVENT_NOTIFICATION = 0x07
    RESOURCE = 0x08
    DOCUMENT = 0x09
    SYSTEM = 0x0A


class Tag(IntEnum):
    """Value tags (RFC 8010 §3.5.2)."""

    UNSUPPORTED = 0x10
    UNKNOWN = 0x12
    NO_VALUE = 0x13
    NOT_SETTABLE = 0x15
    DELETE_ATTRIBUTE = 0x16
    ADMIN_DEFINE = 0x17
    INTEGER = 0x21
    BOOLEAN = 0x22
    ENUM = 0x23
    OCTET_STRING = 0x30
    DATE_TIME = 0x31
    RESOLUTION = 0x32
    RANGE_OF_INTEGER = 0x33
    BEG_COLLECTION = 0x34
    TEXT_WITH_LANGUAGE = 0x35
    NAME_WITH_LANGUAGE = 0x36
    END_COLLECTION = 0x37
    TEXT = 0x41
    NAME = 0x42
    KEYWORD = 0x44
    URI = 0x45
    URI_SCHEME = 0x46
    CHARSET = 0x47
    NATURAL_LANGUAGE = 0x48
    MIME_MEDIA_TYPE = 0x49
    MEMBER_ATTR_NAME = 0x4A
    EXTENSION = 0x7F


#: Tags whose values are Python ``str`` (UTF-8 on the wire).
STRING_TAGS = frozenset({0x41, 0x42, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4A})
#: Out-of-band tags (0x10–0x1F): the value is the raw (normally empty) bytes.
OUT_OF_BAND = range(0x10, 0x20)

MAX_DEPTH = 16  # collection nesting
MAX_ATTRIBUTES = 20_000  # attributes and members in one message
MAX_VALUES = 200_000  # values in one message


class IppDecodeError(ValueError):
    """Bytes that are not an IPP message: ``offset`` into the input and what was expected."""

    def __init__(self, offset: int, expected: str) -> None:
        super().__init__(f"malformed IPP message at byte {offset}: expected {expected}")
        self.offset = offset
        self.expected = expected


class IppEncodeError(ValueError):
    """A :class:`Message` that cannot be put on the wire (wrong value type, too long)."""


@dataclass(frozen=True, slots=True)
class Resolution:
    """resolution: cross-feed, feed, units (3 = dots per inch, 4 = dots per cm)."""

    x: int
    y: int
    units: int = 3


@dataclass(frozen=True, slots=True)
class Range:
    """rangeOfInteger: lower..upper."""

    lower: int
    upper: int


@dataclass(frozen=True, slots=True)
class StringWithLanguage:
    """textWithLanguage / nameWithLanguage: the value and its natural language."""

    text: str
    language: str


@dataclass(frozen=True, slots=True)
class DateTime:
    """RFC 2579 DateAndTime, all 11 octets kept (seconds may be 60; offset sign is '+'/'-')."""

    year: int
    month: int
    day: int
    hour: int
    minute: int
    second: int
    decisecond: int = 0
    direction: str = "+"
    utc_hours: int = 0
    utc_minutes: int = 0

    @classmethod
    def from_datetime(cls, value: datetime) -> DateTime:
        """The DateAndTime of an aware (or UTC-naive) datetime."""
        offset = value.utcoffset() or timedelta(0)
        minutes = int(offset.total_seconds() // 60)
        direction = "-" if minutes < 0 else "+"
        minutes = abs(minutes)
        return cls(
            value.year,
            value.month,
            value.day,
            value.hour,
            value.minute,
            value.second,
            value.microsecond // 100_000,
            direction,
            minutes // 60,
            minutes % 60,
        )

    def to_datetime(self) -> datetime:
        """An aware datetime (a leap second becomes :59)."""
        sign = -1 if self.direction == "-" else 1
        tz = (
            UTC
            if not (self.utc_hours or self.utc_minutes)
            else timezone(sign * timedelta(hours=self.utc_hours, minutes=self.utc_minutes))
        )
        return datetime(
            self.year,
            self.month,
            self.day,
            self.hour,
            self.minute,
            min(self.second, 59),
            self.decisecond * 100_000,
            tzinfo=tz,
        )


@dataclass(slots=True)
class Attribute:
    """One attribute (or collection member): name, value tag, values in wire order.

    ``value_tags`` is ``None`` when every value carries ``tag``; otherwise it lists the tag of
    each value (then ``tag`` equals ``value_tags[0]``).
    """

    name: str
    tag: int
    values: list[Any]
    value_tags: list[int] | None = None

    def tags(self) -> list[int]:
        """The value tag of every value."""
        return list(self.value_tags) if self.value_tags else [self.tag] * len(self.values)

    @property
    def value(self) -> Any:
        """The first value (None when there is none)."""
        return self.values[0] if self.values else None

    def member(self, name: str, index: int = 0) -> Attribute | None:
        """The member ``name`` of the collection value ``index``."""
        for m in self.values[index]:
            if m.name == name:
                return m
        return None


@dataclass(slots=True)
class Group:
    """An attribute group: its delimiter tag and attributes in wire order."""

    tag: int
    attributes: list[Attribute] = field(default_factory=list)

    def get(self, name: str) -> Attribute | None:
        for a in self.attributes:
            if a.name == name:
                return a
        return None

    def add(self, name: str, tag: int, *values: Any) -> Attribute:
        attr = Attribute(name, tag, list(values))
        self.attributes.append(attr)
        return attr


@dataclass(slots=True)
class Message:
    """An IPP request or response. ``code`` is the operation-id or the status-code."""

    version: tuple[int, int] = (2, 0)
    code: int = 0
    request_id: int = 1
    groups: list[Group] = field(default_factory=list)
    data: bytes = b""

    def group(self, tag: int) -> Group | None:
        """The first group with ``tag``."""
        for g in self.groups:
            if g.tag == tag:
                return g
        return None

    def groups_of(self, tag: int) -> list[Group]:
        return [g for g in self.groups if g.tag == tag]

    def find(self, name: str, group: int | None = None) -> Attribute | None:
        """The first attribute called ``name`` (in groups with tag ``group`` if given)."""
        for g in self.groups:
            if group is not None and g.tag != group:
                continue
            a = g.get(name)
            if a is not None:
                return a
        return None

    def add_group(self, tag: int) -> Group:
        g = Group(tag)
        self.groups.append(g)
        return g


# ---------------------------------------------------------------------------------------------
# Decoding
# ---------------------------------------------------------------------------------------------

_U16 = struct.Struct(">H")
_I32 = struct.Struct(">i")
_HEADER = struct.Struct(">BBHi")
_RES = struct.Struct(">iib")
_RANGE = struct.Struct(">ii")
_DATE = struct.Struct(">HBBBBBBcBB")


class _Decoder:
    __slots__ = ("attributes", "buf", "n", "values")

    def __init__(self, buf: bytes) -> None:
        self.buf = buf
        self.n = len(buf)
        self.attributes = 0
        self.values = 0

    def field(self, pos: int) -> tuple[int, str, int, int, int]:
        """Read tag, name, and locate the value: (tag, name, value_start, value_end, next)."""
        buf, n = self.buf, self.n
        tag = buf[pos]
        if pos + 3 > n:
            raise IppDecodeError(pos + 1, "a 2-byte name-length after the value tag")
        name_len = (buf[pos + 1] << 8) | buf[pos + 2]
        p = pos + 3
        if p + name_len > n:
            raise IppDecodeError(p, f"{name_len} bytes of attribute name, got {n - p}")
        try:
            name = buf[p : p + name_len].decode("utf-8") if name_len else ""
        except UnicodeDecodeError as exc:
            raise IppDecodeError(p + exc.start, "an attribute name in UTF-8/US-ASCII") from None
        p += name_len
        if p + 2 > n:
            raise IppDecodeError(
                p, f"a 2-byte value-length for attribute {name or '(additional value)'!r}"
            )
        value_len = (buf[p] << 8) | buf[p + 1]
        p += 2
        if p + value_len > n:
            raise IppDecodeError(
                p, f"{value_len} bytes of value for {name or '(additional value)'!r}, got {n - p}"
            )
        self.values += 1
        if self.values > MAX_VALUES:
            raise IppDecodeError(pos, f"at most {MAX_VALUES} values in one message")
        return tag, name, p, p + value_len, p + value_len

    def value(self, tag: int, start: int, end: int, name: str, depth: int) -> tuple[Any, int]:
        """Decode one value whose bytes are buf[start:end]; returns (value, next position)."""
        buf = self.buf
        length = end - start
        if tag in STRING_TAGS:
            try:
                return buf[start:end].decode("utf-8"), end
            except UnicodeDecodeError as exc:
                raise IppDecodeError(
                    start + exc.start, f"UTF-8 text in the value of {name!r}"
                ) from None
        if tag == 0x21 or tag == 0x23:
            if length != 4:
                raise IppDecodeError(
                    start - 2, f"value-length 4 for integer/enum {name!r}, got {length}"
                )
            return _I32.unpack_from(buf, start)[0], end
        if tag == 0x22:
            if length != 1 or buf[start] > 1:
                raise IppDecodeError(start - 2, f"a 1-byte boolean 0 or 1 for {name!r}")
            return buf[start] == 1, end
        if tag == 0x34:
            if length:
                raise IppDecodeError(start - 2, f"value-length 0 for begCollection {name!r}")
            return self.collection(end, depth + 1, name)
        if tag == 0x33:
            if length != 8:
                raise IppDecodeError(
                    start - 2, f"value-length 8 for rangeOfInteger {name!r}, got {length}"
                )
            return Range(*_RANGE.unpack_from(buf, start)), end
        if tag == 0x32:
            if length != 9:
                raise IppDecodeError(
                    start - 2, f"value-length 9 for resolution {name!r}, got {length}"
                )
            return Resolution(*_RES.unpack_from(buf, start)), end
        if tag == 0x35 or tag == 0x36:
            return self.with_language(start, end, name), end
        if tag == 0x31:
            if length != 11:
                raise IppDecodeError(
                    start - 2, f"value-length 11 for dateTime {name!r}, got {length}"
                )
            y, mo, d, h, mi, s, ds, direction, uh, um = _DATE.unpack_from(buf, start)
            if direction not in (b"+", b"-"):
                raise IppDecodeError(start + 8, f"'+' or '-' as UTC direction of dateTime {name!r}")
            return DateTime(y, mo, d, h, mi, s, ds, direction.decode(), uh, um), end
        if tag == 0x37 or tag == 0x4A:
            raise IppDecodeError(
                start - 5 - len(name.encode()), f"{Tag(tag).name} only inside a collection"
            )
        # octetString, out-of-band, reserved and extension tags: raw bytes.
        return bytes(buf[start:end]), end

    def with_language(self, start: int, end: int, name: str) -> StringWithLanguage:
        buf = self.buf
        if end - start < 4:
            raise IppDecodeError(start, f"language and text lengths in {name!r}")
        lang_len = (buf[start] << 8) | buf[start + 1]
        p = start + 2
        if p + lang_len + 2 > end:
            raise IppDecodeError(
                p, f"{lang_len} bytes of natural language inside the value of {name!r}"
            )
        lang = buf[p : p + lang_len]
        p += lang_len
        text_len = (buf[p] << 8) | buf[p + 1]
        p += 2
        if p + text_len != end:
            raise IppDecodeError(
                p, f"{end - p} bytes of text in {name!r} (text-length says {text_len})"
            )
        try:
            return StringWithLanguage(buf[p:end].decode("utf-8"), lang.decode("utf-8"))
        except UnicodeDecodeError:
            raise IppDecodeError(p, f"UTF-8 text in {name!r}") from None

    def collection(self, pos: int, depth: int, name: str) -> tuple[list[Attribute], int]:
        if depth > MAX_DEPTH:
            raise IppDecodeError(pos, f"collections nested at most {MAX_DEPTH} deep")
        members: list[Attribute] = []
        n = self.n
        while True:
            if pos >= n:
                raise IppDecodeError(pos, f"memberAttrName or endCollection in collection {name!r}")
            tag = self.buf[pos]
            if tag < 0x10:
                raise IppDecodeError(
                    pos,
                    f"endCollection (0x37) before the delimiter tag, collection {name!r} is open",
                )
            tag, fname, start, end, nxt = self.field(pos)
            if fname:
                raise IppDecodeError(
                    pos + 3, f"an empty name inside collection {name!r}, got {fname!r}"
                )
            if tag == 0x37:
                return members, nxt
            if tag == 0x4A:
                try:
                    member = self.buf[start:end].decode("utf-8")
                except UnicodeDecodeError:
                    raise IppDecodeError(start, "a UTF-8 member name") from None
                if not member:
                    raise IppDecodeError(start, f"a non-empty member name in collection {name!r}")
                if nxt >= n:
                    raise IppDecodeError(nxt, f"the value of member {member!r}")
                vtag = self.buf[nxt]
                if vtag < 0x10 or vtag in (0x37, 0x4A):
                    raise IppDecodeError(
                        nxt, f"a value tag for member {member!r}, got 0x{vtag:02x}"
                    )
                vtag, vname, vs, ve, _ = self.field(nxt)
                if vname:
                    raise IppDecodeError(
                        nxt + 3, f"an empty name for the value of member {member!r}"
                    )
                value, pos = self.value(vtag, vs, ve, member, depth)
                self.count_attribute(nxt)
                members.append(Attribute(member, vtag, [value]))
                continue
            if not members:
                raise IppDecodeError(pos, f"memberAttrName (0x4a) first in collection {name!r}")
            value, pos = self.value(tag, start, end, members[-1].name, depth)
            _append(members[-1], tag, value)

    def count_attribute(self, pos: int) -> None:
        self.attributes += 1
        if self.attributes > MAX_ATTRIBUTES:
            raise IppDecodeError(pos, f"at most {MAX_ATTRIBUTES} attributes in one message")


def _append(attr: Attribute, tag: int, value: Any) -> None:
    if attr.value_tags is None and tag != attr.tag:
        attr.value_tags = [attr.tag] * len(attr.values)
    if attr.value_tags is not None:
        attr.value_tags.append(tag)
    attr.values.append(value)


def decode(data: bytes | bytearray | memoryview) -> Message:
    """Parse one IPP message; what follows end-of-attributes becomes ``Message.data``."""
    buf = bytes(data)
    n = len(buf)
    if n < 8:
        raise IppDecodeError(n, "an 8-byte header (version, operation-id/status-code, request-id)")
    major, minor, code, request_id = _HEADER.unpack_from(buf, 0)
    msg = Message((major, minor), code, request_id)
    dec = _Decoder(buf)
    pos = 8
    group: Group | None = None
    last: Attribute | None = None
    while True:
        if pos >= n:
            raise IppDecodeError(pos, "a group tag or end-of-attributes-tag (0x03)")
        tag = buf[pos]
        if tag < 0x10:
            pos += 1
            if tag == 0x03:
                msg.data = buf[pos:]
                return msg
            group = Group(tag)
            msg.groups.append(group)
            last = None
            continue
        if group is None:
            raise IppDecodeError(
                pos, f"a group tag before the first attribute, got value tag 0x{tag:02x}"
            )
        if tag == 0x37 or tag == 0x4A:
            raise IppDecodeError(pos, f"an attribute, got {Tag(tag).name} outside a collection")
        start_pos = pos
        tag, name, start, end, pos = dec.field(pos)
        if name:
            value, pos = dec.value(tag, start, end, name, 0)
            dec.count_attribute(start_pos)
            last = Attribute(name, tag, [value])
            group.attributes.append(last)
        else:
            if last is None:
                raise IppDecodeError(
                    start_pos + 1,
                    "an attribute name (an additional value needs an attribute before it)",
                )
            value, pos = dec.value(tag, start, end, last.name, 0)
            _append(last, tag, value)


# ---------------------------------------------------------------------------------------------
# Encoding
# ---------------------------------------------------------------------------------------------


def _value_bytes(tag: int, value: Any, name: str) -> bytes:
    try:
        if tag in STRING_TAGS:
            return value.encode("utf-8")
        if tag == 0x21 or tag == 0x23:
            if isinstance(value, bool):
                value = int(value)
            return _I32.pack(value)
        if tag == 0x22:
            return b"\x01" if value else b"\x00"
        if tag == 0x33:
            return _RANGE.pack(value.lower, value.upper)
        if tag == 0x32:
            return _RES.pack(value.x, value.y, value.units)
        if tag == 0x35 or tag == 0x36:
            lang = value.language.encode("utf-8")
            text = value.text.encode("utf-8")
            return _U16.pack(len(lang)) + lang + _U16.pack(len(text)) + text
        if tag == 0x31:
            if isinstance(value, datetime):
                value = DateTime.from_datetime(value)
            return _DATE.pack(
                value.year,
                value.month,
                value.day,
                value.hour,
                value.minute,
                value.second,
                value.decisecond,
                value.direction.encode("ascii"),
                value.utc_hours,
                value.utc_minutes,
            )
        if value is None:
            return b""
        return bytes(value)
    except (AttributeError, TypeError, struct.error, UnicodeError, ValueError) as exc:
        raise IppEncodeError(
            f"attribute {name!r}: value {value!r} does not fit tag 0x{tag:02x} ({exc})"
        ) from None


def _field(out: bytearray, tag: int, name: bytes, value: bytes, attr_name: str) -> None:
    if len(name) > 0xFFFF or len(value) > 0xFFFF:
        raise IppEncodeError(f"attribute {attr_name!r}: name or value longer than 65535 bytes")
    out.append(tag)
    out += _U16.pack(len(name))
    out += name
    out += _U16.pack(len(value))
    out += value


def _encode_values(out: bytearray, attr: Attribute, name: bytes, depth: int) -> None:
    if not (0 <= attr.tag <= 0xFF) or attr.tag < 0x10:
        raise IppEncodeError(f"attribute {attr.name!r}: 0x{attr.tag:02x} is not a value tag")
    tags = attr.value_tags or None
    if tags is not None and len(tags) != len(attr.values):
        raise IppEncodeError(
            f"attribute {attr.name!r}: {len(tags)} value tags for {len(attr.values)} values"
        )
    if not attr.values:
        raise IppEncodeError(f"attribute {attr.name!r} has no value (use an out-of-band tag)")
    for i, value in enumerate(attr.values):
        tag = tags[i] if tags is not None else attr.tag
        if tag == 0x34:
            if depth >= MAX_DEPTH:
                raise IppEncodeError(
                    f"attribute {attr.name!r}: collections nested deeper than {MAX_DEPTH}"
                )
            _field(out, 0x34, name, b"", attr.name)
            for member in value:
                _field(out, 0x4A, b"", member.name.encode("utf-8"), member.name)
                _encode_values(out, member, b"", depth + 1)
            _field(out, 0x37, b"", b"", attr.name)
        else:
            _field(out, tag, name, _value_bytes(tag, value, attr.name), attr.name)
        name = b""


def encode_attribute(attr: Attribute) -> bytes:
    """The wire bytes of one attribute with all its values (for pre-encoded blocks)."""
    out = bytearray()
    _encode_values(out, attr, attr.name.encode("utf-8"), 0)
    return bytes(out)


def encode(msg: Message) -> bytes:
    """Serialise ``msg``: header, groups in order, end-of-attributes, then ``msg.data``.

    A group's attributes may also be ``bytes`` (pre-encoded with :func:`encode_attribute`).
    """
    out = bytearray()
    try:
        out += _HEADER.pack(msg.version[0], msg.version[1], msg.code, msg.request_id)
    except struct.error as exc:
        raise IppEncodeError(
            f"bad header (version {msg.version}, code {msg.code}, request-id {msg.request_id}): {exc}"
        ) from None
    for group in msg.groups:
        if not 0 <= group.tag < 0x10 or group.tag == 0x03:
            raise IppEncodeError(f"0x{group.tag:02x} is not a group tag")
        out.append(group.tag)
        for attr in group.attributes:
            if isinstance(attr, (bytes, bytearray)):
                out += attr
            else:
                _encode_values(out, attr, attr.name.encode("utf-8"), 0)
    out.append(0x03)
    out += msg.data
    return bytes(out)
