"""The proxy's exception family: what went wrong talking to a printer, and which CWMP fault it is.

Every error names the printer address and the protocol, so a fault string tells an ACS
operator what to look at ("127.80.0.5 SNMP: no answer after 2 tries of 1.0 s").
"""

from __future__ import annotations

FAULT_REQUEST_DENIED = 9001
FAULT_INTERNAL_ERROR = 9002
FAULT_INVALID_VALUE = 9007
FAULT_NOT_WRITABLE = 9008


class ProxyError(Exception):
    """Base of everything the proxy raises; ``code`` is the CWMP fault it maps to."""

    code = FAULT_INTERNAL_ERROR

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InventoryError(ProxyError):
    """The printers file is wrong; the message starts with ``file:line:``."""


class Unreachable(ProxyError):
    """The printer did not answer (timeout, refused, wrong community looks the same in v1/v2c)."""


class AuthFailed(ProxyError):
    """The printer refused our credentials (EWS 401, SNMPv3 unknown user / wrong digest)."""


class Rejected(ProxyError):
    """The printer answered but refused the request (SNMP error-status, IPP status, EWS 400)."""

    code = FAULT_INVALID_VALUE

    def __init__(self, message: str, code: int | None = None, names: tuple[str, ...] = ()) -> None:
        super().__init__(message, code)
        self.names = names  # the source-side names the printer pointed at (OIDs, attributes)


class NotWritable(Rejected):
    """The printer does not let this value be written through this protocol."""

    code = FAULT_NOT_WRITABLE
