"""The certificates a CPE runtime holds, put where ``Device.Security.Certificate.{i}.`` reads
them (``datamodel.certificates``): the client certificate it presents to the ACS.

Called when the runtime starts (``CpeConfig.client_cert``) and when its TLS settings are
switched (``install(tree, [path])``). A file that cannot be read leaves the table empty and
is logged: the session then fails in the TLS layer with its own message.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from printbench.common.pki import TREE_ATTRIBUTE, PkiError, describe, load_certificate

log = logging.getLogger(__name__)


def install(tree: Any, paths: Iterable[Path | None], *, now: datetime | None = None) -> None:
    """Make ``tree``'s certificate table list the certificates in ``paths`` (None skipped)."""
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    rows = []
    for path in paths:
        if path is None:
            continue
        try:
            cert = load_certificate(path)
        except PkiError as exc:
            log.warning("certificate not listed in Device.Security: %s", exc)
            continue
        rows.append({**describe(cert), "LastModif": stamp, "Enable": True, "path": str(path)})
    setattr(tree, TREE_ATTRIBUTE, rows)
