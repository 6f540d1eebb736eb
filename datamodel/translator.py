"""PWG Semantic Model XSD → Broadband Forum TR-106 DM Instance document (PrintService:1.0).

The translation is a pure function of the XSDs (and, for copied definitions, of the BBF files):
the same inputs give byte-identical output, so the generated document can be committed and a
test can check it is current. The rules live in :mod:`datamodel.rules`; docs/datamodel.md
gives their reasons.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from printbench.datamodel import extensions, rules
from printbench.datamodel.xsd import UNBOUNDED, SimpleInfo, SmNode, load_print_service, safe_parser

DM_NS = "urn:broadband-forum-org:cwmp:datamodel-1-15"
DMR_NS = "urn:broadband-forum-org:cwmp:datamodel-report-1-0"
MODEL_NAME = "PrintService:1.0"
SPEC = "urn:printbench:printservice-001-1-0-0"
FILE_NAME = "printservice-001-1-0-0-cwmp.xml"
ROOT_SPEC = "urn:printbench:printbench-181-2-17-0-root"
ROOT_FILE_NAME = "printbench-181-2-17-0-root-cwmp.xml"
MAX_PATH = 256
SERVICE_PREFIX = "Device.Services."


class TranslationError(ValueError):
    """The SM cannot be translated under the rules (name collision, path too long...)."""


@dataclass
class Syntax:
    type: str  # a TR-106 base type, or "dataType" with ``ref``
    ref: str = ""
    is_list: bool = False
    max_length: int | None = None
    min_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    enumerations: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()


@dataclass
class DmParam:
    name: str
    syntax: Syntax
    description: str
    access: str = "readOnly"
    active_notify: str = "normal"
    forced_inform: bool = False
    sm_path: str = ""  # SM element path below PrintService ("" for generated parameters)


@dataclass
class DmObject:
    path: str  # relative to Device.Services., e.g. "PrintService.{i}.Status."
    description: str
    access: str = "readOnly"
    min_entries: int = 1
    max_entries: int | str = 1
    num_entries_parameter: str = ""
    unique_keys: list[str] = field(default_factory=list)
    params: list[DmParam] = field(default_factory=list)
    sm_path: str = ""

    @property
    def is_table(self) -> bool:
        return self.path.endswith(".{i}.")


@dataclass
class DmModel:
    name: str
    top_params: list[DmParam]
    objects: list[DmObject]
    excluded: list[tuple[str, str]]  # (SM path, reason)

    def parameters(self) -> list[tuple[str, DmParam]]:
        out = [(p.name, p) for p in self.top_params]
        for obj in self.objects:
            out += [(obj.path + p.name, p) for p in obj.params]
        return out

    def object(self, path: str) -> DmObject:
        for obj in self.objects:
            if obj.path == path:
                return obj
        raise KeyError(path)


# -------------------------------------------------------------------------------------------
# Names, types, descriptions
# -------------------------------------------------------------------------------------------


def bbf_name(xsd_name: str) -> str:
    """UpperCamelCase without hyphens, underscores or dots (TR-106 C.3.1)."""
    parts = re.split(r"[-_.]+", xsd_name)
    name = "".join(p[:1].upper() + p[1:] for p in parts if p)
    if not name or not name[0].isalpha():
        raise TranslationError(f"element {xsd_name!r} gives no valid BBF name")
    return name


def short_name(xsd_name: str) -> str:
    """Drop the redundant ``PrintService`` prefix (PrintServiceStatus → Status)."""
    p = rules.STRIP_PREFIX
    if xsd_name.startswith(p) and len(xsd_name) > len(p) and xsd_name[len(p)].isupper():
        return xsd_name[len(p) :]
    return xsd_name


_INT_TYPES = {
    "int": ("int", None, None),
    "short": ("int", -32768, 32767),
    "byte": ("int", -128, 127),
    "integer": ("long", None, None),
    "long": ("long", None, None),
    "unsignedInt": ("unsignedInt", None, None),
    "unsignedShort": ("unsignedInt", 0, 65535),
    "unsignedByte": ("unsignedInt", 0, 255),
    "unsignedLong": ("unsignedLong", None, None),
    "nonNegativeInteger": ("unsignedLong", None, None),
    "positiveInteger": ("unsignedLong", 1, None),
    "negativeInteger": ("long", None, -1),
    "nonPositiveInteger": ("long", None, 0),
}
_OTHER_TYPES = {
    "boolean": "boolean",
    "dateTime": "dateTime",
    "base64Binary": "base64",
    "hexBinary": "hexBinary",
    "decimal": "decimal",
    "float": "decimal",
    "double": "decimal",
}


def syntax_for(info: SimpleInfo, repeated: bool, data_type: str | None = None) -> Syntax:
    """The TR-106 syntax of a simple SM element (see docs/datamodel.md, "Types")."""
    is_list = repeated or info.is_list
    if data_type:
        return Syntax("dataType", ref=data_type, is_list=is_list)
    if info.base in _INT_TYPES and not info.union:
        t, lo, hi = _INT_TYPES[info.base]
        lo = info.min_inclusive if info.min_inclusive is not None else lo
        hi = info.max_inclusive if info.max_inclusive is not None else hi
        if t in ("int", "long") and lo is not None and lo >= 0:
            t = "unsignedInt" if t == "int" else "unsignedLong"
        if t.startswith("unsigned") and lo == 0:
            lo = None
        return Syntax(t, is_list=is_list, min_value=lo, max_value=hi)
    if info.base in _OTHER_TYPES and not info.union:
        return Syntax(_OTHER_TYPES[info.base], is_list=is_list)
    if info.base == "anyURI" and info.max_length is None and not info.union:
        return Syntax("dataType", ref="URI", is_list=is_list)
    syn = Syntax("string", is_list=is_list, max_length=info.max_length, min_length=info.min_length)
    if info.union:
        # PWG "extension" pattern: well-known values OR a vendor keyword. A closed BBF
        # enumeration would reject the extensions, so each value becomes a literal pattern
        # and the extension pattern is kept: exactly the union's value space.
        pats = [re.escape(e) for e in info.enumerations] + [
            portable_pattern(x) for x in info.patterns
        ]
        syn.patterns = tuple(dict.fromkeys(pats))
    elif info.enumerations:
        syn.enumerations = tuple(dict.fromkeys(info.enumerations))
    elif info.patterns:
        syn.patterns = tuple(dict.fromkeys(portable_pattern(x) for x in info.patterns))
    if syn.min_length == 0:
        syn.min_length = None
    return syn


_UNICODE_CLASSES = {"Ll": "a-z", "Lu": "A-Z", "L": "A-Za-z", "Nd": "0-9", "N": "0-9"}


def portable_pattern(xsd_regex: str) -> str:
    """An XSD regex in the subset BBF tools and Python ``re`` share.

    XSD's ``\\p{Ll}``-style Unicode classes have no Python ``re`` equivalent; the PWG uses them
    only for ASCII keywords (media size names), so they become ASCII ranges.
    """
    out: list[str] = []
    depth = 0
    i = 0
    while i < len(xsd_regex):
        ch = xsd_regex[i]
        if ch == "\\" and xsd_regex[i + 1 : i + 3] == "p{":
            end = xsd_regex.index("}", i)
            rng = _UNICODE_CLASSES.get(xsd_regex[i + 3 : end])
            if rng is None:
                raise TranslationError(f"pattern {xsd_regex!r}: unsupported class")
            out.append(rng if depth else f"[{rng}]")
            i = end + 1
            continue
        if ch == "\\":
            out.append(xsd_regex[i : i + 2])
            i += 2
            continue
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth = max(0, depth - 1)
        out.append(ch)
        i += 1
    return "".join(out)


def _escape_markup(text: str) -> str:
    """Neutralise BBF description markup in text copied from the SM."""
    text = text.replace("{", "(").replace("}", ")").replace("[", "(").replace("]", ")")
    return re.sub(r"'{2,}", "'", text)


#: Revision-history comments ("04/19/10 PJZ Fixed ...") are not descriptions.
_HISTORY = re.compile(r"^\s*\d{1,2}/\d{1,2}/\d{2,4}|^\s*\d{6}\s|\bPJZ\b|^=+$|^-+$")


def describe(node: SmNode, extra: list[str]) -> str:
    """Description: xs:documentation, the comments (MIB/IPP cross-references), provenance."""
    paras: list[str] = []
    if node.doc:
        paras.append(_escape_markup(node.doc))
    notes = [c for c in node.comments if c and not _HISTORY.search(c)]
    if node.simple is not None:
        notes += [c for c in node.simple.comments if c not in notes]
    if notes:
        paras.append(_escape_markup("; ".join(dict.fromkeys(notes))) + ".")
    where = f"PWG SM element ''{node.name}''"
    if node.type_name:
        where += f" of type ''{node.type_name}''"
    paras.append(f"{where} ({node.source}).")
    if node.in_choice:
        paras.append(
            "In the PWG SM this element is one branch of an xs:choice: a CPE populates the "
            "branch it uses and leaves the others at their empty or zero value."
        )
    if node.simple is not None and node.simple.union:
        paras.append(
            "The value is a PWG well-known value or a PWG extension keyword (the XSD union "
            "of the well-known values and an extension pattern); each well-known value is "
            "one pattern."
        )
    paras += extra
    return "\n\n".join(paras)


# -------------------------------------------------------------------------------------------
# The walk
# -------------------------------------------------------------------------------------------


def _alias_param() -> DmParam:
    return DmParam(
        name="Alias",
        syntax=Syntax("dataType", ref="Alias"),
        description="{{datatype|expand}}",
        access="readWrite",
    )


def _num_entries_param(table: str) -> DmParam:
    return DmParam(
        name=f"{table}NumberOfEntries",
        syntax=Syntax("unsignedInt"),
        description=f"The number of entries in the {{{{object|{table}}}}} table.",
    )


class _Translator:
    def __init__(self) -> None:
        self.objects: list[DmObject] = []
        self.excluded: list[tuple[str, str]] = []

    def object_children(self, node: SmNode, obj: DmObject, sm_prefix: str) -> list[DmObject]:
        """Add node's children to ``obj``; return the sub-objects in document order."""
        out: list[DmObject] = []
        names: dict[str, str] = {p.name: p.sm_path for p in obj.params}
        seen_xsd: set[str] = set()
        for child in node.children:
            sm_path = f"{sm_prefix}{child.name}"
            reason = rules.is_excluded(sm_path)
            if reason:
                self.excluded.append((sm_path, reason))
                continue
            if child.name in seen_xsd:  # declared in the base type and again in an extension
                continue
            seen_xsd.add(child.name)
            name = bbf_name(short_name(child.name))
            if name in names:
                raise TranslationError(
                    f"{child.source}: {sm_path} and {names[name]} both become {obj.path}{name}"
                )
            names[name] = sm_path
            if child.simple is not None:
                access = rules.access_for(sm_path)
                dtype = next(
                    (v for k, v in rules.DATA_TYPE_OVERRIDES.items() if rules.match(sm_path, (k,))),
                    None,
                )
                syntax = syntax_for(child.simple, child.repeated, dtype)
                notes = []
                counter = rules.match(sm_path, rules.UNSIGNED_32)
                if syntax.type == "int" and counter:
                    syntax = Syntax("unsignedInt", is_list=syntax.is_list)
                    notes.append(
                        f"Served as unsignedInt: RFC 2863 types it {rules.UNSIGNED_32[counter]}."
                    )
                obj.params.append(
                    DmParam(
                        name=name,
                        syntax=syntax,
                        description=describe(child, notes),
                        access=access,
                        active_notify=rules.active_notify_for(sm_path, child.name, access),
                        forced_inform=bool(rules.match(sm_path, rules.FORCED_INFORM)),
                        sm_path=sm_path,
                    )
                )
                continue
            extra = []
            if child.recursion_cut:
                extra.append(f"The recursive content of ''{child.recursion_cut}'' is not repeated.")
            if child.repeated:
                sub = DmObject(
                    path=f"{obj.path}{name}.{{i}}.",
                    description=describe(child, extra),
                    min_entries=0,
                    max_entries="unbounded" if child.max_occurs == UNBOUNDED else child.max_occurs,
                    num_entries_parameter=f"{name}NumberOfEntries",
                    unique_keys=["Alias"],
                    params=[_alias_param()],
                    sm_path=sm_path,
                )
            else:
                sub = DmObject(
                    path=f"{obj.path}{name}.", description=describe(child, extra), sm_path=sm_path
                )
            grand = self.object_children(child, sub, sm_path + ".")
            own = [p for p in sub.params if p.name != "Alias"]
            if not own and not grand:
                self.excluded.append((sm_path, "no simple content to manage (empty object)"))
                continue
            if child.repeated:
                ne = _num_entries_param(name)
                if ne.name in names:
                    raise TranslationError(f"{child.source}: {obj.path}{ne.name} collides")
                names[ne.name] = sm_path
                obj.params.append(ne)
            out.append(sub)
            out += grand
        return out


