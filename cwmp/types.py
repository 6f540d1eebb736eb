"""TR-106 data types: lexical rules, facets, canonical forms and the named types.

Every parameter value travels as a string on the wire; this module decides whether a string is
a valid value of a parameter's type and what its canonical spelling is. The base types follow
TR-106 section 3.2 (which borrows XML Schema's lexical spaces); the named types (MACAddress,
IPv4Address, UUID, StatsCounter64, ...) are read from the Broadband Forum's own
``tr-106-types.xml`` (found via ``printbench.common.standards.bbf_dir()``) rather than typed in by hand,
so a newer file brings newer types.

Errors carry the TR-069 fault code an SPV would answer with: 9006 (invalid parameter type) when
the string is not in the base type's lexical space at all, 9007 (invalid parameter value) when it
is well-formed but breaks a facet (range, length, enumeration, pattern, list size).
"""

from __future__ import annotations

import base64
import binascii
import copy
import ipaddress
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

FAULT_INVALID_TYPE = 9006
FAULT_INVALID_VALUE = 9007

BASE_TYPES = (
    "string",
    "int",
    "unsignedInt",
    "long",
    "unsignedLong",
    "boolean",
    "dateTime",
    "base64",
    "hexBinary",
    "decimal",
)

INTEGER_BOUNDS: dict[str, tuple[int, int]] = {
    "int": (-(2**31), 2**31 - 1),
    "unsignedInt": (0, 2**32 - 1),
    "long": (-(2**63), 2**63 - 1),
    "unsignedLong": (0, 2**64 - 1),
}

XSI_TYPES: dict[str, str] = {
    "string": "xsd:string",
    "int": "xsd:int",
    "unsignedInt": "xsd:unsignedInt",
    "long": "xsd:long",
    "unsignedLong": "xsd:unsignedLong",
    "boolean": "xsd:boolean",
    "dateTime": "xsd:dateTime",
    "base64": "xsd:base64Binary",
    "hexBinary": "xsd:hexBinary",
    "decimal": "xsd:decimal",
}
_XSI_TO_BASE = {v.split(":", 1)[1]: k for k, v in XSI_TYPES.items()}

UNKNOWN_TIME = "0001-01-01T00:00:00Z"
"""TR-106 3.2.1: the dateTime value meaning "unknown time"."""
INFINITE_TIME = "9999-12-31T23:59:59Z"
"""TR-106 3.2.1: the dateTime value meaning "infinite time" (never)."""

_INT_RE = re.compile(r"[+-]?[0-9]+")
_DECIMAL_RE = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
_HEX_RE = re.compile(r"([0-9A-Fa-f]{2})*")
_B64_CHARS = re.compile(r"[A-Za-z0-9+/=]*")
_DATETIME_RE = re.compile(
    r"(?P<y>-?[0-9]{4,})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})"
    r"T(?P<h>[0-9]{2}):(?P<mi>[0-9]{2}):(?P<s>[0-9]{2})(?:\.(?P<f>[0-9]+))?"
    r"(?P<tz>Z|[+-][0-9]{2}:[0-9]{2})?"
)
# Characters XML 1.0 cannot carry: a string holding them could never be sent in a SOAP message.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_XSD_WS = " \t\r\n"


class ParamTypeError(TypeError):
    """A lexical value does not fit a parameter type; ``fault`` is the TR-069 fault code."""

    def __init__(self, fault: int, message: str, *, value: str | None = None, rule: str = ""):
        super().__init__(message)
        self.fault = fault
        self.message = message
        self.value = value
        self.rule = rule

    def reworded(self, message: str, *, value: str | None = None) -> ParamTypeError:
        """The same error (class, fault, rule) with another message and value."""
        new = copy.copy(self)
        new.args = (message,)
        new.message = message
        new.value = value
        return new


class InvalidType(ParamTypeError):
    """Not in the base type's lexical space (fault 9006)."""

    def __init__(self, message: str, *, value: str | None = None, rule: str = ""):
        super().__init__(FAULT_INVALID_TYPE, message, value=value, rule=rule)


