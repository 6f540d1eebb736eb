"""XMPP Connection Request (TR-069 Annex K) as pure code: the IQ payload, the CPE's checks and
the ACS's reading of the answer. No I/O: the adapters (``cwmp_cpe.xmpp``, ``acs_stub.xmpp``)
move the stanzas over a real XMPP stream.

What the texts say, and where they come from (the TR-069 PDF is not in /work/shared; the
rules below are the ones found in public copies):

- The payload is ``<connectionRequest xmlns="urn:broadband-forum-org:cwmp:xmppConnReq-1-0">
  <username/><password/></connectionRequest>`` inside an ``<iq>`` sent to the CPE's
  ConnReqJabberID (cwmp-xmppConnReq-1-0.xsd: "intended to be sent within an iq stanza ... to
  an XMPP Client that resides on the CPE. For more information see Annex K"). The schema is the
  authority we validate against (:func:`validate_payload`).
  The IQ type: ACSes in the field send ``get`` (GenieACS's XMPP client, django-acs, mosesacs
  and a production AVSystem capture all do); RFC 6120 §8.2.3 would suggest ``set``. The CPE
  takes both; the stub ACS sends ``get`` (Annex K's own example could not be read).
- username/password are ManagementServer.ConnectionRequestUsername/Password (Annex K, as
  summarised by QA Cafe's "XMPP Connection Request Mechanism": "an XMPP IQ stanza containing
  elements for the Connection Request Username and Connection Request Password").
- The sender: TR-181 2.17 ``ManagementServer.ConnReqAllowedJabberIDs``: a Bare JID entry
  matches any resource, a Full JID entry needs an exact match, and an empty list allows every
  sender (:func:`jid_allowed`; the TR-181 text is in /work/shared and quoted there).
- A good request is answered with an empty ``result`` IQ and a session with
  ``6 CONNECTION REQUEST`` follows (QA Cafe: "the CPE confirms the request with an empty XMPP
  IQ stanza ... then begins a CWMP session"). Any IQ ``get`` or ``set`` must be answered
  with a result or an error (RFC 6120 §8.2.3, MUST).
- Errors: a sender not allowed, or a CPE that cannot take the request now (CWMP disabled, rate
  limit), gets ``service-unavailable``; wrong credentials get ``not-authorized`` (both of type
  ``cancel``, as icwmp's ``xmpp/xmpp.c`` sends them). We could not read Annex K's own wording
  for these two conditions, so the ACS treats the *condition* as an optional check; that an
  error (not a result) comes back and no session follows is mandatory (TR-069 §3.2.2: the CPE
  "MUST NOT initiate a connection to the ACS due to an unsuccessfully authenticated request").
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

NS = "urn:broadband-forum-org:cwmp:xmppConnReq-1-0"
STANZAS_NS = "urn:ietf:params:xml:ns:xmpp-stanzas"  # RFC 6120 §8.3.3
SCHEMA_FILE = "cwmp-xmppConnReq-1-0.xsd"

#: The error conditions a CPE answers with (see the module docstring for their source).
NOT_AUTHORIZED = "not-authorized"
SERVICE_UNAVAILABLE = "service-unavailable"
BAD_REQUEST = "bad-request"  # RFC 6120 §8.3.3.1: a payload that is not a connectionRequest

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


class XmppCrError(ValueError):
    """A connection request payload is not what Annex K / the schema allow."""


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str


def payload(username: str, password: str) -> bytes:
    """The ``connectionRequest`` element an ACS puts in its IQ (UTF-8 bytes)."""
    root = etree.Element(f"{{{NS}}}connectionRequest", nsmap={None: NS})
    etree.SubElement(root, f"{{{NS}}}username").text = username
    etree.SubElement(root, f"{{{NS}}}password").text = password
    return etree.tostring(root, encoding="utf-8")


def validate_payload(data: bytes) -> None:
    """Check ``data`` against cwmp-xmppConnReq-1-0.xsd; XmppCrError says what is wrong."""
    from printbench.cwmp.schema import load_schema

    el = _parse(data)
    schema = load_schema(SCHEMA_FILE)
    if not schema.validate(el):
        errors = "; ".join(f"line {e.line}: {e.message}" for e in schema.error_log)
        raise XmppCrError(f"connectionRequest does not validate against {SCHEMA_FILE}: {errors}")


def _parse(data: bytes) -> etree._Element:
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise XmppCrError(f"connectionRequest is not well-formed XML: {exc}") from None


def parse_payload(data: bytes) -> Credentials:
    """The username and password of a received ``connectionRequest`` (XmppCrError if the
    element is not one, in the schema's shape: username then password, nothing else)."""
    el = _parse(data)
    if el.tag != f"{{{NS}}}connectionRequest":
        raise XmppCrError(f"expected {{{NS}}}connectionRequest, got {el.tag}")
    children = [c for c in el if isinstance(c.tag, str)]
    names = [c.tag for c in children]
    if names != [f"{{{NS}}}username", f"{{{NS}}}password"]:
        raise XmppCrError(
            "connectionRequest must hold username then password (cwmp-xmppConnReq-1-0.xsd),"
            f" got {[etree.QName(n).localname for n in names]}"
        )
    return Credentials(children[0].text or "", children[1].text or "")


def bare(jid: str) -> str:
    """``local@domain`` of ``local@domain/resource`` (RFC 7622 §3: the bare JID)."""
    return jid.split("/", 1)[0]


def allowed_list(value: str) -> list[str]:
    """ConnReqAllowedJabberIDs (a TR-106 comma-separated list) as its entries."""
    return [x.strip() for x in value.split(",") if x.strip()]


def _fold(jid: str) -> str:
    # local and domain parts compare case-insensitively (RFC 7622 §3.2/§3.3 normalise them);
    # the resource part is case-sensitive (§3.4).
    b, sep, res = jid.partition("/")
    return b.lower() + sep + res


def jid_allowed(sender: str, allowed: list[str]) -> bool:
    """TR-181 ConnReqAllowedJabberIDs: Bare JID entries match any resource, Full JID entries
    match exactly; an empty list allows every sender."""
    if not allowed:
        return True
    s = _fold(sender)
    for entry in allowed:
        e = _fold(entry)
        if "/" in e:
            if s == e:
                return True
        elif bare(s) == e:
            return True
    return False


@dataclass(frozen=True)
class Decision:
    """What the CPE answers: ``accept`` (empty result IQ, then a session) or an error IQ with
    ``condition`` (RFC 6120 §8.3.3 defined condition) of ``error_type``; ``why`` for logs."""

    accept: bool
    condition: str = ""
    error_type: str = "cancel"
    why: str = ""


def judge_request(
    sender: str,
    data: bytes,
    *,
    allowed: list[str],
    username: str,
    password: str,
) -> Decision:
    """The CPE's checks of one received connection request, in order: the sender (TR-181
    ConnReqAllowedJabberIDs), the payload's shape, then the credentials (empty configured
    username: nobody can authenticate, as for HTTP connection requests)."""
    if not jid_allowed(sender, allowed):
        return Decision(False, SERVICE_UNAVAILABLE, why=f"sender {sender} not allowed")
    try:
        creds = parse_payload(data)
    except XmppCrError as exc:
        return Decision(False, BAD_REQUEST, "modify", why=str(exc))
    if not username or creds.username != username or creds.password != password:
        return Decision(False, NOT_AUTHORIZED, why="wrong connection request credentials")
    return Decision(True, why="accepted")


@dataclass(frozen=True)
class Answer:
    """What came back to an ACS's connection request IQ: ``result``, ``error`` (with the
    defined condition and type) or ``timeout`` (nothing, RFC 6120 §8.2.3 says MUST answer)."""

    kind: str
    condition: str = ""
    error_type: str = ""
    text: str = ""

    @property
    def accepted(self) -> bool:
        return self.kind == "result"


def error_condition(error_xml: bytes) -> tuple[str, str]:
    """(defined condition, type) of an ``<error>`` element (RFC 6120 §8.3.2)."""
    el = _parse(error_xml)
    cond = ""
    for c in el:
        if (
            isinstance(c.tag, str)
            and c.tag.startswith(f"{{{STANZAS_NS}}}")
            and c.tag != (f"{{{STANZAS_NS}}}text")
        ):
            cond = etree.QName(c).localname
            break
    return cond, el.get("type", "")


def reconnect_wait(n: int, initial: int, multiplier: int, maximum: int, rnd: float) -> float:
    """The ``n``-th (1-based) reconnection wait to the XMPP server, in seconds.

    TR-181 2.17 XMPP.Connection.{i}.ServerRetryIntervalMultiplier: "For the nth reconnection
    wait interval, the Device MUST use a random value, in seconds, between 0 and
    ServerRetryInitialInterval * (ServerRetryIntervalMultiplier / 1000) ** (n - 1)", and
    ServerRetryMaxInterval: "If the nth reconnection wait interval ... exceeds the value of this
    parameter, then the Device MUST use the value of this parameter". ``rnd`` is a number in
    [0, 1) from the caller's random source (so this stays pure and testable).
    """
    if n < 1:
        raise ValueError("reconnection attempts count from 1")
    bound = max(0.0, float(initial)) * (max(1000, multiplier) / 1000.0) ** (n - 1)
    wait = rnd * bound
    if maximum > 0 and bound > maximum:
        # the computed interval exceeds the maximum: TR-181 says use the maximum itself
        return float(maximum)
    return wait
