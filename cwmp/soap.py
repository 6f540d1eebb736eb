"""SOAP 1.1 codec for CWMP envelopes, built on lxml.

``encode(envelope, ...) -> bytes`` and ``decode(bytes) -> Envelope``.

Why it is written this way:

- *Plans, not reflection per call.* Each message class's dataclass field metadata (see
  ``cwmp/messages.py``) is compiled once into a tuple plan; encode and decode walk the plan.
  Qualified names are precomputed strings. The codec does no schema work at run time;
  schema validation is a test-time tool (``cwmp/schema.py``).
- *Tolerant where real stacks differ, strict where it matters.* Accepted: booleans as
  1/0 (any case), dateTime with fractions or offsets or none, missing xsi:type, the legacy
  NoMoreRequests header, the non-standard cwmp-1-3/1-4 URNs, header elements with any
  prefix, GenieACS's lower-case ``sessionTimeout``, qualified inner elements, extra
  whitespace around typed values, children in any order, unknown optional headers.
  Rejected with a precise error: anything not well-formed, any DOCTYPE, documents over the
  size or depth cap, non-SOAP-1.1 envelopes, cwmp:ID or HoldRequests without
  mustUnderstand="1", unknown headers with mustUnderstand="1", a body element outside the
  CWMP namespaces, unknown methods (fault 9000/8000), missing required elements, values
  that do not fit their type, more than one body element.
- *Safe parser.* ``XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
  huge_tree=False)``; DOCTYPE is refused before parsing, so entity bombs and XXE never
  reach libxml2's DTD code.
- *One error type.* Every failure is a ``CwmpDecodeError`` that carries the fault a CPE
  (9xxx) or ACS (8xxx) should answer with; ``fault_for_error`` builds that Fault.
"""

from __future__ import annotations

import re
import threading
from dataclasses import fields
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from lxml import etree

from printbench.cwmp import faults
from printbench.cwmp import messages as m
from printbench.cwmp.errors import CwmpDecodeError, CwmpEncodeError, CwmpError
from printbench.cwmp.faults import Role

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP_ENC = "http://schemas.xmlsoap.org/soap/encoding/"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
XSD = "http://www.w3.org/2001/XMLSchema"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSI_1999 = "http://www.w3.org/1999/XMLSchema-instance"

CONTENT_TYPE = "text/xml; charset=utf-8"
DEFAULT_MAX_SIZE = 1024 * 1024  # TR-069 requires accepting at least 32 KB
DEFAULT_MAX_DEPTH = 32  # the deepest CWMP structure is about 8 levels

_ENVELOPE = f"{{{SOAP_ENV}}}Envelope"
_HEADER = f"{{{SOAP_ENV}}}Header"
_BODY = f"{{{SOAP_ENV}}}Body"
_FAULT = f"{{{SOAP_ENV}}}Fault"
_MUST = f"{{{SOAP_ENV}}}mustUnderstand"
_ARRAY_TYPE = f"{{{SOAP_ENC}}}arrayType"
_XSI_TYPE = f"{{{XSI}}}type"
_XSI_TYPE_1999 = f"{{{XSI_1999}}}type"

_CWMP_NS = frozenset(m.CWMP_NAMESPACES)

_TRUE = frozenset(("true", "1"))
_FALSE = frozenset(("false", "0"))
_INT_RE = re.compile(r"[+-]?\d{1,20}\Z")
_DT_RE = re.compile(
    r"(-?\d{4,})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?\Z"
)
_DOCTYPE_RE = re.compile(rb"<!\s*DOCTYPE", re.IGNORECASE)
_ENTITY_RE = re.compile(rb"<!\s*ENTITY", re.IGNORECASE)


# --- plans ---------------------------------------------------------------------------------

# A plan entry: (attr, element, kind, cls, item, array_type, optional, min, max)
_Plan = tuple[tuple[Any, ...], ...]
_PLANS: dict[type, _Plan] = {}


def _plan(cls: type) -> _Plan:
    plan = _PLANS.get(cls)
    if plan is None:
        entries = []
        for f in fields(cls):
            meta = f.metadata
            if "el" not in meta:
                continue
            entries.append(
                (
                    f.name,
                    meta["el"],
                    meta["kind"],
                    meta["cls"],
                    meta["item"],
                    meta["array_type"],
                    meta["optional"],
                    meta["min"],
                    meta["max"],
                )
            )
        plan = _PLANS[cls] = tuple(entries)
    return plan


