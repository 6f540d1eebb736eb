"""Who may run which IPP operation: the profile's access policy (issue 17).

The IPP documents give printer administration to operators and administrators, and job
operations to the job's owner or an operator/administrator:

* RFC 8011 §4.2.7 Pause-Printer, §4.2.8 Resume-Printer, §4.2.9 Purge-Jobs ("Access Rights:
  the authenticated user ... MUST be an operator or administrator of the Printer object");
  §4.3.3 Cancel-Job and the other job operations (§4.3.5-4.3.7): the job owner or an
  operator/administrator; a refusal is "client-error-forbidden",
  "client-error-not-authenticated" or "client-error-not-authorized" "as appropriate";
* RFC 3380 §4.1 Set-Printer-Attributes: an operator or administrator;
* RFC 3998 (Enable/Disable-Printer, Hold-New-Jobs, Restart/Shutdown/Startup-Printer,
  Cancel-Current-Job, Promote-Job, ...): operator or administrator;
* PWG 5100.11 Cancel-Jobs: operator or administrator; Cancel-My-Jobs: the user's own jobs.

(Section numbers as in the RFCs' tables of contents; the wording is paraphrased, the PDFs
of PWG 5100.11 and RFC 3998 are not in /work/shared.)

The profile's ``ipp`` section says what this model does (``emulator/state.IppConfig``):

* ``admin_operations``: ``admin`` (the default: HTTP Basic credentials of the profile's
  administrator account, ``admin.username``/``admin.password``, the one the EWS uses) or
  ``open`` (anyone, as some printers ship);
* ``admin_identity``: ``basic`` (the default: only HTTP Basic proves the administrator) or
  ``requesting-user-name`` (a model that trusts the name, as its
  ``uri-authentication-supported`` of ``requesting-user-name`` says);
* ``job_operations``: ``owner`` (the default: the job's ``job-originating-user-name`` or the
  administrator) or ``open``.

Answers (RFC 8011 §B.1.4): an administration request without credentials gets HTTP 401 with
a ``Basic`` challenge (RFC 8010 §8.2 / RFC 9110 §11.6.1; ipptool and CUPS then send the
credentials), wrong credentials the same 401; an operation on another user's job gets
``client-error-not-authorized`` (0x0403): the requester is known and not entitled.

Pure: reads the request, the job table and the policy; no I/O.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass
from typing import Any

#: Printer administration (RFC 8011 §4.2.7-4.2.9, RFC 3380 §4.1, RFC 3998, PWG 5100.11).
ADMIN_OPERATIONS = frozenset(
    {
        0x0010,  # Pause-Printer
        0x0011,  # Resume-Printer
        0x0012,  # Purge-Jobs
        0x0013,  # Set-Printer-Attributes
        0x0022,  # Enable-Printer
        0x0023,  # Disable-Printer
        0x0024,  # Pause-Printer-After-Current-Job
        0x0025,  # Hold-New-Jobs
        0x0026,  # Release-Held-New-Jobs
        0x0029,  # Restart-Printer
        0x002A,  # Shutdown-Printer
        0x002B,  # Startup-Printer
        0x002D,  # Cancel-Current-Job (RFC 3998 §4.2: operator)
        0x002E,  # Suspend-Current-Job
        0x0030,  # Promote-Job
        0x0031,  # Schedule-Job-After
        0x0038,  # Cancel-Jobs
    }
)
#: Operations on one job, allowed to its owner (RFC 8011 §4.3, RFC 3380 §4.2, RFC 3998 §4,
#: PWG 5100.5 for the document operations).
JOB_OPERATIONS = frozenset(
    {
        0x0006,  # Send-Document
        0x0008,  # Cancel-Job
        0x000C,  # Hold-Job
        0x000D,  # Release-Job
        0x000E,  # Restart-Job
        0x0014,  # Set-Job-Attributes
        0x002C,  # Reprocess-Job
        0x002F,  # Resume-Job
        0x0033,  # Cancel-Document
        0x0037,  # Set-Document-Attributes
        0x003A,  # Resubmit-Job
        0x003B,  # Close-Job
    }
)

ADMIN_POLICIES = ("admin", "open")
IDENTITIES = ("basic", "requesting-user-name")
JOB_POLICIES = ("owner", "open")


@dataclass(frozen=True, slots=True)
class Decision:
    """None-like when allowed; else the IPP status and message, and whether to challenge
    (HTTP 401 with ``WWW-Authenticate: Basic``) instead of answering in IPP."""

    status: int
    message: str
    challenge: bool = False


NOT_AUTHENTICATED = 0x0402  # RFC 8011 §B.1.4.3 client-error-not-authenticated
NOT_AUTHORIZED = 0x0403  # RFC 8011 §B.1.4.4 client-error-not-authorized
REALM = "printbench"


def basic_user(authorization: str, username: str, password: str) -> str | None:
    """The user name when ``authorization`` is HTTP Basic (RFC 7617) with exactly these
    credentials, else None (compared in constant time)."""
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "basic" or not token:
        return None
    try:
        raw = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    user, sep, secret = raw.partition(":")
    if not sep or not username:
        return None
    ok = hmac.compare_digest(user.encode(), username.encode()) & hmac.compare_digest(
        secret.encode(), password.encode()
    )
    return user if ok else None


def is_admin(state: Any, authorization: str, requesting_user: str) -> bool:
    """Whether the request comes from the profile's administrator account."""
    admin = state.admin
    if basic_user(authorization, admin.username, admin.password) is not None:
        return True
    return (
        state.ipp.admin_identity == "requesting-user-name"
        and bool(admin.username)
        and requesting_user == admin.username
    )


def decide(state: Any, code: int, requesting_user: str, authorization: str,
           job: Any = None) -> Decision | None:  # fmt: skip
    """None if the operation ``code`` may run; else how to refuse it. ``job`` is the target
    job of a job operation (None when there is none or it does not exist: the operation
    answers not-found itself)."""
    policy = state.ipp
    if code in ADMIN_OPERATIONS:
        if policy.admin_operations == "open" or is_admin(state, authorization, requesting_user):
            return None
        return Decision(
            NOT_AUTHENTICATED,
            "printer administration needs the administrator's credentials "
            "(RFC 8011 §4.2.7-4.2.9: operator or administrator)",
            challenge=True,
        )
    if code in JOB_OPERATIONS and job is not None and policy.job_operations != "open":
        owner = getattr(job, "user", "")
        if owner == requesting_user or is_admin(state, authorization, requesting_user):
            return None
        return Decision(
            NOT_AUTHORIZED,
            f"job {job.index} belongs to another user (RFC 8011 §4.3.3: the job owner or an "
            "operator or administrator)",
        )
    return None
