"""The TR-069 view of one printer: the generated data model bound to its ``PrinterState``.

A *view*, not a copy: every getter reads the state when asked and every setter writes through
``PrinterState.set`` (so the change event fires and SNMP, IPP and EWS show the new value at
once). The model itself (objects, types, access, notification rules) comes from the generated
DM XML through ``datamodel.loader``; this module only says where each value lives.

This view is also the conformance oracle for the CWMP proxy, so it deliberately does **not**
use ``datamodel/mapping.yaml`` or ``datamodel/conversions.py``: it derives every value from the
state with its own code (a different path from SNMP/IPP/EWS → mapping → DM), and agreement
between the two proves the mapping.

Parameters the state has no value for stay unbound and live in the tree (their TR-106 default
until an ACS writes them); multi-instance objects the state has no rows for are empty.
``coverage()`` counts what is bound.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from printbench.cwmp import params as P
from printbench.cwmp import types as T
from printbench.datamodel import conversions
from printbench.datamodel import loader as L
from printbench.datamodel.certificates import certificate_binding, certificate_table
from printbench.emulator.ipp.attributes import (
    CONTENT_OPTIMIZE,
    HOLD_UNTIL,
    MULTIPLE_DOCUMENT_HANDLING,
    RENDERING_INTENTS,
)
from printbench.emulator.state import ValueRejected
from printbench.emulator.tr069 import diag_view
from printbench.emulator.tr069.time_view import declare_time

PS = "Device.Services.PrintService.{i}."
X = PS + "X_PRINTBENCH-ORG_Settings."
MS = "Device.ManagementServer."
CONF = PS + "Configuration."
ROOT_DATA_MODEL_VERSION = "2.17"

#: Management parameters the Inform must never be asked to add (TR-181 InformParameter rule).
_FORCED = frozenset(
    {
        "Device.RootDataModelVersion",
        "Device.DeviceInfo.HardwareVersion",
        "Device.DeviceInfo.SoftwareVersion",
        "Device.DeviceInfo.ProvisioningCode",
        MS + "ParameterKey",
        MS + "ConnectionRequestURL",
        MS + "AliasBasedAddressing",
    }
)


@dataclass(eq=False)
class PrinterView:
    """The tree's root object: the state plus what only the TR-069 client knows."""

    state: Any  # emulator.state.PrinterState
    clock: Any  # emulator.clock.Clock
    connection_request_url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def uptime(self) -> int:
        return max(0, int(self.clock.monotonic() - self.state.status.boot_monotonic))

    def boot_time(self) -> datetime:
        return self.clock.now() - timedelta(seconds=self.uptime())


# =============================================================================================
# value conversions (state keyword -> PWG SM well-known value), written for this view only
# =============================================================================================


def camel(keyword: str) -> str:
    """An IPP/MIB keyword as a PWG SM well-known value: two-sided-long-edge → TwoSidedLongEdge,
    wasteToner → WasteToner."""
    parts = re.split(r"[-_ ]", keyword)
    return "".join(p[:1].upper() + p[1:] for p in parts if p)


def uncamel(value: str) -> str:
    """TwoSidedLongEdge → two-sided-long-edge (IPP keyword)."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"-\1", value).lower()


def lower_first(value: str) -> str:
    """WasteToner → wasteToner (MIB keyword)."""
    return value[:1].lower() + value[1:]


def level_basis(level: int) -> str:
    return {-1: "Other", -2: "Unknown", -3: "NotEmpty"}.get(level, "Actual")


def vcard(name: str) -> str:
    fn = name.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    fn = fn.replace("\r\n", "\\n").replace("\n", "\\n")
    return f"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:{fn}\r\nEND:VCARD\r\n"


def vcard_name(text: str) -> str:
    if "BEGIN:VCARD" not in text.upper():
        return text
    unfolded = re.sub(r"\r?\n[ \t]", "", text)
    for line in re.split(r"\r?\n", unfolded):
        key, _, value = line.partition(":")
        if key.split(";")[0].upper() == "FN":
            return re.sub(r"\\(.)", lambda mt: "\n" if mt.group(1) in "nN" else mt.group(1), value)
    raise P.ProviderError("OwnerVCard has no FN property", P.FAULT_INVALID_PARAMETER_VALUE)


_STATE = {"idle": "Idle", "processing": "Processing", "stopped": "Stopped"}
_SEVERITY = {"critical": "Critical", "warning": "Warning"}
_ORIENT = {
    "portrait": "Portrait",
    "landscape": "Landscape",
    "reverse-landscape": "ReverseLandscape",
    "reverse-portrait": "ReversePortrait",
}
_FEED = {"portrait": "ShortEdgeFirst", "landscape": "LongEdgeFirst"}
_UNITS = {"dpi": "Dpi", "dpcm": "Dpcm"}
_STORAGE = {"ram": "RAM", "disk": "HardDisk", "flash": "NVRam"}
_BINS = ("Bottom", "Center", "FaceDown", "FaceUp", "LargeCapacity", "Left", "Middle",
         "MyMailbox", "Rear", "Right", "Side", "Top")  # fmt: skip
_COLOR_MODE = {"monochrome": "Monochrome", "color": "Color", "auto": "Auto"}
#: IPP keywords whose SM well-known value is not their CamelCase (PWG 5100.7 print-content-
#: optimize "graphic" is the SM's PrintContentOptimizeWKV "Graphics").
_SM_KEYWORD = {"graphic": "Graphics", "text-and-graphic": "TextAndGraphics"}
_QUALITY = {"draft": "Draft", "normal": "Normal", "high": "High"}


def _inverse(table: dict[str, str], what: str) -> Callable[[str], str]:
    rev = {v: k for k, v in table.items()}

    def conv(value: str) -> str:
        if value not in rev:
            raise P.ProviderError(
                f"{what} {value!r} is not one of {', '.join(rev)}", P.FAULT_INVALID_PARAMETER_VALUE
            )
        return rev[value]

    return conv


def state_value(view: PrinterView) -> str:
    s = view.state.status
    if not s.powered:
        return "Down"
    if s.offline and s.state != "stopped":
        return "Stopped"
    return _STATE.get(s.state, "Unknown")


def ews_url(state: Any) -> str:
    """The printer's EWS home page on its first interface (IPP printer-more-info)."""
    address = state.interfaces[0].ipv4_address if state.interfaces else "127.0.0.1"
    return f"http://{address}:{state.network.http_port}/"


