"""Form fields of the embedded web server and the rules that validate them.

A field is named by the state path it edits (``network.smtp_server``), so the HTML form, the
JSON twin and every other face (SNMP, IPP, TR-069) agree on one value. Validation is pure:
a raw value in, a normalised typed value out, or a :class:`FieldError` whose message says
what was expected. Two entry points share the semantic checks:

* :func:`from_form` takes what a browser posts (strings; a checkbox is absent when off);
* :func:`from_json` takes what a machine posts (JSON types, checked strictly: ``1`` is not
  ``true`` and ``"5"`` is not ``5``).
"""

from __future__ import annotations

import ipaddress
import re
import zoneinfo
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from printbench.emulator.state import text_problem

#: Kinds of field and the Python type each stores in the state.
KINDS: dict[str, type] = {
    "bool": bool,
    "int": int,
    "text": str,
    "secret": str,
    "choice": str,
    "intchoice": int,
    "multichoice": tuple,
    "ipv4": str,
    "netmask": str,
    "ipv4_list": tuple,
    "host": str,
    "hostname": str,
    "domain": str,
    "hostport_list": tuple,
    "email": str,
    "email_list": tuple,
    "url": str,
    "timezone": str,
    "datetime": str,
    "phone": str,
}

LIST_KINDS = frozenset({"multichoice", "ipv4_list", "hostport_list", "email_list"})

#: Longest text a field accepts unless it says otherwise; keeps posts and state small.
DEFAULT_MAX_LEN = 255
#: Most entries a list field accepts unless it says otherwise.
DEFAULT_MAX_ITEMS = 8


class FieldError(ValueError):
    """A posted value is not acceptable; the message is shown next to the field."""


@dataclass(frozen=True)
class Field:
    """One editable value of a configuration page.

    ``choices`` is a tuple of allowed values (for choice kinds); the value the state holds
    now is always accepted as well, so a profile's own value never locks a form.
    ``allow_empty`` lets a text-like field be blank (meaning "not configured").
    """

    path: str
    label: str
    kind: str
    help: str = ""
    min: int | None = None
    max: int | None = None
    min_len: int = 0
    max_len: int = DEFAULT_MAX_LEN
    max_items: int = DEFAULT_MAX_ITEMS
    choices: tuple[Any, ...] = ()
    allow_empty: bool = True

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"field {self.path}: unknown kind {self.kind!r}")

    @property
    def secret(self) -> bool:
        """Write-only: never shown or returned; a blank (form) or null (JSON) keeps it."""
        return self.kind == "secret"

    @property
    def is_list(self) -> bool:
        return self.kind in LIST_KINDS

    def describe(self) -> dict[str, Any]:
        """The field as JSON for machines (``/api/pages``): what it accepts."""
        out: dict[str, Any] = {"path": self.path, "label": self.label, "kind": self.kind}
        if self.help:
            out["help"] = self.help
        if self.min is not None:
            out["min"] = self.min
        if self.max is not None:
            out["max"] = self.max
        if KINDS[self.kind] is str and self.kind not in ("choice",):
            out["max_length"] = self.max_len
            out["allow_empty"] = self.allow_empty
        if self.is_list:
            out["max_items"] = self.max_items
        if self.choices:
            out["choices"] = list(self.choices)
        return out


# ---------------------------------------------------------------------------------------------
# Shared checks
# ---------------------------------------------------------------------------------------------

_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@([A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,63}$"
)
_PHONE = re.compile(r"^\+?[0-9 ()./-]{3,32}( ?(x|ext\.?) ?[0-9]{1,6})?$")
_URL = re.compile(r"^https?://[^\s/?#]+(/[^\s]*)?$", re.IGNORECASE)


@cache
def time_zones() -> tuple[str, ...]:
    """The IANA time zones this system knows, sorted (``UTC`` first)."""
    zones = sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC")
    return ("UTC", *[z for z in zones if z != "UTC"])