def extension_objects(parent: str) -> list[DmObject]:
    """The vendor-extension object for EWS-table settings (see datamodel/extensions.py)."""
    base = f"{parent}{extensions.OBJECT_NAME}."
    objs = [
        DmObject(
            path=base,
            description=(
                "Printer settings of the seed's EWS table that the PWG Semantic Model has no "
                "element for (network services, SNMP, time, TCP/IP, e-mail alerts, finishing, "
                "PCL/PostScript). Vendor extension (TR-106 3.3)."
            ),
        )
    ]
    for obj_name, rows in extensions.SETTINGS.items():
        obj = DmObject(path=f"{base}{obj_name}.", description=f"{obj_name} settings (EWS).")
        for name, typ, is_list, max_len, desc in rows:
            obj.params.append(
                DmParam(
                    name=name,
                    syntax=Syntax(typ, is_list=is_list, max_length=max_len),
                    description=desc,
                    access="readWrite",
                )
            )
        objs.append(obj)
    return objs


def translate(root: SmNode) -> DmModel:
    """The PrintService:1.0 model of an SM ``PrintService`` tree."""
    tr = _Translator()
    top = DmObject(
        path="PrintService.{i}.",
        description=(
            "The Service Object for a print service: the PWG Semantic Model ''PrintService'' "
            "(PWG 5108.01) translated to a TR-106 data model. One instance per print service "
            "of the device (a printer has one).\n\n" + describe(root, [])
        ),
        min_entries=0,
        max_entries="unbounded",
        num_entries_parameter="PrintServiceNumberOfEntries",
        unique_keys=["Alias"],
        params=[_alias_param()],
        sm_path="",
    )
    subs = tr.object_children(root, top, "") + extension_objects(top.path)
    top_param = DmParam(
        name="PrintServiceNumberOfEntries",
        syntax=Syntax("unsignedInt"),
        description="The number of entries in the {{object|PrintService}} table.",
    )
    objects = [top, *subs]
    for obj in objects:
        for p in obj.params:
            full = f"{SERVICE_PREFIX}{obj.path}{p.name}"
            if len(full) > MAX_PATH:
                raise TranslationError(f"{full} is longer than {MAX_PATH} characters")
    return DmModel(MODEL_NAME, [top_param], objects, tr.excluded)


