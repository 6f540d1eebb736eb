"""IPP operations: a decoded request and a device in, a response message out.

Validation follows RFC 8011 §4.1 in the order a printer applies it: version, request-id,
the first two operation attributes (charset and natural language), the operation, its target
(printer-uri / job-id / job-uri), the syntax of each operation attribute, then the values.
Each refusal is a :class:`IppError` carrying the status code, a status message and the
offending attributes, which go into the unsupported-attributes group.

The device's state changes only through its behaviour engine (jobs) or, for
Set-Printer-Attributes (RFC 3380), through state writes after every attribute of the request
has been checked, so a rejected request changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from printbench.emulator import state as st
from printbench.emulator.ipp import attributes as A
from printbench.emulator.ipp.documents import DocumentError, count_pages, decompress, sniff_format
from printbench.ipp.codec import (
    Attribute,
    Group,
    GroupTag,
    Message,
    Range,
    Resolution,
    StringWithLanguage,
    Tag,
)

log = logging.getLogger(__name__)

# status codes (RFC 8011 §4.1.6.1, RFC 3380)
OK = 0x0000
OK_IGNORED = 0x0001
BAD_REQUEST = 0x0400
NOT_AUTHORIZED = 0x0403
NOT_POSSIBLE = 0x0404
NOT_FOUND = 0x0406
DOCUMENT_FORMAT_NOT_SUPPORTED = 0x040A
ATTRIBUTES_OR_VALUES = 0x040B
CHARSET_NOT_SUPPORTED = 0x040D
COMPRESSION_NOT_SUPPORTED = 0x040F
COMPRESSION_ERROR = 0x0410
NOT_SETTABLE = (
    0x0413  # RFC 3380 client-error-attributes-not-settable (0x0412 is document-access-error)
)
INTERNAL_ERROR = 0x0500
OPERATION_NOT_SUPPORTED = 0x0501
VERSION_NOT_SUPPORTED = 0x0503
NOT_ACCEPTING_JOBS = 0x0506
# IANA IPP registry 0x050B server-error-too-many-jobs (PWG 5100.7-2019): a job bound reached.
# RFC 8011 itself has no such code; ipptool and CUPS know this one.
TOO_MANY_JOBS = 0x050B
TOO_MANY_SUBSCRIPTIONS = 0x041B  # RFC 3995 client-error-too-many-subscriptions

SUPPORTED_MAJOR = (1, 2)
CHARSETS = ("utf-8", "us-ascii")
NAME_TAGS = (Tag.NAME, Tag.NAME_WITH_LANGUAGE)
TEXT_TAGS = (Tag.TEXT, Tag.TEXT_WITH_LANGUAGE)

# operation attributes: name -> (allowed value tags, multi-valued)
OPERATION_SYNTAX: dict[str, tuple[tuple[int, ...], bool]] = {
    "attributes-charset": ((Tag.CHARSET,), False),
    "attributes-natural-language": ((Tag.NATURAL_LANGUAGE,), False),
    "printer-uri": ((Tag.URI,), False),
    "job-uri": ((Tag.URI,), False),
    "job-id": ((Tag.INTEGER,), False),
    "requesting-user-name": (NAME_TAGS, False),
    "job-name": (NAME_TAGS, False),
    "document-name": (NAME_TAGS, False),
    "document-format": ((Tag.MIME_MEDIA_TYPE,), False),
    "document-natural-language": ((Tag.NATURAL_LANGUAGE,), False),
    "compression": ((Tag.KEYWORD,), False),
    "ipp-attribute-fidelity": ((Tag.BOOLEAN,), False),
    "last-document": ((Tag.BOOLEAN,), False),
    "which-jobs": ((Tag.KEYWORD,), False),
    "my-jobs": ((Tag.BOOLEAN,), False),
    "limit": ((Tag.INTEGER,), False),
    "first-index": ((Tag.INTEGER,), False),
    "requested-attributes": ((Tag.KEYWORD,), True),
    "job-ids": ((Tag.INTEGER,), True),
    "identify-actions": ((Tag.KEYWORD,), True),
    "message": (TEXT_TAGS, False),
    "job-k-octets": ((Tag.INTEGER,), False),
    "job-impressions": ((Tag.INTEGER,), False),
    "job-media-sheets": ((Tag.INTEGER,), False),
    "document-number": ((Tag.INTEGER,), False),
    "predecessor-job-id": ((Tag.INTEGER,), False),
    "notify-subscription-id": ((Tag.INTEGER,), False),
    "notify-subscription-ids": ((Tag.INTEGER,), True),
    "notify-sequence-numbers": ((Tag.INTEGER,), True),
    "notify-wait": ((Tag.BOOLEAN,), False),
    "notify-lease-duration": ((Tag.INTEGER,), False),
    "notify-job-id": ((Tag.INTEGER,), False),
    "job-hold-until": ((Tag.KEYWORD, Tag.NAME), False),
    "my-subscriptions": ((Tag.BOOLEAN,), False),
}

#: operations whose target is a job (RFC 8011 §4.3, RFC 3998, PWG 5100.5/5100.11): they need
#: job-id with printer-uri, or job-uri
JOB_OPERATIONS = frozenset(
    {
        0x0006,
        0x0008,
        0x0009,
        0x000C,
        0x000D,
        0x000E,
        0x0014,
        0x002C,
        0x002F,
        0x0030,
        0x0031,
        0x0033,
        0x0034,
        0x0035,
        0x0037,
        0x003A,
        0x003B,
    }
)


class IppError(Exception):
    """A request refused with ``status``; ``unsupported`` goes into the unsupported group."""

    def __init__(
        self, status: int, message: str, unsupported: list[Attribute] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.unsupported = unsupported or []


@dataclass(slots=True)
class Context:
    """One request's surroundings: the device and the URIs it is reached by."""

    device: Any  # .state, .engine, .clock
    printer_uri: str  # ipp://host:port/ipp/print as the client addressed it
    more_info: str  # the EWS URL
    cache: Any = None  # emulator.ipp.cache.AttributeCache of the device, when the server keeps one
    # work the server runs after the answer is built, one callable per slice, yielding to the
    # event loop between slices (bulk cancels); None: nothing left to do
    work: list[Any] | None = None
    # the request's HTTP Authorization header (the access policy, emulator/ipp/access.py)
    authorization: str = ""
    # set when the access policy wants HTTP 401 with a Basic challenge instead of IPP
    challenge: bool = False

    def view(self) -> A.View:
        return A.View(self.device.state, self.device.clock, self.printer_uri, self.more_info)


