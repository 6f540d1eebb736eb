"""One printer's state: the single truth that every protocol face is a view of.

The shape follows the PWG Semantic Model PrintService (description, status, configuration
with its subunits, defaults, counters, alerts) plus what a real printer's embedded web server
configures (network services, SNMP, time, e-mail alerts, finishing and PDL settings) and
what its TR-069 client is configured with.

Rules that keep the faces consistent by construction:

* State is plain Python values (str, int, bool, tuples) in small dataclasses; protocol
  objects (pyasn1, IPP attributes, XML) are built only while answering a request.
* Every attribute write on an attached node emits one :class:`ChangeEvent` with the node's
  dotted path (``status.state``, ``supplies.3.level``), the old and the new value. Tables
  (lists of subunits) use the row's 1-based ``index`` in the path, the same number SNMP and
  TR-069 use as instance number.
* Multi-valued scalars are tuples, so they are replaced, never mutated in place, and every
  change is seen. Rows are added and removed only through :class:`PrinterState` methods,
  which emit ``<table>`` events with ``old``/``new`` row counts.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from printbench.ipp.media import (  # noqa: F401  (the PWG media vocabulary, re-exported)
    LEGACY_MEDIA_NAMES,
    media_keyword,
)

_UNSET = object()


# ---------------------------------------------------------------------------------------------
# Values every face can carry (issue 17): checked here, where every face's write ends
# ---------------------------------------------------------------------------------------------

#: Characters no text value may hold, because some face cannot carry them:
#: * XML 1.0 (Fifth Edition) §2.2 production [2] Char excludes U+0000-U+0008, U+000B, U+000C,
#:   U+000E-U+001F, the surrogates U+D800-U+DFFF and U+FFFE/U+FFFF: TR-069 could not send
#:   the value at all;
#: * RFC 2579 DisplayString (sysLocation, sysContact, sysName): "the sequence 'CR x' for any
#:   x other than LF or NUL is illegal", and LF, HT and the other NVT controls are line and
#:   tab movements, not text; the EWS and IPP fields are single-line (docs/ews.md, RFC 8011
#:   §5.1.2 text has no line structure), so tab, CR and LF are refused everywhere as well;
#: * DEL (U+007F) and the C1 controls (U+0080-U+009F): Unicode category Cc; RFC 5198
#:   (Net-Unicode) §2 says control characters other than CR LF SHOULD NOT appear in text.
_FORBIDDEN_TEXT = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
#: RFC 8011 §5.1.4 keyword: US-ASCII lower-case letters, digits, "-", "_" and "." starting
#: with a letter, 1 to 255 octets (PWG 5101.1 media names follow it).
KEYWORD_RE = re.compile(r"[a-z][a-z0-9._-]{0,254}")


class ValueRejected(ValueError):
    """A value some face could not carry; every face maps it to its own error (IPP
    client-error-attributes-or-values-not-supported, SNMP wrongValue, CWMP 9007, EWS 400)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be text on every face, or None if it can."""
    if value.isprintable():  # fast path: printable characters are all XML Chars and no Cc
        return None
    bad = _FORBIDDEN_TEXT.search(value)
    if bad is None:
        return None
    return (
        f"U+{ord(bad.group()):04X} is a control character or one XML 1.0 cannot carry "
        "(XML 1.0 §2.2 Char; RFC 2579 DisplayString; RFC 5198)"
    )


def keyword_problem(value: str) -> str | None:
    """Why ``value`` is not an IPP keyword (RFC 8011 §5.1.4), or None."""
    if KEYWORD_RE.fullmatch(value):
        return None
    return f"{value[:40]!r} is not an IPP keyword (RFC 8011 §5.1.4: [a-z][a-z0-9._-]*)"


#: Fields IPP sends as keywords (media names are PWG 5101.1 keywords): (class name, field).
KEYWORD_FIELDS: frozenset[tuple[str, str]] = frozenset(
    {
        ("InputTray", "media"),
        ("InputTray", "media_type"),
        ("InputTray", "media_color"),
        ("Defaults", "media"),
        ("Description", "media_supported"),
        ("MediaUsed", "media"),
        ("MediaUsed", "media_type"),
    }
)



_KEYWORD_NAMES: dict[str, frozenset[str]] = {
    cls: frozenset(f for c, f in KEYWORD_FIELDS if c == cls) for cls, _ in KEYWORD_FIELDS
}


def check_value(node: Node, name: str, value: Any) -> None:
    """Raise :class:`ValueRejected` if ``value`` for ``node.name`` is one some face cannot
    carry. Faces call it while validating (so a refusal leaves nothing half-written);
    ``Node.__setattr__`` calls it again for every attached write, the one place every
    face's write goes through."""
    if isinstance(value, str):
        items: tuple[Any, ...] = (value,)
    elif isinstance(value, tuple):
        items = value
    else:
        return
    keyword = (type(node).__name__, name) in KEYWORD_FIELDS
    for item in items:
        if not isinstance(item, str):
            continue
        problem = text_problem(item)
        if problem is None and keyword and item:
            problem = keyword_problem(item)
        if problem is not None:
            raise ValueRejected(node.__dict__.get("_path", "") + name, problem)


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    """A value in a printer's state changed: ``path`` went from ``old`` to ``new``."""

    path: str
    old: Any
    new: Any


