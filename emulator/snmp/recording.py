"""Recorded SNMP rows (snmpsim ``OID|TAG|VALUE``) as data, and how faithfully an agent replays them.

A profile imported from a real printer's walk carries the rows of that walk the state does not
model (vendor-private objects, table columns and units the emulator would otherwise invent) as
snmprec lines; the MIB view serves them as recorded (read-only), the way snmpsim does. This
module parses and formats those lines (pure, no I/O) and measures *fidelity*: the share of a
recording's rows that an agent walked back with net-snmp returns identically.

snmprec tags are the BER tag numbers in decimal (snmpsim documentation, "Simulation data"):
2 INTEGER, 4 OCTET STRING (``4x``: value in hex), 5 NULL, 6 OBJECT IDENTIFIER, 64 IpAddress,
65 Counter32, 66 Gauge32, 67 TimeTicks, 68 Opaque, 70 Counter64.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from printbench.snmp import ber

OID = tuple[int, ...]

_INT_TAGS = {
    2: ber.INTEGER,
    65: ber.COUNTER32,
    66: ber.GAUGE32,
    67: ber.TIMETICKS,
    70: ber.COUNTER64,
}
_RANGES = {
    ber.INTEGER: (-(2**31), 2**31 - 1),
    ber.COUNTER32: (0, 2**32 - 1),
    ber.GAUGE32: (0, 2**32 - 1),
    ber.TIMETICKS: (0, 2**32 - 1),
    ber.COUNTER64: (0, 2**64 - 1),
}
_OID_RE = re.compile(r"\d+(\.\d+)+")


class RowError(ValueError):
    """One recorded row cannot be read; the message says what was expected."""


def parse_row(line: str) -> tuple[OID, ber.Value]:
    """``OID|TAG|VALUE`` → (OID, BER value). Variation modules (``4:numeric``) keep the base tag."""
    parts = line.split("|", 2)
    if len(parts) != 3 or not _OID_RE.fullmatch(parts[0]):
        raise RowError(f"expected OID|TAG|VALUE (snmprec), got {line[:60]!r}")
    oid_text, tag_text, value = parts
    oid = tuple(int(p) for p in oid_text.split("."))
    hexed = tag_text.split(":", 1)[0]
    as_hex = hexed.endswith("x")
    try:
        tag = int(hexed[:-1] if as_hex else hexed)
    except ValueError:
        raise RowError(f"expected a numeric snmprec tag, got {tag_text!r}") from None
    raw: bytes | None = None
    if as_hex:
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            raise RowError(f"expected hex digits for tag {tag_text}, got {value!r}") from None
    if tag in _INT_TAGS:
        ber_tag = _INT_TAGS[tag]
        try:
            number = int.from_bytes(raw, "big") if raw is not None else int(value)
        except ValueError:
            raise RowError(f"expected a number for tag {tag}, got {value!r}") from None
        lo, hi = _RANGES[ber_tag]
        if not lo <= number <= hi:
            raise RowError(f"expected {lo}..{hi} for tag {tag}, got {number}")
        return oid, (ber_tag, number)
    if tag in (4, 68):
        data = raw if raw is not None else value.encode("utf-8")
        return oid, (ber.OCTET_STRING if tag == 4 else ber.OPAQUE, data)
    if tag == 6:
        text = raw.decode("ascii", "replace") if raw is not None else value
        if not _OID_RE.fullmatch(text.lstrip(".")):
            raise RowError(f"expected a dotted OID for tag 6, got {text!r}")
        return oid, (ber.OBJECT_IDENTIFIER, tuple(int(p) for p in text.lstrip(".").split(".")))
    if tag == 64:
        if raw is not None and len(raw) == 4:
            return oid, (ber.IP_ADDRESS, raw)
        octets = value.split(".")
        if len(octets) != 4 or not all(o.isdigit() and int(o) < 256 for o in octets):
            raise RowError(f"expected a dotted IPv4 address for tag 64, got {value!r}")
        return oid, (ber.IP_ADDRESS, bytes(int(o) for o in octets))
    if tag == 5:
        return oid, (ber.NULL, None)
    raise RowError(f"unknown snmprec tag {tag_text!r} (2 4 5 6 64 65 66 67 68 70)")


def _printable(data: bytes) -> str | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if any(ord(c) < 32 or c == "\x7f" for c in text) else text


def format_row(oid: OID, value: ber.Value) -> str:
    """The snmprec line of one row (OCTET STRINGs that are not clean UTF-8 text become ``4x``)."""
    tag, v = value
    dotted = ".".join(map(str, oid))
    if tag in (ber.OCTET_STRING, ber.OPAQUE):
        assert isinstance(v, bytes)
        text = _printable(v)
        number = 4 if tag == ber.OCTET_STRING else 68
        return f"{dotted}|{number}|{text}" if text is not None else f"{dotted}|{number}x|{v.hex()}"
    if tag == ber.OBJECT_IDENTIFIER:
        assert isinstance(v, tuple)
        return f"{dotted}|6|{'.'.join(map(str, v))}"
    if tag == ber.IP_ADDRESS:
        assert isinstance(v, bytes)
        return f"{dotted}|64|{'.'.join(str(b) for b in v)}"
    if tag == ber.NULL:
        return f"{dotted}|5|"
    number = {b: n for n, b in _INT_TAGS.items()}[tag]
    return f"{dotted}|{number}|{v}"


# ---------------------------------------------------------------------------------------------
# Fidelity: a recording against a walk of the emulated printer
# ---------------------------------------------------------------------------------------------

SYS_UPTIME = (1, 3, 6, 1, 2, 1, 1, 3, 0)

#: The subtrees the fidelity figure covers (issue 13 §2): SNMPv2-MIB system less sysUpTime,
#: HOST-RESOURCES-MIB hrDevice (with hrPrinterTable), IF-MIB ifPhysAddress, the Printer MIB.
FIDELITY_SUBTREES: tuple[OID, ...] = (
    (1, 3, 6, 1, 2, 1, 1),
    (1, 3, 6, 1, 2, 1, 25, 3),
    (1, 3, 6, 1, 2, 1, 2, 2, 1, 6),
    (1, 3, 6, 1, 2, 1, 43),
)

#: Objects that say *which unit* this is: without ``--keep-identity`` every emulated unit has
#: its own values there, so they are left out of the figure.
IDENTITY_OBJECTS: tuple[OID, ...] = (
    (1, 3, 6, 1, 2, 1, 1, 4),  # sysContact
    (1, 3, 6, 1, 2, 1, 1, 5),  # sysName
    (1, 3, 6, 1, 2, 1, 1, 6),  # sysLocation
    (1, 3, 6, 1, 2, 1, 2, 2, 1, 6),  # ifPhysAddress
    (1, 3, 6, 1, 2, 1, 43, 5, 1, 1, 16),  # prtGeneralPrinterName
    (1, 3, 6, 1, 2, 1, 43, 5, 1, 1, 17),  # prtGeneralSerialNumber
)


def _under(oid: OID, roots: Iterable[OID]) -> bool:
    return any(oid[: len(r)] == r for r in roots)


def in_scope(oid: OID, *, keep_identity: bool) -> bool:
    """Whether a recorded row counts in the fidelity figure."""
    if oid == SYS_UPTIME or not _under(oid, FIDELITY_SUBTREES):
        return False
    return keep_identity or not _under(oid, IDENTITY_OBJECTS)


def canonical(value: ber.Value) -> tuple[str, Any]:
    """A comparable form of a value: (type name, value); Gauge32 and Unsigned32 are one type."""
    tag, v = value
    name = ber.TAG_NAMES.get(tag, hex(tag))
    if tag in (ber.OCTET_STRING, ber.OPAQUE, ber.IP_ADDRESS) and isinstance(v, bytes | bytearray):
        return name, bytes(v)
    return name, v


_WALK_TYPES = {
    "INTEGER": ber.INTEGER,
    "Counter32": ber.COUNTER32,
    "Gauge32": ber.GAUGE32,
    "Timeticks": ber.TIMETICKS,
    "Counter64": ber.COUNTER64,
}


def parse_net_snmp_walk(text: str) -> dict[OID, tuple[str, Any]]:
    """``snmpwalk -On -Ox -Ot`` output (MIBS empty) → {OID: canonical value}.

    net-snmp wraps long Hex-STRINGs over several lines; continuation lines are joined."""
    entries: list[list[str]] = []
    for line in text.splitlines():
        if line.startswith("."):
            entries.append([line])
        elif entries and line.strip():
            entries[-1].append(line)
    out: dict[OID, tuple[str, Any]] = {}
    for parts in entries:
        oid_text, _, rest = " ".join(parts).partition(" = ")
        if rest.startswith(("No more variables", "No Such")):
            continue  # net-snmp's end-of-view / exception line, not a value
        oid = tuple(int(p) for p in oid_text.strip().lstrip(".").split("."))
        out[oid] = _walk_value(rest.strip())
    return out


def _walk_value(rest: str) -> tuple[str, Any]:
    kind, sep, value = rest.partition(": ")
    if not sep:
        if rest == '""':
            return "OCTET STRING", b""
        if rest.isdigit():  # -Ot prints TimeTicks as a bare number
            return "TimeTicks", int(rest)
        return "?", rest
    value = value.strip()
    if kind == "Hex-STRING":
        return "OCTET STRING", bytes.fromhex(value.replace(" ", ""))
    if kind == "STRING":
        return "OCTET STRING", value.strip('"').encode("utf-8")
    if kind == "OID":
        return "OBJECT IDENTIFIER", tuple(int(p) for p in value.lstrip(".").split("."))
    if kind == "IpAddress":
        return "IpAddress", bytes(int(o) for o in value.split("."))
    if kind in _WALK_TYPES:
        number = re.search(r"-?\d+", value)
        return ber.TAG_NAMES[_WALK_TYPES[kind]], int(number.group()) if number else value
    if kind == "Opaque":
        return "Opaque", bytes.fromhex(value.replace(" ", "")) if value else b""
    return kind, value


@dataclass
class Fidelity:
    """How many of a recording's rows (in scope) came back identical, and which did not."""

    identical: int
    total: int
    differences: list[tuple[OID, tuple[str, Any], tuple[str, Any] | None]]

    @property
    def ratio(self) -> float:
        return self.identical / self.total if self.total else 1.0


def fidelity(
    recorded: Iterable[tuple[OID, ber.Value]],
    walked: dict[OID, tuple[str, Any]],
    *,
    keep_identity: bool,
) -> Fidelity:
    """Compare recorded rows with a walk: same OID, same type, same value."""
    identical, total, diffs = 0, 0, []
    for oid, value in recorded:
        if not in_scope(oid, keep_identity=keep_identity):
            continue
        total += 1
        want = canonical(value)
        got = walked.get(oid)
        if got == want:
            identical += 1
        else:
            diffs.append((oid, want, got))
    return Fidelity(identical, total, diffs)
