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
from pathlib import Path
from typing import Any

import yaml

from printbench.emulator import profile_schema as ps
from printbench.emulator.profiles import ProfileError, parse_profile

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

_MEDIA_NAMES = {
    "a3": "iso_a3_297x420mm",
    "a4": "iso_a4_210x297mm",
    "a5": "iso_a5_148x210mm",
    "a6": "iso_a6_105x148mm",
    "b5": "iso_b5_176x250mm",
    "letter": "na_letter_8.5x11in",
    "legal": "na_legal_8.5x14in",
    "executive": "na_executive_7.25x10.5in",
    "ledger": "na_ledger_11x17in",
    "tabloid": "na_ledger_11x17in",
}
_MEDIA_DIMS = {  # (feed, xfeed) in micrometres, portrait
    (297000, 210000): "iso_a4_210x297mm",
    (420000, 297000): "iso_a3_297x420mm",
    (210000, 148000): "iso_a5_148x210mm",
    (279400, 215900): "na_letter_8.5x11in",
    (355600, 215900): "na_legal_8.5x14in",
}


class WalkError(ProfileError):
    """A walk file cannot be read; the message names the file and line."""


# ---------------------------------------------------------------------------------------------
# Reading walks
# ---------------------------------------------------------------------------------------------

_WALK_LINE = re.compile(r"^\.?((?:\d+\.)*\d+)\s*=\s*(?:([A-Za-z0-9-]+):\s?)?(.*)$")


def read_walk(text: str, source: str = "<walk>") -> dict[str, Any]:
    """OID (no leading dot) → value (int, str, bytes, or OID string) from either format."""
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip() and not ln.startswith("#")), "")
    if re.match(r"^\d+(\.\d+)*\|", first):
        return _read_snmprec(lines, source)
    return _read_snmpwalk(lines, source)


