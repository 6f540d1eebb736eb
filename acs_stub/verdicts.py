"""Verdicts: the stub ACS judging every envelope a CPE sends.

Why here and not in the conformance engine: only the ACS sees the exchange as it happens
(which request was outstanding, whether it held requests, whether a Connection Request was
sent), so it is the one place that can tell a CPE sent TransferComplete while held or did
not echo a cwmp:ID. Rules are data (``RULES``) and each check is a small pure function over a
:class:`SessionView` kept by the server; a violation names the rule, its severity, its spec
reference and the journal entry of the offending envelope.

Severity: ``mandatory`` only for a MUST / MUST NOT of TR-069 (or TR-181, TR-106) or a schema
constraint, named in the rule's ``spec``; ``optional`` for a SHOULD, a convention, or a rule
whose text could not be found (its ``spec`` says so). Section numbers follow TR-069 Issue 1
Amendment 6; docs/acs.md renders the table (``rules_markdown``) and says which texts were
checked against what.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

from printbench.acs_stub.registry import Device
from printbench.acs_stub.verdict_heartbeat import heartbeat_findings
from printbench.acs_stub.verdict_transfers import WindowBook, disabled_finding, policy_finding
from printbench.cwmp.events import POLICIES
from printbench.cwmp.faults import transfer_complete_code_allowed


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str  # "mandatory" | "optional"
    spec: str
    summary: str


#: Every rule with its source. ``spec`` names the document, section and the requirement's
#: wording (MUST / MUST NOT / SHOULD, or "schema" for an XSD constraint); a rule whose
#: text could not be found in a public copy is optional and says so. docs/acs.md holds
#: the same table (tests/docs check that both agree).
RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule(
            "xsd-valid",
            "mandatory",
            "TR-069 Annex A; cwmp-1-x.xsd (schema)",
            "The envelope validates against the BBF CWMP schema of the session's namespace.",
        ),
        Rule(
            "id-must-understand",
            "mandatory",
            'cwmp-1-2.xsd ID: mustUnderstand use="required" fixed="1" (schema); '
            "TR-069 §3.5 Table 4",
            'A cwmp:ID header carries soap:mustUnderstand="1".',
        ),
        Rule(
            "id-present",
            "optional",
            "TR-069 §3.5 Table 4 (cwmp:ID is optional in the schema; convention)",
            "A CPE request carries a cwmp:ID header so the ACS can echo it.",
        ),
        Rule(
            "id-echo",
            "mandatory",
            "TR-069 §3.5 Table 4, ID: a response MUST carry the ID of the request",
            "A response carries the cwmp:ID of the request it answers.",
        ),
        Rule(
            "namespace-consistent",
            "mandatory",
            "TR-069 §3.5, A.1 (MUST use one namespace per session)",
            "Every envelope of a session uses the namespace of its Inform.",
        ),
        Rule(
            "inform-first",
            "mandatory",
            "TR-069 §3.7.1.1 (a session MUST begin with an Inform)",
            "A session starts with an Inform.",
        ),
        Rule(
            "max-envelopes",
            "mandatory",
            "TR-069 A.3.3.1 Inform MaxEnvelopes (MUST be 1)",
            "Inform MaxEnvelopes is 1.",
        ),
        Rule(
            "hold-requests",
            "mandatory",
            "TR-069 §3.5 Table 4 HoldRequests (MUST NOT send requests while true); "
            "§3.7.1.4 (HoldRequests deprecated for the ACS, CPE MUST support it)",
            "No CPE request while the ACS's last message had HoldRequests true.",
        ),
        Rule(
            "request-after-empty-post",
            "mandatory",
            "TR-069 §3.7.1.4 item 2 (the empty POST sent while HoldRequests is false says the "
            "CPE has no further requests: MUST NOT send requests after it)",
            "No CPE request after an empty POST sent while the CPE was free to send requests.",
        ),
        Rule(
            "transfer-complete-unmatched",
            "mandatory",
            "TR-069 A.3.3.2 TransferComplete (MUST only follow a Download/Upload answered "
            "with Status 1)",
            "TransferComplete's CommandKey matches a Download/Upload answered with Status 1.",
        ),
        Rule(
            "transfer-complete-events",
            "mandatory",
            "TR-069 A.3.3.1 Table 7 (7 TRANSFER COMPLETE, M Download/M Upload with the "
            "CommandKey: MUST), A.3.3.2",
            "A TransferComplete in a later session follows an Inform with 7 TRANSFER COMPLETE "
            "and M Download/M Upload carrying the CommandKey.",
        ),
        Rule(
            "du-complete-unmatched",
            "optional",
            "cwmp-1-2.xsd DUStateChangeComplete documentation ('a prior ChangeDUState request "
            "... has completed'; CommandKey 'specified in the corresponding ChangeDUState'); "
            "TR-069 A.4.1.10; the Annex A MUST wording was not at hand",
            "DUStateChangeComplete's CommandKey matches a ChangeDUState the CPE accepted.",
        ),
        Rule(
            "du-complete-results",
            "optional",
            "cwmp-1-2.xsd DUStateChangeComplete Results documentation ('The ordering of the "
            "operation results matches the order of the operations in the corresponding "
            "ChangeDUState'); documentation, not a schema constraint",
            "DUStateChangeComplete carries one Result per operation of its ChangeDUState.",
        ),
        Rule(
            "du-complete-events",
            "optional",
            "TR-069 §3.7.1.5 Table 7 (11 DU STATE CHANGE COMPLETE, M ChangeDUState with the "
            "CommandKey); the text tying the request to those events was not at hand, so "
            "by analogy with A.3.3.1 for TransferComplete",
            "A DUStateChangeComplete follows an Inform with 11 DU STATE CHANGE COMPLETE and "
            "M ChangeDUState carrying its CommandKey.",
        ),
        Rule(
            "autonomous-du-events",
            "optional",
            "TR-069 §3.7.1.5 Table 7 (12 AUTONOMOUS DU STATE CHANGE COMPLETE); by analogy "
            "with A.3.3.1, the wording was not at hand",
            "An AutonomousDUStateChangeComplete follows an Inform with 12 AUTONOMOUS DU "
            "STATE CHANGE COMPLETE.",
        ),
        Rule(
            "event-command-key",
            "mandatory",
            "TR-069 A.3.3.1 EventStruct CommandKey (MUST be empty except for M events)",
            "CommandKey is empty except for M events.",
        ),
        Rule(
            "event-single",
            "optional",
            "TR-069 §3.7.1.5 Table 7 cumulative behaviour 'Single' (one instance per Inform); "
            "the requirement's wording was not found in a public copy",
            "A single (non-M) event code appears at most once in an Inform.",
        ),
        Rule(
            "event-unknown",
            "optional",
            "TR-069 A.3.3.1 Table 7 event codes; cwmp-1-x.xsd EventCodeType (\\d+( \\S+)+)",
            "Event codes are standard, M <method> or X <OUI> vendor codes.",
        ),
        Rule(
            "m-reboot",
            "mandatory",
            "TR-069 A.3.2.9 Reboot, A.3.3.1 Table 7 (1 BOOT and M Reboot with the CommandKey: "
            "MUST)",
            "After a Reboot the next Inform carries 1 BOOT and M Reboot with its CommandKey.",
        ),
        Rule(
            "bootstrap-alone",
            "optional",
            "no normative source found (convention: a new ACS relationship drops the "
            "transfer/DU events of the old one)",
            "0 BOOTSTRAP is not combined with transfer or DU events of an earlier ACS "
            "relationship (7, 8, 10-12, M Download/Upload/ScheduleDownload/ChangeDUState).",
        ),
        Rule(
            "connection-request-event",
            "mandatory",
            "TR-069 §3.2.2 (MUST NOT initiate a session for an unauthenticated request), "
            "A.3.3.1 Table 7 (6 CONNECTION REQUEST: session established due to a CR)",
            "6 CONNECTION REQUEST only in a session that follows a Connection Request.",
        ),
        Rule(
            "connection-request-session",
            "mandatory",
            "TR-069 §3.2.2 (the 200/204 answer MUST precede 'the resulting session'), "
            "A.3.3.1 Table 7 (6 CONNECTION REQUEST)",
            "A Connection Request answered 200/204 is followed by a session with "
            "6 CONNECTION REQUEST (the next one, or the one after it if the next was "
            "already under way).",
        ),
        Rule(
            "forced-inform",
            "mandatory",
            "TR-069 A.3.3.1 Inform ParameterList; TR-181 forcedInform (MUST include); "
            "judged by the Device:2 version the CPE can have declared",
            "The Inform ParameterList holds every forced Inform parameter.",
        ),
        Rule(
            "retry-count",
            "mandatory",
            "TR-069 A.3.3.1 RetryCount (MUST be zero if and only if the previous session "
            "completed successfully: wording as quoted by CPE sources, PDF not seen), §3.2.1.1",
            "RetryCount is 0 after a successful session and grows by 1 per failed attempt.",
        ),
        Rule(
            "retry-count-reboot",
            "optional",
            "TR-069 A.3.3.1, §3.2.1.1 Table 3 (retry count is 'post reboot')",
            "After failed attempts and a reboot, RetryCount goes on counting (last + 1); "
            "Table 3 counts retries since the reboot, so 0 is not a MUST violation.",
        ),
        Rule(
            "parameter-key",
            "mandatory",
            "TR-069 A.3.2.1, A.3.2.6, A.3.2.7; TR-181 ManagementServer.ParameterKey (MUST "
            "be set to the key of the last successful SPV/AddObject/DeleteObject)",
            "ManagementServer.ParameterKey equals the key of the last successful "
            "SPV/AddObject/DeleteObject.",
        ),
        Rule(
            "datetime-utc",
            "mandatory",
            "TR-069 A.3.3.2 StartTime/CompleteTime; TR-106 §3.2.1 dateTime (MUST be UTC unless "
            "a parameter says otherwise)",
            "Transfer start/complete times are UTC (Z or +00:00); CurrentTime has a zone.",
        ),
        Rule(
            "fault-code-allowed",
            "mandatory",
            "TR-069 A.5.1 CPE fault code table (normative table: the methods each code applies to)",
            "A CPE fault uses a code allowed for the method it answers.",
        ),
        Rule(
            "transfer-fault-code",
            "mandatory",
            "TR-069 A.3.3.2 FaultStruct; cwmp-1-x.xsd TransferCompleteCPEFaultCodeType (schema)",
            "TransferComplete FaultCode is 0 or an allowed transfer fault.",
        ),
        Rule(
            "response-type",
            "mandatory",
            "TR-069 §3.7.2.1; A.3 (the response MUST be the method's response or a Fault)",
            "The response answers the request that was sent (or is a Fault).",
        ),
        Rule(
            "unexpected-response",
            "mandatory",
            "TR-069 §3.7.1.2 (MUST NOT send a response with no request outstanding)",
            "A response or fault arrives only while an ACS request is outstanding.",
        ),
        Rule(
            "session-end",
            "mandatory",
            "TR-069 §3.7.1.4 items 2-4 (MUST send an empty POST when it has no more requests "
            "and responses; all outstanding responses sent)",
            "The CPE ends its requests with an empty POST and answers every ACS request "
            "before leaving the session.",
        ),
        Rule(
            "retry-same-request",
            "mandatory",
            "TR-069 A.5.2 fault 8005 Retry request (MUST resend the same request)",
            "After fault 8005 the CPE resends the same request.",
        ),
        Rule(
            "soapaction",
            "mandatory",
            "TR-069 §3.4.1 (POST with a SOAP response or fault: SOAPAction MUST have no "
            "value, not even quotes; empty POST MUST NOT contain SOAPAction)",
            "SOAPAction is present with no value on POSTs carrying responses and faults and "
            "absent on empty POSTs.",
        ),
        Rule(
            "soapaction-request",
            "optional",
            "SOAP 1.1 §6.1.1 (SOAPAction on a SOAP HTTP request), referenced by TR-069 "
            "§3.4.1; no TR-069 text found that requires it",
            "A POST carrying a CPE request has a SOAPAction header.",
        ),
        Rule(
            "heartbeat-phase",
            "mandatory",
            "TR-181 2.12+ ManagementServer.HeartbeatPolicy.InitiationTime (each Inform call "
            "MUST occur at this reference time plus or minus an integer multiple of the "
            "ReportingInterval); TR-069 Amd 6 Annex O",
            "A 14 HEARTBEAT Inform's CurrentTime is within 3 s of InitiationTime + k x "
            "ReportingInterval (policy as the ACS set or read it; first attempts only).",
        ),
        Rule(
            "heartbeat-alone",
            "optional",
            "TR-069 Amd 6 Annex O / §3.7.1.5 Table 7 (14 HEARTBEAT); the text that would "
            "forbid combining it with other events was not found in a public copy",
            "A 14 HEARTBEAT Inform carries no other event (a session of its own).",
        ),
        Rule(
            "schedule-download-window",
            "optional",
            "TR-069 A.4.1.8 ScheduleDownload TimeWindowStruct (WindowStart/WindowEnd: seconds "
            "after the request); the wording was not seen in a public copy",
            "A ScheduleDownload's TransferComplete StartTime lies inside one of its windows "
            "(counted from the CurrentTime of the session that sent it).",
        ),
        Rule(
            "autonomous-transfer-policy",
            "mandatory",
            "TR-181 ManagementServer.AutonomousTransferCompletePolicy TransferTypeFilter, "
            "ResultTypeFilter, FileTypeFilter (types not indicated MUST NOT be included)",
            "An AutonomousTransferComplete reports only what the policy's filters include.",
        ),
        Rule(
            "autonomous-transfer-disabled",
            "optional",
            "TR-181 AutonomousTransferCompletePolicy.Enable (Enable/disable notification; no "
            "MUST wording)",
            "No AutonomousTransferComplete while the policy's Enable is false.",
        ),
        Rule(
            "autonomous-transfer-event",
            "optional",
            "TR-069 A.3.3.1 Table 7 (10 AUTONOMOUS TRANSFER COMPLETE); the pairing's MUST "
            "wording was not seen",
            "An AutonomousTransferComplete follows an Inform with 10 AUTONOMOUS TRANSFER "
            "COMPLETE.",
        ),
        Rule(
            "cpe-cert-identity",
            "optional",
            "TR-069 §3.3 (TLS allows certificate-based CPE authentication); the "
            "OUI-SerialNumber subject is a recommendation whose text was not found here",
            "A client certificate presented over TLS carries the Inform DeviceId's "
            "OUI-SerialNumber in its subject (CommonName or serialNumber).",
        ),
        Rule(
            "xmpp-cr-answer",
            "mandatory",
            "RFC 6120 §8.2.3 (an IQ of type get or set MUST be answered with a result or an error), "
            "used by TR-069 Annex K",
            "An XMPP connection request IQ gets an answer.",
        ),
        Rule(
            "xmpp-cr-refused",
            "mandatory",
            "TR-069 §3.2.2 (MUST NOT initiate a connection due to an unsuccessfully "
            "authenticated request), Annex K; TR-181 ManagementServer.ConnReqAllowedJabberIDs",
            "An XMPP connection request with wrong credentials or from a JID not allowed is "
            "answered with an error IQ and starts no session.",
        ),
        Rule(
            "xmpp-cr-condition",
            "optional",
            "TR-069 Annex K (wording not found in a public copy; icwmp xmpp/xmpp.c answers "
            "not-authorized and service-unavailable, type cancel)",
            "A refused XMPP connection request says not-authorized (credentials) or "
            "service-unavailable (sender not allowed).",
        ),
        # -- diagnostics (acs_stub/diagnostics.py: judged when the ACS runs one) ------------
        Rule(
            "diagnostics-complete-event",
            "mandatory",
            "TR-181 2.17 DiagnosticsState (when the diagnostic is completed the CPE MUST "
            "establish a new connection ... indicating the Event code 8 DIAGNOSTICS "
            "COMPLETE); TR-069 §3.7.1.5 Table 7",
            "A requested diagnostic ends with an Inform carrying 8 DIAGNOSTICS COMPLETE.",
        ),
        Rule(
            "diagnostics-new-session",
            "mandatory",
            "TR-181 2.17 DiagnosticsState (the CPE MUST establish a new connection to the "
            "ACS to allow the ACS to view the results)",
            "8 DIAGNOSTICS COMPLETE comes in a session after the one that requested the test.",
        ),
        Rule(
            "diagnostics-state",
            "mandatory",
            "TR-181 2.17 DiagnosticsState (when the test is completed the value MUST be "
            "either Complete or one of the Error values)",
            "After 8 DIAGNOSTICS COMPLETE, DiagnosticsState is Complete or an Error value of "
            "the object's enumeration.",
        ),
        Rule(
            "diagnostics-results",
            "mandatory",
            "TR-181 2.17 Device.IP.Diagnostics. result parameters (times MUST be specified to "
            "microsecond precision; AverageResponseTime MUST be zero without a response; "
            "TestFileLength: the CPE MUST insure the bytes are sent); TR-143 §4",
            "A Complete diagnostic's results are consistent: ordered times to the "
            "microsecond, counts that add up, one RTTimes item per try.",
        ),
    )
}


@dataclass
class Violation:
    rule: str
    severity: str
    spec: str
    message: str
    device: str | None
    session: str | None
    ref: int | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SessionView:
    """What the judge needs to know of a session; the server keeps it current."""

    session_id: str
    device: Device | None = None
    namespace: str | None = None
    inform: Any = None
    inform_events: list[tuple[str, str]] = field(default_factory=list)
    #: HoldRequests value of the ACS's last message (True: no CPE requests allowed now).
    held: bool = False
    #: An empty POST arrived while the CPE was free to send requests (so it has none left).
    empty_post_seen: bool = False
    any_empty_post: bool = False
    #: The ACS request awaiting an answer and the cwmp:ID it was sent with.
    outstanding: Any = None
    outstanding_id: str | None = None
    connection_requested: bool = False
    #: CommandKeys of Download/Upload answered with Status 1 in this very session.
    transfers_this_session: set[str] = field(default_factory=set)
    #: The last CPE request answered with 8005 (the CPE must send it again).
    retry_expected: Any = None
    #: CommandKeys of TransferCompletes answered in this session whose response is not yet
    #: known to have reached the CPE (the server forgets the transfer once it is).
    transfers_answered: list[str] = field(default_factory=list)


# --- the forced Inform parameter list, from TR-181 ---------------------------------------


@dataclass(frozen=True)
class ForcedParam:
    path: str
    version: tuple[int, int]


@cache
def forced_inform_parameters(xml_path: Path | None = None) -> tuple[ForcedParam, ...]:
    """Parameters with ``forcedInform="true"`` in the TR-181 full XML, with their version."""
    if xml_path is None:
        from printbench.common.standards import bbf_dir

        xml_path = bbf_dir() / "tr-181-2-17-0-cwmp-full.xml"
    found: list[ForcedParam] = []
    object_name = ""
    object_version = "2.0"
    for event, elem in etree.iterparse(
        str(xml_path),
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
    ):
        tag = etree.QName(elem).localname if isinstance(elem.tag, str) else ""
        if event == "start" and tag == "object":
            object_name = elem.get("name", "")
            object_version = elem.get("version", object_version if object_name else "2.0")
        elif event == "end" and tag == "parameter":
            if elem.get("forcedInform") == "true" and object_name.startswith("Device."):
                version = elem.get("version") or object_version or "2.0"
                found.append(ForcedParam(object_name + elem.get("name", ""), _version(version)))
            elem.clear()
        elif event == "end" and tag in ("object", "component", "profile"):
            elem.clear()
    return tuple(found)


_ROOT_VERSION = "Device.RootDataModelVersion"


def required_forced(forced: Iterable[ForcedParam], values: dict[str, str]) -> list[ForcedParam]:
    """The forced Inform parameters a CPE with these Inform ``values`` must send.

    A forcedInform parameter added in a later Device:2 version than the CPE implements is
    not required. The version is the CPE's ``Device.RootDataModelVersion``; without one the
    CPE implements a version older than the one that added that parameter (2.4 by the
    TR-181 XML's version attribute), which one is unknown, so only what Device:2.0 already
    forced is required (a 2.0-2.2 CPE has no AliasBasedAddressing, added in 2.3).
    """
    forced = tuple(forced)
    text = values.get(_ROOT_VERSION)
    declared = _parse_version(text) if text is not None else None
    if declared is None:
        base = min((p.version for p in forced), default=(2, 0))
        return [p for p in forced if p.version <= base]
    return [p for p in forced if p.version <= declared]


def _parse_version(text: str) -> tuple[int, int] | None:
    m = re.match(r"\s*(\d+)\.(\d+)", text or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


def _version(text: str) -> tuple[int, int]:
    m = re.match(r"(\d+)\.(\d+)", text or "")
    return (int(m.group(1)), int(m.group(2))) if m else (2, 0)


# --- event codes -----------------------------------------------------------------------------

# One table of event codes for the CPE and the judge: cwmp.events.POLICIES (TR-069 Table 7).
SINGLE_EVENTS = frozenset(c for c, p in POLICIES.items() if not p.multiple)
M_EVENTS = frozenset(c for c, p in POLICIES.items() if p.multiple)
#: Events of an earlier ACS relationship's transfers and DU operations; flagged (optional
#: rule, no normative source) next to 0 BOOTSTRAP. M Reboot and M ScheduleInform are not:
#: an ACS URL change plus a Reboot in one session legitimately yields
#: 0 BOOTSTRAP + 1 BOOT + M Reboot.
NOT_WITH_BOOTSTRAP = frozenset({
    "7 TRANSFER COMPLETE", "8 DIAGNOSTICS COMPLETE", "10 AUTONOMOUS TRANSFER COMPLETE",
    "11 DU STATE CHANGE COMPLETE", "12 AUTONOMOUS DU STATE CHANGE COMPLETE",
    "M Download", "M Upload", "M ScheduleDownload", "M ChangeDUState",
})  # fmt: skip

# --- fault codes allowed per method (TR-069 A.5.1 table) -------------------------------------

_GENERAL = {9000, 9001, 9002, 9004}
_ALLOWED_FAULTS: dict[str, set[int]] = {
    "GetRPCMethods": set(),
    "SetParameterValues": {9003, 9005, 9006, 9007, 9008},
    "GetParameterValues": {9003, 9005},
    "GetParameterNames": {9003, 9005},
    "SetParameterAttributes": {9003, 9005, 9009},
    "GetParameterAttributes": {9003, 9005},
    "AddObject": {9003, 9005},
    "DeleteObject": {9003, 9005},
    "Reboot": {9003},
    "Download": {9003, 9010, 9012, 9013, *range(9014, 9021)},
    "Upload": {9003, 9011, 9012, 9013},
    "FactoryReset": {9003},
    "ScheduleInform": {9003},
    "GetQueuedTransfers": set(),
    "GetAllQueuedTransfers": set(),
    "ScheduleDownload": {9003, 9010, 9013, 9020},
    "CancelTransfer": {9003, 9021},
    "ChangeDUState": {9003, *range(9022, 9033)},
    "SetVouchers": {9003},
    "GetOptions": {9003},
}
TRANSFER_FAULTS = {0, 9001, 9002, 9010, 9011, 9012, *range(9014, 9021)}  # cwmp-1-2


def attempt_key(env: Any) -> tuple:
    """What makes an Inform one session attempt: resent unchanged (a 401 challenge
    answered, a stale nonce) it is the same attempt; a new attempt has a new CurrentTime."""
    inform = env.body
    return (env.id, inform.retry_count, inform.current_time)


def fault_allowed(method: str, code: int) -> bool:
    if code in _GENERAL or 9800 <= code <= 9899:
        return True
    return code in _ALLOWED_FAULTS.get(method, set())


# --- raw envelope facts the typed Envelope does not keep ------------------------------------

_SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
_UTC_SUFFIX = re.compile(r"(Z|[+-]00:00)$")
_HAS_ZONE = re.compile(r"(Z|[+-]\d\d:\d\d)$")


@dataclass
class RawFacts:
    id_present: bool = False
    id_must_understand: str | None = None
    times: list[tuple[str, str]] = field(default_factory=list)  # (element, text)


def _parse(body: bytes) -> Any:
    try:
        return etree.fromstring(body, _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return None


def raw_facts(body: bytes | Any) -> RawFacts:
    """Header and dateTime facts from raw bytes or an already parsed tree."""
    facts = RawFacts()
    root = _parse(bytes(body)) if isinstance(body, bytes | bytearray) else body
    if root is None:
        return facts
    header = root.find(f"{{{_SOAP_ENV}}}Header")
    if header is not None:
        for child in header:
            if isinstance(child.tag, str) and etree.QName(child).localname == "ID":
                facts.id_present = True
                facts.id_must_understand = child.get(f"{{{_SOAP_ENV}}}mustUnderstand")
    for elem in root.iter():
        if isinstance(elem.tag, str) and etree.QName(elem).localname in (
            "StartTime",
            "CompleteTime",
            "CurrentTime",
        ):
            facts.times.append((etree.QName(elem).localname, (elem.text or "").strip()))
    return facts


# --- the judge ----------------------------------------------------------------------------------


class Judge:
    """Collects violations; the server calls one method per thing that happens."""

    def __init__(self, *, xsd: bool = True, forced_params: Iterable[ForcedParam] | None = None):
        self.violations: list[Violation] = []
        self.windows = WindowBook()
        self._xsd = xsd
        self._forced = tuple(forced_params) if forced_params is not None else None

    # queries
    def for_device(self, device: str) -> list[Violation]:
        return [v for v in self.violations if v.device == device]

    def for_session(self, session: str) -> list[Violation]:
        return [v for v in self.violations if v.session == session]

    def add(self, view: SessionView | None, rule: str, message: str, ref: int | None) -> None:
        """Record a violation of ``rule`` (an id of ``RULES``)."""
        r = RULES[rule]
        self.violations.append(
            Violation(
                rule=r.id,
                severity=r.severity,
                spec=r.spec,
                message=message,
                device=view.device.id if view and view.device else None,
                session=view.session_id if view else None,
                ref=ref,
            )
        )

    # -- entry points -----------------------------------------------------------------------
    def envelope(
        self,
        view: SessionView,
        raw: bytes,
        env: Any,
        ref: int | None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Checks common to every non-empty CPE envelope (``headers``: the HTTP request's,
        for the SOAPAction rules; None skips them)."""
        if headers is not None:
            self._check_soap_action(view, env, headers, ref)
        root = _parse(raw)
        if self._xsd:
            self._check_xsd(view, root, env, ref)
        facts = raw_facts(root)
        if facts.id_present and facts.id_must_understand != "1":
            self.add(view, "id-must-understand",
                      f"cwmp:ID has mustUnderstand={facts.id_must_understand!r}, expected \"1\"",
                      ref)  # fmt: skip
        if view.namespace and env.namespace != view.namespace:
            self.add(view, "namespace-consistent",
                      f"envelope namespace {env.namespace} differs from the session's "
                      f"{view.namespace}", ref)  # fmt: skip
        body = env.body
        method = env.method or ""
        is_response = method.endswith("Response") or method == "Fault"
        if is_response:
            self._check_response(view, env, ref)
        elif method:
            if not facts.id_present:
                self.add(view, "id-present", f"{method} has no cwmp:ID header", ref)
            if method != "Inform":
                self._check_cpe_request(view, env, ref)
        for name, text in facts.times:
            if name == "CurrentTime":
                if not _HAS_ZONE.search(text):
                    self.add(view, "datetime-utc", f"CurrentTime {text!r} has no time zone", ref)
            elif not _UTC_SUFFIX.search(text):
                self.add(view, "datetime-utc",
                          f"{method} {name} {text!r} is not in UTC", ref)  # fmt: skip
        if method == "TransferComplete" or method == "AutonomousTransferComplete":
            code = body.fault_struct.fault_code
            namespace = view.namespace or env.namespace
            if not transfer_complete_code_allowed(code, namespace):
                self.add(view, "transfer-fault-code",
                          f"{method} FaultCode {code} is not an allowed transfer fault in "
                          f"{namespace}", ref)  # fmt: skip

    def inform(self, view: SessionView, env: Any, ref: int | None, device: Device) -> None:
        """Rules on an Inform; call before the device's state is updated from it."""
        inform = env.body
        if inform.max_envelopes != 1:
            self.add(view, "max-envelopes", f"MaxEnvelopes is {inform.max_envelopes}", ref)
        codes = [e.event_code for e in inform.event]
        self._check_events(view, inform, codes, ref, device)
        for rule, message in heartbeat_findings(inform, device.params):
            self.add(view, rule, message, ref)
        self._check_forced(view, inform, ref)
        if attempt_key(env) != device.last_refused_attempt:
            # (the same Inform as a refused one is that attempt again, already counted)
            self._check_retry(view, inform, ref, device)
        if "0 BOOTSTRAP" not in codes:
            # After BOOTSTRAP (factory reset, new ACS) the key is legitimately reset
            # (TR-181: "" after a factory reset); the server forgets the expected key.
            params = {p.name: p.value for p in inform.parameter_list}
            self._check_parameter_key(view, params, ref, device, where="Inform")

    def retry_count(self, view: SessionView, inform: Any, ref: int | None, device: Device) -> None:
        """RetryCount of a session attempt the ACS refused (HTTP 401): the CPE counts it."""
        self._check_retry(view, inform, ref, device)

    def session_start_violation(self, view: SessionView, method: str, ref: int | None) -> None:
        self.add(view, "inform-first", f"session starts with {method or 'an empty POST'}", ref)

    def session_closed(self, view: SessionView, reason: str, ref: int | None) -> None:
        """The session ended; ``reason`` is 'done' (empty 204 sent) or why it was dropped."""
        if reason == "done" or reason.startswith("failed"):
            return  # a failed session was already judged on the envelope that broke it
        if view.outstanding is not None:
            self.add(view, "session-end",
                      f"session {reason} with {type(view.outstanding).__name__} unanswered",
                      ref)  # fmt: skip
        elif not view.any_empty_post:
            self.add(view, "session-end", f"session {reason} before the CPE's empty POST", ref)

    def empty_post(self, view: SessionView, headers: Mapping[str, str], ref: int | None) -> None:
        """TR-069 §3.4.1: an empty HTTP POST MUST NOT contain a SOAPAction header."""
        if "SOAPAction" in headers:
            self.add(view, "soapaction",
                      f"empty POST with SOAPAction: {headers['SOAPAction']!r}", ref)  # fmt: skip

    def undecodable(self, view: SessionView, raw: bytes, error: str, ref: int | None) -> None:
        """A POST in a session that is not a CWMP envelope the codec accepts."""
        facts = raw_facts(raw)
        if facts.id_present and facts.id_must_understand != "1":
            self.add(view, "id-must-understand",
                     f"cwmp:ID has mustUnderstand={facts.id_must_understand!r}", ref)  # fmt: skip
        else:
            self.add(view, "xsd-valid", f"undecodable envelope: {error}", ref)

    def empty_post_while_outstanding(self, view: SessionView, ref: int | None) -> None:
        what = type(view.outstanding).__name__ if view.outstanding is not None else "a request"
        self.add(view, "session-end", f"empty POST while the answer to {what} is due", ref)

    # -- pieces -----------------------------------------------------------------------------
    def _check_soap_action(self, view, env: Any, headers: Mapping[str, str], ref) -> None:
        method = env.method or ""
        value = headers.get("SOAPAction")
        if method.endswith("Response") or method == "Fault":
            # "MUST have no value (with no quotes) ... it MUST appear as follows: SOAPAction:"
            if value is None:
                self.add(view, "soapaction", f"POST carrying {method} has no SOAPAction header "
                          "(expected 'SOAPAction:' with no value)", ref)  # fmt: skip
            elif value.strip():
                self.add(view, "soapaction", f"POST carrying {method} has SOAPAction: {value} "
                          "(expected no value, not even quotes)", ref)  # fmt: skip
        elif method and value is None:
            self.add(view, "soapaction-request",
                      f"POST carrying {method} has no SOAPAction header", ref)  # fmt: skip

    def _check_xsd(self, view: SessionView, root: Any, env: Any, ref: int | None) -> None:
        from printbench.cwmp.schema import SchemaError, schema_for, validation_errors_tree

        if root is None:
            self.add(view, "xsd-valid", "the envelope is not well-formed XML", ref)
            return
        try:
            filename = schema_for(env)
            problems = validation_errors_tree(root, filename)
        except SchemaError as exc:
            self.add(view, "xsd-valid", str(exc), ref)
            return
        for problem in problems[:5]:
            self.add(view, "xsd-valid", f"{filename} {problem}", ref)

    def _check_events(self, view, inform, codes, ref, device: Device) -> None:
        seen: set[str] = set()
        for ev in inform.event:
            code = ev.event_code
            if code in SINGLE_EVENTS:
                if code in seen:
                    self.add(view, "event-single", f"event {code!r} appears twice", ref)
                seen.add(code)
                if ev.command_key:
                    self.add(view, "event-command-key",
                              f"event {code!r} carries CommandKey {ev.command_key!r}", ref)  # fmt: skip
            elif not (code.startswith("M ") or code.startswith("X ")):
                self.add(view, "event-unknown", f"event code {code!r} is not defined", ref)
        if "0 BOOTSTRAP" in codes:
            stale = [c for c in codes if c in NOT_WITH_BOOTSTRAP]
            if stale:
                self.add(view, "bootstrap-alone",
                          f"0 BOOTSTRAP together with {', '.join(stale)}", ref)  # fmt: skip
        if "6 CONNECTION REQUEST" in codes and not view.connection_requested:
            self.add(view, "connection-request-event",
                      "6 CONNECTION REQUEST without a Connection Request from this ACS", ref)  # fmt: skip
        if device.cr_unhonoured:
            self.add(view, "connection-request-session",
                      f"{device.cr_unhonoured} Connection Request(s) answered 200/204 and two "
                      f"sessions since without 6 CONNECTION REQUEST (events {codes})",
                      ref)  # fmt: skip
        if device.pending_reboot_key is not None and "0 BOOTSTRAP" not in codes:
            keys = [e.command_key for e in inform.event if e.event_code == "M Reboot"]
            if "1 BOOT" not in codes or device.pending_reboot_key not in keys:
                self.add(view, "m-reboot",
                          f"Inform after Reboot(CommandKey={device.pending_reboot_key!r}) has "
                          f"events {codes}", ref)  # fmt: skip
        elif "M Reboot" in codes and device.pending_reboot_key is None and device.inform_count:
            self.add(view, "m-reboot", "M Reboot without a Reboot from this ACS", ref)

    def _check_forced(self, view, inform, ref) -> None:
        names = {p.name for p in inform.parameter_list}
        if not any(n.startswith("Device.") for n in names) and names:
            return  # an InternetGatewayDevice root: TR-181's list does not apply
        values = {p.name: p.value for p in inform.parameter_list}
        forced = self._forced if self._forced is not None else forced_inform_parameters()
        missing = [p.path for p in required_forced(forced, values) if p.path not in names]
        if missing:
            self.add(view, "forced-inform",
                      f"Inform lacks forced parameter(s) {', '.join(missing)}", ref)  # fmt: skip

    def _check_retry(self, view, inform, ref, device: Device) -> None:
        count = inform.retry_count
        if device.last_session_ok is None:
            pass  # first contact: any RetryCount may be right
        elif device.last_session_ok and count != 0:
            self.add(view, "retry-count",
                      f"RetryCount {count} after a successful session (expected 0)", ref)  # fmt: skip
        elif not device.last_session_ok and device.last_retry_count is not None:
            expected = device.last_retry_count + 1
            if count != expected:
                # Across a reboot the "iff" rule meets Table 3's post-reboot count: not a
                # MUST there, so the finding is optional.
                codes = {e.event_code for e in inform.event}
                rebooted = bool(codes & {"1 BOOT", "0 BOOTSTRAP"})
                self.add(view, "retry-count-reboot" if rebooted else "retry-count",
                          f"RetryCount {count} after a failed attempt with RetryCount "
                          f"{device.last_retry_count} (expected {expected})"
                          + (" across a reboot" if rebooted else ""), ref)  # fmt: skip

    def _check_parameter_key(self, view, params: dict, ref, device: Device, where: str) -> None:
        if device.expected_parameter_key is None:
            return
        for name in ("Device.ManagementServer.ParameterKey",
                     "InternetGatewayDevice.ManagementServer.ParameterKey"):  # fmt: skip
            if name in params:
                if params[name] != device.expected_parameter_key:
                    self.add(view, "parameter-key",
                              f"{where} reports ParameterKey {params[name]!r}, expected "
                              f"{device.expected_parameter_key!r}", ref)  # fmt: skip
                return

    def _check_cpe_request(self, view: SessionView, env: Any, ref: int | None) -> None:
        method = env.method
        if method in ("DUStateChangeComplete", "AutonomousDUStateChangeComplete"):
            self._check_du_request(view, env, ref)
        if view.held:
            self.add(view, "hold-requests", f"{method} sent while HoldRequests is true", ref)
        if view.empty_post_seen:
            self.add(view, "request-after-empty-post",
                      f"{method} sent after the CPE's empty POST", ref)  # fmt: skip
        if method == "TransferComplete" and view.device is not None:
            late = self.windows.finding(view.device.id, env.body)
            if late is not None:
                self.add(view, "schedule-download-window", late, ref)
        if method == "AutonomousTransferComplete" and view.device is not None:
            self._check_autonomous(view, env.body, ref)
        if method == "TransferComplete" and view.device is not None:
            key = env.body.command_key
            kind = view.device.outstanding_transfers.get(key)
            if kind is None:
                self.add(view, "transfer-complete-unmatched",
                          f"TransferComplete CommandKey {key!r} matches no outstanding "
                          "Download/Upload", ref)  # fmt: skip
            elif key not in view.transfers_this_session:
                codes = view.inform_events
                if ("7 TRANSFER COMPLETE", "") not in codes or (f"M {kind}", key) not in codes:
                    self.add(view, "transfer-complete-events",
                              f"TransferComplete({key!r}) in a session whose Inform events are "
                              f"{[c for c, _ in codes]} (needs 7 TRANSFER COMPLETE and "
                              f"M {kind} {key!r})", ref)  # fmt: skip

    def _check_du_request(self, view: SessionView, env: Any, ref: int | None) -> None:
        """DUStateChangeComplete / AutonomousDUStateChangeComplete against what the ACS sent."""
        codes = view.inform_events
        if env.method == "AutonomousDUStateChangeComplete":
            if ("12 AUTONOMOUS DU STATE CHANGE COMPLETE", "") not in codes:
                self.add(view, "autonomous-du-events",
                          "AutonomousDUStateChangeComplete in a session whose Inform events "
                          f"are {[c for c, _ in codes]}", ref)  # fmt: skip
            return
        if view.device is None:
            return
        key = env.body.command_key or ""
        count = view.device.outstanding_du.get(key)
        if count is None:
            self.add(view, "du-complete-unmatched",
                      f"DUStateChangeComplete CommandKey {key!r} matches no ChangeDUState "
                      "accepted by the CPE", ref)  # fmt: skip
            return
        if len(env.body.results) != count:
            self.add(view, "du-complete-results",
                      f"DUStateChangeComplete({key!r}) has {len(env.body.results)} Results "
                      f"for {count} operations", ref)  # fmt: skip
        if ("11 DU STATE CHANGE COMPLETE", "") not in codes or ("M ChangeDUState", key) not in codes:
            self.add(view, "du-complete-events",
                      f"DUStateChangeComplete({key!r}) in a session whose Inform events are "
                      f"{[c for c, _ in codes]} (needs 11 DU STATE CHANGE COMPLETE and "
                      f"M ChangeDUState {key!r})", ref)  # fmt: skip
    def schedule_download_accepted(self, view: SessionView, request: Any) -> None:
        """The CPE answered a ScheduleDownload: remember its windows for its TransferComplete."""
        if view.device is not None:
            self.windows.accepted(view.device.id, request, view.inform)

    def _check_autonomous(self, view: SessionView, atc: Any, ref: int | None) -> None:
        params = view.device.params if view.device is not None else {}
        for rule, finding in (
            ("autonomous-transfer-policy", policy_finding(atc, params)),
            ("autonomous-transfer-disabled", disabled_finding(params)),
        ):
            if finding is not None:
                self.add(view, rule, finding, ref)
        if ("10 AUTONOMOUS TRANSFER COMPLETE", "") not in view.inform_events:
            self.add(view, "autonomous-transfer-event",
                      "AutonomousTransferComplete in a session whose Inform events are "
                      f"{[c for c, _ in view.inform_events]}", ref)  # fmt: skip

    def _check_response(self, view: SessionView, env: Any, ref: int | None) -> None:
        method = env.method
        request = view.outstanding
        if request is None:
            self.add(view, "unexpected-response", f"{method} with no ACS request outstanding", ref)
            return
        if view.outstanding_id is not None and env.id != view.outstanding_id:
            self.add(view, "id-echo",
                      f"{method} has cwmp:ID {env.id!r}, the request had {view.outstanding_id!r}",
                      ref)  # fmt: skip
        req_method = type(request).METHOD
        if method == "Fault":
            code = env.body.fault_code
            if not fault_allowed(req_method, code):
                self.add(view, "fault-code-allowed",
                          f"fault {code} is not allowed for {req_method}", ref)  # fmt: skip
        elif method != f"{req_method}Response":
            self.add(view, "response-type", f"{method} answers {req_method}", ref)
        elif req_method == "GetParameterValues" and view.device is not None:
            params = {p.name: p.value for p in env.body.parameter_list}
            self._check_parameter_key(view, params, ref, view.device, where="GetParameterValues")


def rules_markdown() -> str:
    """The rule table of docs/acs.md, rendered from ``RULES`` (tests/docs keeps them equal)."""
    rows = ["| Rule | Severity | Source (section, requirement) | Checks |", "|---|---|---|---|"]
    for r in RULES.values():
        rows.append(f"| `{r.id}` | {r.severity} | {r.spec} | {r.summary} |")
    return "\n".join(rows)