@dataclass(slots=True)
class Request:
    """A validated request: the message, its operation attributes by name, and the job group."""

    msg: Message
    op: dict[str, Attribute]
    job_group: Group | None

    def value(self, name: str, default: Any = None) -> Any:
        attr = self.op.get(name)
        if attr is None:
            return default
        v = attr.values[0]
        return v.text if isinstance(v, StringWithLanguage) else v

    def values(self, name: str) -> list[Any] | None:
        attr = self.op.get(name)
        return None if attr is None else list(attr.values)

    @property
    def user(self) -> str:
        return str(self.value("requesting-user-name", "anonymous")) or "anonymous"


# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------



def _supported(name: str, view: A.View) -> tuple[Any, ...]:
    """The values of a -supported attribute the printer advertises (none: nothing allowed)."""
    attr = A.JOB_TEMPLATE[name](view)
    return tuple(attr.values) if attr is not None else ()

def respond(msg: Message, ctx: Context) -> Message:
    """The response to request ``msg`` on device ``ctx.device`` (never raises IppError)."""
    version = msg.version if msg.version[0] in SUPPORTED_MAJOR else (2, 0)
    try:
        req = validate(msg)
        handler = HANDLERS.get(msg.code)
        if handler is None or msg.code not in A.operations(ctx.device.state):
            raise IppError(OPERATION_NOT_SUPPORTED, f"operation 0x{msg.code:04x} is not supported")
        _check_target(req, msg.code)
        _check_access(req, msg.code, ctx)
        resp, status, unsupported = handler(req, ctx)
        return build_response(version, msg.request_id, status, "", unsupported, resp)
    except IppError as exc:
        return build_response(version, msg.request_id, exc.status, exc.message, exc.unsupported, [])


def _check_access(req: Request, code: int, ctx: Context) -> None:
    """The profile's access policy (emulator/ipp/access.py: RFC 8011 §4.2.7-4.3.7, RFC 3380
    §4.1, RFC 3998, PWG 5100.11); refuses before the handler touches anything."""
    from printbench.emulator.ipp import access

    job = None
    if code in access.JOB_OPERATIONS and "job-id" in req.op:
        job = ctx.device.engine.find_job(req.value("job-id"))
    decision = access.decide(ctx.device.state, code, req.user, ctx.authorization, job)
    if decision is not None:
        ctx.challenge = decision.challenge
        raise IppError(decision.status, decision.message)


def build_response(
    version: tuple[int, int],
    request_id: int,
    status: int,
    message: str,
    unsupported: list[Attribute],
    groups: list[Group],
) -> Message:
    op = Group(GroupTag.OPERATION)
    op.add("attributes-charset", Tag.CHARSET, "utf-8")
    op.add("attributes-natural-language", Tag.NATURAL_LANGUAGE, "en")
    if message:
        op.add("status-message", Tag.TEXT, message[:255])
    if groups and groups[0].tag == GroupTag.OPERATION:  # a handler's operation attributes
        op.attributes.extend(groups[0].attributes)
        groups = groups[1:]
    out = [op]
    if unsupported:
        out.append(Group(GroupTag.UNSUPPORTED, unsupported))
    out.extend(groups)
    return Message(version, status, request_id, out)