def _read_snmprec(lines: list[str], source: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("|", 2)
        if len(parts) != 3 or not re.fullmatch(r"\d+(\.\d+)*", parts[0]):
            raise WalkError(
                f"{source}:{number}: expected OID|TAG|VALUE (snmprec), got {line[:60]!r}"
            )
        oid, tag, value = parts
        tag = tag.split(":", 1)[0]  # variation modules ("4:numeric") keep the base tag
        try:
            if tag.endswith("x"):
                raw = bytes.fromhex(value)
                out[oid] = raw if tag == "4x" else int.from_bytes(raw, "big")
            elif tag in ("2", "65", "66", "67", "70"):
                out[oid] = int(value)
            else:
                out[oid] = value  # 4 string, 6 OID, 64 IpAddress, 5 null
        except ValueError:
            raise WalkError(f"{source}:{number}: bad value {value!r} for tag {tag}") from None
    return out


def _read_snmpwalk(lines: list[str], source: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    last: str | None = None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        m = _WALK_LINE.match(line)
        if m is None:
            if last is not None and isinstance(out[last], str):
                out[last] += "\n" + line.rstrip('"')  # continuation of a multi-line string
                continue
            raise WalkError(
                f"{source}:{number}: expected '.OID = TYPE: value' (snmpwalk -On), got {line[:60]!r}"
            )
        oid, kind, value = m.group(1), (m.group(2) or "").upper(), m.group(3).strip()
        if value.startswith("No Such") or value.startswith("No more variables"):
            continue
        if kind == "STRING":
            out[oid] = (
                value[1:-1]
                if len(value) >= 2 and value[0] == value[-1] == '"'
                else value.lstrip('"')
            )
        elif kind == "HEX-STRING":
            try:
                out[oid] = bytes.fromhex(value.replace(" ", ""))
            except ValueError:
                raise WalkError(f"{source}:{number}: bad Hex-STRING {value!r}") from None
        elif kind in ("INTEGER", "COUNTER32", "COUNTER64", "GAUGE32", "UNSIGNED32", "TIMETICKS"):
            num = re.search(r"\((-?\d+)\)", value) if kind in ("INTEGER", "TIMETICKS") else None
            digits = num.group(1) if num else value.split()[0] if value else ""
            try:
                out[oid] = int(digits)
            except ValueError:
                raise WalkError(f"{source}:{number}: expected a number, got {value!r}") from None
        elif kind == "OID":
            out[oid] = value.lstrip(".")
        else:
            out[oid] = value.strip('"')
        last = oid
    return out


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


def _keyword(table: dict[str, int], number: Any, default: str) -> str:
    for keyword, value in table.items():
        if value == number:
            return keyword
    return default


def _media(name: str, feed: Any, xfeed: Any, unit: Any) -> str:
    key = re.sub(r"[^a-z0-9]", "", name.lower())
    for short, pwg in _MEDIA_NAMES.items():
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


def profile_from_walk(
    values: dict[str, Any], *, source: str, name: str | None = None
) -> dict[str, Any]:
    """A profile dictionary (schema of ``emulator.profile_schema``) from walk values."""
    sys_descr = _text(values.get("1.3.6.1.2.1.1.1.0", ""))
    sys_oid = str(values.get("1.3.6.1.2.1.1.2.0", "")).lstrip(".")
    # the printer's row in hrDeviceTable: hrDeviceType = hrDevicePrinter, else the first row
    devices = _table(values, "1.3.6.1.2.1.25.3.2.1", None)
    device_index = next(
        (i for i, r in devices.items() if str(r.get(2, "")).lstrip(".") == "1.3.6.1.2.1.25.3.1.5"),
        next(iter(devices), 1),
    )
    dev = str(device_index)
    hr_descr = _text(devices.get(device_index, {}).get(3, "")) or sys_descr
    m = re.match(r"1\.3\.6\.1\.4\.1\.(\d+)", sys_oid)
    enterprise = int(m.group(1)) if m else 0
    manufacturer = ENTERPRISES.get(enterprise) or (hr_descr.split()[0] if hr_descr else "Unknown")
    model = hr_descr
    if model.lower().startswith(manufacturer.lower()):
        model = model[len(manufacturer) :].strip() or hr_descr
    if not sys_oid.startswith("1.3.6.1.4.1."):
        sys_oid = "1.3.6.1.4.1.2699.1.2"  # the PWG's arc: the walk had no vendor OID
    serial = _text(values.get(f"1.3.6.1.2.1.43.5.1.1.17.{dev}", ""))

    # interfaces and the vendor's OUI
    interfaces = []
    oui = ""
    for _idx, row in _table(values, "1.3.6.1.2.1.2.2.1", None).items():
        if_type = row.get(3, 6)
        mac = row.get(6, b"")
        if if_type == 24 or not isinstance(mac, bytes) or len(mac) != 6:
            continue
        oui = oui or mac[:3].hex().upper()
        itf: dict[str, Any] = {
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
    trays = []
    media_seen: list[str] = []
    for _idx, row in _table(values, "1.3.6.1.2.1.43.8.2.1", dev).items():
        tray_name = _text(row.get(13, "")) or _text(row.get(18, "")) or f"Tray {len(trays) + 1}"
        media = _media(_text(row.get(12, "")), row.get(4), row.get(5), row.get(3))
        capacity = row.get(9, 250) if isinstance(row.get(9), int) else 250
        level = row.get(10, capacity) if isinstance(row.get(10), int) else capacity
        if capacity >= 0 and level > capacity:
            level = capacity
        tray: dict[str, Any] = {
            "name": tray_name,
            "tray_type": _keyword(ps.PRT_INPUT_TYPE, row.get(2), "other"),
            "media": media,
            "capacity": max(capacity, -2),
            "level": max(level, -3),
            "low_threshold": max(0, capacity // 10) if capacity > 0 else 0,
        }
        if _text(row.get(18, "")) and _text(row.get(18, "")) != tray_name:
            tray["description"] = _text(row[18])
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
    outputs = []
    for _idx, row in _table(values, "1.3.6.1.2.1.43.9.2.1", dev).items():
        cap = row.get(4, 150) if isinstance(row.get(4), int) else 150
        rem = row.get(5, cap) if isinstance(row.get(5), int) else cap
        out: dict[str, Any] = {
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
    colorants = []
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
    supplies = []
    for _orig, row in supply_rows.items():
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
        markers.append(marker)
    if not colorants and markers[0]["process_colorants"] == 1:
        colorants = [{"value": "black"}]
    colour = any(m["process_colorants"] > 1 for m in markers)

    # covers, console, media paths, interpreters, channels, storage
    covers = [
        {
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
        ch["interpreter_index"] = interp_pos.get(r.get(5), 1) if interpreter_rows else 1
        if r.get(6) == 4:  # prtChannelState printDataNotAccepted
            ch["enabled"] = False
        channels.append(ch)
    storage_kinds = {"2": "ram", "4": "disk", "9": "flash", "3": "other", "1": "other"}
    storages = []
    for r in _table(values, "1.3.6.1.2.1.25.2.3.1", None).values():
        kind = storage_kinds.get(str(r.get(2, "")).rsplit(".", 1)[-1], "other")
        st: dict[str, Any] = {
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
            "color_supported": colour,
            "pages_per_minute": max_speed if 0 < max_speed <= 1000 else 20,
            **(
                {"pages_per_minute_color": max_speed if 0 < max_speed <= 1000 else 20}
                if colour
                else {}
            ),
            "media_supported": media_supported,
        },
        "defaults": {
            "media": media_seen[0],
            "sides": "one-sided",
            "color_mode": "auto" if colour else "monochrome",
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
    if not duplex:
        profile["defaults"]["sides"] = "one-sided"
    for key in ("covers", "channels", "storages", "colorants", "supplies"):
        if not profile[key]:
            del profile[key]
    return profile


def import_walk(path: str | Path, *, name: str | None = None) -> str:
    """The YAML text of a validated profile built from the walk file at ``path``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise WalkError(f"{path}: cannot read: {exc.strerror or exc}") from None
    values = read_walk(text, str(path))
    if not any(
        oid.startswith("1.3.6.1.2.1.43.") or oid.startswith("1.3.6.1.2.1.25.3.") for oid in values
    ):
        raise WalkError(
            f"{path}: no Printer MIB or hrDevice objects in this walk; is it a printer?"
        )
    profile = profile_from_walk(values, source=path.name, name=name)
    contact = _text(values.get("1.3.6.1.2.1.1.4.0", ""))
    sysname = _text(values.get("1.3.6.1.2.1.1.5.0", ""))
    location = _text(values.get("1.3.6.1.2.1.1.6.0", ""))
    header = [
        f"# Imported by `printbench profile import` from {path.name}.",
        "# Serial number and MAC address became a serial format and an OUI: every emulated",
        "# unit gets its own values. Estimated, not recorded: pages per minute, toner/ink use",
        "# per page (from typical yields), tray low thresholds, document formats.",
        f"# Recorded per-unit values (not used): sysName {sysname!r}, sysContact {contact!r}, sysLocation {location!r}.",
    ]
    if profile["identity"]["oui"] == "000000":
        header.append("# The walk has no ifPhysAddress: set identity.oui to the vendor's IEEE OUI.")
    body = yaml.safe_dump(profile, sort_keys=False, allow_unicode=True, width=100)
    text_out = "\n".join(header) + "\n" + body
    parse_profile(
        text_out, source=f"<import of {path.name}>", name=profile["name"]
    )  # it must build
    return text_out