# --- encoding --------------------------------------------------------------------------------


class _Opts:
    __slots__ = ("datetime_ms", "false", "normalize_values", "replace", "true")

    def __init__(
        self,
        boolean_style: str,
        datetime_ms: bool,
        normalize_values: bool,
        replace: bool = False,
    ) -> None:
        if boolean_style not in ("word", "digit"):
            raise ValueError(f"boolean_style must be 'word' or 'digit', not {boolean_style!r}")
        self.true, self.false = ("true", "false") if boolean_style == "word" else ("1", "0")
        self.datetime_ms = datetime_ms
        self.normalize_values = normalize_values
        self.replace = replace


def format_datetime(value: datetime, *, milliseconds: bool = False) -> str:
    """xs:dateTime text: UTC as ``Z``, other offsets as ``+hh:mm``, naive without zone.

    TR-106 wants UTC with ``Z``: everything the core produces by itself (``UNKNOWN_TIME``,
    message defaults) is aware UTC. A naive value is written without a zone and an explicit
    offset is kept, on purpose: TR-069's Inform CurrentTime is local time with its offset,
    and a bench must be able to send a zone-less time to test an ACS's checks.

    Fractions are written only when present (lossless), or always as three digits when
    ``milliseconds`` (GenieACS's ``cwmp.datetimeMilliseconds`` style).
    """
    text = (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}T"
        f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    )
    if milliseconds:
        text += f".{value.microsecond // 1000:03d}"
    elif value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    off = value.utcoffset()
    if off is not None:
        if not off:
            text += "Z"
        else:
            minutes = int(off.total_seconds()) // 60
            sign = "+" if minutes >= 0 else "-"
            minutes = abs(minutes)
            text += f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    return text


# XML 1.0 (Fifth Edition) §2.2, production [2]: Char ::= #x9 | #xA | #xD | [#x20-#xD7FF]
# | [#xE000-#xFFFD] | [#x10000-#x10FFFF]. Anything else cannot appear in a document at all,
# not even as a character reference (§4.1 WFC: Legal Character).
_BAD_XML_CHARS = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
REPLACEMENT_CHARACTER = "\ufffd"
"""What ``replace_unencodable`` writes for a character XML 1.0 cannot carry (Unicode's
U+FFFD REPLACEMENT CHARACTER, itself a legal XML Char)."""


def _esc(text: str, replace: bool = False) -> str:
    """Escape character data. Characters XML 1.0 cannot carry are refused, or, with
    ``replace``, written as U+FFFD: a CPE must not let one bad stored value fail every
    session (issue 17), and no escape exists for them in XML 1.0."""
    if not text.isprintable() or not text.isascii():
        bad = _BAD_XML_CHARS.search(text)
        if bad:
            if not replace:
                raise CwmpEncodeError(
                    f"character U+{ord(bad.group()):04X} cannot be carried in XML 1.0 "
                    "(XML 1.0 §2.2, production Char)"
                )
            text = _BAD_XML_CHARS.sub(REPLACEMENT_CHARACTER, text)
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text


def _esc_attr(text: str) -> str:
    return _esc(text).replace('"', "&quot;").replace("\t", "&#9;").replace("\n", "&#10;")


def _enc_value(opts: _Opts, kind: str, value: Any) -> str:
    if kind == m.STR:
        if not isinstance(value, str):
            raise CwmpEncodeError(f"expected a string, got {type(value).__name__}")
        return _esc(value, opts.replace)
    if kind == m.INT:
        if isinstance(value, bool) or not isinstance(value, int):
            raise CwmpEncodeError(f"expected an integer, got {value!r}")
        return str(value)
    if kind == m.BOOL:
        return opts.true if value else opts.false
    if kind == m.DATETIME:
        return format_datetime(value, milliseconds=opts.datetime_ms)
    raise CwmpEncodeError(f"unknown field kind {kind}")