def validate(msg: Message) -> Request:
    """RFC 8011 §4.1 checks common to every operation."""
    if msg.version[0] not in SUPPORTED_MAJOR:
        raise IppError(
            VERSION_NOT_SUPPORTED, f"IPP version {msg.version[0]}.{msg.version[1]} is not supported"
        )
    if msg.request_id <= 0:
        raise IppError(BAD_REQUEST, "request-id must be 1 to 2147483647 (RFC 8011 §4.1.1)")
    if not msg.groups or msg.groups[0].tag != GroupTag.OPERATION:
        raise IppError(BAD_REQUEST, "the operation attributes group must come first")
    seen: set[int] = set()
    for g in msg.groups:
        if g.tag in seen and g.tag != GroupTag.SUBSCRIPTION:  # RFC 3995: one per sub
            raise IppError(BAD_REQUEST, f"attribute group 0x{g.tag:02x} appears twice")
        if g.tag not in (
            GroupTag.OPERATION,
            GroupTag.JOB,
            GroupTag.PRINTER,
            GroupTag.DOCUMENT,
            GroupTag.SUBSCRIPTION,
        ):
            raise IppError(
                BAD_REQUEST, f"attribute group 0x{g.tag:02x} is not allowed in a request"
            )
        seen.add(g.tag)
    attrs = msg.groups[0].attributes
    if (
        len(attrs) < 2
        or attrs[0].name != "attributes-charset"
        or attrs[1].name != "attributes-natural-language"
    ):
        raise IppError(
            BAD_REQUEST,
            "the first two operation attributes must be attributes-charset and attributes-natural-language",
        )
    op: dict[str, Attribute] = {}
    for attr in attrs:
        if attr.name in op:
            raise IppError(BAD_REQUEST, f"operation attribute {attr.name!r} appears twice", [attr])
        syntax = OPERATION_SYNTAX.get(attr.name)
        if syntax is not None:
            tags, multi = syntax
            tags_ok = (
                attr.tag in tags
                if attr.value_tags is None
                else all(t in tags for t in attr.value_tags)
            )
            if not tags_ok or (not multi and len(attr.values) != 1):
                raise IppError(
                    BAD_REQUEST, f"operation attribute {attr.name!r} has the wrong syntax", [attr]
                )
        op[attr.name] = attr
    charset = str(op["attributes-charset"].values[0]).lower()
    if charset not in CHARSETS:
        raise IppError(
            CHARSET_NOT_SUPPORTED,
            f"charset {charset!r} is not supported",
            [op["attributes-charset"]],
        )
    return Request(msg, op, msg.group(GroupTag.JOB))


_PRINTER_PATHS = ("", "/", "/ipp/print")


def _split(uri: str, attr: Attribute) -> Any:
    """urlsplit, with a URI it cannot parse (``http://[::1/``) refused as the request's
    fault: client-error-bad-request (RFC 8011 Appendix B.1.4.1), never an internal error."""
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018  (raises ValueError for a bad port or IPv6 literal)
    except ValueError as exc:
        raise IppError(BAD_REQUEST, f"malformed URI {uri[:100]!r}: {exc}", [attr]) from None
    return parts


def _check_target(req: Request, code: int) -> None:
    """printer-uri must name this printer; job operations also need job-id (or job-uri)."""
    job_op = code in JOB_OPERATIONS
    uri = req.value("printer-uri")
    if uri is None and job_op and "job-uri" in req.op:
        uri = req.value("job-uri")
        path = _split(uri, req.op["job-uri"]).path.rstrip("/")
        head, _, tail = path.rpartition("/")
        if head not in ("/ipp/print", "") or not tail.isdigit() or len(tail) > 10:
            raise IppError(NOT_FOUND, f"no such job: {uri}", [req.op["job-uri"]])
        req.op["job-id"] = Attribute("job-id", Tag.INTEGER, [int(tail)])
        return
    if uri is None:
        raise IppError(BAD_REQUEST, "missing printer-uri operation attribute (RFC 8011 §4.2)")
    parts = _split(uri, req.op["printer-uri"])
    if (
        parts.scheme not in ("ipp", "ipps", "http", "https")
        or parts.path.rstrip("/") not in _PRINTER_PATHS
    ):
        raise IppError(NOT_FOUND, f"no printer at {uri}", [req.op["printer-uri"]])
    if job_op and "job-id" not in req.op:
        raise IppError(BAD_REQUEST, "missing job-id operation attribute")
    if "job-id" in req.op and req.value("job-id") < 1:
        raise IppError(NOT_FOUND, "job-id must be positive", [req.op["job-id"]])


Result = tuple[list[Group], int, list[Attribute]]


# ---------------------------------------------------------------------------------------------
# Printer operations
# ---------------------------------------------------------------------------------------------


def get_printer_attributes(req: Request, ctx: Context) -> Result:
    unsupported: list[Attribute] = []
    fmt = req.value("document-format")
    if fmt is not None and fmt not in A.document_formats(ctx.device.state):
        raise IppError(
            DOCUMENT_FORMAT_NOT_SUPPORTED,
            f"document-format {fmt!r} is not supported",
            [req.op["document-format"]],
        )
    names = A.printer_attribute_names(req.values("requested-attributes"))
    view = ctx.view()
    if ctx.cache is not None:
        group = Group(GroupTag.PRINTER, ctx.cache.printer_attributes(view, names))
    else:
        group = Group(GroupTag.PRINTER, A.printer_attributes(view, names))
    return [group], OK_IGNORED if unsupported else OK, unsupported


def identify_printer(req: Request, ctx: Context) -> Result:
    actions = req.values("identify-actions") or ["flash"]
    bad = [a for a in actions if a not in A.IDENTIFY_ACTIONS]
    if bad:
        raise IppError(
            ATTRIBUTES_OR_VALUES,
            f"identify-actions {bad} not supported",
            [req.op["identify-actions"]],
        )
    log.info("%s: Identify-Printer %s", ctx.device.state.description.name, ",".join(actions))
    return [], OK, []


def pause_printer(req: Request, ctx: Context) -> Result:
    ctx.device.engine.pause()
    return [], OK, []


def resume_printer(req: Request, ctx: Context) -> Result:
    ctx.device.engine.resume()
    return [], OK, []