# -------------------------------------------------------------------------------------------
# Copying definitions from the BBF files (never re-invented by hand)
# -------------------------------------------------------------------------------------------


class BbfSource:
    """The BBF documents we copy dataType, bibliography and root-model definitions from."""

    def __init__(self, bbf_dir: Path) -> None:
        parser = safe_parser()
        self.types_doc = etree.parse(str(Path(bbf_dir) / "tr-106-types.xml"), parser).getroot()
        self.tr181 = etree.parse(
            str(Path(bbf_dir) / "tr-181-2-17-0-cwmp-full.xml"), parser
        ).getroot()
        self.tr140 = etree.parse(
            str(Path(bbf_dir) / "tr-140-1-3-1-cwmp-full.xml"), parser
        ).getroot()

    def data_type(self, name: str) -> etree._Element:
        for doc in (self.types_doc, self.tr181):
            found = doc.find(f"dataType[@name='{name}']")
            if found is not None:
                return found
        raise TranslationError(f"dataType {name!r} is in neither tr-106-types.xml nor TR-181")

    def reference(self, ref_id: str) -> etree._Element | None:
        for doc in (self.tr181, self.tr140):
            found = doc.find(f"bibliography/reference[@id='{ref_id}']")
            if found is not None:
                return found
        return None


def _strip(el: etree._Element) -> etree._Element:
    """A copy without report-tool attributes, comments and whitespace-only tails."""
    el = copy.deepcopy(el)
    for node in el.iter():
        if not isinstance(node.tag, str):
            continue
        for attr in list(node.attrib):
            if attr.startswith("{"):
                del node.attrib[attr]
        if node.tag == "description" and node.get("action"):
            del node.attrib["action"]
    for comment in el.xpath(".//comment()"):
        comment.getparent().remove(comment)
    etree.cleanup_namespaces(el)
    return el


