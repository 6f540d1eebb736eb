"""Read the PWG Semantic Model XSDs into a plain tree of elements (objects and simple values).

Why a hand-rolled reader rather than ``xmlschema``'s component model: the translation needs
things a validator throws away — the XML comments in front of each declaration (where the
PWG keeps the MIB and IPP cross-references), the source line, whether a particle sat in an
``xs:choice``, and the union members of the well-known-value types. The reader parses with a
safe lxml parser (no entities, no DTD, no network) and resolves ``xs:include``/``xs:import``
only to files beside the including schema.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

XS = "http://www.w3.org/2001/XMLSchema"
_Q = f"{{{XS}}}"
UNBOUNDED = -1


class XsdError(ValueError):
    """The schema could not be read; the message names the file and line."""


def safe_parser() -> etree.XMLParser:
    """The only parser we use for standard files: no entities, DTDs or network."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@dataclass
class Decl:
    """A global declaration: the node, its file and the comments written just before it."""

    node: etree._Element
    file: str
    comments: tuple[str, ...]

    @property
    def line(self) -> int:
        return int(self.node.sourceline or 0)


@dataclass
class SimpleInfo:
    """What a simple type boils down to: a built-in base plus facets."""

    base: str = "string"  # XSD built-in local name
    max_length: int | None = None
    min_length: int | None = None
    min_inclusive: int | None = None
    max_inclusive: int | None = None
    enumerations: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    union: bool = False  # a union of well-known values and an extension pattern
    is_list: bool = False  # xs:list or NMTOKENS
    type_name: str = ""
    comments: tuple[str, ...] = ()


@dataclass
class SmNode:
    """One element of the Semantic Model tree, after type resolution."""

    name: str
    simple: SimpleInfo | None  # None: complex (an object)
    min_occurs: int = 1
    max_occurs: int = 1  # UNBOUNDED for unbounded
    children: list[SmNode] = field(default_factory=list)
    doc: str = ""
    comments: tuple[str, ...] = ()
    type_name: str = ""
    source: str = ""  # "File.xsd:123" of the declaration
    in_choice: bool = False
    recursion_cut: str = ""  # the complex type that was not expanded again

    @property
    def repeated(self) -> bool:
        return self.max_occurs == UNBOUNDED or self.max_occurs > 1

    def find(self, path: str) -> SmNode:
        """The descendant at a dotted path of element names (for tests and tooling)."""
        node = self
        for part in path.split("."):
            child = next((c for c in node.children if c.name == part), None)
            if child is None:
                raise KeyError(f"no element {part!r} on the way to {path!r} under {self.name}")
            node = child
        return node


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _occurs(value: str | None, default: int = 1) -> int:
    if value is None:
        return default
    return UNBOUNDED if value == "unbounded" else int(value)