def _single(attr: Attribute, tags: tuple[int, ...]) -> bool:
    return len(attr.values) == 1 and attr.tag in tags and not attr.value_tags


def set_printer_attributes(req: Request, ctx: Context) -> Result:
    """RFC 3380: all or nothing; non-settable attributes → client-error-attributes-not-settable."""
    group = req.msg.group(GroupTag.PRINTER)
    if group is None or not group.attributes:
        raise IppError(BAD_REQUEST, "Set-Printer-Attributes needs printer attributes to set")
    state = ctx.device.state
    not_settable = [
        Attribute(a.name, Tag.NOT_SETTABLE, [b""])
        for a in group.attributes
        if a.name not in A.SETTABLE
    ]
    if not_settable:
        names = ", ".join(a.name for a in not_settable)
        raise IppError(NOT_SETTABLE, f"not settable: {names}", not_settable)
    seen: set[str] = set()
    changes: list[tuple[Any, str, Any]] = []  # (node, field, value)
    bad: list[Attribute] = []
    for attr in group.attributes:
        if attr.name in seen:
            raise IppError(BAD_REQUEST, f"{attr.name!r} appears twice", [attr])
        seen.add(attr.name)
        change = _settable_change(state, attr)
        if change is None or not _carried_by_every_face(change):
            bad.append(attr)
        else:
            changes.extend(change)
    if bad:
        raise IppError(
            ATTRIBUTES_OR_VALUES, f"unsupported value for {', '.join(a.name for a in bad)}", bad
        )
    for node, name, value in changes:
        setattr(node, name, value)
    state.status.config_changes += 1
    return [], OK, []


def _carried_by_every_face(change: list[tuple[Any, str, Any]]) -> bool:
    """False if a value is one another face cannot carry (the state's one rule: XML 1.0
    characters for TR-069, DisplayString for SNMP). RFC 3380 answers a value the printer
    does not support with client-error-attributes-or-values-not-supported (RFC 8011
    §B.1.4.12), the value echoed in the unsupported-attributes group."""
    try:
        for node, name, value in change:
            st.check_value(node, name, value)
    except st.ValueRejected:
        return False
    return True


def _text(attr: Attribute, limit: int) -> str | None:
    if not _single(attr, TEXT_TAGS):
        return None
    v = attr.values[0]
    text = v.text if isinstance(v, StringWithLanguage) else v
    return text if len(text) <= limit else None


def _settable_change(state: Any, attr: Attribute) -> list[tuple[Any, str, Any]] | None:
    """The state writes one Set-Printer-Attributes value asks for, or None if it is unsupported."""
    d, defaults, name, v = state.description, state.defaults, attr.name, attr.value
    if name in ("printer-location", "printer-info"):
        text = _text(attr, 127)
        return None if text is None else [(d, name.removeprefix("printer-"), text)]
    if name == "printer-contact-col":
        if not _single(attr, (Tag.BEG_COLLECTION,)):
            return None
        return _contact_change(d, v)
    if name == "copies-default":
        ok = _single(attr, (Tag.INTEGER,)) and 1 <= v <= 999
        return [(defaults, "copies", v)] if ok else None
    if name == "sides-default":
        supported = _supported("sides-supported", A.View(state, None, "", ""))
        ok = _single(attr, (Tag.KEYWORD,)) and v in supported
        return [(defaults, "sides", v)] if ok else None
    if name == "orientation-requested-default":
        names = {n: k for k, n in A.ORIENTATIONS.items()}
        ok = _single(attr, (Tag.ENUM,)) and v in names
        return [(defaults, "orientation", names[v])] if ok else None
    if name == "print-quality-default":
        names = {n: k for k, n in A.QUALITIES.items()}
        ok = _single(attr, (Tag.ENUM,)) and v in names
        return [(defaults, "print_quality", names[v])] if ok else None
    if name == "printer-resolution-default":
        ok = (
            _single(attr, (Tag.RESOLUTION,))
            and isinstance(v, Resolution)
            and (v.x, v.y) in A.RESOLUTIONS
        )
        if not ok or v.units != 3:
            return None
        return [
            (defaults, "resolution_x", v.x),
            (defaults, "resolution_y", v.y),
            (defaults, "resolution_units", "dpi"),
        ]
    if name == "media-default":
        ok = _single(attr, (Tag.KEYWORD, Tag.NAME)) and v in A._media_names(state)
        return [(defaults, "media", v)] if ok else None
    if name == "output-bin-default":
        ok = _single(attr, (Tag.KEYWORD, Tag.NAME)) and v in (*A.OUTPUT_BINS, defaults.output_bin)
        return [(defaults, "output_bin", v)] if ok else None
    if name == "print-color-mode-default":
        modes = ("auto", "monochrome", "color") if d.color_supported else ("auto", "monochrome")
        ok = _single(attr, (Tag.KEYWORD,)) and v in modes
        return [(defaults, "color_mode", v)] if ok else None
    return None


