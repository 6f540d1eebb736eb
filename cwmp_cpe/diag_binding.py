"""``Device.IP.Diagnostics.*`` parameters bound to a :class:`DiagnosticsStore` (for any tree).

Data-model neutral: a tree server (the printer's view, the proxy's model) asks
:func:`parameter` for each parameter path and :func:`table` for each table path, giving a
function that finds the device's store from a ``NodeContext``; what comes back plugs into
``cwmp.params.DataModel.parameter``/``table`` (getters return lexical strings; setters take
the lexical value, so bind them with ``lexical=True``). None means "not a diagnostics path".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from printbench.cwmp import params as P
from printbench.cwmp_cpe import diagnostics as D

StoreOf = Callable[[P.NodeContext], D.DiagnosticsStore]
Bound = tuple[P.Getter, P.Setter | None, Callable[[P.NodeContext, str], None] | None]


def _split(path: str) -> tuple[str, str] | None:
    """``Device.IP.Diagnostics.IPPing.Host`` → ("IPPing", "Host"); tables keep their rest."""
    if not path.startswith(D.BASE):
        return None
    rest = path[len(D.BASE) :]
    if "." not in rest:
        return "", rest  # Device.IP.Diagnostics.IPv4PingSupported
    kind, name = rest.split(".", 1)
    if kind not in D.KINDS:
        return None
    return kind, name


def parameter(path: str, store_of: StoreOf) -> Bound | None:
    """(getter, setter, validator) of one diagnostics parameter template, or None."""
    split = _split(path)
    if split is None:
        return None
    kind, name = split
    if not kind:

        def get_supported(nc: P.NodeContext) -> str:
            return "true" if store_of(nc).supported.get(name, False) else "false"

        return get_supported, None, None
    if "{i}" in name:  # a column of a result table: the row is the context object
        column = name.rsplit(".", 1)[1]

        def get_cell(nc: P.NodeContext) -> str:
            row: dict[str, str] = nc.obj
            return row.get(column, "")

        return get_cell, None, None
    if name.endswith("NumberOfEntries"):
        table_name = name[: -len("NumberOfEntries")]

        def count(nc: P.NodeContext) -> str:
            return str(len(store_of(nc).object(kind).tables.get(table_name, [])))

        return count, None, None

    def get(nc: P.NodeContext) -> str:
        return store_of(nc).object(kind).get(name)

    writable = name == "DiagnosticsState" or name in D.KINDS[kind].tests
    if not writable:
        return get, None, None

    def set_(nc: P.NodeContext, value: Any) -> None:
        store_of(nc).write(kind, name, str(value))

    def check(nc: P.NodeContext, value: str) -> None:
        try:
            D.validate(kind, name, value)
        except D.InvalidValue as exc:
            raise P.ProviderError(str(exc), P.FAULT_INVALID_PARAMETER_VALUE) from None

    return get, set_, check


class _Rows:
    """A result table of one diagnostic object (read-only rows, numbered from 1)."""

    def __init__(self, kind: str, table: str, store_of: StoreOf) -> None:
        self.kind, self.table, self.store_of = kind, table, store_of

    def _list(self, nc: P.NodeContext) -> list[dict[str, str]]:
        return self.store_of(nc).object(self.kind).tables.get(self.table, [])

    def rows(self, nc: P.NodeContext) -> Iterable[tuple[int, Any]]:
        return list(enumerate(self._list(nc), 1))

    def row(self, nc: P.NodeContext, instance: int) -> Any:
        rows = self._list(nc)
        if not 1 <= instance <= len(rows):
            raise KeyError(instance)
        return rows[instance - 1]


def table(path: str, store_of: StoreOf) -> P.TableProvider | None:
    """The provider of a result table template (``….RouteHops.{i}.``), or None."""
    split = _split(path)
    if split is None or not split[0]:
        return None
    kind, rest = split
    name = rest.split(".", 1)[0]
    if name not in D.KINDS[kind].tables:
        return None
    return _Rows(kind, name, store_of)