def state_reason(keyword: str) -> str:
    """printer-state-reasons keyword → SM StateReason (severity suffixes dropped)."""
    base = re.sub(r"-(report|warning|error)$", "", keyword)
    return "None" if base == "none" else camel(base)


def subunit_state(view: PrinterView, group: str, index: int, *, missing=False, active=False):
    """SubunitState list from the state: availability, alert severities, on/off line."""
    st = view.state
    out = [
        "UnavailableAndOnRequest"
        if missing
        else ("AvailableAndActive" if active else "AvailableAndIdle")
    ]
    sev = {a.severity for a in st.alerts if a.group == group and a.group_index == index}
    if sev - {"critical"}:
        out.append("WarningAlerts")
    if "critical" in sev:
        out.append("CriticalAlerts")
    offline = st.status.offline or st.status.state == "stopped"
    out.append("Offline" if offline else "Online")
    return out


def _active_tray(view: PrinterView) -> int:
    st = view.state
    if st.status.state != "processing":
        return 0
    trays = [t for t in st.input_trays if t.present]
    for t in trays:
        if t.media == st.defaults.media:
            return t.index
    return trays[0].index if trays else 0


def _alert_time(view: PrinterView, ticks: int) -> datetime:
    return (view.boot_time() + timedelta(seconds=ticks / 100)).astimezone(UTC)


# =============================================================================================
# the binder
# =============================================================================================


Get = Callable[[Any], Any]  # row/view object -> value
Put = Callable[[Any, Any], None]  # (row/view object, python value) -> None
RowPut = tuple[str, str, Callable[[Any], Any] | None]  # ("row", attr, conv): row path + attr
Validate = Callable[[P.NodeContext, str], None]


class _RowAndView:
    """A row getter that also needs the printer's view (alerts' times, subunit states).

    A class rather than a flag on the function, so the binder tells the two kinds of getter
    apart with ``isinstance`` and each is called with the arguments it takes.
    """

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[Any, PrinterView], Any]) -> None:
        self.fn = fn

    def __call__(self, row: Any, view: PrinterView) -> Any:
        return self.fn(row, view)


def _write(view: PrinterView, path: str, value: Any) -> None:
    """Write one state value through ``PrinterState.set`` (the change event fires)."""
    try:
        view.state.set(path, value)
    except ValueRejected as exc:
        # a value another face could not carry (the state's one rule): TR-069 fault 9007
        # Invalid parameter value (TR-069 Amendment 6 Table A.2 / A.5); the tree rolls back
        raise P.ProviderError(
            f"cannot write {path}: {exc.reason}", P.FAULT_INVALID_PARAMETER_VALUE
        ) from None
    except (KeyError, TypeError) as exc:
        raise P.ProviderError(f"cannot write {path}: {exc}", P.FAULT_INTERNAL_ERROR) from None


class _Spec:
    """How one parameter binds: a getter on the context object, an optional state path."""

    __slots__ = ("get", "put", "validate")

    def __init__(
        self,
        get: Get | _RowAndView | None,
        put: Put | RowPut | None = None,
        validate: Validate | None = None,
    ) -> None:
        self.get = get
        self.put = put
        self.validate = validate


def _view_of(nc: P.NodeContext) -> PrinterView:
    return nc.tree.root


def _field(attr: str, conv: Callable[[Any], Any] | None = None) -> Get:
    parts = attr.split(".")

    def get(obj: Any) -> Any:
        v = obj
        for p in parts:
            v = getattr(v, p)
        return conv(v) if conv else v

    return get


class PrinterBinder:
    """``datamodel.loader.Binder`` binding the DM to a ``PrinterView``."""

    def __init__(self) -> None:
        self.specs: dict[str, _Spec] = {}
        self.tables: dict[str, Callable[[Any], Any]] = {}
        self.objects: dict[str, Callable[[Any], Any]] = {}
        _declare(self)

    # -- declaration helpers

    def ro(self, path: str, get: Get | _RowAndView) -> None:
        self.specs[path] = _Spec(get)

    def rw(self, path: str, get: Get, state_path: str, conv: Callable[[Any], Any] | None = None,
           validate: Validate | None = None) -> None:  # fmt: skip
        """Writable parameter of the printer as a whole (context: the view)."""

        def put(view: PrinterView, value: Any) -> None:
            _write(view, state_path, conv(value) if conv else value)

        self.specs[path] = _Spec(get, put, validate)

    def rw_row(self, path: str, attr: str, conv: Callable[[Any], Any] | None = None,
               out: Callable[[Any], Any] | None = None) -> None:  # fmt: skip
        """Writable parameter of a table row (context: the row)."""
        self.specs[path] = _Spec(_field(attr, out), ("row", attr, conv))

    # -- Binder protocol

    def table(self, spec: L.ObjectSpec) -> P.TableProvider | None:
        certificates = certificate_table(spec)  # the CPE runtime's (datamodel.certificates)
        if certificates is not None:
            return certificates
        if spec.path.startswith(diag_view.D.BASE):  # Device.IP.Diagnostics. (diag_view.py)
            return diag_view.table(spec)
        rows = self.tables.get(spec.path)
        if rows is not None:
            return P.MappingTable(rows)
        if spec.path.startswith(PS) or spec.path.startswith(
            ("Device.ManagementServer.ManageableDevice", "Device.ManagementServer.VirtualDevice")
        ):
            return P.MappingTable(lambda obj: {})  # the state has no such rows
        return None

    def object_ctx(self, spec: L.ObjectSpec) -> Callable[[Any], Any] | None:
        return self.objects.get(spec.path)

    def parameter(self, spec: L.ParamSpec) -> L.Binding | None:
        certificate = certificate_binding(spec)
        if certificate is not None:
            return certificate
        if spec.path.startswith(diag_view.D.BASE):  # Device.IP.Diagnostics. (diag_view.py)
            return diag_view.parameter(spec)
        s = self.specs.get(spec.path)
        if s is None:
            return None
        if s.get is None:  # stored in the tree, with a rule
            return L.Binding(validate=s.validate)
        get = s.get
        ptype = spec.type

        def getter(nc: P.NodeContext) -> Any:
            obj = nc.obj if nc.obj is not None else nc.tree.root
            value = get(obj, nc.tree.root) if isinstance(get, _RowAndView) else get(obj)
            return fit(ptype, value)

        setter = None
        if spec.writable and s.put is not None:
            setter = _row_setter(*s.put[1:]) if isinstance(s.put, tuple) else _view_setter(s.put)
        return L.Binding(get=getter, set=setter, validate=s.validate)