_BIBREF = re.compile(r"\{\{bibref\|([^|}]+)")


def _copy_support(
    src: BbfSource, doc: etree._Element, type_refs: set[str], texts: list[str]
) -> None:
    """Insert the dataTypes (with their bases) and bibliography entries that ``doc`` uses."""
    needed: list[str] = []
    todo = sorted(type_refs)
    while todo:
        name = todo.pop(0)
        if name in needed:
            continue
        needed.append(name)
        base = src.data_type(name).get("base")
        if base:
            todo.append(base)
    types = [_strip(src.data_type(n)) for n in reversed(needed)]
    # bases first: a dataType must be defined before one that derives from it
    ordered: list[etree._Element] = []
    names_done: set[str] = set()
    while types:
        for t in list(types):
            if not t.get("base") or t.get("base") in names_done:
                ordered.append(t)
                names_done.add(t.get("name"))
                types.remove(t)
    for t in ordered:
        texts += [d.text or "" for d in t.iter("description")]
    refs = sorted({m for text in texts for m in _BIBREF.findall(text)})
    if any(True for _ in doc.iter("dateTime")):
        refs = sorted({*refs, "SOAP1.1"})  # bbfreport's built-in dateTime cites SOAP 1.1
    insert_at = 1  # after <description>
    for t in ordered:
        doc.insert(insert_at, t)
        insert_at += 1
    bib = etree.Element("bibliography")
    for ref_id in refs:
        ref = src.reference(ref_id)
        if ref is not None:
            bib.append(_strip(ref))
    if len(bib):
        doc.insert(insert_at, bib)