def _enc_struct(out: list[str], obj: Any, opts: _Opts) -> None:
    """Append the child elements of ``obj`` (its fields) to ``out``."""
    for attr, name, kind, cls, item, array_type, optional, _lo, _hi in _plan(type(obj)):
        value = getattr(obj, attr)
        if value is None:
            if optional:
                continue
            raise CwmpEncodeError(f"{type(obj).__name__}.{attr} is required")
        if kind == m.STRUCT:
            out.append(f"<{name}>")
            _enc_struct(out, value, opts)
            out.append(f"</{name}>")
        elif kind == m.ARRAY:
            out.append(f'<{name} SOAP-ENC:arrayType="{array_type}[{len(value)}]">')
            if cls is None:
                for text in value:
                    out.append(f"<{item}>{_esc(text, opts.replace)}</{item}>")
            elif cls is m.ParameterValueStruct:
                _enc_pvs(out, value, opts)
            else:
                for x in value:
                    out.append(f"<{item}>")
                    _enc_struct(out, x, opts)
                    out.append(f"</{item}>")
            out.append(f"</{name}>")
        elif kind == m.REPEAT:
            for x in value:
                out.append(f"<{name}>")
                _enc_struct(out, x, opts)
                out.append(f"</{name}>")
        elif kind == m.OPERATION:
            for x in value:
                out.append(f'<{name} xsi:type="cwmp:{x.XSI_TYPE}">')
                _enc_struct(out, x, opts)
                out.append(f"</{name}>")
        else:
            out.append(f"<{name}>{_enc_value(opts, kind, value)}</{name}>")


def _enc_pvs(out: list[str], items: tuple[m.ParameterValueStruct, ...], opts: _Opts) -> None:
    normalize = opts.normalize_values
    replace = opts.replace
    append = out.append
    for p in items:
        value = p.value
        if normalize and p.type == "xsd:boolean":
            low = value.strip().lower()
            if low in _TRUE:
                value = opts.true
            elif low in _FALSE:
                value = opts.false
        if p.type is None:
            append(
                f"<ParameterValueStruct><Name>{_esc(p.name)}</Name>"
                f"<Value>{_esc(value, replace)}</Value></ParameterValueStruct>"
            )
        else:
            append(
                f"<ParameterValueStruct><Name>{_esc(p.name)}</Name>"
                f'<Value xsi:type="{_esc_attr(p.type)}">{_esc(value, replace)}</Value>'
                "</ParameterValueStruct>"
            )


_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'


def _open_envelope(namespace: str) -> str:
    return (
        f'<SOAP-ENV:Envelope xmlns:SOAP-ENV="{SOAP_ENV}" xmlns:SOAP-ENC="{SOAP_ENC}" '
        f'xmlns:xsd="{XSD}" xmlns:xsi="{XSI}" xmlns:cwmp="{_esc_attr(namespace)}">'
    )


