"""The IPP view of a printer's state: printer and job attributes, built on demand. Pure.

Each attribute has a small builder reading the live :class:`~emulator.state.PrinterState`,
so a request for two attributes builds two (the common monitoring poll), and every answer
reflects the state at that moment: a location set through SNMP is the next
``printer-location``, a page printed moves ``printer-supply`` and ``marker-levels``.

Groups follow RFC 8011 §4.2.5.1: ``job-template`` (the -default/-supported/-ready
attributes) and ``printer-description`` (the rest); ``all`` is both. ``media-col-database``
is only returned when named, as CUPS does, because it is large.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from printbench.emulator.state import Job, PrinterState, uptime_ticks
from printbench.ipp.codec import Attribute, DateTime, Range, Resolution, Tag

# -- keyword ⇄ enum tables -----------------------------------------------------------------

PRINTER_STATES = {"idle": 3, "processing": 4, "stopped": 5}
JOB_STATES = {
    "pending": 3,
    "pending-held": 4,
    "processing": 5,
    "processing-stopped": 6,
    "canceled": 7,
    "aborted": 8,
    "completed": 9,
}
TERMINAL_JOB_STATES = frozenset({"canceled", "aborted", "completed"})
ORIENTATIONS = {"portrait": 3, "landscape": 4, "reverse-landscape": 5, "reverse-portrait": 6}
QUALITIES = {"draft": 3, "normal": 4, "high": 5}
FINISHINGS = {
    "none": 3,
    "staple": 4,
    "punch": 5,
    "cover": 6,
    "bind": 7,
    "saddle-stitch": 8,
    "edge-stitch": 9,
    "fold": 10,
    "trim": 11,
    "bale": 12,
    "booklet-maker": 13,
    "jog-offset": 14,
    "coat": 15,
    "laminate": 16,
    "staple-top-left": 20,
    "staple-bottom-left": 21,
    "staple-top-right": 22,
    "staple-bottom-right": 23,
    "edge-stitch-left": 24,
    "edge-stitch-top": 25,
    "edge-stitch-right": 26,
    "edge-stitch-bottom": 27,
    "staple-dual-left": 28,
    "staple-dual-top": 29,
    "staple-dual-right": 30,
    "staple-dual-bottom": 31,
    "punch-top-left": 70,
    "punch-dual-left": 74,
    "punch-dual-top": 75,
    "punch-triple-left": 78,
    "punch-quad-left": 82,
    "fold-half": 93,
}

#: IPP/1.1 and IPP/2.0 (PWG 5100.12 §6.2) operations every profile implements.
BASE_OPERATIONS = {
    "Print-Job": 0x0002,
    "Validate-Job": 0x0004,
    "Create-Job": 0x0005,
    "Send-Document": 0x0006,
    "Cancel-Job": 0x0008,
    "Get-Job-Attributes": 0x0009,
    "Get-Jobs": 0x000A,
    "Get-Printer-Attributes": 0x000B,
    "Pause-Printer": 0x0010,
    "Resume-Printer": 0x0011,
    "Set-Printer-Attributes": 0x0013,
    "Cancel-My-Jobs": 0x0039,
    "Close-Job": 0x003B,
    "Identify-Printer": 0x003C,
    "Hold-Job": 0x000C,
    "Release-Job": 0x000D,
    "Cancel-Jobs": 0x0038,
}
#: What IPP/2.1 (PWG 5100.12 §6.3) and IPP/2.2 (§6.4) add; a profile claiming IPP Everywhere
#: (``ipp.everywhere``) implements and advertises them (docs/ipp.md lists what each does).
IPP22_OPERATIONS = {
    "Restart-Job": 0x000E,
    "Purge-Jobs": 0x0012,
    "Set-Job-Attributes": 0x0014,
    "Get-Printer-Supported-Values": 0x0015,
    "Create-Printer-Subscriptions": 0x0016,
    "Create-Job-Subscriptions": 0x0017,
    "Get-Subscription-Attributes": 0x0018,
    "Get-Subscriptions": 0x0019,
    "Renew-Subscription": 0x001A,
    "Cancel-Subscription": 0x001B,
    "Get-Notifications": 0x001C,
    "Enable-Printer": 0x0022,
    "Disable-Printer": 0x0023,
    "Pause-Printer-After-Current-Job": 0x0024,
    "Hold-New-Jobs": 0x0025,
    "Release-Held-New-Jobs": 0x0026,
    "Restart-Printer": 0x0029,
    "Shutdown-Printer": 0x002A,
    "Startup-Printer": 0x002B,
    "Reprocess-Job": 0x002C,
    "Cancel-Current-Job": 0x002D,
    "Suspend-Current-Job": 0x002E,
    "Resume-Job": 0x002F,
    "Promote-Job": 0x0030,
    "Schedule-Job-After": 0x0031,
    "Cancel-Document": 0x0033,
    "Get-Document-Attributes": 0x0034,
    "Get-Documents": 0x0035,
    "Set-Document-Attributes": 0x0037,
    "Resubmit-Job": 0x003A,
}
OPERATIONS = {**BASE_OPERATIONS, **IPP22_OPERATIONS}


def operations(state: PrinterState) -> list[int]:
    """operations-supported of this printer: IPP/2.0, plus IPP/2.2 when it claims IPP Everywhere."""
    ops = list(BASE_OPERATIONS.values())
    if state.ipp.everywhere:
        ops += IPP22_OPERATIONS.values()
    return sorted(ops)


HOLD_UNTIL = ("no-hold", "indefinite")  # RFC 8011 §5.2.2; timed periods are not offered
#: RFC 3380 / PWG 5100.12: job attributes Set-Job-Attributes changes
JOB_SETTABLE = ("job-hold-until", "job-name", "job-priority")
CONTENT_OPTIMIZE = ("auto", "graphic", "photo", "text", "text-and-graphic")  # PWG 5100.7
RENDERING_INTENTS = ("auto", "perceptual", "relative", "relative-bpc", "saturation")
PRINT_SCALING = ("auto", "auto-fit", "fill", "fit", "none")  # PWG 5100.13
MULTIPLE_DOCUMENT_HANDLING = (
    "separate-documents-collated-copies",
    "separate-documents-uncollated-copies",
)
#: PWG 5100.6 overrides members we apply or accept. ipptool 2.4's ipp-everywhere.test
#: looks for "document-number" while ipp-2.2.test and PWG 5100.6 say "document-numbers":
#: both spellings are listed and both are accepted in a request.
OVERRIDES = ("document-number", "document-numbers", "pages")
NOTIFY_EVENTS = (
    "job-completed",
    "job-config-changed",
    "job-created",
    "job-progress",
    "job-state-changed",
    "printer-config-changed",
    "printer-state-changed",
)
NOTIFY_LEASE_DEFAULT = 86400  # s (RFC 3995)
NOTIFY_MAX_EVENTS = 100  # events kept per subscription (RFC 3996 ippget)
IPPGET_EVENT_LIFE = 300  # s an event is kept (RFC 3996 ippget-event-life, ≥ 15 s)

#: What Set-Printer-Attributes accepts (RFC 3380 printer-settable-attributes-supported).
SETTABLE = (
    "printer-location",
    "printer-info",
    "printer-contact-col",
    "copies-default",
    "sides-default",
    "orientation-requested-default",
    "printer-resolution-default",
    "print-quality-default",
    "media-default",
    "output-bin-default",
    "print-color-mode-default",
)

COMPRESSIONS = ("none", "deflate", "gzip")
RESOLUTIONS = ((300, 300), (600, 600), (1200, 1200))
OUTPUT_BINS = ("face-down", "face-up")
NUMBER_UP = (1, 2, 4)
JOB_SHEETS = ("none", "standard")
IDENTIFY_ACTIONS = ("display", "flash", "sound")
#: which-jobs values (RFC 8011 §4.2.6.1, PWG 5100.11): by job state; "proof-print" and
#: "saved" select jobs of kinds this printer never keeps, so they answer an empty list
WHICH_JOBS = (
    "aborted",
    "all",
    "canceled",
    "completed",
    "not-completed",
    "pending",
    "pending-held",
    "processing",
    "processing-stopped",
    "proof-print",
    "saved",
)

# PWG media size names → (x, y) in hundredths of millimetres, parsed from the self-describing name.


def media_size(name: str) -> tuple[int, int] | None:
    """(x-dimension, y-dimension) in 1/100 mm of a PWG self-describing media name."""
    try:
        dims = name.rsplit("_", 1)[1]
        unit = 2540 if dims.endswith("in") else 100
        x, y = dims[:-2].split("x")
        return round(float(x) * unit), round(float(y) * unit)
    except (IndexError, ValueError):
        return None


@dataclass(slots=True)
class View:
    """What attribute builders read: the device, and the URIs clients reach it by."""

    state: PrinterState
    clock: Any  # emulator.clock.Clock
    printer_uri: str  # ipp://host:port/ipp/print
    more_info: str  # http://host:port/ (the EWS)

    def up_time(self) -> int:
        return max(1, uptime_ticks(self.state, self.clock.monotonic()) // 100)

    def job_uri(self, job_id: int) -> str:
        return f"{self.printer_uri}/{job_id}"

    def change_time(self, kind: str) -> int:
        """printer-state-change-time / printer-config-change-time (seconds of up-time, ≥ 1)."""
        ticks = getattr(self.state.status, f"{kind}_change_ticks", 0)
        return max(1, ticks // 100)

    def change_date(self, kind: str) -> DateTime:
        ticks = getattr(self.state.status, f"{kind}_change_ticks", 0)
        now_ticks = uptime_ticks(self.state, self.clock.monotonic())
        when = self.clock.now() - timedelta(seconds=max(0, now_ticks - ticks) / 100)
        return DateTime.from_datetime(when)


# -- helpers ----------------------------------------------------------------------------------


def _a(name: str, tag: int, values: Iterable[Any]) -> Attribute:
    vals = list(values)
    if not vals:
        return Attribute(name, Tag.NO_VALUE, [b""])
    return Attribute(name, tag, vals)


def _keyword(s: str) -> str:
    """camelCase Printer MIB keyword → IPP keyword (wasteToner → waste-toner)."""
    out = []
    for ch in s:
        if ch.isupper():
            out.append("-")
            out.append(ch.lower())
        else:
            out.append(ch)
    return "".join(out)


def _percent(level: int, capacity: int) -> int:
    if level < 0:
        return level  # -1 other, -2 unknown, -3 some remaining (CUPS uses the same codes)
    if capacity <= 0:
        return -2
    return max(0, min(100, level * 100 // capacity))


_COLORS = {
    "black": "#000000",
    "cyan": "#00FFFF",
    "magenta": "#FF00FF",
    "yellow": "#FFFF00",
    "red": "#FF0000",
    "green": "#00FF00",
    "blue": "#0000FF",
    "photo-black": "#000000",
    "matte-black": "#000000",
    "light-cyan": "#E0FFFF",
    "light-magenta": "#FFE0FF",
    "gray": "#808080",
}


def _colorant(state: PrinterState, index: int) -> str:
    if index <= 0:
        return ""
    for c in state.colorants:
        if c.index == index:
            return c.value
    return ""


def _duplex(state: PrinterState) -> bool:
    return any("Duplex" in p.path_type for p in state.media_paths)


def _media_names(state: PrinterState) -> list[str]:
    """media-supported: what the engine accepts for a job (the profile's list)."""
    names = list(getattr(state.description, "media_supported", ()) or ())
    return names or [state.defaults.media]


def _media_size_col(name: str) -> list[Attribute] | None:
    size = media_size(name)
    if size is None:
        return None
    return [
        Attribute("x-dimension", Tag.INTEGER, [size[0]]),
        Attribute("y-dimension", Tag.INTEGER, [size[1]]),
    ]


_SOURCE = {
    "sheetFeedManual": "manual",
    "sheetFeedAutoRemovableTray": "tray-{n}",
    "sheetFeedAutoNonRemovableTray": "tray-{n}",
    "continuousRoll": "roll-{n}",
    "envelope": "envelope",
}


def media_source(tray: Any) -> str:
    return _SOURCE.get(tray.tray_type, "tray-{n}").format(n=tray.index)


def _media_col(
    name: str, media_type: str = "stationery", source: str | None = None, info: str = ""
) -> list[Attribute]:
    col: list[Attribute] = []
    if info:  # PWG 5100.7 media-col member media-info (text(255)): the operator's free text
        col.append(Attribute("media-info", Tag.TEXT, [info[:255]]))
    size = _media_size_col(name)
    if size:
        col.append(Attribute("media-size", Tag.BEG_COLLECTION, [size]))
    col.append(Attribute("media-size-name", Tag.KEYWORD, [name]))
    for margin in (
        "media-bottom-margin",
        "media-left-margin",
        "media-right-margin",
        "media-top-margin",
    ):
        col.append(Attribute(margin, Tag.INTEGER, [423]))
    if source:
        col.append(Attribute("media-source", Tag.KEYWORD, [source]))
    col.append(Attribute("media-type", Tag.KEYWORD, [media_type]))
    return col


def supply_string(state: PrinterState, s: Any) -> bytes:
    """PWG 5100.13 printer-supply value for one prtMarkerSuppliesTable row."""
    parts = [
        f"index={s.index}",
        f"class={s.supply_class}",
        f"type={s.supply_type}",
        f"unit={s.unit}",
        f"maxcapacity={s.max_capacity}",
        f"level={s.level}",
    ]
    colorant = _colorant(state, s.colorant_index)
    if colorant:
        parts.append(f"colorantname={colorant}")
    return (";".join(parts) + ";").encode()


def input_tray_string(t: Any) -> bytes:
    status = 0 if t.present else 7  # PrtSubUnitStatusTC: 0 available/idle, 7 unavailable
    if t.present and t.level == 0:
        status = 8  # PrtSubUnitStatusTC: 8 = available and idle with a non-critical alert (empty)
    name = t.name.replace(";", ",")
    return (
        f"type={t.tray_type};dimunit=micrometers;mediafeed={t.dim_feed};mediaxfeed={t.dim_xfeed};"
        f"maxcapacity={t.capacity};level={t.level};status={status};name={name};"
    ).encode()


def output_tray_string(t: Any) -> bytes:
    name = t.name.replace(";", ",")
    return (
        f"type={t.tray_type};maxcapacity={t.capacity};remaining={t.remaining_capacity};status=0;"
        f"name={name};stackingorder={t.stacking_order};pagedelivery={t.page_delivery};"
    ).encode()


def alert_string(a: Any) -> bytes:
    return (
        f"index={a.index};severity={a.severity};training={a.training_level};group={a.group};"
        f"groupindex={a.group_index};location={a.location};code={a.code};time={a.time_ticks};"
    ).encode()


def device_id(state: PrinterState) -> str:
    """IEEE 1284 device ID (PWG 5107.2): MFG, MDL, CMD, CLS, DES, SN."""
    cmd = []
    for fmt, tok in (
        ("application/pdf", "PDF"),
        ("application/postscript", "POSTSCRIPT"),
        ("application/vnd.hp-PCL", "PCL"),
        ("application/vnd.hp-PCLXL", "PCLXL"),
        ("image/pwg-raster", "PWGRASTER"),
        ("image/urf", "URF"),
        ("image/jpeg", "JPEG"),
    ):
        if fmt in state.description.document_formats:
            cmd.append(tok)
    ident = state.identity
    return (
        f"MFG:{ident.manufacturer};MDL:{ident.model};CMD:{','.join(cmd)};CLS:PRINTER;"
        f"DES:{state.description.make_and_model or ident.model};SN:{ident.serial_number};"
    )


def document_formats(state: PrinterState) -> list[str]:
    formats = list(state.description.document_formats)
    if "application/octet-stream" not in formats:
        formats.append("application/octet-stream")
    return formats


def printer_state_reasons(state: PrinterState) -> list[str]:
    reasons = [r for r in state.status.state_reasons if r]
    if state.status.paused and "paused" not in reasons:
        reasons = [r for r in reasons if r != "none"] + ["paused"]
    return reasons or ["none"]


def printer_state(state: PrinterState) -> int:
    if state.status.paused:
        return 5
    return PRINTER_STATES.get(state.status.state, 3)


def contact_col(state: PrinterState) -> list[Attribute]:
    d = state.description
    col = [Attribute("contact-name", Tag.NAME, [d.contact_name])]
    if d.contact_email:
        col.append(Attribute("contact-uri", Tag.URI, [f"mailto:{d.contact_email}"]))
    elif d.contact_phone:
        col.append(Attribute("contact-uri", Tag.URI, ["tel:" + d.contact_phone.replace(" ", "")]))
    else:
        col.append(Attribute("contact-uri", Tag.UNKNOWN, [b""]))
    vcard = ["BEGIN:VCARD", "VERSION:4.0", f"FN:{d.contact_name}"]
    if d.contact_email:
        vcard.append(f"EMAIL:{d.contact_email}")
    if d.contact_phone:
        vcard.append(f"TEL:{d.contact_phone}")
    vcard.append("END:VCARD")
    col.append(Attribute("contact-vcard", Tag.TEXT, vcard))
    return col


# -- the printer attribute registry ---------------------------------------------------------

Builder = Callable[[View], Attribute | None]
JOB_TEMPLATE: dict[str, Builder] = {}
DESCRIPTION: dict[str, Builder] = {}
EXTRA: dict[str, Builder] = {}  # only when named (media-col-database)


def _jt(name: str) -> Callable[[Builder], Builder]:
    def deco(fn: Builder) -> Builder:
        JOB_TEMPLATE[name] = fn
        return fn

    return deco


def _pd(name: str) -> Callable[[Builder], Builder]:
    def deco(fn: Builder) -> Builder:
        DESCRIPTION[name] = fn
        return fn

    return deco


def _const(registry: dict[str, Builder], name: str, tag: int, *values: Any) -> None:
    attr = Attribute(name, tag, list(values))
    registry[name] = lambda v: attr


# Job Template attributes (RFC 8011 §5.2, PWG 5100.7)
_jt("copies-default")(lambda v: Attribute("copies-default", Tag.INTEGER, [v.state.defaults.copies]))
_const(JOB_TEMPLATE, "copies-supported", Tag.RANGE_OF_INTEGER, Range(1, 999))
_jt("finishings-default")(
    lambda v: _a(
        "finishings-default", Tag.ENUM, [FINISHINGS.get(f, 3) for f in v.state.defaults.finishings]
    )
)
_jt("finishings-supported")(
    lambda v: _a(
        "finishings-supported",
        Tag.ENUM,
        sorted(
            {3}
            | {
                FINISHINGS[f]
                for f in getattr(v.state.description, "finishings_supported", ())
                if f in FINISHINGS
            }
        ),
    )
)
_const(JOB_TEMPLATE, "job-sheets-default", Tag.KEYWORD, "none")
_const(JOB_TEMPLATE, "job-sheets-supported", Tag.KEYWORD, *JOB_SHEETS)
_jt("media-default")(lambda v: Attribute("media-default", Tag.KEYWORD, [v.state.defaults.media]))
_jt("media-supported")(lambda v: _a("media-supported", Tag.KEYWORD, _media_names(v.state)))
_jt("media-ready")(
    lambda v: _a(
        "media-ready",
        Tag.KEYWORD,
        dict.fromkeys(t.media for t in v.state.input_trays if t.present and t.media),
    )
)
_jt("media-col-default")(
    lambda v: Attribute(
        "media-col-default", Tag.BEG_COLLECTION, [_media_col(v.state.defaults.media)]
    )
)
_jt("media-col-ready")(
    lambda v: _a(
        "media-col-ready",
        Tag.BEG_COLLECTION,
        [
            _media_col(t.media, t.media_type, media_source(t), t.media_name)
            for t in v.state.input_trays
            if t.present and t.media
        ],
    )
)
_const(
    JOB_TEMPLATE,
    "media-col-supported",
    Tag.KEYWORD,
    "media-bottom-margin",
    "media-left-margin",
    "media-right-margin",
    "media-size",
    "media-size-name",
    "media-source",
    "media-top-margin",
    "media-type",
)
_jt("media-size-supported")(
    lambda v: _a(
        "media-size-supported",
        Tag.BEG_COLLECTION,
        [c for m in _media_names(v.state) if (c := _media_size_col(m))],
    )
)
_jt("media-source-supported")(
    lambda v: _a(
        "media-source-supported",
        Tag.KEYWORD,
        ["auto", *dict.fromkeys(media_source(t) for t in v.state.input_trays)],
    )
)
_jt("media-type-supported")(
    lambda v: _a(
        "media-type-supported",
        Tag.KEYWORD,
        dict.fromkeys(["stationery", *(t.media_type for t in v.state.input_trays if t.media_type)]),
    )
)
for _m in ("media-bottom-margin", "media-left-margin", "media-right-margin", "media-top-margin"):
    _const(JOB_TEMPLATE, f"{_m}-supported", Tag.INTEGER, 423)
_const(JOB_TEMPLATE, "number-up-default", Tag.INTEGER, 1)
_const(JOB_TEMPLATE, "number-up-supported", Tag.INTEGER, *NUMBER_UP)
_jt("orientation-requested-default")(
    lambda v: Attribute(
        "orientation-requested-default",
        Tag.ENUM,
        [ORIENTATIONS.get(v.state.defaults.orientation, 3)],
    )
)
_const(JOB_TEMPLATE, "orientation-requested-supported", Tag.ENUM, 3, 4, 5, 6)
_jt("output-bin-default")(
    lambda v: Attribute("output-bin-default", Tag.KEYWORD, [v.state.defaults.output_bin])
)
_jt("output-bin-supported")(
    lambda v: _a(
        "output-bin-supported",
        Tag.KEYWORD,
        dict.fromkeys([*OUTPUT_BINS, v.state.defaults.output_bin]),
    )
)
_jt("print-color-mode-default")(
    lambda v: Attribute("print-color-mode-default", Tag.KEYWORD, [v.state.defaults.color_mode])
)
_jt("print-color-mode-supported")(
    lambda v: _a(
        "print-color-mode-supported",
        Tag.KEYWORD,
        ["auto", "monochrome", "color"]
        if v.state.description.color_supported
        else ["auto", "monochrome"],
    )
)
_jt("print-quality-default")(
    lambda v: Attribute(
        "print-quality-default", Tag.ENUM, [QUALITIES.get(v.state.defaults.print_quality, 4)]
    )
)
_const(JOB_TEMPLATE, "print-quality-supported", Tag.ENUM, 3, 4, 5)
_jt("printer-resolution-default")(
    lambda v: Attribute(
        "printer-resolution-default",
        Tag.RESOLUTION,
        [
            Resolution(
                v.state.defaults.resolution_x,
                v.state.defaults.resolution_y,
                4 if v.state.defaults.resolution_units == "dpcm" else 3,
            )
        ],
    )
)
_const(
    JOB_TEMPLATE,
    "printer-resolution-supported",
    Tag.RESOLUTION,
    *(Resolution(x, y, 3) for x, y in RESOLUTIONS),
)
_jt("sides-default")(lambda v: Attribute("sides-default", Tag.KEYWORD, [v.state.defaults.sides]))
_jt("sides-supported")(
    lambda v: Attribute(
        "sides-supported",
        Tag.KEYWORD,
        ["one-sided", "two-sided-long-edge", "two-sided-short-edge"]
        if _duplex(v.state)
        else ["one-sided"],
    )
)
_const(JOB_TEMPLATE, "page-ranges-supported", Tag.BOOLEAN, True)
_jt("job-hold-until-default")(
    lambda v: Attribute("job-hold-until-default", Tag.KEYWORD, [v.state.defaults.job_hold_until])
)
_const(JOB_TEMPLATE, "job-hold-until-supported", Tag.KEYWORD, *HOLD_UNTIL)
_jt("job-priority-default")(
    lambda v: Attribute("job-priority-default", Tag.INTEGER, [v.state.defaults.job_priority])
)
_const(JOB_TEMPLATE, "job-priority-supported", Tag.INTEGER, 100)  # levels (RFC 8011 §5.2.1)
_const(JOB_TEMPLATE, "overrides-supported", Tag.KEYWORD, *OVERRIDES)
_jt("print-content-optimize-default")(
    lambda v: Attribute(
        "print-content-optimize-default", Tag.KEYWORD, [v.state.defaults.print_content_optimize]
    )
)
_const(JOB_TEMPLATE, "print-content-optimize-supported", Tag.KEYWORD, *CONTENT_OPTIMIZE)
_jt("print-rendering-intent-default")(
    lambda v: Attribute(
        "print-rendering-intent-default", Tag.KEYWORD, [v.state.defaults.print_rendering_intent]
    )
)
_const(JOB_TEMPLATE, "print-rendering-intent-supported", Tag.KEYWORD, *RENDERING_INTENTS)
_const(JOB_TEMPLATE, "print-scaling-default", Tag.KEYWORD, "auto")
_const(JOB_TEMPLATE, "print-scaling-supported", Tag.KEYWORD, *PRINT_SCALING)
_jt("multiple-document-handling-default")(
    lambda v: Attribute(
        "multiple-document-handling-default",
        Tag.KEYWORD,
        [v.state.defaults.multiple_document_handling],
    )
)
_const(
    JOB_TEMPLATE, "multiple-document-handling-supported", Tag.KEYWORD, *MULTIPLE_DOCUMENT_HANDLING
)

# Printer Description and Status attributes (RFC 8011 §5.4, PWG 5100.x)
_pd("printer-uri-supported")(lambda v: Attribute("printer-uri-supported", Tag.URI, [v.printer_uri]))
_const(DESCRIPTION, "uri-security-supported", Tag.KEYWORD, "none")
_const(DESCRIPTION, "uri-authentication-supported", Tag.KEYWORD, "requesting-user-name")
_pd("printer-name")(lambda v: Attribute("printer-name", Tag.NAME, [v.state.description.name[:127]]))
_pd("printer-location")(
    lambda v: Attribute("printer-location", Tag.TEXT, [v.state.description.location])
)
_pd("printer-info")(lambda v: Attribute("printer-info", Tag.TEXT, [v.state.description.info]))
_pd("printer-make-and-model")(
    lambda v: Attribute(
        "printer-make-and-model",
        Tag.TEXT,
        [
            v.state.description.make_and_model
            or f"{v.state.identity.manufacturer} {v.state.identity.model}"
        ],
    )
)
_pd("printer-more-info")(lambda v: Attribute("printer-more-info", Tag.URI, [v.more_info]))
_pd("printer-state")(lambda v: Attribute("printer-state", Tag.ENUM, [printer_state(v.state)]))
_pd("printer-state-reasons")(
    lambda v: Attribute("printer-state-reasons", Tag.KEYWORD, printer_state_reasons(v.state))
)
_pd("printer-state-message")(
    lambda v: Attribute("printer-state-message", Tag.TEXT, [v.state.status.state_message])
)
_pd("printer-is-accepting-jobs")(
    lambda v: Attribute(
        "printer-is-accepting-jobs", Tag.BOOLEAN, [bool(v.state.status.is_accepting_jobs)]
    )
)
_pd("queued-job-count")(
    lambda v: Attribute(
        "queued-job-count",
        Tag.INTEGER,
        [sum(1 for j in v.state.jobs if j.state not in TERMINAL_JOB_STATES)],
    )
)
_pd("printer-up-time")(lambda v: Attribute("printer-up-time", Tag.INTEGER, [v.up_time()]))
_pd("printer-current-time")(
    lambda v: Attribute(
        "printer-current-time", Tag.DATE_TIME, [DateTime.from_datetime(v.clock.now())]
    )
)
_pd("printer-uuid")(
    lambda v: Attribute(
        "printer-uuid",
        Tag.URI,
        [
            v.state.identity.uuid
            if v.state.identity.uuid.startswith("urn:")
            else f"urn:uuid:{v.state.identity.uuid}"
        ],
    )
)
_pd("printer-device-id")(lambda v: Attribute("printer-device-id", Tag.TEXT, [device_id(v.state)]))
_pd("printer-serial-number")(
    lambda v: Attribute("printer-serial-number", Tag.TEXT, [v.state.identity.serial_number])
)
_pd("printer-firmware-string-version")(
    lambda v: Attribute(
        "printer-firmware-string-version", Tag.TEXT, [v.state.identity.software_version]
    )
)
_pd("ipp-versions-supported")(
    lambda v: Attribute(
        "ipp-versions-supported",
        Tag.KEYWORD,
        ["1.1", "2.0", "2.1", "2.2"] if v.state.ipp.everywhere else ["1.1", "2.0"],
    )
)
# PWG 5100.13 ipp-features-supported: "ipp-everywhere" only for a profile that claims it
_pd("ipp-features-supported")(
    lambda v: Attribute(
        "ipp-features-supported",
        Tag.KEYWORD,
        ["ipp-everywhere"] if v.state.ipp.everywhere else ["none"],
    )
)
_pd("operations-supported")(
    lambda v: Attribute("operations-supported", Tag.ENUM, operations(v.state))
)
_const(DESCRIPTION, "charset-configured", Tag.CHARSET, "utf-8")
_const(DESCRIPTION, "charset-supported", Tag.CHARSET, "utf-8", "us-ascii")
_const(DESCRIPTION, "natural-language-configured", Tag.NATURAL_LANGUAGE, "en")
_const(DESCRIPTION, "generated-natural-language-supported", Tag.NATURAL_LANGUAGE, "en")
_const(DESCRIPTION, "document-format-default", Tag.MIME_MEDIA_TYPE, "application/octet-stream")
_pd("document-format-supported")(
    lambda v: Attribute("document-format-supported", Tag.MIME_MEDIA_TYPE, document_formats(v.state))
)
_const(DESCRIPTION, "compression-supported", Tag.KEYWORD, *COMPRESSIONS)
_const(DESCRIPTION, "pdl-override-supported", Tag.KEYWORD, "attempted")
_pd("color-supported")(
    lambda v: Attribute("color-supported", Tag.BOOLEAN, [bool(v.state.description.color_supported)])
)
_pd("pages-per-minute")(
    lambda v: Attribute("pages-per-minute", Tag.INTEGER, [v.state.description.pages_per_minute])
)
_pd("pages-per-minute-color")(
    lambda v: (
        Attribute(
            "pages-per-minute-color", Tag.INTEGER, [v.state.description.pages_per_minute_color]
        )
        if v.state.description.color_supported
        else None
    )
)
_pd("printer-contact-col")(
    lambda v: Attribute("printer-contact-col", Tag.BEG_COLLECTION, [contact_col(v.state)])
)
_pd("printer-supply")(
    lambda v: _a(
        "printer-supply", Tag.OCTET_STRING, [supply_string(v.state, s) for s in v.state.supplies]
    )
)
_pd("printer-supply-description")(
    lambda v: _a("printer-supply-description", Tag.TEXT, [s.description for s in v.state.supplies])
)
_pd("marker-names")(
    lambda v: _a("marker-names", Tag.NAME, [s.description[:255] for s in v.state.supplies])
)
_pd("marker-colors")(
    lambda v: _a(
        "marker-colors",
        Tag.NAME,
        [_COLORS.get(_colorant(v.state, s.colorant_index), "none") for s in v.state.supplies],
    )
)
_pd("marker-levels")(
    lambda v: _a(
        "marker-levels", Tag.INTEGER, [_percent(s.level, s.max_capacity) for s in v.state.supplies]
    )
)
_pd("marker-low-levels")(
    lambda v: _a("marker-low-levels", Tag.INTEGER, [s.low_percent for s in v.state.supplies])
)
_pd("marker-high-levels")(
    lambda v: _a("marker-high-levels", Tag.INTEGER, [100 for _ in v.state.supplies])
)
_pd("marker-types")(
    lambda v: _a("marker-types", Tag.KEYWORD, [_keyword(s.supply_type) for s in v.state.supplies])
)
_pd("printer-input-tray")(
    lambda v: _a(
        "printer-input-tray", Tag.OCTET_STRING, [input_tray_string(t) for t in v.state.input_trays]
    )
)
_pd("printer-output-tray")(
    lambda v: _a(
        "printer-output-tray",
        Tag.OCTET_STRING,
        [output_tray_string(t) for t in v.state.output_trays],
    )
)
# PWG 5100.9 printer-alert: one value per alert row. With no alerts a 1setOf
# octetString cannot be empty, and ipptool's ipp-2.1/2.2 suites refuse the no-value
# out-of-band value, so one "code=other" value (PrtAlertCodeTC other(1), no index: no alert
# row) says "nothing to report", with the description "none".
_NO_ALERT = b"code=other;"
_pd("printer-alert")(
    lambda v: Attribute(
        "printer-alert",
        Tag.OCTET_STRING,
        [alert_string(a) for a in v.state.alerts] or [_NO_ALERT],
    )
)
_pd("printer-alert-description")(
    lambda v: Attribute(
        "printer-alert-description",
        Tag.TEXT,
        [a.description for a in v.state.alerts] or ["none"],
    )
)
_pd("printer-config-changes")(
    lambda v: Attribute("printer-config-changes", Tag.INTEGER, [v.state.status.config_changes])
)
_const(DESCRIPTION, "printer-settable-attributes-supported", Tag.KEYWORD, *SETTABLE)
_const(DESCRIPTION, "printer-geo-location", Tag.UNKNOWN, b"")
_const(DESCRIPTION, "job-ids-supported", Tag.BOOLEAN, True)
_const(DESCRIPTION, "multiple-document-jobs-supported", Tag.BOOLEAN, True)
_pd("multiple-operation-time-out")(
    lambda v: Attribute(
        "multiple-operation-time-out", Tag.INTEGER, [v.state.ipp.multiple_operation_time_out]
    )
)
_const(DESCRIPTION, "multiple-operation-time-out-action", Tag.KEYWORD, "abort-job")
_const(DESCRIPTION, "identify-actions-default", Tag.KEYWORD, "flash")
_const(DESCRIPTION, "identify-actions-supported", Tag.KEYWORD, *IDENTIFY_ACTIONS)
_const(DESCRIPTION, "which-jobs-supported", Tag.KEYWORD, *WHICH_JOBS)
_const(DESCRIPTION, "printer-get-attributes-supported", Tag.KEYWORD, "document-format")
_const(
    DESCRIPTION,
    "job-creation-attributes-supported",
    Tag.KEYWORD,
    "copies",
    "finishings",
    "job-sheets",
    "media",
    "media-col",
    "number-up",
    "orientation-requested",
    "output-bin",
    "print-color-mode",
    "print-quality",
    "printer-resolution",
    "sides",
)
_const(DESCRIPTION, "job-k-octets-supported", Tag.RANGE_OF_INTEGER, Range(0, 65536))
_const(DESCRIPTION, "job-settable-attributes-supported", Tag.KEYWORD, *JOB_SETTABLE)
_const(DESCRIPTION, "preferred-attributes-supported", Tag.BOOLEAN, False)  # PWG 5100.13
_const(DESCRIPTION, "notify-events-default", Tag.KEYWORD, "job-completed")
_const(DESCRIPTION, "notify-events-supported", Tag.KEYWORD, *NOTIFY_EVENTS)
_const(DESCRIPTION, "notify-lease-duration-default", Tag.INTEGER, NOTIFY_LEASE_DEFAULT)
_const(DESCRIPTION, "notify-lease-duration-supported", Tag.RANGE_OF_INTEGER, Range(0, 67108863))
_const(DESCRIPTION, "notify-max-events-supported", Tag.INTEGER, NOTIFY_MAX_EVENTS)
_const(DESCRIPTION, "notify-pull-method-supported", Tag.KEYWORD, "ippget")
_const(DESCRIPTION, "ippget-event-life", Tag.INTEGER, IPPGET_EVENT_LIFE)
_const(DESCRIPTION, "printer-message-from-operator", Tag.TEXT, "")
_pd("printer-organization")(
    lambda v: Attribute("printer-organization", Tag.TEXT, [v.state.network.dns_domain or ""])
)
_const(DESCRIPTION, "printer-organizational-unit", Tag.TEXT, "")
# Printer counters (IANA IPP registry, PWG 5100.11 printer-impressions-completed and
# printer-media-sheets-completed; the section was not checked): the same counters as SNMP
# prtMarkerLifeCount and TR-069 ImpressionsCompleted, read from the one state.
_pd("printer-impressions-completed")(
    lambda v: Attribute(
        "printer-impressions-completed", Tag.INTEGER, [v.state.counters.total_impressions]
    )
)
_pd("printer-media-sheets-completed")(
    lambda v: Attribute(
        "printer-media-sheets-completed", Tag.INTEGER, [v.state.counters.total_sheets]
    )
)
_pd("printer-icons")(
    lambda v: Attribute(
        "printer-icons", Tag.URI, [f"{v.more_info.rstrip('/')}/icon-{n}.png" for n in (48, 128)]
    )
)
_pd("printer-supply-info-uri")(
    lambda v: Attribute("printer-supply-info-uri", Tag.URI, [f"{v.more_info.rstrip('/')}/supplies"])
)
_pd("printer-state-change-time")(
    lambda v: Attribute("printer-state-change-time", Tag.INTEGER, [v.change_time("state")])
)
_pd("printer-state-change-date-time")(
    lambda v: Attribute("printer-state-change-date-time", Tag.DATE_TIME, [v.change_date("state")])
)
_pd("printer-config-change-time")(
    lambda v: Attribute("printer-config-change-time", Tag.INTEGER, [v.change_time("config")])
)
_pd("printer-config-change-date-time")(
    lambda v: Attribute("printer-config-change-date-time", Tag.DATE_TIME, [v.change_date("config")])
)


# PWG 5102.4 raster and Apple raster (URF) capabilities, for the formats the profile lists.
def _raster_types(state: PrinterState) -> list[str]:
    return (
        ["black_1", "sgray_8", "srgb_8"]
        if state.description.color_supported
        else [
            "black_1",
            "sgray_8",
        ]
    )


def _if_format(fmt: str, build: Callable[[View], Attribute]) -> Builder:
    return lambda v: build(v) if fmt in v.state.description.document_formats else None


_pd("pwg-raster-document-resolution-supported")(
    _if_format(
        "image/pwg-raster",
        lambda v: Attribute(
            "pwg-raster-document-resolution-supported",
            Tag.RESOLUTION,
            [Resolution(300, 300, 3), Resolution(600, 600, 3)],
        ),
    )
)
_pd("pwg-raster-document-type-supported")(
    _if_format(
        "image/pwg-raster",
        lambda v: Attribute(
            "pwg-raster-document-type-supported", Tag.KEYWORD, _raster_types(v.state)
        ),
    )
)
# PWG 5100.14: how the back side of a duplex raster page arrives ("normal" for a
# printer that turns the sheet as CUPS expects of a laser; ippeveprinter says "normal" too)
_pd("pwg-raster-document-sheet-back")(
    _if_format(
        "image/pwg-raster",
        lambda v: Attribute("pwg-raster-document-sheet-back", Tag.KEYWORD, ["normal"]),
    )
)


def _urf(v: View) -> Attribute:
    """urf-supported (Apple raster): version, copies, colour spaces, resolutions, duplex."""
    values = ["V1.4", "CP1", "W8", "RS300-600"]
    if v.state.description.color_supported:
        values.insert(3, "SRGB24")
    if _duplex(v.state):
        values.append("DM1")
    return Attribute("urf-supported", Tag.KEYWORD, values)


_pd("urf-supported")(_if_format("image/urf", _urf))

EXTRA["media-col-database"] = lambda v: _a(
    "media-col-database", Tag.BEG_COLLECTION, [_media_col(m) for m in _media_names(v.state)]
)

ALL_PRINTER = {**JOB_TEMPLATE, **DESCRIPTION}
PRINTER_GROUPS = {
    "all": tuple(ALL_PRINTER),
    "job-template": tuple(JOB_TEMPLATE),
    "printer-description": tuple(DESCRIPTION),
}


def printer_attribute_names(requested: Iterable[str] | None) -> list[str]:
    """The attribute names a requested-attributes list selects, in registry order."""
    if requested is None:
        return list(ALL_PRINTER)
    wanted: dict[str, None] = {}
    for name in requested:
        group = PRINTER_GROUPS.get(name)
        if group is not None:
            wanted.update(dict.fromkeys(group))
        elif name in ALL_PRINTER or name in EXTRA:
            wanted[name] = None
    return list(wanted)


def printer_attributes(view: View, names: Iterable[str]) -> list[Attribute]:
    """Build the named printer attributes (unknown names are skipped)."""
    out = []
    for name in names:
        builder = ALL_PRINTER.get(name) or EXTRA.get(name)
        if builder is None:
            continue
        attr = builder(view)
        if attr is not None:
            out.append(attr)
    return out


# -- job attributes -------------------------------------------------------------------------


def _job_time(view: View, ticks: int, present: bool) -> Attribute:
    return (
        Attribute("", Tag.INTEGER, [max(1, ticks // 100)])
        if present
        else Attribute("", Tag.NO_VALUE, [b""])
    )


def _date(view: View, ticks: int, present: bool) -> Attribute:
    if not present:
        return Attribute("", Tag.NO_VALUE, [b""])
    now_ticks = uptime_ticks(view.state, view.clock.monotonic())
    when: datetime = view.clock.now() - timedelta(seconds=max(0, now_ticks - ticks) / 100)
    return Attribute("", Tag.DATE_TIME, [DateTime.from_datetime(when)])


def _started(job: Job) -> bool:
    return job.state not in ("pending", "pending-held") or job.impressions_completed > 0


JobBuilder = Callable[[View, Job], Attribute | None]


def _named(name: str, attr: Attribute) -> Attribute:
    attr.name = name
    return attr


JOB_STATUS: dict[str, JobBuilder] = {
    "job-id": lambda v, j: Attribute("job-id", Tag.INTEGER, [j.index]),
    "job-uri": lambda v, j: Attribute("job-uri", Tag.URI, [v.job_uri(j.index)]),
    "job-printer-uri": lambda v, j: Attribute("job-printer-uri", Tag.URI, [v.printer_uri]),
    "job-more-info": lambda v, j: Attribute(
        "job-more-info", Tag.URI, [f"{v.more_info.rstrip('/')}/jobs/{j.index}"]
    ),
    "job-name": lambda v, j: Attribute("job-name", Tag.NAME, [j.name[:255]]),
    "job-originating-user-name": lambda v, j: Attribute(
        "job-originating-user-name", Tag.NAME, [j.user[:255]]
    ),
    "job-state": lambda v, j: Attribute("job-state", Tag.ENUM, [JOB_STATES.get(j.state, 3)]),
    "job-state-reasons": lambda v, j: Attribute(
        "job-state-reasons", Tag.KEYWORD, list(j.state_reasons) or ["none"]
    ),
    "job-state-message": lambda v, j: Attribute(
        "job-state-message", Tag.TEXT, [j.state.replace("-", " ").capitalize() + "."]
    ),
    "number-of-documents": lambda v, j: Attribute(
        "number-of-documents", Tag.INTEGER, [j.documents]
    ),
    "number-of-intervening-jobs": lambda v, j: Attribute(
        "number-of-intervening-jobs",
        Tag.INTEGER,
        [sum(1 for o in v.state.jobs if o.index < j.index and o.state not in TERMINAL_JOB_STATES)]
        if j.state not in TERMINAL_JOB_STATES
        else [0],
    ),
    "time-at-creation": lambda v, j: _named(
        "time-at-creation", _job_time(v, j.created_ticks, True)
    ),
    "time-at-processing": lambda v, j: _named(
        "time-at-processing", _job_time(v, j.created_ticks, _started(j))
    ),
    "time-at-completed": lambda v, j: _named(
        "time-at-completed", _job_time(v, j.completed_ticks, j.state in TERMINAL_JOB_STATES)
    ),
    "job-printer-up-time": lambda v, j: Attribute(
        "job-printer-up-time", Tag.INTEGER, [v.up_time()]
    ),
    "date-time-at-creation": lambda v, j: _named(
        "date-time-at-creation", _date(v, j.created_ticks, True)
    ),
    "date-time-at-processing": lambda v, j: _named(
        "date-time-at-processing", _date(v, j.created_ticks, _started(j))
    ),
    "date-time-at-completed": lambda v, j: _named(
        "date-time-at-completed", _date(v, j.completed_ticks, j.state in TERMINAL_JOB_STATES)
    ),
    "job-k-octets": lambda v, j: Attribute(
        "job-k-octets", Tag.INTEGER, [(j.document_bytes + 1023) // 1024]
    ),
    "job-impressions": lambda v, j: Attribute("job-impressions", Tag.INTEGER, [j.pages * j.copies]),
    "job-impressions-completed": lambda v, j: Attribute(
        "job-impressions-completed", Tag.INTEGER, [j.impressions_completed]
    ),
    "job-media-sheets-completed": lambda v, j: Attribute(
        "job-media-sheets-completed", Tag.INTEGER, [j.sheets_completed]
    ),
    "document-format-supplied": lambda v, j: Attribute(
        "document-format-supplied", Tag.MIME_MEDIA_TYPE, [j.document_format]
    ),
}
JOB_TEMPLATE_VALUES: dict[str, JobBuilder] = {
    "job-hold-until": lambda v, j: Attribute("job-hold-until", Tag.KEYWORD, [j.hold_until]),
    "job-priority": lambda v, j: Attribute("job-priority", Tag.INTEGER, [j.priority]),
    "page-ranges": lambda v, j: (
        Attribute(
            "page-ranges",
            Tag.RANGE_OF_INTEGER,
            [Range(*map(int, r.split("-"))) for r in j.page_ranges.split(",")],
        )
        if j.page_ranges
        else None
    ),
    "copies": lambda v, j: Attribute("copies", Tag.INTEGER, [j.copies]),
    "sides": lambda v, j: Attribute("sides", Tag.KEYWORD, [j.sides]),
    "media": lambda v, j: Attribute("media", Tag.KEYWORD, [j.media or v.state.defaults.media]),
    "print-color-mode": lambda v, j: Attribute(
        "print-color-mode", Tag.KEYWORD, ["color" if j.color else "monochrome"]
    ),
}
ALL_JOB = {**JOB_STATUS, **JOB_TEMPLATE_VALUES}
JOB_GROUPS = {
    "all": tuple(ALL_JOB),
    "job-template": tuple(JOB_TEMPLATE_VALUES),
    "job-description": tuple(JOB_STATUS),
    "job-status": tuple(JOB_STATUS),
}
JOB_CREATED = (
    "job-uri",
    "job-id",
    "job-state",
    "job-state-reasons",
    "job-state-message",
    "number-of-intervening-jobs",
)


def job_attribute_names(requested: Iterable[str] | None, default: Iterable[str]) -> list[str]:
    if requested is None:
        return list(default)
    wanted: dict[str, None] = {}
    for name in requested:
        group = JOB_GROUPS.get(name)
        if group is not None:
            wanted.update(dict.fromkeys(group))
        elif name in ALL_JOB:
            wanted[name] = None
    return list(wanted)


def job_attributes(view: View, job: Job, names: Iterable[str]) -> list[Attribute]:
    out = []
    for name in names:
        builder = ALL_JOB.get(name)
        if builder is not None:
            attr = builder(view, job)
            if attr is not None:
                out.append(attr)
    return out
