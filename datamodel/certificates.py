"""``Device.Security.Certificate.{i}.`` bound to the certificates a CPE runtime holds.

Why here: the embedded client (``emulator/tr069/view.py``) and the proxy
(``cwmp_proxy/model.py``) build their models with different binders, but the rows are the
same for both: the client certificates the device's CWMP runtime presents to the ACS, kept
on its ``ParameterTree`` by ``cwmp_cpe.certificates.install``. Each binder asks
:func:`certificate_table` and :func:`certificate_binding` first, so one table serves both.

TR-181 2.17 ``Device.Security.Certificate.{i}.``: SerialNumber, Issuer, NotBefore, NotAfter,
Subject, SubjectAlt, SignatureAlgorithm (read-only, from the certificate; values from
``common.pki.describe``), LastModif (when the device installed it) and Enable (read-write:
a disabled certificate is listed but, as TR-181 says of Enable, not used).
"""

from __future__ import annotations

from typing import Any

from printbench.common.pki import TREE_ATTRIBUTE
from printbench.cwmp import params as P
from printbench.datamodel.loader import Binding, ObjectSpec, ParamSpec

TABLE = "Device.Security.Certificate.{i}."
#: The ParameterTree attribute holding the rows (a list of dicts keyed by parameter name).
ATTRIBUTE = TREE_ATTRIBUTE
_READ_ONLY = (
    "SerialNumber",
    "Issuer",
    "NotBefore",
    "NotAfter",
    "Subject",
    "SubjectAlt",
    "SignatureAlgorithm",
    "LastModif",
)


def rows_of(tree: Any) -> list[dict[str, Any]]:
    return list(getattr(tree, ATTRIBUTE, None) or [])


class CertificateTable:
    """The table provider: rows numbered from 1 in the order the runtime installed them."""

    def rows(self, nc: P.NodeContext) -> list[tuple[int, Any]]:
        return list(enumerate(rows_of(nc.tree), 1))

    def row(self, nc: P.NodeContext, instance: int) -> Any:
        rows = rows_of(nc.tree)
        if 1 <= instance <= len(rows):
            return rows[instance - 1]
        raise KeyError(instance)


def certificate_table(spec: ObjectSpec) -> P.TableProvider | None:
    return CertificateTable() if spec.path == TABLE else None


def _get(name: str):
    def get(nc: P.NodeContext) -> Any:
        return nc.obj[name]

    return get


def _set_enable(nc: P.NodeContext, value: Any) -> None:
    nc.obj["Enable"] = bool(value)


def certificate_binding(spec: ParamSpec) -> Binding | None:
    """The binding of one ``Device.Security.Certificate.{i}.`` parameter (None elsewhere)."""
    if not spec.path.startswith(TABLE):
        return None
    leaf = spec.path[len(TABLE) :]
    if leaf in _READ_ONLY:
        return Binding(get=_get(leaf))
    if leaf == "Enable":
        return Binding(get=_get("Enable"), set=_set_enable)
    return None
