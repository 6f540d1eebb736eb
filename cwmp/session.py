"""CWMP session state machines for both roles, without I/O (h11 style).

A role owns the sockets and the clock; a machine owns the rules. Inputs are received HTTP
bodies with their status and the current time; outputs are bodies to send and immutable
event objects. Breaking a rule raises ``LocalProtocolError`` (this side's bug) or
``RemoteProtocolError`` (the peer's; it carries the fault code and HTTP status to answer
with). Both are ``CwmpError``.

CPE side (``CpeSession``)::

    cpe = CpeSession(namespace=CWMP_1_2, supported_versions=ALL_VERSIONS)
    cpe.queue_request(TransferComplete(...))          # any time before the end
    body = cpe.start(inform, now)                      # POST this
    while not cpe.ended:
        ev = cpe.receive(status, response_body, now, set_cookie=[...])
        if isinstance(ev, (RequestReceived, BadRequestReceived)):
            body = cpe.respond(handler(ev), now)       # POST the response / fault
        elif not cpe.ended:
            body = cpe.next_post(now)                  # a queued request, or b"" (empty POST)

ACS side (``AcsSession``)::

    acs = AcsSession()
    acs.enqueue(GetParameterValues(...), hold_requests=False)
    ev = acs.receive(post_body, now)                   # per CPE POST
    InformReceived        -> reply = acs.respond_inform(now, hold_requests=False)
    CpeRequestReceived    -> reply = acs.respond(TransferCompleteResponse(), now)
    BadCpeRequest         -> reply = acs.respond(ev.fault, now)
    EmptyPostReceived / RpcResponseReceived / RpcFaultReceived -> reply = acs.next_reply(now)
    # reply.status is 200 with an envelope, or 204 with no body when the queue is empty.

Rules implemented (TR-069 §3.7, reference/tr069.md §2.3-2.4, 2.6):

- MaxEnvelopes is 1 both ways; the CPE never pipelines: one request outstanding.
- HoldRequests: while the last ACS *message* carried HoldRequests=true the CPE sends no
  requests (its queue waits) but answers ACS requests and sends empty POSTs. A later ACS
  message without the header, with false, or an empty HTTP response releases the hold;
  held requests are then sent before the session can end.
- The session ends when the ACS answers with an empty HTTP response (204) and the CPE has
  no request left to send. The ACS side, after its 204, still accepts CPE requests (the CPE
  may have been holding one) until the transport closes.
- ACS fault 8005 (Retry request) makes the CPE resend the same request, up to a limit.
- The ACS accepts only an Inform first (else fault 8003 / HTTP 400), and echoes the CPE's
  namespace for the whole session. CWMP 1.4: the CPE sends SupportedCWMPVersions, the ACS
  answers UseCWMPVersion with the highest common version, or fault 8006 if none.
- cwmp:ID: a response echoes its request's ID (TR-069 §3.5 Table 4). The ACS side treats a
  CPE's mismatch as a protocol error. The CPE side, by default, *records* an ACS response
  whose ID does not echo the request's (``CpeSession.id_mismatches``) and goes on: the bench
  tests ACSes, so the ACS's violation is reported, not turned into a failed session and a
  retry storm; ``strict_ids=True`` makes it a ``RemoteProtocolError`` (the session fails and
  the retry table applies).
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from printbench.cwmp import faults, soap
from printbench.cwmp import messages as m
from printbench.cwmp.errors import (
    CwmpDecodeError,
    CwmpError,
    LocalProtocolError,
    RemoteProtocolError,
)
from printbench.cwmp.faults import Role

DEFAULT_TIMEOUT = 30.0  # seconds without traffic before a session is abandoned (GenieACS: 30)
DEFAULT_MAX_8005_RETRIES = 5  # icwmp retries five times


def _version_key(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in version.split("."))
    except ValueError:
        return (-1,)


def highest_common_version(ours: Iterable[str], theirs: Iterable[str]) -> str | None:
    """The highest protocol version both sides support, or None (→ fault 8006)."""
    common = set(ours) & set(theirs)
    return max(common, key=_version_key) if common else None


def implied_version(envelope: m.Envelope) -> str:
    """Protocol version an envelope implies without 1.4 negotiation.

    cwmp-1-2 with a SessionTimeout header signals 1.3 (cwmp-1-3.xsd).
    """
    version = m.NAMESPACE_VERSION.get(envelope.namespace, "1.2")
    if version == "1.2" and envelope.session_timeout is not None:
        return "1.3"
    return version


# --- events -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Event:
    """Base of everything a machine reports."""


@dataclass(frozen=True, slots=True)
class InformAccepted(Event):
    """CPE: the ACS answered the Inform; ``cwmp_version`` is the session's version."""

    response: m.InformResponse
    envelope: m.Envelope
    cwmp_version: str