def _contact_change(d: Any, members: list[Attribute]) -> list[tuple[Any, str, Any]] | None:
    changes: list[tuple[Any, str, Any]] = []
    email, phone = d.contact_email, d.contact_phone
    for m in members:
        if m.name == "contact-name":
            if not _single(m, NAME_TAGS):
                return None
            v = m.value
            changes.append((d, "contact_name", v.text if isinstance(v, StringWithLanguage) else v))
        elif m.name == "contact-uri":
            if m.tag in (Tag.UNKNOWN, Tag.NO_VALUE) and len(m.values) == 1:
                email = phone = ""
            elif _single(m, (Tag.URI,)):
                uri = m.value
                if uri.startswith("mailto:"):
                    email, phone = uri[7:], ""
                elif uri.startswith("tel:"):
                    email, phone = "", uri[4:]
                else:
                    return None
            else:
                return None
        elif m.name == "contact-vcard":
            if any(t not in TEXT_TAGS for t in m.tags()):
                return None
        else:
            return None
    changes += [(d, "contact_email", email), (d, "contact_phone", phone)]
    return changes


# ---------------------------------------------------------------------------------------------
# Job creation
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Ticket:
    copies: int = 1
    sides: str | None = None
    media: str | None = None
    color: bool | None = None
    hold_until: str = "no-hold"
    priority: int = 50
    page_ranges: tuple[tuple[int, int], ...] = ()
    overrides: tuple[tuple[int, int, int, int, str], ...] = ()

    def engine_args(self) -> dict[str, Any]:
        return {
            "copies": self.copies,
            "sides": self.sides,
            "color": self.color,
            "media": self.media,
            "hold_until": self.hold_until,
            "priority": self.priority,
            "page_ranges": self.page_ranges,
            "overrides": self.overrides,
        }


def _ranges(attr: Attribute) -> tuple[tuple[int, int], ...] | None:
    """RFC 8011 §5.2.7 page-ranges: 1setOf rangeOfInteger(1:MAX), ascending, not overlapping."""
    if attr.tag != Tag.RANGE_OF_INTEGER or attr.value_tags or len(attr.values) > 100:
        return None
    out: list[tuple[int, int]] = []
    last = 0
    for r in attr.values:
        if not isinstance(r, Range) or r.lower < 1 or r.upper < r.lower or r.lower <= last:
            return None
        out.append((r.lower, r.upper))
        last = r.upper
    return tuple(out)


_OVERRIDE_TEMPLATE = ("media", "media-col", "orientation-requested", "print-quality")


def _overrides(attr: Attribute, state: Any) -> tuple[tuple[int, int, int, int, str], ...] | None:
    """PWG 5100.6 overrides: each collection names documents and pages (rangeOfInteger)
    and the job template values for them. media / media-col are applied page by page by the
    engine; orientation-requested and print-quality are checked and accepted."""
    if attr.tag != Tag.BEG_COLLECTION or attr.value_tags or len(attr.values) > 100:
        return None
    rows = []
    for col in attr.values:
        docs, pages, media = (1, 2**31 - 1), (1, 2**31 - 1), None
        for m in col:
            if m.name in ("document-numbers", "document-number", "pages"):
                ranges = _ranges(m)
                if not ranges or len(ranges) != 1:
                    return None
                if m.name == "pages":
                    pages = ranges[0]
                else:
                    docs = ranges[0]
            elif m.name == "media" and _single(m, (Tag.KEYWORD, Tag.NAME)):
                if m.value not in A._media_names(state):
                    return None
                media = m.value
            elif m.name == "media-col" and _single(m, (Tag.BEG_COLLECTION,)):
                media = _media_from_col(m, state)
                if media is None:
                    return None
            elif m.name == "orientation-requested" and _single(m, (Tag.ENUM,)):
                if m.value not in A.ORIENTATIONS.values():
                    return None
            elif m.name == "print-quality" and _single(m, (Tag.ENUM,)):
                if m.value not in A.QUALITIES.values():
                    return None
            else:
                return None
        if media is not None:
            rows.append((*docs, *pages, media))
    return tuple(rows)