class SchemaSet:
    """All declarations reachable from some entry schemas, keyed by (namespace, name)."""

    def __init__(self, entries: list[Path]) -> None:
        self.elements: dict[tuple[str, str], Decl] = {}
        self.complex_types: dict[tuple[str, str], Decl] = {}
        self.simple_types: dict[tuple[str, str], Decl] = {}
        self.groups: dict[tuple[str, str], Decl] = {}
        self.files: list[Path] = []
        self._loaded: set[Path] = set()
        for entry in entries:
            self._load(Path(entry).resolve(), None)

    # -- loading ------------------------------------------------------------------------------

    def _load(self, path: Path, chameleon_ns: str | None) -> None:
        if path in self._loaded:
            return
        if not path.is_file():
            raise XsdError(f"{path}: schema file not found")
        self._loaded.add(path)
        self.files.append(path)
        try:
            root = etree.parse(str(path), safe_parser()).getroot()
        except etree.XMLSyntaxError as exc:
            raise XsdError(f"{path}:{exc.lineno}: {exc.msg}") from exc
        if root.tag != f"{_Q}schema":
            raise XsdError(f"{path}:{root.sourceline}: not an XML schema (root {root.tag})")
        ns = root.get("targetNamespace") or chameleon_ns or ""
        pending: list[str] = []
        for child in root:
            if isinstance(child, etree._Comment):
                pending.append(_clean(child.text or ""))
                continue
            if not isinstance(child.tag, str):
                continue
            tag = etree.QName(child).localname
            name = child.get("name")
            decl = Decl(child, path.name, tuple(c for c in pending if c))
            pending = []
            if tag in ("include", "import", "redefine"):
                loc = child.get("schemaLocation")
                if not loc:
                    continue
                if "://" in loc:  # never fetch: look for the same file name locally
                    loc = loc.rsplit("/", 1)[-1]
                target = (path.parent / loc).resolve()
                if target.parent != path.parent.resolve() and not target.is_file():
                    raise XsdError(f"{path}:{child.sourceline}: {loc} is not a local file")
                self._load(target, ns if tag == "include" else None)
            elif name and tag == "element":
                self.elements.setdefault((ns, name), decl)
            elif name and tag == "complexType":
                self.complex_types.setdefault((ns, name), decl)
            elif name and tag == "simpleType":
                self.simple_types.setdefault((ns, name), decl)
            elif name and tag == "group":
                self.groups.setdefault((ns, name), decl)

    # -- names --------------------------------------------------------------------------------

    @staticmethod
    def qname(node: etree._Element, value: str) -> tuple[str, str]:
        prefix, _, local = value.rpartition(":")
        ns = node.nsmap.get(prefix or None)
        if ns is None:
            if prefix:
                raise XsdError(f"line {node.sourceline}: unknown prefix {prefix!r} in {value!r}")
            ns = ""
        return ns, local

    def _lookup(self, table: dict, node: etree._Element, value: str, what: str) -> Decl:
        key = self.qname(node, value)
        decl = table.get(key)
        if decl is None:
            raise XsdError(f"line {node.sourceline}: {what} {value!r} is not declared")
        return decl

    # -- simple types -------------------------------------------------------------------------

    def simple_info(self, node: etree._Element, type_ref: str | None) -> SimpleInfo | None:
        """Simple info for a type reference or an inline simpleType; None for complex types."""
        if type_ref is not None:
            ns, local = self.qname(node, type_ref)
            if ns == XS:
                if local == "anyType":
                    return SimpleInfo(base="string", type_name=type_ref)
                if local in ("NMTOKENS", "IDREFS", "ENTITIES"):
                    return SimpleInfo(base="NMTOKEN", is_list=True, type_name=type_ref)
                return SimpleInfo(base=local, type_name=type_ref)
            if (ns, local) in self.simple_types:
                decl = self.simple_types[(ns, local)]
                info = self._simple_type(decl.node)
                info.type_name = local
                info.comments = (
                    tuple(
                        _clean(c.text or "")
                        for c in decl.node
                        if isinstance(c, etree._Comment) and _clean(c.text or "")
                    )
                    + decl.comments
                )
                return info
            if (ns, local) in self.complex_types:
                return self._complex_simple_content(self.complex_types[(ns, local)].node)
            raise XsdError(f"line {node.sourceline}: type {type_ref!r} is not declared")
        return self._simple_type(node)

    def _simple_type(self, st: etree._Element) -> SimpleInfo:
        for child in st:
            if not isinstance(child.tag, str):
                continue
            tag = etree.QName(child).localname
            if tag == "restriction":
                base_ref = child.get("base")
                if base_ref is not None:
                    base = self.simple_info(child, base_ref) or SimpleInfo()
                else:
                    inline = child.find(f"{_Q}simpleType")
                    base = self._simple_type(inline) if inline is not None else SimpleInfo()
                info = SimpleInfo(**{**base.__dict__})
                # A facet without its (required) value attribute says nothing: skipped.
                enums: list[str] = [
                    v
                    for e in child.findall(f"{_Q}enumeration")
                    if (v := e.get("value")) is not None
                ]
                if enums:
                    info.enumerations = tuple(enums)
                pats: list[str] = [
                    v for p in child.findall(f"{_Q}pattern") if (v := p.get("value")) is not None
                ]
                if pats:
                    info.patterns = tuple(pats)
                for facet, attr in (
                    ("maxLength", "max_length"),
                    ("minLength", "min_length"),
                    ("minInclusive", "min_inclusive"),
                    ("maxInclusive", "max_inclusive"),
                    ("length", "max_length"),
                ):
                    f = child.find(f"{_Q}{facet}")
                    if f is not None:
                        with contextlib.suppress(TypeError, ValueError):
                            setattr(info, attr, int(f.get("value")))
                return info
            if tag == "union":
                members = [
                    self.simple_info(child, m) or SimpleInfo()
                    for m in (child.get("memberTypes") or "").split()
                ]
                members += [self._simple_type(s) for s in child.findall(f"{_Q}simpleType")]
                enums = []
                pats = []
                lengths: list[int] = []
                for m in members:
                    enums += [e for e in m.enumerations if e not in enums]
                    pats += [p for p in m.patterns if p not in pats]
                    if m.max_length is not None:
                        lengths.append(m.max_length)
                    elif m.base not in ("int", "integer", "boolean"):
                        lengths.append(0)
                return SimpleInfo(
                    base="string",
                    enumerations=tuple(enums),
                    patterns=tuple(pats),
                    union=True,
                    max_length=max(lengths) if lengths and 0 not in lengths else None,
                    comments=tuple(sum((m.comments for m in members), ())),
                )
            if tag == "list":
                item_ref = child.get("itemType")
                if item_ref is not None:
                    item = self.simple_info(child, item_ref) or SimpleInfo()
                else:
                    inline = child.find(f"{_Q}simpleType")
                    item = self._simple_type(inline) if inline is not None else SimpleInfo()
                item = SimpleInfo(**{**item.__dict__})
                item.is_list = True
                return item
        return SimpleInfo()

    def _complex_simple_content(self, ct: etree._Element) -> SimpleInfo | None:
        sc = ct.find(f"{_Q}simpleContent")
        if sc is None:
            return None
        for child in sc:
            if isinstance(child.tag, str) and child.get("base"):
                info = self.simple_info(child, child.get("base"))
                if etree.QName(child).localname == "restriction" and info is not None:
                    info = SimpleInfo(**{**info.__dict__})
                    enums = [e.get("value") for e in child.findall(f"{_Q}enumeration")]
                    if enums:
                        info.enumerations = tuple(enums)
                return info
        return SimpleInfo()

    # -- complex content ----------------------------------------------------------------------

    def particles(
        self, ct: etree._Element, multi: bool = False, choice: bool = False
    ) -> list[tuple[etree._Element, bool, bool]]:
        """(element particle, repeated by an enclosing group, inside a choice), in order."""
        out: list[tuple[etree._Element, bool, bool]] = []
        for child in ct:
            if not isinstance(child.tag, str):
                continue
            tag = etree.QName(child).localname
            if tag in ("complexContent",):
                for der in child:
                    if not isinstance(der.tag, str):
                        continue
                    dtag = etree.QName(der).localname
                    if dtag == "extension":
                        base = der.get("base")
                        ns, _local = self.qname(der, base)
                        if ns != XS:
                            bdecl = self._lookup(self.complex_types, der, base, "complex type")
                            out += self.particles(bdecl.node, multi, choice)
                    if dtag in ("extension", "restriction"):
                        out += self.particles(der, multi, choice)
            elif tag in ("sequence", "all", "choice"):
                rep = multi or _occurs(child.get("maxOccurs")) not in (1, 0)
                out += self._group_particles(child, rep, choice or tag == "choice")
            elif tag == "group" and child.get("ref"):
                gdecl = self._lookup(self.groups, child, child.get("ref"), "group")
                rep = multi or _occurs(child.get("maxOccurs")) not in (1, 0)
                out += self.particles(gdecl.node, rep, choice)
        return out

    def _group_particles(
        self, group: etree._Element, multi: bool, choice: bool
    ) -> list[tuple[etree._Element, bool, bool]]:
        out: list[tuple[etree._Element, bool, bool]] = []
        for child in group:
            if not isinstance(child.tag, str):
                continue
            tag = etree.QName(child).localname
            if tag == "element":
                out.append((child, multi, choice))
            elif tag in ("sequence", "choice", "all"):
                rep = multi or _occurs(child.get("maxOccurs")) not in (1, 0)
                out += self._group_particles(child, rep, choice or tag == "choice")
            elif tag == "group" and child.get("ref"):
                gdecl = self._lookup(self.groups, child, child.get("ref"), "group")
                rep = multi or _occurs(child.get("maxOccurs")) not in (1, 0)
                out += self.particles(gdecl.node, rep, choice)
        return out

    # -- the tree -----------------------------------------------------------------------------

    def build(self, element_name: str, ns: str | None = None, max_depth: int = 40) -> SmNode:
        """The resolved tree under the global element ``element_name``."""
        candidates = [
            k for k in self.elements if k[1] == element_name and (ns is None or k[0] == ns)
        ]
        if not candidates:
            raise XsdError(f"no global element {element_name!r} in {len(self.files)} schema files")
        decl = self.elements[sorted(candidates)[0]]
        return self._node(decl.node, decl, 1, 1, False, (), max_depth)

    def _node(
        self,
        particle: etree._Element,
        decl: Decl | None,
        min_occurs: int,
        max_occurs: int,
        in_choice: bool,
        stack: tuple[str, ...],
        depth: int,
    ) -> SmNode:
        el = decl.node if decl is not None else particle
        name = el.get("name") or ""
        file = decl.file if decl is not None else _file_of(particle)
        comments = decl.comments if decl is not None else _preceding_comments(particle)
        node = SmNode(
            name=name,
            simple=None,
            min_occurs=min_occurs,
            max_occurs=max_occurs,
            doc=_documentation(el),
            comments=comments,
            source=f"{file}:{el.sourceline}",
            in_choice=in_choice,
        )
        type_ref = el.get("type")
        ct: etree._Element | None = None
        type_key = ""
        if type_ref is not None:
            tns, local = self.qname(el, type_ref)
            node.type_name = local
            if (tns, local) in self.complex_types:
                ct = self.complex_types[(tns, local)].node
                type_key = f"{tns}#{local}"
                if not node.doc:
                    node.doc = _documentation(ct)
            else:
                node.simple = self.simple_info(el, type_ref)
        else:
            inline_st = el.find(f"{_Q}simpleType")
            inline_ct = el.find(f"{_Q}complexType")
            if inline_st is not None:
                node.simple = self._simple_type(inline_st)
            elif inline_ct is not None:
                ct = inline_ct
                type_key = f"{file}:{inline_ct.sourceline}"
            else:
                node.simple = SimpleInfo(base="string", type_name="xs:anyType")
        if ct is not None:
            simple = self._complex_simple_content(ct)
            if simple is not None:
                node.simple = simple
                return node
            if type_key in stack or depth <= 0:
                node.recursion_cut = type_key.rpartition("#")[2]
                return node
            for p, rep, choice in self.particles(ct):
                ref = p.get("ref")
                pdecl = self._lookup(self.elements, p, ref, "element") if ref else None
                mx = _occurs(p.get("maxOccurs"))
                if rep and mx == 1:
                    mx = UNBOUNDED
                child = self._node(
                    p,
                    pdecl,
                    _occurs(p.get("minOccurs")),
                    mx,
                    choice,
                    (*stack, type_key),
                    depth - 1,
                )
                if child.name and mx != 0:
                    node.children.append(child)
        return node


def _documentation(el: etree._Element) -> str:
    texts = [
        _clean(d.text or "")
        for d in el.findall(f"{_Q}annotation/{_Q}documentation")
        if _clean(d.text or "")
    ]
    return " ".join(texts)


def _file_of(el: etree._Element) -> str:
    url = el.getroottree().docinfo.URL or ""
    return Path(url).name


def _preceding_comments(el: etree._Element) -> tuple[str, ...]:
    out: list[str] = []
    prev = el.getprevious()
    while prev is not None and isinstance(prev, etree._Comment):
        text = _clean(prev.text or "")
        if text:
            out.insert(0, text)
        prev = prev.getprevious()
    return tuple(out)


def load_print_service(sm_dir: Path) -> SmNode:
    """The PWG SM ``PrintService`` element tree from the XSDs in ``sm_dir``."""
    schemas = SchemaSet([Path(sm_dir) / "PrintService.xsd"])
    return schemas.build("PrintService")
