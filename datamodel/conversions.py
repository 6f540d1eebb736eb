"""Named conversions between source values (SNMP, IPP, EWS JSON) and PrintService values.

Every converter has ``to_dm(source_value) -> DM value`` and ``from_dm(DM value) -> source
value``; the mapping table names them. DM values are Python values of the parameter's TR-106
type (str, int, bool, list of str for list parameters); source values are what the source
protocol carries (SNMP integers and octet strings as ``bytes``, IPP enums as ``int`` and
keywords as ``str``, EWS JSON values as they are in the emulator state). Pure functions; a
value outside the table raises :class:`ConversionError` naming the converter and the value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any


class ConversionError(ValueError):
    """A value has no counterpart under a conversion."""


@dataclass(frozen=True)
class Converter:
    name: str
    to_dm: Callable[[Any], Any]
    from_dm: Callable[[Any], Any]
    doc: str


CONVERTERS: dict[str, Converter] = {}


def _register(name: str, to_dm: Callable[[Any], Any], from_dm: Callable[[Any], Any], doc: str):
    CONVERTERS[name] = Converter(name, to_dm, from_dm, doc)


def get(name: str) -> Converter:
    try:
        return CONVERTERS[name]
    except KeyError:
        raise ConversionError(
            f"unknown conversion {name!r}; known: {', '.join(sorted(CONVERTERS))}"
        ) from None


def _enum(name: str, table: dict[int, str], doc: str, default_from: int | None = None) -> None:
    """An SNMP/IPP integer enumeration ↔ SM keyword converter from a one-to-one table."""
    reverse = {v: k for k, v in table.items()}

    def to_dm(v: Any) -> str:
        try:
            return table[int(v)]
        except (KeyError, ValueError, TypeError):
            raise ConversionError(f"{name}: no keyword for {v!r}") from None

    def from_dm(v: Any) -> int:
        if v in reverse:
            return reverse[v]
        if default_from is not None:
            return default_from
        raise ConversionError(f"{name}: no value for {v!r}")

    _register(name, to_dm, from_dm, doc)


def _keyword(name: str, table: dict[str, str], doc: str) -> None:
    """A source keyword ↔ SM keyword converter (e.g. IPP kebab-case ↔ SM CamelCase)."""
    reverse = {v: k for k, v in table.items()}

    def to_dm(v: Any) -> str:
        if v in table:
            return table[v]
        raise ConversionError(f"{name}: no SM value for {v!r}")

    def from_dm(v: Any) -> str:
        if v in reverse:
            return reverse[v]
        raise ConversionError(f"{name}: no source value for {v!r}")

    _register(name, to_dm, from_dm, doc)


def _as_text(v: Any) -> str:
    """A MIB DisplayString arrives as bytes, an EWS or IPP value as str."""
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)


_register("identity", lambda v: v, lambda v: v, "the value unchanged")
_register(
    "text",
    lambda v: v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v),
    lambda v: str(v).encode("utf-8"),
    "SNMP DisplayString/OCTET STRING bytes ↔ string",
)
_register(
    "list",
    lambda v: list(v),
    lambda v: tuple(v),
    "a multi-valued source (tuple, IPP 1setOf) ↔ TR-106 comma-separated list",
)
_register(
    "bool_truth",
    lambda v: bool(v),
    lambda v: bool(v),
    "JSON/Python truth ↔ boolean",
)

# -- states ------------------------------------------------------------------------------------

#: IPP printer-state (RFC 8011 §5.4.11) ↔ SM ObjectStateWKV.
_enum("ipp_printer_state", {3: "Idle", 4: "Processing", 5: "Stopped"}, "IPP printer-state enum")

#: hrPrinterStatus (RFC 2790) ↔ SM State. RFC 3805 §2.2.13.2 reads a stopped printer as
#: hrPrinterStatus other(1) with hrDeviceStatus down(5); use ``hr_state`` for the pair.
_enum(
    "hr_printer_status",
    {1: "Other", 2: "Unknown", 3: "Idle", 4: "Processing", 5: "Testing"},
    "hrPrinterStatus: other unknown idle printing warmup(→Testing)",
)
_enum(
    "hr_device_status",
    {1: "Unknown", 2: "Idle", 3: "Idle", 4: "Testing", 5: "Down"},
    "hrDeviceStatus: unknown running warning testing down",
)


def _hr_state_to(v: Any) -> str:
    """(hrPrinterStatus, hrDeviceStatus) → State per RFC 3805 §2.2.13.2."""
    printer, device = (int(x) for x in v)
    if device == 5:
        return "Stopped" if printer == 1 else "Down"
    if device == 4:
        return "Testing"
    return CONVERTERS["hr_printer_status"].to_dm(printer)


def _hr_state_from(v: Any) -> tuple[int, int]:
    table = {
        "Idle": (3, 2),
        "Processing": (4, 2),
        "Stopped": (1, 5),
        "Down": (2, 5),
        "Testing": (5, 4),
        "Unknown": (2, 1),
        "Other": (1, 2),
    }
    if v not in table:
        raise ConversionError(f"hr_state: no value for {v!r}")
    return table[v]


_register("hr_state", _hr_state_to, _hr_state_from, "(hrPrinterStatus, hrDeviceStatus) ↔ State")

_keyword(
    "state_keyword",
    {
        "idle": "Idle",
        "processing": "Processing",
        "stopped": "Stopped",
        "offline": "Down",
        "testing": "Testing",
    },
    "emulator/IPP printer-state keyword ↔ State",
)

# -- PrtSubUnitStatusTC ------------------------------------------------------------------------

_AVAILABILITY = {
    0: "AvailableAndIdle",
    2: "AvailableAndStandby",
    4: "AvailableAndActive",
    6: "AvailableAndBusy",
    1: "UnavailableAndOnRequest",
    3: "UnavailableAndBroken",
    5: "Unknown",
}
_BITS = ((8, "WarningAlerts"), (16, "CriticalAlerts"), (32, "Offline"), (64, "Transitioning"))


def _subunit_to(v: Any) -> list[str]:
    n = int(v)
    if not 0 <= n <= 126 or n & 7 == 7:
        raise ConversionError(f"prt_subunit_status: {v!r} is not a PrtSubUnitStatusTC value")
    out = [_AVAILABILITY[n & 7]]
    out += [kw for bit, kw in _BITS if n & bit]
    if not n & 32:
        out.append("Online")
    return out


def _subunit_from(v: Any) -> int:
    words = list(v) if not isinstance(v, str) else [w for w in v.split(",") if w]
    rev = {kw: n for n, kw in _AVAILABILITY.items()}
    avail = [rev[w] for w in words if w in rev]
    if len(avail) != 1:
        raise ConversionError(f"prt_subunit_status: {v!r} needs exactly one availability")
    n = avail[0]
    for bit, kw in _BITS:
        if kw in words:
            n |= bit
    return n


_register(
    "prt_subunit_status",
    _subunit_to,
    _subunit_from,
    "PrtSubUnitStatusTC integer (availability + alert/offline/transitioning bits) ↔ SubunitState list",
)

# -- supplies and trays ------------------------------------------------------------------------


def _level_to(v: Any) -> int:
    return int(v)  # SM CurrentLevel is xs:int; -1/-2/-3 keep their MIB meaning with the Basis


_register("level", _level_to, lambda v: int(v), "MIB level/capacity Integer32 (sentinels kept)")
_enum(
    "level_basis",
    {-1: "Other", -2: "Unknown", -3: "NotEmpty"},
    "MIB level sentinel → CurrentLevelBasis (-1 Other, -2 Unknown, -3 NotEmpty; ≥0 Actual)",
)
_level_basis = CONVERTERS["level_basis"]
CONVERTERS["level_basis"] = Converter(
    "level_basis",
    lambda v: "Actual" if int(v) >= 0 else _level_basis.to_dm(v),
    lambda v: 0 if v == "Actual" else _level_basis.from_dm(v),
    _level_basis.doc + "; from_dm(Actual) gives 0 (any non-negative level)",
)


def _percent_to(v: Any) -> int:
    level, maximum = (int(x) for x in v)
    if level < 0:
        return level
    if maximum <= 0:
        raise ConversionError(f"supply_percent: max capacity {maximum} gives no percentage")
    return round(100 * level / maximum)


_register(
    "supply_percent",
    _percent_to,
    lambda v: (int(v), 100),
    "(prtMarkerSuppliesLevel, MaxCapacity) ↔ percent remaining; sentinels pass through",
)

_enum(
    "prt_supply_type",
    {
        1: "Other",
        2: "Unknown",
        3: "Toner",
        4: "WasteToner",
        5: "Ink",
        6: "InkCartridge",
        7: "InkRibbon",
        8: "WasteInk",
        9: "Opc",
        10: "Developer",
        11: "FuserOil",
        12: "SolidWax",
        13: "RibbonWax",
        14: "WasteWax",
        15: "Fuser",
        16: "CoronaWire",
        17: "FuserOilWick",
        18: "CleanerUnit",
        19: "FuserCleaningPad",
        20: "TransferUnit",
        21: "TonerCartridge",
        22: "FuserOiler",
        23: "Water",
        24: "WasteWater",
        25: "GlueWaterAdditive",
        26: "WastePaper",
        27: "BindingSupply",
        28: "BandingSupply",
        29: "StitchingWire",
        30: "ShrinkWrap",
        31: "PaperWrap",
        32: "Staples",
        33: "Inserts",
        34: "Covers",
    },
    "PrtMarkerSuppliesTypeTC ↔ MarkerSupplyTypeWKV",
)
_enum(
    "prt_supply_class",
    {1: "Other", 3: "SupplyThatIsConsumed", 4: "ReceptacleThatIsFilled"},
    "PrtMarkerSuppliesClassTC ↔ MarkerSupplyClassWKV",
)
_enum(
    "prt_input_type",
    {
        1: "Other",
        2: "Unknown",
        3: "SheetFeedAutoRemovableTray",
        4: "SheetFeedAutoNonRemovableTray",
        5: "SheetFeedManual",
        6: "ContinuousRoll",
        7: "ContinuousFanFold",
    },
    "PrtInputTypeTC ↔ InputTrayTypeWKV",
)
_enum(
    "prt_cover_status",
    {
        1: "other",
        2: "Unknown",
        3: "coverOpen",
        4: "coverClosed",
        5: "interlockOpen",
        6: "interlockClosed",
    },
    "PrtCoverStatusTC ↔ SubunitStateWKV cover keywords",
)
_enum(
    "if_status",
    {
        1: "Up",
        2: "Down",
        3: "Testing",
        4: "Unknown",
        5: "Dormant",
        6: "NotPresent",
        7: "LowerLayerDown",
    },
    "ifOperStatus/ifAdminStatus ↔ InterfaceOperStateWKV/InterfaceAdminStateWKV",
)
_keyword(
    "state_supply_type",
    {
        "toner": "Toner",
        "wasteToner": "WasteToner",
        "ink": "Ink",
        "inkCartridge": "InkCartridge",
        "opc": "Opc",
        "developer": "Developer",
        "fuser": "Fuser",
        "tonerCartridge": "TonerCartridge",
        "transferUnit": "TransferUnit",
        "cleanerUnit": "CleanerUnit",
        "staples": "Staples",
        "other": "Other",
        "unknown": "Unknown",
    },
    "emulator/MIB-style supply type keyword ↔ MarkerSupplyTypeWKV",
)

# -- IPP keywords ↔ SM well-known values ---------------------------------------------------------


def ipp_to_sm_keyword(v: str) -> str:
    """IPP kebab-case keyword → SM CamelCase (PWG PJT naming rule): two-sided-long-edge → TwoSidedLongEdge."""
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", v):
        raise ConversionError(f"ipp_keyword: {v!r} is not an IPP keyword")
    return "".join(p[:1].upper() + p[1:] for p in v.split("-"))


def sm_to_ipp_keyword(v: str) -> str:
    if not re.fullmatch(r"[A-Z][A-Za-z0-9]*", v):
        raise ConversionError(f"ipp_keyword: {v!r} is not an SM keyword")
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"-\1", v).lower()


_register("ipp_keyword", ipp_to_sm_keyword, sm_to_ipp_keyword, "IPP keyword ↔ SM CamelCase")


def ipp_reasons_to_sm(reasons: Any) -> list[str]:
    """printer-state-reasons → SM StateReason list: the -report/-warning/-error severity
    suffix is IPP's way of saying how bad a reason is, which the SM keeps elsewhere
    (StateSeverity), so it is dropped: media-empty-error → MediaEmpty, none → None."""
    return [
        ipp_to_sm_keyword(re.sub(r"-(report|warning|error)$", "", str(r)))
        for r in (reasons if isinstance(reasons, (list, tuple)) else [reasons])
    ]


def sm_reasons_to_ipp(reasons: Any) -> tuple[str, ...]:
    return tuple(sm_to_ipp_keyword(str(r)) for r in reasons)


_register(
    "state_reasons",
    ipp_reasons_to_sm,
    sm_reasons_to_ipp,
    "IPP printer-state-reasons (1setOf keyword) ↔ SM StateReason list, severity suffix dropped",
)
_enum(
    "ipp_orientation",
    {3: "Portrait", 4: "Landscape", 5: "ReverseLandscape", 6: "ReversePortrait", 7: "None"},
    "IPP orientation-requested enum ↔ OrientationRequestedWKV",
)
_keyword(
    "orientation_keyword",
    {
        "portrait": "Portrait",
        "landscape": "Landscape",
        "reverse-landscape": "ReverseLandscape",
        "reverse-portrait": "ReversePortrait",
        "none": "None",
    },
    "emulator orientation keyword ↔ OrientationRequestedWKV",
)
_keyword(
    "feed_orientation",
    {
        "long-edge-first": "LongEdgeFirst",
        "short-edge-first": "ShortEdgeFirst",
    },
    "IPP feed-orientation-default ↔ FeedOrientationWKV",
)
_keyword(
    "orientation_to_feed",
    {"portrait": "ShortEdgeFirst", "landscape": "LongEdgeFirst"},
    "emulator default orientation ↔ FeedOrientationWKV (a portrait page feeds short edge first)",
)
_enum("ipp_resolution_units", {3: "Dpi", 4: "Dpcm"}, "IPP resolution units ↔ UnitsWKV")
_keyword("resolution_units", {"dpi": "Dpi", "dpcm": "Dpcm"}, "emulator units ↔ UnitsWKV")

# -- identity-style values -----------------------------------------------------------------------


def text_to_vcard(text: Any) -> str:
    """sysContact free text → a vCard 4.0 (RFC 6350) with FN (escaped)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    fn = str(text).replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    fn = fn.replace("\r\n", "\\n").replace("\n", "\\n")
    return f"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:{fn}\r\nEND:VCARD\r\n"


