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

from printbench.ipp.media import media_keyword


class ConversionError(ValueError):
    """A value has no counterpart under a conversion."""


@dataclass(frozen=True)
class Converter:
    name: str
    to_dm: Callable[[Any], Any]
    from_dm: Callable[[Any], Any]
    doc: str
    #: what else the converter needs besides the source value; "boot_time": it is called with
    #: ``(value, boot time or None)`` (the reader knows the printer's clock, a converter does not)
    context: str = ""


CONVERTERS: dict[str, Converter] = {}


def _register(
    name: str,
    to_dm: Callable[[Any], Any],
    from_dm: Callable[[Any], Any],
    doc: str,
    context: str = "",
) -> None:
    CONVERTERS[name] = Converter(name, to_dm, from_dm, doc, context)


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

    by_keyword = {kw.lower(): kw for kw in table.values()}

    def to_dm(v: Any) -> str:
        # IPP's key=value members carry the MIB TC's *keyword* (PWG 5100.13 printer-input-tray
        # "type=sheetFeedAutoRemovableTray", as CUPS ippeveprinter sends), SNMP its integer
        if isinstance(v, str | bytes) and not _as_text(v).lstrip("-").isdigit():
            kw = by_keyword.get(_as_text(v).lower())
            if kw is not None:
                return kw
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
    "media_keyword",
    lambda v: media_keyword(_as_text(v)) or _as_text(v),
    lambda v: str(v).encode("utf-8"),
    "prtInputMediaName free text (RFC 3805) -> the PWG 5101.1 media keyword it names ('Plain "
    "A4' -> iso_a4_210x297mm; text naming no known size stays as it is); a keyword is written "
    "back as it is",
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
    if not b:  # RFC 2863 ifPhysAddress: zero length for interfaces without an address
        return ""
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
# -- prtAlertTable (RFC 3805) -> SM DeviceCondition ------------------------------------------------

#: PrtAlertCodeTC (RFC 3805 / IANA-PRINTER-MIB); Name is the keyword upper-first, as the
#: embedded client's view gives it (``emulator/tr069/view.py``: camel of the code keyword).
PRT_ALERT_CODES: dict[int, str] = {
    1: "other",
    2: "unknown",
    3: "coverOpen",
    4: "coverClosed",
    5: "interlockOpen",
    6: "interlockClosed",
    7: "configurationChange",
    8: "jam",
    9: "subunitMissing",
    10: "subunitLifeAlmostOver",
    11: "subunitLifeOver",
    12: "subunitAlmostEmpty",
    13: "subunitEmpty",
    14: "subunitAlmostFull",
    15: "subunitFull",
    16: "subunitNearLimit",
    17: "subunitAtLimit",
    18: "subunitOpened",
    19: "subunitClosed",
    20: "subunitTurnedOn",
    21: "subunitTurnedOff",
    22: "subunitOffline",
    23: "subunitPowerSaver",
    24: "subunitWarmingUp",
    25: "subunitAdded",
    26: "subunitRemoved",
    27: "subunitResourceAdded",
    28: "subunitResourceRemoved",
    29: "subunitRecoverableFailure",
    30: "subunitUnrecoverableFailure",
    31: "subunitRecoverableStorageError",
    32: "subunitUnrecoverableStorageError",
    33: "subunitMotorFailure",
    34: "subunitMemoryExhausted",
    35: "subunitUnderTemperature",
    36: "subunitOverTemperature",
    37: "subunitTimingFailure",
    38: "subunitThermistorFailure",
    501: "doorOpen",
    502: "doorClosed",
    503: "powerUp",
    504: "powerDown",
    505: "printerNMSReset",
    506: "printerManualReset",
    507: "printerReadyToPrint",
    801: "inputMediaTrayMissing",
    802: "inputMediaSizeChange",
    803: "inputMediaWeightChange",
    804: "inputMediaTypeChange",
    805: "inputMediaColorChange",
    806: "inputMediaFormPartsChange",
    807: "inputMediaSupplyLow",
    808: "inputMediaSupplyEmpty",
    809: "inputManualInputRequest",
    810: "inputManualInputComplete",
    901: "outputMediaTrayMissing",
    902: "outputMediaTrayAlmostFull",
    903: "outputMediaTrayFull",
    904: "outputMailboxSelectFailure",
    1001: "markerFuserUnderTemperature",
    1002: "markerFuserOverTemperature",
    1003: "markerFuserTimingFailure",
    1004: "markerFuserThermistorFailure",
    1005: "markerAdjustingPrintQuality",
    1101: "markerTonerEmpty",
    1102: "markerInkEmpty",
    1103: "markerPrintRibbonEmpty",
    1104: "markerTonerAlmostEmpty",
    1105: "markerInkAlmostEmpty",
    1106: "markerPrintRibbonAlmostEmpty",
    1107: "markerWasteTonerReceptacleAlmostFull",
    1108: "markerWasteInkReceptacleAlmostFull",
    1109: "markerWasteTonerReceptacleFull",
    1110: "markerWasteInkReceptacleFull",
    1111: "markerOpcLifeAlmostOver",
    1112: "markerOpcLifeOver",
    1113: "markerDeveloperAlmostEmpty",
    1114: "markerDeveloperEmpty",
    1115: "markerTonerCartridgeMissing",
    1301: "mediaPathMediaTrayMissing",
    1302: "mediaPathMediaTrayAlmostFull",
    1303: "mediaPathMediaTrayFull",
    1304: "mediaPathCannotDuplexMediaSelected",
    1501: "interpreterMemoryIncrease",
    1502: "interpreterMemoryDecrease",
    1503: "interpreterCartridgeAdded",
    1504: "interpreterCartridgeDeleted",
    1505: "interpreterResourceAdded",
    1506: "interpreterResourceDeleted",
    1507: "interpreterResourceUnavailable",
    1509: "interpreterComplexPageEncountered",
    1801: "alertRemovalOfBinaryChangeEntry",
}