# -------------------------------------------------------------------------------------------
# XML output
# -------------------------------------------------------------------------------------------


def _syntax_xml(parent: etree._Element, syn: Syntax) -> None:
    el = etree.SubElement(parent, "syntax")
    if syn.is_list:
        etree.SubElement(el, "list")
    if syn.type == "dataType":
        etree.SubElement(el, "dataType", ref=syn.ref)
        return
    t = etree.SubElement(el, syn.type)
    if syn.min_length is not None or syn.max_length is not None:
        size = etree.SubElement(t, "size")
        if syn.min_length is not None:
            size.set("minLength", str(syn.min_length))
        if syn.max_length is not None:
            size.set("maxLength", str(syn.max_length))
    if syn.min_value is not None or syn.max_value is not None:
        rng = etree.SubElement(t, "range")
        if syn.min_value is not None:
            rng.set("minInclusive", str(syn.min_value))
        if syn.max_value is not None:
            rng.set("maxInclusive", str(syn.max_value))
    for e in syn.enumerations:
        etree.SubElement(t, "enumeration", value=e)
    for p in syn.patterns:
        etree.SubElement(t, "pattern", value=p)


def _param_xml(parent: etree._Element, p: DmParam, version: str | None = None) -> None:
    el = etree.SubElement(parent, "parameter", name=p.name, access=p.access)
    if p.active_notify != "normal":
        el.set("activeNotify", p.active_notify)
    if p.forced_inform:
        el.set("forcedInform", "true")
    if version:
        el.set("version", version)
    etree.SubElement(el, "description").text = p.description
    _syntax_xml(el, p.syntax)


