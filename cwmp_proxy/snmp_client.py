"""SNMP manager for the proxy: batched GET, GETBULK column walks and SET over pysnmp asyncio.

One ``SnmpEngine`` serves every printer (pysnmp keeps one UDP dispatcher); a ``SnmpClient``
per printer holds the credentials and the transport target. Reads are batched: every scalar
a request needs goes out in GETs of up to ``max_oids`` varbinds, and every table column in
GETBULKs that walk several columns side by side. Values come back as plain Python values
(``int`` for INTEGER/Counter/Gauge/TimeTicks, ``bytes`` for OCTET STRING, dotted ``str`` for
OIDs), which is what ``datamodel/conversions.py`` expects.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pyasn1.type import univ
from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    bulk_cmd,
    get_cmd,
    set_cmd,
    usmAesCfb128Protocol,
    usmDESPrivProtocol,
    usmHMAC192SHA256AuthProtocol,
    usmHMACMD5AuthProtocol,
    usmHMACSHAAuthProtocol,
    usmNoAuthProtocol,
    usmNoPrivProtocol,
)
from pysnmp.proto import rfc1902, rfc1905

from printbench.cwmp_proxy.errors import AuthFailed, NotWritable, Rejected, Unreachable

log = logging.getLogger(__name__)

_AUTH = {
    "MD5": usmHMACMD5AuthProtocol,
    "SHA": usmHMACSHAAuthProtocol,
    "SHA256": usmHMAC192SHA256AuthProtocol,
    "": usmNoAuthProtocol,
}
_PRIV = {"AES": usmAesCfb128Protocol, "DES": usmDESPrivProtocol, "": usmNoPrivProtocol}
# RFC 3416 error-status names, for messages.
# RFC 3416 error-status names (pysnmp's own table), for messages.
_STATUS: dict[int, str] = {int(v): n for n, v in rfc1905.errorStatus.namedValues.items()}
_NOT_WRITABLE = {2, 4, 6, 16, 17, 18}

_engines: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, SnmpEngine] = (
    weakref.WeakKeyDictionary()
)


def shared_engine() -> SnmpEngine:
    """One engine per event loop: pysnmp binds its UDP dispatcher to the loop it starts in."""
    loop = asyncio.get_running_loop()
    engine = _engines.get(loop)
    if engine is None:
        engine = _engines[loop] = SnmpEngine()
    return engine


@dataclass(frozen=True)
class SnmpCredentials:
    """v1/v2c community pair, or a v3 USM user."""

    version: str = "2c"  # 1 | 2c | 3
    community: str = "public"
    write_community: str = "private"
    user: str = ""
    auth_protocol: str = "SHA"
    auth_key: str = ""
    priv_protocol: str = "AES"
    priv_key: str = ""


def _to_python(value: Any) -> Any:
    """pysnmp value → int / bytes / dotted str; None for noSuchObject/Instance/endOfMibView."""
    tag = value.__class__.__name__
    if tag in ("NoSuchObject", "NoSuchInstance", "EndOfMibView", "Null"):
        return None
    if isinstance(value, univ.ObjectIdentifier):
        return ".".join(str(x) for x in value)
    if isinstance(value, univ.OctetString):
        return bytes(value)
    return int(value)


def _to_snmp(value: Any) -> Any:
    if isinstance(value, bool):
        return rfc1902.Integer32(1 if value else 2)
    if isinstance(value, int):
        return rfc1902.Integer32(value)
    if isinstance(value, str):
        return rfc1902.OctetString(value.encode("utf-8"))
    return rfc1902.OctetString(bytes(value))


def _oid_tuple(oid: str) -> tuple[int, ...]:
    return tuple(int(x) for x in oid.split("."))


class SnmpClient:
    """One printer's SNMP agent: ``get``, ``walk_columns``, ``set``."""

    def __init__(
        self,
        host: str,
        port: int = 161,
        credentials: SnmpCredentials | None = None,
        *,
        timeout: float = 1.0,
        retries: int = 1,
        max_oids: int = 24,
        max_repetitions: int = 16,
        engine: SnmpEngine | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.credentials = credentials or SnmpCredentials()
        self.timeout = timeout
        self.retries = retries
        self.max_oids = max_oids
        self.max_repetitions = max_repetitions
        self._engine = engine
        self._target: UdpTransportTarget | None = None

    @property
    def engine(self) -> SnmpEngine:
        return self._engine or shared_engine()

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port} SNMP"

    def _auth(self, write: bool) -> Any:
        c = self.credentials
        if c.version == "3":
            return UsmUserData(
                c.user,
                authKey=c.auth_key or None,
                privKey=c.priv_key or None,
                authProtocol=_AUTH.get(c.auth_protocol.upper(), usmHMACSHAAuthProtocol)
                if c.auth_key
                else usmNoAuthProtocol,
                privProtocol=_PRIV.get(c.priv_protocol.upper(), usmAesCfb128Protocol)
                if c.priv_key
                else usmNoPrivProtocol,
            )
        community = c.write_community if write else c.community
        return CommunityData(community, mpModel=0 if c.version == "1" else 1)

    async def _transport(self) -> UdpTransportTarget:
        if self._target is None:
            self._target = await UdpTransportTarget.create(
                (self.host, self.port), timeout=self.timeout, retries=self.retries
            )
        return self._target

    def _check(self, indication: Any, status: Any, index: Any, oids: Sequence[str]) -> None:
        if indication:
            text = str(indication)
            tries = self.retries + 1
            if "unknownUserName" in text or "wrongDigest" in text or "authentication" in text:
                raise AuthFailed(f"{self.where}: SNMPv3 authentication refused ({text})")
            raise Unreachable(
                f"{self.where}: no answer after {tries} tr{'y' if tries == 1 else 'ies'} of "
                f"{self.timeout:g} s ({text}; printer off, or wrong community)"
            )
        code = int(status)
        if code:
            i = int(index)
            oid = oids[i - 1] if 0 < i <= len(oids) else ""
            name = _STATUS.get(code, str(code))
            cls = NotWritable if code in _NOT_WRITABLE else Rejected
            raise cls(f"{self.where}: {name} for {oid or 'the request'}", names=(oid,))

    async def get(self, oids: Iterable[str]) -> dict[str, Any]:
        """GET every OID (batched); missing instances are left out of the answer."""
        wanted = list(dict.fromkeys(oids))
        out: dict[str, Any] = {}
        target = await self._transport()
        for start in range(0, len(wanted), self.max_oids):
            chunk = wanted[start : start + self.max_oids]
            ind, status, index, vbs = await get_cmd(
                self.engine,
                self._auth(False),
                target,
                ContextData(),
                *(ObjectType(ObjectIdentity(_oid_tuple(o))) for o in chunk),
                lookupMib=False,
            )
            if not ind and int(status) == 2 and self.credentials.version == "1":
                # SNMPv1 noSuchName: one missing OID spoils the PDU; fall back to one by one.
                for o in chunk:
                    out.update(await self._get_one(o))
                continue
            self._check(ind, status, index, chunk)
            for name, value in vbs:
                v = _to_python(value)
                if v is not None:
                    out[str(name)] = v
        return out

    async def _get_one(self, oid: str) -> dict[str, Any]:
        target = await self._transport()
        ind, status, index, vbs = await get_cmd(
            self.engine,
            self._auth(False),
            target,
            ContextData(),
            ObjectType(ObjectIdentity(_oid_tuple(oid))),
            lookupMib=False,
        )
        if not ind and int(status) == 2:
            return {}
        self._check(ind, status, index, [oid])
        return {str(n): _to_python(v) for n, v in vbs if _to_python(v) is not None}

    async def walk_columns(self, columns: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Walk table columns side by side with GETBULK; ``{column: {suffix: value}}``.

        Columns are walked in groups of ``max_oids``; each GETBULK carries the last OID seen
        per unfinished column, so a table of n rows costs about n / max_repetitions requests.
        """
        cols = list(dict.fromkeys(columns))
        result: dict[str, dict[str, Any]] = {c: {} for c in cols}
        if self.credentials.version == "1":
            return await self._walk_v1(cols, result)
        target = await self._transport()
        for start in range(0, len(cols), self.max_oids):
            group = cols[start : start + self.max_oids]
            cursor = {c: c for c in group}
            while cursor:
                names = list(cursor)
                ind, status, index, vbs = await bulk_cmd(
                    self.engine,
                    self._auth(False),
                    target,
                    ContextData(),
                    0,
                    self.max_repetitions,
                    *(ObjectType(ObjectIdentity(_oid_tuple(cursor[c]))) for c in names),
                    lookupMib=False,
                )
                self._check(ind, status, index, [cursor[c] for c in names])
                if not vbs:
                    break
                finished: set[str] = set()
                for k, (name, value) in enumerate(vbs):
                    col = names[k % len(names)]
                    if col in finished:
                        continue
                    oid = str(name)
                    v = _to_python(value)
                    if v is None or not oid.startswith(col + "."):
                        finished.add(col)
                        continue
                    result[col][oid[len(col) + 1 :]] = v
                    cursor[col] = oid
                for col in names:
                    if col in finished:
                        cursor.pop(col, None)
                # A short answer (agent trimmed the repetitions) still advanced every cursor.
        return result

    async def _walk_v1(
        self, cols: list[str], result: dict[str, dict[str, Any]]
    ) -> dict[str, dict[str, Any]]:
        from pysnmp.hlapi.v3arch.asyncio import next_cmd

        target = await self._transport()
        for col in cols:
            cursor = col
            while True:
                ind, status, index, vbs = await next_cmd(
                    self.engine,
                    self._auth(False),
                    target,
                    ContextData(),
                    ObjectType(ObjectIdentity(_oid_tuple(cursor))),
                    lookupMib=False,
                )
                if not ind and int(status) == 2:
                    break
                self._check(ind, status, index, [cursor])
                if not vbs:
                    break
                name, value = vbs[0]
                oid = str(name)
                v = _to_python(value)
                if v is None or not oid.startswith(col + "."):
                    break
                result[col][oid[len(col) + 1 :]] = v
                cursor = oid
        return result

    async def set(self, values: Sequence[tuple[str, Any]]) -> None:
        """One SET PDU with every varbind: the agent applies all or none (RFC 3416 4.2.5)."""
        if not values:
            return
        target = await self._transport()
        oids = [o for o, _ in values]
        ind, status, index, vbs = await set_cmd(
            self.engine,
            self._auth(True),
            target,
            ContextData(),
            *(ObjectType(ObjectIdentity(_oid_tuple(o)), _to_snmp(v)) for o, v in values),
            lookupMib=False,
        )
        self._check(ind, status, index, oids)
        # RFC 3416 §4.2.5: a SET is applied to every varbind or answered with an error-status.
        # Some agents (snmpsim 1.2.2 on a plain recorded row) answer noError with noSuchInstance
        # in the varbind and change nothing: that is "not writable here", not success.
        for (_name, value), oid in zip(vbs, oids, strict=False):
            if value is not None and _to_python(value) is None:
                raise NotWritable(
                    f"{self.where}: the agent answered the SET of {oid} with "
                    f"{type(value).__name__} and no error-status (nothing written)",
                    names=(oid,),
                )

    def close(self) -> None:
        self._target = None
