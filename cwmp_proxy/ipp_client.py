"""IPP client for the proxy: Get-Printer-Attributes (only what is needed), Set-Printer-Attributes.

Messages are built and parsed with the shared codec ``emulator/ipp/codec.py`` (DESIGN §2:
written once, used by every role) and carried by aiohttp. Values come back as the codec's
Python values (``int`` for integer/enum, ``str`` for keywords/text, ``bool``, ``bytes`` for
octetString, ``Resolution``, collections as lists of member attributes); 1setOf attributes
as lists.
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import Iterable, Sequence
from typing import Any

import aiohttp

from printbench.common.httpio import BodyTooLarge, read_response
from printbench.cwmp_proxy.errors import NotWritable, Rejected, Unreachable
from printbench.ipp.codec import (
    Attribute,
    GroupTag,
    IppDecodeError,
    Message,
    Resolution,
    Tag,
    decode,
    encode,
)

GET_PRINTER_ATTRIBUTES = 0x000B
SET_PRINTER_ATTRIBUTES = 0x0013
_ATTRS_NOT_SETTABLE = 0x0413
_ids = itertools.count(1)

#: Largest IPP response read (attributes of a big printer are tens of KB).
MAX_IPP_RESPONSE = 8 * 1024 * 1024


def _operation(op: int, uri: str, requested: Sequence[str] = ()) -> Message:
    msg = Message(version=(2, 0), code=op, request_id=next(_ids) & 0x7FFFFFFF)
    g = msg.add_group(GroupTag.OPERATION)
    g.add("attributes-charset", Tag.CHARSET, "utf-8")
    g.add("attributes-natural-language", Tag.NATURAL_LANGUAGE, "en")
    g.add("printer-uri", Tag.URI, uri)
    g.add("requesting-user-name", Tag.NAME, "cwmp-proxy")
    if requested:
        g.add("requested-attributes", Tag.KEYWORD, *requested)
    return msg


def ipp_value_tag(value: Any, name: str) -> int:
    """The value tag to send a Python value with (Set-Printer-Attributes)."""
    if isinstance(value, bool):
        return Tag.BOOLEAN
    if isinstance(value, Resolution):
        return Tag.RESOLUTION
    if isinstance(value, int):
        return Tag.ENUM if name.startswith("orientation") else Tag.INTEGER
    if name.endswith(("-default",)) and isinstance(value, str) and value.isascii():
        return Tag.KEYWORD
    return Tag.TEXT


class IppClient:
    """One printer's IPP service at ``uri`` (``ipp://host:port/ipp/print``)."""

    def __init__(
        self,
        uri: str,
        session: aiohttp.ClientSession,
        *,
        timeout: float = 3.0,
        retries: int = 1,
        username: str = "",
        password: str = "",
    ) -> None:
        self.uri = uri
        # HTTP Basic credentials (RFC 7617) for printer administration: a printer whose
        # access policy keeps Set-Printer-Attributes for its administrator (RFC 3380 §4.1;
        # emulator/ipp/access.py) gets the inventory's admin account, the one the EWS uses
        self.headers = {"Content-Type": "application/ipp"}
        if username:
            token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
            self.headers["Authorization"] = f"Basic {token}"
        self.http_url = "http" + uri[3:] if uri.startswith("ipp") else uri
        if uri.startswith("ipps"):
            self.http_url = "https" + uri[4:]
        self.session = session
        self.timeout = timeout
        self.retries = retries

    @property
    def where(self) -> str:
        return f"{self.uri} IPP"

    async def _call(self, msg: Message) -> Message:
        body = encode(msg)
        last = ""
        for _ in range(self.retries + 1):
            try:
                async with self.session.post(
                    self.http_url,
                    data=body,
                    headers=self.headers,
                    timeout=aiohttp.ClientTimeout(total=self.timeout),
                ) as resp:
                    if resp.status != 200:
                        try:
                            raw = await read_response(resp, 64 * 1024)
                        except BodyTooLarge:
                            raw = b""
                        text = raw.decode("utf-8", "replace")[:120].strip()
                        raise Unreachable(f"{self.where}: HTTP {resp.status} {text}")
                    data = await read_response(resp, MAX_IPP_RESPONSE)
                break
            except BodyTooLarge as exc:
                # TR-069 fault 9004 "Resources exceeded": more than the proxy takes.
                raise Rejected(f"{self.where}: response refused: {exc}", code=9004) from None
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                last = f"{type(exc).__name__} {exc}".strip()
        else:
            raise Unreachable(f"{self.where}: no answer after {self.retries + 1} tries ({last})")
        try:
            return decode(data)
        except IppDecodeError as exc:
            raise Rejected(f"{self.where}: undecodable response: {exc}", code=9002) from None

    def _status_text(self, resp: Message) -> str:
        a = resp.find("status-message")
        return f"0x{resp.code:04x}" + (f" {a.value}" if a is not None else "")

    async def get_attributes(self, names: Iterable[str]) -> dict[str, Any]:
        """Get-Printer-Attributes asking for exactly ``names``; ``{name: value or [values]}``."""
        wanted = sorted(set(names))
        resp = await self._call(_operation(GET_PRINTER_ATTRIBUTES, self.uri, wanted))
        if resp.code >= 0x0400:
            raise Rejected(
                f"{self.where}: Get-Printer-Attributes failed: {self._status_text(resp)}", 9002
            )
        out: dict[str, Any] = {}
        for g in resp.groups_of(GroupTag.PRINTER):
            for a in g.attributes:
                if a.tag in range(0x10, 0x20):
                    continue
                out[a.name] = a.values[0] if len(a.values) == 1 else list(a.values)
        return out

    async def set_attributes(self, values: dict[str, Any]) -> None:
        """Set-Printer-Attributes (RFC 3380: the printer applies all or none)."""
        if not values:
            return
        msg = _operation(SET_PRINTER_ATTRIBUTES, self.uri)
        g = msg.add_group(GroupTag.PRINTER)
        for name, v in values.items():
            vals = list(v) if isinstance(v, list | tuple) else [v]
            g.attributes.append(Attribute(name, ipp_value_tag(vals[0], name), vals))
        resp = await self._call(msg)
        if resp.code >= 0x0400:
            bad = tuple(
                a.name for grp in resp.groups_of(GroupTag.UNSUPPORTED) for a in grp.attributes
            )
            cls = NotWritable if resp.code == _ATTRS_NOT_SETTABLE else Rejected
            raise cls(
                f"{self.where}: Set-Printer-Attributes refused {', '.join(bad) or 'the request'}: "
                f"{self._status_text(resp)}",
                names=bad,
            )


def parse_key_values(value: Any) -> dict[str, str]:
    """``type=toner;level=80;`` (printer-supply, printer-input-tray) → ``{key: text}``."""
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    out: dict[str, str] = {}
    for part in text.split(";"):
        k, sep, v = part.partition("=")
        if sep:
            out[k.strip()] = v
    return out


def member(value: Any, key: str) -> Any:
    """The ``key`` of a structured IPP value: key=value string, Resolution, or collection."""
    if isinstance(value, Resolution):
        return {"cross-feed": value.x, "feed": value.y, "units": value.units}[key]
    if isinstance(value, list) and value and isinstance(value[0], Attribute):
        for m in value:
            if m.name == key:
                return m.value
        raise KeyError(key)
    kv = parse_key_values(value)
    v = kv[key]
    try:
        return int(v)
    except ValueError:
        return v