#: PrtAlertGroupTC → the SM subunit names ComponentGroup's pattern lists (PWG 5108.06 subunits;
#: TR-181-style pattern in printservice-001). A group with no SM subunit keeps the MIB keyword
#: in the pattern's extension form ``<namespace>:<name>`` rather than an invented subunit.
_ALERT_GROUP_SUBUNIT: dict[str, str] = {
    "generalPrinter": "PrintService",
    "input": "InputTray",
    "output": "OutputTray",
    "marker": "Marker",
    "markerSupplies": "Marker",
    "markerColorant": "Marker",
    "mediaPath": "MediaPath",
    "channel": "InputChannel",
    "interpreter": "Interpreter",
    "consoleDisplayBuffer": "Console",
    "consoleLights": "Console",
    "finDevice": "Finisher",
    "finSupply": "Finisher",
    "finSupplyMediaInput": "Finisher",
    "finAttribute": "Finisher",
}
_ALERT_GROUPS: dict[int, str] = {
    1: "other",
    2: "unknown",
    3: "hostResourcesMIBStorageTable",
    4: "hostResourcesMIBDeviceTable",
    5: "generalPrinter",
    6: "cover",
    7: "localization",
    8: "input",
    9: "output",
    10: "marker",
    11: "markerSupplies",
    12: "markerColorant",
    13: "mediaPath",
    14: "channel",
    15: "interpreter",
    16: "consoleDisplayBuffer",
    17: "consoleLights",
    18: "alert",
    30: "finDevice",
    31: "finSupply",
    32: "finSupplyMediaInput",
    33: "finAttribute",
}
#: PrtAlertSeverityLevelTC → SM Severity (Informational | Warning | Critical); other(1) is the
#: MIB's "not critical, not a warning", i.e. informational.
_ALERT_SEVERITY: dict[str, str] = {
    "other": "Informational",
    "critical": "Critical",
    "warning": "Warning",
    "warningBinaryChangeEvent": "Warning",
}
_ALERT_SEVERITIES: dict[int, str] = {
    1: "other",
    3: "critical",
    4: "warning",
    5: "warningBinaryChangeEvent",
}