class InvalidValue(ParamTypeError):
    """Well-formed but outside a facet: range, length, enumeration, pattern (fault 9007)."""

    def __init__(self, message: str, *, value: str | None = None, rule: str = ""):
        super().__init__(FAULT_INVALID_VALUE, message, value=value, rule=rule)


class TypesFileError(ValueError):
    """tr-106-types.xml could not be read or holds something this module does not understand."""


def _short(value: str, limit: int = 60) -> str:
    return repr(value if len(value) <= limit else value[:limit] + "...")


#: Values a ParamType remembers as valid (per type): enough for a fleet's printers.
_FACETS_MEMO = 4096

@dataclass(frozen=True)
class Range:
    """TR-106 range facet: inclusive bounds (None = unbounded) and an optional step."""

    min: int | Decimal | None = None
    max: int | Decimal | None = None
    step: int | None = None

    def contains(self, v: int | Decimal) -> bool:
        if self.min is not None and v < self.min:
            return False
        if self.max is not None and v > self.max:
            return False
        if self.step and self.step > 1:
            origin = self.min if self.min is not None else 0
            return (v - origin) % self.step == 0
        return True

    def __str__(self) -> str:
        lo = "" if self.min is None else str(self.min)
        hi = "" if self.max is None else str(self.max)
        return f"[{lo}:{hi}" + (f" step {self.step}]" if self.step else "]")


@dataclass(frozen=True)
class ListFacet:
    """TR-106 comma-separated list: item count and whole-string length limits."""

    min_items: int | None = None
    max_items: int | None = None
    min_length: int | None = None
    max_length: int | None = None
    nested_brackets: bool = False  # reserved: TR-106 nested lists "[a,b],[c]" are not supported


