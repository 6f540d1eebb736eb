"""The printer's ``Device.IP.Diagnostics.`` (TR-181, TR-143): one diagnostics store per
printer, bound into its TR-069 view and served by its embedded client.

A printer runs these tests itself (its embedded client is the CPE), so the store hangs off the
printer's ``PrinterView`` (``view.extra["diagnostics"]``); the parameters are bound by
``cwmp_cpe.diag_binding`` and the tests run by ``cwmp_cpe.diag_service``. Kept out of
``view.py`` so that file only says where printer values live.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from printbench.cwmp import params as P
from printbench.cwmp_cpe import diag_binding
from printbench.cwmp_cpe import diag_runner as R
from printbench.cwmp_cpe import diagnostics as D
from printbench.datamodel import loader as L


@cache
def _supported() -> tuple[tuple[str, bool], ...]:
    """What this process can test (ICMP needs a socket permission): probed once."""
    return tuple(R.supported().items())


def store(view: Any) -> D.DiagnosticsStore:
    """The printer's diagnostics store (made on first use)."""
    found = view.extra.get("diagnostics")
    if found is None:
        found = view.extra["diagnostics"] = D.DiagnosticsStore(dict(_supported()))
    return found


def on_reboot(view: Any) -> None:
    """The printer rebooted: a test in progress ends (no store yet: nothing to do)."""
    found = view.extra.get("diagnostics")
    if found is not None:
        found.on_reboot()


def _store_of(nc: P.NodeContext) -> D.DiagnosticsStore:
    return store(nc.tree.root)


def parameter(spec: L.ParamSpec) -> L.Binding | None:
    """The binding of a diagnostics parameter of the printer's model, or None."""
    bound = diag_binding.parameter(spec.path, _store_of)
    if bound is None:
        return None
    get, set_, validate = bound
    return L.Binding(get=get, set=set_, validate=validate, lexical=True)


def table(spec: L.ObjectSpec) -> P.TableProvider | None:
    return diag_binding.table(spec.path, _store_of)
