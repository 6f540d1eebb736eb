"""Command responder logic (RFC 3416 §4.2), pure: a request PDU in, a response PDU out.

Shared by the v1/v2c fast path (:func:`handle_datagram`, bytes in → bytes out, with the BER
codec of :mod:`emulator.snmp.ber`) and the SNMPv3 path through pysnmp (:func:`respond`, on
decoded variable bindings). Both therefore give the same answers, error indexes included.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from printbench.emulator.snmp.mib import (
    GEN_ERR,
    NO_SUCH_NAME,
    TOO_BIG,
    V2_TO_V1_ERROR,
    MibDevice,
)
from printbench.snmp import ber
from printbench.snmp.ber import END_OF_MIB_VIEW, NO_SUCH_INSTANCE, NO_SUCH_OBJECT, Value

OID = tuple[int, ...]

#: Largest response datagram we send (net-snmp's default agent limit); GETBULK responses are
#: cut to fit, other PDUs answer tooBig.
MAX_RESPONSE_SIZE = 1472

#: Upper bound on variable bindings in one GETBULK response (as pysnmp's max_varbinds).
MAX_BULK_VARBINDS = 512


@dataclass
class Counters:
    """What the agent saw: RFC 3418 snmpIn* style counters, per agent."""

    received: int = 0
    answered: int = 0
    parse_errors: int = 0  # snmpInASNParseErrs
    bad_versions: int = 0  # snmpInBadVersions
    bad_community: int = 0  # snmpInBadCommunityNames
    unsupported_pdus: int = 0  # responses/traps sent to the agent: dropped
    internal_errors: int = 0  # answered genErr after an unexpected exception
    v3: int = 0
    powered_off: int = 0
    unknown_address: int = 0  # wildcard socket: no device owns the destination address
    send_dropped: int = 0  # wildcard socket: sendmsg failed (send buffer full, no route)
    by_error: dict[str, int] = field(default_factory=dict)

    @property
    def dropped(self) -> int:
        return (self.parse_errors + self.bad_versions + self.bad_community
                + self.unsupported_pdus + self.unknown_address)  # fmt: skip


@dataclass
class Response:
    error_status: int
    error_index: int
    varbinds: list[tuple[OID, Value]]


def _get(dev: MibDevice, oid: OID, v1: bool) -> Value | None:
    value = dev.get(oid)
    if value is not None:
        return value
    if v1:
        return None
    return (NO_SUCH_INSTANCE, None) if dev.is_object(oid) else (NO_SUCH_OBJECT, None)


def respond(
    dev: MibDevice,
    pdu_type: int,
    varbinds: list[tuple[OID, Value]],
    *,
    v1: bool,
    may_write: bool,
    non_repeaters: int = 0,
    max_repetitions: int = 0,
    size_budget: int | None = None,
) -> Response:
    """The response to one request PDU. ``size_budget`` (bytes for the encoded varbinds)
    trims GETBULK and makes other PDUs answer tooBig."""
    if pdu_type == ber.GET:
        out = []
        for n, (oid, _v) in enumerate(varbinds, 1):
            value = _get(dev, oid, v1)
            if value is None:
                return Response(NO_SUCH_NAME, n, varbinds)
            out.append((oid, value))
        return Response(0, 0, out)
    if pdu_type == ber.GETNEXT:
        out = []
        for n, (oid, _v) in enumerate(varbinds, 1):
            nxt = dev.next(oid)
            if nxt is None:
                if v1:
                    return Response(NO_SUCH_NAME, n, varbinds)
                out.append((oid, (END_OF_MIB_VIEW, None)))
            else:
                out.append(nxt)
        return Response(0, 0, out)
    if pdu_type == ber.GETBULK:
        return _bulk(dev, varbinds, non_repeaters, max_repetitions, size_budget)
    if pdu_type == ber.SET:
        status, index = dev.set(varbinds, may_write=may_write)
        if status:
            if v1:
                status = V2_TO_V1_ERROR[status]
            return Response(status, index, varbinds)
        return Response(0, 0, [(oid, dev.get(oid) or value) for oid, value in varbinds])
    return Response(GEN_ERR, 0, varbinds)


def _bulk(
    dev: MibDevice,
    varbinds: list[tuple[OID, Value]],
    non_repeaters: int,
    max_repetitions: int,
    size_budget: int | None,
) -> Response:
    """RFC 3416 §4.2.3, stopping after the first repetition that is all endOfMibView and
    when the next binding would not fit the response (both allowed by the RFC)."""
    n = min(max(non_repeaters, 0), len(varbinds))
    m = max(max_repetitions, 0)
    out: list[tuple[OID, Value]] = []
    used = 0
    budget = size_budget if size_budget is not None else 1 << 30

    def add(oid: OID, value: Value) -> bool:
        nonlocal used
        size = len(ber.encode_varbind(oid, value))
        if used + size > budget or len(out) >= MAX_BULK_VARBINDS:
            return False
        used += size
        out.append((oid, value))
        return True

    for oid, _v in varbinds[:n]:
        nxt = dev.next(oid)
        if not add(*(nxt or (oid, (END_OF_MIB_VIEW, None)))):
            return Response(TOO_BIG, 0, []) if not out else Response(0, 0, out)
    row = [oid for oid, _v in varbinds[n:]]
    for _rep in range(m):
        if not row:
            break
        all_end = True
        new_row = []
        for oid in row:
            nxt = dev.next(oid)
            if nxt is None:
                nxt = (oid, (END_OF_MIB_VIEW, None))
            else:
                all_end = False
            if not add(*nxt):
                return Response(0, 0, out)
            new_row.append(nxt[0])
        row = new_row
        if all_end:
            break
    return Response(0, 0, out)


# -- the v1/v2c fast path ---------------------------------------------------------------------


def _encoded(dev: MibDevice, oid: OID, value: Value) -> bytes:
    """A varbind's encoding, cached in the device's table for static values."""
    t = dev.table()
    i = t.position.get(oid)
    if i is None or callable(t.values[i]) or t.values[i] != value:
        return ber.encode_varbind(oid, value)
    enc = t.encoded[i]
    if enc is None:
        enc = t.encoded[i] = ber.encode_varbind(oid, value)
    return enc


def handle_datagram(
    dev: MibDevice,
    data: bytes,
    *,
    read_community: bytes,
    write_community: bytes,
    counters: Counters,
    v1v2c_enabled: bool = True,
) -> bytes | None:
    """Answer one SNMPv1/v2c datagram, or None to drop it (counted in ``counters``)."""
    try:
        msg = ber.decode_message(data)
    except ber.BerError:
        counters.parse_errors += 1
        return None
    if not v1v2c_enabled:
        counters.bad_versions += 1
        return None
    if msg.pdu_type not in ber.REQUEST_PDUS:
        counters.unsupported_pdus += 1
        return None
    if msg.community == write_community:
        may_write = True
    elif msg.community == read_community:
        may_write = False
    else:
        counters.bad_community += 1
        return None
    v1 = msg.version == 0
    overhead = ber.message_overhead(msg.community, msg.request_id)
    budget = MAX_RESPONSE_SIZE - overhead
    try:
        rsp = respond(
            dev,
            msg.pdu_type,
            msg.varbinds,
            v1=v1,
            may_write=may_write,
            non_repeaters=msg.error_status,
            max_repetitions=msg.error_index,
            size_budget=budget,
        )
    except Exception:  # a bug must cost one genErr, never the agent
        counters.internal_errors += 1
        rsp = Response(GEN_ERR, 0, msg.varbinds)
    if rsp.error_status:
        name = ber_error_name(rsp.error_status)
        counters.by_error[name] = counters.by_error.get(name, 0) + 1
    encoded = b"".join(_encoded(dev, o, v) for o, v in rsp.varbinds)
    if len(encoded) > budget:
        rsp, encoded = Response(TOO_BIG, 0, []), b""
    counters.answered += 1
    return ber.encode_message(
        msg.version,
        msg.community,
        ber.RESPONSE,
        msg.request_id,
        rsp.error_status,
        rsp.error_index,
        encoded,
    )


def ber_error_name(status: int) -> str:
    from printbench.emulator.snmp.mib import ERROR_NAMES

    return ERROR_NAMES.get(status, str(status))
