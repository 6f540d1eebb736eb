"""One CWMP session of a CPE over HTTP: Inform, CPE requests, ACS requests, the end.

The protocol machine is ``cwmp.session.CpeSession`` (pure); this module only moves its
bodies over an :class:`~cwmp_cpe.http.AcsConnection` and reports the outcome to the
:class:`~cwmp_cpe.runtime.Cpe` (``_on_inform_accepted``, the outbound requests' callbacks,
``_session_done``). It is a function over the Cpe, not a method, so the runtime's class
stays small; the fleet still meters sessions by overriding ``Cpe._run_session`` and
``Cpe._on_inform_accepted``, which this function calls.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Any

from printbench.cwmp import messages as m
from printbench.cwmp.errors import CwmpError
from printbench.cwmp.session import (
    BadRequestReceived,
    CpeSession,
    EmptyResponseReceived,
    FaultReceived,
    InformAccepted,
    RequestReceived,
    ResponseReceived,
    RetryRequested,
    SessionEnded,
)
from printbench.cwmp_cpe.config import version_plan
from printbench.cwmp_cpe.extensions import OutboundRequest
from printbench.cwmp_cpe.http import AcsConnection, AcsHttpError
from printbench.cwmp_cpe.settings import Settings

if TYPE_CHECKING:
    from printbench.cwmp_cpe.runtime import Cpe

log = logging.getLogger(__name__)


class Session(CpeSession):
    """``CpeSession`` plus the legacy NoMoreRequests header (quirk ``no-more-requests``) and
    the callbacks of the CPE requests queued in it."""

    no_more_requests = False
    said_done = False  # an empty POST told the ACS we have no more requests

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.outbound: dict[int, OutboundRequest] = {}

    def _encode(self, envelope: m.Envelope) -> bytes:
        if self.no_more_requests:
            envelope = dataclasses.replace(envelope, no_more_requests=True)
        return super()._encode(envelope)

    @property
    def open_for_requests(self) -> bool:
        """A CPE request queued now is still sent in this session."""
        return not self.ended and not self.said_done

    def take(self, request: m.Message) -> OutboundRequest | None:
        """The callbacks queued with ``request`` (now answered), if any."""
        out: OutboundRequest | None = self.outbound.pop(id(request), None)
        return out

    def send(self, out: OutboundRequest) -> None:
        self.outbound[id(out.message)] = out
        self.queue_request(out.message)


def encode_options(quirks: frozenset[str]) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    if "boolean-digits" in quirks:
        opts.update(boolean_style="digit", boolean_values=True)
    if "datetime-ms" in quirks:
        opts["datetime_ms"] = True
    return opts


async def run_session(cpe: Cpe, s: Settings) -> None:
    """One session with the ACS at ``s.url``; the outcome goes to ``cpe``."""
    inform, change_names = cpe._build_inform(s)
    plan = version_plan(cpe.version_cap, cpe.quirks)
    cs = Session(
        namespace=plan.namespace,
        supported_versions=plan.supported_versions,
        session_timeout=plan.session_timeout,
        encode_options=encode_options(cpe.quirks),
        max_size=cpe.config.max_acs_message,
        strict_ids=cpe.config.strict,
    )
    cs.no_more_requests = "no-more-requests" in cpe.quirks
    # A session of its own (heartbeat) carries no queued CPE requests: a TransferComplete
    # needs 7 TRANSFER COMPLETE in its session's Inform (TR-069 A.3.3.2).
    for provider in cpe.outbox_providers if cpe.own_session is None else ():
        for queued in provider(cs.namespace):
            cs.send(queued)
    url, ssl_ctx = cpe.acs_transport or (s.url, cpe.ssl)
    conn = AcsConnection(
        url,
        s.username,
        s.password,
        ssl_ctx=ssl_ctx,
        timeout=cpe.config.http_timeout,
        max_redirects=cpe.config.max_redirects,
        cookie_filter=cpe._cookie_ok,
        pool=cpe.http_pool if cpe.acs_transport is None else None,
        max_message=cpe.config.max_acs_message,
    )
    conn.auth.digest_ok = "auth-basic-only" not in cpe.quirks  # a defect (OD-1.2)
    cpe.session = cs
    cpe.informs.append(inform)
    del cpe.informs[:-20]
    informed = ended_ok = request_fault = False
    version_fault = False
    clock = cpe.clock
    try:
        body = cs.start(inform, clock.monotonic())
        is_response = False  # the body answers an ACS request (SOAPAction with no value)
        while True:
            reply = await conn.post(body, cs.cookie_header(), response=is_response)
            is_response = False
            ev = cs.receive(
                reply.status, reply.body, clock.monotonic(), set_cookie=reply.set_cookie
            )
            if isinstance(ev, InformAccepted):
                informed = True
                cpe._on_inform_accepted(inform, change_names, ev.cwmp_version, s)
            elif isinstance(ev, ResponseReceived):
                out = cs.take(ev.request)
                if out is not None and out.on_response is not None:
                    out.on_response(ev.response)
            elif isinstance(ev, FaultReceived):
                if isinstance(ev.request, m.Inform):
                    version_fault = ev.fault.fault_code == 8006
                    log.warning("%s: Inform answered with fault %s", cpe.name, ev.fault)
                else:
                    out = cs.take(ev.request)
                    if out is not None:
                        request_fault = request_fault or out.fault_fails_session
                        if out.on_fault is not None:
                            out.on_fault(ev.fault)
            elif isinstance(ev, RequestReceived):
                response = await cpe._dispatch(ev.request)
                body = cs.respond(response, clock.monotonic())
                if "xml-cr-literal" in cpe.quirks:  # a defect (LOC-001 catches it)
                    body = body.replace(b"&#13;", b"\r")
                is_response = True
                continue
            elif isinstance(ev, BadRequestReceived):
                body = cs.respond(ev.fault, clock.monotonic())
                is_response = True
                continue
            elif isinstance(ev, SessionEnded):
                ended_ok = True
                break
            if cs.ended:
                break
            if isinstance(ev, (InformAccepted, ResponseReceived, FaultReceived,
                               RetryRequested, EmptyResponseReceived)):  # fmt: skip
                body = cs.next_post(clock.monotonic())
                if not body and not cs.hold_requests:
                    cs.said_done = True
    except (AcsHttpError, CwmpError) as exc:
        log.warning("%s: session failed: %s", cpe.name, exc)
        cs.fail(str(exc))
    finally:
        cpe.session = None
        for message in cs.id_mismatches:
            cpe.record_acs_violation("acs-id-echo", "TR-069 §3.5 Table 4 (cwmp:ID)", message)
        await conn.close(reusable=ended_ok)
    cpe._session_done(
        inform,
        informed=informed,
        ok=informed and ended_ok and not request_fault,
        version_fault=version_fault,
    )
