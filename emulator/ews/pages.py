"""What the embedded web server shows and accepts, as pure functions of a printer's state.

No HTTP here: the status and device-information models are plain dictionaries (rendered as
HTML by the templates and served as they are by the JSON twin), the configuration pages are
lists of :class:`~emulator.ews.fields.Field`, and a posted form becomes a list of
``(path, value)`` changes or a dictionary of per-field errors. :func:`apply_changes` writes
them through ``PrinterState.set`` all-or-nothing, so SNMP, IPP and TR-069 see the same
values and a rejected form changes nothing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from printbench.emulator.ews.fields import Field, FieldError, from_form, from_json, time_zones
from printbench.emulator.state import PrinterState, uptime_ticks

Values = dict[str, Any]
Errors = dict[str, str]
Changes = list[tuple[str, Any]]
CrossCheck = Callable[[Values, PrinterState], Errors]

#: Key of errors that concern the whole post rather than one field.
FORM_ERROR = "_form"


@dataclass(frozen=True)
class ConfigPage:
    """A configuration page: its URL slug, title, fields, and checks across its fields."""

    slug: str
    title: str
    group: str
    intro: str
    fields: tuple[Field, ...]
    checks: tuple[CrossCheck, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def field(self, path: str) -> Field | None:
        return next((f for f in self.fields if f.path == path), None)

    def describe(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "title": self.title,
            "group": self.group,
            "fields": [f.describe() for f in self.fields],
        }


# ---------------------------------------------------------------------------------------------
# Cross-field checks (run on the merged result: current values overlaid with the post)
# ---------------------------------------------------------------------------------------------


def _requires(flag: str, needed: str, message: str) -> CrossCheck:
    def check(values: Values, _state: PrinterState) -> Errors:
        return {needed: message} if values.get(flag) and not values.get(needed) else {}

    return check


def _gateway_in_subnet(prefix: str) -> CrossCheck:
    def check(values: Values, _state: PrinterState) -> Errors:
        if values.get(f"{prefix}dhcp"):
            return {}  # the lease sets them; nothing to cross-check
        gateway = values.get(f"{prefix}gateway", "")
        if not gateway or gateway == "0.0.0.0":
            return {}
        try:
            net = ipaddress.IPv4Network(
                f"{values[f'{prefix}ipv4_address']}/{values[f'{prefix}subnet_mask']}", strict=False
            )
        except (KeyError, ValueError):
            return {}  # the field checks already reported it
        if ipaddress.IPv4Address(gateway) not in net:
            return {f"{prefix}gateway": f"{gateway} is not in the printer's subnet {net}"}
        return {}

    return check


def _communities_differ(values: Values, _state: PrinterState) -> Errors:
    if values.get("snmp.read_community") and values.get("snmp.read_community") == values.get(
        "snmp.write_community"
    ):
        return {"snmp.write_community": "must differ from the read community"}
    return {}


def _color_needs_color_printer(values: Values, state: PrinterState) -> Errors:
    mode = values.get("defaults.color_mode")
    if (
        mode in ("color", "auto")
        and not state.description.color_supported
        and mode != state.defaults.color_mode
    ):
        return {"defaults.color_mode": "this printer prints in monochrome only"}
    return {}


# ---------------------------------------------------------------------------------------------
# The configuration pages (one per row of the seed's EWS table, plus the TR-069 client)
# ---------------------------------------------------------------------------------------------

#: Menu groups, in the order the navigation lists them.
GROUPS = ("General", "Network", "Printing", "Management")

EMAIL_EVENTS = (
    "supplyLow",
    "supplyEmpty",
    "mediaLow",
    "mediaEmpty",
    "jam",
    "coverOpen",
    "serviceRequired",
    "offline",
)
PCL_FONTS = (
    "Courier",
    "CG Times",
    "Univers",
    "Arial",
    "Times New Roman",
    "Letter Gothic",
    "Line Printer",
)
PCL_SYMBOL_SETS = (
    "PC-8",
    "PC-850",
    "PC-852",
    "PC-8 Danish/Norwegian",
    "Roman-8",
    "ISO-8859-1",
    "ISO-8859-2",
    "ISO-8859-15",
    "Windows-1252",
    "Legal",
)
COMMON_MEDIA = (
    "iso_a4_210x297mm",
    "iso_a5_148x210mm",
    "iso_a3_297x420mm",
    "na_letter_8.5x11in",
    "na_legal_8.5x14in",
    "na_executive_7.25x10.5in",
    "iso_b5_176x250mm",
    "na_number-10_4.125x9.5in",
    "iso_dl_110x220mm",
)


def _ordered_unique(items: Any) -> tuple[Any, ...]:
    return tuple(dict.fromkeys(items))


def config_pages(state: PrinterState) -> dict[str, ConfigPage]:
    """Every configuration page of this printer, by slug, in menu order.

    Some fields depend on the device: the TCP/IP page edits its first interface, media and
    paper-source choices come from its trays, colour modes from its colour support.
    """
    iface = state.interfaces[0].index if state.interfaces else None
    ip = f"interfaces.{iface}." if iface is not None else None
    desc = state.description
    media = _ordered_unique(
        [
            *getattr(desc, "media_supported", ()),
            *(t.media for t in state.input_trays),
            *COMMON_MEDIA,
        ]
    )
    sources = ("auto", "manual", *(f"tray-{t.index}" for t in state.input_trays))
    duplex = not state.media_paths or any("uplex" in p.path_type for p in state.media_paths)
    sides = (
        ("one-sided", "two-sided-long-edge", "two-sided-short-edge") if duplex else ("one-sided",)
    )
    colour_modes = ("monochrome", "color", "auto") if desc.color_supported else ("monochrome",)
    bins = _ordered_unique(
        ["face-down", "face-up", *(f"bin-{t.index}" for t in state.output_trays)]
    )

    pages: list[ConfigPage] = []
    if ip is not None:
        pages.append(
            ConfigPage(
                "tcpip",
                "TCP/IP",
                "Network",
                "IPv4 settings of the network interface.",
                (
                    Field(f"{ip}hostname", "Host name", "hostname", max_len=63, allow_empty=False),
                    Field(f"{ip}dhcp", "Obtain the address by DHCP", "bool"),
                    Field(f"{ip}ipv4_address", "IPv4 address", "ipv4", allow_empty=False),
                    Field(f"{ip}subnet_mask", "Subnet mask", "netmask", allow_empty=False),
                    Field(
                        f"{ip}gateway",
                        "Default gateway",
                        "ipv4",
                        help="0.0.0.0 or blank for none",
                        allow_empty=True,
                    ),
                ),
                checks=(_gateway_in_subnet(ip),),
                notes=(
                    "The emulator keeps answering at the address it was started on; the "
                    "values here are what the device reports.",
                ),
            )
        )
    pages += [
        ConfigPage(
            "dns",
            "DNS and WINS",
            "Network",
            "Name servers the printer uses to resolve host names.",
            (
                Field(
                    "network.dns_servers",
                    "DNS servers",
                    "ipv4_list",
                    max_items=3,
                    help="one a line",
                ),
                Field("network.dns_domain", "Domain name", "domain"),
                Field("network.wins_enabled", "Enable WINS", "bool"),
                Field("network.wins_server", "WINS server", "ipv4"),
            ),
            checks=(
                _requires(
                    "network.wins_enabled",
                    "network.wins_server",
                    "is required when WINS is enabled",
                ),
            ),
        ),
        ConfigPage(
            "smtp",
            "SMTP",
            "Network",
            "The mail gateway for e-mail alerts and scan to e-mail.",
            (
                Field(
                    "network.smtp_server", "SMTP server", "host", help="host name or IPv4 address"
                ),
                Field("network.smtp_port", "SMTP port", "int", min=1, max=65535),
                Field("network.smtp_from", "Sender address", "email"),
                Field("network.smtp_auth", "Server requires authentication", "bool"),
            ),
        ),
        ConfigPage(
            "ftp",
            "FTP",
            "Network",
            "FTP printing (send a file to the printer with an FTP client).",
            (Field("network.ftp_enabled", "Enable FTP printing", "bool"),),
        ),
        ConfigPage(
            "http",
            "HTTP",
            "Network",
            "The embedded web server.",
            (
                Field("network.http_enabled", "Enable the embedded web server", "bool"),
                Field("network.https_only", "Redirect HTTP to HTTPS", "bool"),
            ),
            notes=(
                "The emulator stores these settings and reports them; its web server keeps "
                "answering so that they can be turned back on.",
            ),
        ),
        ConfigPage(
            "lpd",
            "LPD and port 9100",
            "Network",
            "Print protocols the printer accepts jobs on.",
            (
                Field("network.lpd_enabled", "Enable LPD (RFC 1179)", "bool"),
                Field("network.port9100_enabled", "Enable raw printing on port 9100", "bool"),
                Field("network.ipp_enabled", "Enable IPP", "bool"),
            ),
        ),
        ConfigPage(
            "snmp",
            "SNMP",
            "Network",
            "SNMP agent: communities for v1/v2c, the v3 user, and where traps go.",
            (
                Field("snmp.v1v2c_enabled", "Enable SNMP v1/v2c", "bool"),
                Field(
                    "snmp.read_community", "Get community", "text", max_len=32, allow_empty=False
                ),
                Field(
                    "snmp.write_community", "Set community", "text", max_len=32, allow_empty=False
                ),
                Field("snmp.v3_enabled", "Enable SNMPv3", "bool"),
                Field("snmp.v3_user", "SNMPv3 user name", "text", max_len=32, allow_empty=False),
                Field(
                    "snmp.v3_auth_protocol",
                    "Authentication protocol",
                    "choice",
                    choices=("SHA", "SHA256", "MD5"),
                ),
                Field(
                    "snmp.v3_auth_key",
                    "Authentication passphrase",
                    "secret",
                    min_len=8,
                    max_len=64,
                    allow_empty=False,
                ),
                Field(
                    "snmp.v3_priv_protocol", "Privacy protocol", "choice", choices=("AES", "DES")
                ),
                Field(
                    "snmp.v3_priv_key",
                    "Privacy passphrase",
                    "secret",
                    min_len=8,
                    max_len=64,
                    allow_empty=False,
                ),
                Field(
                    "snmp.trap_destinations",
                    "Trap destinations",
                    "hostport_list",
                    max_items=6,
                    help="host:port, one a line",
                ),
                Field(
                    "snmp.trap_community", "Trap community", "text", max_len=32, allow_empty=False
                ),
            ),
            checks=(_communities_differ,),
        ),
        ConfigPage(
            "time",
            "Time",
            "Network",
            "Clock synchronisation and local time.",
            (
                Field("time.ntp_enabled", "Synchronise with an NTP server", "bool"),
                Field("time.ntp_server", "NTP server", "host"),
                Field(
                    "time.time_zone",
                    "Time zone",
                    "timezone",
                    max_len=64,
                    allow_empty=False,
                    choices=(),
                ),
            ),
            checks=(
                _requires("time.ntp_enabled", "time.ntp_server", "is required when NTP is enabled"),
            ),
        ),
        ConfigPage(
            "email-alerts",
            "E-mail alerts",
            "Printing",
            "Who gets an e-mail when something needs attention (sent through the SMTP server).",
            (
                Field("email_alerts.enabled", "Send e-mail alerts", "bool"),
                Field(
                    "email_alerts.recipients",
                    "Recipients",
                    "email_list",
                    max_items=10,
                    help="one address a line",
                ),
                Field("email_alerts.events", "Events", "multichoice", choices=EMAIL_EVENTS),
            ),
            checks=(
                _requires(
                    "email_alerts.enabled",
                    "email_alerts.recipients",
                    "needs at least one recipient when alerts are on",
                ),
            ),
        ),
        ConfigPage(
            "finishing",
            "Finishing",
            "Printing",
            "Banner and separator sheets, collation, blank pages and resource saving.",
            (
                Field("finishing.banner_page", "Print a banner page before each job", "bool"),
                Field("finishing.separator_sheets", "Insert separator sheets between jobs", "bool"),
                Field("finishing.collate", "Collate copies", "bool"),
                Field("finishing.skip_blank_pages", "Skip blank pages", "bool"),
                Field("finishing.resource_save", "Resource save (keep downloaded fonts)", "bool"),
            ),
        ),
        ConfigPage(
            "print-settings",
            "Print settings",
            "Printing",
            "PCL and PostScript interpreter settings, print darkness and alarms.",
            (
                Field("print_settings.pcl_font", "PCL font", "choice", choices=PCL_FONTS),
                Field(
                    "print_settings.pcl_font_pitch",
                    "PCL font pitch (characters per inch)",
                    "int",
                    min=1,
                    max=99,
                ),
                Field(
                    "print_settings.pcl_symbol_set",
                    "PCL symbol set",
                    "choice",
                    choices=PCL_SYMBOL_SETS,
                ),
                Field(
                    "print_settings.pcl_lines_per_page", "PCL lines per page", "int", min=5, max=128
                ),
                Field("print_settings.draft_mode", "Draft mode", "bool"),
                Field("print_settings.ps_error_report", "Print PostScript errors", "bool"),
                Field(
                    "print_settings.ps_job_timeout",
                    "PostScript job timeout (seconds, 0: none)",
                    "int",
                    min=0,
                    max=3600,
                ),
                Field(
                    "print_settings.ps_paper_select",
                    "PostScript paper source",
                    "choice",
                    choices=sources,
                ),
                Field(
                    "print_settings.darkness",
                    "Print darkness (1 light - 5 dark)",
                    "int",
                    min=1,
                    max=5,
                ),
                Field("print_settings.toner_save", "Toner save", "bool"),
                Field("print_settings.error_alarm", "Sound an alarm on errors", "bool"),
                Field("print_settings.toner_alarm", "Sound an alarm when toner is low", "bool"),
            ),
        ),
        ConfigPage(
            "printer-info",
            "Printer information",
            "General",
            "How the printer identifies itself on the network and to its owners.",
            (
                Field("description.name", "Printer name", "text", max_len=127, allow_empty=False),
                Field("description.info", "Description", "text", max_len=127),
                Field("description.location", "Location", "text", max_len=127),
                Field("description.contact_name", "Contact person", "text", max_len=127),
                Field("description.contact_email", "Contact e-mail", "email"),
                Field("description.contact_phone", "Contact telephone", "phone"),
                Field("identity.asset_number", "Asset number", "text", max_len=32),
            ),
        ),
        ConfigPage(
            "defaults",
            "Defaults",
            "Printing",
            "The default job ticket: what a job gets when it does not say.",
            (
                Field("defaults.copies", "Copies", "int", min=1, max=999),
                Field("defaults.sides", "Sides", "choice", choices=sides),
                Field(
                    "defaults.orientation",
                    "Orientation",
                    "choice",
                    choices=("portrait", "landscape", "reverse-landscape", "reverse-portrait"),
                ),
                Field(
                    "defaults.resolution_x",
                    "Resolution, cross-feed (dots per unit)",
                    "intchoice",
                    choices=(300, 600, 1200),
                ),
                Field(
                    "defaults.resolution_y",
                    "Resolution, feed (dots per unit)",
                    "intchoice",
                    choices=(300, 600, 1200),
                ),
                Field(
                    "defaults.resolution_units",
                    "Resolution units",
                    "choice",
                    choices=("dpi", "dpcm"),
                ),
                Field("defaults.media", "Media", "choice", choices=media),
                Field(
                    "defaults.print_quality",
                    "Print quality",
                    "choice",
                    choices=("draft", "normal", "high"),
                ),
                Field("defaults.color_mode", "Colour mode", "choice", choices=colour_modes),
                Field("defaults.output_bin", "Output bin", "choice", choices=bins),
            ),
            checks=(_color_needs_color_printer,),
        ),
        ConfigPage(
            "tr069",
            "TR-069 management",
            "Management",
            "The printer's TR-069 (CWMP) client: which auto-configuration server it reports to.",
            (
                Field("management.enabled", "Enable TR-069 management", "bool"),
                Field("management.acs_url", "ACS URL", "url", max_len=256),
                Field("management.username", "ACS user name", "text", max_len=256),
                Field("management.password", "ACS password", "secret", max_len=256),
                Field("management.periodic_inform_enable", "Periodic inform", "bool"),
                Field(
                    "management.periodic_inform_interval",
                    "Periodic inform interval (seconds)",
                    "int",
                    min=1,
                    max=2_592_000,
                ),
                Field(
                    "management.periodic_inform_time",
                    "Periodic inform reference time",
                    "datetime",
                    max_len=40,
                    allow_empty=False,
                ),
                Field(
                    "management.connection_request_username",
                    "Connection request user name",
                    "text",
                    max_len=256,
                ),
                Field(
                    "management.connection_request_password",
                    "Connection request password",
                    "secret",
                    max_len=256,
                ),
            ),
        ),
    ]
    order = {group: n for n, group in enumerate(GROUPS)}
    pages.sort(key=lambda p: order.get(p.group, len(order)))  # stable: menu order per group
    return {p.slug: p for p in pages}


# ---------------------------------------------------------------------------------------------
# Values, validation and writing
# ---------------------------------------------------------------------------------------------


def page_values(state: PrinterState, page: ConfigPage, *, reveal: bool = False) -> Values:
    """``{path: value}`` for every field (lists as lists; secrets as None unless ``reveal``)."""
    out: Values = {}
    for f in page.fields:
        value = state.get(f.path)
        if f.secret and not reveal:
            value = None
        elif isinstance(value, tuple):
            value = list(value)
        out[f.path] = value
    return out


def _finish(
    state: PrinterState, page: ConfigPage, given: Values, errors: Errors
) -> tuple[Changes, Errors]:
    """Run the cross-field checks on current values overlaid with ``given``; list changes."""
    merged: Values = {f.path: state.get(f.path) for f in page.fields}
    merged.update(given)
    for check in page.checks:
        for path, message in check(merged, state).items():
            errors.setdefault(path, message)
    if errors:
        return [], errors
    changes = [(p, v) for p, v in given.items() if state.get(p) != v]
    return changes, {}


def parse_form(
    state: PrinterState, page: ConfigPage, form: Mapping[str, list[str]]
) -> tuple[Changes, Errors]:
    """A browser's post (every name with its list of string values, ``_``-names removed)
    as changes, or per-field errors. Unknown names are an error, not silently dropped."""
    errors: Errors = {}
    unknown = sorted(name for name in form if page.field(name) is None)
    if unknown:
        shown = ", ".join(repr(n[:60]) for n in unknown[:5])
        errors[FORM_ERROR] = f"not fields of the {page.title} page: {shown}"
    given: Values = {}
    for f in page.fields:
        raw = form.get(f.path, [])
        if f.secret and (not raw or raw == [""]):
            continue  # blank password box: keep the stored secret
        try:
            given[f.path] = from_form(f, list(raw), state.get(f.path))
        except FieldError as exc:
            errors[f.path] = f"{f.label} {exc}"
    return _finish(state, page, given, errors)


def parse_json(state: PrinterState, page: ConfigPage, body: Any) -> tuple[Changes, Errors]:
    """A machine's post: a JSON object of ``{path: value}``, any subset of the page's fields.
    A secret given as null is kept (that is what GET returns for it)."""
    if not isinstance(body, dict):
        return [], {FORM_ERROR: "the body must be a JSON object of {state path: value}"}
    errors: Errors = {}
    given: Values = {}
    for path, value in body.items():
        f = page.field(path)
        if f is None:
            errors[str(path)[:120]] = f"not a field of the {page.title} page"
            continue
        if f.secret and value is None:
            continue
        try:
            given[path] = from_json(f, value, state.get(path))
        except FieldError as exc:
            errors[path] = f"{f.label} {exc}"
    return _finish(state, page, given, errors)


class ApplyError(RuntimeError):
    """The state refused a change that validation accepted (a bug); nothing was changed."""


def apply_changes(state: PrinterState, changes: Changes) -> None:
    """Write every change through ``state.set`` or, if one fails, undo those already made."""
    done: list[tuple[str, Any]] = []
    try:
        for path, value in changes:
            old = state.get(path)
            state.set(path, value)
            done.append((path, old))
    except (KeyError, TypeError, ValueError) as exc:  # ValueError: the state's ValueRejected
        for path, old in reversed(done):
            state.set(path, old)
        raise ApplyError(f"state refused {path!r}: {exc}") from exc


# ---------------------------------------------------------------------------------------------
# Read-only page models: status and device information
# ---------------------------------------------------------------------------------------------

#: CSS colours for colorant names (prtMarkerColorantValue); anything else is drawn grey.
COLORANT_CSS = {
    "black": "#262626",
    "cyan": "#00a3e0",
    "magenta": "#d6007e",
    "yellow": "#f2c500",
    "red": "#d62828",
    "green": "#2a9d3a",
    "blue": "#2f5fd0",
    "light cyan": "#7fd6f2",
    "light magenta": "#f28cc6",
    "gray": "#8a8a8a",
    "grey": "#8a8a8a",
    "light gray": "#bdbdbd",
    "photo black": "#111111",
    "matte black": "#333333",
}
NEUTRAL_CSS = "#8c96a3"


def _percent(level: int, capacity: int) -> int | None:
    if level >= 0 and capacity > 0:
        return max(0, min(100, round(100 * level / capacity)))
    return None


def _level_text(level: int, capacity: int, unit: str = "") -> str:
    if level == -3:
        return "some remaining"
    if level == -2:
        return "unknown"
    if level == -1:
        return "other"
    pct = _percent(level, capacity)
    return f"{pct}%" if unit == "percent" or pct is None else f"{level} of {capacity} ({pct}%)"


def _light_state(on: int, off: int) -> str:
    if on <= 0:
        return "off"
    return "on" if off <= 0 else "blinking"


def uptime_seconds(state: PrinterState, monotonic_now: float) -> int:
    return uptime_ticks(state, monotonic_now) // 100


def format_duration(seconds: int) -> str:
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return (
        f"{days}d {hours:02d}:{minutes:02d}:{secs:02d}"
        if days
        else f"{hours:02d}:{minutes:02d}:{secs:02d}"
    )


def status_model(state: PrinterState, monotonic_now: float) -> dict[str, Any]:
    """Everything the status page shows, as JSON-ready values."""
    st = state.status
    colorants = {c.index: c.value for c in state.colorants}
    supplies = []
    for s in state.supplies:
        colorant = colorants.get(s.colorant_index, "") if s.colorant_index else ""
        pct = _percent(s.level, s.max_capacity)
        receptacle = s.supply_class == "receptacleThatIsFilled"
        if pct is None:
            condition = "unknown" if s.level in (-1, -2) else "ok"
        elif receptacle:  # RFC 3805: a receptacle's level is the room left in it
            condition = "full" if s.level == 0 else ("almost full" if pct < s.low_percent else "ok")
        else:
            condition = "empty" if s.level == 0 else ("low" if pct < s.low_percent else "ok")
        supplies.append(
            {
                "index": s.index,
                "description": s.description,
                "type": s.supply_type,
                "class": s.supply_class,
                "colorant": colorant,
                "css_color": COLORANT_CSS.get(colorant.lower(), NEUTRAL_CSS),
                "level": s.level,
                "max_capacity": s.max_capacity,
                "unit": s.unit,
                "percent": pct,
                "level_text": _level_text(s.level, s.max_capacity, s.unit)
                + (" room left" if receptacle and pct is not None else ""),
                "condition": condition,
                "part_number": s.part_number,
            }
        )
    trays = []
    for t in state.input_trays:
        pct = _percent(t.level, t.capacity)
        if not t.present:
            condition = "missing"
        elif t.level == 0:
            condition = "empty"
        elif t.level > 0 and t.level < t.low_threshold:
            condition = "low"
        else:
            condition = "ok"
        trays.append(
            {
                "index": t.index,
                "name": t.name,
                "description": t.description,
                "media": t.media,
                "media_type": t.media_type,
                "media_color": t.media_color,
                "level": t.level,
                "capacity": t.capacity,
                "percent": pct,
                "level_text": _level_text(t.level, t.capacity),
                "present": t.present,
                "condition": condition,
            }
        )
    bins = []
    for o in state.output_trays:
        used = (
            o.capacity - o.remaining_capacity
            if o.capacity >= 0 and o.remaining_capacity >= 0
            else -2
        )
        bins.append(
            {
                "index": o.index,
                "name": o.name,
                "description": o.description,
                "capacity": o.capacity,
                "remaining_capacity": o.remaining_capacity,
                "percent_full": _percent(used, o.capacity),
                "condition": "full" if o.remaining_capacity == 0 else "ok",
            }
        )
    console = state.consoles[0] if state.consoles else None
    counters = {name: getattr(state.counters, name) for name in _fields(state.counters)}
    return {
        "state": st.state,
        "state_reasons": list(st.state_reasons),
        "state_message": st.state_message,
        "accepting_jobs": st.is_accepting_jobs,
        "paused": st.paused,
        "offline": bool(getattr(st, "offline", False)),
        "jammed": bool(getattr(st, "jammed", False)),
        "uptime_seconds": uptime_seconds(state, monotonic_now),
        "uptime_text": format_duration(uptime_seconds(state, monotonic_now)),
        "console": {
            "display": list(console.display_buffer) if console else [],
            "lights": [
                {
                    "index": light.index,
                    "description": light.description,
                    "color": light.color,
                    "state": _light_state(light.on_time, light.off_time),
                }
                for light in (console.lights if console else [])
            ],
        },
        "covers": [
            {"index": c.index, "description": c.description, "status": c.status}
            for c in state.covers
        ],
        "supplies": supplies,
        "input_trays": trays,
        "output_trays": bins,
        "finishers": [
            {
                "index": f.index,
                "type": f.finisher_type,
                "description": f.description,
                "present": f.present,
                "supply": f.supply_description,
                "supply_level_text": _level_text(f.supply_level, f.supply_max_capacity),
            }
            for f in getattr(state, "finishers", [])
        ],
        "counters": counters,
        "media_used": [
            {
                "index": m.index,
                "media": m.media,
                "media_type": m.media_type,
                "total_sheets": m.total_sheets,
                "mono_impressions": m.mono_impressions,
                "color_impressions": m.color_impressions,
            }
            for m in state.media_used
        ],
        "alerts": [
            {
                "index": a.index,
                "severity": a.severity,
                "group": a.group,
                "group_index": a.group_index,
                "code": a.code,
                "description": a.description,
                "training_level": a.training_level,
                "time_ticks": a.time_ticks,
            }
            for a in state.alerts
        ],
        "jobs": {
            "active": sum(1 for j in state.jobs if j.state.startswith(("pending", "processing"))),
        },
    }


def _fields(node: Any) -> list[str]:
    import dataclasses

    return [f.name for f in dataclasses.fields(node)]


def _size(units: int, unit_bytes: int) -> str:
    total = units * unit_bytes
    for suffix, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if total >= scale:
            return f"{total / scale:.1f} {suffix}"
    return f"{total} B"


def info_model(state: PrinterState, monotonic_now: float) -> dict[str, Any]:
    """Everything the device-information page shows, as JSON-ready values."""
    ident, desc = state.identity, state.description
    return {
        "make_and_model": desc.make_and_model or f"{ident.manufacturer} {ident.model}",
        "manufacturer": ident.manufacturer,
        "model": ident.model,
        "serial_number": ident.serial_number,
        "product_class": ident.product_class,
        "firmware_version": ident.software_version,
        "firmware_upload": state.admin.firmware_upload,
        "hardware_version": ident.hardware_version,
        "uuid": ident.uuid,
        "asset_number": ident.asset_number,
        "name": desc.name,
        "location": desc.location,
        "contact_name": desc.contact_name,
        "color_supported": desc.color_supported,
        "pages_per_minute": desc.pages_per_minute,
        "pages_per_minute_color": desc.pages_per_minute_color,
        "document_formats": list(desc.document_formats),
        "uptime_seconds": uptime_seconds(state, monotonic_now),
        "uptime_text": format_duration(uptime_seconds(state, monotonic_now)),
        "boot_count": state.status.boot_count,
        "interfaces": [
            {
                "index": i.index,
                "name": i.name,
                "description": i.description,
                "mac_address": i.mac_address,
                "ipv4_address": i.ipv4_address,
                "subnet_mask": i.subnet_mask,
                "gateway": i.gateway,
                "hostname": i.hostname,
                "dhcp": i.dhcp,
                "speed_mbps": i.speed // 1_000_000,
                "up": i.admin_up and i.oper_up,
            }
            for i in state.interfaces
        ],
        "storage": [
            {
                "index": s.index,
                "type": s.storage_type,
                "description": s.description,
                "size": s.size_units * s.allocation_unit,
                "used": s.used_units * s.allocation_unit,
                "size_text": _size(s.size_units, s.allocation_unit),
                "used_text": _size(s.used_units, s.allocation_unit),
            }
            for s in state.storages
        ],
        "interpreters": [
            {
                "index": p.index,
                "lang_family": p.lang_family,
                "lang_level": p.lang_level,
                "lang_version": p.lang_version,
                "description": p.description,
                "version": p.version,
            }
            for p in state.interpreters
        ],
        "channels": [
            {
                "index": c.index,
                "type": c.channel_type,
                "enabled": c.enabled,
                "information": c.information,
            }
            for c in state.channels
        ],
        "markers": [
            {
                "index": m.index,
                "technology": m.technology,
                "life_count": m.life_count,
                "counter_unit": m.counter_unit,
                "process_colorants": m.process_colorants,
            }
            for m in state.markers
        ],
    }


#: Paths that are write-only (never shown by any page or the state dump).
def secret_paths(state: PrinterState) -> frozenset[str]:
    paths = {"admin.password"}
    for page in config_pages(state).values():
        paths.update(f.path for f in page.fields if f.secret)
    return frozenset(paths)


def state_dump(state: PrinterState) -> Values:
    """The whole state walk as ``{path: value}`` with secrets replaced by None."""
    hidden = secret_paths(state)
    return {
        path: (None if path in hidden else list(v) if isinstance(v, tuple) else v)
        for path, v in state.walk()
    }


__all__ = [
    "FORM_ERROR",
    "ApplyError",
    "ConfigPage",
    "apply_changes",
    "config_pages",
    "info_model",
    "page_values",
    "parse_form",
    "parse_json",
    "state_dump",
    "status_model",
    "time_zones",
]
