"""The exception family of the CWMP core.

One base, ``CwmpError``, so a role can catch everything the core raises in one place. Each
error knows which CWMP fault a role should answer with (9xxx as CPE, 8xxx as ACS) and which
HTTP status fits when no SOAP answer is possible.
"""

from __future__ import annotations

from typing import Any

from printbench.cwmp import faults
from printbench.cwmp.faults import Role


class CwmpError(Exception):
    """Base of every error raised by the ``cwmp`` package's codec and session machines."""

    def __init__(
        self,
        message: str,
        *,
        kind: tuple[int, int] = faults.INVALID_ARGUMENTS,
        http_status: int = 400,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.http_status = http_status

    @property
    def cpe_fault_code(self) -> int:
        """The fault a CPE answers with (9000-9019)."""
        return self.kind[0]

    @property
    def acs_fault_code(self) -> int:
        """The fault an ACS answers with (8000-8006)."""
        return self.kind[1]

    def fault_code(self, role: Role) -> int:
        return faults.code_for(self.kind, role)


class CwmpDecodeError(CwmpError):
    """A received document is not an acceptable CWMP envelope.

    ``line`` and ``element`` locate the problem; ``cwmp_id``, ``namespace`` and ``method``
    are filled when they could be read before the problem, so the answering Fault can echo
    the request's ID in the request's namespace.
    """

    def __init__(
        self,
        message: str,
        *,
        kind: tuple[int, int] = faults.INVALID_ARGUMENTS,
        line: int | None = None,
        element: str | None = None,
        cwmp_id: str | None = None,
        namespace: str | None = None,
        method: str | None = None,
    ) -> None:
        where = []
        if line is not None:
            where.append(f"line {line}")
        if element is not None:
            where.append(f"element <{element}>")
        full = f"{', '.join(where)}: {message}" if where else message
        super().__init__(full, kind=kind, http_status=400)
        self.detail = message
        self.line = line
        self.element = element
        self.cwmp_id = cwmp_id
        self.namespace = namespace
        self.method = method


class CwmpEncodeError(CwmpError):
    """A message cannot be written as XML (e.g. a control character in a string)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, kind=faults.INTERNAL_ERROR, http_status=500)


class ProtocolError(CwmpError):
    """A session rule was broken."""


class LocalProtocolError(ProtocolError):
    """This side tried something the session state does not allow (a bug in the role)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, kind=faults.INTERNAL_ERROR, http_status=500)


class RemoteProtocolError(ProtocolError):
    """The peer broke a session rule; ``kind``/``http_status`` say how to answer it.

    ``envelope`` is the decoded envelope that broke the rule (``None`` when the body was
    empty or could not be decoded), so a role can log or judge what the peer really sent
    without decoding it again.
    """

    def __init__(
        self,
        message: str,
        *,
        kind: tuple[int, int] = faults.INVALID_ARGUMENTS,
        http_status: int = 400,
        envelope: Any = None,
    ) -> None:
        super().__init__(message, kind=kind, http_status=http_status)
        self.envelope = envelope