def vcard_to_text(vcard: str) -> str:
    """The FN of a vCard (any version), unescaped; text without a vCard is returned as is."""
    if "BEGIN:VCARD" not in vcard.upper():
        return vcard
    unfolded = re.sub(r"\r?\n[ \t]", "", vcard)
    for line in re.split(r"\r?\n", unfolded):
        name, _, value = line.partition(":")
        if name.split(";")[0].upper() == "FN":
            out, i = [], 0
            while i < len(value):
                if value[i] == "\\" and i + 1 < len(value):
                    out.append("\n" if value[i + 1] in "nN" else value[i + 1])
                    i += 2
                else:
                    out.append(value[i])
                    i += 1
            return "".join(out)
    raise ConversionError(f"vcard: no FN property in {vcard[:60]!r}")


_register("vcard", text_to_vcard, vcard_to_text, "sysContact text ↔ OwnerVCard (vCard FN)")


def mac_to_dm(v: Any) -> str:
    """ifPhysAddress bytes (or an emulator string) → aa:bb:cc:dd:ee:ff (TR-106 MACAddress)."""
    if isinstance(v, str):
        hexes = re.findall(r"[0-9A-Fa-f]{2}", v)
        if len(hexes) != 6 or len(re.sub(r"[^0-9A-Fa-f]", "", v)) != 12:
            raise ConversionError(f"mac: {v!r} is not a MAC address")
        return ":".join(h.lower() for h in hexes)
    b = bytes(v)
    if len(b) != 6:
        raise ConversionError(f"mac: {len(b)} octets, a MAC address has 6")
    return ":".join(f"{x:02x}" for x in b)


