"""``Device.SoftwareModules.`` of the TR-069 view: the printer's modules (emulator.software).

Rows are the ExecEnv/DeploymentUnit/ExecutionUnit records of the inventory in the state;
the writable parameters go through ``emulator.software`` (one rule set for every face):
``ExecEnv.{i}.Enable`` (disabling stops its EUs), ``ExecutionUnit.{i}.RequestedState``
(Idle/Active: TR-181 says a write starts or stops the EU; ``Status`` follows) and
``ExecutionUnit.{i}.AutoStart``. The sub-tables the printer has nothing for (ExecEnvClass,
ApplicationData, HostObject, EnvVariable) are empty.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from printbench.cwmp import du as D
from printbench.cwmp import params as P
from printbench.emulator import software as sw

SM = "Device.SoftwareModules."


def _inv(parent: Any) -> D.Inventory:
    return sw.inventory(parent.state)


def _rows(kind: str) -> Callable[[Any], dict[int, Any]]:
    def rows(parent: Any) -> dict[int, Any]:
        inv = _inv(parent)
        tables: dict[str, list[Any]] = {"ee": inv.exec_envs, "du": inv.units, "eu": inv.eus}
        items = tables[kind]
        return {r.index: r for r in items}

    return rows


def _empty(parent: Any) -> dict[int, Any]:
    return {}


def _bool(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).lower() in ("1", "true")


def _eu_setter(apply: Callable[[Any, int, Any], None]) -> P.Setter:
    def setter(nc: P.NodeContext, value: Any) -> None:
        state = nc.tree.root.state
        try:
            apply(state, nc.obj.index, value)
        except (KeyError, ValueError) as exc:
            raise P.ProviderError(str(exc), P.FAULT_INVALID_PARAMETER_VALUE) from None

    return setter


def declare(b: Any, spec_cls: Any, node_setter: Any) -> None:
    """Add the bindings to a ``view.PrinterBinder`` (``spec_cls`` its ``_Spec``)."""
    ee, du, eu = SM + "ExecEnv.{i}.", SM + "DeploymentUnit.{i}.", SM + "ExecutionUnit.{i}."
    b.tables[SM + "ExecEnv.{i}."] = _rows("ee")
    b.tables[SM + "DeploymentUnit.{i}."] = _rows("du")
    b.tables[SM + "ExecutionUnit.{i}."] = _rows("eu")
    for empty in (
        "ExecEnvClass.{i}.",
        "ExecEnvClass.{i}.Capability.{i}.",
        "ExecEnv.{i}.ApplicationData.{i}.",
        "ExecutionUnit.{i}.HostObject.{i}.",
        "ExecutionUnit.{i}.EnvVariable.{i}.",
    ):
        b.tables[SM + empty] = _empty

    def ro(path: str, get: Callable[[Any], Any]) -> None:
        b.specs[path] = spec_cls(get)

    def rw(path: str, get: Callable[[Any], Any], setter: P.Setter) -> None:
        b.specs[path] = spec_cls(get, node_setter(setter))

    # ExecEnv
    ro(ee + "Alias", lambda r: r.alias or f"cpe-ee-{r.index}")
    ro(ee + "Name", lambda r: r.name)
    ro(ee + "Type", lambda r: r.type)
    ro(ee + "Vendor", lambda r: r.vendor)
    ro(ee + "Version", lambda r: r.version)
    ro(ee + "Status", lambda r: r.status)
    ro(ee + "AllocatedDiskSpace", lambda r: r.disk_space or -1)
    ro(ee + "AllocatedMemory", lambda r: r.memory)
    ro(
        ee + "AvailableDiskSpace",
        _with_inv(lambda inv, r: inv.ee_available_kib(r)),
    )
    ro(
        ee + "ActiveExecutionUnits",
        _with_inv(lambda inv, r: ",".join(e.path for e in inv.active_eus(r))),
    )
    rw(
        ee + "Enable",
        lambda r: r.enabled,
        _eu_setter(lambda s, i, v: sw.set_ee_enabled(s, i, _bool(v))),
    )
    # DeploymentUnit
    ro(du + "UUID", lambda r: r.uuid)
    ro(du + "DUID", lambda r: r.duid)
    ro(du + "Alias", lambda r: r.alias or f"cpe-du-{r.index}")
    ro(du + "Name", lambda r: r.name)
    ro(du + "Status", lambda r: r.status)
    ro(du + "Resolved", lambda r: r.resolved)
    ro(du + "URL", lambda r: r.url)
    ro(du + "Description", lambda r: r.description)
    ro(du + "Vendor", lambda r: r.vendor)
    ro(du + "Version", lambda r: r.version)
    ro(du + "ExecutionUnitList", lambda r: ",".join(f"{SM}ExecutionUnit.{i}" for i in r.units))
    ro(du + "ExecutionEnvRef", lambda r: f"{SM}ExecEnv.{r.ee}")
    ro(du + "Installed", lambda r: r.installed)
    ro(du + "LastUpdate", lambda r: r.last_update)
    # ExecutionUnit
    ro(eu + "EUID", lambda r: r.euid)
    ro(eu + "Alias", lambda r: r.alias or f"cpe-eu-{r.index}")
    ro(eu + "Name", lambda r: r.name)
    ro(eu + "ExecEnvLabel", lambda r: r.name)
    ro(eu + "Status", lambda r: r.status)
    ro(eu + "ExecutionFaultCode", lambda r: r.fault_code)
    ro(eu + "ExecutionFaultMessage", lambda r: r.fault_message)
    ro(eu + "Vendor", lambda r: r.vendor)
    ro(eu + "Version", lambda r: r.version)
    ro(eu + "Description", lambda r: r.description)
    ro(eu + "RunLevel", lambda r: r.run_level)
    ro(eu + "ExecutionEnvRef", lambda r: f"{SM}ExecEnv.{r.ee}")
    ro(eu + "References", lambda r: f"{SM}DeploymentUnit.{r.du}")
    rw(eu + "RequestedState", lambda r: r.requested_state, _eu_setter(sw.set_requested_state))
    rw(
        eu + "AutoStart",
        lambda r: r.auto_start,
        _eu_setter(lambda s, i, v: sw.set_auto_start(s, i, _bool(v))),
    )


def _with_inv(fn: Callable[[D.Inventory, Any], Any]) -> Any:
    """A row getter that also needs the whole inventory (EE values summed over its DUs)."""
    from printbench.emulator.tr069.view import _rv

    return _rv(lambda row, view: fn(sw.inventory(view.state), row))