def _document(spec: str, file: str, description: str) -> etree._Element:
    doc = etree.Element(f"{{{DM_NS}}}document", nsmap={"dm": DM_NS, "dmr": DMR_NS})
    doc.set("spec", spec)
    doc.set("file", file)
    etree.SubElement(doc, "description").text = description
    return doc


def _serialise(doc: etree._Element, header: str) -> bytes:
    etree.indent(doc, space="  ")
    body = etree.tostring(doc, encoding="UTF-8", xml_declaration=False, pretty_print=True)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n<!--\n' + header.encode() + b"\n-->\n" + body


_HEADER = """  Generated by `printbench datamodel build` (datamodel/translator.py). Do not edit.

  Translated from the PWG Semantic Model 2.905 XML schema (PWG 5108.01 and related).
  Copyright 2002-2011, IEEE Industry Standards and Technology Organization/PWG;
  all rights reserved; derivative work with the notice kept.

  Definitions copied from Broadband Forum files (tr-106-types.xml,
  tr-181-2-17-0-cwmp-full.xml): Copyright (c) Broadband Forum, BSD-3-Clause."""


def render_model(model: DmModel, src: BbfSource) -> bytes:
    """The PrintService:1.0 DM Instance document."""
    doc = _document(
        SPEC,
        FILE_NAME,
        "PrintService:1.0 Service Object, machine-translated from the PWG Semantic Model "
        "2.905 XML schema by printbench (datamodel/translator.py). Rules and their reasons: "
        "docs/datamodel.md.",
    )
    mod = etree.SubElement(doc, "model", name=model.name, isService="true")
    for p in model.top_params:
        _param_xml(mod, p, version="1.0")
    type_refs: set[str] = set()
    texts: list[str] = []
    for _i, obj in enumerate(model.objects):
        el = etree.SubElement(mod, "object", name=obj.path, access=obj.access)
        el.set("minEntries", str(obj.min_entries))
        el.set("maxEntries", str(obj.max_entries))
        if obj.num_entries_parameter:
            el.set("numEntriesParameter", obj.num_entries_parameter)
        el.set("version", "1.0")  # required on objects by cwmp-datamodel-1-15.xsd
        etree.SubElement(el, "description").text = obj.description
        if obj.unique_keys:
            uk = etree.SubElement(el, "uniqueKey", functional="false")
            for k in obj.unique_keys:
                etree.SubElement(uk, "parameter", ref=k)
        for p in obj.params:
            _param_xml(el, p)
            if p.syntax.type == "dataType":
                type_refs.add(p.syntax.ref)
    _copy_support(src, doc, type_refs, texts)
    return _serialise(doc, _HEADER)


