"""Turn the generated DM XML (root subset + PrintService) into a ``cwmp.params.DataModel``.

The XML is the single source of the served model: every object, table and parameter, its
TR-106 type with facets, its access, ``activeNotify`` and ``forcedInform`` come from it, so the
embedded client and the proxy serve exactly the published model. *Values* are not the
loader's business: a :class:`Binder` supplied by whoever serves the tree (the embedded client
binds to the emulator state, the proxy to the mapping) says how each table lists its rows and
how each parameter is read and written. Unbound parameters live in the tree itself (their
value is the type's default until an ACS sets it), and ``<Table>NumberOfEntries`` parameters
are bound automatically to the row count of their table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from lxml import etree

from printbench.cwmp import params as P
from printbench.cwmp import types as T
from printbench.datamodel.translator import FILE_NAME, ROOT_FILE_NAME
from printbench.datamodel.xsd import safe_parser

GENERATED_DIR = Path(__file__).resolve().parent / "generated"
SERVICE_MOUNT = "Device.Services."
_BASES = set(T.BASE_TYPES)


class LoaderError(ValueError):
    """The DM XML cannot be turned into a parameter tree; the message names file and line."""


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of the model, with its template path (``…{i}…``)."""

    path: str
    type: T.ParamType
    writable: bool
    active_notify: str
    forced_inform: bool
    description: str
    source: str  # "file:line"


@dataclass(frozen=True)
class ObjectSpec:
    path: str
    is_table: bool
    writable: bool
    min_entries: int
    max_entries: int | None  # None: unbounded
    num_entries_parameter: str
    source: str


@dataclass
class ModelSpec:
    """Objects and parameters by template path, in document order."""

    objects: dict[str, ObjectSpec] = field(default_factory=dict)
    params: dict[str, ParamSpec] = field(default_factory=dict)

    def __contains__(self, path: str) -> bool:
        return path in self.params or path in self.objects


@dataclass
class Binding:
    """How one parameter is read and written (see ``cwmp.params.DataModel.parameter``)."""

    get: P.Getter | None = None
    set: P.Setter | None = None
    source: P.ParameterSource | None = None
    validate: Callable[[P.NodeContext, str], None] | None = None
    default: str | None = None
    lexical: bool = False


class Binder(Protocol):
    """Supplied by the server of the tree. Return None to leave a node to the tree itself."""

    def table(self, spec: ObjectSpec) -> P.TableProvider | None: ...

    def object_ctx(self, spec: ObjectSpec) -> Callable[[Any], Any] | None: ...

    def parameter(self, spec: ParamSpec) -> Binding | None: ...


class NullBinder:
    """Binds nothing: every value lives in the tree (for tests and schema checks)."""

    def table(self, spec: ObjectSpec) -> P.TableProvider | None:
        return None

    def object_ctx(self, spec: ObjectSpec) -> Callable[[Any], Any] | None:
        return None

    def parameter(self, spec: ParamSpec) -> Binding | None:
        return None


def default_files() -> list[tuple[Path, str]]:
    """The committed documents and where each is mounted."""
    return [(GENERATED_DIR / ROOT_FILE_NAME, ""), (GENERATED_DIR / FILE_NAME, SERVICE_MOUNT)]


def _syntax_type(syntax: etree._Element, where: str, named: dict[str, T.ParamType]) -> T.ParamType:
    kids = [c for c in syntax if isinstance(c.tag, str)]
    lst = next((c for c in kids if c.tag == "list"), None)
    dt = next((c for c in kids if c.tag == "dataType"), None)
    if dt is not None:
        name = dt.get("ref") or dt.get("base") or ""
        if name not in named:
            raise LoaderError(f"{where}: unknown dataType {name!r}")
        pt = T.apply_facets(named[name], list(dt), where)
    else:
        base = next((c for c in kids if c.tag in _BASES), None)
        if base is None:
            raise LoaderError(f"{where}: syntax without a type")
        pt = T.apply_facets(T.base_type(base.tag), list(base), where)
    if lst is not None:
        pt = pt.as_list(**T.list_facet(lst).__dict__)
    return pt


class _StandardTypesFallback(dict[str, T.ParamType]):
    """Named data types: the documents' own copies first, tr-106-types.xml only when asked.

    The generated documents carry a copy of every named type they use, so a printer or the
    proxy loads its model without the public standard files; a document that uses a type it
    does not define still gets it from tr-106-types.xml (or a one-line StandardsMissing).
    """

    def __missing__(self, name: str) -> T.ParamType:
        return T.named_types()[name]

    def __contains__(self, name: object) -> bool:
        if dict.__contains__(self, name):
            return True
        return isinstance(name, str) and name in T.named_types()