def encode(
    envelope: m.Envelope,
    *,
    boolean_style: str = "word",
    datetime_ms: bool = False,
    boolean_values: bool = False,
    session_timeout_tag: str = "SessionTimeout",
    xml_declaration: bool = True,
    replace_unencodable: bool = False,
) -> bytes:
    """Serialise ``envelope`` to UTF-8 bytes.

    Knobs for CPE/ACS quirk modes: ``boolean_style`` "word" (true/false) or "digit" (1/0)
    for boolean fields and headers; ``boolean_values`` also rewrites xsd:boolean parameter
    values in that style; ``datetime_ms`` writes every dateTime with milliseconds;
    ``session_timeout_tag`` lets a bench send GenieACS's lower-case ``sessionTimeout``.
    The namespace written is ``envelope.namespace`` verbatim (so non-standard URNs can be
    emitted), and ``envelope.no_more_requests`` adds the legacy NoMoreRequests header.
    ``replace_unencodable`` writes characters XML 1.0 cannot carry (§2.2 Char) as U+FFFD
    instead of refusing the message: what a CPE sends values of its own state with.

    The XML is written as text from the compiled plans (every string escaped, characters
    XML 1.0 cannot carry refused): about five times faster than building an lxml tree,
    and the schema tests prove the output valid.
    """
    opts = _Opts(boolean_style, datetime_ms, boolean_values, replace_unencodable)
    out: list[str] = [_DECL] if xml_declaration else []
    try:
        out.append(_open_envelope(envelope.namespace))
        head: list[str] = []
        if envelope.id is not None:
            head.append(f'<cwmp:ID SOAP-ENV:mustUnderstand="1">{_esc(envelope.id)}</cwmp:ID>')
        if envelope.hold_requests is not None:
            flag = opts.true if envelope.hold_requests else opts.false
            head.append(
                f'<cwmp:HoldRequests SOAP-ENV:mustUnderstand="1">{flag}</cwmp:HoldRequests>'
            )
        if envelope.session_timeout is not None:
            tag = f"cwmp:{session_timeout_tag}"
            head.append(
                f'<{tag} SOAP-ENV:mustUnderstand="0">'
                f"{_enc_value(opts, m.INT, envelope.session_timeout)}</{tag}>"
            )
        if envelope.supported_cwmp_versions is not None:
            versions = _esc(",".join(envelope.supported_cwmp_versions))
            head.append(
                '<cwmp:SupportedCWMPVersions SOAP-ENV:mustUnderstand="0">'
                f"{versions}</cwmp:SupportedCWMPVersions>"
            )
        if envelope.use_cwmp_version is not None:
            head.append(
                '<cwmp:UseCWMPVersion SOAP-ENV:mustUnderstand="1">'
                f"{_esc(envelope.use_cwmp_version)}</cwmp:UseCWMPVersion>"
            )
        if envelope.no_more_requests is not None:
            flag = opts.true if envelope.no_more_requests else opts.false
            head.append(f"<cwmp:NoMoreRequests>{flag}</cwmp:NoMoreRequests>")
        if head:
            out.append("<SOAP-ENV:Header>")
            out.extend(head)
            out.append("</SOAP-ENV:Header>")
        msg = envelope.body
        if msg is None:
            out.append("<SOAP-ENV:Body/>")
        else:
            out.append("<SOAP-ENV:Body>")
            if isinstance(msg, m.Fault):
                out.append(
                    "<SOAP-ENV:Fault>"
                    f"<faultcode>SOAP-ENV:{_esc(msg.soap_fault_code or 'Server')}</faultcode>"
                    f"<faultstring>{_esc(msg.soap_fault_string, opts.replace)}</faultstring>"
                    "<detail><cwmp:Fault>"
                )
                _enc_struct(out, msg, opts)
                out.append("</cwmp:Fault></detail></SOAP-ENV:Fault>")
            else:
                method = msg.METHOD
                if not method:
                    raise CwmpEncodeError(f"{type(msg).__name__} is not a CWMP message")
                out.append(f"<cwmp:{method}>")
                _enc_struct(out, msg, opts)
                out.append(f"</cwmp:{method}>")
            out.append("</SOAP-ENV:Body>")
        out.append("</SOAP-ENV:Envelope>")
        return "".join(out).encode("utf-8")
    except CwmpError:
        raise
    except (ValueError, TypeError, AttributeError, UnicodeError) as exc:
        raise CwmpEncodeError(
            f"cannot encode {getattr(envelope, 'method', None) or 'envelope'}: {exc}"
        ) from exc


# --- decoding --------------------------------------------------------------------------------

_local_parser = threading.local()


def _parser() -> etree.XMLParser:
    p = getattr(_local_parser, "parser", None)
    if p is None:
        p = _local_parser.parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            dtd_validation=False,
            remove_comments=True,
            remove_pis=True,
        )
    return p


_DEPTH_XPATH: dict[int, etree.XPath] = {}


def _too_deep(root: etree._Element, max_depth: int) -> bool:
    xp = _DEPTH_XPATH.get(max_depth)
    if xp is None:
        xp = _DEPTH_XPATH[max_depth] = etree.XPath("boolean(/*" + "/*" * max_depth + ")")
    return bool(xp(root))


def _local(tag: str) -> str:
    return tag[tag.find("}") + 1 :]


def _ns(tag: str) -> str | None:
    return tag[1 : tag.find("}")] if tag[:1] == "{" else None


class _Ctx:
    """What the decoder knows so far, so errors can carry it."""

    __slots__ = ("cwmp_id", "method", "namespace")

    def __init__(self) -> None:
        self.cwmp_id: str | None = None
        self.namespace: str | None = None
        self.method: str | None = None

    def error(
        self,
        message: str,
        node: etree._Element | None = None,
        kind: tuple[int, int] = faults.INVALID_ARGUMENTS,
    ) -> CwmpDecodeError:
        return CwmpDecodeError(
            message,
            kind=kind,
            line=None if node is None else node.sourceline,
            element=None if node is None else _local(node.tag),
            cwmp_id=self.cwmp_id,
            namespace=self.namespace,
            method=self.method,
        )


def _text(node: etree._Element) -> str:
    return node.text or ""


def _dec_bool(ctx: _Ctx, node: etree._Element) -> bool:
    raw = _text(node).strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ctx.error(f"expected a boolean (true/false/1/0), got {_text(node)[:40]!r}", node)


