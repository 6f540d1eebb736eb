"""The translation rules as data: scope, renames, access, notification, type overrides.

Each rule carries its reason; docs/datamodel.md explains them and the translator applies
them. Patterns are ``fnmatch`` patterns on the Semantic Model path: the dot-joined XSD
element names below ``PrintService`` (e.g. ``PrintServiceStatus.State``), before renaming.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase

#: Subtrees left out of PrintService:1.0, with the reason (SM paths, fnmatch).
EXCLUDED: dict[str, str] = {
    "JobTable": (
        "the BOF excluded ActiveJobs; JobHistory goes too: job rows churn faster than "
        "Add/DeleteObject semantics suit, carry user and document names, and the counters "
        "an MPS bills from are in Status.Counters"
    ),
    "PrintServiceCapabilitiesReady": "BOF decision: support Capabilities but not CapabilitiesReady",
    "*.MediaColDatabase": "BOF decision: no MediaColDatabase, just Media and MediaType",
    "PrintServiceDescription.JobConstraintsSupported": (
        "each entry repeats the whole capabilities tree (about 230 objects); IPP "
        "job-constraints-supported is a ticket fragment, not management data"
    ),
    "PrintServiceDescription.JobResolversSupported": (
        "each entry repeats the whole capabilities tree; IPP job-resolvers-supported is a "
        "ticket fragment, not management data"
    ),
    "PrintServiceDefaults.DefaultPrintDocumentTicket": (
        "IPP has one set of xxx-default attributes; the document-ticket defaults repeat "
        "DefaultPrintJobTicket.PrintDocumentProcessing and would give one IPP attribute two "
        "parameters"
    ),
}

#: The prefix dropped from element names inside PrintService (2012 Naming_Optimize rule).
STRIP_PREFIX = "PrintService"

#: Settable elements (SM paths) with the reason; everything else is readOnly.
READ_WRITE: dict[str, str] = {
    "PrintServiceDefaults.*": (
        "IPP xxx-default attributes are settable with Set-Printer-Attributes (RFC 3380); "
        "seed rows Default Orientation/Sides/Resolution/Copies"
    ),
    "PrintServiceDescription.OwnerVCard": "seed row Contact (read-write); sysContact is read-write",
    "PrintServiceDescription.OwnerUri": "owner of the service, set by the administrator",
    "PrintServiceDescription.ServiceLocation": (
        "seed row Location (read-write); printer-location and sysLocation are settable"
    ),
    "PrintServiceDescription.ServiceInfo": "printer-info is settable (RFC 3380)",
    "PrintServiceDescription.ServiceGeoLocation": "printer-geo-location is settable (RFC 3380)",
    "PrintServiceDescription.MessageFromOperator": "set by the operator by definition",
    "PrintServiceConfiguration.InputTrays.InputTray.InputTrayDescription.InputTrayName": (
        "prtInputName is read-write in RFC 3805"
    ),
    "PrintServiceConfiguration.InputTrays.InputTray.InputTrayDescription.InputTrayMediaSizeName": (
        "prtInputMediaName is read-write in RFC 3805 (what the operator loaded)"
    ),
    "PrintServiceConfiguration.InputTrays.InputTray.InputTrayDescription.InputTrayMediaType": (
        "prtInputMediaType is read-write in RFC 3805"
    ),
    "PrintServiceConfiguration.OutputTrays.OutputTray.OutputTrayDescription.OutputTrayName": (
        "prtOutputName is read-write in RFC 3805"
    ),
    "PrintServiceConfiguration.Consoles.Console.ConsoleDescription.ConsoleNaturalLanguage": (
        "prtConsoleLocalization is read-write in RFC 3805"
    ),
    "PrintServiceConfiguration.Interfaces.Interface.InterfaceDescription.InterfaceAdminState": (
        "ifAdminStatus is read-write in IF-MIB"
    ),
    "PrintServiceConfiguration.Interfaces.Interface.InterfaceStatus.InterfaceAdminState": (
        "ifAdminStatus is read-write in IF-MIB"
    ),
}

#: Fast-changing values: the CPE may refuse active notification (activeNotify="canDeny").
CAN_DENY_PATHS = ("*Counters.*", "*.PowerCounters.*", "*.PowerMeters.*", "*.PowerMonitor.*")
CAN_DENY_NAME = re.compile(
    r"(Count|Counts|Counter|Octets|Packets|Errors|Discards|Completed|CurrentLevel|"
    r"RemainingCapacity|UpTime|CurrentTime|Sheets|Impressions|Images|Watts|Energy|"
    r"QueuedJobCount|DisplayText)$"
)

#: Values sent in every Inform (forcedInform="true") with the reason.
FORCED_INFORM: dict[str, str] = {
    "PrintServiceStatus.State": (
        "the one value an MPS acts on in every session; costs one parameter per Inform"
    ),
}

#: XSD element → TR-106 named data type where the SM string has a well-defined format.
DATA_TYPE_OVERRIDES: dict[str, str] = {
    "*.InterfacePhysicalAddress": "MACAddress",
}


#: SM elements that say they are RFC 2863 interface objects ("see ifInOctets in [RFC2863]",
#: Subunits.xsd) whose SMI type there is Counter32 or Gauge32, 0..4294967295 (RFC 2863 §6,
#: IF-MIB), while the SM types them xs:int: served as unsignedInt, or a printer that has moved
#: 2 GiB reads back as an invalid value. ifMtu and ifType are Integer32 and keep int.
UNSIGNED_32: dict[str, str] = {
    "*.InterfaceSpeed": "ifSpeed, Gauge32",
    "*.InterfaceHighSpeed": "ifHighSpeed, Gauge32",
    "*.InterfaceInOctets": "ifInOctets, Counter32",
    "*.InterfaceInUnicastPackets": "ifInUcastPkts, Counter32",
    "*.InterfaceInDiscards": "ifInDiscards, Counter32",
    "*.InterfaceInErrors": "ifInErrors, Counter32",
    "*.InterfaceInUnknownProtocols": "ifInUnknownProtos, Counter32",
    "*.InterfaceOutOctets": "ifOutOctets, Counter32",
    "*.InterfaceOutUnicastPackets": "ifOutUcastPkts, Counter32",
    "*.InterfaceOutDiscards": "ifOutDiscards, Counter32",
    "*.InterfaceOutErrors": "ifOutErrors, Counter32",
}


def match(path: str, patterns: dict[str, str] | tuple[str, ...]) -> str | None:
    """The first pattern that matches the SM path, or None."""
    for pattern in patterns:
        if fnmatchcase(path, pattern):
            return pattern
    return None


def is_excluded(path: str) -> str | None:
    pattern = match(path, EXCLUDED)
    return EXCLUDED[pattern] if pattern else None


def access_for(path: str) -> str:
    return "readWrite" if match(path, READ_WRITE) else "readOnly"


def active_notify_for(path: str, name: str, access: str) -> str:
    if access == "readOnly" and (match(path, CAN_DENY_PATHS) or CAN_DENY_NAME.search(name)):
        return "canDeny"
    return "normal"