ChangeListener = Callable[[ChangeEvent], None]


class Node:
    """Base of every part of the state: attribute writes on an attached node emit events."""

    def __setattr__(self, name: str, value: Any) -> None:
        attrs = self.__dict__
        root = attrs.get("_root")
        # Not attached yet (the dataclass __init__ of every node of every printer a fleet
        # builds) or a private field: a plain write, no event.
        if root is None or name[0] == "_":
            object.__setattr__(self, name, value)
            return
        old = attrs.get(name, _UNSET)
        if old is not _UNSET and old != value:
            kind = value.__class__
            if kind is str:  # fast path: printable text in a non-keyword field is fine
                if not value.isprintable() or name in _KEYWORD_NAMES.get(type(self).__name__, ()):
                    check_value(self, name, value)
            elif kind is tuple:
                check_value(self, name, value)
            object.__setattr__(self, name, value)
            root.emit(ChangeEvent(attrs["_path"] + name, old, value))
            return
        object.__setattr__(self, name, value)

    def _attach(self, root: PrinterState | None, path: str) -> None:
        object.__setattr__(self, "_root", root)
        object.__setattr__(self, "_path", path)
        attrs = self.__dict__
        # cached per class (``dataclasses.fields`` per node and printer was a quarter of a
        # fleet printer's build time)
        for name in _field_names(type(self)):
            value = attrs.get(name)
            if isinstance(value, Node):
                value._attach(root, f"{path}{name}.")
            elif isinstance(value, list):
                for row in value:
                    if isinstance(row, Node):
                        row._attach(root, f"{path}{name}.{row_index(row)}.")



def row_index(row: Node) -> int:
    """The 1-based instance number of a table row."""
    return int(row.index)  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------------
# Identity and description
# ---------------------------------------------------------------------------------------------


@dataclass(eq=False)
class Identity(Node):
    """Who the device is: the values that go into sysDescr, DeviceId and printer-device-id."""

    manufacturer: str
    model: str
    serial_number: str
    oui: str  # six upper-case hex digits, the vendor's IEEE OUI (TR-069 DeviceId.OUI)
    product_class: str
    hardware_version: str = "1.0"
    software_version: str = "1.0.0"
    sys_object_id: str = "1.3.6.1.4.1.2699.1.2"  # the profile sets the vendor's enterprise OID
    uuid: str = ""
    asset_number: str = ""


@dataclass(eq=False)
class Description(Node):
    """PWG SM PrintServiceDescription (and System description where printers merge them)."""

    name: str  # printer-name, sysName, ServiceName
    info: str = ""  # printer-info, ServiceInfo
    location: str = ""  # printer-location, sysLocation, ServiceLocation
    contact_name: str = ""  # printer-contact-col name; sysContact; OwnerVCard FN
    contact_email: str = ""
    contact_phone: str = ""
    make_and_model: str = ""  # printer-make-and-model
    color_supported: bool = False
    pages_per_minute: int = 20
    pages_per_minute_color: int = 0
    document_formats: tuple[str, ...] = (
        "application/pdf",
        "application/postscript",
        "image/pwg-raster",
    )
    more_info_url: str = ""
    current_operator: str = ""  # prtGeneralCurrentOperator (who operates the device)
    service_person: str = ""  # prtGeneralServicePerson
    media_supported: tuple[str, ...] = ("iso_a4_210x297mm",)  # PWG media names
    finishings_supported: tuple[str, ...] = ("none",)  # IPP finishings keywords


# ---------------------------------------------------------------------------------------------
# Status and counters
# ---------------------------------------------------------------------------------------------


@dataclass(eq=False)
class Status(Node):
    """PWG SM PrintServiceStatus plus the device's power and boot bookkeeping."""

    state: str = "idle"  # idle | processing | stopped (IPP printer-state; SM State)
    state_reasons: tuple[str, ...] = ("none",)  # IPP printer-state-reasons keywords
    state_message: str = ""
    is_accepting_jobs: bool = True
    powered: bool = True  # off: no face answers; set by the control API
    paused: bool = False  # behaviour paused by an operator (IPP Pause-Printer, control API)
    boot_monotonic: float = 0.0  # Clock.monotonic() at the last boot; up time derives from it
    boot_count: int = 1
    config_changes: int = 0  # IPP printer-config-changes
    # up-time ticks of the last printer-state / -state-reasons change and the last
    # configuration change (IPP printer-state-change-time, printer-config-change-time)
    state_change_ticks: int = 0
    config_change_ticks: int = 0
    next_job_id: int = 1
    offline: bool = False  # taken off line by an operator or a fault: prints nothing
    jammed: bool = False  # a sheet is stuck; cleared by the operator (control API)
    jam_tray: int = 0  # where: 0 the media path, n input tray n
    factory_resets: int = 0  # how many factory resets (a TR-069 client sends 0 BOOTSTRAP)
    service_requested: bool = False  # a service call is pending (hrPrinterDetectedErrorState
    # serviceRequested); an imported printer that reported one keeps it until cleared