def _dec_int(ctx: _Ctx, node: etree._Element, lo: int | None, hi: int | None) -> int:
    raw = _text(node).strip()
    if not _INT_RE.match(raw):
        raise ctx.error(f"expected an integer, got {raw[:40]!r}", node)
    value = int(raw)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ctx.error(f"integer {value} out of range {lo}..{hi}", node)
    return value


def parse_datetime(text: str) -> datetime:
    """Parse xs:dateTime leniently (fractions of any length, Z, offsets, no zone).

    Raises ValueError on anything else.
    """
    match = _DT_RE.match(text.strip())
    if not match:
        raise ValueError(f"expected an xs:dateTime, got {text[:40]!r}")
    year, month, day, hour, minute, second, frac, zone = match.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    tz = None
    if zone == "Z":
        tz = UTC
    elif zone:
        sign = 1 if zone[0] == "+" else -1
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        if hours > 14 or minutes > 59:
            raise ValueError(f"bad time zone {zone!r}")
        tz = (
            UTC
            if hours == minutes == 0
            else timezone(sign * timedelta(hours=hours, minutes=minutes))
        )
    try:
        if hour == "24" and minute == "00" and second == "00" and not int(frac or "0"):
            base = datetime(int(year), int(month), int(day), 0, 0, 0, 0, tz)
            return base + timedelta(days=1)
        return datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tz
        )
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"expected an xs:dateTime, got {text[:40]!r}: {exc}") from exc


def _dec_datetime(ctx: _Ctx, node: etree._Element) -> datetime:
    try:
        return parse_datetime(_text(node))
    except ValueError as exc:
        raise ctx.error(str(exc), node) from None


def _children(node: etree._Element) -> dict[str, etree._Element]:
    out: dict[str, etree._Element] = {}
    for child in node:
        tag = child.tag
        if isinstance(tag, str):
            local = tag[tag.find("}") + 1 :]
            if local not in out:
                out[local] = child
    return out


def _elements(node: etree._Element) -> list[etree._Element]:
    return [c for c in node if isinstance(c.tag, str)]


def _dec_struct(ctx: _Ctx, node: etree._Element, cls: type) -> Any:
    plan = _plan(cls)
    kids = _children(node)
    kwargs: dict[str, Any] = {}
    for attr, name, kind, sub_cls, _item, _atype, optional, lo, hi in plan:
        if kind in (m.REPEAT, m.OPERATION):
            nodes = [c for c in node if isinstance(c.tag, str) and _local(c.tag) == name]
            if kind == m.REPEAT:
                kwargs[attr] = tuple(_dec_struct(ctx, c, sub_cls) for c in nodes)
            else:
                kwargs[attr] = tuple(_dec_operation(ctx, c) for c in nodes)
            continue
        child = kids.get(name)
        if child is None:
            if optional:
                continue
            raise ctx.error(f"missing required element <{name}> in <{_local(node.tag)}>", node)
        if kind == m.STR:
            if len(child):
                raise ctx.error("expected text, found child elements", child)
            kwargs[attr] = _text(child)
        elif kind == m.INT:
            kwargs[attr] = _dec_int(ctx, child, lo, hi)
        elif kind == m.BOOL:
            kwargs[attr] = _dec_bool(ctx, child)
        elif kind == m.DATETIME:
            kwargs[attr] = _dec_datetime(ctx, child)
        elif kind == m.STRUCT:
            kwargs[attr] = _dec_struct(ctx, child, sub_cls)
        elif kind == m.ARRAY:
            items = _elements(child)
            if sub_cls is None:
                out = []
                for it in items:
                    if len(it):
                        raise ctx.error("expected text, found child elements", it)
                    out.append(_text(it))
                kwargs[attr] = tuple(out)
            elif sub_cls is m.ParameterValueStruct:
                kwargs[attr] = tuple(_dec_pvs(ctx, it) for it in items)
            else:
                kwargs[attr] = tuple(_dec_struct(ctx, it, sub_cls) for it in items)
    return cls(**kwargs)


def _dec_operation(ctx: _Ctx, node: etree._Element) -> m.OperationStruct:
    raw = node.get(_XSI_TYPE) or node.get(_XSI_TYPE_1999)
    if not raw:
        raise ctx.error("ChangeDUState operation without xsi:type", node)
    cls = m.OPERATION_TYPES.get(raw[raw.find(":") + 1 :])
    if cls is None:
        raise ctx.error(f"unknown operation type {raw[:60]!r}", node)
    return _dec_struct(ctx, node, cls)