@dataclass(frozen=True, eq=False)
class ParamType:
    """A TR-106 data type: base type plus facets, optionally a comma-separated list of it.

    ``validate`` maps an input string to its canonical form or raises ``ParamTypeError``.
    Instances are immutable and shared by every parameter (and device) that uses them.
    """

    base: str = "string"
    name: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    ranges: tuple[Range, ...] = ()
    enumerations: tuple[str, ...] = ()
    # Each inner tuple is one derivation step's patterns (alternatives, any may match); every
    # step must match (XML Schema semantics of patterns across derivation steps).
    pattern_steps: tuple[tuple[str, ...], ...] = ()
    list: ListFacet | None = None
    boolean_as_digit: bool = False
    checks: tuple[Callable[[str], str | None], ...] = ()
    _compiled: tuple[tuple[re.Pattern[str], ...], ...] = field(
        default=(), init=False, repr=False, compare=False
    )
    #: Canonical values that passed the facets: the checks are a pure function of the type and
    #: the value, and a device reads the same values in every Inform (py-spy: pattern matching
    #: was 5-7 % of a fleet worker's CPU). Bounded by _FACETS_MEMO.
    _passed: set[str] = field(default_factory=set, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.base not in BASE_TYPES:
            raise ValueError(f"unknown TR-106 base type {self.base!r}")
        compiled = tuple(tuple(re.compile(p) for p in step) for step in self.pattern_steps)
        object.__setattr__(self, "_compiled", compiled)
        object.__setattr__(self, "_passed", set())

    # -- public API -------------------------------------------------------------------------

    @property
    def xsi_type(self) -> str:
        """The xsi:type a value of this type carries in a SOAP message (lists are strings)."""
        return "xsd:string" if self.list is not None else XSI_TYPES[self.base]

    @property
    def label(self) -> str:
        """Human-readable type name for messages: the named type if any, else the base."""
        n = self.name or self.base
        return f"list of {n}" if self.list is not None else n

    def validate(self, lexical: str) -> str:
        """Check ``lexical`` against this type; return its canonical form."""
        if not isinstance(lexical, str):
            raise InvalidType(
                f"value {lexical!r} is not a string", value=str(lexical), rule="lexical string"
            )
        if self.list is not None:
            return self._validate_list(lexical)
        return self._validate_item(lexical)

    def is_valid(self, lexical: str) -> bool:
        try:
            self.validate(lexical)
        except ParamTypeError:
            return False
        return True

    def to_python(self, lexical: str) -> Any:
        """Validate and convert to a Python value (int, bool, datetime, bytes, Decimal, str, list)."""
        canonical = self.validate(lexical)
        if self.list is not None:
            item = self.item_type()
            return [item._convert(x) for x in _split_list(canonical)] if canonical else []
        return self._convert(canonical)

    def from_python(self, value: Any) -> str:
        """Render a Python value as this type's canonical lexical form (validated)."""
        if self.list is not None and not isinstance(value, str):
            item = self.item_type()
            return self.validate(",".join(item.from_python(v) for v in value))
        return self.validate(self._render(value))

    def item_type(self) -> ParamType:
        """For a list type, the type of each item (same facets without the list)."""
        return replace(self, list=None)

    def restrict(self, **facets: Any) -> ParamType:
        """A derived type with some facets replaced (e.g. ``restrict(max_length=64)``).

        ``patterns=`` adds a derivation step of patterns; ``ranges=`` accepts Range objects
        or (min, max) tuples.
        """
        if "patterns" in facets:
            pats = tuple(facets.pop("patterns"))
            facets["pattern_steps"] = (*self.pattern_steps, pats) if pats else self.pattern_steps
        if "ranges" in facets:
            facets["ranges"] = tuple(
                r if isinstance(r, Range) else Range(*r) for r in facets["ranges"]
            )
        if "enumerations" in facets:
            facets["enumerations"] = tuple(facets["enumerations"])
        return replace(self, **facets)

    def as_list(self, **list_facets: Any) -> ParamType:
        """This type as the item type of a comma-separated list."""
        return replace(self, list=ListFacet(**list_facets))

    # -- lexical validation -------------------------------------------------------------------

    def _validate_list(self, lexical: str) -> str:
        lf = self.list
        assert lf is not None
        # TR-106 3.2.3: whitespace around the commas is not significant; we drop it and
        # rebuild the list with bare commas (canonical form).
        items = _split_list(lexical) if lexical.strip(_XSD_WS) else []
        canon_items = []
        for i, item in enumerate(items, 1):
            try:
                canon_items.append(self._validate_item(item))
            except ParamTypeError as exc:
                raise exc.reworded(
                    f"list item {i} of {_short(lexical)}: {exc.message}", value=lexical
                ) from None
        canonical = ",".join(canon_items)
        n = len(canon_items)
        if lf.min_items is not None and n < lf.min_items:
            raise InvalidValue(
                f"value {_short(lexical)} has {n} items, fewer than the minimum {lf.min_items}",
                value=lexical,
                rule=f"minItems {lf.min_items}",
            )
        if lf.max_items is not None and n > lf.max_items:
            raise InvalidValue(
                f"value {_short(lexical)} has {n} items, more than the maximum {lf.max_items}",
                value=lexical,
                rule=f"maxItems {lf.max_items}",
            )
        if lf.max_length is not None and len(canonical) > lf.max_length:
            raise InvalidValue(
                f"list {_short(lexical)} is {len(canonical)} characters long, "
                f"more than the maximum {lf.max_length}",
                value=lexical,
                rule=f"list maxLength {lf.max_length}",
            )
        if lf.min_length is not None and len(canonical) < lf.min_length:
            raise InvalidValue(
                f"list {_short(lexical)} is shorter than the minimum {lf.min_length}",
                value=lexical,
                rule=f"list minLength {lf.min_length}",
            )
        return canonical

    def _validate_item(self, lexical: str) -> str:
        canonical = _LEXICAL[self.base](self, lexical)
        self._check_facets(lexical, canonical)
        return canonical

    def _check_facets(self, lexical: str, canonical: str) -> None:
        passed = self._passed
        if canonical in passed:
            return
        self._check_facets_once(lexical, canonical)
        if len(passed) < _FACETS_MEMO:
            passed.add(canonical)

    def _check_facets_once(self, lexical: str, canonical: str) -> None:
        if self.base in ("string", "base64", "hexBinary"):
            if self.base == "string":
                length = len(canonical)
                unit = "characters"
            elif self.base == "base64":
                length = len(base64.b64decode(canonical))
                unit = "bytes"
            else:
                length = len(canonical) // 2
                unit = "bytes"
            if self.max_length is not None and length > self.max_length:
                raise InvalidValue(
                    f"value {_short(lexical)} is {length} {unit} long, more than the "
                    f"maximum {self.max_length} of {self.label}",
                    value=lexical,
                    rule=f"maxLength {self.max_length}",
                )
            if self.min_length is not None and length < self.min_length:
                raise InvalidValue(
                    f"value {_short(lexical)} is {length} {unit} long, less than the "
                    f"minimum {self.min_length} of {self.label}",
                    value=lexical,
                    rule=f"minLength {self.min_length}",
                )
        if self.ranges and (self.base in INTEGER_BOUNDS or self.base == "decimal"):
            num: int | Decimal = int(canonical) if self.base != "decimal" else Decimal(canonical)
            if not any(r.contains(num) for r in self.ranges):
                allowed = " or ".join(str(r) for r in self.ranges)
                raise InvalidValue(
                    f"value {_short(lexical)} is outside the range {allowed} of {self.label}",
                    value=lexical,
                    rule=f"range {allowed}",
                )
        if self.enumerations and canonical not in self.enumerations:
            shown = ", ".join(self.enumerations[:12]) + (
                ", ..." if len(self.enumerations) > 12 else ""
            )
            raise InvalidValue(
                f"value {_short(lexical)} is not one of the enumeration of {self.label}: {shown}",
                value=lexical,
                rule="enumeration",
            )
        for step, compiled in zip(self.pattern_steps, self._compiled, strict=True):
            if not any(p.fullmatch(canonical) for p in compiled):
                raise InvalidValue(
                    f"value {_short(lexical)} does not match the pattern of {self.label}: "
                    + " | ".join(repr(p) for p in step),
                    value=lexical,
                    rule="pattern",
                )
        for check in self.checks:
            problem = check(canonical)
            if problem:
                raise InvalidValue(
                    f"value {_short(lexical)} is not a valid {self.label}: {problem}",
                    value=lexical,
                    rule=self.label,
                )

    # -- python conversion --------------------------------------------------------------------

    def _convert(self, canonical: str) -> Any:
        b = self.base
        if b in INTEGER_BOUNDS:
            return int(canonical)
        if b == "boolean":
            return canonical in ("true", "1")
        if b == "dateTime":
            return parse_datetime(canonical)
        if b == "base64":
            return base64.b64decode(canonical)
        if b == "hexBinary":
            return bytes.fromhex(canonical)
        if b == "decimal":
            return Decimal(canonical)
        return canonical

    def _render(self, value: Any) -> str:
        b = self.base
        if isinstance(value, str):
            return value
        if b == "boolean":
            if not isinstance(value, bool | int):
                raise InvalidType(f"{value!r} is not a boolean", value=repr(value), rule="boolean")
            return (
                ("1" if value else "0") if self.boolean_as_digit else ("true" if value else "false")
            )
        if b in INTEGER_BOUNDS:
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidType(f"{value!r} is not an integer", value=repr(value), rule=b)
            return str(value)
        if b == "dateTime":
            if not isinstance(value, datetime):
                raise InvalidType(f"{value!r} is not a datetime", value=repr(value), rule=b)
            return format_datetime(value)
        if b in ("base64", "hexBinary"):
            if not isinstance(value, bytes | bytearray):
                raise InvalidType(f"{value!r} is not bytes", value=repr(value), rule=b)
            return base64.b64encode(value).decode() if b == "base64" else value.hex().upper()
        if b == "decimal":
            return str(value)
        return str(value)


# -- base type lexical rules ------------------------------------------------------------------


def _lex_string(t: ParamType, s: str) -> str:
    m = _XML_ILLEGAL.search(s)
    if m:
        raise InvalidValue(
            f"value {_short(s)} holds the control character U+{ord(m.group()):04X}, "
            "which XML cannot carry",
            value=s,
            rule="XML characters",
        )
    return s


def _lex_integer(t: ParamType, s: str) -> str:
    text = s.strip(_XSD_WS)
    if not _INT_RE.fullmatch(text):
        raise InvalidType(f"value {_short(s)} is not an integer ({t.base})", value=s, rule=t.base)
    v = int(text)
    lo, hi = INTEGER_BOUNDS[t.base]
    if not lo <= v <= hi:
        # Out of the base type's own range: TR-069 treats this as the wrong type (9006), since
        # no value of the declared type has that spelling.
        raise InvalidType(
            f"value {_short(s)} is outside the {t.base} range [{lo}:{hi}]", value=s, rule=t.base
        )
    return str(v)


def _lex_boolean(t: ParamType, s: str) -> str:
    text = s.strip(_XSD_WS)
    if text in ("true", "1"):
        return "1" if t.boolean_as_digit else "true"
    if text in ("false", "0"):
        return "0" if t.boolean_as_digit else "false"
    raise InvalidType(
        f"value {_short(s)} is not a boolean (true, false, 1 or 0)", value=s, rule="boolean"
    )


def _lex_datetime(t: ParamType, s: str) -> str:
    text = s.strip(_XSD_WS)
    try:
        dt = parse_datetime(text)
    except ValueError as exc:
        raise InvalidType(
            f"value {_short(s)} is not a dateTime: {exc}", value=s, rule="dateTime"
        ) from None
    return format_datetime(dt, keep_fraction=True)


def _lex_base64(t: ParamType, s: str) -> str:
    text = "".join(s.split())
    if not _B64_CHARS.fullmatch(text) or len(text) % 4:
        raise InvalidType(f"value {_short(s)} is not base64", value=s, rule="base64")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidType(f"value {_short(s)} is not base64", value=s, rule="base64") from None
    return base64.b64encode(raw).decode()


def _lex_hex(t: ParamType, s: str) -> str:
    text = s.strip(_XSD_WS)
    if not _HEX_RE.fullmatch(text):
        raise InvalidType(
            f"value {_short(s)} is not hexBinary (an even number of hex digits)",
            value=s,
            rule="hexBinary",
        )
    return text.upper()


def _lex_decimal(t: ParamType, s: str) -> str:
    text = s.strip(_XSD_WS)
    if not _DECIMAL_RE.fullmatch(text):
        raise InvalidType(f"value {_short(s)} is not a decimal", value=s, rule="decimal")
    try:
        d = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the regex already rules this out
        raise InvalidType(f"value {_short(s)} is not a decimal", value=s, rule="decimal") from None
    out = format(d.normalize(), "f") if d != 0 else "0"
    return out


_LEXICAL: dict[str, Callable[[ParamType, str], str]] = {
    "string": _lex_string,
    "int": _lex_integer,
    "unsignedInt": _lex_integer,
    "long": _lex_integer,
    "unsignedLong": _lex_integer,
    "boolean": _lex_boolean,
    "dateTime": _lex_datetime,
    "base64": _lex_base64,
    "hexBinary": _lex_hex,
    "decimal": _lex_decimal,
}


def _split_list(text: str) -> list[str]:
    return [item.strip(_XSD_WS) for item in text.split(",")]


# -- dateTime helpers -------------------------------------------------------------------------


def parse_datetime(text: str) -> datetime:
    """Parse an xsd:dateTime as TR-106 uses it; return an aware UTC datetime.

    A value without a time zone is taken as UTC (TR-106 3.2.1: times are UTC unless a
    parameter says otherwise). Fractions beyond microseconds are truncated. Raises ValueError.
    """
    m = _DATETIME_RE.fullmatch(text)
    if not m:
        raise ValueError("expected YYYY-MM-DDThh:mm:ss[.fff][Z|+hh:mm]")
    year = int(m["y"])
    if not 1 <= year <= 9999:
        raise ValueError(f"year {year} is outside 0001..9999")
    hour, minute, second = int(m["h"]), int(m["mi"]), int(m["s"])
    frac = m["f"] or ""
    end_of_day = hour == 24
    if end_of_day:
        if minute or second or frac.strip("0"):
            raise ValueError("24:xx:xx is only allowed as 24:00:00")
        hour = 0
    try:
        dt = datetime(
            year,
            int(m["mo"]),
            int(m["d"]),
            hour,
            minute,
            second,
            int((frac + "000000")[:6]) if frac else 0,
            tzinfo=UTC,
        )
    except ValueError as exc:
        raise ValueError(str(exc)) from None
    try:
        if end_of_day:
            dt += timedelta(days=1)
        tz = m["tz"]
        if tz and tz != "Z":
            sign = 1 if tz[0] == "+" else -1
            hh, mm = int(tz[1:3]), int(tz[4:6])
            if hh > 14 or mm > 59 or (hh == 14 and mm):
                raise ValueError(f"time zone {tz} is out of range")
            dt -= sign * timedelta(hours=hh, minutes=mm)
    except OverflowError:
        raise ValueError("the time falls outside 0001..9999 once converted to UTC") from None
    return dt


def format_datetime(dt: datetime, *, keep_fraction: bool = True, milliseconds: bool = False) -> str:
    """Render a datetime in TR-106 form: UTC with a ``Z``.

    Naive datetimes are taken as UTC. ``keep_fraction`` keeps microseconds (trailing zeros
    trimmed); ``milliseconds`` always writes exactly three fraction digits (a quirk some ACSs
    expect, cf. GenieACS ``cwmp.datetimeMilliseconds``).
    """
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC)
    base = (
        f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}"
    )
    if milliseconds:
        return f"{base}.{dt.microsecond // 1000:03d}Z"
    if keep_fraction and dt.microsecond:
        return f"{base}.{f'{dt.microsecond:06d}'.rstrip('0')}Z"
    return base + "Z"


