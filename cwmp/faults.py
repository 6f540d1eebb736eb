"""CWMP fault codes: the CPE (9xxx) and ACS (8xxx) tables with standard strings and SOAP class.

Why a table: every role answers errors with the protocol's own fault, and the SOAP
``faultcode`` (Client or Server) must follow the code. The strings are the ones in the
``cwmp-1-2.xsd``/``cwmp-1-4.xsd`` annotations. Client/Server classification: faults caused by
the content of the request (invalid arguments, names, types, values, non-writable parameters,
unsupported method, ...) are ``Client``; faults of the receiver itself (internal error,
resources, file transfer failures) are ``Server``. This matches icwmp's table for 9003 and
9005-9008 and corrects genieacs-sim, which answers 9000 with Server semantics as Client.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """Which side of a CWMP session answers: decides 9xxx (CPE) or 8xxx (ACS) fault codes."""

    CPE = "cpe"
    ACS = "acs"


@dataclass(frozen=True, slots=True)
class FaultInfo:
    """One standard fault code."""

    code: int
    string: str
    soap_code: str  # "Client" or "Server"


def _t(*rows: tuple[int, str, str]) -> dict[int, FaultInfo]:
    return {code: FaultInfo(code, text, soap) for code, text, soap in rows}


CPE_FAULTS: dict[int, FaultInfo] = _t(
    (9000, "Method not supported", "Server"),
    (9001, "Request denied (no reason specified)", "Server"),
    (9002, "Internal error", "Server"),
    (9003, "Invalid arguments", "Client"),
    (9004, "Resources exceeded", "Server"),
    (9005, "Invalid parameter name", "Client"),
    (9006, "Invalid parameter type", "Client"),
    (9007, "Invalid parameter value", "Client"),
    (9008, "Attempt to set a non-writable parameter", "Client"),
    (9009, "Notification request rejected", "Server"),
    (9010, "File transfer failure", "Server"),
    (9011, "Upload failure", "Server"),
    (9012, "File transfer server authentication failure", "Server"),
    (9013, "Unsupported protocol for file transfer", "Server"),
    (9014, "File transfer failure: unable to join multicast group", "Server"),
    (9015, "File transfer failure: unable to contact file server", "Server"),
    (9016, "File transfer failure: unable to access file", "Server"),
    (9017, "File transfer failure: unable to complete download", "Server"),
    (9018, "File transfer failure: file corrupted", "Server"),
    (9019, "File transfer failure: file authentication failure", "Server"),
    (
        9020,
        "File transfer failure: unable to complete download within specified time windows",
        "Server",
    ),
    (9021, "Cancelation of file transfer not permitted in current transfer state", "Server"),
    (9022, "Invalid UUID Format", "Client"),
    (9023, "Unknown Execution Environment", "Client"),
    (9024, "Disabled Execution Environment", "Server"),
    (9025, "Deployment Unit to Execution Environment Mismatch", "Client"),
    (9026, "Duplicate Deployment Unit", "Client"),
    (9027, "System Resources Exceeded", "Server"),
    (9028, "Unknown Deployment Unit", "Client"),
    (9029, "Invalid Deployment Unit State", "Client"),
    (9030, "Invalid Deployment Unit Update: Downgrade not permitted", "Client"),
    (9031, "Invalid Deployment Unit Update: Version not specified", "Client"),
    (9032, "Invalid Deployment Unit Update: Version already exists", "Client"),
)

ACS_FAULTS: dict[int, FaultInfo] = _t(
    (8000, "Method not supported", "Server"),
    (8001, "Request denied (no reason specified)", "Server"),
    (8002, "Internal error", "Server"),
    (8003, "Invalid arguments", "Client"),
    (8004, "Resources exceeded", "Server"),
    (8005, "Retry request", "Server"),
    (8006, "ACS version incompatible with CPE", "Server"),
)

# The generic meanings shared by both tables, so a decode error can name the fault for
# either role: kind -> (CPE code, ACS code).
METHOD_NOT_SUPPORTED = (9000, 8000)
REQUEST_DENIED = (9001, 8001)
INTERNAL_ERROR = (9002, 8002)
INVALID_ARGUMENTS = (9003, 8003)
RESOURCES_EXCEEDED = (9004, 8004)

RETRY_REQUEST = 8005
VERSION_INCOMPATIBLE = 8006


def fault_info(code: int) -> FaultInfo:
    """The standard entry for ``code``; vendor and unknown codes get a generic entry."""
    info = CPE_FAULTS.get(code) or ACS_FAULTS.get(code)
    if info is not None:
        return info
    if 9800 <= code <= 9899 or 8800 <= code <= 8899:
        return FaultInfo(code, "Vendor defined fault", "Server")
    return FaultInfo(code, "Unknown fault", "Server")


def fault_string(code: int) -> str:
    """The standard FaultString for ``code``."""
    return fault_info(code).string


def soap_fault_code(code: int) -> str:
    """``Client`` or ``Server`` for the SOAP ``faultcode`` of a CWMP fault."""
    return fault_info(code).soap_code


def code_for(kind: tuple[int, int], role: Role) -> int:
    """Pick the CPE or ACS code of a generic fault kind."""
    return kind[0] if role is Role.CPE else kind[1]


# --- TransferComplete FaultCode per namespace ------------------------------------------------
#
# Why per namespace: the FaultStruct of TransferComplete is an enumeration in each BBF schema,
# and the older ones know fewer codes. A CPE pinned to (or negotiated down to) an older
# namespace must not send a code that schema lacks; it reports the general transfer failure
# instead (9010 for a download, 9011 for an upload) and keeps the specific reason in
# FaultString. The sets below are read off the published schemas:
#
# - cwmp-1-0.xsd FaultStruct/FaultCode: 0, 9001, 9002, 9010, 9011, 9012;
# - cwmp-1-1.xsd: those plus 9014-9019, "future expansion" 9020-9799 and vendor 9800-9899;
# - cwmp-1-2.xsd (also used by CWMP 1.3/1.4): 0 plus TransferCompleteCPEFaultCodeType
#   (9001, 9002, 9010-9012, 9014-9020), CPEExtensionFaultCodeType 9033-9799 and vendor
#   9800-9899.
#
# 9013 (unsupported protocol) is a Download/Upload *response* fault in every version, never a
# TransferComplete code, so it maps to the general code as well.

_TC_COMMON = frozenset({0, 9001, 9002, 9010, 9011, 9012})
_TC_SPECIFIC_1_1 = frozenset(range(9014, 9020))
_TC_SPECIFIC_1_2 = frozenset(range(9014, 9021))
_NS_1_0 = "urn:dslforum-org:cwmp-1-0"
_NS_1_1 = "urn:dslforum-org:cwmp-1-1"


def transfer_complete_code_allowed(code: int, namespace: str) -> bool:
    """Whether ``code`` is a valid TransferComplete FaultCode in ``namespace``'s schema.

    Namespaces other than cwmp-1-0/1-1 (cwmp-1-2, and the 1-3/1-4 URNs some CPEs use) follow
    cwmp-1-2.xsd.
    """
    if code in _TC_COMMON:
        return True
    if namespace == _NS_1_0:
        return False
    vendor = 9800 <= code <= 9899
    if namespace == _NS_1_1:
        return code in _TC_SPECIFIC_1_1 or 9020 <= code <= 9799 or vendor
    return code in _TC_SPECIFIC_1_2 or 9033 <= code <= 9799 or vendor


def transfer_complete_fault(
    code: int, string: str, namespace: str, *, is_download: bool = True
) -> tuple[int, str]:
    """The (FaultCode, FaultString) to send in ``namespace`` for a transfer that ended in ``code``.

    A code the namespace's schema allows is kept as is. Any other code becomes the general
    failure the schema does allow (9010 for a download, 9011 for an upload) and the
    FaultString says which specific fault it was, e.g. ``9018 File transfer failure: file
    corrupted: size 12, FileSize said 13`` (at most 256 characters, the schema's limit).
    """
    if transfer_complete_code_allowed(code, namespace):
        return code, string
    general = 9010 if is_download else 9011
    standard = fault_string(code)
    detail = string.strip()
    if not detail or detail == standard:
        text = f"{code} {standard}"
    elif detail.startswith(standard):
        text = f"{code} {detail}"
    else:
        text = f"{code} {standard}: {detail}"
    return general, text[:256]