def _job_ticket(req: Request, ctx: Context) -> tuple[Ticket, list[Attribute]]:
    """Check the job template attributes; returns the ticket and the unsupported ones."""
    state = ctx.device.state
    view = A.View(state, None, "", "")
    ticket = Ticket()
    unsupported: list[Attribute] = []
    seen: set[str] = set()
    for attr in req.job_group.attributes if req.job_group else []:
        if attr.name in seen:
            raise IppError(BAD_REQUEST, f"job attribute {attr.name!r} appears twice", [attr])
        seen.add(attr.name)
        v, n = attr.value, attr.name
        ok = False
        if n == "copies":
            ok = _single(attr, (Tag.INTEGER,)) and 1 <= v <= 999
            if ok:
                ticket.copies = v
        elif n == "sides":
            ok = (
                _single(attr, (Tag.KEYWORD,))
                and v in _supported("sides-supported", view)
            )
            if ok:
                ticket.sides = v
        elif n == "media":
            ok = _single(attr, (Tag.KEYWORD, Tag.NAME)) and v in A._media_names(state)
            if ok:
                ticket.media = v
        elif n == "media-col":
            media = _media_from_col(attr, state) if _single(attr, (Tag.BEG_COLLECTION,)) else None
            ok = media is not None
            if ok:
                ticket.media = media
        elif n == "print-color-mode":
            modes = (
                ("auto", "monochrome", "color")
                if state.description.color_supported
                else ("auto", "monochrome")
            )
            ok = _single(attr, (Tag.KEYWORD,)) and v in modes
            if ok:
                ticket.color = None if v == "auto" else v == "color"
        elif n == "orientation-requested":
            ok = _single(attr, (Tag.ENUM,)) and v in A.ORIENTATIONS.values()
        elif n == "print-quality":
            ok = _single(attr, (Tag.ENUM,)) and v in A.QUALITIES.values()
        elif n == "printer-resolution":
            ok = _single(attr, (Tag.RESOLUTION,)) and (v.x, v.y) in A.RESOLUTIONS
        elif n == "finishings":
            supported = set(_supported("finishings-supported", view))
            ok = (
                attr.tag == Tag.ENUM
                and not attr.value_tags
                and all(x in supported for x in attr.values)
            )
        elif n == "output-bin":
            ok = _single(attr, (Tag.KEYWORD, Tag.NAME)) and v in (
                *A.OUTPUT_BINS,
                state.defaults.output_bin,
            )
        elif n == "job-sheets":
            ok = (
                attr.tag in (Tag.KEYWORD, Tag.NAME)
                and len(attr.values) <= 2
                and all(x in A.JOB_SHEETS for x in attr.values)
            )
        elif n == "number-up":
            ok = _single(attr, (Tag.INTEGER,)) and v in A.NUMBER_UP
        elif n == "job-priority":
            ok = _single(attr, (Tag.INTEGER,)) and 1 <= v <= 100
            if ok:
                ticket.priority = v
        elif n == "job-hold-until":
            ok = _single(attr, (Tag.KEYWORD, Tag.NAME)) and v in A.HOLD_UNTIL
            if ok:
                ticket.hold_until = v
        elif n == "page-ranges":
            ranges = _ranges(attr)
            ok = ranges is not None
            if ranges is not None:
                ticket.page_ranges = ranges
        elif n == "overrides":
            rows = _overrides(attr, state)
            ok = rows is not None
            if rows is not None:
                ticket.overrides = rows
        elif n in _KEYWORD_CHOICES:
            ok = _single(attr, (Tag.KEYWORD,)) and v in _KEYWORD_CHOICES[n]
        if not ok:
            unsupported.append(attr)
    if unsupported and req.value("ipp-attribute-fidelity", False):
        names = ", ".join(a.name for a in unsupported)
        raise IppError(
            ATTRIBUTES_OR_VALUES, f"unsupported job attributes or values: {names}", unsupported
        )
    return ticket, unsupported


_KEYWORD_CHOICES = {
    "print-content-optimize": A.CONTENT_OPTIMIZE,
    "print-rendering-intent": A.RENDERING_INTENTS,
    "print-scaling": A.PRINT_SCALING,
    "multiple-document-handling": A.MULTIPLE_DOCUMENT_HANDLING,
}


def _media_from_col(attr: Attribute, state: Any) -> str | None:
    names = A._media_names(state)
    size_name = attr.member("media-size-name")
    if size_name is not None:
        return size_name.value if size_name.value in names else None
    size = attr.member("media-size")
    if size is None or size.tag != Tag.BEG_COLLECTION:
        return state.defaults.media
    x = next((m.value for m in size.value if m.name == "x-dimension"), None)
    y = next((m.value for m in size.value if m.name == "y-dimension"), None)
    for name in names:
        dims = A.media_size(name)
        if dims and abs(dims[0] - (x or 0)) <= 100 and abs(dims[1] - (y or 0)) <= 100:
            return name
    return None


def _document_format(req: Request, ctx: Context) -> str:
    fmt = req.value("document-format", "application/octet-stream")
    if fmt not in A.document_formats(ctx.device.state):
        raise IppError(
            DOCUMENT_FORMAT_NOT_SUPPORTED,
            f"document-format {fmt!r} is not supported",
            [req.op["document-format"]],
        )
    return fmt


def _document(req: Request, ctx: Context) -> tuple[str, int, int]:
    """(format, pages, size) of the request's document data."""
    fmt = _document_format(req, ctx)
    compression = req.value("compression", "none")
    if compression not in A.COMPRESSIONS:
        raise IppError(
            COMPRESSION_NOT_SUPPORTED,
            f"compression {compression!r} is not supported",
            [req.op["compression"]],
        )
    try:
        data = decompress(req.msg.data, compression)
    except DocumentError as exc:
        raise IppError(COMPRESSION_ERROR, str(exc)) from None
    if fmt == "application/octet-stream":
        sniffed = sniff_format(data)
        fmt = sniffed if sniffed in A.document_formats(ctx.device.state) else fmt
    return fmt, count_pages(data, fmt), len(data)


def _job_name(req: Request, default: str) -> str:
    return str(req.value("job-name") or req.value("document-name") or default)[:255]


def _check_accepting(ctx: Context) -> None:
    if not ctx.device.state.status.is_accepting_jobs:
        raise IppError(NOT_ACCEPTING_JOBS, "the printer is not accepting jobs")