# -- constructors for the base types ----------------------------------------------------------


def string(max_length: int | None = None, **facets: Any) -> ParamType:
    """``string(64)`` is TR-106 ``string(64)``."""
    return ParamType("string").restrict(max_length=max_length, **facets)


def int_(min: int | None = None, max: int | None = None, **facets: Any) -> ParamType:
    return _ranged("int", min, max, facets)


def unsigned_int(min: int | None = None, max: int | None = None, **facets: Any) -> ParamType:
    return _ranged("unsignedInt", min, max, facets)


def long(min: int | None = None, max: int | None = None, **facets: Any) -> ParamType:
    return _ranged("long", min, max, facets)


def unsigned_long(min: int | None = None, max: int | None = None, **facets: Any) -> ParamType:
    return _ranged("unsignedLong", min, max, facets)


def boolean(as_digit: bool = False) -> ParamType:
    """``as_digit`` makes the canonical output 1/0 instead of true/false (a CPE quirk switch)."""
    return ParamType("boolean", boolean_as_digit=as_digit)


def date_time() -> ParamType:
    return ParamType("dateTime")


def base64_(max_length: int | None = None, **facets: Any) -> ParamType:
    return ParamType("base64").restrict(max_length=max_length, **facets)


def hex_binary(max_length: int | None = None, **facets: Any) -> ParamType:
    return ParamType("hexBinary").restrict(max_length=max_length, **facets)