@dataclass(eq=False)
class MediaUsed(Node):
    """PWG 5106.1 counters per media (SM MediaUsed, IPP printer-media-used)."""

    index: int
    media: str  # PWG self-describing media name, e.g. iso_a4_210x297mm
    media_type: str = "stationery"
    total_sheets: int = 0
    mono_impressions: int = 0
    color_impressions: int = 0


@dataclass(eq=False)
class Counters(Node):
    """PWG 5106.1 imaging counters for the print service (SM PrintServiceCounters)."""

    total_impressions: int = 0
    mono_impressions: int = 0
    color_impressions: int = 0
    total_sheets: int = 0  # sheets (two-sided counts once)
    two_sided_sheets: int = 0
    total_jobs: int = 0
    completed_jobs: int = 0
    aborted_jobs: int = 0
    canceled_jobs: int = 0
    jam_count: int = 0


# ---------------------------------------------------------------------------------------------
# Subunits (PWG SM Subunits, RFC 3805 tables)
# ---------------------------------------------------------------------------------------------


@dataclass(eq=False)
class ConsoleLight(Node):
    index: int
    description: str  # "Ready", "Attention", "Data"
    color: str = (
        "green"  # prtConsoleColorTC keyword: white red green blue cyan magenta yellow orange
    )
    on_time: int = 0  # prtConsoleOnTime, ms (0 and off 0: off; on >0 off 0: steady on)
    off_time: int = 0


@dataclass(eq=False)
class Console(Node):
    """The operator panel (prtConsoleDisplayBufferTable, prtConsoleLightTable)."""

    index: int
    description: str = "Operator panel"
    display_lines: int = 2
    display_chars: int = 20
    display_buffer: tuple[str, ...] = ("Ready",)
    lights: list[ConsoleLight] = field(default_factory=list)
    language: str = "en"
    disabled: bool = False  # prtConsoleDisable: operator input locked out


@dataclass(eq=False)
class Cover(Node):
    index: int
    description: str
    status: str = (
        "closed"  # prtCoverStatusTC keyword: open | closed | interlockOpen | interlockClosed
    )


@dataclass(eq=False)
class InputTray(Node):
    """A paper source (prtInputTable, SM InputTray, IPP printer-input-tray)."""

    index: int
    name: str
    description: str = ""
    tray_type: str = "sheetFeedAutoRemovableTray"  # prtInputTypeTC keyword
    media: str = "iso_a4_210x297mm"  # PWG media keyword (IPP media-ready, TR-069, EWS)
    # prtInputMediaName as the printer words it ("LETTER", from an import) or free text an
    # operator gave the media (SNMP, IPP media-info); empty: ``media`` names it. See
    # media_keyword(): the keyword is derived from it, never the text copied.
    media_name: str = ""
    media_type: str = "stationery"
    media_color: str = "white"
    media_weight: int = 80  # g/m²
    dim_feed: int = 297000  # micrometres (prtInputMediaDimFeedDirDeclared, unit micrometers)
    dim_xfeed: int = 210000
    capacity: int = 250  # prtInputMaxCapacity, sheets; -1 other, -2 unknown
    level: int = 250  # prtInputCurrentLevel, sheets; -1 other, -2 unknown, -3 some remaining
    low_threshold: int = 25  # below this a mediaLow alert is raised
    present: bool = True  # a removed tray is reported as unavailable


@dataclass(eq=False)
class OutputTray(Node):
    """An output bin (prtOutputTable, SM OutputTray, IPP printer-output-tray)."""

    index: int
    name: str
    description: str = ""
    tray_type: str = "removableBin"  # prtOutputTypeTC keyword
    capacity: int = 150  # prtOutputMaxCapacity, sheets
    remaining_capacity: int = 150  # prtOutputRemainingCapacity, sheets
    stacking_order: str = "firstToLast"
    page_delivery: str = "faceDown"


@dataclass(eq=False)
class Marker(Node):
    """A marking engine (prtMarkerTable, SM Marker)."""

    index: int
    technology: str = "electrophotographicLaser"  # prtMarkerMarkTechTC keyword
    counter_unit: str = "impressions"  # prtMarkerCounterUnitTC keyword
    life_count: int = 0  # prtMarkerLifeCount
    power_on_count: int = 0  # prtMarkerPowerOnCount, reset at boot
    process_colorants: int = 1
    spot_colorants: int = 0
    addressability_unit: str = "tenThousandthsOfInches"
    addressability_feed: int = 600
    addressability_xfeed: int = 600


