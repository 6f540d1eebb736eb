"""Which printers the proxy manages: a printers file (YAML, JSON or CSV) or discovery.

A printers file lists one printer per entry/row:

``address`` (required), ``protocols`` (any of snmp, ipp, ews; default all three), ``name``;
SNMP: ``snmp_port`` (default 1161, DESIGN §8), ``snmp_version`` (1, 2c, 3), ``community``,
``write_community``, ``v3_user``, ``v3_auth_protocol``, ``v3_auth_key``,
``v3_priv_protocol``, ``v3_priv_key``; IPP: ``ipp_uri`` (default
``ipp://<address>:8631/ipp/print``); EWS: ``ews_url`` (default ``http://<address>:8080/``),
``ews_username``, ``ews_password``. CSV lists ``protocols`` separated by ``;`` or spaces.

Errors name the file and line. Discovery (``discover``) probes each address of a range by
SNMP (sysObjectID and the Printer MIB's prtGeneralTable) and IPP (Get-Printer-Attributes)
and returns an entry for every address where either answered as a printer.
"""

from __future__ import annotations

import asyncio
import csv
import io
import ipaddress
import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from printbench.cwmp_proxy.errors import InventoryError, ProxyError

PROTOCOLS = ("snmp", "ipp", "ews")


@dataclass
class PrinterEntry:
    address: str
    protocols: tuple[str, ...] = PROTOCOLS
    name: str = ""
    snmp_port: int = 1161
    snmp_version: str = "2c"
    community: str = "public"
    write_community: str = "private"
    v3_user: str = ""
    v3_auth_protocol: str = "SHA"
    v3_auth_key: str = ""
    v3_priv_protocol: str = "AES"
    v3_priv_key: str = ""
    ipp_uri: str = ""
    ews_url: str = ""
    ews_username: str = "admin"
    ews_password: str = "admin"
    source: str = field(default="", compare=False)  # file:line

    def __post_init__(self) -> None:
        if not self.ipp_uri:
            self.ipp_uri = f"ipp://{self.address}:8631/ipp/print"
        if not self.ews_url:
            self.ews_url = f"http://{self.address}:8080/"
        if not self.name:
            self.name = self.address


_FIELDS = {f.name: f for f in fields(PrinterEntry) if f.name != "source"}
_INT = {"snmp_port"}


def _entry(raw: dict[str, Any], where: str) -> PrinterEntry:
    if not isinstance(raw, dict):
        raise InventoryError(f"{where}: a printer must be a mapping, not {type(raw).__name__}")
    unknown = sorted(set(raw) - set(_FIELDS) - {"__line__"})
    if unknown:
        raise InventoryError(
            f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(_FIELDS)})"
        )
    address = str(raw.get("address") or "").strip()
    if not address:
        raise InventoryError(f"{where}: printer without an address")
    try:
        ipaddress.ip_address(address)
    except ValueError:
        if not address.replace("-", "").replace(".", "").isalnum():
            raise InventoryError(
                f"{where}: {address!r} is not an IP address or host name"
            ) from None
    kw: dict[str, Any] = {"address": address, "source": where}
    for k, v in raw.items():
        if k in ("address", "__line__") or v is None:
            continue
        if k == "protocols":
            items = v if isinstance(v, list) else str(v).replace(";", " ").replace(",", " ").split()
            protos = tuple(str(p).strip().lower() for p in items if str(p).strip())
            bad = [p for p in protos if p not in PROTOCOLS]
            if bad or not protos:
                raise InventoryError(
                    f"{where}: protocols {', '.join(bad) or '(none)'} not among {', '.join(PROTOCOLS)}"
                )
            kw[k] = protos
        elif k in _INT:
            try:
                n = int(v)
            except (TypeError, ValueError):
                raise InventoryError(f"{where}: {k} {v!r} is not a number") from None
            if not 0 < n < 65536:
                raise InventoryError(f"{where}: {k} {n} is not a port")
            kw[k] = n
        else:
            kw[k] = str(v)
    if kw.get("snmp_version", "2c") not in ("1", "2c", "3"):
        raise InventoryError(f"{where}: snmp_version {kw['snmp_version']!r} is not 1, 2c or 3")
    if kw.get("snmp_version") == "3" and not kw.get("v3_user"):
        raise InventoryError(f"{where}: snmp_version 3 needs v3_user")
    return PrinterEntry(**kw)


def _yaml_rows(text: str, name: str) -> list[tuple[dict[str, Any], int]]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InventoryError(
            f"{name}:{mark.line + 1 if mark else 0}: not valid YAML: {exc}"
        ) from None
    if node is None:
        return []
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == "printers":
                node = v
                break
        else:
            raise InventoryError(f"{name}:{node.start_mark.line + 1}: expected a list of printers")
    if not isinstance(node, yaml.SequenceNode):
        raise InventoryError(f"{name}:{node.start_mark.line + 1}: expected a list of printers")
    loader = yaml.SafeLoader("")
    out = []
    for item in node.value:
        out.append((loader.construct_object(item, deep=True), item.start_mark.line + 1))
    return out