@dataclass(frozen=True, slots=True)
class ResponseReceived(Event):
    """CPE: the ACS answered one of our requests."""

    request: m.Message
    response: m.Message
    envelope: m.Envelope


@dataclass(frozen=True, slots=True)
class FaultReceived(Event):
    """CPE: the ACS answered one of our requests (or the Inform) with a Fault."""

    request: m.Message
    fault: m.Fault
    envelope: m.Envelope


@dataclass(frozen=True, slots=True)
class RetryRequested(Event):
    """CPE: fault 8005; the same request will be sent again by ``next_post``."""

    request: m.Message
    attempt: int
    fault: m.Fault


@dataclass(frozen=True, slots=True)
class RequestReceived(Event):
    """CPE: an ACS request to answer with ``respond``."""

    request: m.Message
    envelope: m.Envelope


@dataclass(frozen=True, slots=True)
class BadRequestReceived(Event):
    """A request that could not be decoded; answer it with ``respond(event.fault)``."""

    error: CwmpDecodeError
    fault: m.Fault


@dataclass(frozen=True, slots=True)
class EmptyResponseReceived(Event):
    """CPE: the ACS sent an empty HTTP response, but we still have requests to send."""

    pending: int


@dataclass(frozen=True, slots=True)
class SessionEnded(Event):
    """The session is over (CPE: empty ACS response and nothing left; or a fatal fault)."""

    reason: str


@dataclass(frozen=True, slots=True)
class InformReceived(Event):
    """ACS: the session's Inform; answer with ``respond_inform`` (or ``respond(fault)``)."""

    inform: m.Inform
    envelope: m.Envelope
    cwmp_version: str | None  # None: no common version, answer 8006


@dataclass(frozen=True, slots=True)
class CpeRequestReceived(Event):
    """ACS: a CPE request (TransferComplete, GetRPCMethods, ...) to answer with ``respond``."""

    request: m.Message
    envelope: m.Envelope


BadCpeRequest = BadRequestReceived


@dataclass(frozen=True, slots=True)
class EmptyPostReceived(Event):
    """ACS: the CPE sent an empty POST; send RPCs with ``next_reply``."""


@dataclass(frozen=True, slots=True)
class RpcResponseReceived(Event):
    """ACS: the CPE answered a queued RPC."""

    request: m.Message
    response: m.Message
    envelope: m.Envelope


@dataclass(frozen=True, slots=True)
class RpcFaultReceived(Event):
    """ACS: the CPE answered a queued RPC with a Fault."""

    request: m.Message
    fault: m.Fault
    envelope: m.Envelope


@dataclass(frozen=True, slots=True)
class Reply:
    """ACS: one HTTP response: 200 with an envelope, 204 empty, or 4xx/5xx with a fault."""

    status: int
    body: bytes
    content_type: str | None = soap.CONTENT_TYPE

    @property
    def empty(self) -> bool:
        return not self.body


# --- common -----------------------------------------------------------------------------------


def _counter_ids(prefix: str) -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: f"{prefix}{next(counter)}"


class _Base:
    def __init__(
        self,
        *,
        timeout: float,
        id_factory: Callable[[], str] | None,
        id_prefix: str,
        encode_options: dict[str, Any] | None,
        max_size: int,
    ) -> None:
        self.timeout = timeout
        self._new_id = id_factory or _counter_ids(id_prefix)
        self.encode_options = dict(encode_options or {})
        self.max_size = max_size
        self.last_activity: float | None = None
        self.journal: list[tuple[str, m.Envelope | None]] = []
        #: The envelope decoded from the body last fed to ``receive``; None when that body
        #: was empty or undecodable. Still set when ``receive`` raised, so the role can see
        #: what the peer sent (also on ``RemoteProtocolError.envelope``).
        self.last_received: m.Envelope | None = None

    def _touch(self, now: float) -> None:
        self.last_activity = now

    def _encode(self, envelope: m.Envelope) -> bytes:
        self.journal.append(("sent", envelope))
        return soap.encode(envelope, **self.encode_options)

    def _decode(self, body: bytes) -> m.Envelope:
        envelope = soap.decode(body, max_size=self.max_size)
        self.journal.append(("received", envelope))
        self.last_received = envelope
        return envelope

    def _attach(self, error: RemoteProtocolError) -> None:
        if error.envelope is None:
            error.envelope = self.last_received

    def expired(self, now: float) -> bool:
        """True when nothing happened for ``timeout`` seconds."""
        return self.last_activity is not None and now - self.last_activity > self.timeout