def _tc_int(name: str, table: dict[int, str], v: Any) -> str:
    if isinstance(v, bool):
        raise ConversionError(f"{name}: no keyword for {v!r}")
    try:
        return table[int(v)]
    except (KeyError, ValueError, TypeError):
        raise ConversionError(f"{name}: no keyword for {v!r}") from None


def alert_group_keyword(v: Any) -> str:
    """A PrtAlertGroupTC keyword (EWS) → ComponentGroup (SM subunit, or ``PrtAlertGroupTC:kw``)."""
    kw = _as_text(v)
    if kw in _ALERT_GROUP_SUBUNIT:
        return _ALERT_GROUP_SUBUNIT[kw]
    if kw in _ALERT_GROUPS.values():
        return f"PrtAlertGroupTC:{kw}"
    raise ConversionError(f"alert_group: no PrtAlertGroupTC keyword {kw!r}")


def alert_severity_keyword(v: Any) -> str:
    try:
        return _ALERT_SEVERITY[_as_text(v)]
    except KeyError:
        raise ConversionError(f"alert_severity: no PrtAlertSeverityLevelTC keyword {v!r}") from None


#: PrtAlertCodeTC keywords whose SM name (DeviceCondition.Name's pattern, PWG 5108.06 alert
#: names) is not the keyword upper-first; two codes have no SM name at all and keep the MIB
#: keyword in the pattern's extension form ``<namespace>:<name>``.
_ALERT_CODE_NAME: dict[str, str] = {
    "jam": "MediaJam",
    "inputMediaTrayMissing": "InputTrayMissing",
    "inputMediaSupplyLow": "MediaLow",
    "inputMediaSupplyEmpty": "MediaEmpty",
    "outputMediaTrayMissing": "OutputTrayMissing",
    "outputMediaTrayAlmostFull": "OutputAreaAlmostFull",
    "outputMediaTrayFull": "OutputAreaFull",
    "doorClosed": "PrtAlertCodeTC:doorClosed",
    "inputManualInputComplete": "PrtAlertCodeTC:inputManualInputComplete",
}


def alert_code_keyword(v: Any) -> str:
    """A PrtAlertCodeTC keyword (EWS) → DeviceCondition.Name."""
    kw = _as_text(v)
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", kw):
        raise ConversionError(f"alert_code: {kw!r} is not a PrtAlertCodeTC keyword")
    return _ALERT_CODE_NAME.get(kw, kw[:1].upper() + kw[1:])


def prt_alert_code(v: Any) -> str:
    """PrtAlertCodeTC integer → Name; a vendor's own code number keeps its number in the
    extension form (``PrtAlertCodeTC:40123``) rather than becoming "Other"."""
    if isinstance(v, bool) or not isinstance(v, int):
        raise ConversionError(f"prt_alert_code: {v!r} is not an integer")
    if v in PRT_ALERT_CODES:
        return alert_code_keyword(PRT_ALERT_CODES[v])
    return f"PrtAlertCodeTC:{v}"


def _first_key(table: dict[Any, str], value: str, name: str) -> Any:
    """The first key of ``table`` whose value is ``value`` (where several map to one)."""
    for k, v in table.items():
        if v == value:
            return k
    raise ConversionError(f"{name}: no source value for {value!r}")


def name_to_alert_code(v: str) -> str:
    kw = _first_key(_ALERT_CODE_NAME, v, "alert_code") if v in _ALERT_CODE_NAME.values() else v
    return kw[:1].lower() + kw[1:]


def name_to_prt_alert_code(v: str) -> int:
    if v.startswith("PrtAlertCodeTC:") and v.split(":", 1)[1].isdigit():
        return int(v.split(":", 1)[1])
    return _first_key(PRT_ALERT_CODES, name_to_alert_code(v), "prt_alert_code")