def decimal(**facets: Any) -> ParamType:
    return ParamType("decimal").restrict(**facets)


def _ranged(base: str, lo: int | None, hi: int | None, facets: dict[str, Any]) -> ParamType:
    t = ParamType(base)
    if lo is not None or hi is not None:
        facets.setdefault("ranges", (Range(lo, hi),))
    return t.restrict(**facets) if facets else t


def base_type(name: str) -> ParamType:
    """The plain base type called ``name`` (``"unsignedInt"``, ``"base64"``...)."""
    if name not in BASE_TYPES:
        raise ValueError(f"unknown TR-106 base type {name!r}")
    return _plain(name)


@cache
def _plain(name: str) -> ParamType:
    return ParamType(name)


def base_of_xsi(xsi_type: str) -> str | None:
    """Map an xsi:type value (any prefix: ``xsd:int``, ``xs:int``, ``int``) to a TR-106 base."""
    local = xsi_type.rsplit(":", 1)[-1].strip()
    return _XSI_TO_BASE.get(local)


# -- named types from tr-106-types.xml --------------------------------------------------------

# The XML gives no pattern for these; their rules live in the description text (IPAddress:
# "any of the 3 standard textual representations of RFC 4291 2.2, no zone identifiers, empty
# for unspecified"). These checks implement that prose; they are the only hand-written rules.