def _is_retry(message: m.Message) -> bool:
    return isinstance(message, m.Fault) and message.fault_code == faults.RETRY_REQUEST


def _check_id(sent_id: str | None, envelope: m.Envelope, what: str) -> None:
    if envelope.id is not None and sent_id is not None and envelope.id != sent_id:
        raise RemoteProtocolError(
            f"{what} carries cwmp:ID {envelope.id!r}, but the request had {sent_id!r}"
        )


# --- CPE --------------------------------------------------------------------------------------


class CpeState(Enum):
    IDLE = "idle"  # start() not called yet
    AWAIT_INFORM_RESPONSE = "await-inform-response"
    SEND = "send"  # our turn to POST: next_post()
    AWAIT_RESPONSE = "await-response"  # one of our requests is outstanding
    AWAIT_ACS = "await-acs"  # we sent an empty POST or a response: ACS request or empty next
    RESPOND = "respond"  # an ACS request waits for respond()
    DONE = "done"
    FAILED = "failed"


#: Requests a CPE may send to the ACS inside a session (not Inform, which opens it).
CPE_TO_ACS_REQUESTS = tuple(c for c in m.ACS_METHODS if c is not m.Inform)


class CpeSession(_Base):
    """The CPE side of one CWMP session."""

    def __init__(
        self,
        *,
        namespace: str = m.CWMP_1_2,
        supported_versions: tuple[str, ...] | None = None,
        session_timeout: int | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_8005_retries: int = DEFAULT_MAX_8005_RETRIES,
        id_factory: Callable[[], str] | None = None,
        encode_options: dict[str, Any] | None = None,
        max_size: int = soap.DEFAULT_MAX_SIZE,
        strict_ids: bool = False,
    ) -> None:
        super().__init__(
            timeout=timeout,
            id_factory=id_factory,
            id_prefix="cpe-",
            # A CPE writes values of its own state: one that XML 1.0 cannot carry (§2.2
            # Char) is sent as U+FFFD rather than failing every session (issue 17).
            encode_options={"replace_unencodable": True, **(encode_options or {})},
            max_size=max_size,
        )
        self.namespace = namespace
        self.supported_versions = supported_versions
        self.session_timeout = session_timeout
        self.max_8005_retries = max_8005_retries
        self.state = CpeState.IDLE
        self.hold_requests = False
        self.cwmp_version: str | None = None
        self.acs_namespace: str | None = None
        self._queue: deque[m.Message] = deque()
        self._inform: m.Inform | None = None
        self._outstanding: m.Message | None = None
        self._outstanding_id: str | None = None
        self._attempts = 0
        self._resend_inform = False
        self._acs_request_id: str | None = None
        self._acs_request: m.Message | None = None
        self._cookies: dict[str, str] = {}
        self.strict_ids = strict_ids
        #: ACS responses whose cwmp:ID did not echo the request's (TR-069 §3.5 Table 4),
        #: one message each, when ``strict_ids`` is False.
        self.id_mismatches: list[str] = []

    # -- queries

    @property
    def ended(self) -> bool:
        return self.state in (CpeState.DONE, CpeState.FAILED)

    @property
    def pending_requests(self) -> tuple[m.Message, ...]:
        """Requests not yet answered by the ACS (the head may be in flight)."""
        return tuple(self._queue)

    def cookie_header(self) -> str | None:
        """The ``Cookie`` header value to send, or None when the ACS set no cookie."""
        if not self._cookies:
            return None
        return "; ".join(f"{k}={v}" for k, v in self._cookies.items())

    def store_cookies(self, set_cookie: Iterable[str]) -> None:
        """Remember ``Set-Cookie`` header values (name=value; attributes are dropped)."""
        for header in set_cookie:
            pair = header.split(";", 1)[0].strip()
            name, sep, value = pair.partition("=")
            if sep and name.strip():
                self._cookies[name.strip()] = value.strip()

    # -- inputs from the role

    def queue_request(self, request: m.Message) -> None:
        """Queue a CPE request (TransferComplete, GetRPCMethods, ...) for this session."""
        if not isinstance(request, CPE_TO_ACS_REQUESTS):
            raise LocalProtocolError(
                f"{type(request).__name__} is not a request a CPE sends to an ACS"
            )
        if self.ended:
            raise LocalProtocolError("the session is over; queue it for the next session")
        self._queue.append(request)

    def start(self, inform: m.Inform, now: float) -> bytes:
        """Open the session: the body of the first POST (the Inform)."""
        if self.state is not CpeState.IDLE:
            raise LocalProtocolError(f"start() in state {self.state.value}")
        if not isinstance(inform, m.Inform):
            raise LocalProtocolError("a session starts with an Inform")
        if inform.max_envelopes != 1:
            raise LocalProtocolError("Inform MaxEnvelopes must be 1")
        self._inform = inform
        self._touch(now)
        return self._send_inform()

    def _send_inform(self, *, resend: bool = False) -> bytes:
        assert self._inform is not None
        self._outstanding = self._inform
        if not resend:
            self._outstanding_id = self._new_id()
        self.state = CpeState.AWAIT_INFORM_RESPONSE
        return self._encode(
            m.Envelope(
                self._inform,
                id=self._outstanding_id,
                session_timeout=self.session_timeout,
                supported_cwmp_versions=(
                    self.supported_versions
                    if self.supported_versions and "1.4" in self.supported_versions
                    else None
                ),
                namespace=self.namespace,
            )
        )

    def next_post(self, now: float) -> bytes:
        """The next POST body when it is our turn: a queued request, or b"" (empty POST)."""
        if self.state is not CpeState.SEND:
            raise LocalProtocolError(f"next_post() in state {self.state.value}")
        self._touch(now)
        if self._resend_inform:
            # 8005: the same request, unchanged (same cwmp:ID).
            self._resend_inform = False
            return self._send_inform(resend=True)
        if self._queue and not self.hold_requests:
            request = self._queue[0]
            if not (self._attempts and self._outstanding is request):
                self._outstanding_id = self._new_id()
            self._outstanding = request
            self.state = CpeState.AWAIT_RESPONSE
            return self._encode(
                m.Envelope(request, id=self._outstanding_id, namespace=self.namespace)
            )
        self.state = CpeState.AWAIT_ACS
        return b""

    def respond(self, message: m.Message, now: float) -> bytes:
        """The POST body answering the ACS request just received (response or Fault)."""
        if self.state is not CpeState.RESPOND:
            raise LocalProtocolError(f"respond() in state {self.state.value}")
        request = self._acs_request
        if not isinstance(message, m.Fault):
            expected = None if request is None else request.RESPONSE
            if expected is None or not isinstance(message, expected):
                raise LocalProtocolError(
                    f"{type(message).__name__} does not answer "
                    f"{type(request).__name__ if request else 'an undecodable request'}"
                )
        self._touch(now)
        self.state = CpeState.AWAIT_ACS
        body = self._encode(m.Envelope(message, id=self._acs_request_id, namespace=self.namespace))
        self._acs_request = None
        self._acs_request_id = None
        return body

    def receive(
        self, status: int, body: bytes, now: float, *, set_cookie: Iterable[str] = ()
    ) -> Event:
        """Feed one HTTP response from the ACS; returns what happened."""
        if self.state not in (
            CpeState.AWAIT_INFORM_RESPONSE,
            CpeState.AWAIT_RESPONSE,
            CpeState.AWAIT_ACS,
        ):
            raise LocalProtocolError(f"receive() in state {self.state.value}: nothing was sent")
        self._touch(now)
        self.store_cookies(set_cookie)
        self.last_received = None
        try:
            return self._receive(status, body)
        except RemoteProtocolError as exc:
            self.state = CpeState.FAILED
            self._attach(exc)
            raise

    def fail(self, reason: str) -> SessionEnded:
        """The transport failed (connection lost, timeout): the session is over."""
        self.state = CpeState.FAILED
        return SessionEnded(reason)

    # -- internals

    def _receive(self, status: int, body: bytes) -> Event:
        empty = soap.is_empty(body)
        if empty and status in (200, 204):
            return self._on_empty(status)
        if empty:
            raise RemoteProtocolError(f"ACS answered HTTP {status} without an envelope")
        if status not in (200, 500):
            raise RemoteProtocolError(f"ACS answered HTTP {status}")
        if self.state is CpeState.AWAIT_ACS:
            try:
                envelope = self._decode(body)
            except CwmpDecodeError as exc:
                return self._bad_request(exc)
            return self._on_acs_message(envelope)
        try:
            envelope = self._decode(body)
        except CwmpDecodeError as exc:
            raise RemoteProtocolError(f"undecodable ACS response: {exc}") from exc
        self.acs_namespace = envelope.namespace
        if self.state is CpeState.AWAIT_INFORM_RESPONSE:
            return self._on_inform_response(envelope)
        return self._on_response(envelope)

    def _check_response_id(self, envelope: m.Envelope, what: str) -> None:
        """TR-069 §3.5 Table 4: a response carries its request's cwmp:ID. A CPE that gets a
        different (or no) ID still knows what the response answers (one request is
        outstanding, MaxEnvelopes 1), so by default it notes the ACS's violation and goes on;
        ``strict_ids`` ends the session instead."""
        sent = self._outstanding_id
        if sent is None or envelope.id == sent:
            return
        got = "no cwmp:ID" if envelope.id is None else f"cwmp:ID {envelope.id!r}"
        message = f"{what} carries {got}, but the request had {sent!r}"
        if self.strict_ids:
            raise RemoteProtocolError(message)
        self.id_mismatches.append(message)

    def _on_empty(self, status: int) -> Event:
        if self.state is not CpeState.AWAIT_ACS:
            what = type(self._outstanding).__name__
            raise RemoteProtocolError(f"ACS sent an empty HTTP {status} response to {what}")
        # An empty message carries no HoldRequests header: the hold is released.
        self.hold_requests = False
        if self._queue:
            self.state = CpeState.SEND
            return EmptyResponseReceived(len(self._queue))
        self.state = CpeState.DONE
        return SessionEnded("ACS sent an empty response and the CPE has no more requests")

    def _update_hold(self, envelope: m.Envelope) -> None:
        self.hold_requests = envelope.hold_requests is True

    def _on_inform_response(self, envelope: m.Envelope) -> Event:
        message = envelope.body
        self._check_response_id(envelope, "InformResponse")
        if isinstance(message, m.Fault):
            return self._on_fault(envelope, message, inform=True)
        if not isinstance(message, m.InformResponse):
            raise RemoteProtocolError(
                f"expected InformResponse, got {envelope.method or 'an empty Body'}"
            )
        if message.max_envelopes != 1:
            raise RemoteProtocolError(
                f"InformResponse MaxEnvelopes is {message.max_envelopes}; it must be 1"
            )
        version = implied_version(m.Envelope(None, namespace=self.namespace))
        if envelope.use_cwmp_version is not None:
            chosen = envelope.use_cwmp_version
            if self.supported_versions is None or chosen not in self.supported_versions:
                raise RemoteProtocolError(
                    f"ACS chose CWMP {chosen}, which this CPE does not support"
                )
            version = chosen
        elif self.session_timeout is not None and version == "1.2":
            version = "1.3"
        self.cwmp_version = version
        self._update_hold(envelope)
        self._attempts = 0
        self._outstanding = None
        self.state = CpeState.SEND
        return InformAccepted(message, envelope, version)

    def _on_response(self, envelope: m.Envelope) -> Event:
        request = self._outstanding
        assert request is not None
        message = envelope.body
        self._check_response_id(envelope, f"response to {request.METHOD}")
        if isinstance(message, m.Fault):
            return self._on_fault(envelope, message, inform=False)
        if request.RESPONSE is None or not isinstance(message, request.RESPONSE):
            raise RemoteProtocolError(
                f"expected {request.METHOD}Response, got {envelope.method or 'an empty Body'}"
            )
        self._update_hold(envelope)
        self._queue.popleft()
        self._attempts = 0
        self._outstanding = None
        self.state = CpeState.SEND
        return ResponseReceived(request, message, envelope)

    def _on_fault(self, envelope: m.Envelope, fault: m.Fault, *, inform: bool) -> Event:
        request = self._outstanding
        assert request is not None
        self._update_hold(envelope)
        if fault.fault_code == faults.RETRY_REQUEST and self._attempts < self.max_8005_retries:
            self._attempts += 1
            self.state = CpeState.SEND
            self._resend_inform = inform
            return RetryRequested(request, self._attempts, fault)
        self._attempts = 0
        self._outstanding = None
        if inform:
            self.state = CpeState.FAILED
            return FaultReceived(request, fault, envelope)
        self._queue.popleft()
        self.state = CpeState.SEND
        return FaultReceived(request, fault, envelope)

    def _on_acs_message(self, envelope: m.Envelope) -> Event:
        self.acs_namespace = envelope.namespace
        message = envelope.body
        if message is None or isinstance(message, m.Fault) or not message.IS_REQUEST:
            raise RemoteProtocolError(
                f"expected an ACS request or an empty response, got "
                f"{envelope.method or 'an empty Body'} while no CPE request was outstanding"
            )
        self._update_hold(envelope)
        self._acs_request_id = envelope.id
        self.state = CpeState.RESPOND
        if not isinstance(message, m.CPE_METHODS):
            self._acs_request = None
            error = CwmpDecodeError(
                f"method {message.METHOD} is not a CPE method",
                kind=faults.METHOD_NOT_SUPPORTED,
                cwmp_id=envelope.id,
                namespace=envelope.namespace,
                method=message.METHOD,
            )
            return BadRequestReceived(error, soap.fault_for_error(error, Role.CPE))
        self._acs_request = message
        return RequestReceived(message, envelope)

    def _bad_request(self, error: CwmpDecodeError) -> Event:
        self._acs_request = None
        self._acs_request_id = error.cwmp_id
        self.state = CpeState.RESPOND
        return BadRequestReceived(error, soap.fault_for_error(error, Role.CPE))