@dataclass(eq=False)
class Colorant(Node):
    """A colorant (prtMarkerColorantTable)."""

    index: int
    marker_index: int = 1
    value: str = "black"  # prtMarkerColorantValue, e.g. black cyan magenta yellow
    role: str = "process"  # process | spot
    tonality: int = 256


@dataclass(eq=False)
class Supply(Node):
    """A marker supply: toner, ink, drum, fuser, waste toner (prtMarkerSuppliesTable, SM MarkerSupply)."""

    index: int
    description: str
    supply_type: str = (
        "toner"  # PrtMarkerSuppliesTypeTC keyword: toner ink opc fuser wasteToner ...
    )
    supply_class: str = "supplyThatIsConsumed"  # or receptacleThatIsFilled (waste toner)
    marker_index: int = 1
    colorant_index: int = 0  # 0: no colorant (drum, fuser)
    unit: str = "percent"  # PrtMarkerSuppliesSupplyUnitTC keyword
    max_capacity: int = 100  # prtMarkerSuppliesMaxCapacity; -1 other, -2 unknown
    level: int = 100  # prtMarkerSuppliesLevel; -1 other, -2 unknown, -3 some remaining
    per_page: float = 0.0  # units consumed (or filled) per impression
    low_percent: int = 10  # below this share of max capacity a low alert is raised
    part_number: str = ""
    consumed_fraction: float = 0.0  # sub-unit consumption not yet reflected in ``level``


@dataclass(eq=False)
class Finisher(Node):
    """A finishing device (RFC 3806 finDeviceTable, SM Finisher): stapler, punch, folder."""

    index: int
    finisher_type: str = "stitcher"  # FinDeviceTypeTC keyword: stitcher punch folder ...
    description: str = ""
    capacity: int = 1000  # finDeviceMaxCapacity, sheets
    remaining_capacity: int = 1000
    supply_description: str = ""  # e.g. "Staple cartridge" (finSupplyTable)
    supply_max_capacity: int = -2  # -2 unknown
    supply_level: int = -3  # -3 some remaining
    present: bool = True


@dataclass(eq=False)
class MediaPath(Node):
    """A media path (prtMediaPathTable): simplex or duplex paths and their speed."""

    index: int
    path_type: str = "longEdgeBindingDuplex"  # prtMediaPathTypeTC keyword
    description: str = ""
    max_speed: int = 20  # prtMediaPathMaxSpeed in impressions per minute
    max_media_feed_dir: int = 355600  # micrometres
    max_media_xfeed_dir: int = 215900


@dataclass(eq=False)
class Interface(Node):
    """A network interface (IF-MIB ifTable; SM Interface; TR-069 DeviceInfo / IP settings)."""

    index: int
    name: str = "eth0"
    description: str = "Ethernet"
    if_type: int = 6  # IANAifType ethernetCsmacd
    mac_address: str = "00:00:00:00:00:00"  # colon-separated lower-case hex
    speed: int = 1_000_000_000  # bit/s
    mtu: int = 1500
    admin_up: bool = True
    oper_up: bool = True
    dhcp: bool = True
    ipv4_address: str = "127.1.0.1"
    subnet_mask: str = "255.0.0.0"
    gateway: str = "0.0.0.0"
    hostname: str = "printer"
    in_octets: int = 0
    out_octets: int = 0


@dataclass(eq=False)
class Interpreter(Node):
    """A page description language interpreter (prtInterpreterTable)."""

    index: int
    lang_family: str = "langPDF"  # PrtInterpreterLangFamilyTC keyword
    lang_level: str = ""
    lang_version: str = ""
    description: str = ""
    version: str = ""
    default_orientation: str = "portrait"


@dataclass(eq=False)
class Channel(Node):
    """A job submission channel (prtChannelTable): IPP, LPD, port 9100."""

    index: int
    channel_type: str = "chIPP"  # PrtChannelTypeTC keyword: chIPP chLPDServer chPort9100 ...
    protocol_version: str = ""
    interpreter_index: int = 1
    enabled: bool = True
    information: str = ""


@dataclass(eq=False)
class Storage(Node):
    """A storage device (hrStorageTable / SM Storage)."""

    index: int
    storage_type: str = "ram"  # ram | disk | flash (hrStorageTypes)
    description: str = "RAM"
    allocation_unit: int = 1024
    size_units: int = 262144  # in allocation units
    used_units: int = 65536


@dataclass(eq=False)
class Processor(Node):
    index: int
    description: str = "CPU"
    load_percent: int = 1  # hrProcessorLoad


