"""Build a printer profile from a recorded SNMP walk, so users can emulate the printer they own.

Two inputs are understood: net-snmp ``snmpwalk -On`` output (``.1.3.6.1.2.1.1.1.0 = STRING:
"..."``) and snmpsim ``.snmprec`` recordings (``1.3.6.1.2.1.1.1.0|4|...``). The Printer MIB
tables (input, output, marker, supplies, colorants, covers, console, media paths, channels,
interpreters), the system group, hrDeviceDescr, hrStorage and ifPhysAddress are read; the
profile's per-unit values (serial number, MAC) become *formats* (serial pattern, OUI) so every
emulated unit is a different one of that model. What a walk cannot tell (pages per minute,
toner use per page) is estimated and marked in the YAML header. The result is validated with
the same code as shipped profiles before it is returned.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from printbench.emulator import profile_schema as ps
from printbench.emulator.profiles import ProfileError, normal_name, parse_profile
from printbench.emulator.snmp import recording as rec
from printbench.emulator.state import LEGACY_MEDIA_NAMES
from printbench.snmp import ber
from printbench.snmp.ber import Value

# enterprise number → vendor name, for walks whose descriptions do not name the vendor
ENTERPRISES = {
    11: "HP",
    236: "Samsung",
    253: "Xerox",
    367: "RICOH",
    641: "Lexmark",
    674: "Dell",
    1248: "EPSON",
    1347: "Kyocera",
    1602: "Canon",
    2001: "OKI",
    2385: "Sharp",
    2435: "Brother",
    2590: "Sharp",
    18334: "Konica Minolta",
    26696: "HP",
}

# typical yields, to turn a capacity into consumption per impression
_YIELDS = {
    "toner": 5000,
    "tonerCartridge": 5000,
    "ink": 1000,
    "inkCartridge": 1000,
    "opc": 30000,
    "developer": 100000,
    "fuser": 100000,
    "wasteToner": 20000,
    "wasteInk": 20000,
    "transferUnit": 100000,
}

_MEDIA_DIMS = {  # (feed, xfeed) in micrometres, portrait
    (297000, 210000): "iso_a4_210x297mm",
    (420000, 297000): "iso_a3_297x420mm",
    (210000, 148000): "iso_a5_148x210mm",
    (279400, 215900): "na_letter_8.5x11in",
    (355600, 215900): "na_legal_8.5x14in",
}


#: Where a vendor keeps the serial number when prtGeneralSerialNumber is absent (enterprise
#: number → instance OID): Brother brInfoSerialNumber, Kyocera kcprtSerialNumber, HP
#: serial-number of the LaserJet MIB.
VENDOR_SERIAL_OIDS = {
    2435: "1.3.6.1.4.1.2435.2.3.9.4.2.1.5.5.1.0",
    1347: "1.3.6.1.4.1.1347.43.5.1.1.28.1",
    11: "1.3.6.1.4.1.11.2.3.9.4.2.1.1.3.3.0",
}


def enterprise_of(sys_oid: str) -> int:
    """The enterprise number of a sysObjectID (1.3.6.1.4.1.N...), 0 if it has none."""
    m = re.match(r"\.?1\.3\.6\.1\.4\.1\.(\d+)", sys_oid)
    return int(m.group(1)) if m else 0


class WalkError(ProfileError):
    """A walk file cannot be read; the message names the file and line."""


# ---------------------------------------------------------------------------------------------
# Reading walks
# ---------------------------------------------------------------------------------------------

_WALK_LINE = re.compile(r"^\.?((?:\d+\.)*\d+)\s*=\s*(?:([A-Za-z0-9-]+):\s?)?(.*)$")


@dataclass
class Walk:
    """A read walk: values by OID (the profile is built from these), the rows with their SNMP
    types (kept as recorded data), and a warning per row that could not be read."""

    values: dict[str, Any] = field(default_factory=dict)
    rows: list[tuple[rec.OID, Value]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def read_walk(text: str, source: str = "<walk>") -> dict[str, Any]:
    """OID (no leading dot) → value (int, str, bytes, or OID string) from either format."""
    return parse_walk(text, source).values


def parse_walk(text: str, source: str = "<walk>") -> Walk:
    """Both formats; a row that cannot be read is skipped with a warning naming file:line
    (a real recording can hold one corrupt row; losing the whole import for it helps no one).
    A file where most rows are unreadable is not a walk: WalkError."""
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip() and not ln.startswith("#")), "")
    walk = Walk()
    if re.match(r"^\d+(\.\d+)*\|", first):
        _read_snmprec(lines, source, walk)
    else:
        _read_snmpwalk(lines, source, walk)
    if walk.warnings and len(walk.warnings) > max(len(walk.values), 1):
        first = walk.warnings[0].replace(": skipped: ", ": ", 1)
        raise WalkError(
            f"{first} ({len(walk.warnings)} of {len(walk.warnings) + len(walk.values)} rows "
            "cannot be read: is this an snmpwalk -On dump or an .snmprec file?)"
        )
    return walk


def _read_snmprec(lines: list[str], source: str, walk: Walk) -> None:
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        try:
            oid, value = rec.parse_row(line)
        except rec.RowError as exc:
            walk.warnings.append(f"{source}:{number}: skipped: {exc}")
            continue
        tag = line.split("|", 2)[1].split(":", 1)[0]
        dotted = ".".join(map(str, oid))
        walk.rows.append((oid, value))
        kind, raw = value
        if kind == ber.OBJECT_IDENTIFIER and isinstance(raw, tuple):
            walk.values[dotted] = ".".join(map(str, raw))
        elif kind == ber.OCTET_STRING and tag == "4" and isinstance(raw, bytes):
            walk.values[dotted] = raw.decode("utf-8", "replace")
        elif kind == ber.IP_ADDRESS and isinstance(raw, bytes):
            walk.values[dotted] = ".".join(str(b) for b in raw)
        else:
            walk.values[dotted] = raw


_WALK_TAGS = {
    "INTEGER": ber.INTEGER,
    "COUNTER32": ber.COUNTER32,
    "COUNTER64": ber.COUNTER64,
    "GAUGE32": ber.GAUGE32,
    "UNSIGNED32": ber.GAUGE32,
    "TIMETICKS": ber.TIMETICKS,
}


def _read_snmpwalk(lines: list[str], source: str, walk: Walk) -> None:
    out = walk.values
    last: str | None = None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        m = _WALK_LINE.match(line)
        if m is None:
            if last is not None and isinstance(out[last], str):
                out[last] += "\n" + line.rstrip('"')  # continuation of a multi-line string
                oid_t, (tag, _raw) = walk.rows[-1]
                walk.rows[-1] = (oid_t, (tag, out[last].encode("utf-8")))
                continue
            walk.warnings.append(
                f"{source}:{number}: skipped: expected '.OID = TYPE: value' (snmpwalk -On), "
                f"got {line[:60]!r}"
            )
            continue
        oid, kind, value = m.group(1), (m.group(2) or "").upper(), m.group(3).strip()
        if value.startswith("No Such") or value.startswith("No more variables"):
            continue
        try:
            typed = _walk_value(kind, value)
        except ValueError as exc:
            walk.warnings.append(f"{source}:{number}: skipped: {exc}")
            continue
        out[oid] = typed[1]
        walk.rows.append((tuple(int(p) for p in oid.split(".")), typed[0]))
        last = oid


def _walk_value(kind: str, value: str) -> tuple[Value, Any]:
    """(BER value, the value as read_walk gives it) of one snmpwalk line."""
    if kind == "STRING":
        text = (
            value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value.lstrip('"')
        )
        return (ber.OCTET_STRING, text.encode("utf-8")), text
    if kind == "HEX-STRING":
        try:
            raw = bytes.fromhex(value.replace(" ", ""))
        except ValueError:
            raise ValueError(f"bad Hex-STRING {value!r}") from None
        return (ber.OCTET_STRING, raw), raw
    if kind in _WALK_TAGS:
        num = re.search(r"\((-?\d+)\)", value) if kind in ("INTEGER", "TIMETICKS") else None
        digits = num.group(1) if num else value.split()[0] if value else ""
        try:
            number = int(digits)
        except ValueError:
            raise ValueError(f"expected a number, got {value!r}") from None
        return (_WALK_TAGS[kind], number), number
    if kind == "OID":
        dotted = value.lstrip(".")
        if not re.fullmatch(r"\d+(\.\d+)*", dotted):
            raise ValueError(f"expected a numeric OID (snmpwalk -On), got {value!r}")
        return (ber.OBJECT_IDENTIFIER, tuple(int(p) for p in dotted.split("."))), dotted
    if kind == "IPADDRESS":
        octets = value.split(".")
        if len(octets) != 4 or not all(o.isdigit() and int(o) < 256 for o in octets):
            raise ValueError(f"expected an IPv4 address, got {value!r}")
        return (ber.IP_ADDRESS, bytes(int(o) for o in octets)), value
    text = value.strip('"')
    return (ber.OCTET_STRING, text.encode("utf-8")), text


# ---------------------------------------------------------------------------------------------
# From values to a profile
# ---------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.split(b"\n")[0].rstrip(b"\x00").decode("utf-8", "replace")
    return str(value).split("\n")[0].strip()


def _table(values: dict[str, Any], entry: str, device: str | None) -> dict[int, dict[int, Any]]:
    """rows[index][column] of a table whose instances are ``entry.col.[device.]index``."""
    rows: dict[int, dict[int, Any]] = defaultdict(dict)
    prefix = entry + "."
    for oid, value in values.items():
        if not oid.startswith(prefix):
            continue
        rest = oid[len(prefix) :].split(".")
        if device is not None:
            if len(rest) != 3 or rest[1] != device:
                continue
            col, idx = rest[0], rest[2]
        else:
            if len(rest) != 2:
                continue
            col, idx = rest
        rows[int(idx)][int(col)] = value
    return dict(sorted(rows.items()))


def _raw_text(value: Any) -> str:
    """A recorded string as it was (trailing blanks kept: a replica must say the same)."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return value if isinstance(value, str) and "\n" not in value else ""