def parse_printers(text: str, name: str = "<printers>") -> list[PrinterEntry]:
    """Entries of a printers file's text; the format follows the name's suffix."""
    suffix = Path(name).suffix.lower()
    entries: list[PrinterEntry] = []
    if suffix == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        for row in reader:
            clean = {
                k.strip(): (v.strip() if isinstance(v, str) else v) for k, v in row.items() if k
            }
            clean = {k: v for k, v in clean.items() if v not in ("", None)}
            entries.append(_entry(clean, f"{name}:{reader.line_num}"))
    elif suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InventoryError(f"{name}:{exc.lineno}: not valid JSON: {exc.msg}") from None
        if isinstance(data, dict):
            data = data.get("printers")
        if not isinstance(data, list):
            raise InventoryError(
                f"{name}:1: expected a list of printers (or {{'printers': [...]}})"
            )
        for i, raw in enumerate(data, 1):
            entries.append(_entry(raw, f"{name}: printer {i}"))
    else:
        for raw, line in _yaml_rows(text, name):
            entries.append(_entry(raw, f"{name}:{line}"))
    seen: dict[tuple[str, int, str], str] = {}
    for e in entries:
        key = (e.address, e.snmp_port, e.ipp_uri)
        if key in seen:
            raise InventoryError(
                f"{e.source}: printer {e.address} is listed twice (first at {seen[key]})"
            )
        seen[key] = e.source
    return entries


def load_printers(path: str | Path) -> list[PrinterEntry]:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise InventoryError(f"{p}:0: cannot read: {exc.strerror or exc}") from None
    return parse_printers(text, str(p))


def address_range(spec: str) -> list[str]:
    """``127.80.0.0/29`` or ``127.80.0.1-127.80.0.9`` → addresses (hosts of a network)."""
    if "-" in spec:
        a, b = (ipaddress.ip_address(x.strip()) for x in spec.split("-", 1))
        return [str(ipaddress.ip_address(n)) for n in range(int(a), int(b) + 1)]
    net = ipaddress.ip_network(spec, strict=False)
    hosts = list(net.hosts()) or [net.network_address]
    return [str(h) for h in hosts]


async def probe(entry: PrinterEntry, session: Any, timeout: float = 0.5) -> PrinterEntry | None:
    """The entry narrowed to the protocols that answered as a printer, or None."""
    from printbench.cwmp_proxy.ipp_client import IppClient
    from printbench.cwmp_proxy.snmp_client import SnmpClient, SnmpCredentials

    found: list[str] = []
    snmp = SnmpClient(
        entry.address,
        entry.snmp_port,
        SnmpCredentials(entry.snmp_version, entry.community, entry.write_community),
        timeout=timeout,
        retries=0,
    )
    try:
        got = await snmp.get(["1.3.6.1.2.1.1.2.0"])
        cols = await snmp.walk_columns(["1.3.6.1.2.1.43.5.1.1.1"])  # prtGeneralConfigChanges
        if got and cols["1.3.6.1.2.1.43.5.1.1.1"]:
            found.append("snmp")
    except ProxyError:
        pass
    ipp = IppClient(entry.ipp_uri, session, timeout=timeout * 4, retries=0)
    try:
        attrs = await ipp.get_attributes(["printer-name", "printer-state"])
        if "printer-state" in attrs:
            found.append("ipp")
    except ProxyError:
        pass
    if not found:
        return None
    protos = tuple(found) + (("ews",) if "ews" in entry.protocols else ())
    return PrinterEntry(**{**{f: getattr(entry, f) for f in _FIELDS}, "protocols": protos})


async def discover(
    spec: str, template: PrinterEntry | None = None, *, concurrency: int = 64, timeout: float = 0.5
) -> list[PrinterEntry]:
    """Probe every address of ``spec`` (CIDR or range) with ``template``'s settings."""
    import aiohttp

    base = template or PrinterEntry(address="0.0.0.0")
    sem = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession() as session:

        async def one(addr: str) -> PrinterEntry | None:
            e = PrinterEntry(
                **{
                    **{f: getattr(base, f) for f in _FIELDS},
                    "address": addr,
                    "name": addr,
                    "ipp_uri": base.ipp_uri.replace(base.address, addr) if template else "",
                    "ews_url": base.ews_url.replace(base.address, addr) if template else "",
                }
            )
            async with sem:
                return await probe(e, session, timeout)

        results = await asyncio.gather(*(one(a) for a in address_range(spec)))
    return [r for r in results if r is not None]
