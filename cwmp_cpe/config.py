"""Static configuration of one CPE runtime, the quirk switches and the CWMP version plan.

Most of what TR-069 lets an ACS change (ACS URL and credentials, periodic inform settings,
connection request credentials, throttles, retry intervals) is *not* here: it lives in the
device's parameter tree under ``Device.ManagementServer.`` and is read afresh whenever it is
needed (see ``cwmp_cpe.settings``). This object holds what the tree does not say: TLS files,
the protocol version offered, quirks, limits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from printbench.cwmp import messages as m

#: Deliberate misbehaviours a profile can switch on (all off by default); docs/tr069-client.md.
QUIRKS: dict[str, str] = {
    "boolean-digits": "booleans (fields, headers, xsd:boolean values) are sent as 1/0",
    "datetime-ms": "every dateTime is sent with milliseconds",
    "cookies-need-path": "Set-Cookie headers without a Path attribute are ignored (genieacs#82)",
    "no-more-requests": "every envelope carries the legacy NoMoreRequests header",
    "urn-cwmp-1-3": "envelopes use the non-standard urn:dslforum-org:cwmp-1-3 namespace",
    "urn-cwmp-1-4": "envelopes use the non-standard urn:dslforum-org:cwmp-1-4 namespace",
    "parameter-key-frozen": "ManagementServer.ParameterKey is never updated",
    "gpn-ignore-next-level": "GetParameterNames treats NextLevel as false",
    "no-transfer-complete": "TransferComplete is never sent (nor 7/M Download events)",
    "heartbeat-ignores-phase": "HeartbeatPolicy.InitiationTime is ignored (interval counted "
    "from when the policy was set)",
    "heartbeat-combined": "14 HEARTBEAT is queued with the other events, not sent alone",
    "schedule-download-ignores-window": "ScheduleDownload starts at once, before its first "
    "TimeWindow opens",
    "atc-ignores-policy": "AutonomousTransferComplete ignores AutonomousTransferCompletePolicy",
    "request-download-no-event": "RequestDownload is sent without 9 REQUEST DOWNLOAD",
    "udp-cr-no-signature-check": "UDP Connection Requests are accepted without checking un/sig",
    "udp-cr-no-replay-check": "UDP Connection Requests are accepted again with an id seen before",
    "stun-no-connection-request-binding": "STUN Binding Requests lack CONNECTION-REQUEST-BINDING",
    "stun-keepalive-too-slow": "STUN keep-alives at twice STUNMaximumKeepAlivePeriod",
    "tls-no-hostname-check": "the ACS certificate's host name is not checked (chain only)",
    "xml-cr-literal": "a CR in a value is sent as a raw CR, not &#13; (XML turns CR LF into LF)",
    "auth-basic-only": "a Digest challenge from the ACS is not answered (Basic only)",
    "factory-reset-ignored": "FactoryReset is answered but nothing is reset (no 0 BOOTSTRAP)",
    "xmpp-cr-no-auth": "XMPP connection requests are accepted whatever username/password they carry",
    "xmpp-cr-any-sender": "XMPP connection requests are taken from any JID (ConnReqAllowedJabberIDs ignored)",
    "no-diagnostics-complete": "a finished diagnostic never queues 8 DIAGNOSTICS COMPLETE",
    "no-du-state-change-complete": (
        "ChangeDUState is carried out but DUStateChangeComplete (and the Autonomous one, with"
        " their 11/12/M ChangeDUState events) is never sent"
    ),
}


class ConfigError(ValueError):
    """A CPE configuration value is not acceptable; the message names it."""


def check_quirks(names: Iterable[str]) -> frozenset[str]:
    out = frozenset(names)
    unknown = sorted(out - set(QUIRKS))
    if unknown:
        raise ConfigError(
            f"unknown TR-069 client quirk(s) {', '.join(unknown)}; known: {', '.join(QUIRKS)}"
        )
    if {"urn-cwmp-1-3", "urn-cwmp-1-4"} <= out:
        raise ConfigError("quirks urn-cwmp-1-3 and urn-cwmp-1-4 exclude each other")
    return out


@dataclass(frozen=True)
class VersionPlan:
    """How the Inform announces the protocol version."""

    namespace: str
    supported_versions: tuple[str, ...] | None  # SupportedCWMPVersions header (1.4)
    session_timeout: int | None  # SessionTimeout header (1.3 signal)
    offered: tuple[str, ...]


def version_plan(highest: str, quirks: frozenset[str] = frozenset()) -> VersionPlan:
    """The Inform's namespace and headers when offering CWMP 1.0..``highest``.

    1.0/1.1/1.2 use their own namespace; 1.3 is cwmp-1-2 plus SessionTimeout (cwmp-1-3.xsd);
    1.4 is cwmp-1-2 plus SupportedCWMPVersions, and the ACS picks with UseCWMPVersion.
    """
    if highest not in m.ALL_VERSIONS:
        raise ConfigError(f"CWMP version {highest!r} is not one of {', '.join(m.ALL_VERSIONS)}")
    offered = m.ALL_VERSIONS[: m.ALL_VERSIONS.index(highest) + 1]
    ns = {"1.0": m.CWMP_1_0, "1.1": m.CWMP_1_1}.get(highest, m.CWMP_1_2)
    supported = offered if highest == "1.4" else None
    session_timeout = 30 if highest == "1.3" else None
    if "urn-cwmp-1-3" in quirks:
        ns = m.CWMP_1_3
    elif "urn-cwmp-1-4" in quirks:
        ns = m.CWMP_1_4
    return VersionPlan(ns, supported, session_timeout, offered)


def lower_version(version: str) -> str | None:
    """The next lower protocol version (after fault 8006), or None below 1.0."""
    i = m.ALL_VERSIONS.index(version)
    return m.ALL_VERSIONS[i - 1] if i > 0 else None


@dataclass
class CpeConfig:
    """What a CPE runtime needs besides its parameter tree.

    ``device_id`` None reads Manufacturer/ManufacturerOUI/ProductClass/SerialNumber from
    ``Device.DeviceInfo.`` in the tree. ``acs_url`` overrides ``ManagementServer.URL`` when
    set (a command-line ``--acs-url``). ``ca_file`` checks the ACS certificate (None: the
    system store); ``client_cert``/``client_key`` authenticate the CPE by certificate.
    """

    device_id: m.DeviceIdStruct | None = None
    acs_url: str | None = None
    cwmp_version: str = "1.4"
    quirks: frozenset[str] = field(default_factory=frozenset)
    ca_file: Path | None = None
    client_cert: Path | None = None
    client_key: Path | None = None
    http_timeout: float = 30.0  # seconds per HTTP exchange with the ACS
    max_redirects: int = 5
    cr_realm: str = "printbench-cpe"
    cr_rate_limit: int = 5  # connection requests accepted per window ...
    cr_rate_window: float = 10.0  # ... seconds; more get 503
    root: str = "Device."
    upload_method: str = "PUT"
    transfer_timeout: float = 300.0
    #: Largest file Download takes (streamed to disk, so memory does not grow with it;
    #: firmware images of real printers run to a few hundred MB).
    max_download_size: int = 256 * 1024 * 1024
    #: Where downloads are streamed to before they are applied (None: the system temp dir).
    download_dir: Path | None = None
    #: Largest ACS message read (TR-069 A.2.1 asks for >= 32 KB; a GetParameterValues of a
    #: whole tree is megabytes).
    max_acs_message: int = 32 * 1024 * 1024
    #: False (the default): an ACS mistake the CPE can live with (a response whose cwmp:ID
    #: does not echo the request's, TR-069 §3.5 Table 4) is recorded as the ACS's violation
    #: (``Cpe.acs_violations``, log, listeners) and the session goes on. True: it ends the
    #: session, which then counts as failed and the TR-069 §3.2.1.1 retry table applies.
    strict: bool = False

    def __post_init__(self) -> None:
        self.quirks = check_quirks(self.quirks)
        version_plan(self.cwmp_version)
        if self.max_redirects < 0:
            raise ConfigError("max_redirects must be >= 0")
        if self.cr_rate_limit < 1 or self.cr_rate_window <= 0:
            raise ConfigError("cr_rate_limit must be >= 1 and cr_rate_window > 0")
        if self.upload_method not in ("PUT", "POST"):
            raise ConfigError("upload_method must be PUT or POST")