def _keyword(table: dict[str, int], number: Any, default: str) -> str:
    for keyword, value in table.items():
        if value == number:
            return keyword
    return default


def _media(name: str, feed: Any, xfeed: Any, unit: Any) -> str:
    key = re.sub(r"[^a-z0-9]", "", name.lower())
    for short, pwg in LEGACY_MEDIA_NAMES.items():
        if key == short or key.startswith(short):
            return pwg
    if isinstance(feed, int) and isinstance(xfeed, int) and feed > 0 and xfeed > 0:
        if unit == 3:  # tenThousandthsOfInches
            feed, xfeed = round(feed * 2.54), round(xfeed * 2.54)
        for (f, x), pwg in _MEDIA_DIMS.items():
            if {abs(feed - f) < 3000, abs(xfeed - x) < 3000} == {True} or (
                abs(feed - x) < 3000 and abs(xfeed - f) < 3000
            ):
                return pwg
    return "iso_a4_210x297mm"


def _serial_format(serial: str) -> str:
    if not serial:
        return "SN########"
    fmt = "".join("#" if ch.isdigit() else "?" if ch.isalpha() else ch for ch in serial)
    return fmt if any(ch in fmt for ch in "#?") else "SN########"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "imported-printer"


def _printer_device(values: dict[str, Any]) -> str:
    """The printer's hrDeviceIndex: the row whose hrDeviceType is hrDevicePrinter, else the
    first row, else 1 (RFC 3805 indexes every Printer-MIB table by it)."""
    devices = _table(values, "1.3.6.1.2.1.25.3.2.1", None)
    index = next(
        (i for i, r in devices.items() if str(r.get(2, "")).lstrip(".") == "1.3.6.1.2.1.25.3.1.5"),
        next(iter(devices), 1),
    )
    return str(index)


