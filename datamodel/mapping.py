"""The mapping table: where the proxy reads and writes each PrintService parameter.

``load_mapping()`` reads datamodel/mapping.yaml with a YAML loader that keeps line numbers
and validates every row against the generated model (the path exists; read-write only on a
writable parameter), the OID table (symbolic name known, numeric OID agrees), the IPP attribute
list and the conversions. Every error names the file and line. ``render_markdown()`` gives the
table for the README.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from printbench.datamodel import conversions, oids
from printbench.datamodel.extensions import OBJECT_NAME
from printbench.datamodel.loader import ModelSpec, load_spec

MAPPING_FILE = Path(__file__).resolve().parent / "mapping.yaml"
PREFIXES = {
    "PS.": "Device.Services.PrintService.{i}.",
    "X.": f"Device.Services.PrintService.{{i}}.{OBJECT_NAME}.",
}
ACCESS = ("read", "read-write")
_SOURCE_KEYS = {
    "snmp": {"object", "oid", "instance", "with", "conversion"},
    "ipp": {"attribute", "key", "conversion"},
    "ews": {"field", "conversion"},
}
_ROW_KEYS = {"path", "access", "seed", "note", *_SOURCE_KEYS}
_INSTANCE_RE = re.compile(r"(\{dev\}|\{i\}|\{p\}|\d+|\*)(\.(\{dev\}|\{i\}|\{p\}|\d+|\*))*")
_FIELD_RE = re.compile(r"[a-z_][a-z0-9_]*(\.([a-z_][a-z0-9_]*|\{i\}|\{p\}|\d+))*")


class MappingError(ValueError):
    """A mapping row is wrong; the message starts with ``file:line:``."""


@dataclass(frozen=True)
class Source:
    kind: str  # snmp | ipp | ews
    conversion: str = "identity"
    object: str = ""  # snmp: symbolic name
    oid: str = ""  # snmp: numeric column/scalar OID
    instance: str = ""  # snmp: instance rule
    with_objects: tuple[str, ...] = ()  # snmp: further objects the conversion reads
    attribute: str = ""  # ipp
    key: str = ""  # ipp: member key of key=value; strings or collections
    field: str = ""  # ews: state path

    def describe(self) -> str:
        if self.kind == "snmp":
            extra = f" + {', '.join(self.with_objects)}" if self.with_objects else ""
            return f"SNMP {self.object}.{self.instance} ({self.oid}){extra}"
        if self.kind == "ipp":
            return f"IPP {self.attribute}" + (f" [{self.key}]" if self.key else "")
        return f"EWS {self.field}"


@dataclass(frozen=True)
class MappingRow:
    path: str  # full DM template path
    access: str
    sources: tuple[Source, ...]
    seed: str = ""
    line: int = 0

    @property
    def writable(self) -> bool:
        return self.access == "read-write"

    def source(self, kind: str) -> Source | None:
        return next((s for s in self.sources if s.kind == kind), None)

    def instance_oid(self, instances: tuple[int, ...], dev: int = 1) -> str:
        """The SNMP instance OID for DM instance numbers (outermost first)."""
        src = self.source("snmp")
        if src is None:
            raise MappingError(f"{self.path} has no SNMP source")
        inner = instances[-1] if instances else 0
        parent = instances[-2] if len(instances) > 1 else 0
        inst = src.instance.replace("{dev}", str(dev)).replace("{i}", str(inner))
        return f"{src.oid}.{inst.replace('{p}', str(parent))}"

    def ews_field(self, instances: tuple[int, ...]) -> str:
        src = self.source("ews")
        if src is None:
            raise MappingError(f"{self.path} has no EWS source")
        inner = instances[-1] if instances else 0
        parent = instances[-2] if len(instances) > 1 else 0
        return src.field.replace("{i}", str(inner)).replace("{p}", str(parent))


@dataclass
class Mapping:
    rows: list[MappingRow] = field(default_factory=list)
    file: str = ""

    def row(self, path: str) -> MappingRow:
        for r in self.rows:
            if r.path == path:
                return r
        raise KeyError(path)

    def __contains__(self, path: str) -> bool:
        return any(r.path == path for r in self.rows)


# -- YAML with line numbers ------------------------------------------------------------------


def _plain(node: yaml.Node) -> Any:
    """Python value of a composed node; mappings become (dict, {key: line}) pairs."""
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        lines: dict[str, int] = {}
        for k, v in node.value:
            key = str(k.value)
            out[key] = _plain(v)
            lines[key] = k.start_mark.line + 1
        out["__lines__"] = lines
        out["__line__"] = node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_plain(v) for v in node.value]
    return yaml.constructor.SafeConstructor().construct_object(node, deep=True)


def expand(path: str) -> str:
    for short, full in PREFIXES.items():
        if path.startswith(short):
            return full + path[len(short) :]
    return path


def parse_mapping(text: str, file: str = "<mapping>") -> list[tuple[dict[str, Any], int]]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        raise MappingError(f"{file}:{line}: not valid YAML: {exc}") from None
    if node is None:
        return []
    if not isinstance(node, yaml.SequenceNode):
        raise MappingError(f"{file}:{node.start_mark.line + 1}: the mapping must be a list of rows")
    rows = []
    for item in node.value:
        if not isinstance(item, yaml.MappingNode):
            raise MappingError(f"{file}:{item.start_mark.line + 1}: a row must be a mapping")
        rows.append((_plain(item), item.start_mark.line + 1))
    return rows


def validate(
    rows: list[tuple[dict[str, Any], int]], spec: ModelSpec, file: str = "<mapping>"
) -> Mapping:
    mapping = Mapping(file=file)
    seen: dict[str, int] = {}
    for raw, line in rows:
        lines = raw.get("__lines__", {})

        def err(
            msg: str, key: str | None = None, _line: int = line, _lines: dict = lines
        ) -> MappingError:
            return MappingError(f"{file}:{_lines.get(key, _line) if key else _line}: {msg}")

        unknown = set(raw) - _ROW_KEYS - {"__lines__", "__line__"}
        if unknown:
            raise err(f"unknown key(s) {', '.join(sorted(unknown))}", sorted(unknown)[0])
        if "path" not in raw:
            raise err("row without path")
        path = expand(str(raw["path"]))
        p = spec.params.get(path)
        if p is None:
            raise err(f"{path} is not a parameter of the data model", "path")
        if path in seen:
            raise err(f"{path} is mapped twice (first at line {seen[path]})", "path")
        seen[path] = line
        access = raw.get("access", "read")
        if access not in ACCESS:
            raise err(f"access {access!r} is not one of {', '.join(ACCESS)}", "access")
        if access == "read-write" and not p.writable:
            raise err(f"{path} is readOnly in the data model but mapped read-write", "access")
        sources: list[Source] = []
        for kind in [k for k in raw if k in _SOURCE_KEYS]:  # YAML order: first is primary
            src = raw[kind]
            sline = lines.get(kind, line)
            if not isinstance(src, dict):
                raise MappingError(f"{file}:{sline}: {kind} must be a mapping")
            bad = set(src) - _SOURCE_KEYS[kind] - {"__lines__", "__line__"}
            if bad:
                raise MappingError(
                    f"{file}:{sline}: unknown {kind} key(s) {', '.join(sorted(bad))}"
                )
            conv = str(src.get("conversion", "identity"))
            if conv not in conversions.CONVERTERS:
                raise MappingError(f"{file}:{sline}: unknown conversion {conv!r}")
            if kind == "snmp":
                name = str(src.get("object", ""))
                if name not in oids.OIDS:
                    raise MappingError(f"{file}:{sline}: unknown SNMP object {name!r}")
                numeric = str(src.get("oid", ""))
                if numeric != oids.OIDS[name][0]:
                    raise MappingError(
                        f"{file}:{sline}: OID {numeric} does not match {name} "
                        f"({oids.OIDS[name][0]})"
                    )
                inst = str(src.get("instance", ""))
                if not _INSTANCE_RE.fullmatch(inst):
                    raise MappingError(f"{file}:{sline}: bad instance rule {inst!r}")
                withs = tuple(str(w) for w in src.get("with", []) or [])
                for w in withs:
                    if w not in oids.OIDS:
                        raise MappingError(f"{file}:{sline}: unknown SNMP object {w!r}")
                if access == "read-write" and oids.OIDS[name][1] != "rw" and not sources:
                    raise MappingError(f"{file}:{sline}: {name} is read-only in its MIB")
                sources.append(
                    Source(
                        "snmp", conv, object=name, oid=numeric, instance=inst, with_objects=withs
                    )
                )
            elif kind == "ipp":
                attr = str(src.get("attribute", ""))
                if attr not in oids.IPP_ATTRIBUTES:
                    raise MappingError(f"{file}:{sline}: unknown IPP attribute {attr!r}")
                sources.append(Source("ipp", conv, attribute=attr, key=str(src.get("key", ""))))
            else:
                fld = str(src.get("field", ""))
                if not _FIELD_RE.fullmatch(fld):
                    raise MappingError(f"{file}:{sline}: bad EWS field {fld!r}")
                sources.append(Source("ews", conv, field=fld))
        if not sources:
            raise err(f"{path} has no source (snmp, ipp or ews)")
        mapping.rows.append(
            MappingRow(path, access, tuple(sources), str(raw.get("seed", "")), line)
        )
    return mapping


def load_mapping(path: Path | None = None, spec: ModelSpec | None = None) -> Mapping:
    """The validated mapping table (default: datamodel/mapping.yaml over the generated model)."""
    path = Path(path) if path else MAPPING_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingError(f"{path}:0: cannot read: {exc}") from None
    return validate(parse_mapping(text, str(path)), spec or load_spec(), str(path))


def render_markdown(mapping: Mapping | None = None) -> str:
    """The mapping as a Markdown table (for the README's data-model section)."""
    mapping = mapping or load_mapping()
    lines = [
        "| Parameter (`PS.` = `Device.Services.PrintService.{i}.`) | Access | Sources (first is primary) | Conversions |",
        "| --- | --- | --- | --- |",
    ]
    for r in mapping.rows:
        short = r.path
        for s, full in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
            if short.startswith(full):
                short = s + short[len(full) :]
                break
        srcs = "; ".join(s.describe() for s in r.sources).replace("|", "\\|")
        convs = ", ".join(dict.fromkeys(s.conversion for s in r.sources))
        lines.append(f"| `{short}` | {r.access} | {srcs} | {convs} |")
    return "\n".join(lines) + "\n"
