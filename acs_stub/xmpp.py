"""The stub ACS's side of XMPP Connection Requests (TR-069 Annex K).

The ACS holds XMPP client accounts on a server (slixmpp streams, STARTTLS verified against
the server's CA file): ``acs``, the identity CPEs are told to allow
(ManagementServer.ConnReqAllowedJabberIDs), and any others a test wants, such as ``other``,
one that is *not* allowed. :func:`connection_request` sends the Annex K IQ (validated against
cwmp-xmppConnReq-1-0.xsd before it leaves) to a CPE's ConnReqJabberID, reads the answer and
judges it and the session that follows:

- ``xmpp-cr-answer`` (mandatory, RFC 6120 §8.2.3: an IQ of type get or set MUST be answered with a
  result or an error): no answer within the timeout;
- an accepted request (empty result) must be followed by a session with
  ``6 CONNECTION REQUEST``: the request counts as pending on the device, so the ACS's
  ``connection-request-session`` rule judges it exactly as for HTTP;
- ``xmpp-cr-refused`` (mandatory, TR-069 §3.2.2 "MUST NOT initiate a connection to the ACS
  due to an unsuccessfully authenticated request"; TR-181 ConnReqAllowedJabberIDs): a request
  with wrong credentials or from a JID not allowed was answered with a result; a session that
  follows is also flagged by ``connection-request-event`` (nothing pending);
- ``xmpp-cr-condition`` (optional: the Annex K wording of the conditions could not be read,
  icwmp's behaviour is the reference): a refusal should say ``not-authorized`` (credentials) or
  ``service-unavailable`` (sender not allowed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from printbench.cwmp import xmpp_cr as X

log = logging.getLogger(__name__)

CONN_REQ_JABBER_ID = "Device.ManagementServer.ConnReqJabberID"


class XmppControlError(ValueError):
    """An XMPP connection request the ACS cannot send (no account, no XMPP server...)."""


@dataclass
class XmppAccount:
    jid: str
    password: str
    client: Any = None


@dataclass
class XmppCrOutcome:
    """What one XMPP connection request gave: the answer, the session it started (id) and
    the verdicts recorded for it."""

    to: str
    sender: str
    answer: X.Answer
    session: str | None = None
    violations: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "to": self.to,
            "from": self.sender,
            "answer": self.answer.kind,
            "condition": self.answer.condition,
            "error_type": self.answer.error_type,
            "session": self.session,
            "violations": list(self.violations),
        }


class AcsXmpp:
    """The ACS's XMPP identities on one server: ``await start()``, ``await stop()``."""

    def __init__(
        self, host: str, port: int, *, ca_file: Path | str | None = None, domain: str = ""
    ) -> None:
        self.host = host
        self.port = port
        self.ca_file = Path(ca_file) if ca_file else None
        self.domain = domain
        self.accounts: dict[str, XmppAccount] = {}
        #: ConnReqJabberID per device id, as learned (GetParameterValues) by the caller.
        self.jids: dict[str, str] = {}

    def add_account(self, name: str, jid: str, password: str) -> None:
        self.accounts[name] = XmppAccount(jid, password)

    def jid(self, name: str = "acs") -> str:
        """The full JID the server bound for account ``name`` (what a CPE sees as "from")."""
        acct = self._account(name)
        return str(acct.client.boundjid.full) if acct.client is not None else acct.jid

    def _account(self, name: str) -> XmppAccount:
        acct = self.accounts.get(name)
        if acct is None:
            raise XmppControlError(
                f"no ACS XMPP account {name!r} (accounts: {', '.join(self.accounts) or 'none'})"
            )
        return acct

    async def start(self, timeout: float = 15.0) -> None:
        """Connect every account and wait until each has its session."""
        await asyncio.gather(*(self._connect(a, timeout) for a in self.accounts.values()))

    async def _connect(self, acct: XmppAccount, timeout: float) -> None:
        import slixmpp

        client = slixmpp.ClientXMPP(acct.jid, acct.password)
        client.enable_direct_tls = False
        client.enable_starttls = True
        client.enable_plaintext = False
        client.ssl_context = ssl.create_default_context(
            cafile=str(self.ca_file) if self.ca_file else None
        )
        up = asyncio.get_running_loop().create_future()

        def ready(_e: Any) -> None:
            client.send_presence()
            if not up.done():
                up.set_result(True)

        def failed(what: str) -> Any:
            def handler(_e: Any) -> None:
                if not up.done():
                    up.set_exception(XmppControlError(f"ACS XMPP account {acct.jid}: {what}"))

            return handler

        client.add_event_handler("session_start", ready)
        client.add_event_handler("failed_all_auth", failed("authentication failed"))
        client.add_event_handler("connection_failed", failed("cannot connect"))
        acct.client = client
        client.connect(self.host, self.port)
        try:
            await asyncio.wait_for(up, timeout)
        except TimeoutError:
            raise XmppControlError(
                f"ACS XMPP account {acct.jid}: no session in {timeout:.0f} s"
            ) from None
        finally:
            with contextlib.suppress(Exception):
                client.cancel_connection_attempt()

    async def stop(self) -> None:
        """Close every account's stream at once (each waits up to 0.5 s for the server's
        closing of the stream; one after the other that was a second per target stopped)."""
        clients = []
        for acct in self.accounts.values():
            client, acct.client = acct.client, None
            if client is not None:
                clients.append(client)
        await asyncio.gather(*(_close_client(c) for c in clients))

    async def send(
        self,
        to: str,
        username: str,
        password: str,
        *,
        sender: str = "acs",
        timeout: float = 10.0,
        iq_type: str = "get",
    ) -> X.Answer:
        """Send one Annex K connection request IQ and return the answer (never raises for a
        CPE's error or silence: those are answers to judge). ``iq_type`` "get" is what ACSes
        in the field send (GenieACS, django-acs, mosesacs, a production AVSystem capture);
        "set" is what RFC 6120 §8.2.3 would suggest for a request that changes state."""
        from slixmpp.exceptions import IqError, IqTimeout

        acct = self._account(sender)
        if acct.client is None:
            raise XmppControlError(f"ACS XMPP account {acct.jid} is not connected")
        data = X.payload(username, password)
        X.validate_payload(data)  # what we send must be what the schema allows
        iq = acct.client.make_iq(ito=to, itype=iq_type)
        iq.append(ET.fromstring(data))
        try:
            await iq.send(timeout=timeout)
        except IqError as exc:
            err = exc.iq["error"]
            return X.Answer("error", str(err["condition"]), str(err["type"]), str(err["text"]))
        except IqTimeout:
            return X.Answer("timeout")
        return X.Answer("result")