_DOTTED_QUAD = re.compile(
    r"((25[0-5]|2[0-4][0-9]|[01]?[0-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|[01]?[0-9]?[0-9])"
)


def _check_ip(v: str, versions: Sequence[int]) -> str | None:
    if v == "":
        return None
    if "%" in v:
        return "zone identifiers are not allowed"
    if _DOTTED_QUAD.fullmatch(v):
        return None if 4 in versions else "an IPv4 address where IPv6 is required"
    try:
        addr = ipaddress.ip_address(v)
    except ValueError:
        return "not an IPv4 dotted-decimal or RFC 4291 IPv6 address"
    if addr.version not in versions:
        return f"not an IPv{'/'.join(str(x) for x in versions)} address"
    return None


def _check_prefix(v: str, versions: Sequence[int]) -> str | None:
    if v == "" or (v.startswith("/") and 4 in versions):
        return None
    try:
        net = ipaddress.ip_network(v, strict=False)
    except ValueError:
        return "not an address/length CIDR prefix"
    if "/" not in v:
        return "the prefix length is missing"
    return None if net.version in versions else "wrong IP version"


_PROSE_CHECKS: dict[str, tuple[Callable[[str], str | None], ...]] = {
    "IPAddress": (lambda v: _check_ip(v, (4, 6)),),
    "IPv6Address": (lambda v: _check_ip(v, (6,)),),
    "IPPrefix": (lambda v: _check_prefix(v, (4, 6)),),
    "IPv6Prefix": (lambda v: _check_prefix(v, (6,)),),
}
# IPv4Address derives from IPAddress; its own pattern is stricter, and the IPAddress check
# still applies (it accepts every IPv4 the pattern accepts). Checks are inherited by derivation.