def _row_setter(attr: str, conv: Callable[[Any], Any] | None) -> P.Setter:
    """Write a row's column: the state path is the row's own path plus ``attr``."""

    def setter(nc: P.NodeContext, value: Any) -> None:
        row_path = getattr(nc.obj, "_path", "")
        _write(_view_of(nc), row_path + attr, conv(value) if conv else value)

    return setter


def _view_setter(put: Put) -> P.Setter:
    """Write through ``put`` on the printer's view."""

    def setter(nc: P.NodeContext, value: Any) -> None:
        put(_view_of(nc), value)

    return setter


def _rows(table: str, where: Callable[[Any, Any], bool] | None = None) -> Callable[[Any], Any]:
    def rows(parent: Any) -> dict[int, Any]:
        view = parent if isinstance(parent, PrinterView) else None
        state = view.state if view is not None else _state_of(parent)
        out = {}
        for r in getattr(state, table):
            if where is None or where(parent, r):
                out[r.index] = r
        return out

    return rows


def _literals(pt: T.ParamType) -> list[str]:
    out = list(pt.enumerations)
    for step in pt.pattern_steps:
        out += [
            re.sub(r"\\(.)", r"\1", p)
            for p in step
            if not re.search(r"[\\\[\]()*+?{}|^$]", p.replace("\\ ", "").replace("\\-", ""))
        ]
    return out


def _fits(pt: T.ParamType, text: str) -> bool:
    try:
        pt.validate(text)
    except T.ParamTypeError:
        return False
    return True


def fit(pt: T.ParamType, value: Any) -> Any:
    """Make a state value fit the DM type's well-known values.

    Keywords differ only in letter case between the MIB/IPP and the SM now and then
    (unRemovableBin/UnremovableBin, ram/RAM); a value outside the SM's list becomes ``Other``
    where the type has it; list items outside the type are left out.
    """
    if isinstance(value, (list, tuple)):
        item_type = dataclasses.replace(pt, list=None)
        items = [fit(item_type, str(x)) for x in value]
        return ",".join(i for i in items if _fits(item_type, i))
    if not isinstance(value, str) or not (pt.enumerations or pt.pattern_steps):
        return value
    if _fits(pt, value):
        return value
    lits = _literals(pt)
    for lit in lits:
        if lit.lower() == value.lower():
            return lit
    return "Other" if "Other" in lits else value


def _rv(fn: Callable[[Any, PrinterView], Any]) -> _RowAndView:
    """A row getter that also needs the printer's view (alerts' times, subunit states)."""
    return _RowAndView(fn)


def _state_of(row: Any) -> Any:
    return row._root  # an attached state node knows its PrinterState


def _v(fn: Callable[[PrinterView], Any]) -> Get:
    return fn


def _s(fn: Callable[[Any], Any]) -> Get:
    """A getter on the view's state."""
    return lambda view: fn(view.state)


