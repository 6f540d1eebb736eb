"""``Device.IP.Diagnostics.`` on the proxy: the proxy host runs the test for the printer.

Why the proxy and not the printer: a printer's SNMP, IPP and EWS faces offer no way to make
it ping, trace or time a transfer, and TR-069 Annex J makes the proxy the CWMP endpoint of a
proxied device, so the proxy is the only party that can honour a SetParameterValues of
``DiagnosticsState=Requested`` (the alternative, fault 9007, would leave an ACS no diagnostic
at all). The results describe the path from the proxy host (``IPAddressUsed`` is the address
the proxy resolved; the proxy and its printers sit on the same network in the seed's figure).
The same store, binding and service as the embedded client (``cwmp_cpe.diag_*``); one store
per virtual device's tree, also for the proxy's own device.
"""

from __future__ import annotations

import weakref
from functools import cache

from printbench.cwmp import params as P
from printbench.cwmp_cpe import diag_binding
from printbench.cwmp_cpe import diag_runner as R
from printbench.cwmp_cpe import diagnostics as D
from printbench.cwmp_cpe.diag_service import DiagnosticsService, attach
from printbench.datamodel.loader import Binding, ObjectSpec, ParamSpec

_STORES: weakref.WeakKeyDictionary[P.ParameterTree, D.DiagnosticsStore] = (
    weakref.WeakKeyDictionary()
)


@cache
def _supported() -> tuple[tuple[str, bool], ...]:
    return tuple(R.supported().items())


def store_for(tree: P.ParameterTree) -> D.DiagnosticsStore:
    """The diagnostics store of one virtual device (made on first use)."""
    found = _STORES.get(tree)
    if found is None:
        found = _STORES[tree] = D.DiagnosticsStore(dict(_supported()))
    return found


def _store_of(nc: P.NodeContext) -> D.DiagnosticsStore:
    return store_for(nc.tree)


def parameter(spec: ParamSpec) -> Binding | None:
    bound = diag_binding.parameter(spec.path, _store_of)
    if bound is None:
        return None
    get, set_, validate = bound
    return Binding(get=get, set=set_, validate=validate, lexical=True)


def table(spec: ObjectSpec) -> P.TableProvider | None:
    return diag_binding.table(spec.path, _store_of)


def serve(cpe: object) -> DiagnosticsService:
    """Run the diagnostics of ``cpe``'s tree for it (start after the session, 8 event)."""
    tree = cpe.tree  # type: ignore[attr-defined]
    return attach(cpe, lambda: store_for(tree))  # made on first use