def group_to_keyword(v: str) -> str:
    if v.startswith("PrtAlertGroupTC:"):
        return v.split(":", 1)[1]
    return _first_key(_ALERT_GROUP_SUBUNIT, v, "alert_group")


_register(
    "prt_alert_code",
    prt_alert_code,
    name_to_prt_alert_code,
    "PrtAlertCodeTC → Name (PWG alert name; the MIB keyword in extension form where none)",
)
_register("alert_code", alert_code_keyword, name_to_alert_code, "alert code keyword ↔ Name")
_register(
    "prt_alert_group",
    lambda v: alert_group_keyword(_tc_int("prt_alert_group", _ALERT_GROUPS, v)),
    lambda v: _first_key(_ALERT_GROUPS, group_to_keyword(v), "prt_alert_group"),
    "PrtAlertGroupTC → Component.Group (SM subunit)",
)
_register("alert_group", alert_group_keyword, group_to_keyword, "group keyword ↔ Group")
_register(
    "prt_alert_severity",
    lambda v: alert_severity_keyword(_tc_int("prt_alert_severity", _ALERT_SEVERITIES, v)),
    lambda v: _first_key(
        _ALERT_SEVERITIES, _first_key(_ALERT_SEVERITY, v, "alert_severity"), "prt_alert_severity"
    ),
    "PrtAlertSeverityLevelTC → Severity",
)
_register(
    "alert_severity",
    alert_severity_keyword,
    lambda v: _first_key(_ALERT_SEVERITY, v, "alert_severity"),
    "severity keyword ↔ Severity",
)


#: TR-106 Amendment 8 §3.2.1 (Table "Data types", dateTime): "If the time is unknown or not
#: applicable, the following value representing Unknown Time MUST be used:
#: 0001-01-01T00:00:00Z".
UNKNOWN_TIME = datetime(1, 1, 1, tzinfo=UTC)


def ticks_to_datetime(v: Any) -> datetime:
    """``(TimeTicks, boot time)`` → the absolute dateTime the ticks stand for.

    prtAlertTime (RFC 3805) is "the value of sysUpTime at the time that this alert was
    generated": hundredths of a second since the agent started, so 0 (what many real
    printers report) means "at boot", not "no value". The reader gives the boot time as
    ``now - sysUpTime``; when it does not know it (no uptime answered), the result is TR-106's
    Unknown Time (an untimezoned relative time since boot would be the TR-106 SHOULD for
    "absolute time not available", but ``cwmp.types`` reads an untimezoned value as UTC).
    """
    ticks, boot = v if isinstance(v, tuple) else (v, None)
    if isinstance(ticks, bool) or not isinstance(ticks, int | str | bytes):
        raise ConversionError(f"timeticks_datetime: {ticks!r} is not a TimeTicks value")
    try:
        t = int(ticks)
    except ValueError:
        raise ConversionError(f"timeticks_datetime: {ticks!r} is not a TimeTicks value") from None
    if not 0 <= t <= 0xFFFFFFFF:  # RFC 2578 §7.1.8: TimeTicks is 0..2^32-1
        raise ConversionError(f"timeticks_datetime: {t} is outside TimeTicks (0..4294967295)")
    if boot is None:
        return UNKNOWN_TIME
    return (boot + timedelta(seconds=t // 100)).astimezone(UTC).replace(microsecond=0)


def datetime_to_ticks(v: Any) -> int:
    """``(dateTime, boot time)`` → TimeTicks since boot (the inverse, for completeness)."""
    dt, boot = v
    if boot is None or dt == UNKNOWN_TIME:
        return 0
    return max(0, int((dt - boot).total_seconds() * 100))


_register(
    "timeticks_datetime",
    ticks_to_datetime,
    datetime_to_ticks,
    "TimeTicks since boot (prtAlertTime) ↔ dateTime (boot time + ticks; TR-106 Unknown Time "
    "when the boot time is unknown)",
    context="boot_time",
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
