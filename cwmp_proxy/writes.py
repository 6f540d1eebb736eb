"""SetParameterValues through the printer's own protocols, read back, rolled back on failure.

The tree has already checked every name, type and facet and staged the accepted writes
(``model.ProxyBinder`` setters); this module carries them out:

1. each staged parameter gets a *write source*: the first of its mapping sources the printer
   lets us write (SNMP: the MIB says read-write and the agent has not answered notWritable
   before; IPP: listed in ``printer-settable-attributes-supported``; EWS: on a configuration
   page);
2. writes go out grouped, one atomic unit per protocol where the protocol has one: a single
   SNMP SET PDU (RFC 3416 applies all varbinds or none), a single Set-Printer-Attributes
   (RFC 3380, all or none), one EWS POST per configuration page (the EWS applies a page all
   or none); an SNMP notWritable moves that parameter to its next source and retries;
3. after the last group the written parameters are read back through their read sources and
   compared with what was asked;
4. when a group fails (or the read-back differs), the groups already written are written back
   with their old values, in reverse order, and the RPC faults: 9003 with a per-parameter
   9007/9008 when the printer refused a value, 9002 when it stopped answering.

Atomicity is therefore exact within one protocol and best effort across protocols: a printer
that dies between the write and the rollback keeps the new value (logged).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from printbench.cwmp import params as P
from printbench.cwmp_proxy.binding import PrinterView, _fill, render
from printbench.cwmp_proxy.errors import NotWritable, ProxyError, Rejected, Unreachable
from printbench.datamodel import conversions, oids
from printbench.datamodel.mapping import MappingRow, Source
from printbench.ipp.codec import Resolution

log = logging.getLogger(__name__)


@dataclass
class Staged:
    row: MappingRow
    instances: tuple[int, ...]
    new: Any  # DM Python value
    canonical: str
    name: str  # concrete parameter name
    old: Any = None
    source: Source | None = None


class Writer:
    """Per-printer write capabilities and the clients to write with."""

    def __init__(self, view: PrinterView, conn: Any) -> None:
        self.view = view
        self.conn = conn
        self.snmp_readonly: set[str] = set()  # column OIDs the agent answered notWritable for
        self.last: dict[str, Source | None] = {}  # name -> source of the last successful write

    def native_for_test(self, src: Source, value: Any) -> Any:
        """What ``value`` looks like on the wire of ``src`` (tests compare native reads)."""
        v = conversions.get(src.conversion).from_dm(value)
        return list(v) if isinstance(v, tuple) else v

    async def can_write(self, src: Source) -> bool:
        c = self.conn
        if src.kind == "snmp":
            return (
                c.snmp is not None
                and oids.OIDS.get(src.object, ("", "ro"))[1] == "rw"
                and src.oid not in self.snmp_readonly
                and not src.with_objects
            )
        if src.kind == "ipp":
            return c.ipp is not None and src.attribute in await c.ipp_settable()
        if c.ews is None:
            return False
        try:
            return "{i}" not in src.field and await c.ews.writable(src.field)
        except ProxyError:
            return False

    async def choose(self, item: Staged) -> Source | None:
        for src in item.row.sources:
            if await self.can_write(src):
                return src
        return None

    def native(self, item: Staged, value: Any, current: dict[str, Any]) -> Any:
        assert item.source is not None
        src = item.source
        v = conversions.get(src.conversion).from_dm(value)
        if src.kind == "ipp" and src.key:
            base = current.get(src.attribute)
            if not isinstance(base, Resolution):
                raise Rejected(f"cannot write member {src.key} of {src.attribute}", 9007)
            parts = {"cross-feed": base.x, "feed": base.y, "units": base.units}
            parts[src.key] = int(v)
            current[src.attribute] = Resolution(parts["cross-feed"], parts["feed"], parts["units"])
            return current[src.attribute]
        if src.kind == "ews" and isinstance(v, tuple):
            return list(v)
        return v


async def execute(
    writer: Writer,
    staged: list[Staged],
    refetch: Callable[[list[MappingRow]], Awaitable[None]],
) -> None:
    """Write ``staged`` (old values already filled in) or raise ``ParameterFault``."""
    view = writer.view
    for item in staged:
        item.source = await writer.choose(item)
        if item.source is None:
            tried = ", ".join(s.describe() for s in item.row.sources)
            raise P.ParameterFault(
                P.FAULT_INVALID_ARGUMENTS,
                f"{item.name} cannot be written on this printer; nothing was changed",
                [
                    P.SetParameterValuesFault(
                        item.name,
                        P.FAULT_NOT_WRITABLE,
                        f"{item.name}: {view.host} lets none of its sources be written ({tried})",
                    )
                ],
            )
    for _attempt in range(4):
        done: list[tuple[str, list[Staged]]] = []
        try:
            for kind in ("snmp", "ipp", "ews"):
                group = [s for s in staged if s.source is not None and s.source.kind == kind]
                if not group:
                    continue
                await _write_group(writer, kind, group, new=True)
                done.append((kind, group))
            await refetch([s.row for s in staged])
            _check_readback(view, staged)
            writer.last = {s.name: s.source for s in staged}
            return
        except NotWritable as exc:
            await _rollback(writer, done)
            moved = False
            for s in staged:
                if s.source is not None and s.source.kind == "snmp" and _hit(s, exc):
                    writer.snmp_readonly.add(s.source.oid)
                    s.source = await writer.choose(s)
                    moved = True
                    if s.source is None:
                        raise _spv_fault(s, P.FAULT_NOT_WRITABLE, exc.message) from None
            if not moved:
                bad = [s for s in staged if _hit(s, exc)] or staged
                raise _spv_fault(bad[0], P.FAULT_NOT_WRITABLE, exc.message) from None
        except Rejected as exc:
            await _rollback(writer, done)
            bad = [s for s in staged if _hit(s, exc)] or [
                s
                for s in staged
                if s.source is not None and exc.message.startswith(_where(writer, s))
            ]
            target = bad[0] if bad else staged[0]
            if exc.code in (9002, 9001):
                raise P.ParameterFault(exc.code, f"{exc.message}; nothing was changed") from None
            raise _spv_fault(target, exc.code, exc.message) from None
        except Unreachable as exc:
            await _rollback(writer, done)
            raise P.ParameterFault(
                P.FAULT_INTERNAL_ERROR, f"{exc.message}; the writes made were undone"
            ) from None
        except _ReadBackMismatch as exc:
            await _rollback(writer, done)
            raise _spv_fault(exc.item, P.FAULT_INVALID_PARAMETER_VALUE, str(exc)) from None
    raise P.ParameterFault(P.FAULT_INTERNAL_ERROR, "the printer kept refusing writes")


def _where(writer: Writer, s: Staged) -> str:
    c = writer.conn
    assert s.source is not None
    client = {"snmp": c.snmp, "ipp": c.ipp, "ews": c.ews}[s.source.kind]
    return client.where if client is not None else ""


def _hit(s: Staged, exc: Rejected) -> bool:
    if s.source is None:
        return False
    src = s.source
    for n in exc.names:
        if src.kind == "snmp" and n.startswith(src.oid + "."):
            return True
        if src.kind == "ipp" and n == src.attribute:
            return True
        if src.kind == "ews" and n == src.field:
            return True
    return False


def _spv_fault(s: Staged, code: int, message: str) -> P.ParameterFault:
    return P.ParameterFault(
        P.FAULT_INVALID_ARGUMENTS,
        f"the printer refused {s.name}; nothing was changed",
        [P.SetParameterValuesFault(s.name, code, f"{s.name}: {message}")],
    )


async def _write_group(writer: Writer, kind: str, group: list[Staged], *, new: bool) -> None:
    c = writer.conn
    view = writer.view
    if kind == "snmp":
        varbinds = []
        for s in group:
            assert s.source is not None
            inst = _fill(s.source.instance.replace("{dev}", str(view.dev)), s.instances[1:])
            varbinds.append(
                (f"{s.source.oid}.{inst}", writer.native(s, s.new if new else s.old, {}))
            )
        await c.snmp.set(varbinds)
    elif kind == "ipp":
        current: dict[str, Any] = {}
        keyed = {s.source.attribute for s in group if s.source is not None and s.source.key}
        if keyed:
            current = await c.ipp.get_attributes(keyed)
        values: dict[str, Any] = {}
        for s in group:
            assert s.source is not None
            values[s.source.attribute] = writer.native(s, s.new if new else s.old, current)
        await c.ipp.set_attributes(values)
    else:
        values = {}
        for s in group:
            assert s.source is not None
            values[s.source.field] = writer.native(s, s.new if new else s.old, {})
        await c.ews.write(values)


async def _rollback(writer: Writer, done: list[tuple[str, list[Staged]]]) -> None:
    for kind, group in reversed(done):
        try:
            await _write_group(writer, kind, group, new=False)
        except ProxyError as exc:
            log.error(
                "%s: rollback of %s failed (%s); the printer keeps the new values",
                writer.view.host,
                ", ".join(s.name for s in group),
                exc.message,
            )


class _ReadBackMismatch(Exception):
    def __init__(self, item: Staged, got: str) -> None:
        super().__init__(
            f"the printer reads back {got!r} after {item.canonical!r} was written to {item.name}"
        )
        self.item = item


def _check_readback(view: PrinterView, staged: list[Staged]) -> None:
    view.snapshot.overrides.clear()
    for s in staged:
        try:
            got = view.read(s.row, s.instances)
        except P.ProviderError as exc:
            raise Unreachable(f"{view.host}: read-back of {s.name} failed: {exc.message}") from None
        if got != s.new and render_like(got) != render_like(s.new):
            raise _ReadBackMismatch(s, render_like(got))


def render_like(v: Any) -> str:
    if isinstance(v, list | tuple):
        return ",".join(render_like(x) for x in v)
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


__all__ = ["Staged", "Writer", "execute", "render"]