def _text(field: Field, value: str) -> str:
    problem = text_problem(value)  # the state's one rule, shared with every other face
    if problem is not None:
        raise FieldError(f"must not contain control characters (tabs, line breaks, NUL): {problem}")
    if len(value) > field.max_len:
        raise FieldError(f"is too long: at most {field.max_len} characters (got {len(value)})")
    if value == "":
        if not field.allow_empty:
            raise FieldError("is required")
        return value
    if len(value) < field.min_len:
        raise FieldError(f"is too short: at least {field.min_len} characters")
    return value


def _ipv4(value: str, *, unicast: bool = True) -> str:
    try:
        addr = ipaddress.IPv4Address(value)
    except ValueError:
        raise FieldError(
            f"{value!r} is not an IPv4 address (dotted quad, e.g. 192.0.2.10)"
        ) from None
    if unicast and (addr.is_multicast or addr.is_unspecified or int(addr) == 0xFFFFFFFF):
        raise FieldError(f"{value} is not a unicast host address")
    return str(addr)


def _hostname(value: str) -> str:
    """An RFC 1123 host name (dotted labels), at most 253 characters."""
    name = value[:-1] if value.endswith(".") else value
    if not name or len(name) > 253 or not all(_LABEL.match(p) for p in name.split(".")):
        raise FieldError(
            f"{value!r} is not a valid host name (letters, digits and '-' in dot-separated labels)"
        )
    if name.replace(".", "").isdigit():
        raise FieldError(f"{value!r} looks like a malformed IPv4 address")
    return value


def _host(value: str) -> str:
    """A host name or an IPv4 address."""
    if re.fullmatch(r"[0-9.]+", value):
        return _ipv4(value)
    return _hostname(value)


def _hostport(item: str) -> str:
    host, sep, port = item.rpartition(":")
    if not sep or not host:
        raise FieldError(f"{item!r} is not host:port (e.g. 192.0.2.5:162)")
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise FieldError(f"{item!r}: port must be a number from 1 to 65535")
    return f"{_host(host)}:{int(port)}"


def _email(value: str) -> str:
    if not _EMAIL.match(value) or len(value) > 254:
        raise FieldError(f"{value!r} is not an e-mail address (name@example.com)")
    return value


def _list(field: Field, items: Sequence[str], check: Callable[[str], str]) -> tuple[str, ...]:
    if len(items) > field.max_items:
        raise FieldError(f"has too many entries: at most {field.max_items} (got {len(items)})")
    out: list[str] = []
    for n, item in enumerate(items, 1):
        if text_problem(item) is not None or len(item) > field.max_len:
            raise FieldError(f"entry {n} is malformed (control characters or too long)")
        try:
            norm = check(item)
        except FieldError as exc:
            raise FieldError(f"entry {n}: {exc}") from None
        if norm in out:
            raise FieldError(f"entry {n} ({item}) is listed twice")
        out.append(norm)
    return tuple(out)