def check_job_bounds(state: Any, user: str, held: bool) -> None:
    """The profile's bounds (``ipp.max_*``) on jobs a client can make the printer hold.

    A new job that would go past one is refused with server-error-too-many-jobs (0x050B,
    IANA IPP registry, PWG 5100.7-2019); nothing is created. ``held``: the job will wait in
    pending-held (Create-Job until its last document, or job-hold-until)."""
    cfg = state.ipp
    active = held_total = held_user = 0
    for j in state.jobs:
        if j.state in A.TERMINAL_JOB_STATES:
            continue
        active += 1
        if j.state == "pending-held":
            held_total += 1
            if j.user == user:
                held_user += 1
    if active >= cfg.max_active_jobs:
        raise IppError(TOO_MANY_JOBS, f"the printer holds {active} unfinished jobs (its bound)")
    if held and held_total >= cfg.max_held_jobs:
        raise IppError(TOO_MANY_JOBS, f"the printer holds {held_total} held jobs (its bound)")
    if held and held_user >= cfg.max_held_jobs_per_user:
        raise IppError(
            TOO_MANY_JOBS, f"user {user!r} has {held_user} held jobs (the per-user bound)"
        )


def _job_response(ctx: Context, job: Any, status: int, unsupported: list[Attribute]) -> Result:
    group = Group(GroupTag.JOB, A.job_attributes(ctx.view(), job, A.JOB_CREATED))
    return [group], status, unsupported


def _engine_call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    from printbench.emulator.behaviour import EngineError

    try:
        return fn(*args, **kwargs)
    except EngineError as exc:
        text = str(exc)
        status = (
            NOT_ACCEPTING_JOBS if "accepting" in text or "powered off" in text else NOT_POSSIBLE
        )
        raise IppError(status, text) from None


def print_job(req: Request, ctx: Context) -> Result:
    _check_accepting(ctx)
    ticket, unsupported = _job_ticket(req, ctx)
    if not req.msg.data:
        raise IppError(BAD_REQUEST, "Print-Job without document data")
    fmt, pages, size = _document(req, ctx)
    check_job_bounds(ctx.device.state, req.user, ticket.hold_until != "no-hold")
    engine = ctx.device.engine
    job = _engine_call(
        engine.create_job,
        name=_job_name(req, "untitled"),
        user=req.user,
        document_format=fmt,
        **ticket.engine_args(),
    )
    job = _engine_call(
        engine.add_document, job.index, pages=pages, document_format=fmt, size_bytes=size, last=True
    )
    return _job_response(ctx, job, OK_IGNORED if unsupported else OK, unsupported)


def validate_job(req: Request, ctx: Context) -> Result:
    _check_accepting(ctx)
    _, unsupported = _job_ticket(req, ctx)
    _document_format(req, ctx)
    compression = req.value("compression", "none")
    if compression not in A.COMPRESSIONS:
        raise IppError(
            COMPRESSION_NOT_SUPPORTED,
            f"compression {compression!r} is not supported",
            [req.op["compression"]],
        )
    return [], OK_IGNORED if unsupported else OK, unsupported


def create_job(req: Request, ctx: Context) -> Result:
    _check_accepting(ctx)
    ticket, unsupported = _job_ticket(req, ctx)
    check_job_bounds(ctx.device.state, req.user, True)
    job = _engine_call(
        ctx.device.engine.create_job,
        name=_job_name(req, "untitled"),
        user=req.user,
        **ticket.engine_args(),
    )
    return _job_response(ctx, job, OK_IGNORED if unsupported else OK, unsupported)


def _job(req: Request, ctx: Context) -> Any:
    job_id = req.value("job-id")
    job = ctx.device.engine.find_job(job_id)
    if job is None:
        raise IppError(NOT_FOUND, f"job {job_id} does not exist", [req.op["job-id"]])
    return job


def _incoming(job: Any) -> bool:
    return job.state == "pending-held" and "job-incoming" in job.state_reasons


def send_document(req: Request, ctx: Context) -> Result:
    if "last-document" not in req.op:
        raise IppError(BAD_REQUEST, "missing last-document operation attribute")
    job = _job(req, ctx)
    if not _incoming(job):
        raise IppError(NOT_POSSIBLE, f"job {job.index} is {job.state} and takes no more documents")
    last = bool(req.value("last-document"))
    engine = ctx.device.engine
    if req.msg.data:
        fmt, pages, size = _document(req, ctx)
        job = _engine_call(
            engine.add_document,
            job.index,
            pages=pages,
            document_format=fmt,
            size_bytes=size,
            last=last,
        )
    else:
        _document_format(req, ctx)
        if last:
            job = _engine_call(engine.close_job, job.index)
    return _job_response(ctx, job, OK, [])


def close_job(req: Request, ctx: Context) -> Result:
    job = _job(req, ctx)
    if not _incoming(job):
        raise IppError(NOT_POSSIBLE, f"job {job.index} is {job.state}, not waiting for documents")
    job = _engine_call(ctx.device.engine.close_job, job.index)
    return _job_response(ctx, job, OK, [])


def cancel_job(req: Request, ctx: Context) -> Result:
    job = _job(req, ctx)
    if job.state in A.TERMINAL_JOB_STATES:
        raise IppError(NOT_POSSIBLE, f"job {job.index} is already {job.state}")
    _engine_call(ctx.device.engine.cancel_job, job.index)
    return [], OK, []


#: jobs cancelled per slice by Cancel-My-Jobs / Cancel-Jobs / Purge-Jobs; between slices the
#: server lets the event loop serve everything else (no request may stall it, issue 17)
CANCEL_SLICE = 256


