"""The CPE's STUN binding maintenance (TR-069 Annex G) as a pure state machine.

The adapter (``cwmp_cpe.stun_agent``) owns the socket and the clock; this object decides what
to send and when, and what a response means:

* a Binding Request goes out from the UDP Connection Request port at once, then every
  keep-alive period. TR-181 ``STUNMaximumKeepAlivePeriod``: "the maximum period ... that STUN
  Binding Requests MUST be sent by the CPE for the purpose of maintaining the binding";
  ``STUNMinimumKeepAlivePeriod``: "the minimum period ... that STUN Binding Requests can be
  sent", a limit that does not apply to requests carrying BINDING-CHANGE nor to RFC 3489
  retransmissions. So the period is the maximum when one is set (fewest packets the rule
  allows, never less than the minimum), else the minimum; with neither a bench default of
  30 s (no text found for a default);
* every request carries CONNECTION-REQUEST-BINDING (it is sent from the UDP Connection
  Request port, Annex G); one sent because the binding changed carries BINDING-CHANGE and is
  sent at once, not after the minimum period (the TR-181 text above exempts it);
* an unanswered request is retransmitted as RFC 3489 §9.3 says (100 ms doubling to 1.6 s,
  nine sends, given up after 9.5 s), then the next attempt waits the keep-alive period,
  capped at 30 s so a lost server is looked for again soon (bench policy);
* a 401 error (RFC 3489 §11.2.9 "Unauthorized") makes the next request carry USERNAME and
  MESSAGE-INTEGRITY keyed with ``STUNPassword`` — only when ``STUNUsername`` is set (TR-181:
  "If is empty, the CPE MUST NOT send STUN Binding Requests with message integrity");
* NAT detection: TR-181 ``NATDetected`` "indicates that the received MAPPED-ADDRESS in the
  most recent Binding Response differs from the CPE's source address and port".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from printbench.cwmp import stun as S

#: RFC 3489 §9.3: send offsets of one transaction (seconds after the first send) ...
RETRANSMIT_OFFSETS = (0.0, 0.1, 0.3, 0.7, 1.5, 3.1, 4.7, 6.3, 7.9)
#: ... and when it is given up.
GIVE_UP_AFTER = 9.5
DEFAULT_PERIOD = 30.0  # neither STUN keep-alive period set (bench default)
RETRY_CAP = 30.0


def keepalive_period(minimum: int, maximum: int) -> float:
    """The interval between keep-alive Binding Requests (see the module docstring)."""
    lo = max(0, minimum)
    if maximum is not None and maximum > 0:
        return float(max(maximum, lo, 1))
    return float(lo) if lo > 0 else DEFAULT_PERIOD


@dataclass(frozen=True)
class BindingConfig:
    server: S.Address
    local: S.Address
    min_period: int = 0
    max_period: int = -1
    username: str = ""
    password: str = ""
    #: Deliberate defects for negative tests (quirks of cwmp_cpe.config): leave out
    #: CONNECTION-REQUEST-BINDING; stretch the keep-alive period by this factor.
    connection_request_binding: bool = True
    period_factor: float = 1.0


@dataclass(frozen=True)
class BindingUpdate:
    """What one Binding Response told: the mapped address, NAT or not, changed or not."""

    mapped: S.Address
    nat_detected: bool
    changed: bool  # differs from the previous mapping (not on the first response)


@dataclass
class _Tx:
    tid: bytes
    data: bytes
    started: float
    sent: int
    binding_change: bool


class BindingMaintainer:
    """One CPE's binding against one STUN server. ``poll(now)`` → datagrams to send;
    ``on_datagram(data, now)`` → a :class:`BindingUpdate` when a response was accepted;
    ``next_wakeup()`` → when to poll again."""

    def __init__(
        self,
        config: BindingConfig,
        now: float,
        *,
        new_tid: Callable[[], bytes] = S.new_transaction_id,
    ) -> None:
        self.config = config
        self._new_tid = new_tid
        self.mapped: S.Address | None = None
        self.nat_detected = False
        self.change_pending = False
        self.use_integrity = False
        self.requests_sent = 0  # datagrams, retransmissions included
        self.responses = 0
        self.failures = 0  # transactions given up
        self.last_error: str = ""
        self._tx: _Tx | None = None
        self._next_due = now

    @property
    def period(self) -> float:
        c = self.config
        return keepalive_period(c.min_period, c.max_period) * c.period_factor

    def next_wakeup(self) -> float:
        if self._tx is not None:
            i = self._tx.sent
            if i < len(RETRANSMIT_OFFSETS):
                return self._tx.started + RETRANSMIT_OFFSETS[i]
            return self._tx.started + GIVE_UP_AFTER
        return self._next_due

    def poll(self, now: float) -> list[bytes]:
        tx = self._tx
        if tx is not None:
            if now >= tx.started + GIVE_UP_AFTER:
                self._tx = None
                self.failures += 1
                self.last_error = "no Binding Response (RFC 3489 §9.3 retransmissions used up)"
                self._next_due = now + min(self.period, RETRY_CAP)
                return []
            if (
                tx.sent < len(RETRANSMIT_OFFSETS)
                and now >= tx.started + RETRANSMIT_OFFSETS[tx.sent]
            ):
                tx.sent += 1
                self.requests_sent += 1
                return [tx.data]
            return []
        if now < self._next_due:
            return []
        return [self._start(now)]

    def _start(self, now: float) -> bytes:
        c = self.config
        with_mi = self.use_integrity and bool(c.username)
        msg = S.binding_request(
            transaction_id=self._new_tid(),
            connection_request_binding=c.connection_request_binding,
            binding_change=self.change_pending,
            username=c.username if with_mi else None,
        )
        data = S.encode(msg, integrity_key=c.password.encode() if with_mi else None)
        self._tx = _Tx(msg.transaction_id, data, now, 1, self.change_pending)
        self.requests_sent += 1
        return data

    def on_datagram(self, data: bytes, now: float) -> BindingUpdate | None:
        """A datagram from the server; None when it is not the answer awaited (ignored)."""
        tx = self._tx
        try:
            msg = S.decode(data)
        except S.StunError as exc:
            self.last_error = f"undecodable STUN message: {exc}"
            return None
        if tx is None or msg.transaction_id != tx.tid:
            return None  # a late retransmission's answer, or someone else's
        self._tx = None
        if msg.type == S.BINDING_ERROR_RESPONSE:
            try:
                code = msg.error_code()
            except S.StunError:
                code = None
            self.last_error = (
                f"Binding Error Response {code[0] if code else '?'} {code[1] if code else ''}"
            )
            if code and code[0] == 401 and self.config.username and not self.use_integrity:
                self.use_integrity = True
                self._next_due = now  # ask again at once, now with MESSAGE-INTEGRITY
            else:
                self.failures += 1
                self._next_due = now + min(self.period, RETRY_CAP)
            return None
        if msg.type != S.BINDING_RESPONSE:
            return None
        try:
            mapped = msg.mapped_address()
        except S.StunError as exc:
            mapped = None
            self.last_error = str(exc)
        if mapped is None:
            self.failures += 1
            self.last_error = self.last_error or "Binding Response without a mapped address"
            self._next_due = now + min(self.period, RETRY_CAP)
            return None
        self.responses += 1
        self.last_error = ""
        previous = self.mapped
        changed = previous is not None and previous != mapped
        if tx.binding_change and not changed:
            self.change_pending = False
        self.mapped = mapped
        self.nat_detected = mapped != self.config.local
        if changed:
            # Tell the STUN server at once with BINDING-CHANGE (exempt from the minimum period).
            self.change_pending = True
            self._next_due = now
        else:
            self._next_due = now + self.period
        return BindingUpdate(mapped, self.nat_detected, changed)