_FACET_TAGS = {"size", "range", "enumeration", "pattern"}


def apply_facets(t: ParamType, elems: Iterable[Any], where: str) -> ParamType:
    """``t`` restricted by TR-106 facet elements (``size``, ``range``, ``enumeration``,
    ``pattern``) as found in a data-model file; other elements are ignored.

    Public so data-model loaders (datamodel/loader.py) read facets exactly as the named
    types are read. ``where`` prefixes the ``TypesFileError`` for a pattern that does not
    compile.
    """
    sizes = []
    ranges = []
    enums = []
    patterns = []
    for el in elems:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag == "size":
            sizes.append(el)
        elif tag == "range":
            step = el.get("step")
            ranges.append(
                Range(
                    _num(el.get("minInclusive"), t.base),
                    _num(el.get("maxInclusive"), t.base),
                    int(step) if step else None,
                )
            )
        elif tag == "enumeration":
            enums.append(el.get("value", ""))
        elif tag == "pattern":
            patterns.append(el.get("value", ""))
    kw: dict[str, Any] = {}
    for el in sizes:  # several size elements are alternatives; we take the widest bound
        if el.get("maxLength") is not None:
            kw["max_length"] = max(int(el.get("maxLength")), kw.get("max_length", 0))
        if el.get("minLength") is not None:
            kw["min_length"] = min(int(el.get("minLength")), kw.get("min_length", 10**9))
    if ranges:
        kw["ranges"] = tuple(ranges)
    if enums:
        kw["enumerations"] = tuple(enums)
    if patterns:
        kw["patterns"] = tuple(patterns)
    try:
        return t.restrict(**kw) if kw else t
    except re.error as exc:
        raise TypesFileError(f"{where}: pattern does not compile: {exc}") from None


