"""The proxy's data model: the generated DM bound to printers through the mapping.

One ``DataModel`` is built per proxy and shared by every virtual device; each device's tree
has as root either a :class:`~cwmp_proxy.binding.PrinterView` (a proxied printer) or a
:class:`ProxyRoot` (the proxy's own CWMP device). Mapped PrintService parameters read the
printer's snapshot; DeviceInfo is the printer's identity; ProxierInfo names the proxy;
``ManagementServer.`` settings live in each tree (the ACS may change them per device), with
``ConnectionRequestURL`` the device's URL on the proxy; ``ManagementServer.VirtualDevice.{i}``
lists the proxied printers on the proxy's own device only.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from printbench.cwmp import params as P
from printbench.cwmp_proxy import diagnostics
from printbench.cwmp_proxy.binding import (
    PS,
    Bindings,
    PrinterView,
    PrintServiceRows,
    TableRows,
    conform,
)
from printbench.datamodel.certificates import certificate_binding, certificate_table
from printbench.datamodel.loader import (
    Binding,
    ModelSpec,
    ObjectSpec,
    ParamSpec,
    build_data_model,
    load_spec,
)
from printbench.datamodel.mapping import Mapping, load_mapping

log = logging.getLogger(__name__)

#: TR-106 §3.3 allows vendor-extensible enumerations; SNMP, IPP and HTTP are not in TR-181's
#: ProxyProtocol list, so the proxy names them with the X_ prefix.
PROXY_PROTOCOL = "X_PRINTBENCH-ORG_SNMP-IPP-EWS"


def _attr_of_obj(attr: str, nc: Any) -> Any:
    return getattr(nc.obj, attr)


@dataclass
class Identity:
    """What a device tells the ACS it is (DeviceInfo and the Inform's DeviceId)."""

    manufacturer: str = ""
    oui: str = "000000"
    model_name: str = ""
    description: str = ""
    product_class: str = ""
    serial_number: str = ""
    hardware_version: str = ""
    software_version: str = ""


@dataclass
class ProxyRoot:
    """Root object of the proxy's own tree."""

    identity: Identity
    devices: Callable[[], list[Any]] = lambda: []  # the proxied printers' VirtualDevice rows
    cr_url: str = ""
    proxier: Identity | None = None
    notes: dict[str, str] = field(default_factory=dict)  # values changed to fit their type


@dataclass
class ModelConfig:
    acs_url: str = ""
    periodic_inform_interval: int = 3600
    periodic_inform_enable: bool = True
    cr_username: str = ""
    cr_password: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def _identity_getter(attr: str) -> P.Getter:
    def get(nc: P.NodeContext) -> str:
        return getattr(nc.tree.root.identity, attr)

    return get


def _conformed(get: P.Getter, spec: ParamSpec) -> P.Getter:
    """``get`` whose value always fits the parameter's type (``binding.conform``).

    These values (the printer's make, model, serial) also make the Inform's DeviceId, which the
    CWMP XSD limits (Manufacturer, ProductClass, SerialNumber: maxLength 64; OUI: 6 hex
    digits, cwmp-1-2.xsd DeviceIdStruct); TR-181 gives DeviceInfo the same limits.
    """
    pt = spec.type
    seen: set[tuple[str, str]] = set()

    def get_conformed(nc: P.NodeContext) -> str:
        value, note = conform(str(get(nc)), pt)
        if note is not None:
            notes = getattr(nc.tree.root, "notes", None)
            if isinstance(notes, dict):
                notes[spec.path] = note
            if (spec.path, note) not in seen:
                seen.add((spec.path, note))
                log.warning("%s: %s", spec.path, note)
        return value

    return get_conformed


def _proxier_getter(attr: str) -> P.Getter:
    def get(nc: P.NodeContext) -> str:
        prox = getattr(nc.tree.root, "proxier", None)
        if attr == "proxy_protocol":
            return PROXY_PROTOCOL if prox is not None else ""
        return getattr(prox, attr) if prox is not None else ""

    return get


class ProxyBinder:
    """``datamodel.loader.Binder`` for the proxy."""

    def __init__(self, bindings: Bindings, config: ModelConfig) -> None:
        self.b = bindings
        self.config = config

    def table(self, spec: ObjectSpec) -> P.TableProvider | None:
        certificates = certificate_table(spec)  # the CPE runtime's (datamodel.certificates)
        if certificates is not None:
            return certificates
        if spec.path.startswith(diagnostics.D.BASE):  # run by the proxy host (diagnostics.py)
            return diagnostics.table(spec)
        if spec.path == PS:
            return PrintServiceRows()
        if spec.path in self.b.tables:
            return TableRows(spec.path)
        if spec.path == "Device.ManagementServer.VirtualDevice.{i}.":
            return P.MappingTable(
                lambda root: root.devices() if isinstance(root, ProxyRoot) else []
            )
        return None

    def object_ctx(self, spec: ObjectSpec) -> Callable[[Any], Any] | None:
        return None

    def parameter(self, spec: ParamSpec) -> Binding | None:
        certificate = certificate_binding(spec)
        if certificate is not None:
            return certificate
        path = spec.path
        if path.startswith(diagnostics.D.BASE):  # run by the proxy host (diagnostics.py)
            return diagnostics.parameter(spec)
        row = self.b.rows.get(path)
        if row is not None:
            return self._mapped(spec)
        info = "Device.DeviceInfo."
        simple = {
            info + "Manufacturer": "manufacturer",
            info + "ManufacturerOUI": "oui",
            info + "ModelName": "model_name",
            info + "Description": "description",
            info + "ProductClass": "product_class",
            info + "SerialNumber": "serial_number",
            info + "HardwareVersion": "hardware_version",
            info + "SoftwareVersion": "software_version",
        }
        if path in simple:
            return Binding(get=_conformed(_identity_getter(simple[path]), spec))
        prox = {
            info + "ProxierInfo.ManufacturerOUI": "oui",
            info + "ProxierInfo.ProductClass": "product_class",
            info + "ProxierInfo.SerialNumber": "serial_number",
            info + "ProxierInfo.ProxyProtocol": "proxy_protocol",
        }
        if path in prox:
            return Binding(get=_conformed(_proxier_getter(prox[path]), spec))
        if path == info + "UpTime":
            uptime = self.b.rows[PS + "Status.UpTime"]

            def get_uptime(nc: P.NodeContext) -> Any:
                if isinstance(nc.tree.root, PrinterView):
                    return nc.tree.root.read(uptime, (1,))
                return int(nc.tree.root.uptime()) if hasattr(nc.tree.root, "uptime") else 0

            return Binding(get=get_uptime)
        if path == "Device.RootDataModelVersion":
            return Binding(get=lambda nc: "2.17")
        ms = "Device.ManagementServer."
        if path == ms + "ParameterKey":
            return Binding(get=P.parameter_key)
        if path == ms + "ConnectionRequestURL":
            return Binding(get=lambda nc: nc.tree.root.cr_url)
        defaults = {
            ms + "URL": self.config.acs_url,
            ms + "PeriodicInformEnable": "true" if self.config.periodic_inform_enable else "false",
            ms + "PeriodicInformInterval": str(self.config.periodic_inform_interval),
            ms + "ConnectionRequestUsername": self.config.cr_username,
            ms + "ConnectionRequestPassword": self.config.cr_password,
            ms + "EnableCWMP": "true",
            # TR-181 2.17 gives these two no <default>, so the loader would serve "0", which
            # is outside their ranges; 5 and 2000 are TR-069's default behaviour (TR-181
            # descriptions, TR-069 §3.2.1.1).
            ms + "CWMPRetryMinimumWaitInterval": "5",
            ms + "CWMPRetryIntervalMultiplier": "2000",
            **self.config.extra,
        }
        if path in defaults:
            return Binding(default=defaults[path])
        vd = ms + "VirtualDevice.{i}."
        if path.startswith(vd):
            attr = {
                "ManufacturerOUI": "oui",
                "ProductClass": "product_class",
                "SerialNumber": "serial_number",
                "Host": "host",
                "ProxyProtocol": "proxy_protocol",
                "DiscoveryProtocol": "discovery_protocol",
            }.get(path[len(vd) :])
            if attr is not None:
                return Binding(get=functools.partial(_attr_of_obj, attr))
            return Binding(get=lambda nc: "")
        return None

    def _mapped(self, spec: ParamSpec) -> Binding:
        row = self.b.rows[spec.path]
        pt = spec.type
        leaf = spec.path.rsplit(".", 1)[1]

        def get(nc: P.NodeContext) -> str:
            view: PrinterView = nc.tree.root
            return view.lexical(row, nc.instances, pt, nc.path + leaf)  # nc.path: the object

        if not (row.writable and spec.writable):
            return Binding(get=get, lexical=True)

        def set_(nc: P.NodeContext, canonical: str) -> None:
            view: PrinterView = nc.tree.root
            stage = getattr(view, "staging", None)
            if stage is None:
                raise P.ProviderError("writes go through the proxy's SetParameterValues", 9001)
            new = pt.to_python(canonical)
            stage.append((row, nc.instances, new, canonical, nc.path))
            view.snapshot.overrides[(row.path, nc.instances)] = new

        return Binding(get=get, set=set_, lexical=True)


def include(bindings: Bindings) -> Callable[[str], bool]:
    def keep(path: str) -> bool:
        if not path.startswith(PS):
            return True
        if path in bindings.rows:
            return True
        if path.endswith("NumberOfEntries"):
            parent = path.rsplit(".", 1)[0] + "."
            return any(
                t.startswith(parent) and t.count("{i}") == parent.count("{i}") + 1
                for t in bindings.tables
            )
        return False

    return keep


def build_model(
    config: ModelConfig, mapping: Mapping | None = None, spec: ModelSpec | None = None
) -> tuple[P.DataModel, Bindings]:
    spec = spec or load_spec()
    mapping = mapping or load_mapping(spec=spec)
    bindings = Bindings(mapping)
    binder = ProxyBinder(bindings, config)
    keep = include(bindings)
    dm = build_data_model(spec, binder, include=keep)
    cache: dict[frozenset[str], P.DataModel] = {frozenset(): dm}

    def pruned(dead: frozenset[str]) -> P.DataModel:
        """The model without the mapped parameters a printer has no source for (cached)."""
        if dead not in cache:
            cache[dead] = build_data_model(
                spec, binder, include=lambda p: keep(p) and p not in dead
            )
        return cache[dead]

    bindings.pruned = pruned  # type: ignore[attr-defined]
    return dm, bindings