# -------------------------------------------------------------------------------------------
# The root model subset, copied from TR-181
# -------------------------------------------------------------------------------------------

#: object path → parameter names copied ("*": all of the object's parameters).
ROOT_SELECTION: dict[str, tuple[str, ...] | str] = {
    "Device.": ("RootDataModelVersion",),
    "Device.Services.": (),
    "Device.DeviceInfo.": (
        "Manufacturer",
        "ManufacturerOUI",
        "ModelName",
        "Description",
        "ProductClass",
        "SerialNumber",
        "HardwareVersion",
        "SoftwareVersion",
        "UpTime",
        "ProvisioningCode",
        "SupportedDataModelNumberOfEntries",
    ),
    "Device.DeviceInfo.SupportedDataModel.{i}.": "*",
    "Device.DeviceInfo.ProxierInfo.": "*",
    "Device.ManagementServer.": (
        "EnableCWMP",
        "URL",
        "Username",
        "Password",
        "PeriodicInformEnable",
        "PeriodicInformInterval",
        "PeriodicInformTime",
        "ParameterKey",
        "ConnectionRequestURL",
        "ConnectionRequestUsername",
        "ConnectionRequestPassword",
        "UpgradesManaged",
        "DefaultActiveNotificationThrottle",
        "CWMPRetryMinimumWaitInterval",
        "CWMPRetryIntervalMultiplier",
        "AliasBasedAddressing",  # forcedInform in Device:2.17: every Inform carries it
        "ManageableDeviceNumberOfEntries",
        "ManageableDeviceNotificationLimit",
        "VirtualDeviceNumberOfEntries",
        "InformParameterNumberOfEntries",
        # Connection requests from behind a NAT (TR-069 Annex G: UDP + STUN; Annex K: XMPP)
        "HTTPConnectionRequestEnable",
        "SupportedConnReqMethods",
        "UDPConnectionRequestAddress",
        "STUNEnable",
        "STUNServerAddress",
        "STUNServerPort",
        "STUNUsername",
        "STUNPassword",
        "STUNMaximumKeepAlivePeriod",
        "STUNMinimumKeepAlivePeriod",
        "NATDetected",
        "ConnReqXMPPConnection",
        "ConnReqAllowedJabberIDs",
        "ConnReqJabberID",
    ),
    "Device.ManagementServer.ManageableDevice.{i}.": "*",
    "Device.ManagementServer.VirtualDevice.{i}.": "*",
    "Device.ManagementServer.InformParameter.{i}.": "*",
    # Which autonomous completions the CPE reports (TR-069 A.4.2.3, A.4.2.7)
    "Device.ManagementServer.AutonomousTransferCompletePolicy.": "*",
    "Device.ManagementServer.DUStateChangeComplPolicy.": "*",
    # 14 HEARTBEAT sessions (TR-069 Amendment 6, Annex O)
    "Device.ManagementServer.HeartbeatPolicy.": "*",
    # Time setting (TP-181 5.1 "time setting"); the Client/Server tables are not served
    "Device.Time.": (
        "Enable",
        "Status",
        "NTPServer1",
        "NTPServer2",
        "NTPServer3",
        "NTPServer4",
        "NTPServer5",
        "CurrentLocalTime",
        "LocalTimeZone",
    ),
    # TR-143 diagnostics the ACS starts with DiagnosticsState=Requested
    "Device.IP.": (),
    "Device.IP.Diagnostics.": "*",
    "Device.IP.Diagnostics.IPPing.": "*",
    "Device.IP.Diagnostics.TraceRoute.": "*",
    "Device.IP.Diagnostics.TraceRoute.RouteHops.{i}.": "*",
    "Device.IP.Diagnostics.DownloadDiagnostics.": "*",
    "Device.IP.Diagnostics.DownloadDiagnostics.PerConnectionResult.{i}.": "*",
    "Device.IP.Diagnostics.DownloadDiagnostics.IncrementalResult.{i}.": "*",
    "Device.IP.Diagnostics.UploadDiagnostics.": "*",
    "Device.IP.Diagnostics.UploadDiagnostics.PerConnectionResult.{i}.": "*",
    "Device.IP.Diagnostics.UploadDiagnostics.IncrementalResult.{i}.": "*",
    "Device.IP.Diagnostics.ServerSelectionDiagnostics.": "*",
    # Software modules (TR-069 ChangeDUState, TR-157 Amendment / TR-181 SoftwareModules)
    "Device.SoftwareModules.": "*",
    "Device.SoftwareModules.ExecEnvClass.{i}.": "*",
    "Device.SoftwareModules.ExecEnvClass.{i}.Capability.{i}.": "*",
    "Device.SoftwareModules.ExecEnv.{i}.": "*",
    "Device.SoftwareModules.ExecEnv.{i}.ApplicationData.{i}.": "*",
    "Device.SoftwareModules.DeploymentUnit.{i}.": "*",
    "Device.SoftwareModules.ExecutionUnit.{i}.": "*",
    "Device.SoftwareModules.ExecutionUnit.{i}.AutoRestart.": "*",
    "Device.SoftwareModules.ExecutionUnit.{i}.NetworkConfig.": "*",
    "Device.SoftwareModules.ExecutionUnit.{i}.HostObject.{i}.": "*",
    "Device.SoftwareModules.ExecutionUnit.{i}.EnvVariable.{i}.": "*",
    "Device.SoftwareModules.ExecutionUnit.{i}.Extensions.": "*",
    # XMPP connections for Annex K connection requests
    "Device.XMPP.": "*",
    "Device.XMPP.Connection.{i}.": "*",
    "Device.XMPP.Connection.{i}.Server.{i}.": "*",
    "Device.XMPP.Connection.{i}.Stats.": "*",
    # The certificates the CPE holds (mutual TLS with the ACS)
    "Device.Security.": "*",
    "Device.Security.Certificate.{i}.": "*",
}
ROOT_MODEL = "Device:2.17"