# ---------------------------------------------------------------------------------------------
# Defaults, alerts, jobs
# ---------------------------------------------------------------------------------------------


@dataclass(eq=False)
class Defaults(Node):
    """The default job ticket (SM DefaultPrintJobTicket; IPP xxx-default)."""

    copies: int = 1
    sides: str = "one-sided"  # one-sided | two-sided-long-edge | two-sided-short-edge
    orientation: str = "portrait"  # portrait | landscape | reverse-landscape | reverse-portrait
    resolution_x: int = 600
    resolution_y: int = 600
    resolution_units: str = "dpi"  # dpi | dpcm
    media: str = "iso_a4_210x297mm"
    print_quality: str = "normal"  # draft | normal | high
    color_mode: str = "monochrome"  # monochrome | color | auto
    finishings: tuple[str, ...] = ("none",)
    output_bin: str = "face-down"
    # The rest of the defaults IPP answers (xxx-default) and the SM's DefaultPrintJobTicket
    # names: one value for both faces, so a TR-069 write shows in IPP and the other way round.
    job_priority: int = 50  # 1..100 (RFC 8011 §5.2.1)
    job_hold_until: str = "no-hold"  # no-hold | indefinite (what job-hold-until-supported says)
    multiple_document_handling: str = "separate-documents-collated-copies"
    print_content_optimize: str = "auto"  # PWG 5100.7 §6.2
    print_rendering_intent: str = "auto"  # PWG 5100.13 §5.2


@dataclass(eq=False)
class Alert(Node):
    """A row of prtAlertTable (SM Alert; IPP printer-alert)."""

    index: int
    severity: str  # other | critical | warning | warningBinaryChangeEvent
    training_level: str  # untrained | trained | fieldService | management | noInterventionRequired
    group: str  # PrtAlertGroupTC keyword: input output marker markerSupplies cover ...
    group_index: int  # row of that group's table (tray index, supply index, ...)
    location: int
    code: str  # PrtAlertCodeTC keyword: jam coverOpen markerTonerEmpty inputMediaSupplyEmpty ...
    description: str
    time_ticks: int  # sysUpTime (hundredths of a second) when it was raised


@dataclass(eq=False)
class Job(Node):
    """A print job as the IPP face and the behaviour engine see it."""

    index: int  # job-id
    name: str = "untitled"
    user: str = "anonymous"
    state: str = "pending"  # pending | pending-held | processing | processing-stopped | canceled | aborted | completed
    state_reasons: tuple[str, ...] = ("none",)
    document_format: str = "application/octet-stream"
    pages: int = 1
    copies: int = 1
    sides: str = "one-sided"
    media: str = ""
    color: bool = False
    impressions_completed: int = 0
    sheets_completed: int = 0
    created_ticks: int = 0
    completed_ticks: int = 0
    document_bytes: int = 0
    documents: int = 0
    # RFC 8011 §5.2.2 job-hold-until ("no-hold" prints at once; other values hold the job)
    hold_until: str = "no-hold"
    # RFC 8011 §5.2.1 job-priority 1..100: higher prints first, ties in submission order
    priority: int = 50
    # queue position among equal priorities (Promote-Job / Schedule-Job-After move it)
    sequence: float = 0.0
    # RFC 8011 §5.2.7 page-ranges as "1-3,7" ("" = all pages); pages counts only these
    page_ranges: str = ""
    # pages of the documents as sent, before page-ranges / overrides picked some
    pages_sent: int = 0
    # pages of each document as sent (document-number 1, 2, ...)
    doc_pages: tuple[int, ...] = ()
    # PWG 5100.6 overrides: (first doc, last doc, first page, last page, media) rows
    overrides: tuple[tuple[int, int, int, int, str], ...] = ()
    # RFC 3998 Suspend-Current-Job: stopped until Resume-Job, other jobs may print
    suspended: bool = False
    # clock.monotonic() of the last operation on a job still waiting for documents
    # (RFC 8011 §5.4 multiple-operation-time-out multiple-operation-time-out is measured from it); 0 when not waiting
    last_operation: float = 0.0


# ---------------------------------------------------------------------------------------------
# What the embedded web server configures (seed: the EWS table)
# ---------------------------------------------------------------------------------------------


@dataclass(eq=False)
class NetworkServices(Node):
    """DNS, WINS, SMTP, FTP, HTTP, LPD and port 9100 configuration."""

    dns_servers: tuple[str, ...] = ("127.0.0.53",)
    dns_domain: str = "example.net"
    wins_enabled: bool = False
    wins_server: str = ""
    smtp_server: str = ""
    smtp_port: int = 25
    smtp_from: str = ""
    smtp_auth: bool = False
    ftp_enabled: bool = False
    http_enabled: bool = True
    http_port: int = 8080  # where the EWS listens: IPP printer-more-info and SM MoreInfoUri name it
    https_only: bool = False
    lpd_enabled: bool = True
    port9100_enabled: bool = True
    ipp_enabled: bool = True