def _declare(b: PrinterBinder) -> None:
    declare_time(b)  # Device.Time. (emulator/tr069/time_view.py)
    ident = lambda f: _s(lambda s: getattr(s.identity, f))  # noqa: E731
    # -- root subset ------------------------------------------------------------------------
    b.ro("Device.RootDataModelVersion", lambda v: ROOT_DATA_MODEL_VERSION)
    d = "Device.DeviceInfo."
    b.ro(d + "Manufacturer", ident("manufacturer"))
    b.ro(d + "ManufacturerOUI", ident("oui"))
    b.ro(d + "ModelName", ident("model"))
    b.ro(
        d + "Description",
        _s(
            lambda s: (
                s.description.make_and_model or f"{s.identity.manufacturer} {s.identity.model}"
            )
        ),
    )
    b.ro(d + "ProductClass", ident("product_class"))
    b.ro(d + "SerialNumber", ident("serial_number"))
    b.ro(d + "HardwareVersion", ident("hardware_version"))
    b.ro(d + "SoftwareVersion", ident("software_version"))
    b.ro(d + "UpTime", lambda v: v.uptime())
    mg = lambda f: _s(lambda s: getattr(s.management, f))  # noqa: E731
    for name, f in (
        ("EnableCWMP", "enabled"),
        ("URL", "acs_url"),
        ("Username", "username"),
        ("PeriodicInformEnable", "periodic_inform_enable"),
        ("PeriodicInformInterval", "periodic_inform_interval"),
        ("ConnectionRequestUsername", "connection_request_username"),
        ("UpgradesManaged", "upgrades_managed"),
        ("DefaultActiveNotificationThrottle", "default_active_notification_throttle"),
        ("CWMPRetryMinimumWaitInterval", "retry_minimum_wait_interval"),
        ("CWMPRetryIntervalMultiplier", "retry_interval_multiplier"),
    ):
        b.rw(MS + name, mg(f), "management." + f)
    # Passwords read as "" (TR-181); the client reads the real ones from the state.
    b.rw(MS + "Password", lambda v: "", "management.password")
    b.rw(MS + "ConnectionRequestPassword", lambda v: "", "management.connection_request_password")
    b.rw(
        MS + "PeriodicInformTime",
        _s(lambda s: s.management.periodic_inform_time),
        "management.periodic_inform_time",
        conv=lambda dt: T.format_datetime(dt) if isinstance(dt, datetime) else str(dt),
    )
    b.ro(MS + "ParameterKey", lambda v: v.extra["tree"].parameter_key)
    b.ro(MS + "ConnectionRequestURL", lambda v: v.connection_request_url)
    # Instance numbers only: cwmp.params does not implement alias-based addressing.
    b.ro(MS + "AliasBasedAddressing", lambda v: False)
    # STUN / UDP Connection Request (TR-069 Annex G): settings in the state, the learned
    # address and NAT flag from the client's UDP agent (view.extra, set by EmbeddedClient).
    for name, f in (
        ("STUNEnable", "stun_enable"),
        ("STUNServerAddress", "stun_server_address"),
        ("STUNServerPort", "stun_server_port"),
        ("STUNUsername", "stun_username"),
        ("STUNMinimumKeepAlivePeriod", "stun_minimum_keepalive_period"),
        ("STUNMaximumKeepAlivePeriod", "stun_maximum_keepalive_period"),
    ):
        b.rw(MS + name, mg(f), "management." + f)
    b.rw(MS + "STUNPassword", lambda v: "", "management.stun_password")  # hidden (TR-181)
    b.ro(MS + "UDPConnectionRequestAddress", lambda v: v.extra.get("udp_cr_address", ""))
    b.ro(MS + "NATDetected", lambda v: bool(v.extra.get("nat_detected", False)))

    def no_forced(nc: P.NodeContext, value: str) -> None:
        if value in _FORCED:
            raise P.ProviderError(
                f"{value} is a forced Inform parameter and is always sent",
                P.FAULT_INVALID_PARAMETER_VALUE,
            )

    b.specs[MS + "InformParameter.{i}.ParameterName"] = _Spec(None, None, no_forced)

    # -- PrintService.{i} ----------------------------------------------------------------------
    b.tables[PS] = lambda obj: {1: obj}  # one print service: the printer
    de = PS + "Description."
    desc = lambda f: _s(lambda s: getattr(s.description, f))  # noqa: E731
    b.ro(de + "ServiceName", desc("name"))
    b.rw(de + "ServiceInfo", desc("info"), "description.info")
    b.rw(de + "ServiceLocation", desc("location"), "description.location")
    b.rw(de + "OwnerVCard", _s(lambda s: vcard(s.description.contact_name)),
         "description.contact_name", conv=vcard_name)  # fmt: skip
    b.ro(de + "MakeAndModel", desc("make_and_model"))
    b.ro(de + "ColorSupported", desc("color_supported"))
    b.ro(de + "PagesPerMinute", desc("pages_per_minute"))
    b.ro(de + "PagesPerMinuteColor", desc("pages_per_minute_color"))
    b.ro(de + "MoreInfoUri", _s(ews_url))  # printer-more-info: the printer's own EWS page
    b.ro(
        de + "DocumentFormatSupported.AllowedValue",
        _s(lambda s: list(s.description.document_formats)),
    )
    b.ro(
        de + "DocumentFormatDefault",
        _s(lambda s: s.description.document_formats[0] if s.description.document_formats else ""),
    )
    b.ro(
        de + "DeviceId",
        _s(
            lambda s: (
                f"MFG:{s.identity.manufacturer};MDL:{s.identity.model};CMD:{','.join(_pdl(f) for f in s.description.document_formats)};"
            )
        ),
    )
    b.ro(de + "NaturalLanguageConfigured", lambda v: "en")
    b.ro(de + "CharsetConfigured", lambda v: "utf-8")
    b.ro(de + "MoreInfoManufacturerUri", desc("more_info_url"))

    stp = PS + "Status."
    b.ro(stp + "SerialNumber", ident("serial_number"))
    b.ro(stp + "State", state_value)
    b.ro(stp + "UpTime", lambda v: v.uptime())
    b.ro(stp + "CurrentTime", lambda v: v.clock.now())
    b.ro(stp + "CreateDate", lambda v: v.boot_time())
    b.ro(stp + "IsAcceptingJobs", _s(lambda s: s.status.is_accepting_jobs))
    b.ro(
        stp + "ServiceUuid", _s(lambda s: f"urn:uuid:{s.identity.uuid}" if s.identity.uuid else "")
    )
    b.ro(
        stp + "StateReasons.StateReason",
        _s(lambda s: [state_reason(r) for r in s.status.state_reasons]),
    )
    b.ro(
        stp + "StateMessages.ObjectStateMessage",
        _s(lambda s: [s.status.state_message] if s.status.state_message else []),
    )
    b.ro(stp + "ImpressionsCompleted", _s(lambda s: s.counters.total_impressions))
    b.ro(
        stp + "QueuedJobCount",
        _s(
            lambda s: sum(
                1
                for j in s.jobs
                if j.state in ("pending", "pending-held", "processing", "processing-stopped")
            )
        ),
    )
    wt = stp + "Counters.WorkTotals."
    cnt = lambda f: _s(lambda s: getattr(s.counters, f))  # noqa: E731
    b.ro(wt + "Impressions", cnt("total_impressions"))
    b.ro(wt + "MonochromeImpressions", cnt("mono_impressions"))
    b.ro(wt + "FullColorImpressions", cnt("color_impressions"))
    b.ro(wt + "ImpressionsTwoSided", _s(lambda s: str(s.counters.two_sided_sheets)))
    mon = stp + "Counters.Monitoring."
    b.ro(mon + "ConfigChanges", _s(lambda s: s.status.config_changes))
    # a running count of alerts ever raised (PWG 5106.1 icMonitorTotalAlerts, RFC 3805
    # prtAlertAllEvents), not the alerts still in the table
    b.ro(mon + "TotalAlerts", _s(lambda s: s.next_alert_index - 1))
    b.ro(
        mon + "CriticalAlerts",
        _s(
            lambda s: max(
                s.critical_alert_count, sum(1 for a in s.alerts if a.severity == "critical")
            )
        ),
    )
    b.ro(mon + "CompletedJobs", cnt("completed_jobs"))
    b.ro(mon + "AbortedJobs", cnt("aborted_jobs"))
    b.ro(mon + "CanceledJobs", cnt("canceled_jobs"))
    mu = stp + "Counters.MediasUsed.MediaUsed.{i}."
    b.tables[mu] = _rows("media_used")
    b.ro(mu + "MediaUsedMediaSizeName", _field("media"))
    b.ro(mu + "MediaUsedTotalSheets", _field("total_sheets"))
    b.ro(mu + "MediaUsedMonochromeSheets", _field("mono_impressions"))
    b.ro(mu + "MediaUsedFullColorSheets", _field("color_impressions"))
    b.ro(mu + "MediaUsedMediaInfo", _field("media_type"))
    dc = stp + "ConditionTable.ActiveConditions.DeviceCondition.{i}."
    b.tables[dc] = _rows("alerts")
    b.ro(dc + "ConditionId", _field("index"))
    # Named as the proxy names them (datamodel.conversions), so both paths agree and the
    # values fit the model's patterns: "jam" is MediaJam, group "markerSupplies" is Marker.
    b.ro(dc + "Name", _field("code", _condition_name))
    b.ro(dc + "Severity", _field("severity", lambda s: _SEVERITY.get(s, "Informational")))
    b.ro(dc + "Component.Group", _field("group", _condition_group))
    b.ro(dc + "Component.Name", _field("description"))
    b.ro(dc + "Time", _rv(lambda row, v: _alert_time(v, row.time_ticks)))

    # -- Configuration subunits -------------------------------------------------------------
    co = CONF + "Consoles.Console.{i}."
    b.tables[co] = _rows("consoles")
    cd = co + "ConsoleDescription."
    b.ro(cd + "Description", _field("description"))
    b.ro(cd + "ConsoleNumberOfDisplayChars", _field("display_chars"))
    b.ro(cd + "ConsoleNumberOfDisplayLines", _field("display_lines"))
    b.ro(cd + "ConsoleDisable", _field("disabled"))
    b.rw_row(cd + "ConsoleNaturalLanguage", "language")
    b.ro(cd + "ConsoleDisplayBuffer.ConsoleDisplayText", _field("display_buffer", list))
    b.ro(co + "ConsoleStatus.Id", _field("index"))

    cv = CONF + "Covers.Cover.{i}."
    b.tables[cv] = _rows("covers")
    b.ro(cv + "CoverDescription.Description", _field("description"))
    b.ro(cv + "CoverStatus.CoverIsOpen", _field("status", lambda s: s in ("open", "interlockOpen")))
    b.ro(cv + "CoverStatus.Id", _field("index"))

    it = CONF + "InputTrays.InputTray.{i}."
    b.tables[it] = _rows("input_trays")
    itd, its = it + "InputTrayDescription.", it + "InputTrayStatus."
    b.ro(itd + "Description", _field("description"))
    b.rw_row(itd + "InputTrayName", "name")
    b.ro(itd + "InputTrayCurrentLevel", lambda r: r.level if r.present else 0)
    b.ro(
        itd + "InputTrayCurrentLevelBasis",
        lambda r: level_basis(r.level) if r.present else "Actual",
    )
    b.ro(itd + "InputTrayMaxCapacity", _field("capacity"))
    b.ro(itd + "InputTrayMaxCapacityBasis", _field("capacity", level_basis))
    b.rw_row(itd + "InputTrayMediaSizeName", "media")
    b.rw_row(itd + "InputTrayMediaType", "media_type")
    b.ro(itd + "InputTrayMediaColor", _field("media_color"))
    b.ro(itd + "InputTrayMediaWeightMetric", _field("media_weight"))
    b.ro(its + "Id", _field("index"))
    b.ro(its + "InputTrayType", _field("tray_type", camel))
    b.ro(its + "InputTrayCapacityUnit", lambda r: "Sheets")
    b.ro(its + "SubunitStates.SubunitState",
         _rv(lambda r, v: subunit_state(v, "input", r.index, missing=not r.present,
                                        active=r.index == _active_tray(v))))  # fmt: skip

    ot = CONF + "OutputTrays.OutputTray.{i}."
    b.tables[ot] = _rows("output_trays")
    otd, ots = ot + "OutputTrayDescription.", ot + "OutputTrayStatus."
    b.ro(otd + "Description", _field("description"))
    b.rw_row(otd + "OutputTrayName", "name")
    b.ro(otd + "OutputTrayMaxCapacity", _field("capacity"))
    b.ro(otd + "OutputTrayMaxCapacityBasis", _field("capacity", level_basis))
    b.ro(otd + "OutputTrayRemainingCapacity", _field("remaining_capacity"))
    b.ro(otd + "OutputTrayRemainingCapacityBasis", _field("remaining_capacity", level_basis))
    b.ro(otd + "OutputTrayStackingOrder", _field("stacking_order", camel))
    b.ro(otd + "OutputTrayPageDeliveryOrientation", _field("page_delivery", camel))
    b.ro(ots + "Id", _field("index"))
    b.ro(ots + "OutputTrayType", _field("tray_type", camel))
    b.ro(ots + "OutputTrayCapacityUnit", lambda r: "Sheets")
    b.ro(ots + "SubunitStates.SubunitState", _rv(lambda r, v: subunit_state(v, "output", r.index)))

    mk = CONF + "Markers.Marker.{i}."
    b.tables[mk] = _rows("markers")
    mks = mk + "MarkerStatus."
    b.ro(mks + "Id", _field("index"))
    b.ro(mks + "MarkerCounterLife", _field("life_count"))
    b.ro(mks + "MarkerCounterPowerOn", _field("power_on_count"))
    b.ro(mks + "MarkerCounterUnit", _field("counter_unit", camel))
    b.ro(mks + "MarkerProcessColorants", _field("process_colorants"))
    b.ro(mks + "MarkerSpotColorants", _field("spot_colorants"))
    b.ro(mks + "MarkerTechnology", _field("technology", camel))
    mc = mk + "MarkerColorants.MarkerColorant.{i}."
    b.tables[mc] = _rows("colorants", lambda marker, c: c.marker_index == marker.index)
    b.ro(mc + "MarkerColorantStatus.MarkerColorantName", _field("value"))
    b.ro(mc + "MarkerColorantStatus.MarkerColorantRole", _field("role", camel))
    b.ro(mc + "MarkerColorantStatus.MarkerColorantTonality", _field("tonality"))
    ms_ = mk + "MarkerSupplies.MarkerSupply.{i}."
    b.tables[ms_] = _rows("supplies", lambda marker, s: s.marker_index == marker.index)
    msd, mss = ms_ + "MarkerSupplyDescription.", ms_ + "MarkerSupplyStatus."
    b.ro(msd + "MarkerSupplyCurrentLevel", _field("level"))
    b.ro(msd + "MarkerSupplyCurrentLevelBasis", _field("level", level_basis))
    b.ro(msd + "MarkerSupplyMaxCapacity", _field("max_capacity"))
    b.ro(msd + "MarkerSupplyMaxCapacityBasis", _field("max_capacity", level_basis))
    b.ro(mss + "Id", _field("index"))
    b.ro(mss + "MarkerSupplyType", _field("supply_type", camel))
    b.ro(mss + "MarkerSupplyClass", _field("supply_class", camel))
    b.ro(mss + "MarkerSupplyInfo", _field("description"))
    b.ro(mss + "MarkerSupplyColorantId", _field("colorant_index"))
    b.ro(mss + "MarkerSupplyCapacityUnit", _field("unit", camel))

    mp = CONF + "MediaPaths.MediaPath.{i}."
    b.tables[mp] = _rows("media_paths")
    b.ro(mp + "MediaPathDescription.Description", _field("description"))
    b.ro(mp + "MediaPathStatus.Id", _field("index"))
    b.ro(mp + "MediaPathStatus.MediaPathType", _field("path_type", camel))
    b.ro(mp + "MediaPathStatus.MediaPathMaxSpeed", _field("max_speed", lambda v: v * 60))
    b.ro(mp + "MediaPathStatus.MediaPathMaxSpeedUnit", lambda r: "ImpressionsPerHour")

    nf = CONF + "Interfaces.Interface.{i}."
    b.tables[nf] = _rows("interfaces")
    nfs = nf + "InterfaceStatus."
    b.ro(nf + "InterfaceDescription.Description", _field("description"))
    b.ro(nf + "InterfaceDescription.InterfaceName", _field("name"))
    b.ro(nfs + "Id", _field("index"))
    b.ro(nfs + "InterfacePhysicalAddress", _field("mac_address", lambda v: v.lower()))
    b.ro(nfs + "InterfaceSpeed", _field("speed", lambda v: min(v, 2147483647)))
    b.ro(nfs + "InterfaceHighSpeed", _field("speed", lambda v: v // 1_000_000))
    b.ro(nfs + "InterfaceMaxPacketSize", _field("mtu"))
    b.ro(nfs + "InterfaceInOctets", _field("in_octets"))
    b.ro(nfs + "InterfaceOutOctets", _field("out_octets"))
    b.ro(nfs + "InterfaceType", _field("if_type", str))
    b.ro(nfs + "InterfaceOperState", _field("oper_up", lambda up: "Up" if up else "Down"))
    b.rw_row(nfs + "InterfaceAdminState", "admin_up",
             conv=lambda v: _admin(v), out=lambda up: "Up" if up else "Down")  # fmt: skip

    ip = CONF + "Interpreters.Interpreter.{i}."
    b.tables[ip] = _rows("interpreters")
    b.ro(ip + "InterpreterDescription.Description", _field("description"))
    b.ro(
        ip + "InterpreterDescription.InterpreterDefaultOrientation",
        _field("default_orientation", camel),
    )
    b.ro(ip + "InterpreterStatus.Id", _field("index"))
    b.ro(ip + "InterpreterStatus.InterpreterLanguageFamily", _field("lang_family", camel))
    b.ro(ip + "InterpreterStatus.InterpreterLanguageLevel", _field("lang_level"))
    b.ro(ip + "InterpreterStatus.InterpreterLanguageVersion", _field("lang_version"))
    b.ro(ip + "InterpreterStatus.InterpreterVersion", _field("version"))

    ic = CONF + "InputChannels.InputChannel.{i}."
    b.tables[ic] = _rows("channels")
    b.ro(ic + "InputChannelDescription.Description", _field("information"))
    b.ro(ic + "InputChannelDescription.InputChannelIsAcceptingJobs", _field("enabled"))
    b.ro(ic + "InputChannelStatus.Id", _field("index"))
    b.ro(
        ic + "InputChannelStatus.InputChannelType",
        _field("channel_type", lambda v: camel(v.removeprefix("ch"))),
    )
    b.ro(ic + "InputChannelStatus.InputChannelProtocolVersion", _field("protocol_version"))

    sg = CONF + "Storages.Storage.{i}."
    b.tables[sg] = _rows("storages")
    b.ro(sg + "StorageDescription.Description", _field("description"))
    b.ro(sg + "StorageDescription.StorageName", _field("description"))
    b.ro(sg + "StorageStatus.Id", _field("index"))
    b.ro(sg + "StorageStatus.StorageSize", lambda r: r.size_units * r.allocation_unit // 1024)
    b.ro(
        sg + "StorageStatus.StorageFree",
        lambda r: (r.size_units - r.used_units) * r.allocation_unit // 1024,
    )
    b.ro(
        sg + "StorageStatus.StorageType",
        _field("storage_type", lambda v: _STORAGE.get(v, camel(v))),
    )

    pr = CONF + "Processors.Processor.{i}."
    b.tables[pr] = _rows("processors")
    b.ro(pr + "ProcessorDescription.Description", _field("description"))
    b.ro(pr + "ProcessorStatus.Id", _field("index"))
    b.ro(pr + "ProcessorStatus.ProcessorLoad", _field("load_percent"))

    fi = CONF + "Finishers.Finisher.{i}."
    b.tables[fi] = _rows("finishers")
    b.ro(fi + "FinisherDescription.Description", _field("description"))
    b.ro(fi + "FinisherDescription.FinisherMaxCapacity", _field("capacity"))
    b.ro(fi + "FinisherDescription.FinisherMaxCapacityBasis", _field("capacity", level_basis))
    b.ro(fi + "FinisherDescription.FinisherCurrentCapacity", _field("remaining_capacity"))
    b.ro(
        fi + "FinisherDescription.FinisherCurrentCapacityBasis",
        _field("remaining_capacity", level_basis),
    )
    b.ro(fi + "FinisherStatus.Id", _field("index"))
    b.ro(fi + "FinisherStatus.FinisherType", _field("finisher_type", camel))
    b.ro(
        fi + "FinisherStatus.FinisherPresentOnOff",
        _field("present", lambda p: "On" if p else "Off"),
    )
    b.ro(fi + "FinisherStatus.FinisherCapacityUnit", lambda r: "Sheets")

    # -- Defaults -------------------------------------------------------------------------------
    dp = PS + "Defaults.DefaultPrintJobTicket.PrintDocumentProcessing."

    def dfl(f, conv=None):
        return _s(lambda s: conv(getattr(s.defaults, f)) if conv else getattr(s.defaults, f))

    b.rw(dp + "Copies", dfl("copies"), "defaults.copies")
    b.rw(dp + "Sides", dfl("sides", camel), "defaults.sides", conv=uncamel)
    b.rw(dp + "OrientationRequested", dfl("orientation", lambda v: _ORIENT.get(v, camel(v))),
         "defaults.orientation", conv=_inverse(_ORIENT, "OrientationRequested"))  # fmt: skip
    b.rw(dp + "FeedOrientation", dfl("orientation", lambda v: _FEED.get(v, "ShortEdgeFirst")),
         "defaults.orientation", conv=_inverse(_FEED, "FeedOrientation"))  # fmt: skip
    b.rw(dp + "Resolution.CrossFeedDir", dfl("resolution_x"), "defaults.resolution_x")
    b.rw(dp + "Resolution.FeedDir", dfl("resolution_y"), "defaults.resolution_y")
    b.rw(dp + "Resolution.Units", dfl("resolution_units", lambda v: _UNITS.get(v, camel(v))),
         "defaults.resolution_units", conv=_inverse(_UNITS, "Units"))  # fmt: skip
    b.rw(dp + "Media", dfl("media"), "defaults.media")
    b.rw(dp + "PrintColorMode", dfl("color_mode", lambda v: _COLOR_MODE.get(v, camel(v))),
         "defaults.color_mode", conv=_inverse(_COLOR_MODE, "PrintColorMode"))  # fmt: skip
    b.rw(dp + "Quality", dfl("print_quality", lambda v: _QUALITY.get(v, camel(v))),
         "defaults.print_quality", conv=_inverse(_QUALITY, "Quality"))  # fmt: skip
    b.rw(dp + "OutputBin", dfl("output_bin", _bin_out), "defaults.output_bin", conv=_bin_in)
    b.rw(dp + "Finishings.Finishing", dfl("finishings", lambda v: [camel(f) for f in v]),
         "defaults.finishings", conv=lambda v: tuple(uncamel(f) for f in v))  # fmt: skip
    # The defaults IPP also answers (xxx-default); the values offered are IPP's xxx-supported,
    # so a write of a value the printer does not support is refused (9007), not stored.
    offered: tuple[str, ...]
    for name, attr, offered in (
        ("PrintContentOptimize", "print_content_optimize", CONTENT_OPTIMIZE),
        ("PrintRenderingIntent", "print_rendering_intent", RENDERING_INTENTS),
    ):
        table = {k: _SM_KEYWORD.get(k, camel(k)) for k in offered}
        b.rw(dp + name, dfl(attr, table.__getitem__), f"defaults.{attr}",
             conv=_inverse(table, name))  # fmt: skip
    pj = PS + "Defaults.DefaultPrintJobTicket.PrintJobProcessing."
    b.rw(pj + "JobPriority", dfl("job_priority"), "defaults.job_priority")
    for name, attr, offered in (
        ("JobHoldUntil", "job_hold_until", HOLD_UNTIL),
        ("MultipleDocumentsHandling", "multiple_document_handling", MULTIPLE_DOCUMENT_HANDLING),
    ):
        table = {k: camel(k) for k in offered}
        b.rw(pj + name, dfl(attr, table.__getitem__), f"defaults.{attr}",
             conv=_inverse(table, name))  # fmt: skip

    # -- vendor settings (what the EWS configures) ----------------------------------------------
    for name, path in _SETTINGS.items():
        conv = tuple if name in _LIST_SETTINGS else None
        b.rw(X + name, _s(_field(path, _listish)), path, conv=conv)  # path: "section.attr"
    for name, attr in _TCPIP.items():
        b.rw(X + "TCPIP." + name, _first_interface(attr), f"interfaces.1.{attr}")
    # -- XMPP connection requests (TR-069 Annex K): Device.XMPP., ManagementServer.ConnReq* -----
    from printbench.emulator.tr069 import view_xmpp

    view_xmpp.declare(b)


def _condition_name(code: str) -> str:
    try:
        return conversions.alert_code_keyword(code)
    except conversions.ConversionError:
        return "Other"


def _condition_group(group: str) -> str:
    try:
        return conversions.alert_group_keyword(group)
    except conversions.ConversionError:
        return "PrtAlertGroupTC:other"


def _first_interface(attr: str) -> Get:
    """Getter of ``attr`` of the printer's first network interface."""
    return _s(lambda s: getattr(s.interfaces[0], attr))


def _bin_out(keyword: str) -> str:
    """IPP output-bin keyword → OutputBin; keywords the SM lacks (stacker-1) as ``ipp:…``."""
    value = camel(keyword)
    return value if value in _BINS else f"ipp:{keyword}"


def _bin_in(value: str) -> str:
    return value[4:] if value.startswith("ipp:") else uncamel(value)


def _listish(v: Any) -> Any:
    return list(v) if isinstance(v, tuple) else v


def _admin(value: str) -> bool:
    if value not in ("Up", "Down"):
        raise P.ProviderError(f"InterfaceAdminState {value!r}: only Up and Down can be set", 9007)
    return value == "Up"


def _pdl(mime: str) -> str:
    return {"application/pdf": "PDF", "application/postscript": "POSTSCRIPT",
            "image/pwg-raster": "PWGRASTER", "application/vnd.hp-pcl": "PCL",
            "image/urf": "URF"}.get(mime, mime.rsplit("/", 1)[-1].upper())  # fmt: skip


_SETTINGS = {
    "Network.DNSServers": "network.dns_servers",
    "Network.DNSDomain": "network.dns_domain",
    "Network.WINSEnable": "network.wins_enabled",
    "Network.WINSServer": "network.wins_server",
    "Network.FTPEnable": "network.ftp_enabled",
    "Network.HTTPEnable": "network.http_enabled",
    "Network.HTTPSOnly": "network.https_only",
    "Network.LPDEnable": "network.lpd_enabled",
    "Network.Port9100Enable": "network.port9100_enabled",
    "Network.IPPEnable": "network.ipp_enabled",
    "SMTP.Server": "network.smtp_server",
    "SMTP.Port": "network.smtp_port",
    "SMTP.From": "network.smtp_from",
    "SMTP.AuthEnable": "network.smtp_auth",
    "SNMP.V1V2cEnable": "snmp.v1v2c_enabled",
    "SNMP.V3Enable": "snmp.v3_enabled",
    "SNMP.ReadCommunity": "snmp.read_community",
    "SNMP.WriteCommunity": "snmp.write_community",
    "SNMP.TrapDestinations": "snmp.trap_destinations",
    "SNMP.TrapCommunity": "snmp.trap_community",
    "Time.NTPEnable": "time.ntp_enabled",
    "Time.NTPServer": "time.ntp_server",
    "Time.TimeZone": "time.time_zone",
    "EmailAlerts.Enable": "email_alerts.enabled",
    "EmailAlerts.Recipients": "email_alerts.recipients",
    "EmailAlerts.Events": "email_alerts.events",
    "Finishing.BannerPage": "finishing.banner_page",
    "Finishing.SeparatorSheets": "finishing.separator_sheets",
    "Finishing.Collate": "finishing.collate",
    "Finishing.SkipBlankPages": "finishing.skip_blank_pages",
    "Finishing.ResourceSave": "finishing.resource_save",
    "PrintSettings.PCLFont": "print_settings.pcl_font",
    "PrintSettings.PCLFontPitch": "print_settings.pcl_font_pitch",
    "PrintSettings.PCLSymbolSet": "print_settings.pcl_symbol_set",
    "PrintSettings.PCLLinesPerPage": "print_settings.pcl_lines_per_page",
    "PrintSettings.DraftMode": "print_settings.draft_mode",
    "PrintSettings.PSErrorReport": "print_settings.ps_error_report",
    "PrintSettings.PSJobTimeout": "print_settings.ps_job_timeout",
    "PrintSettings.PSPaperSelect": "print_settings.ps_paper_select",
    "PrintSettings.Darkness": "print_settings.darkness",
    "PrintSettings.TonerSave": "print_settings.toner_save",
    "PrintSettings.ErrorAlarm": "print_settings.error_alarm",
    "PrintSettings.TonerAlarm": "print_settings.toner_alarm",
}
_LIST_SETTINGS = {"Network.DNSServers", "SNMP.TrapDestinations", "EmailAlerts.Recipients",
                  "EmailAlerts.Events"}  # fmt: skip
_TCPIP = {
    "DHCPEnable": "dhcp",
    "IPv4Address": "ipv4_address",
    "SubnetMask": "subnet_mask",
    "DefaultGateway": "gateway",
    "HostName": "hostname",
}


# =============================================================================================
# building the model and a tree
# =============================================================================================


@cache
def printer_model() -> tuple[P.DataModel, int]:
    """The shared DataModel (built once per process) and the number of bound parameters."""
    binder = PrinterBinder()
    spec = L.load_spec()
    model = L.build_data_model(spec, binder)
    bound = sum(1 for p in spec.params if p in binder.specs and binder.specs[p].get is not None)
    return model, bound


def coverage() -> dict[str, int]:
    """How much of the model the view serves from the state."""
    binder = PrinterBinder()
    spec = L.load_spec()
    bound = [p for p in spec.params if p in binder.specs and binder.specs[p].get is not None]
    counted = [p for p in spec.params if p.endswith("NumberOfEntries")]
    return {
        "parameters": len(spec.params),
        "bound": len(bound),
        "row_counts": len(counted),
        "writable_bound": sum(
            1 for p in bound if spec.params[p].writable and binder.specs[p].put is not None
        ),
        "tables_bound": len(binder.tables),
        "missing_declared": len([p for p in binder.specs if p not in spec.params]),
    }


def printer_tree(state: Any, clock: Any, **options: Any) -> tuple[P.ParameterTree, PrinterView]:
    """A ``ParameterTree`` serving ``state`` (plus the view it is rooted at)."""
    model, _ = printer_model()
    view = PrinterView(state, clock)
    options.setdefault("strict_xsi_type", False)
    tree = P.ParameterTree(model, view, **options)
    view.extra["tree"] = tree
    return tree, view
