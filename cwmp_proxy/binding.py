"""mapping.yaml → per-printer parameter values: what to fetch, how to read one value, tables.

The parameter tree (``cwmp.params``) is synchronous and reads values through getters; a
printer is reached over the network. The two meet in a **snapshot**: before an RPC, the proxy
works out from the names it was asked for which mapping rows are involved (``plan``), fetches
everything they need in one batch per protocol (SNMP GETs and GETBULK column walks, one
Get-Printer-Attributes naming only the needed attributes, one EWS ``/api/state``), and the
tree's getters then read that snapshot (``PrinterView.read``). A protocol that failed leaves
its error in the snapshot, so exactly the parameters that depend on it fault with 9002 and a
message naming the printer and protocol; the others are still served.

Source choice: per printer, the first source of a mapping row (the YAML order says primary
first) whose protocol the printer offers. Table rows come from the *row parameter* of each
table: its first mapped parameter; instance numbers are the {i} of the instance rule (SNMP),
the row number in the state path (EWS) or the position in a 1setOf (IPP). Tables nested in a
table (MarkerSupply, MarkerColorant under Marker) are split by their parent-link column
(``PARENT_LINKS``). Unmapped parameters are left out of the proxy's model: a proxy that does not
know a value should not invent one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from printbench.cwmp import params as P
from printbench.cwmp import types as T
from printbench.cwmp_proxy.errors import ProxyError
from printbench.cwmp_proxy.ipp_client import member
from printbench.datamodel import conversions
from printbench.datamodel.mapping import Mapping, MappingRow, Source

log = logging.getLogger(__name__)

_VENDOR_VALUE = re.compile(r"X_[A-Za-z0-9-]+_[A-Za-z0-9_.:-]+")
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # XML 1.0 §2.2 Char

PS = "Device.Services.PrintService.{i}."
_NUM = re.compile(r"(?<=\.)\d+(?=\.|$)")

#: Tables nested inside another table, and where each protocol says which parent a row has.
PARENT_LINKS: dict[str, dict[str, str]] = {
    PS + "Configuration.Markers.Marker.{i}.MarkerSupplies.MarkerSupply.{i}.": {
        "snmp": "1.3.6.1.2.1.43.11.1.1.2",  # prtMarkerSuppliesMarkerIndex.{dev}.{i}
        "ews": "supplies.{i}.marker_index",
    },
    PS + "Configuration.Markers.Marker.{i}.MarkerColorants.MarkerColorant.{i}.": {
        "snmp": "1.3.6.1.2.1.43.12.1.1.2",  # prtMarkerColorantMarkerIndex.{dev}.{i}
        "ews": "colorants.{i}.marker_index",
    },
}

#: Each protocol's uptime clock, for conversions that turn "ticks since boot" into a time
#: (``Converter.context == "boot_time"``): where to read it and how many units make a second.
#: prtAlertTime is "the value of sysUpTime at the time that this alert was generated" (RFC 3805
#: prtAlertTime DESCRIPTION), so the boot time is the fetch time minus sysUpTime of the same
#: agent. The mapping table has no column for this, so it lives here like PARENT_LINKS.
BOOT_CLOCKS: dict[str, tuple[str, int]] = {
    "snmp": ("1.3.6.1.2.1.1.3.0", 100),  # sysUpTime.0, TimeTicks
    "ews": ("status.uptime_seconds", 1),
    "ipp": ("printer-up-time", 1),  # RFC 8011 §5.4.29, seconds
}


class Unusable(P.ProviderError):
    """The printer answered, but this one value has no valid form in the data model.

    Unlike a protocol failure (fault 9002 for the parameters behind it), this must never fault
    a whole GetParameterValues: the parameter gets its type's unknown value (see
    ``unknown_value``) and a note, and the ACS still gets every other parameter.
    """


def _parent_table(child: str) -> str:
    """``...Marker.{i}.MarkerSupplies.MarkerSupply.{i}.`` → ``...Marker.{i}.``"""
    return child[: child.rfind(".{i}.", 0, len(child) - len(".{i}.")) + len(".{i}.")]


#: parent table → the nested tables that name their parent (the inverse of PARENT_LINKS)
CHILD_TABLES: dict[str, list[str]] = {}
for _child in PARENT_LINKS:
    CHILD_TABLES.setdefault(_parent_table(_child), []).append(_child)


#: Reboot / FactoryReset through the printer: (protocol, target, value). The mapping table has
#: no row type for methods yet, so the proxy keeps them here (see docs/proxy.md).
ACTIONS: dict[str, list[tuple[str, str, Any]]] = {
    "Reboot": [("snmp", "1.3.6.1.2.1.43.5.1.1.3", 4)],  # prtGeneralReset.{dev} powerCycleReset
    "FactoryReset": [("snmp", "1.3.6.1.2.1.43.5.1.1.3", 6)],  # resetToFactoryDefaults
}


def template_of(name: str) -> str:
    """A concrete name with instance numbers replaced by ``{i}``."""
    return _NUM.sub("{i}", name)


def table_of(path: str) -> str | None:
    """The innermost table template (``...X.{i}.``) a template path lies in."""
    k = path.rfind(".{i}.")
    return path[: k + len(".{i}.")] if k >= 0 else None


def _rule_regex(rule: str, dev: int) -> re.Pattern[str]:
    pat = re.escape(rule).replace(re.escape("{dev}"), str(dev))
    pat = pat.replace(re.escape("{i}"), r"(?P<i>\d+)").replace(re.escape("{p}"), r"(?P<p>\d+)")
    pat = pat.replace(re.escape("*"), r"(?P<star>[\d.]+)")
    return re.compile(pat)


def _is_column(rule: str) -> bool:
    return any(x in rule for x in ("{i}", "{p}", "*"))


@dataclass
class Snapshot:
    """Values fetched from one printer for one RPC, and per-protocol failures."""

    scalars: dict[str, Any] = field(default_factory=dict)  # SNMP OID.instance -> value
    columns: dict[str, dict[str, Any]] = field(default_factory=dict)  # SNMP column -> suffix
    ipp: dict[str, Any] = field(default_factory=dict)
    ews: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, ProxyError] = field(default_factory=dict)  # protocol -> why
    taken: datetime | None = None  # wall-clock time (UTC) the fetch completed
    overrides: dict[tuple[str, tuple[int, ...]], Any] = field(default_factory=dict)


@dataclass
class FetchPlan:
    scalars: set[str] = field(default_factory=set)
    columns: set[str] = field(default_factory=set)
    ipp: set[str] = field(default_factory=set)
    ews: bool = False

    @property
    def empty(self) -> bool:
        return not (self.scalars or self.columns or self.ipp or self.ews)


class Bindings:
    """The mapping, indexed for the proxy (shared by every printer)."""

    def __init__(self, mapping: Mapping) -> None:
        self.mapping = mapping
        self.rows: dict[str, MappingRow] = {r.path: r for r in mapping.rows}
        self.tables: dict[str, list[MappingRow]] = {}  # table template -> rows directly in it
        for r in mapping.rows:
            t = table_of(r.path)
            if t is not None and t != PS:
                self.tables.setdefault(t, []).append(r)
        #: extra reads a root parameter borrows from a mapped one
        self.aliases: dict[str, str] = {"Device.DeviceInfo.UpTime": PS + "Status.UpTime"}

    def parent_tables(self, path: str) -> list[str]:
        """Every table template (outermost first, excluding PrintService) above ``path``."""
        out = []
        i = 0
        while True:
            k = path.find(".{i}.", i)
            if k < 0:
                break
            t = path[: k + len(".{i}.")]
            if t != PS and t in self.tables:
                out.append(t)
            i = k + 1
        return out

    def rows_for(self, names: Iterable[str]) -> list[MappingRow]:
        """Mapping rows a request naming ``names`` touches (with the tables' row parameters)."""
        picked: dict[str, MappingRow] = {}
        for name in names:
            tpl = template_of(name)
            if tpl in self.aliases:
                tpl = self.aliases[tpl]
            if tpl == "" or tpl.endswith("."):
                for r in self.mapping.rows:
                    if r.path.startswith(tpl):
                        picked[r.path] = r
                for alias, target in self.aliases.items():
                    if alias.startswith(tpl):
                        picked[target] = self.rows[target]
                # a partial path above PrintService.{i}. still reaches inside it
            elif tpl in self.rows:
                picked[tpl] = self.rows[tpl]
            elif tpl.endswith("NumberOfEntries"):
                parent = tpl.rsplit(".", 1)[0] + "."
                for t, rows in self.tables.items():
                    if t.startswith(parent) and t.count("{i}") == parent.count("{i}") + 1:
                        picked[rows[0].path] = rows[0]
        for r in list(picked.values()):
            for t in self.parent_tables(r.path):
                first = self.tables[t][0]
                picked.setdefault(first.path, first)
        return list(picked.values())


class PrinterView:
    """One printer as the tree's getters see it: its source choices and current snapshot."""

    def __init__(self, bindings: Bindings, protocols: set[str], dev: int = 1) -> None:
        self.bindings = bindings
        self.protocols = protocols
        self.dev = dev
        self.snapshot = Snapshot()
        self.choice: dict[str, Source] = {}
        for r in bindings.mapping.rows:
            src = next((s for s in r.sources if s.kind in protocols), None)
            if src is not None:
                self.choice[r.path] = src
        self.host = ""
        self.absent: set[tuple[str, str]] = set()  # (row path, source kind) the printer lacks
        self.rechoose_needed = False
        #: rows none of whose sources this printer has; from the start, the rows none of whose
        #: protocols it is configured with (pruned from its model, never a fault)
        self.dead: set[str] = {r.path for r in bindings.mapping.rows if r.path not in self.choice}
        #: forcedInform rows (every Inform carries them, even when the printer is away):
        #: their last value read is kept and served when a fresh read is impossible
        self.forced: set[str] = set()
        self.last_good: dict[tuple[str, tuple[int, ...]], Any] = {}
        self.forced_default: dict[str, Any] = {}  # before any read succeeded
        #: parameters served with their type's unknown value, and why (newest note wins);
        #: each new reason is also logged once, naming the printer and the parameter
        self.notes: dict[str, str] = {}
        #: tables whose row parameter on this printer is not the mapping's first column
        self.row_param: dict[str, MappingRow] = {}

    # -- what to fetch ----------------------------------------------------------------------

    def plan(self, rows: Iterable[MappingRow]) -> FetchPlan:
        fp = FetchPlan()
        rows = list(rows)
        tables = {t for r in rows for t in (*self.bindings.parent_tables(r.path), table_of(r.path))}
        # a parent table may take its rows from its nested tables (_parents_named_by_children)
        for t in list(tables):
            for child in CHILD_TABLES.get(t or "", []):
                if child in self.bindings.tables:
                    tables.add(child)
                    rows.append(self.bindings.tables[child][0])
        # the printer's own row parameters of the tables involved
        rows += [self.row_param[t] for t in tables if t in self.row_param]
        for r in rows:
            src = self.choice.get(r.path)
            if src is None:
                continue
            if src.kind == "snmp":
                oids = [src.oid] + [_with_oid(w) for w in src.with_objects]
                for oid in oids:
                    if _is_column(src.instance):
                        fp.columns.add(oid)
                    else:
                        fp.scalars.add(f"{oid}.{src.instance.replace('{dev}', str(self.dev))}")
                t = table_of(r.path)
                link = PARENT_LINKS.get(t or "", {}).get("snmp")
                if link:
                    fp.columns.add(link)
            elif src.kind == "ipp":
                fp.ipp.add(src.attribute)
            else:
                fp.ews = True
            if conversions.get(src.conversion).context == "boot_time":
                # the source's own clock, and the others the printer offers (an EWS state dump
                # has no uptime; the device's SNMP or IPP one is the same boot)
                for kind in (src.kind, "snmp", "ipp"):
                    if kind not in self.protocols:
                        continue
                    clock = BOOT_CLOCKS[kind][0]
                    if kind == "snmp":
                        fp.scalars.add(clock)
                    elif kind == "ipp":
                        fp.ipp.add(clock)
        return fp

    def boot_time(self, kind: str) -> datetime | None:
        """When the printer booted: snapshot time minus the uptime of ``kind``'s agent, or of
        the printer's other protocols when that one reports none; None if none is known."""
        snap = self.snapshot
        for k in dict.fromkeys((kind, "snmp", "ipp", "ews")):
            where, per_second = BOOT_CLOCKS[k]
            box = snap.scalars if k == "snmp" else snap.ipp if k == "ipp" else snap.ews
            up = box.get(where)
            if snap.taken is None or isinstance(up, bool) or not isinstance(up, int) or up < 0:
                continue
            return snap.taken - timedelta(seconds=up / per_second)
        return None

    # -- reading one value ------------------------------------------------------------------

    def _fail(self, kind: str) -> None:
        err = self.snapshot.errors.get(kind)
        if err is not None:
            raise P.ProviderError(err.message, err.code)

    def raw(self, row: MappingRow, instances: tuple[int, ...]) -> Any:
        """The source value of ``row`` at DM ``instances`` (PrintService instance first)."""
        src = self.choice.get(row.path)
        if src is None:
            raise P.ProviderError(
                f"{self.host}: none of {', '.join(s.kind for s in row.sources)} is configured "
                f"for this printer",
                P.FAULT_INTERNAL_ERROR,
            )
        self._fail(src.kind)
        inner = instances[1:]  # drop PrintService.{i}
        snap = self.snapshot
        try:
            if src.kind == "snmp":
                return self._snmp_raw(src, inner)
            if src.kind == "ipp":
                v = snap.ipp[src.attribute]
                if src.key:
                    values = v if isinstance(v, list) and not _is_collection(v) else [v]
                    idx = (inner[-1] - 1) if inner else 0
                    if src.attribute in ("printer-supply", "printer-input-tray") or inner:
                        v = values[idx]
                    return member(v, src.key)
                if inner and isinstance(v, list):
                    return v[inner[-1] - 1]
                return v
            fld = _fill(src.field, inner)
            return snap.ews[fld]
        except (KeyError, IndexError):
            if self._wholly_absent(src) and self._fallback(row, src):
                raise P.ProviderError(
                    f"{self.host}: {src.describe()} is missing; trying the next source", 9002
                ) from None
            where = src.describe()
            raise Unusable(
                f"{self.host}: the printer has no value for {where} at instance "
                f"{'.'.join(map(str, inner)) or '-'}",
                P.FAULT_INTERNAL_ERROR,
            ) from None

    def _wholly_absent(self, src: Source) -> bool:
        snap = self.snapshot
        if src.kind == "snmp":
            if _is_column(src.instance):
                return not snap.columns.get(src.oid)
            return True
        if src.kind == "ipp":
            return src.attribute not in snap.ipp
        prefix = src.field.split("{i}", 1)[0]
        return not any(k.startswith(prefix) for k in snap.ews)

    def _fallback(self, row: MappingRow, src: Source) -> bool:
        """Switch ``row`` to its next available source; True if there is one."""
        self.absent.add((row.path, src.kind))
        nxt = next(
            (
                s
                for s in row.sources
                if s.kind in self.protocols and (row.path, s.kind) not in self.absent
            ),
            None,
        )
        if nxt is None:
            self.dead.add(row.path)
            return False
        self.choice[row.path] = nxt
        self.rechoose_needed = True
        return True

    def _snmp_raw(self, src: Source, inner: tuple[int, ...]) -> Any:
        snap = self.snapshot
        oids = [src.oid] + [_with_oid(w) for w in src.with_objects]
        inst = _fill(src.instance.replace("{dev}", str(self.dev)), inner)
        vals = []
        for oid in oids:
            if "*" in inst:
                prefix = inst.split("*", 1)[0]
                col = snap.columns.get(oid, {})
                keys = [k for k in col if k.startswith(prefix)]
                keys.sort(key=lambda k: tuple(int(x) for x in k.split(".")))
                vals.append([_text(col[k]) for k in keys])
            elif _is_column(src.instance):
                vals.append(snap.columns[oid][inst])
            else:
                vals.append(snap.scalars[f"{oid}.{inst}"])
        return vals[0] if len(vals) == 1 else tuple(vals)

    def read(self, row: MappingRow, instances: tuple[int, ...]) -> Any:
        """The DM value (Python) of ``row`` at ``instances``."""
        ov = self.snapshot.overrides.get((row.path, instances))
        if ov is not None:
            return ov
        if row.path not in self.forced:
            return self._read(row, instances)
        key = (row.path, instances)
        try:
            value = self._read(row, instances)
        except P.ProviderError:
            if key in self.last_good:
                return self.last_good[key]
            if row.path in self.forced_default:
                return self.forced_default[row.path]
            raise
        self.last_good[key] = value
        return value

    def _read(self, row: MappingRow, instances: tuple[int, ...]) -> Any:
        src = self.choice.get(row.path)
        raw = self.raw(row, instances)
        assert src is not None
        if src.conversion == "list" and isinstance(raw, str | bytes):
            raw = [_text(raw)]  # a 1setOf with one value arrives as a single value
        conv = conversions.get(src.conversion)
        arg = (raw, self.boot_time(src.kind)) if conv.context == "boot_time" else raw
        try:
            return conv.to_dm(arg)
        except (conversions.ConversionError, ValueError, TypeError, IndexError) as exc:
            raise Unusable(
                f"{self.host}: {src.describe()} value {raw!r} has no PrintService form: {exc}",
                P.FAULT_INTERNAL_ERROR,
            ) from None

    def lexical(
        self, row: MappingRow, instances: tuple[int, ...], pt: T.ParamType, path: str
    ) -> str:
        """The parameter's value as a valid lexical string of its type ``pt``.

        A protocol failure still faults (9002, from ``read``); a value the printer did answer
        but that has no valid DM form (no conversion, outside the type's facets, a missing
        cell in a present column) never faults the request: a string only too long is cut to
        the type's maximum length, anything else gets ``unknown_value(pt)``, and either way a
        note names the parameter (TR-106 Amendment 8 §3.2: a reported value must be one of its
        type; what to report instead is not specified there, so this is our choice).
        """
        try:
            text = render(self.read(row, instances), pt)
        except (Unusable, T.ParamTypeError) as exc:
            unknown, why = _unknown(pt, exc.message)  # an Unusable message names the host
            self._note(path, why if isinstance(exc, Unusable) else f"{self.host}: {why}")
            return unknown
        value, note = conform(text, pt)
        if note is not None:
            self._note(path, f"{self.host}: {note}")
        return value

    def _note(self, path: str, message: str) -> None:
        if self.notes.get(path) != message:
            log.warning("%s: %s", path, message)
        self.notes[path] = message

    # -- table rows -------------------------------------------------------------------------

    def choose_row_params(self) -> None:
        """Per table, the mapped column that has the most rows on this printer (after a full read).

        The mapping's row parameter is a table's first mapped parameter; real agents leave
        columns out (a LibreNMS recording of a Brother MFC has prtInputMaxCapacity,
        prtInputCurrentLevel and prtInputName but no prtInputType), and a table whose first
        column is absent would show no rows although the printer answers the others. Only
        columns read over the same protocol as the first one are candidates: instance numbers of
        different protocols (SNMP index, IPP position) need not agree.
        """
        self.row_param = {}
        for table, rows in self.bindings.tables.items():
            first = self.choice.get(rows[0].path)
            if first is None:
                continue
            best, best_n = rows[0], len(self._instances(rows[0]))
            for r in rows[1:]:
                src = self.choice.get(r.path)
                if src is None or src.kind != first.kind or r.path in self.dead:
                    continue
                n = len(self._instances(r))
                if n > best_n:
                    best, best_n = r, n
            if best is not rows[0]:
                self.row_param[table] = best

    def table_rows(self, table: str, instances: tuple[int, ...]) -> list[int]:
        """Instance numbers of ``table`` under the parent ``instances`` (PrintService first)."""
        rows = self.bindings.tables.get(table)
        if not rows:
            return []
        row = self.row_param.get(table, rows[0])
        src = self.choice.get(row.path)
        if src is None:
            return []
        self._fail(src.kind)
        found = self._instances(row)
        if not found and table in CHILD_TABLES:
            found = self._parents_named_by_children(table)
        link = PARENT_LINKS.get(table)
        if link and len(instances) >= 2:
            parent = instances[-1]
            found = [i for i in found if self._parent_of(table, src.kind, i) == parent]
        return found

    def _parents_named_by_children(self, table: str) -> list[int]:
        """Rows of ``table`` that its nested tables point at, when the table itself is absent.

        Recordings (and some agents) hold prtMarkerSuppliesTable but no prtMarkerTable; every
        supply row names its marker (prtMarkerSuppliesMarkerIndex, RFC 3805), so the marker
        exists even though none of its own columns answered: its row is shown (with only the
        parameters the printer has) so the supplies under it are reachable. No value invented.
        """
        parents: set[int] = set()
        for child in CHILD_TABLES[table]:
            rows = self.bindings.tables.get(child)
            if not rows:
                continue
            row = self.row_param.get(child, rows[0])
            src = self.choice.get(row.path)
            if src is None:
                continue
            parents |= {self._parent_of(child, src.kind, i) for i in self._instances(row)}
        return sorted(parents)

    def _instances(self, row: MappingRow) -> list[int]:
        """Every instance number the snapshot holds for ``row`` (all parents together)."""
        src = self.choice.get(row.path)
        if src is None:
            return []
        snap = self.snapshot
        found: list[int] = []
        if src.kind == "snmp":
            rx = _rule_regex(src.instance, self.dev)
            for suffix in snap.columns.get(src.oid, {}):
                m = rx.fullmatch(suffix)
                if m and m.groupdict().get("i"):
                    found.append(int(m["i"]))
                elif m:  # a rule without {i} (one row holding a whole column, e.g. console text)
                    found.append(1)
        elif src.kind == "ipp":
            v = snap.ipp.get(src.attribute)
            n = 0 if v is None else (len(v) if isinstance(v, list) and not _is_collection(v) else 1)
            found = list(range(1, n + 1))
        else:
            rx = re.compile(re.escape(src.field).replace(re.escape("{i}"), r"(\d+)"))
            for key in snap.ews:
                m = rx.fullmatch(key)
                if m:
                    found.append(int(m[1]))
        return sorted(set(found))

    def _parent_of(self, table: str, kind: str, i: int) -> int:
        link = PARENT_LINKS[table]
        try:
            if kind == "snmp":
                return int(self.snapshot.columns[link["snmp"]][f"{self.dev}.{i}"])
            if kind == "ews":
                return int(self.snapshot.ews[link["ews"].replace("{i}", str(i))])
        except (KeyError, ValueError):
            pass
        return 1


def unknown_value(pt: T.ParamType) -> str | None:
    """What a parameter of type ``pt`` reports when the printer's value is unusable.

    dateTime: TR-106's Unknown Time ``0001-01-01T00:00:00Z`` (TR-106 Amendment 8 §3.2.1, MUST
    where the time is unknown). Other types have no TR-106 "unknown": an enumeration's
    ``Unknown`` or ``Other`` where it has one, else the empty string or empty list; integers
    ``-2`` (RFC 3805 / PWG SM "unknown") where the range allows it, else 0 or the range's
    nearest bound; booleans ``false``. None when nothing valid exists (then it faults).
    """
    if pt.list is not None:
        candidates = [""]
    elif pt.base == "dateTime":
        candidates = [T.format_datetime(conversions.UNKNOWN_TIME)]
    elif pt.base == "boolean":
        candidates = ["false"]
    elif pt.base in ("int", "long"):
        candidates = ["-2", "-1", "0"]
    elif pt.base in T.INTEGER_BOUNDS:
        candidates = ["0"]
    else:
        candidates = ["Unknown", "Other", "unknown", "other", ""] if pt.enumerations else [""]
    candidates += [str(r.min) for r in pt.ranges if r.min is not None]
    candidates += [str(r.max) for r in pt.ranges if r.max is not None]
    for c in candidates:
        if pt.is_valid(c):
            return pt.validate(c)
    return None


def _truncated(text: str, pt: T.ParamType) -> str | None:
    """``text`` cut to ``pt``'s maxLength, if that (and only that) makes it valid."""
    if pt.list is not None or pt.base != "string" or pt.max_length is None:
        return None
    if len(text) <= pt.max_length:
        return None
    cut = text[: pt.max_length].rstrip()
    return pt.validate(cut) if pt.is_valid(cut) else None


def _unknown(pt: T.ParamType, why: str) -> tuple[str, str]:
    value = unknown_value(pt)
    if value is None:  # e.g. an enumeration without Unknown/Other/"": still no fault
        return "", f"{why}; served '' (the type has no valid unknown value)"
    return value, f"{why}; served {value!r} instead"


def conform(text: str, pt: T.ParamType) -> tuple[str, str | None]:
    """``text`` made a valid value of ``pt``, and a note saying what was changed (None: nothing).

    TR-106 Amendment 8 §3.2 gives every parameter a type whose facets (string(N), ranges,
    enumerations, patterns) a reported value must satisfy; the CWMP XSD (cwmp-1-x
    DeviceIdStruct) makes the Inform's Manufacturer/ProductClass/SerialNumber at most 64
    characters. Neither says what a proxy does with a longer or stranger source value, so:
    characters XML cannot carry (SNMP strings often end in NUL) are removed; a string too long
    is cut at its maxLength (a printer's model or description keeps its meaning better cut
    than replaced); anything else becomes the type's unknown value (``unknown_value``).
    """
    try:
        return pt.validate(text), None
    except T.ParamTypeError as exc:
        first = exc.message
    if pt.enumerations and pt.list is None and _VENDOR_VALUE.fullmatch(text):
        return text, None  # TR-106 §3.3: X_<VENDOR>_ values extend an enumeration
    clean = text
    if pt.base == "string":
        clean = _XML_BAD.sub("", text).strip()
        if clean != text and pt.is_valid(clean):
            return pt.validate(clean), f"{first}; characters XML cannot carry removed"
    cut = _truncated(clean, pt)
    if cut is not None:
        return cut, f"{first}; cut to {pt.max_length} characters"
    return _unknown(pt, first)


def _is_collection(v: Any) -> bool:
    from printbench.ipp.codec import Attribute

    return isinstance(v, list) and bool(v) and isinstance(v[0], Attribute)


def _with_oid(name: str) -> str:
    from printbench.datamodel import oids

    return oids.OIDS[name][0]


def _fill(rule: str, inner: tuple[int, ...]) -> str:
    i = inner[-1] if inner else 0
    p = inner[-2] if len(inner) > 1 else 0
    return rule.replace("{i}", str(i)).replace("{p}", str(p))


def _text(v: Any) -> Any:
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else v


def render(value: Any, type_: Any) -> str:
    """A DM Python value as the parameter's lexical string (lists comma-joined)."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if type_.list is not None and isinstance(value, list | tuple):
        return ",".join(render(v, type_.item_type()) for v in value)
    if isinstance(value, bool) and type_.base == "string":
        return "true" if value else "false"
    if type_.base == "boolean" and isinstance(value, int | bool):
        return "true" if value else "false"
    if isinstance(value, int) and not isinstance(value, bool) and type_.base == "string":
        return str(value)
    return type_._render(value)


class TableRows:
    """``cwmp.params.TableProvider`` for a mapped table: rows from the printer's snapshot."""

    def __init__(self, table: str) -> None:
        self.table = table

    # A protocol failure shows as "no rows" here: the RPC handlers fault 9002 before the tree
    # runs, and the value-change tracker must not crash on a printer that went away.
    def _rows(self, nc: P.NodeContext) -> list[int]:
        view = nc.tree.root
        if not isinstance(view, PrinterView):
            return []
        try:
            return view.table_rows(self.table, nc.instances)
        except P.ProviderError:
            return []

    def rows(self, nc: P.NodeContext) -> list[tuple[int, Any]]:
        return [(i, None) for i in self._rows(nc)]

    def row(self, nc: P.NodeContext, instance: int) -> Any:
        if instance not in self._rows(nc):
            raise KeyError(instance)
        return None


class PrintServiceRows:
    """``PrintService.{i}``: a proxied printer has exactly one print service, instance 1."""

    def rows(self, nc: P.NodeContext) -> list[tuple[int, Any]]:
        return [(1, None)] if isinstance(nc.tree.root, PrinterView) else []

    def row(self, nc: P.NodeContext, instance: int) -> Any:
        if instance != 1 or not isinstance(nc.tree.root, PrinterView):
            raise KeyError(instance)
        return None