def load_spec(files: Iterable[tuple[Path, str]] | None = None) -> ModelSpec:
    """Read the DM documents; ``files`` pairs each path with its mount prefix."""
    spec = ModelSpec()
    named: dict[str, T.ParamType] = _StandardTypesFallback()
    for path, mount in files if files is not None else default_files():
        try:
            root = etree.parse(str(path), safe_parser()).getroot()
        except (OSError, etree.XMLSyntaxError) as exc:
            raise LoaderError(f"{path}: cannot read: {exc}") from None
        fname = Path(path).name
        for _dt in root.findall("dataType"):  # the document's own copies win
            try:
                loaded = T.load_named_types(path)
            except T.TypesFileError:
                break
            named.update(loaded)
            break
        for model in root.findall("model"):
            for el in model:
                if not isinstance(el.tag, str):
                    continue
                where = f"{fname}:{el.sourceline}"
                if el.tag == "parameter":
                    _add_param(spec, mount, el, where, named)
                elif el.tag == "object":
                    name = mount + (el.get("name") or "")
                    max_e = el.get("maxEntries", "1")
                    spec.objects[name] = ObjectSpec(
                        path=name,
                        is_table=name.endswith(".{i}."),
                        writable=el.get("access") == "readWrite",
                        min_entries=int(el.get("minEntries", "1")),
                        max_entries=None if max_e == "unbounded" else int(max_e),
                        num_entries_parameter=el.get("numEntriesParameter", ""),
                        source=where,
                    )
                    for p in el.findall("parameter"):
                        _add_param(spec, name, p, f"{fname}:{p.sourceline}", named)
    return spec


def _add_param(
    spec: ModelSpec, prefix: str, el: etree._Element, where: str, named: dict[str, T.ParamType]
) -> None:
    syntax = el.find("syntax")
    if syntax is None:
        raise LoaderError(f"{where}: parameter {el.get('name')} has no syntax")
    path = prefix + (el.get("name") or "")
    desc = el.find("description")
    spec.params[path] = ParamSpec(
        path=path,
        type=_syntax_type(syntax, where, named),
        writable=el.get("access") == "readWrite",
        active_notify=el.get("activeNotify", "normal"),
        forced_inform=el.get("forcedInform") == "true",
        description=(desc.text or "").strip() if desc is not None else "",
        source=where,
    )


def _count_rows(table_path: str) -> P.Getter:
    def get(nc: P.NodeContext) -> int:
        td = nc.tree.model._tables[table_path]
        ctx = P.NodeContext(nc.tree, nc.obj, nc.instances, table_path)
        return sum(1 for _ in td.provider.rows(ctx))

    return get


def build_data_model(
    spec: ModelSpec | None = None,
    binder: Binder | None = None,
    include: Callable[[str], bool] | None = None,
) -> P.DataModel:
    """A ``cwmp.params.DataModel`` serving the model; ``include(path)`` may prune parameters."""
    spec = spec or load_spec()
    binder = binder or NullBinder()
    dm = P.DataModel()
    num_entries: dict[str, str] = {}
    for obj in spec.objects.values():
        if obj.path == "Device.":
            continue
        if obj.is_table:
            dm.table(
                obj.path,
                provider=binder.table(obj),
                writable=obj.writable,
                max_entries=obj.max_entries,
            )
            parent = obj.path[: -len(".{i}.")].rsplit(".", 1)[0] + "."
            if obj.num_entries_parameter:
                num_entries[parent + obj.num_entries_parameter] = obj.path
        else:
            dm.object(obj.path, ctx=binder.object_ctx(obj))
    for top_param, table in (
        ("Device.Services.PrintServiceNumberOfEntries", "Device.Services.PrintService.{i}."),
    ):
        if table in spec.objects:
            num_entries.setdefault(top_param, table)
    for ps in spec.params.values():
        if include is not None and not include(ps.path):
            continue
        b = binder.parameter(ps)
        if b is None and ps.path in num_entries:
            b = Binding(get=_count_rows(num_entries[ps.path]))
        b = b or Binding()
        writable = ps.writable and (b.get is None or b.set is not None or b.source is not None)
        try:
            dm.parameter(
                ps.path,
                ps.type,
                writable=writable,
                get=b.get,
                set=b.set,
                source=b.source,
                validate=b.validate,
                default=b.default,
                active_notify=ps.active_notify,
                forced_inform=ps.forced_inform,
                lexical=b.lexical,
            )
        except P.SchemaError as exc:
            raise LoaderError(f"{ps.source}: {exc}") from None
    return dm