@dataclass(eq=False)
class SnmpConfig(Node):
    """SNMP agent configuration: communities, v3 users and trap destinations."""

    read_community: str = "public"
    write_community: str = "private"
    v1v2c_enabled: bool = True
    v3_enabled: bool = True
    v3_user: str = "admin"
    v3_auth_protocol: str = "SHA"  # SHA | SHA256 | MD5
    v3_auth_key: str = "authpassword"
    v3_priv_protocol: str = "AES"  # AES | DES
    v3_priv_key: str = "privpassword"
    trap_destinations: tuple[str, ...] = ()  # "host:port" with community read_community
    trap_community: str = "public"


@dataclass(eq=False)
class Recording(Node):
    """What an imported profile recorded from the real printer and the state does not model.

    ``rows`` are snmprec lines (``OID|TAG|VALUE``): vendor-private objects, table columns and
    units (input dimensions in ten-thousandths of inches, media names, ...) exactly as the
    printer answered. The MIB view serves them read-only where the state has no live value of
    its own (emulator.snmp.mib.LIVE_OBJECTS), so state-owned values (levels, counters, status,
    identity) stay the one truth that IPP, EWS and TR-069 also show.
    """

    source: str = ""  # the recording's file name
    rows: tuple[str, ...] = ()
    error_state_octets: int = 2  # hrPrinterDetectedErrorState length the printer sends (0-2)


@dataclass(eq=False)
class TimeConfig(Node):
    ntp_enabled: bool = False
    ntp_server: str = ""
    time_zone: str = "UTC"


@dataclass(eq=False)
class EmailAlerts(Node):
    enabled: bool = False
    recipients: tuple[str, ...] = ()
    events: tuple[str, ...] = ("supplyLow", "supplyEmpty", "jam", "serviceRequired")


@dataclass(eq=False)
class FinishingConfig(Node):
    banner_page: bool = False
    separator_sheets: bool = False
    collate: bool = True
    skip_blank_pages: bool = False
    resource_save: bool = False


@dataclass(eq=False)
class PrintSettings(Node):
    """PCL and PostScript interpreter settings the EWS exposes."""

    pcl_font: str = "Courier"
    pcl_font_pitch: int = 10
    pcl_symbol_set: str = "PC-8"
    pcl_lines_per_page: int = 60
    draft_mode: bool = False
    ps_error_report: bool = False
    ps_job_timeout: int = 0  # seconds, 0: none
    ps_paper_select: str = "auto"
    darkness: int = 3  # 1..5
    toner_save: bool = False
    error_alarm: bool = True
    toner_alarm: bool = True


@dataclass(eq=False)
class Management(Node):
    """The TR-069 client's configuration (TR-181 Device.ManagementServer.)."""

    enabled: bool = True
    acs_url: str = ""
    username: str = ""
    password: str = ""
    periodic_inform_enable: bool = True
    periodic_inform_interval: int = 3600
    periodic_inform_time: str = "0001-01-01T00:00:00Z"  # the unknown time: any phase
    parameter_key: str = ""
    connection_request_username: str = ""
    connection_request_password: str = ""
    upgrades_managed: bool = False
    retry_minimum_wait_interval: int = 5
    retry_interval_multiplier: int = 2000
    default_active_notification_throttle: int = 0
    cwmp_version: str = "1.4"  # the highest version the client offers; a profile can pin one
    # names of deliberate client quirks (the TR-069 client defines them)
    quirks: tuple[str, ...] = ()
    # STUN for UDP Connection Requests behind a NAT (TR-069 Annex G; TR-181 STUN* parameters)
    stun_enable: bool = False
    stun_server_address: str = ""  # empty: the host of the ACS URL (TR-181)
    stun_server_port: int = 3478
    stun_username: str = ""
    stun_password: str = ""
    stun_minimum_keepalive_period: int = 0
    stun_maximum_keepalive_period: int = -1


@dataclass(eq=False)
class XmppConfig(Node):
    """The printer's XMPP connection for TR-069 Annex K connection requests (TR-181
    Device.XMPP.Connection.1 and the ManagementServer.ConnReq* parameters). ``enable`` off and
    no server until an ACS, a profile or the bench configures one; ``ca_file`` is the trust
    anchor the printer checks the XMPP server's certificate against (empty: the system's)."""

    enable: bool = False
    username: str = ""
    password: str = ""
    domain: str = ""
    resource: str = "cwmp"
    server_connect_algorithm: str = "ServerTable"
    server_address: str = ""
    server_port: int = 5222
    keepalive_interval: int = -1
    connect_attempts: int = 16
    retry_initial_interval: int = 60
    retry_interval_multiplier: int = 2000
    retry_max_interval: int = 30720
    use_tls: bool = True
    ca_file: str = ""
    # ManagementServer.ConnReqXMPPConnection and ConnReqAllowedJabberIDs (a TR-106 list)
    conn_req_connection: str = "Device.XMPP.Connection.1"
    allowed_jabber_ids: str = ""


