"""The TR-069 parameter tree: names, values, attributes and the RPCs that work on them.

Two layers keep this cheap for thousands of devices:

* ``DataModel`` is the *schema*: objects, multi-instance tables (``{i}``) and parameters with
  their TR-106 type, access, notification rules and *how to read and write them* (getter and
  setter callables). It is built once and shared by every device of a model.
* ``ParameterTree`` is one device's *view*: the shared model bound to that device's state
  object, plus the little that TR-069 itself keeps per device (ParameterKey, attributes set by
  SetParameterAttributes, values of parameters that live only in the tree, the value-change
  baseline). Nothing is copied out of the device state: every Get reads it through the
  getters, so the tree is always current, and a request only touches the nodes it names.

The RPC methods (``get_parameter_values``, ``set_parameter_values``, ``get_parameter_names``,
``set_parameter_attributes``, ``get_parameter_attributes``, ``add_object``, ``delete_object``)
return plain result objects or raise ``ParameterFault`` carrying the TR-069 fault code (and, for
SetParameterValues, one ``SetParameterValuesFault`` per bad parameter). Which rules apply and
why is written down in docs/cwmp-params.md.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any, Protocol, runtime_checkable

from printbench.cwmp import types as t
from printbench.cwmp.faults import fault_string

log = logging.getLogger(__name__)

# TR-069 CPE fault codes used here (cwmp-1-2.xsd); plain ints so callers need nothing else.
FAULT_REQUEST_DENIED = 9001
FAULT_INTERNAL_ERROR = 9002
FAULT_INVALID_ARGUMENTS = 9003
FAULT_RESOURCES_EXCEEDED = 9004
FAULT_INVALID_PARAMETER_NAME = 9005
FAULT_INVALID_PARAMETER_TYPE = 9006
FAULT_INVALID_PARAMETER_VALUE = 9007
FAULT_NOT_WRITABLE = 9008
FAULT_NOTIFICATION_REJECTED = 9009


PARAMETER_KEY_MAX = 32  # TR-069 A.3.2.1: ParameterKey is string(32)
NAME_MAX = 256  # parameter names are string(256)

STATUS_APPLIED = 0
STATUS_PENDING = 1  # "changes committed but not yet applied" (e.g. needs a reboot)

_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_INSTANCE_RE = re.compile(r"[1-9][0-9]*")


# -- results and faults -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SetParameterValuesFault:
    name: str
    code: int
    message: str


class ParameterFault(Exception):
    """A TR-069 fault answering one RPC; ``code`` is 9001-9009, ``spv_faults`` per parameter."""

    def __init__(
        self, code: int, message: str, spv_faults: Sequence[SetParameterValuesFault] = ()
    ) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message
        self.spv_faults = tuple(spv_faults)

    @property
    def fault_string(self) -> str:
        """The standard FaultString of ``code`` (the detail is in ``message``)."""
        return fault_string(self.code)

    def to_fault(self, *, detailed: bool = True) -> Any:
        """This fault as a ``cwmp.messages.Fault`` ready for the SOAP codec.

        ``detailed`` puts our precise message into FaultString (naming the parameter and
        the rule); otherwise the standard string of the code is sent.
        """
        from printbench.cwmp.messages import Fault
        from printbench.cwmp.messages import SetParameterValuesFault as SPVF

        return Fault(
            self.code,
            self.message if detailed else self.fault_string,
            tuple(SPVF(f.name, f.code, f.message) for f in self.spv_faults),
        )


class ProviderError(Exception):
    """Raised by a getter/setter/table provider: the device refused or failed.

    ``code`` 9005-9008 make SetParameterValues answer 9003 with a per-parameter fault;
    other codes (9001, 9002, 9004) become the RPC's own fault.
    """

    def __init__(self, message: str, code: int = FAULT_INTERNAL_ERROR) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class SchemaError(ValueError):
    """A data model definition is inconsistent (bad path, missing table, duplicate name)."""


@dataclass(frozen=True, slots=True)
class ParameterValue:
    name: str
    value: str
    xsi_type: str = "xsd:string"


@dataclass(frozen=True, slots=True)
class ParameterInfo:
    name: str
    writable: bool


@dataclass(frozen=True, slots=True)
class ParameterAttribute:
    name: str
    notification: int
    access_list: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AttributeChange:
    """One SetParameterAttributesStruct."""

    name: str
    notification_change: bool = False
    notification: int = 0
    access_list_change: bool = False
    access_list: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AddObjectResult:
    instance_number: int
    status: int = STATUS_APPLIED


@dataclass(frozen=True, slots=True)
class ValueChange:
    name: str
    value: str
    xsi_type: str
    notification: int  # 1 passive, 2 active
    at: float = 0.0

    @property
    def active(self) -> bool:
        return self.notification in (2, 5, 6)


class ActiveNotify(StrEnum):
    """TR-106 ``activeNotify`` of a parameter definition."""

    NORMAL = "normal"
    FORCE_ENABLED = "forceEnabled"  # always active; the ACS cannot turn it off
    FORCE_DEFAULT_ENABLED = "forceDefaultEnabled"  # active by default; the ACS may change it
    CAN_DENY = "canDeny"  # the CPE may reject active notification (9009)


# -- schema -----------------------------------------------------------------------------------


@dataclass(slots=True)
class NodeContext:
    """What a getter/setter sees: the device tree, the state object of the enclosing object or
    table row, and the instance numbers along the path (outermost first)."""

    tree: ParameterTree
    obj: Any
    instances: tuple[int, ...] = ()
    path: str = ""  # concrete name of the object (for table providers: of the table, "A.X.")


Getter = Callable[[NodeContext], Any]
Setter = Callable[[NodeContext, Any], Any]


@runtime_checkable
class ParameterSource(Protocol):
    """A per-device value holder: ``get() -> str``; ``set(value: str)`` if writable."""

    def get(self) -> str: ...


@runtime_checkable
class TableProvider(Protocol):
    """Lists and looks up the rows of one multi-instance object for a given parent context.

    ``rows`` yields ``(instance_number, row_state)``; ``row`` returns one row or raises
    KeyError. Optional ``add(nc) -> int`` and ``delete(nc, instance)`` serve AddObject and
    DeleteObject (raise ProviderError(..., 9004) when full).
    """

    def rows(self, nc: NodeContext) -> Iterable[tuple[int, Any]]: ...

    def row(self, nc: NodeContext, instance: int) -> Any: ...


class ParamDef:
    """A parameter definition (shared by all devices)."""

    __slots__ = (
        "active_notify",
        "default",
        "forced_inform",
        "getter",
        "lexical",
        "path",
        "segment",
        "setter",
        "type",
        "validator",
        "writable",
    )

    def __init__(
        self,
        path: str,
        type_: t.ParamType,
        *,
        writable: bool,
        getter: Getter | None,
        setter: Setter | None,
        validator: Callable[[NodeContext, str], None] | None,
        default: str,
        active_notify: ActiveNotify,
        forced_inform: bool,
        lexical: bool,
    ) -> None:
        self.path = path
        self.segment = path.rsplit(".", 1)[-1]
        self.type = type_
        self.writable = writable
        self.getter = getter
        self.setter = setter
        self.validator = validator
        self.default = default
        self.active_notify = active_notify
        self.forced_inform = forced_inform
        self.lexical = lexical

    @property
    def stored(self) -> bool:
        """True when the value lives in the tree itself rather than in the device state."""
        return self.getter is None

    @property
    def default_notification(self) -> int:
        return (
            2
            if self.active_notify
            in (ActiveNotify.FORCE_ENABLED, ActiveNotify.FORCE_DEFAULT_ENABLED)
            else 0
        )

    def __repr__(self) -> str:
        return f"ParamDef({self.path!r}, {self.type.label})"


class ObjectDef:
    """A single-instance object, or the instance template of a table (segment ``{i}``)."""

    __slots__ = ("children", "ctx", "path", "segment")

    def __init__(self, path: str, ctx: Callable[[Any], Any] | None = None) -> None:
        self.path = path
        self.segment = path.rstrip(".").rsplit(".", 1)[-1] if path else ""
        self.ctx = ctx
        self.children: dict[str, ParamDef | ObjectDef | TableDef] = {}

    def __repr__(self) -> str:
        return f"ObjectDef({self.path!r})"


class TableDef:
    """A multi-instance object ``X.{i}.``: provider for the rows, template for each row."""

    __slots__ = ("instance", "max_entries", "path", "provider", "segment", "writable")

    def __init__(
        self, path: str, provider: TableProvider, writable: bool, max_entries: int | None
    ) -> None:
        self.path = path  # "Device.X.{i}."
        self.segment = path[: -len(".{i}.")].rsplit(".", 1)[-1]
        self.provider = provider
        self.writable = writable
        self.max_entries = max_entries
        self.instance = ObjectDef(path)

    def __repr__(self) -> str:
        return f"TableDef({self.path!r})"


Node = ParamDef | ObjectDef | TableDef


def _default_lexical(pt: t.ParamType) -> str:
    if pt.list is not None:
        return ""
    return {
        "int": "0",
        "unsignedInt": "0",
        "long": "0",
        "unsignedLong": "0",
        "boolean": "0" if pt.boolean_as_digit else "false",
        "dateTime": t.UNKNOWN_TIME,
        "decimal": "0",
    }.get(pt.base, "")


class DataModel:
    """A tree of object, table and parameter definitions, built once and shared."""

    def __init__(self) -> None:
        self.root = ObjectDef("")
        self._params: dict[str, ParamDef] = {}
        self._tables: dict[str, TableDef] = {}
        self._notify_defs: list[ParamDef] | None = None
        self._forced_defs: list[ParamDef] | None = None  # every Inform reads it

    # -- building ---------------------------------------------------------------------------

    def object(self, path: str, *, ctx: Callable[[Any], Any] | None = None) -> ObjectDef:
        """Declare a single-instance object ``A.B.`` (parents are created as needed).

        ``ctx`` maps the parent's state object to this object's (default: the same object).
        """
        if not path.endswith(".") or path.endswith("{i}."):
            raise SchemaError(f"object path {path!r} must end with '.' and not with '{{i}}.'")
        parent, seg = self._parent(path[:-1])
        existing = parent.children.get(seg)
        if isinstance(existing, ObjectDef):
            if ctx is not None:
                existing.ctx = ctx
            return existing
        if existing is not None:
            raise SchemaError(f"{path!r} is already declared as {existing!r}")
        obj = ObjectDef(path, ctx)
        parent.children[seg] = obj
        return obj

    def table(
        self,
        path: str,
        *,
        provider: TableProvider | None = None,
        writable: bool = False,
        max_entries: int | None = None,
    ) -> TableDef:
        """Declare a multi-instance object ``A.B.{i}.``.

        Without ``provider`` the instances live in the tree itself (``StoredTable``), which
        suits ACS-managed tables; otherwise the provider lists the device's own rows.
        ``writable`` allows AddObject/DeleteObject.
        """
        if not path.endswith(".{i}."):
            raise SchemaError(f"table path {path!r} must end with '.{{i}}.'")
        table_name = path[: -len("{i}.")]
        parent, seg = self._parent(table_name[:-1])
        if seg in parent.children:
            raise SchemaError(f"{path!r} is already declared")
        td = TableDef(path, provider or StoredTable(), writable, max_entries)
        parent.children[seg] = td
        self._tables[path] = td
        return td

    def parameter(
        self,
        path: str,
        type_: t.ParamType | str = "string",
        *,
        writable: bool = False,
        get: Getter | None = None,
        set: Setter | None = None,
        source: ParameterSource | None = None,
        validate: Callable[[NodeContext, str], None] | None = None,
        default: str | None = None,
        active_notify: ActiveNotify | str = ActiveNotify.NORMAL,
        forced_inform: bool = False,
        lexical: bool = False,
    ) -> ParamDef:
        """Declare a parameter ``A.B.Name``.

        Values come from ``get(nc)`` (returning a lexical string or a Python value of the
        type) and go to ``set(nc, value)`` (the Python value, or the canonical string when
        ``lexical=True``); ``source`` is a ready ``ParameterSource`` (lexical both ways).
        With neither, the value lives in the tree (initially ``default``). ``validate(nc,
        canonical)`` may raise ``ParamTypeError``/``ProviderError`` for rules beyond the type.
        A setter may return ``STATUS_PENDING`` to make SetParameterValues answer Status 1.
        """
        if path.endswith(".") or "." not in path:
            raise SchemaError(f"parameter path {path!r} must look like 'Object.Name'")
        pt = t.type_by_name(type_) if isinstance(type_, str) else type_
        if source is not None:
            if get is not None or set is not None:
                raise SchemaError(f"{path}: give either source= or get=/set=, not both")
            src = source
            get = lambda nc: src.get()  # noqa: E731
            if writable:
                write = getattr(src, "set", None)  # ParameterSource.set is optional
                if write is None:
                    raise SchemaError(f"{path}: writable, but its source has no set(value)")
                set = lambda nc, v: write(v)  # noqa: E731
            lexical = True
        if writable and get is not None and set is None:
            raise SchemaError(f"{path}: writable parameter with a getter needs a setter")
        if default is None:
            default = _default_lexical(pt)
        elif get is None:
            try:
                default = pt.validate(default)
            except t.ParamTypeError as exc:
                raise SchemaError(f"{path}: default {exc.message}") from None
        parent, seg = self._parent(path)
        if seg in parent.children:
            raise SchemaError(f"{path!r} is already declared")
        pd = ParamDef(
            path,
            pt,
            writable=writable,
            getter=get,
            setter=set,
            validator=validate,
            default=default,
            active_notify=ActiveNotify(active_notify),
            forced_inform=forced_inform,
            lexical=lexical,
        )
        parent.children[seg] = pd
        self._params[path] = pd
        self._notify_defs = None
        self._forced_defs = None
        return pd

    def _parent(self, dotted: str) -> tuple[ObjectDef, str]:
        """The ObjectDef that holds the last segment of ``dotted``, creating plain objects."""
        segs = dotted.split(".")
        for s in segs:
            if s != "{i}" and not _NAME_RE.fullmatch(s):
                raise SchemaError(f"bad segment {s!r} in {dotted!r}")
        if segs[-1] == "{i}":
            raise SchemaError(f"{dotted!r}: declare tables with table()")
        node: ObjectDef = self.root
        prefix = ""
        i = 0
        while i < len(segs) - 1:
            s = segs[i]
            child = node.children.get(s)
            if i + 1 < len(segs) - 1 and segs[i + 1] == "{i}":
                if not isinstance(child, TableDef):
                    raise SchemaError(f"{dotted!r}: table {prefix}{s}.{{i}}. is not declared")
                node = child.instance
                prefix += s + ".{i}."
                i += 2
                continue
            if child is None:
                child = ObjectDef(prefix + s + ".")
                node.children[s] = child
            elif not isinstance(child, ObjectDef):
                raise SchemaError(f"{dotted!r}: {prefix}{s} is {child!r}, not an object")
            node = child
            prefix += s + "."
            i += 1
        return node, segs[-1]

    # -- queries ----------------------------------------------------------------------------

    def param_def(self, template: str) -> ParamDef:
        return self._params[template]

    def param_defs(self) -> list[ParamDef]:
        return list(self._params.values())

    def forced_inform_defs(self) -> list[ParamDef]:
        """forcedInform parameters; cached (a scan of ~2,000 definitions was a quarter of a
        fleet worker's time per Inform) and dropped when a parameter is declared."""
        if self._forced_defs is None:
            self._forced_defs = [p for p in self._params.values() if p.forced_inform]
        return self._forced_defs

    def notify_by_default_defs(self) -> list[ParamDef]:
        """Parameters whose notification is on unless the ACS turns it off (forced ones)."""
        if self._notify_defs is None:
            self._notify_defs = [p for p in self._params.values() if p.default_notification]
        return self._notify_defs


# -- table providers --------------------------------------------------------------------------


class StoredTable:
    """Instances kept in the tree's own store (for tables only the ACS manages)."""

    def rows(self, nc: NodeContext) -> Iterable[tuple[int, Any]]:
        return [(i, nc.obj) for i in nc.tree.store.get("#table:" + nc.path, [])]

    def row(self, nc: NodeContext, instance: int) -> Any:
        if instance not in nc.tree.store.get("#table:" + nc.path, []):
            raise KeyError(instance)
        return nc.obj

    def add(self, nc: NodeContext) -> int:
        path = nc.path
        store = nc.tree.store
        instances = store.setdefault("#table:" + path, [])
        # Instance numbers are never reused while the device lives (TR-069 3.6.1 asks CPEs
        # not to reuse them), so the counter persists with the store.
        n = max(store.get("#next:" + path, 1), max(instances, default=0) + 1)
        instances.append(n)
        store["#next:" + path] = n + 1
        return n

    def delete(self, nc: NodeContext, instance: int) -> None:
        instances = nc.tree.store.get("#table:" + nc.path, [])
        instances.remove(instance)


class MappingTable:
    """Rows taken from the parent's state: ``rows_of(parent_obj)`` returns a mapping
    ``{instance: row}`` or a sequence (numbered from 1). Optional ``add(parent_obj) -> int``
    and ``delete(parent_obj, instance)`` make the table writable from the ACS."""

    def __init__(
        self,
        rows_of: Callable[[Any], Mapping[int, Any] | Sequence[Any]],
        add: Callable[[Any], int] | None = None,
        delete: Callable[[Any, int], None] | None = None,
    ) -> None:
        self._rows_of = rows_of
        self._add = add
        self._delete = delete

    def rows(self, nc: NodeContext) -> Iterable[tuple[int, Any]]:
        rows = self._rows_of(nc.obj)
        if isinstance(rows, Mapping):
            return sorted(rows.items(), key=lambda kv: kv[0])
        return list(enumerate(rows, 1))

    def row(self, nc: NodeContext, instance: int) -> Any:
        rows = self._rows_of(nc.obj)
        if isinstance(rows, Mapping):
            return rows[instance]
        if 1 <= instance <= len(rows):
            return rows[instance - 1]
        raise KeyError(instance)

    def add(self, nc: NodeContext) -> int:
        if self._add is None:
            raise ProviderError("rows of this table cannot be added", FAULT_REQUEST_DENIED)
        return self._add(nc.obj)

    def delete(self, nc: NodeContext, instance: int) -> None:
        if self._delete is None:
            raise ProviderError("rows of this table cannot be deleted", FAULT_REQUEST_DENIED)
        self._delete(nc.obj, instance)


# -- getter helpers ---------------------------------------------------------------------------


def attr(name: str) -> Getter:
    """Getter reading ``nc.obj.<name>`` (dotted names walk attributes)."""
    parts = name.split(".")

    def get(nc: NodeContext) -> Any:
        v = nc.obj
        for p in parts:
            v = getattr(v, p)
        return v

    return get


def set_attr(name: str) -> Setter:
    """Setter writing ``nc.obj.<name> = value``."""
    *head, last = name.split(".")

    def set_(nc: NodeContext, value: Any) -> None:
        o = nc.obj
        for p in head:
            o = getattr(o, p)
        setattr(o, last, value)

    return set_


def const(value: Any) -> Getter:
    return lambda nc: value


def parameter_key(nc: NodeContext) -> str:
    """Getter for ``ManagementServer.ParameterKey``: the tree's own ParameterKey."""
    return nc.tree.parameter_key


# -- resolution -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Resolved:
    kind: str  # "root", "param", "object", "table", "instance"
    node: Any
    nc: NodeContext
    path: str  # concrete name (objects end with ".")
    table_path: str = ""  # for "table"/"instance": the concrete table path "A.X."


def _split_name(name: str) -> list[str] | None:
    """Segments of a parameter or object name, or None when malformed."""
    segs = _split_checked(name)
    return None if segs is None else list(segs)


@lru_cache(maxsize=8192)
def _split_checked(name: str) -> tuple[str, ...] | None:
    """:func:`_split_name`, memoised: a CPE resolves the same few dozen names in every
    session (py-spy: the per-segment name regexes were 4 % of a fleet worker's CPU). Bounded,
    so names an ACS makes up cannot grow it."""
    if name == "":
        return ()
    if len(name) > NAME_MAX:
        return None
    body = name[:-1] if name.endswith(".") else name
    segs = body.split(".")
    for s in segs:
        if not (_NAME_RE.fullmatch(s) or _INSTANCE_RE.fullmatch(s)):
            return None
    return tuple(segs)


# -- the per-device tree ----------------------------------------------------------------------


class ParameterTree:
    """One device's parameter tree: a ``DataModel`` bound to that device's state object.

    ``state`` (from ``persistent_state()``) restores ParameterKey, attributes and stored values
    after a restart. Options: ``strict_xsi_type`` (SPV rejects a mismatching xsi:type with
    9006; set False for ACSs that send everything as xsd:string), ``deny_active_on_can_deny``
    (answer 9009 when active notification is asked of a canDeny parameter),
    ``lightweight_notifications`` (accept Notification 3-6, CWMP 1.4 UDP notifications).
    """

    def __init__(
        self,
        model: DataModel,
        root: Any = None,
        *,
        state: Mapping[str, Any] | None = None,
        strict_xsi_type: bool = True,
        deny_active_on_can_deny: bool = True,
        lightweight_notifications: bool = False,
        strict_reads: bool = False,
    ) -> None:
        self.model = model
        self.root = root
        self.strict_xsi_type = strict_xsi_type
        self.deny_active_on_can_deny = deny_active_on_can_deny
        self.lightweight_notifications = lightweight_notifications
        self.strict_reads = strict_reads
        self.parameter_key = ""
        self.store: dict[str, Any] = {}
        # name -> (notification, access list); only entries that differ from the default
        self.attributes: dict[str, tuple[int, tuple[str, ...]]] = {}
        self.listeners: list[Callable[[str, list[str]], None]] = []
        self.tracker = ValueChangeTracker(self)
        if state:
            self.load_state(state)

    # -- persistence --------------------------------------------------------------------------

    def persistent_state(self) -> dict[str, Any]:
        """JSON-serialisable state TR-069 requires to survive a reboot."""
        return {
            "parameter_key": self.parameter_key,
            "attributes": self.attributes_to_dict(),
            "store": {k: (list(v) if isinstance(v, list) else v) for k, v in self.store.items()},
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        self.parameter_key = str(state.get("parameter_key", ""))
        self.load_attributes(state.get("attributes", {}))
        self.store = {
            k: (list(v) if isinstance(v, list) else v) for k, v in state.get("store", {}).items()
        }

    def attributes_to_dict(self) -> dict[str, dict[str, Any]]:
        return {
            name: {"Notification": n, "AccessList": list(acl)}
            for name, (n, acl) in sorted(self.attributes.items())
        }

    def load_attributes(self, data: Mapping[str, Mapping[str, Any]]) -> None:
        self.attributes = {
            name: (int(v.get("Notification", 0)), tuple(v.get("AccessList", ())))
            for name, v in data.items()
        }

    # -- resolution ---------------------------------------------------------------------------

    def _resolve(self, name: str) -> _Resolved | None:
        segs = _split_name(name)
        if segs is None:
            return None
        is_obj = name.endswith(".") or name == ""
        node: Node = self.model.root
        nc = NodeContext(self, self.root)
        path = ""
        kind = "root"
        table_path = ""
        for idx, s in enumerate(segs):
            if isinstance(node, TableDef):
                if not _INSTANCE_RE.fullmatch(s):
                    return None
                inst = int(s)
                try:
                    row = node.provider.row(NodeContext(self, nc.obj, nc.instances, path), inst)
                except (KeyError, IndexError):
                    return None
                table_path = path
                path += s + "."
                nc = NodeContext(self, row, (*nc.instances, inst), path)
                node = node.instance
                kind = "instance"
                continue
            if not isinstance(node, ObjectDef):
                return None
            child = node.children.get(s)
            if child is None:
                return None
            if isinstance(child, ParamDef):
                if idx != len(segs) - 1 or is_obj:
                    return None
                return _Resolved("param", child, nc, path + s)
            if isinstance(child, ObjectDef):
                obj = child.ctx(nc.obj) if child.ctx is not None else nc.obj
                nc = NodeContext(self, obj, nc.instances, path + s + ".")
                kind = "object"
            else:
                kind = "table"
                table_path = path + s + "."
            path += s + "."
            node = child
        if not is_obj:
            return None
        return _Resolved(kind, node, nc, path, table_path)

    def _require(self, name: str, what: str = "parameter") -> _Resolved:
        r = self._resolve(name)
        if r is None:
            raise ParameterFault(
                FAULT_INVALID_PARAMETER_NAME, f"{what} name {name!r} does not exist"
            )
        return r

    def exists(self, name: str) -> bool:
        return self._resolve(name) is not None

    def _walk(
        self, r: _Resolved, objects: bool
    ) -> Iterator[tuple[str, str, Any, NodeContext, str]]:
        """Yield (path, kind, node, nc, table_path) for everything below ``r`` (not ``r``)."""
        if r.kind == "table":
            yield from self._walk_table(r.node, r.nc, r.path, objects)
        elif r.kind != "param":
            yield from self._walk_object(r.node, r.nc, r.path, objects)

    def _walk_object(
        self, node: ObjectDef, nc: NodeContext, path: str, objects: bool
    ) -> Iterator[tuple[str, str, Any, NodeContext, str]]:
        for seg, child in node.children.items():
            if isinstance(child, ParamDef):
                yield path + seg, "param", child, nc, ""
            elif isinstance(child, ObjectDef):
                p = path + seg + "."
                cnc = NodeContext(
                    self, child.ctx(nc.obj) if child.ctx is not None else nc.obj, nc.instances, p
                )
                if objects:
                    yield p, "object", child, cnc, ""
                yield from self._walk_object(child, cnc, p, objects)
            else:
                p = path + seg + "."
                if objects:
                    yield p, "table", child, nc, p
                yield from self._walk_table(child, nc, p, objects)

    def _walk_table(
        self, td: TableDef, nc: NodeContext, path: str, objects: bool
    ) -> Iterator[tuple[str, str, Any, NodeContext, str]]:
        rows = list(td.provider.rows(NodeContext(self, nc.obj, nc.instances, path)))
        for inst, row in rows:
            ip = f"{path}{inst}."
            inc = NodeContext(self, row, (*nc.instances, inst), ip)
            if objects:
                yield ip, "instance", td.instance, inc, path
            yield from self._walk_object(td.instance, inc, ip, objects)

    # -- reading and writing one value -------------------------------------------------------

    def _read(self, pd: ParamDef, nc: NodeContext, path: str) -> str:
        if pd.getter is None:
            v = self.store.get(path)
            return pd.default if v is None else v
        try:
            raw = pd.getter(nc)
            value = raw if isinstance(raw, str) else pd.type._render(raw)
            if self.strict_reads:
                value = pd.type.validate(value)
        except ProviderError as exc:
            raise ParameterFault(exc.code, f"{path}: {exc.message}") from None
        except t.ParamTypeError as exc:
            raise ParameterFault(
                FAULT_INTERNAL_ERROR, f"{path}: the device holds an invalid value: {exc.message}"
            ) from None
        except Exception as exc:  # a broken provider must not kill the session
            log.exception("getter for %s failed", path)
            raise ParameterFault(FAULT_INTERNAL_ERROR, f"{path}: cannot read: {exc}") from None
        return value

    def _write(self, pd: ParamDef, nc: NodeContext, path: str, canonical: str) -> Any:
        if pd.getter is None:
            self.store[path] = canonical
            return None
        assert pd.setter is not None
        value = canonical if pd.lexical else pd.type.to_python(canonical)
        return pd.setter(nc, value)

    def get_value(self, name: str) -> str:
        """The current lexical value of one parameter (fault 9005 if there is none)."""
        r = self._require(name)
        if r.kind != "param":
            raise ParameterFault(FAULT_INVALID_PARAMETER_NAME, f"{name!r} is not a parameter")
        return self._read(r.node, r.nc, r.path)

    # -- GetParameterValues -------------------------------------------------------------------

    def get_parameter_values(self, names: Sequence[str]) -> list[ParameterValue]:
        """GetParameterValues: full names and partial paths ("A.B."; "" = everything)."""
        out: list[ParameterValue] = []
        for name in names:
            r = self._require(name)
            if r.kind == "param":
                pd = r.node
                out.append(ParameterValue(r.path, self._read(pd, r.nc, r.path), pd.type.xsi_type))
                continue
            for path, kind, pd, nc, _ in self._walk(r, objects=False):
                if kind == "param":
                    out.append(ParameterValue(path, self._read(pd, nc, path), pd.type.xsi_type))
        return out

    # -- GetParameterNames --------------------------------------------------------------------

    def get_parameter_names(self, path: str, next_level: bool) -> list[ParameterInfo]:
        """GetParameterNames with NextLevel semantics (objects are listed with a trailing ".").

        NextLevel false: the named item itself plus everything below it ("" = the whole
        tree). NextLevel true: only the immediate children of the named object; on a
        parameter name that is invalid (9003).
        """
        r = self._require(path, "parameter path")
        if r.kind == "param":
            if next_level:
                raise ParameterFault(
                    FAULT_INVALID_ARGUMENTS,
                    f"NextLevel true needs an object path, but {path!r} is a parameter",
                )
            return [ParameterInfo(r.path, r.node.writable)]
        out: list[ParameterInfo] = []
        if not next_level and r.kind != "root":
            out.append(ParameterInfo(r.path, self._object_writable(r.kind, r.node)))
        if next_level:
            for p, kind, node, _nc, _ in self._children(r):
                w = node.writable if kind == "param" else self._object_writable(kind, node)
                out.append(ParameterInfo(p, w))
            return out
        for p, kind, node, _nc, _ in self._walk(r, objects=True):
            w = node.writable if kind == "param" else self._object_writable(kind, node)
            out.append(ParameterInfo(p, w))
        return out

    def _children(self, r: _Resolved) -> Iterator[tuple[str, str, Any, NodeContext, str]]:
        if r.kind == "table":
            td: TableDef = r.node
            for inst, row in list(td.provider.rows(self._table_ctx(r))):
                ip = f"{r.path}{inst}."
                yield (
                    ip,
                    "instance",
                    td.instance,
                    NodeContext(self, row, (*r.nc.instances, inst), ip),
                    r.path,
                )
            return
        node: ObjectDef = r.node
        for seg, child in node.children.items():
            if isinstance(child, ParamDef):
                yield r.path + seg, "param", child, r.nc, ""
            elif isinstance(child, ObjectDef):
                yield r.path + seg + ".", "object", child, r.nc, ""
            else:
                yield r.path + seg + ".", "table", child, r.nc, r.path + seg + "."

    def _object_writable(self, kind: str, node: Any) -> bool:
        # TR-069: for an object, Writable says whether AddObject (on the table) or
        # DeleteObject (on an instance) may be used.
        if kind == "table":
            return node.writable
        if kind == "instance":
            td = self._table_of_instance(node)
            return td.writable if td is not None else False
        return False

    def _table_of_instance(self, inst: ObjectDef) -> TableDef | None:
        return self.model._tables.get(inst.path)

    # -- SetParameterValues -------------------------------------------------------------------

    def set_parameter_values(self, values: Sequence[Any], parameter_key: str = "") -> int:
        """Atomic SetParameterValues; returns Status 0 (applied) or 1 (applied later).

        ``values`` holds ``(name, value)`` or ``(name, value, xsi_type)`` tuples, or objects
        with ``name``, ``value`` and an optional ``xsi_type``/``type`` attribute. Every entry
        is checked before anything is written; any problem raises ``ParameterFault(9003)``
        with exactly one ``SetParameterValuesFault`` per offending name. If the device rejects
        a write midway, the writes already made are undone.
        """
        if len(parameter_key) > PARAMETER_KEY_MAX:
            raise ParameterFault(
                FAULT_INVALID_ARGUMENTS,
                f"ParameterKey is {len(parameter_key)} characters, more than {PARAMETER_KEY_MAX}",
            )
        items = [_spv_item(v) for v in values]
        counts = Counter(name for name, _, _ in items)
        faults: list[SetParameterValuesFault] = []
        plan: list[tuple[ParamDef, NodeContext, str, str]] = []
        seen: set[str] = set()
        for name, value, xsi in items:
            if name in seen:
                continue
            seen.add(name)
            if counts[name] > 1:
                faults.append(
                    SetParameterValuesFault(
                        name,
                        FAULT_INVALID_ARGUMENTS,
                        f"{name} appears {counts[name]} times in one SetParameterValues",
                    )
                )
                continue
            fault = None
            r = self._resolve(name)
            if r is None or r.kind != "param":
                what = "is not a parameter" if r is not None else "does not exist"
                fault = SetParameterValuesFault(
                    name, FAULT_INVALID_PARAMETER_NAME, f"{name!r} {what}"
                )
            else:
                pd: ParamDef = r.node
                if not pd.writable:
                    fault = SetParameterValuesFault(
                        name, FAULT_NOT_WRITABLE, f"{name} is read-only"
                    )
                elif xsi is not None and self.strict_xsi_type and not _xsi_matches(xsi, pd.type):
                    fault = SetParameterValuesFault(
                        name,
                        FAULT_INVALID_PARAMETER_TYPE,
                        f"{name} is {pd.type.xsi_type} ({pd.type.label}), not {xsi}",
                    )
                else:
                    try:
                        if not isinstance(value, str):
                            raise t.InvalidType(f"value {value!r} is not a string")
                        canonical = pd.type.validate(value)
                        if pd.validator is not None:
                            pd.validator(r.nc, canonical)
                        plan.append((pd, r.nc, r.path, canonical))
                    except t.ParamTypeError as exc:
                        fault = SetParameterValuesFault(name, exc.fault, f"{name}: {exc.message}")
                    except ProviderError as exc:
                        code = (
                            exc.code if 9005 <= exc.code <= 9008 else FAULT_INVALID_PARAMETER_VALUE
                        )
                        fault = SetParameterValuesFault(name, code, f"{name}: {exc.message}")
            if fault is not None:
                faults.append(fault)
        if faults:
            raise ParameterFault(
                FAULT_INVALID_ARGUMENTS,
                f"{len(faults)} of {len(seen)} parameters rejected; nothing was changed",
                faults,
            )
        status = self._apply(plan)
        self.parameter_key = parameter_key
        names = [path for _, _, path, _ in plan]
        self.tracker.note_acs_change(names)
        self._notify("SetParameterValues", names)
        return status

    def _apply(self, plan: list[tuple[ParamDef, NodeContext, str, str]]) -> int:
        done: list[tuple[ParamDef, NodeContext, str, str]] = []
        status = STATUS_APPLIED
        for pd, nc, path, canonical in plan:
            try:
                old = self._read(pd, nc, path)
                if self._write(pd, nc, path, canonical) == STATUS_PENDING:
                    status = STATUS_PENDING
            except Exception as exc:
                self._rollback(done)
                code = getattr(exc, "code", FAULT_INTERNAL_ERROR)
                message = getattr(exc, "message", str(exc))
                if isinstance(exc, t.ParamTypeError):
                    code = exc.fault
                if 9005 <= code <= 9008:
                    raise ParameterFault(
                        FAULT_INVALID_ARGUMENTS,
                        f"the device rejected {path}; nothing was changed",
                        [SetParameterValuesFault(path, code, f"{path}: {message}")],
                    ) from None
                if not isinstance(exc, ProviderError | ParameterFault):
                    log.exception("setter for %s failed", path)
                raise ParameterFault(
                    code if 9000 <= code <= 9899 else FAULT_INTERNAL_ERROR,
                    f"{path}: {message}; nothing was changed",
                ) from None
            done.append((pd, nc, path, old))
        return status

    def _rollback(self, done: list[tuple[ParamDef, NodeContext, str, str]]) -> None:
        for pd, nc, path, old in reversed(done):
            try:
                self._write(pd, nc, path, old)
            except Exception:
                # Best effort: the old value may itself be outside the type (a device quirk).
                try:
                    if pd.setter is not None:
                        pd.setter(nc, old)
                except Exception:
                    log.exception("rollback of %s failed", path)

    # -- attributes -----------------------------------------------------------------------

    def notification_of(self, name: str, pd: ParamDef) -> int:
        if pd.active_notify is ActiveNotify.FORCE_ENABLED:
            return 2
        a = self.attributes.get(name)
        return a[0] if a is not None else pd.default_notification

    def access_list_of(self, name: str) -> tuple[str, ...]:
        a = self.attributes.get(name)
        return a[1] if a is not None else ()

    def get_parameter_attributes(self, names: Sequence[str]) -> list[ParameterAttribute]:
        out: list[ParameterAttribute] = []
        for name in names:
            r = self._require(name)
            targets = (
                [(r.path, r.node)]
                if r.kind == "param"
                else [(p, n) for p, k, n, _, _ in self._walk(r, objects=False) if k == "param"]
            )
            for p, pd in targets:
                out.append(
                    ParameterAttribute(p, self.notification_of(p, pd), self.access_list_of(p))
                )
        return out

    def set_parameter_attributes(self, changes: Sequence[AttributeChange]) -> None:
        """SetParameterAttributes, all-or-nothing like SetParameterValues.

        A partial path applies to every parameter below it, skipping (not failing on)
        parameters whose notification cannot take the requested value (forceEnabled,
        canDeny); naming such a parameter exactly answers 9009.
        """
        allowed = range(0, 7) if self.lightweight_notifications else range(0, 3)
        pending: list[tuple[str, ParamDef, int, tuple[str, ...]]] = []
        for ch in changes:
            r = self._require(ch.name)
            exact = r.kind == "param"
            if ch.notification_change and ch.notification not in range(0, 7):
                raise ParameterFault(
                    FAULT_INVALID_ARGUMENTS,
                    f"{ch.name}: Notification {ch.notification} is not 0-6",
                )
            if ch.notification_change and ch.notification not in allowed:
                raise ParameterFault(
                    FAULT_NOTIFICATION_REJECTED,
                    f"{ch.name}: lightweight Notification {ch.notification} is not supported",
                )
            acl = tuple(ch.access_list)
            if ch.access_list_change:
                for entry in acl:
                    if entry != "Subscriber" and not entry.startswith("X_"):
                        raise ParameterFault(
                            FAULT_INVALID_ARGUMENTS,
                            f"{ch.name}: unknown AccessList entry {entry!r} "
                            "(only 'Subscriber' is defined)",
                        )
            targets = (
                [(r.path, r.node)]
                if exact
                else [(p, n) for p, k, n, _, _ in self._walk(r, objects=False) if k == "param"]
            )
            for p, pd in targets:
                n = self.notification_of(p, pd)
                if ch.notification_change:
                    problem = self._notification_problem(pd, ch.notification)
                    if problem:
                        if exact:
                            raise ParameterFault(FAULT_NOTIFICATION_REJECTED, f"{p}: {problem}")
                    else:
                        n = ch.notification
                a = self.access_list_of(p)
                if ch.access_list_change:
                    a = acl
                pending.append((p, pd, n, a))
        turned_on = []
        for p, pd, n, a in pending:
            if n == pd.default_notification and not a:
                self.attributes.pop(p, None)
            else:
                self.attributes[p] = (n, a)
            if n:
                turned_on.append(p)
        self.tracker.note_acs_change(turned_on)

    def _notification_problem(self, pd: ParamDef, n: int) -> str:
        if pd.active_notify is ActiveNotify.FORCE_ENABLED and n != 2:
            return "active notification is forced on (forceEnabled) and cannot be changed"
        if (
            pd.active_notify is ActiveNotify.CAN_DENY
            and n in (2, 5, 6)
            and self.deny_active_on_can_deny
        ):
            return "active notification is denied for this parameter (canDeny)"
        return ""

    # -- forced inform ----------------------------------------------------------------------

    def forced_inform_values(self) -> list[ParameterValue]:
        """Values of every forcedInform parameter, for the Inform ParameterList."""
        out = []
        for pd in self.model.forced_inform_defs():
            for path, pdef, nc in self._expand(pd.path):
                out.append(ParameterValue(path, self._read(pdef, nc, path), pdef.type.xsi_type))
        return out

    def _expand(self, template: str) -> Iterator[tuple[str, ParamDef, NodeContext]]:
        """Concrete (path, def, context) of a template path like ``A.{i}.B``."""
        segs = template.split(".")

        def rec(
            node: Any, nc: NodeContext, path: str, i: int
        ) -> Iterator[tuple[str, ParamDef, NodeContext]]:
            s = segs[i]
            if isinstance(node, TableDef):
                for inst, row in list(
                    node.provider.rows(NodeContext(self, nc.obj, nc.instances, path))
                ):
                    ip = f"{path}{inst}."
                    yield from rec(
                        node.instance, NodeContext(self, row, (*nc.instances, inst), ip), ip, i + 1
                    )
                return
            child = node.children.get(s)
            if child is None:
                return
            if isinstance(child, ParamDef):
                yield path + s, child, nc
            elif isinstance(child, ObjectDef):
                p = path + s + "."
                obj = child.ctx(nc.obj) if child.ctx is not None else nc.obj
                yield from rec(child, NodeContext(self, obj, nc.instances, p), p, i + 1)
            else:
                yield from rec(child, nc, path + s + ".", i + 1)

        yield from rec(self.model.root, NodeContext(self, self.root), "", 0)

    # -- AddObject / DeleteObject -------------------------------------------------------------

    def add_object(self, object_name: str, parameter_key: str = "") -> AddObjectResult:
        """AddObject on a writable multi-instance object ``A.X.``."""
        self._check_key(parameter_key)
        r = self._resolve(object_name)
        if r is None or r.kind != "table" or not r.node.writable:
            why = "does not exist" if r is None else "is not a writable multi-instance object"
            raise ParameterFault(FAULT_INVALID_PARAMETER_NAME, f"{object_name!r} {why}")
        td: TableDef = r.node
        tnc = self._table_ctx(r)
        if td.max_entries is not None and len(list(td.provider.rows(tnc))) >= td.max_entries:
            raise ParameterFault(
                FAULT_RESOURCES_EXCEEDED, f"{object_name} already holds {td.max_entries} entries"
            )
        add = getattr(td.provider, "add", None)
        if add is None:
            raise ParameterFault(FAULT_REQUEST_DENIED, f"{object_name}: rows cannot be added")
        try:
            inst = add(tnc)
        except ProviderError as exc:
            raise ParameterFault(exc.code, f"{object_name}: {exc.message}") from None
        self.parameter_key = parameter_key
        self._notify("AddObject", [f"{r.path}{inst}."])
        return AddObjectResult(int(inst), STATUS_APPLIED)

    def delete_object(self, object_name: str, parameter_key: str = "") -> int:
        """DeleteObject on an instance ``A.X.3.``; returns Status 0."""
        self._check_key(parameter_key)
        r = self._resolve(object_name)
        if r is None or r.kind != "instance":
            why = "does not exist" if r is None else "is not an object instance"
            raise ParameterFault(FAULT_INVALID_PARAMETER_NAME, f"{object_name!r} {why}")
        td = self._table_of_instance(r.node)
        if td is None or not td.writable:
            raise ParameterFault(
                FAULT_INVALID_PARAMETER_NAME,
                f"{object_name!r}: rows of this table cannot be deleted",
            )
        parent_nc = NodeContext(self, self._parent_obj(r), r.nc.instances[:-1], r.table_path)
        delete = getattr(td.provider, "delete", None)
        if delete is None:
            raise ParameterFault(FAULT_REQUEST_DENIED, f"{object_name}: rows cannot be deleted")
        try:
            delete(parent_nc, r.nc.instances[-1])
        except ProviderError as exc:
            raise ParameterFault(exc.code, f"{object_name}: {exc.message}") from None
        prefix = r.path
        for k in [k for k in self.attributes if k.startswith(prefix)]:
            del self.attributes[k]
        for k in [
            k
            for k in self.store
            if k.startswith(prefix)
            or k.startswith("#table:" + prefix)
            or k.startswith("#next:" + prefix)
        ]:
            del self.store[k]
        self.tracker.forget(prefix)
        self.parameter_key = parameter_key
        self._notify("DeleteObject", [prefix])
        return STATUS_APPLIED

    def _table_ctx(self, r: _Resolved) -> NodeContext:
        """The context a table provider sees: the parent's state, the table's own path."""
        return NodeContext(self, r.nc.obj, r.nc.instances, r.path)

    def _parent_obj(self, r: _Resolved) -> Any:
        parent = self._resolve(r.table_path)
        assert parent is not None
        return parent.nc.obj

    def _check_key(self, key: str) -> None:
        if len(key) > PARAMETER_KEY_MAX:
            raise ParameterFault(
                FAULT_INVALID_ARGUMENTS,
                f"ParameterKey is {len(key)} characters, more than {PARAMETER_KEY_MAX}",
            )

    def _notify(self, op: str, names: list[str]) -> None:
        for listener in list(self.listeners):
            try:
                listener(op, names)
            except Exception:
                log.exception("tree listener failed after %s", op)

    # -- helpers for notifications ------------------------------------------------------------

    def watched(self) -> Iterator[tuple[str, ParamDef, NodeContext, int]]:
        """Every parameter whose notification is on: (name, def, context, notification)."""
        seen: set[str] = set()
        for name, (n, _) in list(self.attributes.items()):
            if n == 0:
                continue
            r = self._resolve(name)
            if r is None or r.kind != "param":
                continue
            seen.add(name)
            yield name, r.node, r.nc, self.notification_of(name, r.node)
        for pd in self.model.notify_by_default_defs():
            for path, pdef, nc in self._expand(pd.path):
                if path in seen:
                    continue
                n = self.notification_of(path, pdef)
                if n:
                    yield path, pdef, nc, n


def _spv_item(v: Any) -> tuple[str, Any, str | None]:
    if isinstance(v, tuple | list):
        if len(v) == 2:
            return str(v[0]), v[1], None
        if len(v) == 3:
            return str(v[0]), v[1], v[2]
        raise ParameterFault(FAULT_INVALID_ARGUMENTS, f"bad ParameterValueStruct {v!r}")
    name = getattr(v, "name", None)
    if name is None:
        raise ParameterFault(FAULT_INVALID_ARGUMENTS, f"bad ParameterValueStruct {v!r}")
    xsi = getattr(v, "xsi_type", None) or getattr(v, "type", None)
    return str(name), getattr(v, "value", None), xsi


def _xsi_matches(xsi: str, pt: t.ParamType) -> bool:
    base = t.base_of_xsi(xsi)
    if base is None:
        return False
    if pt.list is not None:
        return base == "string"
    return base == pt.base


# -- value-change tracking --------------------------------------------------------------------


@dataclass
class ValueChangeTracker:
    """Detects value changes of parameters with Notification 1/2 (passive/active).

    The embedded client calls ``poll(now)`` after device change events (or on a timer):
    it returns the changes found since the last poll and keeps them pending until
    ``acknowledge()`` (after the InformResponse of the session that reported them).
    Changes made by the ACS itself (SPV, and the value at the moment notification is
    turned on) form the new baseline and are not reported back.
    """

    tree: ParameterTree
    baseline: dict[str, str] = field(default_factory=dict)
    pending: dict[str, ValueChange] = field(default_factory=dict)
    _primed: bool = False

    def prime(self) -> None:
        """Take the current values as the baseline (at boot, before the first poll)."""
        self.baseline = {
            name: self.tree._read(pd, nc, name) for name, pd, nc, _ in self.tree.watched()
        }
        self._primed = True

    def poll(self, now: float = 0.0) -> list[ValueChange]:
        if not self._primed:
            self.prime()
            return []
        found: list[ValueChange] = []
        current: dict[str, str] = {}
        for name, pd, nc, n in self.tree.watched():
            try:
                value = self.tree._read(pd, nc, name)
            except ParameterFault:
                continue
            current[name] = value
            old = self.baseline.get(name)
            if old is not None and old != value:
                ch = ValueChange(name, value, pd.type.xsi_type, n, now)
                found.append(ch)
                self.pending[name] = ch
        self.baseline = current
        return found

    def note_acs_change(self, names: Iterable[str]) -> None:
        """Re-baseline parameters the ACS just set or started watching."""
        for name in names:
            r = self.tree._resolve(name)
            if r is not None and r.kind == "param":
                self.baseline[name] = self.tree._read(r.node, r.nc, name)
                self.pending.pop(name, None)

    def forget(self, prefix: str) -> None:
        for store in (self.baseline, self.pending):
            for k in [k for k in store if k.startswith(prefix)]:
                del store[k]

    @property
    def has_active(self) -> bool:
        """An active notification is waiting: the client should start a session."""
        return any(c.active for c in self.pending.values())

    def pending_changes(self) -> list[ValueChange]:
        """Changes to report in the next Inform (with event 4 VALUE CHANGE)."""
        return list(self.pending.values())

    def acknowledge(self, names: Iterable[str] | None = None) -> None:
        """The Inform carrying these changes was answered: drop them (all when None)."""
        if names is None:
            self.pending.clear()
        else:
            for n in names:
                self.pending.pop(n, None)