def mac_from_dm(v: str) -> bytes:
    if not re.fullmatch(r"([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}", v):
        raise ConversionError(f"mac: {v!r} is not aa:bb:cc:dd:ee:ff")
    return bytes(int(x, 16) for x in v.split(":"))


_register("mac", mac_to_dm, mac_from_dm, "PhysAddress octets ↔ MACAddress string")


def date_and_time_to_dm(v: bytes) -> str:
    """SNMPv2-TC DateAndTime (8 or 11 octets) → TR-106 dateTime."""
    b = bytes(v)
    if len(b) not in (8, 11):
        raise ConversionError(f"date_and_time: {len(b)} octets (8 or 11 expected)")
    year = b[0] << 8 | b[1]
    try:
        dt = datetime(year, b[2], b[3], b[4], b[5], b[6], b[7] * 100000)
    except ValueError as exc:
        raise ConversionError(f"date_and_time: {exc}") from None
    if len(b) == 11:
        sign = 1 if chr(b[8]) == "+" else -1
        tz = timezone(sign * timedelta(hours=b[9], minutes=b[10]))
        dt = dt.replace(tzinfo=tz).astimezone(UTC)
        return dt.strftime("%Y-%m-%dT%H:%M:%S") + (f".{b[7]}" if b[7] else "") + "Z"
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + (f".{b[7]}" if b[7] else "")