def profile_from_walk(
    values: dict[str, Any], *, source: str, name: str | None = None
) -> dict[str, Any]:
    """A profile dictionary (schema of ``emulator.profile_schema``) from walk values."""
    sys_descr = _text(values.get("1.3.6.1.2.1.1.1.0", ""))
    sys_oid = str(values.get("1.3.6.1.2.1.1.2.0", "")).lstrip(".")
    # the printer's row in hrDeviceTable: hrDeviceType = hrDevicePrinter, else the first row
    devices = _table(values, "1.3.6.1.2.1.25.3.2.1", None)
    dev = _printer_device(values)
    device_index = int(dev)
    hr_descr = _text(devices.get(device_index, {}).get(3, "")) or sys_descr
    m = re.match(r"1\.3\.6\.1\.4\.1\.(\d+)", sys_oid)
    enterprise = int(m.group(1)) if m else 0
    manufacturer = ENTERPRISES.get(enterprise) or (hr_descr.split()[0] if hr_descr else "Unknown")
    model = hr_descr
    if model.lower().startswith(manufacturer.lower()):
        model = model[len(manufacturer) :].strip() or hr_descr
    if not sys_oid.startswith("1.3.6.1.4.1."):
        sys_oid = "1.3.6.1.4.1.2699.1.2"  # the PWG's arc: the walk had no vendor OID
    serial = _text(values.get(f"1.3.6.1.2.1.43.5.1.1.17.{dev}", "")) or _text(
        values.get(VENDOR_SERIAL_OIDS.get(enterprise_of(sys_oid), ""), "")
    )

    # interfaces and the vendor's OUI
    interfaces: list[dict[str, Any]] = []
    oui = ""
    macs: list[str] = []
    for idx, row in _table(values, "1.3.6.1.2.1.2.2.1", None).items():
        if_type = row.get(3, 6)
        mac = row.get(6, b"")
        if if_type == 24 or not isinstance(mac, bytes) or len(mac) != 6:
            continue  # loopback and MAC-less rows: served as recorded, not modelled
        oui = oui or mac[:3].hex().upper()
        macs.append(":".join(f"{b:02x}" for b in mac))
        itf: dict[str, Any] = {
            "index": idx,
            "name": f"if{len(interfaces) + 1}",
            "description": _text(row.get(2, "")) or "Ethernet",
        }
        if isinstance(if_type, int):
            itf["if_type"] = if_type
        if isinstance(row.get(4), int) and row[4] > 0:
            itf["mtu"] = row[4]
        if isinstance(row.get(5), int) and row[5] > 0:
            itf["speed"] = row[5]
        if row.get(7) == 2:
            itf["admin_up"] = False
        if row.get(8) == 2:
            itf["oper_up"] = False
        interfaces.append(itf)
    if not interfaces:
        interfaces.append({"name": "eth0", "description": "Ethernet"})

    # input trays
    trays: list[dict[str, Any]] = []
    media_seen: list[str] = []
    for idx, row in _table(values, "1.3.6.1.2.1.43.8.2.1", dev).items():
        tray_name = _text(row.get(13, "")) or _text(row.get(18, "")) or f"Tray {len(trays) + 1}"
        media = _media(_text(row.get(12, "")), row.get(4), row.get(5), row.get(3))
        capacity = row.get(9, 250) if isinstance(row.get(9), int) else 250
        level = row.get(10, capacity) if isinstance(row.get(10), int) else capacity
        if capacity >= 0 and level > capacity:
            level = capacity
        tray: dict[str, Any] = {
            "index": idx,
            "name": tray_name,
            "tray_type": _keyword(ps.PRT_INPUT_TYPE, row.get(2), "other"),
            "media": media,
            "capacity": max(capacity, -2),
            "level": max(level, -3),
            "low_threshold": max(0, capacity // 10) if capacity > 0 else 0,
        }
        if _text(row.get(18, "")) and _text(row.get(18, "")) != tray_name:
            tray["description"] = _text(row[18])
        recorded_name = _text(row.get(12, ""))
        if recorded_name and recorded_name != media:
            tray["media_name"] = recorded_name[:63]
        if _text(row.get(21, "")):
            tray["media_type"] = _text(row[21])
        if _text(row.get(22, "")):
            tray["media_color"] = _text(row[22])
        trays.append(tray)
        media_seen.append(media)
    if not trays:
        trays.append({"name": "Tray 1", "media": "iso_a4_210x297mm"})
        media_seen.append("iso_a4_210x297mm")

    # output trays
    outputs: list[dict[str, Any]] = []
    for idx, row in _table(values, "1.3.6.1.2.1.43.9.2.1", dev).items():
        cap = row.get(4, 150) if isinstance(row.get(4), int) else 150
        rem = row.get(5, cap) if isinstance(row.get(5), int) else cap
        out: dict[str, Any] = {
            "index": idx,
            "name": _text(row.get(7, "")) or f"Output {len(outputs) + 1}",
            "tray_type": _keyword(ps.PRT_OUTPUT_TYPE, row.get(2), "other"),
            "capacity": max(cap, -2),
            "remaining_capacity": min(max(rem, -3), cap) if cap >= 0 else max(rem, -3),
        }
        if row.get(19) in ps.PRT_STACKING_ORDER.values():
            out["stacking_order"] = _keyword(ps.PRT_STACKING_ORDER, row[19], "unknown")
        if row.get(20) in ps.PRT_PAGE_DELIVERY.values():
            out["page_delivery"] = _keyword(ps.PRT_PAGE_DELIVERY, row[20], "faceDown")
        outputs.append(out)
    if not outputs:
        outputs.append({"name": "Output bin"})

    # colorants, supplies, markers
    colorant_rows = _table(values, "1.3.6.1.2.1.43.12.1.1", dev)
    marker_rows = _table(values, "1.3.6.1.2.1.43.10.2.1", dev) or {1: {}}
    marker_pos = {orig: pos for pos, orig in enumerate(marker_rows, 1)}
    colorants: list[dict[str, Any]] = []
    colorant_pos: dict[int, int] = {}
    for orig, row in colorant_rows.items():
        colorant_pos[orig] = len(colorants) + 1
        colorants.append(
            {
                "value": _text(row.get(4, "")) or "black",
                "role": _keyword(ps.PRT_COLORANT_ROLE, row.get(3), "process"),
                "marker_index": marker_pos.get(row.get(2, 1), 1),
                **({"tonality": row[5]} if isinstance(row.get(5), int) else {}),
            }
        )
    supply_rows = _table(values, "1.3.6.1.2.1.43.11.1.1", dev)
    derive_colorants = not colorants
    supplies: list[dict[str, Any]] = []
    for orig, row in supply_rows.items():
        description = _text(row.get(6, "")) or f"Supply {len(supplies) + 1}"
        stype = _keyword(ps.PRT_SUPPLY_TYPE, row.get(5), "other")
        sclass = _keyword(ps.PRT_SUPPLY_CLASS, row.get(4), "supplyThatIsConsumed")
        if stype in ("wasteToner", "wasteInk"):
            sclass = "receptacleThatIsFilled"
        mx = row.get(8, 100) if isinstance(row.get(8), int) else 100
        lvl = row.get(9, mx) if isinstance(row.get(9), int) else mx
        if mx >= 0 and lvl > mx:
            lvl = mx
        supply: dict[str, Any] = {
            "index": orig,
            "description": description,
            "supply_type": stype,
            "supply_class": sclass,
            "unit": _keyword(ps.PRT_SUPPLY_UNIT, row.get(7), "percent" if mx == 100 else "other"),
            "max_capacity": max(mx, -2),
            "level": max(lvl, -3),
            "marker_index": marker_pos.get(row.get(2, 1), 1),
        }
        if mx > 0 and stype in _YIELDS:
            counted = row.get(7) in (7, 8) or (
                supply["unit"] in ("other", "unknown") and mx >= 1000
            )
            supply["per_page"] = 1.0 if counted else round(mx / _YIELDS[stype], 6)
        ci = row.get(3, 0)
        if isinstance(ci, int) and ci in colorant_pos:
            supply["colorant_index"] = colorant_pos[ci]
        elif derive_colorants and stype in (
            "toner",
            "tonerCartridge",
            "ink",
            "inkCartridge",
            "developer",
        ):
            colour = next(
                (c for c in ("black", "cyan", "magenta", "yellow") if c in description.lower()), ""
            )
            if colour or stype in ("toner", "tonerCartridge", "ink", "inkCartridge"):
                colour = colour or "black"
                names = [c["value"] for c in colorants]
                if colour not in names:
                    colorants.append({"value": colour})
                    names.append(colour)
                supply["colorant_index"] = names.index(colour) + 1
        supplies.append(supply)
    markers = []
    for orig, row in marker_rows.items():
        process = sum(
            1
            for c in colorants
            if c.get("marker_index", 1) == marker_pos[orig]
            and c.get("role", "process") == "process"
        )
        marker: dict[str, Any] = {
            "technology": _keyword(
                ps.PRT_MARK_TECH, row.get(2), "electrophotographicLaser" if row else "unknown"
            ),
            "counter_unit": _keyword(ps.PRT_COUNTER_UNIT, row.get(3), "impressions"),
            "process_colorants": process
            if colorants
            else max(1, row.get(6, 1) if isinstance(row.get(6), int) else 1),
        }
        if isinstance(row.get(4), int) and row[4] >= 0:
            marker["life_count"] = row[4]
        if isinstance(row.get(5), int) and row[5] >= 0:
            marker["power_on_count"] = row[5]
        markers.append(marker)
    if not colorants and markers[0]["process_colorants"] == 1:
        colorants = [{"value": "black"}]
    is_colour = any(m["process_colorants"] > 1 for m in markers)

    # covers, console, media paths, interpreters, channels, storage
    covers = [
        {
            "index": i,
            "description": _text(r.get(2, "")) or f"Cover {i}",
            "status": _keyword(ps.PRT_COVER_STATUS, r.get(3), "closed"),
        }
        for i, r in _table(values, "1.3.6.1.2.1.43.6.1.1", dev).items()
    ]
    buffer_lines = [
        _text(v)
        for oid, v in sorted(values.items(), key=lambda kv: [int(x) for x in kv[0].split(".")])
        if oid.startswith(f"1.3.6.1.2.1.43.16.5.1.2.{dev}.")
    ]
    lines_n = values.get(f"1.3.6.1.2.1.43.5.1.1.11.{dev}")
    chars_n = values.get(f"1.3.6.1.2.1.43.5.1.1.12.{dev}")
    console: dict[str, Any] = {
        "description": "Operator panel",
        "display_lines": lines_n
        if isinstance(lines_n, int) and 1 <= lines_n <= 16
        else max(1, min(16, len(buffer_lines) or 2)),
        "display_chars": chars_n
        if isinstance(chars_n, int) and 8 <= chars_n <= 255
        else max(16, min(255, max((len(t) for t in buffer_lines), default=16))),
    }
    lights = [
        {
            "description": _text(r.get(5, "")) or f"Light {i}",
            "color": _keyword(ps.PRT_CONSOLE_COLOR, r.get(4), "green"),
        }
        for i, r in _table(values, "1.3.6.1.2.1.43.17.6.1", dev).items()
    ]
    if lights:
        console["lights"] = lights
    media_paths = []
    max_speed = 0
    for _i, r in _table(values, "1.3.6.1.2.1.43.13.4.1", dev).items():
        mp: dict[str, Any] = {"path_type": _keyword(ps.PRT_MEDIA_PATH_TYPE, r.get(9), "simplex")}
        if _text(r.get(10, "")):
            mp["description"] = _text(r[10])
        if isinstance(r.get(4), int) and r[4] > 0:
            mp["max_speed"] = r[4]
            if r.get(2) in (
                7,
                8,
            ):  # impressions or sheets per hour (PrtMediaPathMaxSpeedPrintUnitTC)
                max_speed = max(max_speed, r[4] // 60)
        media_paths.append(mp)
    if not media_paths:
        media_paths.append(
            {"path_type": "simplex", "description": "Simplex path (not in the walk)"}
        )
    interpreter_rows = _table(values, "1.3.6.1.2.1.43.15.1.1", dev)
    interp_pos = {orig: pos for pos, orig in enumerate(interpreter_rows, 1)}
    interpreters = [
        {
            "lang_family": _keyword(ps.PRT_LANG_FAMILY, r.get(2), "other"),
            **({"lang_level": _text(r[3])} if _text(r.get(3, "")) else {}),
            **({"lang_version": _text(r[4])} if _text(r.get(4, "")) else {}),
            **({"description": _text(r[5])} if _text(r.get(5, "")) else {}),
            **({"version": _text(r[6])} if _text(r.get(6, "")) else {}),
        }
        for r in interpreter_rows.values()
    ] or [
        {"lang_family": "langAutomatic", "description": "Automatic PDL sensing (not in the walk)"}
    ]
    channels = []
    for r in _table(values, "1.3.6.1.2.1.43.14.1.1", dev).values():
        ch: dict[str, Any] = {"channel_type": _keyword(ps.PRT_CHANNEL_TYPE, r.get(2), "other")}
        if _text(r.get(3, "")):
            ch["protocol_version"] = _text(r[3])
        ch["interpreter_index"] = interp_pos.get(r.get(5, 0), 1) if interpreter_rows else 1
        if r.get(6) == 4:  # prtChannelState printDataNotAccepted
            ch["enabled"] = False
        channels.append(ch)
    storage_kinds = {"2": "ram", "4": "disk", "9": "flash", "3": "other", "1": "other"}
    storages = []
    for idx, r in _table(values, "1.3.6.1.2.1.25.2.3.1", None).items():
        kind = storage_kinds.get(str(r.get(2, "")).rsplit(".", 1)[-1], "other")
        st: dict[str, Any] = {
            "index": idx,
            "storage_type": kind,
            "description": _text(r.get(3, "")) or kind.upper(),
        }
        for col, key in ((4, "allocation_unit"), (5, "size_units"), (6, "used_units")):
            if isinstance(r.get(col), int) and r[col] >= 0:
                st[key] = r[col]
        storages.append(st)

    media_supported = list(dict.fromkeys([*media_seen, "iso_a4_210x297mm", "na_letter_8.5x11in"]))
    duplex = any(mp["path_type"].endswith("Duplex") for mp in media_paths)
    profile: dict[str, Any] = {
        "schema_version": 1,
        "name": name or _slug(f"{manufacturer} {model}"),
        "summary": f"{manufacturer} {model}, imported from an SNMP walk",
        "source": source,
        "identity": {
            "manufacturer": manufacturer,
            "model": model,
            "product_class": "Printer",
            "oui": oui or "000000",
            "sys_object_id": sys_oid,
            "serial_format": _serial_format(serial),
        },
        "description": {
            "info": sys_descr[:255] or hr_descr,
            "make_and_model": hr_descr[:127],
            "color_supported": is_colour,
            "pages_per_minute": max_speed if 0 < max_speed <= 1000 else 20,
            **(
                {"pages_per_minute_color": max_speed if 0 < max_speed <= 1000 else 20}
                if is_colour
                else {}
            ),
            "media_supported": media_supported,
        },
        "defaults": {
            "media": media_seen[0],
            "sides": "one-sided",
            "color_mode": "auto" if is_colour else "monochrome",
        },
        "consoles": [console],
        "covers": covers,
        "input_trays": trays,
        "output_trays": outputs,
        "markers": markers,
        "colorants": colorants,
        "supplies": supplies,
        "media_paths": media_paths,
        "interfaces": interfaces,
        "interpreters": interpreters,
        "channels": channels,
        "storages": storages,
    }
    counters: dict[str, int] = {}
    general = f"1.3.6.1.2.1.43.5.1.1.{{}}.{dev}".format
    for col, key in (
        (1, "config_changes"),
        (18, "alert_critical_events"),
        (19, "alert_all_events"),
    ):
        if isinstance(values.get(general(col)), int) and values[general(col)] >= 0:
            counters[key] = values[general(col)]
    for col, key in ((4, "current_operator"), (5, "service_person")):
        if _text(values.get(general(col), "")):
            profile["description"][key] = _text(values[general(col)])[:127]
    if values.get(general(13)) == 4:  # prtConsoleDisable disabled(4)
        profile["consoles"][0]["disabled"] = True
    error_state = values.get(f"1.3.6.1.2.1.25.3.5.1.2.{dev}")
    profile["recording"] = {
        **counters,
        "source": source,
        "keep_identity": False,
        "serial_number": _raw_text(values.get(f"1.3.6.1.2.1.43.5.1.1.17.{dev}")) or serial,
        "mac_addresses": macs,
        "sys_name": _text(values.get("1.3.6.1.2.1.1.5.0", "")),
        "sys_contact": _text(values.get("1.3.6.1.2.1.1.4.0", "")),
        "sys_location": _text(values.get("1.3.6.1.2.1.1.6.0", "")),
    }
    if isinstance(error_state, (bytes, str)) and len(error_state) <= 2:
        profile["recording"]["error_state_octets"] = len(error_state)
    if not duplex:
        profile["defaults"]["sides"] = "one-sided"
    for key in ("covers", "channels", "storages", "colorants", "supplies"):
        if not profile[key]:
            del profile[key]
    return profile


# ---------------------------------------------------------------------------------------------
# Calibration: the imported printer reports the conditions the real one reported
# ---------------------------------------------------------------------------------------------

_RUNNING = 2  # hrDeviceStatus running(2) (RFC 2790)


def _error_names(raw: bytes) -> set[str]:
    """hrPrinterDetectedErrorState octets → condition names (RFC 2790; bit 0 = 0x80 of octet 1)."""
    from printbench.emulator.snmp import enums as en

    return {
        name
        for name, bit in en.HR_PRINTER_ERROR_BITS.items()
        if bit < 8 * len(raw) and raw[bit // 8] & (0x80 >> (bit % 8))
    }


def _conditions(profile: dict[str, Any]) -> list[Any]:
    """What the behaviour engine reports for a printer of ``profile`` right after boot."""
    from printbench.common.clock import FakeClock
    from printbench.emulator.behaviour import PrinterEngine
    from printbench.emulator.profiles import Profile, build_printer

    clock = FakeClock()
    state = build_printer(Profile(profile["name"], "<import>", profile), clock=clock)
    return PrinterEngine(state, clock).conditions()


def _row(rows: list[dict[str, Any]], index: int) -> dict[str, Any] | None:
    return next((r for r in rows if r.get("index") == index), None)


def _quiet(profile: dict[str, Any], cond: Any, typed_trays: set[int]) -> bool:
    """Make the printer stop reporting ``cond`` (the real one did not): True if changed."""
    if cond.group == "input":
        tray = _row(profile["input_trays"], cond.group_index)
        if tray is None:
            return False
        if cond.reason == "media-empty" and cond.group_index not in typed_trays:
            tray["tray_type"] = "sheetFeedManual"  # an empty tray nobody is told about: bypass
            return True
        if cond.reason == "media-low" and tray.get("low_threshold", 0) > 0:
            tray["low_threshold"] = max(0, tray.get("level", 0) - 1)
            return True
    if cond.group == "markerSupplies":
        supply = _row(profile.get("supplies", []), cond.group_index)
        if supply and supply.get("max_capacity", 0) > 0 and supply.get("level", 0) > 0:
            low = max(0, (supply["level"] * 100 - 1) // supply["max_capacity"])
            if low < supply.get("low_percent", 10):
                supply["low_percent"] = low
                return True
    return False


def _raise(profile: dict[str, Any], name: str) -> bool:
    """Make the printer report condition ``name`` it does not derive yet: True if changed."""
    if name == "serviceRequested":
        profile["recording"]["service_requested"] = True
        return True
    if name == "lowPaper":
        trays = [
            t
            for t in profile["input_trays"]
            if t.get("tray_type") != "sheetFeedManual"
            and t.get("capacity", 0) > 0
            and t.get("level", 0) > 0
        ]
        if trays:
            tray = min(trays, key=lambda t: t["level"] / t["capacity"])
            tray["low_threshold"] = tray["level"]
            return True
    if name == "lowToner":
        kinds = ("toner", "tonerCartridge", "ink", "inkCartridge")
        supplies = [
            x
            for x in profile.get("supplies", [])
            if x.get("supply_type") in kinds
            and x.get("max_capacity", 0) > 0
            and x.get("level", 0) > 0
            and x.get("supply_class") != "receptacleThatIsFilled"
        ]
        if supplies:
            x = min(supplies, key=lambda x: x["level"] / x["max_capacity"])
            x["low_percent"] = min(100, -(-x["level"] * 100 // x["max_capacity"]))
            return True
    return False


def calibrate(profile: dict[str, Any], values: dict[str, Any], dev: str) -> list[str]:
    """Adjust thresholds, tray kinds and standing conditions so the emulated printer reports
    what the recorded one did (hrPrinterDetectedErrorState, hrDeviceStatus) instead of what
    the defaults would derive. Returns one note per change (they go into the YAML header)."""
    from printbench.emulator.snmp import enums as en

    raw = values.get(f"1.3.6.1.2.1.25.3.5.1.2.{dev}")
    raw = raw.encode("utf-8") if isinstance(raw, str) else raw
    bits = _error_names(raw) if isinstance(raw, bytes) and raw else None
    status = values.get(f"1.3.6.1.2.1.25.3.2.1.5.{dev}")
    if bits is None and status != _RUNNING:
        return []
    typed = {
        int(o.rsplit(".", 1)[1]) for o in values if o.startswith(f"1.3.6.1.2.1.43.8.2.1.2.{dev}.")
    }
    notes: list[str] = []
    for _round in range(4):
        changed = False
        derived: set[str] = set()
        for cond in _conditions(profile):
            names = set(en.IPP_REASON_ERROR_BITS.get(cond.reason, ()))
            derived |= names
            unreported = (bits is not None and names and not names & bits) or (
                status == _RUNNING and cond.severity != "other"
            )
            if unreported and _quiet(profile, cond, typed):
                notes.append(f"not reported by the printer, so quietened: {cond.reason} "
                             f"({cond.group} {cond.group_index})")  # fmt: skip
                changed = True
        for name in sorted((bits or set()) - derived):
            if _raise(profile, name):
                notes.append(f"reported by the printer, so raised: {name}")
                changed = True
        if not changed:
            break
    return notes


#: Subtrees whose recorded rows a profile keeps (the ones the emulated agent serves): system,
#: interfaces, host resources, ifXTable, the Printer MIB and the vendors' private arcs. The
#: other MIB-2 groups (ip, tcp, udp, snmp, ...) count the recorder's traffic, not the printer.
KEPT_SUBTREES: tuple[rec.OID, ...] = (
    (1, 3, 6, 1, 2, 1, 1),
    (1, 3, 6, 1, 2, 1, 2),
    (1, 3, 6, 1, 2, 1, 25),
    (1, 3, 6, 1, 2, 1, 31),
    (1, 3, 6, 1, 2, 1, 43),
    (1, 3, 6, 1, 4, 1),
)
_DYNAMIC = ((1, 3, 6, 1, 2, 1, 1, 3), (1, 3, 6, 1, 2, 1, 25, 1, 1), (1, 3, 6, 1, 2, 1, 25, 1, 2))


def _kept(oid: rec.OID) -> bool:
    under = lambda roots: any(oid[: len(r)] == r for r in roots)  # noqa: E731
    return under(KEPT_SUBTREES) and not under(_DYNAMIC)


def valid_name(text: str) -> str:
    """A profile name the naming rule accepts (lower case, digits, ``-``) from any text; the
    same as :func:`emulator.profiles.normal_name`, so a file ``brother_hl5370dw.yaml`` loads."""
    return normal_name(text) or "imported-printer"


@dataclass
class Imported:
    """The profile's YAML text and the warnings (rows skipped, file:line each)."""

    text: str
    name: str
    warnings: list[str]


def import_recording(
    path: str | Path, *, name: str | None = None, keep_identity: bool = False
) -> Imported:
    """Build and validate a profile from the walk file at ``path``.

    ``keep_identity``: every unit gets the recorded serial number, MAC addresses, sysName,
    sysContact and sysLocation (a replica of *that* printer); by default every unit has its own
    and the recorded ones are only kept as data."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise WalkError(f"{path}: cannot read: {exc.strerror or exc}") from None
    walk = parse_walk(text, str(path))
    values = walk.values
    if not any(
        oid.startswith("1.3.6.1.2.1.43.") or oid.startswith("1.3.6.1.2.1.25.3.") for oid in values
    ):
        raise WalkError(
            f"{path}: no Printer MIB or hrDevice objects in this walk; is it a printer?"
        )
    profile = profile_from_walk(values, source=path.name, name=valid_name(name) if name else None)
    dev = _printer_device(values)
    try:
        calibrated = calibrate(profile, values, dev)
    except (ProfileError, KeyError, TypeError, ValueError) as exc:  # the check below reports it
        calibrated = [f"calibration skipped: {exc}"]
    recording = profile["recording"]
    recording["keep_identity"] = keep_identity
    recording["rows"] = [rec.format_row(o, v) for o, v in sorted(walk.rows) if _kept(o)]
    header = [
        f"# Imported by `printbench profile import` from {path.name}.",
        "# recording.rows: the walk's rows, served as recorded where the state has no live value",
        "# (units, dimensions, vendor-private objects ...); levels, counters and status are the",
        "# state's (supplies, input_trays, markers above). Estimated, not recorded: pages per",
        "# minute, toner/ink use per page (typical yields), tray low thresholds, formats.",
        "# With keep_identity true every unit is that printer (serial number, MACs, sysName);",
        "# otherwise every unit gets its own and the recorded values are kept as data only.",
    ]
    header += [f"# warning: {w}" for w in walk.warnings]
    header += [f"# calibrated: {n}" for n in calibrated]
    if profile["identity"]["oui"] == "000000":
        header.append("# The walk has no ifPhysAddress: set identity.oui to the vendor's IEEE OUI.")
    body = yaml.safe_dump(profile, sort_keys=False, allow_unicode=True, width=100)
    text_out = "\n".join(header) + "\n" + body
    parse_profile(
        text_out, source=f"<import of {path.name}>", name=profile["name"]
    )  # it must build
    return Imported(text_out, profile["name"], walk.warnings)


def import_walk(path: str | Path, *, name: str | None = None, keep_identity: bool = False) -> str:
    """The YAML text of a validated profile built from the walk file at ``path``."""
    return import_recording(path, name=name, keep_identity=keep_identity).text
