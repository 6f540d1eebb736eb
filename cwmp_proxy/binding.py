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

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from printbench.cwmp import params as P
from printbench.cwmp_proxy.errors import ProxyError
from printbench.cwmp_proxy.ipp_client import member
from printbench.datamodel import conversions
from printbench.datamodel.mapping import Mapping, MappingRow, Source

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
        self.dead: set[str] = set()  # rows none of whose sources this printer has
        #: forcedInform rows (every Inform carries them, even when the printer is away):
        #: their last value read is kept and served when a fresh read is impossible
        self.forced: set[str] = set()
        self.last_good: dict[tuple[str, tuple[int, ...]], Any] = {}
        self.forced_default: dict[str, Any] = {}  # before any read succeeded

    # -- what to fetch ----------------------------------------------------------------------

    def plan(self, rows: Iterable[MappingRow]) -> FetchPlan:
        fp = FetchPlan()
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
        return fp

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
            raise P.ProviderError(
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
        try:
            return conversions.get(src.conversion).to_dm(raw)
        except (conversions.ConversionError, ValueError, TypeError) as exc:
            raise P.ProviderError(
                f"{self.host}: {src.describe()} value {raw!r} has no PrintService form: {exc}",
                P.FAULT_INTERNAL_ERROR,
            ) from None

    # -- table rows -------------------------------------------------------------------------

    def table_rows(self, table: str, instances: tuple[int, ...]) -> list[int]:
        """Instance numbers of ``table`` under the parent ``instances`` (PrintService first)."""
        rows = self.bindings.tables.get(table)
        if not rows:
            return []
        row = rows[0]
        src = self.choice.get(row.path)
        if src is None:
            return []
        self._fail(src.kind)
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
        found = sorted(set(found))
        link = PARENT_LINKS.get(table)
        if link and len(instances) >= 2:
            parent = instances[-1]
            found = [i for i in found if self._parent_of(table, src.kind, i) == parent]
        return found

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
