"""The printer's MIB view: device state → sorted OID table, and SET validation/apply. No I/O.

One :class:`MibDevice` wraps one :class:`~emulator.state.PrinterState` (plus its clock and
behaviour engine). It answers GET / GETNEXT lookups from a sorted table of
``(OID tuple, (tag, value))`` built from the state *on demand* and cached until the state
emits a change event (the table holds plain ints/bytes/tuples; the three time-dependent
objects, sysUpTime, hrSystemUptime and hrSystemDate, are computed at lookup time). An idle
device that nobody queries holds no table at all; :meth:`MibDevice.drop_cache` lets an agent
bound the number of live tables across thousands of devices.

SET follows RFC 3416 §4.2.5 step by step, for all variable bindings before any is applied
(all-or-nothing), and applies accepted values through the state, so every other face (IPP,
EWS, TR-069) sees them and change events fire.

Objects served (see docs/snmp.md for the full table): SNMPv2-MIB system group, IF-MIB
ifNumber/ifTable/ifXTable ifName, HOST-RESOURCES-MIB (system, storage, device, processor,
network, printer), Printer-MIB RFC 3805 (general, storage/device refs, cover, localization,
input, output, marker, supplies, colorant, media path, channel, interpreter, console
display buffer and lights, alerts) and the PWG-IMAGING-COUNTER-MIB rows that carry the
PWG 5106.1 counters of the state.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pysnmp.proto import rfc1905

from printbench.emulator import state as st
from printbench.emulator.snmp import enums as en
from printbench.emulator.snmp import recording as rec
from printbench.snmp import ber
from printbench.snmp.ber import (
    COUNTER32,
    GAUGE32,
    INTEGER,
    OBJECT_IDENTIFIER,
    OCTET_STRING,
    TIMETICKS,
    Value,
)

OID = tuple[int, ...]

# -- OID roots --------------------------------------------------------------------------------
MIB2 = (1, 3, 6, 1, 2, 1)
SYSTEM = (*MIB2, 1)
IF_NUMBER = (*MIB2, 2, 1)
IF_ENTRY = (*MIB2, 2, 2, 1)
IFX_ENTRY = (*MIB2, 31, 1, 1, 1)
HR = (*MIB2, 25)
PRT = (*MIB2, 43)
PRT_GENERAL_ENTRY = (*PRT, 5, 1, 1)
PRT_INPUT_ENTRY = (*PRT, 8, 2, 1)
PRT_ALERT_ENTRY = (*PRT, 18, 1, 1)
PRT_SUPPLIES_ENTRY = (*PRT, 11, 1, 1)
PRT_MARKER_ENTRY = (*PRT, 10, 2, 1)
PRT_CONSOLE_BUFFER_ENTRY = (*PRT, 16, 5, 1)
IC = (1, 3, 6, 1, 4, 1, 2699, 1, 3, 1)  # PWG-IMAGING-COUNTER-MIB icMIBObjects

SYS_UPTIME_0 = (*SYSTEM, 3, 0)
SNMP_TRAP_OID_0 = (1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0)
PRINTER_V2_ALERT_TRAP = (*PRT, 18, 2, 0, 1)

#: hrDeviceIndex of the printer: every Printer-MIB table is indexed by it first.
PRINTER_DEVICE_INDEX = 1

#: prtLocalizationTable rows: (language, country). Row 1 is what descriptions are written in.
LOCALIZATIONS: tuple[tuple[str, str], ...] = (
    ("en", "US"),
    ("fr", "FR"),
    ("de", "DE"),
    ("es", "ES"),
    ("it", "IT"),
    ("ja", "JP"),
)

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1

#: Objects whose value the state owns while the printer runs (levels, counters, status,
#: identity, what SET writes): for these the state's value is served even where an imported
#: recording has a row, so every face shows the same truth. Every other recorded row (units,
#: dimensions, names, vendor-private objects, ...) is served as recorded.
LIVE_OBJECTS: frozenset[OID] = frozenset(
    {
        *((*SYSTEM, n) for n in (3, 4, 5, 6)),  # sysUpTime sysContact sysName sysLocation
        *((*IF_ENTRY, n) for n in (6, 7, 8, 10, 16)),  # ifPhysAddress status octets
        (*HR, 1, 1),  # hrSystemUptime
        (*HR, 1, 2),  # hrSystemDate
        (*HR, 3, 2, 1, 5),  # hrDeviceStatus
        (*HR, 3, 3, 1, 2),  # hrProcessorLoad
        (*HR, 3, 5, 1, 1),  # hrPrinterStatus
        (*HR, 3, 5, 1, 2),  # hrPrinterDetectedErrorState
        # config changes, reset, operator, service person, console language / disable,
        # name, serial, alert counts (an import seeds them from the recording)
        *((*PRT_GENERAL_ENTRY, n) for n in (1, 3, 4, 5, 10, 13, 16, 17, 18, 19)),
        (*PRT, 6, 1, 1, 3),  # prtCoverStatus
        *((*PRT_INPUT_ENTRY, n) for n in (9, 10, 11, 12)),  # capacity level status media
        *((*PRT, 9, 2, 1, n) for n in (4, 5, 6)),  # output capacity remaining status
        *((*PRT_MARKER_ENTRY, n) for n in (4, 5, 15)),  # life / power-on counts, status
        *((*PRT_SUPPLIES_ENTRY, n) for n in (8, 9)),  # max capacity, level
        (*PRT, 13, 4, 1, 11),  # prtMediaPathStatus
        (*PRT, 14, 1, 1, 6),  # prtChannelState
        (*PRT_CONSOLE_BUFFER_ENTRY, 2),  # prtConsoleDisplayBufferText
        *((*PRT, 17, 6, 1, n) for n in (2, 3, 4)),  # console lights: the engine drives them
        PRT_ALERT_ENTRY,  # the alert table is the state's alerts
        IC,  # PWG imaging counters: the state's counters
    }
)
#: Tables the state owns whole: a recorded row there (an alert the printer had then) is not
#: served, the state's rows are (the conditions the imported printer derives now).
LIVE_TABLES: tuple[OID, ...] = (PRT_ALERT_ENTRY, PRT_CONSOLE_BUFFER_ENTRY, IC)
_HR_DEVICE_ENTRY = (*HR, 3, 2, 1)


def is_live(oid: OID) -> bool:
    """Whether ``oid`` (an instance) is an object the state owns (:data:`LIVE_OBJECTS`)."""
    return any(oid[:k] in LIVE_OBJECTS for k in range(len(oid) - 1, 6, -1))


_PARSED: dict[int, tuple[tuple[str, ...], list[tuple[OID, Value]]]] = {}


def recorded_rows(rows: tuple[str, ...]) -> list[tuple[OID, Value]]:
    """The recorded rows parsed, without the live tables' (validated with the profile; cached
    per row tuple, by identity: the table is rebuilt after every state change)."""
    hit = _PARSED.get(id(rows))
    if hit is not None and hit[0] is rows:
        return hit[1]
    if len(_PARSED) > 4096:
        _PARSED.clear()
    parsed = [
        (oid, value)
        for oid, value in map(rec.parse_row, rows)
        if not any(oid[: len(t)] == t for t in LIVE_TABLES)
    ]
    _PARSED[id(rows)] = (rows, parsed)
    return parsed


def _i(v: int) -> Value:
    return (INTEGER, max(INT32_MIN, min(INT32_MAX, int(v))))


def _s(v: str | bytes, limit: int = 255) -> Value:
    raw = v if isinstance(v, bytes) else v.encode("utf-8")
    return (OCTET_STRING, raw[:limit])


def _c32(v: int) -> Value:
    return (COUNTER32, int(v) & 0xFFFFFFFF)


def _g32(v: int) -> Value:
    return (GAUGE32, max(0, min(0xFFFFFFFF, int(v))))


def _oid(v: OID) -> Value:
    return (OBJECT_IDENTIFIER, v)


def _tt(v: int) -> Value:
    return (TIMETICKS, int(v) & 0xFFFFFFFF)


def parse_dotted(text: str) -> OID:
    try:
        oid = tuple(int(p) for p in text.strip().lstrip(".").split("."))
    except ValueError:
        raise ValueError(f"not a dotted OID: {text!r}") from None
    if len(oid) < 2:
        raise ValueError(f"OID too short: {text!r}")
    return oid


def _mac_bytes(mac: str) -> bytes:
    hexdigits = "".join(c for c in mac if c in "0123456789abcdefABCDEF")
    try:
        return bytes.fromhex(hexdigits) if len(hexdigits) == 12 else b""
    except ValueError:
        return b""


def _reason_base(reason: str) -> str:
    for suffix in ("-report", "-warning", "-error"):
        if reason.endswith(suffix):
            return reason[: -len(suffix)]
    return reason


# -- derived status ---------------------------------------------------------------------------


def detected_error_names(state: st.PrinterState) -> set[str]:
    """The hrPrinterDetectedErrorState conditions that hold now (RFC 2790 names).

    Derived from what the behaviour engine reports (printer-state-reasons and the alert
    table) plus the physical flags (covers, jam, off line), so the SNMP, IPP and EWS faces
    agree: an empty bypass tray, which the engine deliberately does not report, is not
    ``noPaper`` here either.
    """
    names: set[str] = set()
    for reason in state.status.state_reasons:
        names.update(en.IPP_REASON_ERROR_BITS.get(_reason_base(reason), ()))
    for alert in state.alerts:
        names.update(en.ALERT_CODE_ERROR_BITS.get(alert.code, ()))
    if any(c.status in ("open", "coverOpen", "interlockOpen") for c in state.covers):
        names.add("doorOpen")
    if any(not t.present for t in state.input_trays):
        names.add("inputTrayMissing")
    if getattr(state.status, "jammed", False):
        names.add("jammed")
    if getattr(state.status, "offline", False):
        names.add("offline")
    return names


def detected_error_state(state: st.PrinterState) -> bytes:
    """hrPrinterDetectedErrorState as its two octets (bit 0 = MSB of the first)."""
    bits = 0
    for name in detected_error_names(state):
        bits |= 0x8000 >> en.HR_PRINTER_ERROR_BITS[name]
    return bits.to_bytes(2, "big")


def printer_status(state: st.PrinterState) -> int:
    """hrPrinterStatus: idle(3), printing(4), warmup(5), other(1)."""
    s = state.status
    if s.state == "warmup" or any(
        _reason_base(r) in ("warming-up", "warmup") for r in s.state_reasons
    ):
        return en.HR_PRINTER_STATUS["warmup"]
    if s.state == "processing":
        return en.HR_PRINTER_STATUS["printing"]
    if s.state == "idle":
        return en.HR_PRINTER_STATUS["idle"]
    return en.HR_PRINTER_STATUS["other"]


def device_status(state: st.PrinterState) -> int:
    """hrDeviceStatus of the printer: running(2), warning(3), down(5)."""
    if state.status.state == "stopped" or any(a.severity == "critical" for a in state.alerts):
        return en.HR_DEVICE_STATUS["down"]
    if detected_error_names(state) or any(a.severity != "other" for a in state.alerts):
        return en.HR_DEVICE_STATUS["warning"]
    return en.HR_DEVICE_STATUS["running"]


def _alert_bits(state: st.PrinterState, group: str, index: int) -> int:
    bits = 0
    for a in state.alerts:
        if a.group == group and a.group_index == index:
            bits |= 16 if a.severity == "critical" else 8
    return bits


def subunit_status(
    state: st.PrinterState,
    group: str,
    index: int,
    *,
    missing: bool = False,
    active: bool = False,
) -> int:
    """PrtSubUnitStatusTC: availability (0 idle, 1 unavailable on request, 4 active) + 8
    non-critical alerts + 16 critical alerts (from the alert table) + 32 off-line."""
    value = 1 if missing else (4 if active else 0)
    value |= _alert_bits(state, group, index)
    if getattr(state.status, "offline", False) or state.status.state == "stopped":
        value |= 32
    return value


# -- the table --------------------------------------------------------------------------------

Dynamic = Callable[[], Value]


@dataclass(slots=True)
class MibTable:
    """One built view: sorted OIDs, their values (or callables), the object OIDs."""

    oids: list[OID]
    values: list[Value | Dynamic]
    objects: frozenset[OID]
    position: dict[OID, int] = field(default_factory=dict)
    encoded: list[bytes | None] = field(default_factory=list)


class _Builder:
    def __init__(self) -> None:
        self.rows: list[tuple[OID, Value | Dynamic]] = []
        self.objects: set[OID] = set()

    def scalar(self, oid: OID, value: Value | Dynamic) -> None:
        self.objects.add(oid)
        self.rows.append(((*oid, 0), value))

    def column(self, oid: OID, items: Iterable[tuple[OID, Value]]) -> None:
        self.objects.add(oid)
        for index, value in items:
            self.rows.append(((*oid, *index), value))

    def table(
        self,
        entry: OID,
        rows: Iterable[Any],
        index: Callable[[Any], OID],
        columns: dict[int, Callable[[Any], Value]],
    ) -> None:
        rows = list(rows)
        for col, fn in columns.items():
            self.column((*entry, col), ((index(r), fn(r)) for r in rows))

    def overlay(self, recorded: list[tuple[OID, Value]]) -> None:
        """Serve recorded rows where the state has no live value of its own."""
        position = {oid: i for i, (oid, _v) in enumerate(self.rows)}
        for oid, value in recorded:
            i = position.get(oid)
            if i is None:
                position[oid] = len(self.rows)
                self.rows.append((oid, value))
                self.objects.add(oid[:-1])
            elif not is_live(oid):
                self.rows[i] = (oid, value)

    def build(self) -> MibTable:
        self.rows.sort(key=lambda r: r[0])
        oids = [r[0] for r in self.rows]
        values = [r[1] for r in self.rows]
        return MibTable(
            oids,
            values,
            frozenset(self.objects),
            {o: i for i, o in enumerate(oids)},
            [None] * len(oids),
        )


def _prt_index(row: Any) -> OID:
    return (PRINTER_DEVICE_INDEX, row.index)


class MibDevice:
    """The SNMP view of one printer: lookups, the whole walk, and SET."""

    def __init__(self, state: st.PrinterState, clock: Any, engine: Any = None) -> None:
        self.state = state
        self.clock = clock
        self.engine = engine
        self._table: MibTable | None = None
        self.critical_events = sum(1 for a in state.alerts if a.severity == "critical")
        self.builds = 0
        self._unsubscribe = state.subscribe(self._on_change)

    # -- cache ----------------------------------------------------------------------------

    def _on_change(self, event: st.ChangeEvent) -> None:
        self._table = None
        if event.path == "alerts" and isinstance(event.new, int) and isinstance(event.old, int):
            for alert in self.state.alerts[event.old :] if event.new > event.old else ():
                if alert.severity == "critical":
                    self.critical_events += 1

    def drop_cache(self) -> None:
        """Forget the built table (it is rebuilt at the next lookup)."""
        self._table = None

    @property
    def cached(self) -> bool:
        return self._table is not None

    def close(self) -> None:
        self._unsubscribe()
        self._table = None

    def table(self) -> MibTable:
        t = self._table
        if t is None:
            t = self._table = self._build()
            self.builds += 1
        return t

    # -- lookups --------------------------------------------------------------------------

    def uptime(self) -> int:
        return st.uptime_ticks(self.state, self.clock.monotonic())

    def value_at(self, t: MibTable, i: int) -> Value:
        v = t.values[i]
        return v() if callable(v) else v

    def get(self, oid: OID) -> Value | None:
        """The value of instance ``oid``, or None if there is no such instance."""
        t = self.table()
        i = t.position.get(oid)
        return None if i is None else self.value_at(t, i)

    def next_index(self, oid: OID) -> int | None:
        """Position of the first instance after ``oid`` in the current table, or None."""
        t = self.table()
        i = bisect.bisect_right(t.oids, oid)
        return i if i < len(t.oids) else None

    def next(self, oid: OID) -> tuple[OID, Value] | None:
        t = self.table()
        i = self.next_index(oid)
        return None if i is None else (t.oids[i], self.value_at(t, i))

    def is_object(self, oid: OID) -> bool:
        """True if ``oid`` names an instance of an object this agent implements (GET of a
        missing instance is then noSuchInstance, otherwise noSuchObject)."""
        objects = self.table().objects
        return any(oid[:k] in objects for k in range(len(oid) - 1, 5, -1))

    def walk(self) -> list[tuple[OID, Value]]:
        """Every served instance with its current value, in lexicographic order."""
        t = self.table()
        return [(o, self.value_at(t, i)) for i, o in enumerate(t.oids)]

    # -- building -------------------------------------------------------------------------

    def _build(self) -> MibTable:
        s = self.state
        b = _Builder()
        ident, desc, status = s.identity, s.description, s.status

        # SNMPv2-MIB system group
        b.scalar(
            (*SYSTEM, 1),
            _s(
                f"{ident.manufacturer} {ident.model}".strip()
                + (f" {ident.software_version}" if ident.software_version else "")
            ),
        )
        b.scalar((*SYSTEM, 2), _oid(_safe_oid(ident.sys_object_id)))
        b.scalar((*SYSTEM, 3), lambda: _tt(self.uptime()))
        b.scalar((*SYSTEM, 4), _s(desc.contact_name))
        b.scalar((*SYSTEM, 5), _s(desc.name))
        b.scalar((*SYSTEM, 6), _s(desc.location))
        b.scalar((*SYSTEM, 7), _i(72))  # application + end-to-end layers
        b.scalar((*SYSTEM, 8), _tt(0))

        # IF-MIB
        ifs = s.interfaces
        b.scalar(IF_NUMBER, _i(len(ifs)))
        one = lambda r: (r.index,)  # noqa: E731
        b.table(
            IF_ENTRY,
            ifs,
            one,
            {
                1: lambda r: _i(r.index),
                2: lambda r: _s(r.description),
                3: lambda r: _i(r.if_type),
                4: lambda r: _i(r.mtu),
                5: lambda r: _g32(r.speed),
                6: lambda r: _s(_mac_bytes(r.mac_address)),
                7: lambda r: _i(1 if r.admin_up else 2),
                8: lambda r: _i(1 if r.oper_up and status.powered else 2),
                9: lambda r: _tt(0),
                10: lambda r: _c32(r.in_octets),
                16: lambda r: _c32(r.out_octets),
            },
        )
        b.table(
            IFX_ENTRY,
            ifs,
            one,
            {
                1: lambda r: _s(r.name),
                15: lambda r: _g32(r.speed // 1_000_000),
            },
        )

        # HOST-RESOURCES-MIB
        b.scalar((*HR, 1, 1), lambda: _tt(self.uptime()))
        b.scalar((*HR, 1, 2), lambda: _s(_date_and_time(self.clock.now())))
        ram_kb = sum(
            x.size_units * x.allocation_unit for x in s.storages if x.storage_type == "ram"
        )
        b.scalar((*HR, 2, 2), _i(ram_kb // 1024))
        b.table(
            (*HR, 2, 3, 1),
            s.storages,
            one,
            {
                1: lambda r: _i(r.index),
                2: lambda r: _oid(
                    en.HR_STORAGE_TYPES.get(r.storage_type, en.HR_STORAGE_TYPES["other"])
                ),
                3: lambda r: _s(r.description),
                4: lambda r: _i(r.allocation_unit),
                5: lambda r: _i(r.size_units),
                6: lambda r: _i(r.used_units),
                7: lambda r: _c32(0),
            },
        )
        devices = self._hr_devices()
        b.table(
            (*HR, 3, 2, 1),
            devices,
            lambda d: (d[0],),
            {
                1: lambda d: _i(d[0]),
                2: lambda d: _oid(d[1]),
                3: lambda d: _s(d[2]),
                4: lambda d: _oid((0, 0)),
                5: lambda d: _i(d[3]),
                6: lambda d: _c32(0),
            },
        )
        processors = [d for d in devices if d[1] == en.HR_DEVICE_PROCESSOR]
        b.table(
            (*HR, 3, 3, 1),
            processors,
            lambda d: (d[0],),
            {
                1: lambda d: _oid((0, 0)),
                2: lambda d: _i(d[4].load_percent),
            },
        )
        networks = [d for d in devices if d[1] == en.HR_DEVICE_NETWORK]
        b.table((*HR, 3, 4, 1), networks, lambda d: (d[0],), {1: lambda d: _i(d[4].index)})
        b.table(
            (*HR, 3, 5, 1),
            [PRINTER_DEVICE_INDEX],
            lambda d: (d,),
            {
                1: lambda d: _i(printer_status(s)),
                # RFC 2790 numbers the bits, not the length: printers send 0, 1 or 2 octets
                # (tests/data/recordings), an imported one as many as the recorded one did
                2: lambda d: _s(detected_error_state(s)[: s.recording.error_state_octets]),
            },
        )

        # Printer-MIB: general
        console = s.consoles[0] if s.consoles else None
        lang_index = _localization_index(console.language if console else "en")
        # a running count kept in the state, so every face (and a restarted agent) agrees
        crit_alerts = self.critical_events = max(
            s.critical_alert_count, sum(1 for a in s.alerts if a.severity == "critical")
        )
        b.table(
            PRT_GENERAL_ENTRY,
            [PRINTER_DEVICE_INDEX],
            lambda d: (d,),
            {
                1: lambda d: _c32(status.config_changes),
                2: lambda d: _i(1),
                3: lambda d: _i(en.PRT_GENERAL_RESET["notResetting"]),
                4: lambda d: _s(desc.current_operator, 127),
                5: lambda d: _s(desc.service_person, 127),
                6: lambda d: _i(self._default_input()),
                7: lambda d: _i(s.output_trays[0].index if s.output_trays else 0),
                8: lambda d: _i(s.markers[0].index if s.markers else 0),
                9: lambda d: _i(s.media_paths[0].index if s.media_paths else 0),
                10: lambda d: _i(lang_index),
                11: lambda d: _i(console.display_lines if console else 0),
                12: lambda d: _i(console.display_chars if console else 0),
                13: lambda d: _i(4 if console is not None and console.disabled else 3),
                14: lambda d: _i(5),  # prtAuxiliarySheetStartupPage: notPresent
                15: lambda d: _i(3 if s.finishing.banner_page else 4),
                16: lambda d: _s(desc.name, 127),
                17: lambda d: _s(ident.serial_number),
                18: lambda d: _c32(crit_alerts),
                19: lambda d: _c32(s.next_alert_index - 1),
            },
        )
        b.table(
            (*PRT, 5, 2, 1),
            s.storages,
            lambda r: (r.index, 1),
            {
                2: lambda r: _i(PRINTER_DEVICE_INDEX),
            },
        )
        b.table(
            (*PRT, 5, 3, 1),
            [PRINTER_DEVICE_INDEX],
            lambda d: (d, 1),
            {
                2: lambda d: _i(PRINTER_DEVICE_INDEX),
            },
        )
        b.table(
            (*PRT, 6, 1, 1),
            s.covers,
            _prt_index,
            {
                2: lambda r: _s(r.description),
                3: lambda r: _i(en.enum_value(en.PRT_COVER_STATUS, r.status, "PrtCoverStatusTC")),
            },
        )
        b.table(
            (*PRT, 7, 1, 1),
            list(enumerate(LOCALIZATIONS, 1)),
            lambda r: (PRINTER_DEVICE_INDEX, r[0]),
            {
                2: lambda r: _s(r[1][0]),
                3: lambda r: _s(r[1][1]),
                4: lambda r: _i(en.CHARSET_UTF8),
            },
        )

        # input trays
        printing = status.state == "processing"
        b.table(
            PRT_INPUT_ENTRY,
            s.input_trays,
            _prt_index,
            {
                2: lambda r: _i(en.enum_value(en.PRT_INPUT_TYPE, r.tray_type, "PrtInputTypeTC")),
                3: lambda r: _i(4),  # micrometers
                4: lambda r: _i(r.dim_feed),
                5: lambda r: _i(r.dim_xfeed),
                6: lambda r: _i(r.dim_feed),
                7: lambda r: _i(r.dim_xfeed),
                8: lambda r: _i(8),  # sheets
                9: lambda r: _i(r.capacity),
                10: lambda r: _i(r.level if r.present else 0),
                11: lambda r: _i(
                    subunit_status(
                        s,
                        "input",
                        r.index,
                        missing=not r.present,
                        active=printing and r.index == self._default_input(),
                    )
                ),
                12: lambda r: _s(tray_media_name(r), 63),
                13: lambda r: _s(r.name, 63),
                14: lambda r: _s(ident.manufacturer, 63),
                15: lambda r: _s(f"{ident.model} {r.name}", 63),
                16: lambda r: _s(ident.hardware_version, 63),
                17: lambda r: _s(f"{ident.serial_number}-T{r.index}", 32),
                18: lambda r: _s(r.description or r.name),
                19: lambda r: _i(5),  # prtInputSecurity: notPresent
                20: lambda r: _i(r.media_weight),
                21: lambda r: _s(r.media_type, 63),
                22: lambda r: _s(r.media_color, 63),
                23: lambda r: _i(1),  # prtInputMediaFormParts
            },
        )
        # output trays
        b.table(
            (*PRT, 9, 2, 1),
            s.output_trays,
            _prt_index,
            {
                2: lambda r: _i(en.enum_value(en.PRT_OUTPUT_TYPE, r.tray_type, "PrtOutputTypeTC")),
                3: lambda r: _i(8),
                4: lambda r: _i(r.capacity),
                5: lambda r: _i(r.remaining_capacity),
                6: lambda r: _i(subunit_status(s, "output", r.index)),
                7: lambda r: _s(r.name, 63),
                12: lambda r: _s(r.description or r.name),
                19: lambda r: _i(
                    en.enum_value(
                        en.PRT_OUTPUT_STACKING_ORDER,
                        r.stacking_order,
                        "PrtOutputStackingOrderTC",
                        2,
                    )
                ),
                20: lambda r: _i(
                    en.enum_value(
                        en.PRT_OUTPUT_PAGE_DELIVERY,
                        r.page_delivery,
                        "PrtOutputPageDeliveryOrientationTC",
                        4,
                    )
                ),
            },
        )
        # markers
        b.table(
            PRT_MARKER_ENTRY,
            s.markers,
            _prt_index,
            {
                2: lambda r: _i(
                    en.enum_value(en.PRT_MARKER_MARK_TECH, r.technology, "PrtMarkerMarkTechTC")
                ),
                3: lambda r: _i(
                    en.enum_value(
                        en.PRT_MARKER_COUNTER_UNIT, r.counter_unit, "PrtMarkerCounterUnitTC", 7
                    )
                ),
                4: lambda r: _c32(r.life_count),
                5: lambda r: _c32(r.power_on_count),
                6: lambda r: _i(r.process_colorants),
                7: lambda r: _i(r.spot_colorants),
                8: lambda r: _i(
                    en.enum_value(
                        en.PRT_MARKER_COUNTER_UNIT,
                        r.addressability_unit,
                        "PrtMarkerAddressabilityUnitTC",
                        3,
                    )
                ),
                9: lambda r: _i(r.addressability_feed),
                10: lambda r: _i(r.addressability_xfeed),
                11: lambda r: _i(1667),  # 1/6 inch margins in 1/10000 inch
                12: lambda r: _i(1667),
                13: lambda r: _i(1667),
                14: lambda r: _i(1667),
                15: lambda r: _i(subunit_status(s, "marker", r.index, active=printing)),
            },
        )
        # supplies
        b.table(
            PRT_SUPPLIES_ENTRY,
            s.supplies,
            _prt_index,
            {
                2: lambda r: _i(r.marker_index),
                3: lambda r: _i(r.colorant_index),
                4: lambda r: _i(
                    en.enum_value(
                        en.PRT_MARKER_SUPPLIES_CLASS, r.supply_class, "PrtMarkerSuppliesClassTC"
                    )
                ),
                5: lambda r: _i(
                    en.enum_value(
                        en.PRT_MARKER_SUPPLIES_TYPE, r.supply_type, "PrtMarkerSuppliesTypeTC"
                    )
                ),
                6: lambda r: _s(r.description),
                7: lambda r: _i(
                    en.enum_value(
                        en.PRT_MARKER_SUPPLIES_SUPPLY_UNIT, r.unit, "PrtMarkerSuppliesSupplyUnitTC"
                    )
                ),
                8: lambda r: _i(r.max_capacity),
                9: lambda r: _i(r.level),
            },
        )
        b.table(
            (*PRT, 12, 1, 1),
            s.colorants,
            _prt_index,
            {
                2: lambda r: _i(r.marker_index),
                3: lambda r: _i(
                    en.enum_value(en.PRT_MARKER_COLORANT_ROLE, r.role, "PrtMarkerColorantRoleTC")
                ),
                4: lambda r: _s(r.value, 63),
                5: lambda r: _i(r.tonality),
            },
        )
        b.table(
            (*PRT, 13, 4, 1),
            s.media_paths,
            _prt_index,
            {
                2: lambda r: _i(7),  # impressionsPerHour
                3: lambda r: _i(4),  # micrometers
                4: lambda r: _i(r.max_speed * 60),
                5: lambda r: _i(r.max_media_feed_dir),
                6: lambda r: _i(r.max_media_xfeed_dir),
                7: lambda r: _i(148000),
                8: lambda r: _i(105000),
                9: lambda r: _i(
                    en.enum_value(en.PRT_MEDIA_PATH_TYPE, r.path_type, "PrtMediaPathTypeTC")
                ),
                10: lambda r: _s(r.description or r.path_type),
                11: lambda r: _i(subunit_status(s, "mediaPath", r.index, active=printing)),
            },
        )
        if_index = ifs[0].index if ifs else 0
        b.table(
            (*PRT, 14, 1, 1),
            s.channels,
            _prt_index,
            {
                2: lambda r: _i(
                    en.enum_value(en.PRT_CHANNEL_TYPE, r.channel_type, "PrtChannelTypeTC")
                ),
                3: lambda r: _s(r.protocol_version, 63),
                4: lambda r: _i(0),
                5: lambda r: _i(r.interpreter_index),
                6: lambda r: _i(3 if r.enabled else 4),  # printDataAccepted / noDataAccepted
                7: lambda r: _i(if_index),
                8: lambda r: _i(subunit_status(s, "channel", r.index) if r.enabled else 1),
                9: lambda r: _s(r.information),
            },
        )
        b.table(
            (*PRT, 15, 1, 1),
            s.interpreters,
            _prt_index,
            {
                2: lambda r: _i(
                    en.enum_value(
                        en.PRT_INTERPRETER_LANG_FAMILY, r.lang_family, "PrtInterpreterLangFamilyTC"
                    )
                ),
                3: lambda r: _s(r.lang_level, 31),
                4: lambda r: _s(r.lang_version, 31),
                5: lambda r: _s(r.description or r.lang_family),
                6: lambda r: _s(r.version, 31),
                7: lambda r: _i(
                    en.enum_value(
                        en.PRT_PRINT_ORIENTATION, r.default_orientation, "PrtPrintOrientationTC"
                    )
                ),
                8: lambda r: _i(
                    s.defaults.resolution_y * 100 if s.defaults.resolution_units == "dpi" else -1
                ),
                9: lambda r: _i(
                    s.defaults.resolution_x * 100 if s.defaults.resolution_units == "dpi" else -1
                ),
                10: lambda r: _i(en.CHARSET_UTF8),
                11: lambda r: _i(en.CHARSET_UTF8),
                12: lambda r: _i(4),  # prtInterpreterTwoWay: no
            },
        )
        lines = list(enumerate(console.display_buffer, 1)) if console else []
        b.table(
            PRT_CONSOLE_BUFFER_ENTRY,
            lines,
            lambda r: (PRINTER_DEVICE_INDEX, r[0]),
            {
                2: lambda r: _s(r[1]),
            },
        )
        lights = console.lights if console else []
        b.table(
            (*PRT, 17, 6, 1),
            lights,
            _prt_index,
            {
                2: lambda r: _i(r.on_time),
                3: lambda r: _i(r.off_time),
                4: lambda r: _i(en.enum_value(en.PRT_CONSOLE_COLOR, r.color, "PrtConsoleColorTC")),
                5: lambda r: _s(r.description),
            },
        )
        b.table(
            PRT_ALERT_ENTRY,
            s.alerts,
            _prt_index,
            {
                1: lambda r: _i(r.index),
                2: lambda r: _i(
                    en.enum_value(en.PRT_ALERT_SEVERITY, r.severity, "PrtAlertSeverityLevelTC")
                ),
                3: lambda r: _i(
                    en.enum_value(
                        en.PRT_ALERT_TRAINING, r.training_level, "PrtAlertTrainingLevelTC"
                    )
                ),
                4: lambda r: _i(en.enum_value(en.PRT_ALERT_GROUP, r.group, "PrtAlertGroupTC")),
                5: lambda r: _i(r.group_index),
                6: lambda r: _i(r.location),
                7: lambda r: _i(en.enum_value(en.PRT_ALERT_CODE, r.code, "PrtAlertCodeTC")),
                8: lambda r: _s(r.description),
                9: lambda r: _tt(r.time_ticks),
            },
        )

        self._imaging_counters(b)
        if s.recording.rows:
            b.overlay(recorded_rows(s.recording.rows))
        return b.build()

    def _recorded(self) -> list[tuple[OID, Value]]:
        rows = self.state.recording.rows
        return recorded_rows(rows) if rows else []

    def _default_input(self) -> int:
        for tray in self.state.input_trays:
            if tray.media == self.state.defaults.media and tray.present:
                return tray.index
        return self.state.input_trays[0].index if self.state.input_trays else 0

    def _hr_devices(self) -> list[tuple[int, OID, str, int, Any]]:
        """hrDeviceTable rows: (index, type, descr, status, state row)."""
        s = self.state
        rows: list[tuple[int, OID, str, int, Any]] = [
            (
                PRINTER_DEVICE_INDEX,
                en.HR_DEVICE_PRINTER,
                s.description.make_and_model or f"{s.identity.manufacturer} {s.identity.model}",
                device_status(s),
                None,
            )
        ]
        if any(o[: len(_HR_DEVICE_ENTRY)] == _HR_DEVICE_ENTRY for o, _v in self._recorded()):
            return rows  # the recording lists the other devices itself (served as recorded)
        n = PRINTER_DEVICE_INDEX
        running = en.HR_DEVICE_STATUS["running"]
        for p in s.processors:
            n += 1
            rows.append((n, en.HR_DEVICE_PROCESSOR, p.description, running, p))
        for i in s.interfaces:
            n += 1
            rows.append(
                (
                    n,
                    en.HR_DEVICE_NETWORK,
                    f"{i.description} {i.name}".strip(),
                    running if i.oper_up else en.HR_DEVICE_STATUS["down"],
                    i,
                )
            )
        return rows

    def _imaging_counters(self, b: _Builder) -> None:
        """PWG-IMAGING-COUNTER-MIB (PWG 5106.1): the system-totals service (key 1)."""
        s, c = self.state, self.state.counters
        key = 1
        b.scalar((*IC, 1, 1), _s("en-us", 63))  # icGeneralNaturalLanguage
        b.scalar((*IC, 1, 2), _i(1))  # icGeneralTotalServiceRecords
        b.scalar((*IC, 1, 3), _i(0))  # icGeneralTotalSubunitRecords
        b.scalar((*IC, 1, 4), _i(len(s.media_used)))  # icGeneralTotalMediaUsedRecords
        b.table(
            (*IC, 2, 1, 1),
            [key],
            lambda k: (k,),
            {  # icKeyTable
                2: lambda k: _i(en.IC_SERVICE_TYPE_SYSTEM_TOTALS),
                3: lambda k: _i(1),
            },
        )
        state_kw = "down" if not s.status.powered else s.status.state
        b.table(
            (*IC, 3, 1, 1),
            [key],
            lambda k: (en.IC_SERVICE_TYPE_SYSTEM_TOTALS, 1),
            {  # icServiceTable
                3: lambda k: _i(key),
                4: lambda k: _s(s.description.info or s.description.name),
                5: lambda k: _i(0),
                6: lambda k: _i(
                    en.enum_value(en.IC_SERVICE_STATE, state_kw, "IcServiceStateTC", 2)
                ),
                7: lambda k: _s(s.status.state_message),
                8: lambda k: _i(s.alerts[-1].index if s.alerts else 0),
            },
        )
        life = (key, en.IC_PERSISTENCE_LIFETIME)
        b.table(
            (*IC, 6, 1, 1),
            [life],
            lambda k: k,
            {  # icMonitorTable
                3: lambda k: _i(s.status.config_changes),
                4: lambda k: _i(s.next_alert_index - 1),
                5: lambda k: _i(self.critical_events),
                6: lambda k: _i(c.aborted_jobs),
                7: lambda k: _i(c.canceled_jobs),
                8: lambda k: _i(c.completed_jobs),
            },
        )
        work = (key, en.IC_WORK_TYPE_WORK_TOTALS, en.IC_PERSISTENCE_LIFETIME)
        b.table(
            (*IC, 8, 1, 1),
            [work],
            lambda k: k,
            {  # icImpressionTable
                4: lambda k: _i(c.total_impressions),
                5: lambda k: _i(c.mono_impressions),
                7: lambda k: _i(c.color_impressions),
            },
        )
        b.table(
            (*IC, 10, 1, 1),
            [work],
            lambda k: k,
            {  # icSheetTable
                4: lambda k: _i(c.total_sheets),
            },
        )
        b.table(
            (*IC, 12, 1, 1),
            s.media_used,  # icMediaUsedTable
            lambda r: (key, r.index, en.IC_PERSISTENCE_LIFETIME),
            {
                4: lambda r: _i(r.total_sheets),
                9: lambda r: _s(r.media),
                10: lambda r: _s(r.media_type),
                11: lambda r: _s(r.media),
            },
        )

    # -- SET ------------------------------------------------------------------------------

    def set(self, varbinds: list[tuple[OID, Value]], *, may_write: bool) -> tuple[int, int]:
        """Validate every binding, then apply all of them or none (RFC 3416 §4.2.5).

        Returns ``(error_status, error_index)``: ``(0, 0)`` when applied, else the SNMPv2
        error and the 1-based position of the failing binding. ``may_write`` is False for a
        read-only community or user: every binding is then outside the write view (noAccess).
        """
        plan = plan_set(self, varbinds, may_write=may_write)
        if isinstance(plan, SetError):
            return plan.status, plan.index
        apply_set(self, plan)
        return 0, 0


def _safe_oid(text: str) -> OID:
    try:
        return parse_dotted(text)
    except ValueError:
        return (1, 3, 6, 1, 4, 1, 2699, 1, 2)


def _localization_index(language: str) -> int:
    for i, (lang, _country) in enumerate(LOCALIZATIONS, 1):
        if lang == language.split("-")[0].lower():
            return i
    return 1


def _date_and_time(now: Any) -> bytes:
    """SNMPv2-TC DateAndTime, 11 octets with the UTC offset."""
    return bytes(
        (
            now.year >> 8,
            now.year & 0xFF,
            now.month,
            now.day,
            now.hour,
            now.minute,
            now.second,
            now.microsecond // 100000,
            ord("+"),
            0,
            0,
        )
    )


# -- SET rules --------------------------------------------------------------------------------

# RFC 3416 error-status values.
NO_ERROR, TOO_BIG, NO_SUCH_NAME, BAD_VALUE, READ_ONLY, GEN_ERR = 0, 1, 2, 3, 4, 5
NO_ACCESS, WRONG_TYPE, WRONG_LENGTH, WRONG_ENCODING, WRONG_VALUE = 6, 7, 8, 9, 10
NO_CREATION, INCONSISTENT_VALUE, RESOURCE_UNAVAILABLE, COMMIT_FAILED = 11, 12, 13, 14
UNDO_FAILED, AUTHORIZATION_ERROR, NOT_WRITABLE, INCONSISTENT_NAME = 15, 16, 17, 18

# RFC 3416 error-status names, from pysnmp's own table.
ERROR_NAMES: dict[int, str] = {int(v): n for n, v in rfc1905.errorStatus.namedValues.items()}

#: RFC 3584 §4.4: SNMPv2 error-status → SNMPv1 error-status.
V2_TO_V1_ERROR = {
    0: 0,
    1: 1,
    2: 2,
    3: 3,
    4: 2,
    5: 5,
    6: 2,
    7: 3,
    8: 3,
    9: 3,
    10: 3,
    11: 2,
    12: 3,
    13: 5,
    14: 5,
    15: 5,
    16: 2,
    17: 2,
    18: 2,
}

Target = tuple[Any, str]  # (state node, attribute)


@dataclass(frozen=True)
class _Writable:
    """One writable object: the syntax it takes and where its value goes in the state."""

    name: str
    kind: str  # "str" | "int"
    resolve: Callable[[MibDevice, OID], Target | None]  # None: no such row (noCreation)
    max_len: int = 255
    valid: Callable[[int], bool] | None = None  # False → wrongValue
    convert: Callable[[Any], Any] | None = None  # SNMP value → state value
    config_change: bool = True  # counts in prtGeneralConfigChanges


def _scalar(
    node: Callable[[st.PrinterState], Any], attr: str
) -> Callable[[MibDevice, OID], Target | None]:
    return lambda d, idx: (node(d.state), attr) if idx == (0,) else None


def _general(
    node: Callable[[st.PrinterState], Any], attr: str
) -> Callable[[MibDevice, OID], Target | None]:
    return lambda d, idx: (node(d.state), attr) if idx == (PRINTER_DEVICE_INDEX,) else None


def _row(table: str, attr: str) -> Callable[[MibDevice, OID], Target | None]:
    def resolve(d: MibDevice, idx: OID) -> Target | None:
        if len(idx) != 2 or idx[0] != PRINTER_DEVICE_INDEX:
            return None
        for row in d.state.table(table):
            if row.index == idx[1]:
                return (row, attr)
        return None

    return resolve


def _console(d: MibDevice, idx: OID) -> Target | None:
    if idx != (PRINTER_DEVICE_INDEX,) or not d.state.consoles:
        return None
    return (d.state.consoles[0], "disabled")


def _console_lang(d: MibDevice, idx: OID) -> Target | None:
    if idx != (PRINTER_DEVICE_INDEX,) or not d.state.consoles:
        return None
    return (d.state.consoles[0], "language")


def _console_line(d: MibDevice, idx: OID) -> Target | None:
    if len(idx) != 2 or idx[0] != PRINTER_DEVICE_INDEX or not d.state.consoles:
        return None
    if not 1 <= idx[1] <= len(d.state.consoles[0].display_buffer):
        return None
    return (d.state.consoles[0], f"display_buffer[{idx[1] - 1}]")


_RESET = "__reset__"

WRITABLE: dict[OID, _Writable] = {
    (*SYSTEM, 4): _Writable("sysContact", "str", _scalar(lambda s: s.description, "contact_name")),
    (*SYSTEM, 5): _Writable("sysName", "str", _scalar(lambda s: s.description, "name")),
    (*SYSTEM, 6): _Writable("sysLocation", "str", _scalar(lambda s: s.description, "location")),
    (*PRT_GENERAL_ENTRY, 3): _Writable(
        "prtGeneralReset",
        "int",
        _general(lambda s: s, _RESET),
        valid=lambda v: v in (3, 4, 5, 6),
        config_change=False,
    ),
    (*PRT_GENERAL_ENTRY, 4): _Writable(
        "prtGeneralCurrentOperator",
        "str",
        _general(lambda s: s.description, "current_operator"),
        127,
    ),
    (*PRT_GENERAL_ENTRY, 5): _Writable(
        "prtGeneralServicePerson", "str", _general(lambda s: s.description, "service_person"), 127
    ),
    (*PRT_GENERAL_ENTRY, 10): _Writable(
        "prtConsoleLocalization", "int", _console_lang, valid=lambda v: v >= 1, convert=None
    ),
    (*PRT_GENERAL_ENTRY, 13): _Writable(
        "prtConsoleDisable", "int", _console, valid=lambda v: v in (3, 4), convert=lambda v: v == 4
    ),
    (*PRT_GENERAL_ENTRY, 16): _Writable(
        "prtGeneralPrinterName", "str", _general(lambda s: s.description, "name"), 127
    ),
    (*PRT_INPUT_ENTRY, 9): _Writable(
        "prtInputMaxCapacity",
        "int",
        _row("input_trays", "capacity"),
        valid=lambda v: -2 <= v <= INT32_MAX and v != 0,
    ),
    (*PRT_INPUT_ENTRY, 10): _Writable(
        "prtInputCurrentLevel",
        "int",
        _row("input_trays", "level"),
        valid=lambda v: -3 <= v <= INT32_MAX,
        config_change=False,
    ),
    (*PRT_INPUT_ENTRY, 12): _Writable("prtInputMediaName", "str", _row("input_trays", "media"), 63),
    (*PRT_CONSOLE_BUFFER_ENTRY, 2): _Writable(
        "prtConsoleDisplayBufferText", "str", _console_line, 255, config_change=False
    ),
}

#: Columns a real printer serves read-only although RFC 3805 allows write access
#: (MIN-ACCESS read-only): prtMarkerSuppliesLevel/MaxCapacity (the device measures them),
#: prtGeneralSerialNumber, prtGeneralCurrentLocalization, the default indexes.
#: SETs to them answer notWritable, like HP, Canon and Brother firmware does.


@dataclass(frozen=True)
class SetError:
    status: int
    index: int  # 1-based


@dataclass
class SetPlan:
    writes: list[tuple[Any, str, Any]]  # (node, attr, new value)
    reset: int | None = None  # prtGeneralReset value
    config_change: bool = False


def _find_writable(oid: OID) -> tuple[OID, _Writable] | None:
    for k in range(len(oid) - 1, 6, -1):
        w = WRITABLE.get(oid[:k])
        if w is not None:
            return oid[:k], w
    return None


def tray_media_name(tray: st.InputTray) -> str:
    """prtInputMediaName: the operator's free text while it still agrees with the tray's
    media keyword (another face may have changed the media since), else the keyword."""
    name = tray.media_name
    if name and st.media_keyword(name) in (None, tray.media):
        return name
    return tray.media


def plan_set(
    dev: MibDevice, varbinds: list[tuple[OID, Value]], *, may_write: bool
) -> SetPlan | SetError:
    """Check every binding in order (RFC 3416 §4.2.5 steps 1-10); the first failure wins."""
    plan = SetPlan([])
    staged: dict[
        tuple[int, str], tuple[Any, Any, int]
    ] = {}  # (id(node), attr) → (node, value, vb#)
    for n, (oid, (tag, raw)) in enumerate(varbinds, 1):
        if not may_write:
            return SetError(NO_ACCESS, n)  # step 1: not in the write view
        found = _find_writable(oid)
        if found is None:
            return SetError(NOT_WRITABLE, n)  # step 2 (and 9 for read-only objects)
        column, w = found
        want = OCTET_STRING if w.kind == "str" else INTEGER
        if tag != want:
            return SetError(WRONG_TYPE, n)  # step 3
        value: Any
        if w.kind == "str":
            assert isinstance(raw, bytes)
            if len(raw) > w.max_len:
                return SetError(WRONG_LENGTH, n)  # step 4
            try:
                value = raw.decode("utf-8")
            except UnicodeDecodeError:
                return SetError(WRONG_VALUE, n)  # step 6
            if st.text_problem(value) is not None:
                # step 6: no face can carry it (the state's rule: RFC 2579 DisplayString
                # forbids a CR not followed by LF/NUL; XML 1.0 §2.2 Char for TR-069)
                return SetError(WRONG_VALUE, n)
        else:
            assert isinstance(raw, int)
            if not INT32_MIN <= raw <= INT32_MAX or (w.valid is not None and not w.valid(raw)):
                return SetError(WRONG_VALUE, n)  # step 6
            value = raw
        target = w.resolve(dev, oid[len(column) :])
        if target is None:
            return SetError(NO_CREATION, n)  # step 7
        node, attr = target
        if attr == _RESET:
            if value != 3 and dev.engine is None:
                return SetError(INCONSISTENT_VALUE, n)  # nothing here can power-cycle
            plan.reset = value if value != 3 else plan.reset
            continue
        if w.name == "prtInputMediaName":
            # free text (RFC 3805) mapped into the state's keyword, not copied (issue 17)
            keyword = st.media_keyword(value)
            if keyword is not None:
                staged[(id(node), "media")] = (node, keyword, n)
            staged[(id(node), "media_name")] = (node, "" if keyword == value else value, n)
            plan.config_change |= w.config_change
            continue
        if w.name == "prtConsoleLocalization":
            if value > len(LOCALIZATIONS):
                return SetError(INCONSISTENT_VALUE, n)  # step 10: no such localization row
            value = LOCALIZATIONS[value - 1][0]
        elif w.convert is not None:
            value = w.convert(value)
        if not attr.startswith("display_buffer["):
            try:
                st.check_value(node, attr, value)  # the one rule every face's write obeys
            except st.ValueRejected:
                return SetError(WRONG_VALUE, n)  # step 6
        staged[(id(node), attr)] = (node, value, n)
        plan.config_change |= w.config_change
    # step 10 across bindings: a tray's level cannot exceed its capacity
    for (_nid, attr), (node, _value, n) in staged.items():
        if isinstance(node, st.InputTray) and attr in ("capacity", "level"):
            cap = staged.get((id(node), "capacity"), (None, node.capacity, 0))[1]
            lvl = staged.get((id(node), "level"), (None, node.level, 0))[1]
            if cap >= 0 and lvl >= 0 and lvl > cap:
                return SetError(INCONSISTENT_VALUE, n)
    plan.writes = [(node, attr, value) for (_nid, attr), (node, value, _n) in staged.items()]
    return plan


def apply_set(dev: MibDevice, plan: SetPlan) -> None:
    """Apply a checked plan through the state (change events fire), reset last."""
    changed = False
    for node, attr, value in plan.writes:
        if attr.startswith("display_buffer["):
            line = int(attr[len("display_buffer[") : -1])
            buf = list(node.display_buffer)
            if buf[line] != value:
                buf[line] = value
                node.display_buffer = tuple(buf)
            continue
        if isinstance(node, st.InputTray) and attr == "media" and node.media_name:
            node.media_name = ""  # the name just set is what prtInputMediaName shows now
            changed = True
        if getattr(node, attr) != value:
            setattr(node, attr, value)
            changed = True
    if changed and plan.config_change:
        dev.state.status.config_changes += 1
    if plan.reset == 6:
        dev.engine.factory_reset()  # resetToFactoryDefaults: profile settings back, then boot
    elif plan.reset is not None:
        dev.engine.reboot()  # powerCycleReset / resetToNVRAM (no NVRAM: a warm boot)


def entries_as_text(dev: MibDevice) -> list[str]:
    """The walk as ``OID = TYPE: value`` lines (debugging and docs)."""
    out = []
    for oid, (tag, v) in dev.walk():
        out.append(f"{ber.format_oid(oid)} = {ber.TAG_NAMES.get(tag, hex(tag))}: {v!r}")
    return out