def _record(ctl: Any, device_id: str, rule: str, message: str) -> None:
    from printbench.acs_stub.verdicts import RULES, Violation

    r = RULES[rule]
    ctl.server.judge.violations.append(
        Violation(r.id, r.severity, r.spec, message, device_id, None, None)
    )


async def connection_request(
    ctl: Any,
    device_id: str,
    *,
    timeout: float = 30.0,
    to: str | None = None,
    sender: str = "acs",
    username: str | None = None,
    password: str | None = None,
    expect: str = "accept",
) -> XmppCrOutcome:
    """An XMPP connection request from account ``sender`` to the device's ConnReqJabberID
    (``to`` overrides it), with the device's connection request credentials unless
    ``username``/``password`` are given; ``expect`` is what a conforming CPE does here:
    ``accept`` (result, then a session), ``not-authorized`` or ``service-unavailable``
    (an error and no session). Violations are recorded on the device as verdicts."""
    xmpp: AcsXmpp | None = getattr(ctl, "xmpp", None)
    if xmpp is None:
        raise XmppControlError("the stub ACS has no XMPP server configured (AcsControl.xmpp)")
    device = ctl.device(device_id)
    # learned by the caller, else the last value the ACS saw (Informs carry it: it is an
    # active notification, TR-181 forceDefaultEnabled; GetParameterValues responses too)
    target = to or xmpp.jids.get(device.id) or device.params.get(CONN_REQ_JABBER_ID, "")
    if not target:
        raise XmppControlError(f"device {device_id}: ConnReqJabberID not known")
    creds = device.cr_credentials
    user = username if username is not None else (creds.username if creds else "")
    pw = password if password is not None else (creds.password if creds else "")
    waiter = ctl.server.session_waiter(device.id)
    device.pending_connection_requests += 1
    try:
        answer = await xmpp.send(target, user, pw, sender=sender, timeout=min(timeout, 10.0))
    except BaseException:
        device.pending_connection_requests = max(0, device.pending_connection_requests - 1)
        waiter.cancel()
        raise
    ctl.server.journal.record(
        "note", "acs->cpe-cr", device=device.id, note=f"XMPP connection request to {target}"
        f" from {xmpp.jid(sender)}: {answer.kind} {answer.condition}".rstrip(),
    )  # fmt: skip
    out = XmppCrOutcome(target, xmpp.jid(sender), answer)
    if not answer.accepted:
        device.pending_connection_requests = max(0, device.pending_connection_requests - 1)
        waiter.cancel()
    if answer.kind == "timeout":
        _record(ctl, device.id, "xmpp-cr-answer",
                f"no answer to the connection request IQ sent to {target} within "
                f"{min(timeout, 10.0):.0f} s")  # fmt: skip
        out.violations.append("xmpp-cr-answer")
        return out
    if expect == "accept":
        if answer.accepted:
            try:
                session = await asyncio.wait_for(waiter, timeout)
                out.session = session.id
            except TimeoutError:
                out.session = None  # connection-request-session judges it on the next Informs
        return out
    if answer.accepted:
        _record(ctl, device.id, "xmpp-cr-refused",
                f"connection request to {target} that should get {expect} (from "
                f"{xmpp.jid(sender)}, username {user!r}) was answered with a result")  # fmt: skip
        out.violations.append("xmpp-cr-refused")
        with contextlib.suppress(TimeoutError):
            session = await asyncio.wait_for(waiter, min(timeout, 5.0))
            out.session = session.id
        return out
    if answer.condition != expect:
        _record(ctl, device.id, "xmpp-cr-condition",
                f"refusal of the connection request to {target} says {answer.condition!r} "
                f"({answer.error_type}), expected {expect!r}")  # fmt: skip
        out.violations.append("xmpp-cr-condition")
    return out


async def _close_client(client: Any) -> None:
    with contextlib.suppress(Exception):
        await asyncio.wait_for(client.disconnect(wait=0.5), 2.0)
    with contextlib.suppress(Exception):
        client.abort()
    # slixmpp cancels its outgoing-filter task only in __del__: end it now, or it is
    # "destroyed but pending" when the loop closes
    task = getattr(client, "_run_out_filters", None)
    if task is not None and not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