def _num(text: str | None, base: str) -> int | Decimal | None:
    if text is None:
        return None
    return Decimal(text) if base == "decimal" else int(text)


def load_named_types(path: Path) -> dict[str, ParamType]:
    """Read every ``<dataType>`` of a TR-106 data-model file (e.g. tr-106-types.xml).

    The parser loads no DTD and resolves no external entity; the file's internal
    character entities (``&octet;`` and friends inside pattern attributes) are expanded by
    libxml2 as part of attribute-value normalisation, which is what their authors intended.
    """
    from lxml import etree  # local import: the rest of this module is useful without lxml

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        tree = etree.parse(str(path), parser)
    except (OSError, etree.XMLSyntaxError) as exc:
        raise TypesFileError(f"{path}: cannot read data types: {exc}") from None
    raw: dict[str, Any] = {}
    for el in tree.getroot():
        if isinstance(el.tag, str) and el.tag == "dataType" and el.get("name"):
            raw[el.get("name")] = el
    out: dict[str, ParamType] = {}

    def build(name: str, stack: tuple[str, ...] = ()) -> ParamType:
        if name in out:
            return out[name]
        if name in stack:
            raise TypesFileError(f"{path}: data type {name!r} derives from itself")
        el = raw.get(name)
        if el is None:
            raise TypesFileError(f"{path}: data type {stack[-1]!r} names unknown base {name!r}")
        where = f"{path}:{el.sourceline}: dataType {name}"
        base_name = el.get("base")
        children = [c for c in el if isinstance(c.tag, str) and c.tag != "description"]
        if base_name:
            t = build(base_name, (*stack, name))
            t = apply_facets(t, (c for c in children if c.tag in _FACET_TAGS), where)
        else:
            builtin = [c for c in children if c.tag in BASE_TYPES or c.tag == "list"]
            if not builtin:
                raise TypesFileError(f"{where}: no base type")
            b = builtin[0]
            list_of = None
            if b.tag == "list":
                list_of = list_facet(b)
                inner = [c for c in children if c.tag in BASE_TYPES]
                if not inner:
                    raise TypesFileError(f"{where}: list without item type")
                b = inner[0]
            t = ParamType(b.tag)
            t = apply_facets(t, b, where)
            if list_of is not None:
                t = replace(t, list=list_of)
        checks = _PROSE_CHECKS.get(name, ())
        t = replace(t, name=name, checks=t.checks + checks)
        out[name] = t
        return t

    for name in raw:
        build(name)
    return out


def list_facet(el: Any) -> ListFacet:
    """The ``ListFacet`` of a TR-106 ``<list>`` element (minItems, maxItems, its ``size``)."""
    min_length = max_length = None
    for size in el.findall("size"):
        max_length = _int_attr(size, "maxLength", max_length)
        min_length = _int_attr(size, "minLength", min_length)
    return ListFacet(
        min_items=_int_attr(el, "minItems"),
        max_items=_int_attr(el, "maxItems"),
        min_length=min_length,
        max_length=max_length,
    )


def _int_attr(el: Any, name: str, default: int | None = None) -> int | None:
    """Attribute ``name`` of ``el`` as an int; ``default`` when it is absent or empty."""
    value = el.get(name)
    return int(value) if value else default


# The names datamodel/loader.py used before these became public; kept for compatibility.
_apply_facets = apply_facets
_list_facet = list_facet


@cache
def named_types() -> dict[str, ParamType]:
    """The named data types of tr-106-types.xml, loaded once per process."""
    from printbench.common.standards import bbf_dir

    return load_named_types(bbf_dir() / "tr-106-types.xml")


def named(name: str) -> ParamType:
    """A named TR-106 data type (``named("MACAddress")``); KeyError names what exists."""
    types = named_types()
    try:
        return types[name]
    except KeyError:
        raise KeyError(f"no TR-106 data type {name!r}; known: {', '.join(sorted(types))}") from None


def type_by_name(name: str) -> ParamType:
    """A base type or a named type by its TR-106 name."""
    return base_type(name) if name in BASE_TYPES else named(name)