# --- ACS --------------------------------------------------------------------------------------


class AcsState(Enum):
    AWAIT_INFORM = "await-inform"
    INFORM_RECEIVED = "inform-received"  # respond_inform()/respond(fault) next
    CPE_TURN = "cpe-turn"  # waiting for a CPE POST: a request or an empty POST
    CPE_REQUEST_RECEIVED = "cpe-request-received"  # respond() next
    NEXT_REPLY = "next-reply"  # next_reply() next (send a queued RPC or 204)
    RPC_SENT = "rpc-sent"  # waiting for the response to our RPC
    EMPTY_SENT = "empty-sent"  # 204 sent; over unless the CPE POSTs held requests
    FAILED = "failed"


@dataclass(slots=True)
class QueuedRpc:
    """An RPC waiting in (or taken from) the ACS queue."""

    request: m.Message
    hold_requests: bool = False
    cwmp_id: str | None = None
    result: m.Message | None = field(default=None)


class AcsSession(_Base):
    """The ACS side of one CWMP session."""

    def __init__(
        self,
        *,
        supported_versions: tuple[str, ...] = m.ALL_VERSIONS,
        timeout: float = DEFAULT_TIMEOUT,
        id_factory: Callable[[], str] | None = None,
        encode_options: dict[str, Any] | None = None,
        max_size: int = soap.DEFAULT_MAX_SIZE,
    ) -> None:
        super().__init__(
            timeout=timeout,
            id_factory=id_factory,
            id_prefix="acs-",
            encode_options=encode_options,
            max_size=max_size,
        )
        self.supported_versions = supported_versions
        self.state = AcsState.AWAIT_INFORM
        self.namespace: str = m.CWMP_1_2
        self.cwmp_version: str | None = None
        self.inform: m.Inform | None = None
        self.cpe_supported_versions: tuple[str, ...] | None = None
        self.last_hold = False
        self.saw_empty_post = False
        self._queue: deque[QueuedRpc] = deque()
        self._sent: QueuedRpc | None = None
        self._cpe_request: m.Message | None = None
        self._cpe_request_id: str | None = None
        self.done: list[QueuedRpc] = []
        #: The CPE request (or Inform) last answered with fault 8005: the CPE is to send it
        #: again. Kept until this side's next answer, so after ``receive`` the role can
        #: compare it with what arrived (``ev.inform``/``ev.request``).
        self.retry_expected: m.Message | None = None

    # -- queries

    @property
    def finished(self) -> bool:
        """True once the ACS sent its empty response (the CPE may still POST held requests)."""
        return self.state is AcsState.EMPTY_SENT

    @property
    def queued(self) -> tuple[QueuedRpc, ...]:
        return tuple(self._queue)

    # -- inputs

    def enqueue(self, request: m.Message, *, hold_requests: bool = False) -> QueuedRpc:
        """Queue an RPC for the CPE; ``hold_requests`` sends it with HoldRequests=true."""
        if not isinstance(request, m.CPE_METHODS):
            raise LocalProtocolError(f"{type(request).__name__} is not a CPE method")
        if self.state is AcsState.FAILED:
            raise LocalProtocolError("the session failed")
        item = QueuedRpc(request, hold_requests)
        self._queue.append(item)
        return item

    def receive(self, body: bytes, now: float) -> Event:
        """Feed one CPE POST body (b"" for an empty POST); returns what happened."""
        if self.state not in (
            AcsState.AWAIT_INFORM,
            AcsState.CPE_TURN,
            AcsState.RPC_SENT,
            AcsState.EMPTY_SENT,
        ):
            raise LocalProtocolError(
                f"receive() in state {self.state.value}: answer the last POST first"
            )
        self._touch(now)
        self.last_received = None
        try:
            return self._receive(body)
        except RemoteProtocolError as exc:
            self.state = AcsState.FAILED
            self._attach(exc)
            raise

    def respond_inform(self, now: float, *, hold_requests: bool = False) -> Reply:
        """Answer the Inform: InformResponse(MaxEnvelopes=1), or fault 8006 if no version fits."""
        if self.state is not AcsState.INFORM_RECEIVED:
            raise LocalProtocolError(f"respond_inform() in state {self.state.value}")
        if self.cwmp_version is None:
            return self.respond(m.Fault.of(faults.VERSION_INCOMPATIBLE), now)
        return self.respond(m.InformResponse(1), now, hold_requests=hold_requests)

    def respond(
        self, message: m.Message, now: float, *, hold_requests: bool | None = None
    ) -> Reply:
        """Answer the Inform or a CPE request with its response or a Fault.

        Fault 8005 (Retry request) keeps the session going: the machine waits for the same
        request again (state ``AWAIT_INFORM`` after an Inform) and ``retry_expected`` names it.
        """
        self._touch(now)
        if self.state in (AcsState.INFORM_RECEIVED, AcsState.CPE_REQUEST_RECEIVED):
            self.retry_expected = None
        if self.state is AcsState.INFORM_RECEIVED:
            use_version = None
            if _is_retry(message):
                # 8005: the CPE resends the Inform (same cwmp:ID); the session goes on.
                self.state = AcsState.AWAIT_INFORM
                self.retry_expected = self.inform
            elif isinstance(message, m.Fault):
                self.state = AcsState.FAILED
            elif isinstance(message, m.InformResponse):
                if message.max_envelopes != 1:
                    raise LocalProtocolError("InformResponse MaxEnvelopes must be 1")
                self.state = AcsState.CPE_TURN
                if self.cpe_supported_versions is not None:
                    use_version = self.cwmp_version
            else:
                raise LocalProtocolError(f"{type(message).__name__} does not answer an Inform")
            return self._reply(message, self._cpe_request_id, hold_requests, use_version)
        if self.state is not AcsState.CPE_REQUEST_RECEIVED:
            raise LocalProtocolError(f"respond() in state {self.state.value}")
        request = self._cpe_request
        if not isinstance(message, m.Fault) and (
            request is None or request.RESPONSE is None or not isinstance(message, request.RESPONSE)
        ):
            raise LocalProtocolError(
                f"{type(message).__name__} does not answer "
                f"{type(request).__name__ if request else 'an undecodable request'}"
            )
        self.state = AcsState.CPE_TURN
        if _is_retry(message):
            # 8005: the CPE sends the same request again in its next POST.
            self.retry_expected = request
        return self._reply(message, self._cpe_request_id, hold_requests, None)

    def next_reply(self, now: float) -> Reply:
        """Send the next queued RPC (HTTP 200), or the empty response (HTTP 204)."""
        if self.state is not AcsState.NEXT_REPLY:
            raise LocalProtocolError(f"next_reply() in state {self.state.value}")
        self._touch(now)
        self.retry_expected = None
        if self._queue:
            item = self._queue.popleft()
            item.cwmp_id = self._new_id()
            self._sent = item
            self.state = AcsState.RPC_SENT
            return self._reply(item.request, item.cwmp_id, item.hold_requests or None, None)
        self.state = AcsState.EMPTY_SENT
        self.last_hold = False
        self.journal.append(("sent", None))
        return Reply(204, b"", None)

    def error_reply(self, error: CwmpError) -> Reply:
        """HTTP 4xx/5xx with the fault an ACS answers ``error`` with."""
        envelope = soap.fault_envelope(error, Role.ACS, namespace=self.namespace)
        return Reply(error.http_status, self._encode(envelope))

    # -- internals

    def _reply(
        self,
        message: m.Message,
        cwmp_id: str | None,
        hold_requests: bool | None,
        use_version: str | None,
    ) -> Reply:
        self.last_hold = hold_requests is True
        envelope = m.Envelope(
            message,
            id=cwmp_id,
            hold_requests=hold_requests,
            use_cwmp_version=use_version,
            namespace=self.namespace,
        )
        return Reply(200, self._encode(envelope))

    def _receive(self, body: bytes) -> Event:
        if soap.is_empty(body):
            return self._on_empty_post()
        try:
            envelope = self._decode(body)
        except CwmpDecodeError as exc:
            if self.state in (AcsState.CPE_TURN, AcsState.EMPTY_SENT) and exc.method:
                # A request we cannot take (unknown method, bad arguments): answer with a fault.
                self._cpe_request = None
                self._cpe_request_id = exc.cwmp_id
                self.state = AcsState.CPE_REQUEST_RECEIVED
                return BadRequestReceived(exc, soap.fault_for_error(exc, Role.ACS))
            raise RemoteProtocolError(str(exc), kind=exc.kind, http_status=400) from exc
        if self.state is AcsState.AWAIT_INFORM:
            return self._on_inform(envelope)
        if self.state is AcsState.RPC_SENT:
            return self._on_rpc_answer(envelope)
        return self._on_cpe_request(envelope)

    def _on_empty_post(self) -> Event:
        if self.state is AcsState.AWAIT_INFORM:
            raise RemoteProtocolError(
                "empty POST before Inform: a session starts with an Inform",
                kind=faults.INVALID_ARGUMENTS,
                http_status=400,
            )
        if self.state is AcsState.RPC_SENT:
            assert self._sent is not None
            raise RemoteProtocolError(
                f"empty POST while the response to {self._sent.request.METHOD} is due"
            )
        self.saw_empty_post = True
        self.state = AcsState.NEXT_REPLY
        return EmptyPostReceived()

    def _on_inform(self, envelope: m.Envelope) -> Event:
        message = envelope.body
        if not isinstance(message, m.Inform):
            raise RemoteProtocolError(
                f"expected Inform to open the session, got {envelope.method or 'an empty Body'}",
                kind=faults.INVALID_ARGUMENTS,
                http_status=400,
            )
        if message.max_envelopes != 1:
            raise RemoteProtocolError(
                f"Inform MaxEnvelopes is {message.max_envelopes}; it must be 1",
                kind=faults.INVALID_ARGUMENTS,
                http_status=400,
            )
        self.namespace = envelope.namespace
        self.inform = message
        self._cpe_request_id = envelope.id
        self.cpe_supported_versions = envelope.supported_cwmp_versions
        if envelope.supported_cwmp_versions is not None:
            self.cwmp_version = highest_common_version(
                self.supported_versions, envelope.supported_cwmp_versions
            )
        else:
            implied = implied_version(envelope)
            self.cwmp_version = implied if implied in self.supported_versions else None
        self.state = AcsState.INFORM_RECEIVED
        return InformReceived(message, envelope, self.cwmp_version)

    def _on_cpe_request(self, envelope: m.Envelope) -> Event:
        message = envelope.body
        if isinstance(message, m.Inform):
            raise RemoteProtocolError(
                "a second Inform in one session (CPE already in session)",
                kind=faults.INVALID_ARGUMENTS,
                http_status=400,
            )
        if message is None or isinstance(message, m.Fault) or not message.IS_REQUEST:
            raise RemoteProtocolError(
                f"expected a CPE request or an empty POST, got {envelope.method or 'an empty Body'}"
            )
        self._cpe_request_id = envelope.id
        self.state = AcsState.CPE_REQUEST_RECEIVED
        if not isinstance(message, CPE_TO_ACS_REQUESTS):
            self._cpe_request = None
            error = CwmpDecodeError(
                f"method {message.METHOD} is not an ACS method",
                kind=faults.METHOD_NOT_SUPPORTED,
                cwmp_id=envelope.id,
                namespace=envelope.namespace,
                method=message.METHOD,
            )
            return BadRequestReceived(error, soap.fault_for_error(error, Role.ACS))
        self._cpe_request = message
        return CpeRequestReceived(message, envelope)

    def _on_rpc_answer(self, envelope: m.Envelope) -> Event:
        item = self._sent
        assert item is not None
        message = envelope.body
        _check_id(item.cwmp_id, envelope, f"answer to {item.request.METHOD}")
        self.state = AcsState.NEXT_REPLY
        self._sent = None
        if isinstance(message, m.Fault):
            item.result = message
            self.done.append(item)
            return RpcFaultReceived(item.request, message, envelope)
        expected = item.request.RESPONSE
        if expected is None or not isinstance(message, expected):
            raise RemoteProtocolError(
                f"expected {item.request.METHOD}Response, got {envelope.method or 'an empty Body'}"
            )
        item.result = message
        self.done.append(item)
        return RpcResponseReceived(item.request, message, envelope)