def _xsi_type(node: etree._Element) -> str | None:
    raw = node.get(_XSI_TYPE)
    if raw is None:
        raw = node.get(_XSI_TYPE_1999)
        if raw is None:
            return None
    raw = raw.strip()
    if raw.startswith("xsd:"):
        return raw
    prefix, sep, local = raw.partition(":")
    if not sep:
        return raw
    uri = node.nsmap.get(prefix)
    if uri == XSD or (uri is not None and uri.startswith("http://www.w3.org/") and "Schema" in uri):
        return f"xsd:{local}"
    if uri in _CWMP_NS:
        return f"cwmp:{local}"
    if uri == SOAP_ENC:
        return f"SOAP-ENC:{local}"
    return raw


def _dec_pvs(ctx: _Ctx, node: etree._Element) -> m.ParameterValueStruct:
    kids = list(node)
    if len(kids) == 2:  # fast path: <Name/><Value/> unqualified, in order, no comments
        name_node, value_node = kids
        if name_node.tag == "Name" and value_node.tag == "Value":
            if len(name_node) or len(value_node):
                bad = name_node if len(name_node) else value_node
                raise ctx.error("expected text, found child elements", bad)
            raw = value_node.get(_XSI_TYPE)
            xtype = raw if raw is not None and raw[:4] == "xsd:" else _xsi_type(value_node)
            return m.ParameterValueStruct(name_node.text or "", value_node.text or "", xtype)
    name_node = value_node = None
    for c in kids:
        tag = c.tag
        if not isinstance(tag, str):
            continue
        local = tag[tag.find("}") + 1 :]
        if local == "Name" and name_node is None:
            name_node = c
        elif local == "Value" and value_node is None:
            value_node = c
    if name_node is None:
        raise ctx.error("missing required element <Name> in <ParameterValueStruct>", node)
    if value_node is None:
        raise ctx.error("missing required element <Value> in <ParameterValueStruct>", node)
    if len(name_node) or len(value_node):
        bad = name_node if len(name_node) else value_node
        raise ctx.error("expected text, found child elements", bad)
    return m.ParameterValueStruct(
        name_node.text or "", value_node.text or "", _xsi_type(value_node)
    )


def _must_understand(node: etree._Element) -> str | None:
    value = node.get(_MUST)
    return None if value is None else value.strip()


_HEADER_NAMES = frozenset(
    (
        "ID",
        "HoldRequests",
        "SessionTimeout",
        "sessionTimeout",
        "SupportedCWMPVersions",
        "UseCWMPVersion",
        "NoMoreRequests",
    )
)


def _dec_header(ctx: _Ctx, header: etree._Element, out: dict[str, Any]) -> None:
    # First pass: the ID, so every later error can echo it.
    for child in header:
        tag = child.tag
        if isinstance(tag, str) and _local(tag) == "ID" and _ns(tag) in _CWMP_NS:
            ctx.cwmp_id = child.text or ""
            ctx.namespace = _ns(tag)
            break
    for child in header:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        ns, local = _ns(tag), _local(tag)
        must = _must_understand(child)
        if ns not in _CWMP_NS or local not in _HEADER_NAMES:
            if must in ("1", "true"):
                raise ctx.error(
                    f'header {tag} has mustUnderstand="1" but is not a CWMP header', child
                )
            continue
        if local in ("ID", "HoldRequests") and must not in ("1", "true"):
            raise ctx.error(
                f'cwmp:{local} must carry SOAP-ENV:mustUnderstand="1"'
                + ("" if must is None else f", not {must!r}"),
                child,
            )
        if local == "ID":
            if len(child):
                raise ctx.error("expected text, found child elements", child)
            out["id"] = child.text or ""
        elif local == "HoldRequests":
            out["hold_requests"] = _dec_bool(ctx, child)
        elif local in ("SessionTimeout", "sessionTimeout"):
            out["session_timeout"] = _dec_int(ctx, child, 0, m.UINT_MAX)
        elif local == "SupportedCWMPVersions":
            text = (child.text or "").strip()
            out["supported_cwmp_versions"] = tuple(v.strip() for v in text.split(",") if v.strip())
        elif local == "UseCWMPVersion":
            out["use_cwmp_version"] = (child.text or "").strip()
        elif local == "NoMoreRequests":
            out["no_more_requests"] = _dec_bool(ctx, child)