@dataclass(eq=False)
class IppConfig(Node):
    """Where real models' IPP faces differ (profile section ``ipp``; docs/ipp.md "Profile").

    Each bound answers with the protocol's own status when it is reached (docs/ipp.md).
    """

    # PWG 5100.14: the model is IPP Everywhere (ipp-features-supported ipp-everywhere, IPP/2.2
    # versions and operations). A printer that does not claim it does not advertise it.
    everywhere: bool = False
    # a job asks for media no tray holds: "stop" (media-needed, as most printers), or the
    # front-panel options real printers have: "override-a4-letter" (A4 and Letter stand in for
    # each other) or "print-on-loaded" (print on whatever the first loaded tray holds)
    media_mismatch: str = "stop"
    # RFC 8011 §5.4 multiple-operation-time-out multiple-operation-time-out (s): a job waiting for documents longer
    # than this is aborted (multiple-operation-time-out-action abort-job)
    multiple_operation_time_out: int = 60
    # bounds on pending-held jobs (waiting for documents or job-hold-until): per printer, per
    # requesting user. Reached: server-error-too-many-jobs (0x050B, IANA IPP registry; not in RFC 8011)
    max_held_jobs: int = 500
    max_held_jobs_per_user: int = 100
    # bound on jobs not yet finished (pending, held, processing); same answer when reached
    max_active_jobs: int = 1000


@dataclass(eq=False)
class Admin(Node):
    """Credentials of the embedded web server's administrator, and what the EWS lets them do.

    ``firmware_upload``: the EWS takes firmware images at ``POST /api/firmware`` (as the web
    pages of many office printers do); the profile says whether a model has it.
    """

    username: str = "admin"
    password: str = "admin"
    firmware_upload: bool = False


# ---------------------------------------------------------------------------------------------
# The printer
# ---------------------------------------------------------------------------------------------

#: The tables of a printer, in the order faces list them.
TABLES: tuple[str, ...] = (
    "consoles",
    "covers",
    "input_trays",
    "output_trays",
    "markers",
    "colorants",
    "supplies",
    "media_paths",
    "interfaces",
    "interpreters",
    "channels",
    "storages",
    "processors",
    "media_used",
    "alerts",
    "jobs",
    "finishers",
)