def render_root(src: BbfSource) -> bytes:
    """The Device:2.17 subset every printer needs, copied element by element from TR-181."""
    model = src.tr181.find(f"model[@name='{ROOT_MODEL}']")
    if model is None:
        raise TranslationError(f"tr-181-2-17-0-cwmp-full.xml has no model {ROOT_MODEL}")
    doc = _document(
        ROOT_SPEC,
        ROOT_FILE_NAME,
        "The subset of the Device:2.17 root data model that every printbench printer and "
        "proxy serves. Every definition is copied unchanged from tr-181-2-17-0-cwmp-full.xml "
        "by `printbench datamodel build`; see docs/datamodel.md.",
    )
    out = etree.SubElement(doc, "model", name=ROOT_MODEL)
    type_refs: set[str] = set()
    texts: list[str] = []
    for path, wanted in ROOT_SELECTION.items():
        obj = model.find(f"object[@name='{path}']")
        if obj is None:
            raise TranslationError(f"TR-181 {ROOT_MODEL} has no object {path}")
        new = _strip(obj)
        for child in list(new):
            if child.tag in ("parameter", "command", "event") and (
                child.tag != "parameter" or (wanted != "*" and child.get("name") not in wanted)
            ):
                new.remove(child)
        if wanted != "*":
            missing = set(wanted) - {p.get("name") for p in new.findall("parameter")}
            if missing:
                raise TranslationError(f"TR-181 {path} lacks {sorted(missing)}")
        out.append(new)
        type_refs |= {d.get("ref") for d in new.iter("dataType")}
        texts += [d.text or "" for d in new.iter("description")]
    _copy_support(src, doc, type_refs, texts)
    return _serialise(doc, _HEADER)


def load_model(sm_dir: Path) -> DmModel:
    return translate(load_print_service(sm_dir))