def _dec_soap_fault(ctx: _Ctx, node: etree._Element) -> m.Fault:
    ctx.method = "Fault"
    kids = _children(node)
    code_node = kids.get("faultcode")
    soap_code = None
    if code_node is not None:
        text = (code_node.text or "").strip()
        soap_code = text[text.find(":") + 1 :] or None
    string_node = kids.get("faultstring")
    soap_string = (string_node.text or "") if string_node is not None else ""
    detail = kids.get("detail")
    if detail is None:
        raise ctx.error("SOAP Fault without <detail> holding a cwmp:Fault", node)
    cwmp_fault = None
    for c in detail:
        if isinstance(c.tag, str) and _local(c.tag) == "Fault":
            cwmp_fault = c
            break
    if cwmp_fault is None:
        raise ctx.error("SOAP Fault <detail> holds no cwmp:Fault", detail)
    ns = _ns(cwmp_fault.tag)
    if ns in _CWMP_NS and ctx.namespace is None:
        ctx.namespace = ns
    fault = _dec_struct(ctx, cwmp_fault, m.Fault)
    return m.Fault(
        fault.fault_code,
        fault.fault_string,
        fault.set_parameter_values_faults,
        soap_fault_code=soap_code,
        soap_fault_string=soap_string,
    )


def _to_bytes(data: Any) -> bytes:
    if isinstance(data, bytes):
        return data
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    if isinstance(data, str):
        return data.encode("utf-8", "surrogatepass")
    raise CwmpDecodeError(f"expected bytes, got {type(data).__name__}")