def date_and_time_from_dm(v: str) -> bytes:
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d))?\d*(Z)?", v)
    if not m:
        raise ConversionError(f"date_and_time: {v!r} is not a dateTime")
    y, mo, d, h, mi, s = (int(m[i]) for i in range(1, 7))
    ds = int(m[7] or 0)
    out = bytes([y >> 8, y & 0xFF, mo, d, h, mi, s, ds])
    return out + b"+\x00\x00" if m[8] else out


_register(
    "date_and_time", date_and_time_to_dm, date_and_time_from_dm, "DateAndTime ↔ dateTime (UTC)"
)
_register(
    "timeticks_seconds",
    lambda v: int(v) // 100,
    lambda v: int(v) * 100,
    "TimeTicks (1/100 s) ↔ seconds",
)
_register(
    "kbytes",
    lambda v: int(v[0]) * int(v[1]) // 1024,
    lambda v: (int(v), 1024),
    "(hrStorageSize, hrStorageAllocationUnits) ↔ size in KiB (SM StorageSize)",
)
_register(
    "colorants_to_color",
    lambda v: int(v) > 1,
    lambda v: 4 if v else 1,
    "prtMarkerProcessColorants ↔ ColorSupported (more than one colorant)",
)
_register(
    "upper_first",
    lambda v: (t := _as_text(v))[:1].upper() + t[1:],
    lambda v: str(v)[:1].lower() + str(v)[1:],
    "MIB TC keyword (supplyThatIsConsumed) ↔ SM keyword (SupplyThatIsConsumed)",
)
_register(
    "cover_is_open",
    lambda v: int(v) in (3, 5),
    lambda v: 3 if v else 4,
    "PrtCoverStatusTC ↔ CoverIsOpen (coverOpen(3), interlockOpen(5) are open)",
)
_register(
    "cover_keyword_is_open",
    lambda v: v in ("open", "interlockOpen", "coverOpen"),
    lambda v: "open" if v else "closed",
    "emulator cover keyword ↔ CoverIsOpen",
)