def validate(field: Field, value: Any, current: Any) -> Any:
    """Check a typed value (already the kind's Python type) and return it normalised."""
    kind = field.kind
    if kind == "bool":
        return value
    if kind in ("int", "intchoice"):
        if kind == "intchoice" and value not in field.choices and value != current:
            allowed = ", ".join(str(c) for c in field.choices)
            raise FieldError(f"{value} is not one of {allowed}")
        if field.min is not None and value < field.min:
            raise FieldError(f"must be at least {field.min} (got {value})")
        if field.max is not None and value > field.max:
            raise FieldError(f"must be at most {field.max} (got {value})")
        return value
    if kind == "multichoice":
        if len(value) > len(field.choices):
            raise FieldError("lists a choice more than once")
        for item in value:
            if item not in field.choices:
                raise FieldError(f"{str(item)[:40]!r} is not one of {', '.join(field.choices)}")
        if len(set(value)) != len(value):
            raise FieldError("lists a choice more than once")
        return tuple(c for c in field.choices if c in value)  # canonical order
    if kind == "ipv4_list":
        return _list(field, value, _ipv4)
    if kind == "hostport_list":
        return _list(field, value, _hostport)
    if kind == "email_list":
        return _list(field, value, _email)
    # Single strings from here on.
    value = _text(field, value)
    if kind == "choice":
        if value not in field.choices and value != current:
            shown = ", ".join(str(c) for c in field.choices[:12])
            more = ", ..." if len(field.choices) > 12 else ""
            raise FieldError(f"{value[:40]!r} is not one of {shown}{more}")
        return value
    if kind == "timezone":
        if value not in time_zones() and value != current:
            raise FieldError(f"{value[:40]!r} is not an IANA time zone (e.g. Europe/Paris, UTC)")
        return value
    if value == "":
        return value
    if kind == "ipv4":
        if value == "0.0.0.0" and field.allow_empty:
            return value  # "none" (a gateway or server that is not set)
        return _ipv4(value)
    if kind == "netmask":
        try:
            net = ipaddress.IPv4Network(f"0.0.0.0/{value}")
        except ValueError:
            raise FieldError(f"{value!r} is not a subnet mask (e.g. 255.255.255.0)") from None
        if net.prefixlen == 0:
            raise FieldError("must not be 0.0.0.0")
        return str(net.netmask)
    if kind == "host":
        return _host(value)
    if kind in ("hostname", "domain"):
        return _hostname(value)
    if kind == "email":
        return _email(value)
    if kind == "phone":
        if not _PHONE.match(value):
            raise FieldError(
                f"{value!r} is not a telephone number (digits, spaces, + ( ) - . /, extension x123)"
            )
        return value
    if kind == "url":
        if not _URL.match(value):
            raise FieldError(f"{value[:60]!r} is not an http:// or https:// URL")
        return value
    if kind == "datetime":
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise FieldError(
                f"{value[:40]!r} is not a date and time (e.g. 2026-01-01T02:00:00Z)"
            ) from None
        if parsed.tzinfo is None and not value.startswith("0001-01-01"):
            raise FieldError("needs a time zone (end it with Z for UTC)")
        return value
    return value  # text, secret


# ---------------------------------------------------------------------------------------------
# Raw input → typed value
# ---------------------------------------------------------------------------------------------

_INT = re.compile(r"^[+-]?[0-9]{1,18}$")


def from_form(field: Field, raw: list[str], current: Any) -> Any:
    """A field's value from the strings a browser posted under its name (possibly none).

    Checkboxes are absent when off. List fields come from a textarea, one entry a line (or
    comma-separated), or from repeated checkboxes for ``multichoice``.
    """
    if field.kind == "bool":
        if len(raw) > 1:
            raise FieldError("was posted more than once")
        if not raw:
            return False
        if raw[0] not in ("on", "true", "1", "yes"):
            raise FieldError(f"{raw[0][:20]!r} is not a checkbox value (on)")
        return True
    if field.kind == "multichoice":
        if len(raw) > len(field.choices):
            raise FieldError("lists a choice more than once")
        return validate(field, tuple(raw), current)
    if not raw:
        raise FieldError("is missing from the form")
    if len(raw) > 1:
        raise FieldError("was posted more than once")
    text = raw[0]
    if field.is_list:
        if len(text) > field.max_items * (field.max_len + 2):
            raise FieldError(f"is too long: at most {field.max_items} entries")
        items = [p.strip() for p in re.split(r"[\r\n,]+", text)]
        return validate(field, tuple(p for p in items if p), current)
    if field.kind in ("int", "intchoice"):
        text = text.strip()
        if not _INT.match(text):
            raise FieldError(f"{text[:20]!r} is not a whole number")
        return validate(field, int(text), current)
    return validate(field, text.strip() if field.kind != "secret" else text, current)


def from_json(field: Field, value: Any, current: Any) -> Any:
    """A field's value from a JSON body: the JSON type must match the field's kind."""
    kind = field.kind
    want = KINDS[kind]
    if want is bool:
        if not isinstance(value, bool):
            raise FieldError(f"must be true or false (got {_json_type(value)})")
        return value
    if want is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise FieldError(f"must be a whole number (got {_json_type(value)})")
        return validate(field, value, current)
    if want is tuple:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise FieldError(f"must be a list of strings (got {_json_type(value)})")
        if len(value) > max(field.max_items, len(field.choices)):
            raise FieldError(f"has too many entries: at most {field.max_items}")
        return validate(field, tuple(value), current)
    if not isinstance(value, str):
        raise FieldError(f"must be a string (got {_json_type(value)})")
    return validate(field, value, current)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