def _bulk_cancel(ctx: Context, ids: list[int]) -> None:
    """Cancel ``ids``: at once when few, else in slices the server runs between other work."""
    engine = ctx.device.engine
    if len(ids) <= CANCEL_SLICE:
        engine.cancel_jobs(ids)
        return
    slices = [ids[i : i + CANCEL_SLICE] for i in range(0, len(ids), CANCEL_SLICE)]
    ctx.work = [lambda chunk=chunk: engine.cancel_jobs(chunk) for chunk in slices]


def _listed_jobs(req: Request, ctx: Context, user: str | None) -> list[int] | None:
    """The job-ids of a Cancel-Jobs / Cancel-My-Jobs request, checked (PWG 5100.11):
    every one must exist, be unfinished and (``user`` given) belong to that user."""
    ids = req.values("job-ids")
    if ids is None:
        return None
    engine = ctx.device.engine
    found = {i: engine.find_job(i) for i in ids}
    missing = [i for i, j in found.items() if j is None]
    if missing:
        raise IppError(NOT_FOUND, f"no jobs {missing[:20]}", [req.op["job-ids"]])
    if user is not None:
        foreign = [i for i, j in found.items() if j.user != user]
        if foreign:
            raise IppError(
                NOT_AUTHORIZED, f"jobs {foreign[:20]} belong to other users", [req.op["job-ids"]]
            )
    done = [i for i, j in found.items() if j.state in A.TERMINAL_JOB_STATES]
    if done:
        raise IppError(NOT_POSSIBLE, f"jobs {done[:20]} are already finished", [req.op["job-ids"]])
    return list(found)


def cancel_my_jobs(req: Request, ctx: Context) -> Result:
    """PWG 5100.11 Cancel-My-Jobs: the requesting user's unfinished jobs (or job-ids)."""
    user = req.user
    ids = _listed_jobs(req, ctx, user)
    if ids is None:
        ids = [
            j.index
            for j in ctx.device.state.jobs
            if j.user == user and j.state not in A.TERMINAL_JOB_STATES
        ]
    _bulk_cancel(ctx, ids)
    return [], OK, []


def cancel_jobs(req: Request, ctx: Context) -> Result:
    """PWG 5100.11 Cancel-Jobs: every unfinished job (or the job-ids listed). For operators
    and administrators: the access policy (emulator/ipp/access.py) checked it already."""
    ids = _listed_jobs(req, ctx, None)
    if ids is None:
        ids = [j.index for j in ctx.device.state.jobs if j.state not in A.TERMINAL_JOB_STATES]
    _bulk_cancel(ctx, ids)
    return [], OK, []


# ---------------------------------------------------------------------------------------------
# Job queries
# ---------------------------------------------------------------------------------------------


def get_job_attributes(req: Request, ctx: Context) -> Result:
    job = _job(req, ctx)
    names = A.job_attribute_names(req.values("requested-attributes"), A.ALL_JOB)
    return [Group(GroupTag.JOB, A.job_attributes(ctx.view(), job, names))], OK, []


WHICH_JOBS = A.WHICH_JOBS


def get_jobs(req: Request, ctx: Context) -> Result:
    which = req.value("which-jobs", "not-completed")
    if which not in WHICH_JOBS:
        raise IppError(
            ATTRIBUTES_OR_VALUES, f"which-jobs {which!r} is not supported", [req.op["which-jobs"]]
        )
    limit = req.value("limit")
    if limit is not None and limit < 1:
        raise IppError(ATTRIBUTES_OR_VALUES, "limit must be positive", [req.op["limit"]])
    first = req.value("first-index", 1)
    if first < 1:
        raise IppError(
            ATTRIBUTES_OR_VALUES, "first-index must be positive", [req.op["first-index"]]
        )
    jobs = list(ctx.device.state.jobs)
    if which == "completed":
        jobs = sorted(
            (j for j in jobs if j.state in A.TERMINAL_JOB_STATES), key=lambda j: -j.completed_ticks
        )
    elif which == "not-completed":
        jobs = [j for j in jobs if j.state not in A.TERMINAL_JOB_STATES]
    elif which in ("proof-print", "saved"):
        jobs = []  # this printer keeps no proof-print or saved jobs (PWG 5100.11)
    elif which != "all":
        jobs = [j for j in jobs if j.state == which]
    if req.value("my-jobs", False):
        jobs = [j for j in jobs if j.user == req.user]
    jobs = jobs[first - 1 :]
    if limit is not None:
        jobs = jobs[:limit]
    names = A.job_attribute_names(req.values("requested-attributes"), ("job-uri", "job-id"))
    view = ctx.view()
    return [Group(GroupTag.JOB, A.job_attributes(view, j, names)) for j in jobs], OK, []


HANDLERS = {
    0x0002: print_job,
    0x0004: validate_job,
    0x0005: create_job,
    0x0006: send_document,
    0x0008: cancel_job,
    0x0009: get_job_attributes,
    0x000A: get_jobs,
    0x000B: get_printer_attributes,
    0x0010: pause_printer,
    0x0011: resume_printer,
    0x0013: set_printer_attributes,
    0x0038: cancel_jobs,
    0x0039: cancel_my_jobs,
    0x003B: close_job,
    0x003C: identify_printer,
}
from printbench.emulator.ipp import jobops  # noqa: E402  (registers the RFC 3998 / PWG 5100.x handlers)

jobops.register(HANDLERS)
assert set(HANDLERS) == set(A.OPERATIONS.values()), set(A.OPERATIONS.values()) ^ set(HANDLERS)