def decode(
    data: bytes,
    *,
    max_size: int = DEFAULT_MAX_SIZE,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> m.Envelope:
    """Parse one CWMP envelope. Raises ``CwmpDecodeError`` and nothing else."""
    ctx = _Ctx()
    try:
        return _decode(ctx, _to_bytes(data), max_size, max_depth)
    except CwmpDecodeError:
        raise
    except CwmpError as exc:  # pragma: no cover - defensive
        raise ctx.error(exc.message) from exc
    except Exception as exc:
        # A bug in the decoder; still honour the one-exception-family contract, and say so.
        raise ctx.error(
            f"internal decoder error: {type(exc).__name__}: {exc}", kind=faults.INTERNAL_ERROR
        ) from exc


def _decode(ctx: _Ctx, data: bytes, max_size: int, max_depth: int) -> m.Envelope:
    size = len(data)
    if size > max_size:
        raise ctx.error(
            f"document is {size} bytes, over the limit of {max_size}",
            kind=faults.RESOURCES_EXCEEDED,
        )
    if not data.strip():
        raise ctx.error("empty document: an empty HTTP body is not an envelope")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise ctx.error(
            f"NUL byte at offset {nul}: not a UTF-8 XML document (UTF-16/32 and binary refused)"
        )
    match = (_DOCTYPE_RE.search(data) or _ENTITY_RE.search(data)) if b"<!" in data else None
    if match:
        line = data.count(b"\n", 0, match.start()) + 1
        raise CwmpDecodeError(
            "DOCTYPE/ENTITY declarations are not allowed in SOAP messages", line=line
        )
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line = exc.position[0] if exc.position else exc.lineno
        msg = (exc.msg or str(exc)).strip()
        kind = faults.INVALID_ARGUMENTS
        if "depth" in msg.lower() or "huge" in msg.lower():
            kind = faults.RESOURCES_EXCEEDED
        raise CwmpDecodeError(f"not well-formed XML: {msg}", line=line, kind=kind) from None
    if root is None:
        raise ctx.error("no root element")
    doc = root.getroottree()
    if doc.docinfo.doctype or doc.docinfo.internalDTD is not None:
        raise ctx.error("DOCTYPE is not allowed in SOAP messages", root)
    if _too_deep(root, max_depth):
        raise ctx.error(
            f"elements nested deeper than {max_depth} levels", root, faults.RESOURCES_EXCEEDED
        )
    tag = root.tag
    if not isinstance(tag, str) or _local(tag) != "Envelope":
        raise ctx.error("expected a SOAP-ENV:Envelope root element", root)
    if tag != _ENVELOPE:
        ns = _ns(tag)
        if ns == SOAP12_ENV:
            raise ctx.error(
                "SOAP 1.2 envelope (VersionMismatch): CWMP uses SOAP 1.1, " + SOAP_ENV, root
            )
        raise ctx.error(f"Envelope in namespace {ns!r}, expected {SOAP_ENV}", root)
    header = body = None
    for child in root:
        ctag = child.tag
        if not isinstance(ctag, str):
            continue
        if ctag == _HEADER and header is None and body is None:
            header = child
        elif ctag == _BODY and body is None:
            body = child
        else:
            raise ctx.error(
                "unexpected element in Envelope (expected optional Header, then Body)", child
            )
    if body is None:
        raise ctx.error("Envelope has no SOAP-ENV:Body", root)
    head: dict[str, Any] = {}
    if header is not None:
        _dec_header(ctx, header, head)
    items = _elements(body)
    if len(items) > 1:
        raise ctx.error(
            f"Body holds {len(items)} elements; CWMP allows one message per envelope", items[1]
        )
    message: m.Message | None = None
    if items:
        node = items[0]
        ntag = node.tag
        if ntag == _FAULT:
            message = _dec_soap_fault(ctx, node)
        else:
            ns, local = _ns(ntag), _local(ntag)
            ctx.method = local
            if ns not in _CWMP_NS:
                raise ctx.error(
                    f"body element {local} is in namespace {ns!r}, not a CWMP namespace "
                    "(urn:dslforum-org:cwmp-1-0 ... cwmp-1-2)",
                    node,
                )
            ctx.namespace = ns
            cls = m.BY_METHOD.get(local)
            if cls is None or cls is m.Fault:
                raise ctx.error(
                    f"method {local} is not supported", node, faults.METHOD_NOT_SUPPORTED
                )
            message = _dec_struct(ctx, node, cls)
    namespace = ctx.namespace or m.CWMP_1_2
    return m.Envelope(body=message, namespace=namespace, **head)


# --- faults for errors ---------------------------------------------------------------------


def fault_for_error(error: CwmpError, role: Role) -> m.Fault:
    """The CWMP Fault a ``role`` answers ``error`` with; FaultString says what was wrong."""
    code = error.fault_code(role)
    text = f"{faults.fault_string(code)}: {error.message}"
    return m.Fault(code, text[:256])


def fault_envelope(
    error: CwmpError,
    role: Role,
    *,
    cwmp_id: str | None = None,
    namespace: str | None = None,
) -> m.Envelope:
    """An envelope answering ``error`` with a Fault, echoing the request's ID and namespace."""
    if isinstance(error, CwmpDecodeError):
        cwmp_id = cwmp_id if cwmp_id is not None else error.cwmp_id
        namespace = namespace or error.namespace
    return m.Envelope(
        body=fault_for_error(error, role), id=cwmp_id, namespace=namespace or m.CWMP_1_2
    )


def is_empty(data: bytes | None) -> bool:
    """True for an empty HTTP body (the CWMP "empty message")."""
    return not data or not bytes(data).strip()


# The first element inside soap:Body (the CWMP method, "Fault" for a SOAP fault).
_BODY_CHILD_RE = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?Body(?:\s[^>]*)?>\s*<(?:[A-Za-z_][\w.-]*:)?([\w.-]+)"
)


def body_method(data: bytes | None) -> str | None:
    """The local name of the first element in soap:Body ("" for an empty body, None when
    none is found). A cheap look for HTTP-level decisions (the SOAPAction header) that must
    not cost a second parse of a large envelope."""
    if data is None or is_empty(data):
        return ""
    match = _BODY_CHILD_RE.search(bytes(data))
    return match.group(1).decode("ascii", "replace") if match else None


def soap_action(data: bytes | None) -> str | None:
    """The SOAPAction header value a CPE sends with ``data``; None: send no header.

    TR-069 Amd 6 §3.4.1: "An empty HTTP POST MUST NOT contain a SOAPAction header"; a POST
    carrying a SOAP response or a SOAP fault MUST carry the header with no value (not even
    quotes): ``SOAPAction:``. A POST carrying a request (Inform, TransferComplete...) sends
    the header as SOAP 1.1 §6.1.1 asks of a SOAP HTTP request; ``""`` says "the intent is
    the Request-URI".
    """
    method = body_method(data)
    if method == "":
        return None
    if method is not None and (method.endswith("Response") or method == "Fault"):
        return ""
    return '""'