@dataclass(eq=False)
class PrinterState(Node):
    """Everything one virtual printer is. Build it with ``emulator.profiles``, then attach."""

    profile: str
    identity: Identity
    description: Description
    status: Status = field(default_factory=Status)
    counters: Counters = field(default_factory=Counters)
    defaults: Defaults = field(default_factory=Defaults)
    consoles: list[Console] = field(default_factory=list)
    covers: list[Cover] = field(default_factory=list)
    input_trays: list[InputTray] = field(default_factory=list)
    output_trays: list[OutputTray] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    colorants: list[Colorant] = field(default_factory=list)
    supplies: list[Supply] = field(default_factory=list)
    media_paths: list[MediaPath] = field(default_factory=list)
    interfaces: list[Interface] = field(default_factory=list)
    interpreters: list[Interpreter] = field(default_factory=list)
    channels: list[Channel] = field(default_factory=list)
    storages: list[Storage] = field(default_factory=list)
    processors: list[Processor] = field(default_factory=list)
    media_used: list[MediaUsed] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    finishers: list[Finisher] = field(default_factory=list)
    network: NetworkServices = field(default_factory=NetworkServices)
    snmp: SnmpConfig = field(default_factory=SnmpConfig)
    time: TimeConfig = field(default_factory=TimeConfig)
    email_alerts: EmailAlerts = field(default_factory=EmailAlerts)
    finishing: FinishingConfig = field(default_factory=FinishingConfig)
    print_settings: PrintSettings = field(default_factory=PrintSettings)
    management: Management = field(default_factory=Management)
    admin: Admin = field(default_factory=Admin)
    recording: Recording = field(default_factory=Recording)
    ipp: IppConfig = field(default_factory=IppConfig)
    xmpp: XmppConfig = field(default_factory=XmppConfig)
    next_alert_index: int = 1
    critical_alert_count: int = 0  # critical alerts ever raised (prtAlertCriticalEvents)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_listeners", [])
        self._attach(self, "")

    # -- change events --------------------------------------------------------------------

    def subscribe(self, listener: ChangeListener) -> Callable[[], None]:
        """Call ``listener`` for every change from now on; returns a function that unsubscribes."""
        listeners: list[ChangeListener] = self._listeners  # type: ignore[attr-defined]
        listeners.append(listener)
        return lambda: listeners.remove(listener) if listener in listeners else None

    def emit(self, event: ChangeEvent) -> None:
        for listener in tuple(self._listeners):  # type: ignore[attr-defined]
            listener(event)

    # -- tables ---------------------------------------------------------------------------

    def table(self, name: str) -> list[Any]:
        """The rows of table ``name`` (one of :data:`TABLES`)."""
        if name not in TABLES:
            raise KeyError(f"no table {name!r} in a printer's state (tables: {', '.join(TABLES)})")
        return getattr(self, name)

    def row(self, table: str, index: int) -> Any:
        """The row of ``table`` whose instance number is ``index``, or KeyError."""
        for r in self.table(table):
            if r.index == index:
                return r
        raise KeyError(f"{table} has no row {index}")

    def add_row(self, table: str, row: Node) -> None:
        """Append ``row`` to ``table``, attach it and emit a ``<table>`` event (row counts)."""
        rows = self.table(table)
        rows.append(row)
        row._attach(self, f"{table}.{row_index(row)}.")
        self.emit(ChangeEvent(table, len(rows) - 1, len(rows)))

    def remove_rows(self, table: str, indexes: set[int]) -> None:
        """Remove every row of ``table`` whose index is in ``indexes``: one pass, one event."""
        rows = self.table(table)
        before = len(rows)
        kept = []
        for r in rows:
            if r.index in indexes:
                r._attach(None, "")
            else:
                kept.append(r)
        rows[:] = kept
        if len(kept) != before:
            self.emit(ChangeEvent(table, before, len(kept)))

    def remove_row(self, table: str, index: int) -> Node:
        """Remove the row ``index`` from ``table``; emit a ``<table>`` event; return it."""
        rows = self.table(table)
        row = self.row(table, index)
        rows.remove(row)
        row._attach(None, "")
        self.emit(ChangeEvent(table, len(rows) + 1, len(rows)))
        return row

    # -- values by path -------------------------------------------------------------------

    def get(self, path: str) -> Any:
        """The value at a dotted path such as ``supplies.2.level`` or ``description.location``."""
        node: Any = self
        for part in path.split("."):
            if isinstance(node, list):
                node = next((r for r in node if str(r.index) == part), None)
                if node is None:
                    raise KeyError(f"no row {part} in {path!r}")
            elif isinstance(node, Node) and part in _field_names(type(node)):
                node = getattr(node, part)
            else:
                raise KeyError(f"no {part!r} in {path!r}")
        return node

    def set(self, path: str, value: Any) -> None:
        """Set the value at a dotted path (the type must match the current value's type; a
        value some face cannot carry raises :class:`ValueRejected`, see :func:`check_value`)."""
        parent_path, _, name = path.rpartition(".")
        parent = self.get(parent_path) if parent_path else self
        if not isinstance(parent, Node) or name not in _field_names(type(parent)):
            raise KeyError(f"no settable value at {path!r}")
        current = getattr(parent, name)
        if isinstance(current, (Node, list)):
            raise KeyError(f"{path!r} is an object or table, not a value")
        if type(current) is not type(value) and not (
            isinstance(current, float) and isinstance(value, int)
        ):
            raise TypeError(f"{path!r} holds {type(current).__name__}, not {type(value).__name__}")
        check_value(parent, name, value)
        setattr(parent, name, value)

    def check(self, path: str, value: Any) -> None:
        """Raise :class:`ValueRejected` if ``value`` at ``path`` is one some face cannot carry
        (or KeyError for no such value): what a face validates with before it writes."""
        parent_path, _, name = path.rpartition(".")
        parent = self.get(parent_path) if parent_path else self
        if not isinstance(parent, Node) or name not in _field_names(type(parent)):
            raise KeyError(f"no value at {path!r}")
        check_value(parent, name, value)

    def walk(self) -> Iterator[tuple[str, Any]]:
        """Every (path, value) of scalar state, in a stable order."""
        yield from _walk(self, "")


def _field_names(cls: type) -> frozenset[str]:
    names = _FIELD_CACHE.get(cls)
    if names is None:
        names = frozenset(f.name for f in dataclasses.fields(cls))
        _FIELD_CACHE[cls] = names
    return names


_FIELD_CACHE: dict[type, frozenset[str]] = {}


def _walk(node: Node, prefix: str) -> Iterator[tuple[str, Any]]:
    for f in dataclasses.fields(node):  # type: ignore[arg-type]
        value = getattr(node, f.name)
        if isinstance(value, Node):
            yield from _walk(value, f"{prefix}{f.name}.")
        elif isinstance(value, list):
            for row in value:
                yield from _walk(row, f"{prefix}{f.name}.{row_index(row)}.")
        else:
            yield f"{prefix}{f.name}", value


def uptime_ticks(state: PrinterState, monotonic_now: float) -> int:
    """sysUpTime / hrSystemUptime in hundredths of a second since the last boot."""
    return max(0, int((monotonic_now - state.status.boot_monotonic) * 100))
