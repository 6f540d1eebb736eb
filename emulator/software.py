"""The software modules of a virtual printer, for every face (TR-069, EWS, control API, IPP).

The rules (state machines, faults) are :mod:`printbench.cwmp.du`; the inventory lives in the
printer's state (``state.software.inventory``, so it survives reboots and every face sees
one truth); this module reads and writes it and carries out the changes made *at* the
printer: a module installed or removed through the EWS or the control API is recorded in
``state.software.local_change`` for the embedded TR-069 client to report
(AutonomousDUStateChangeComplete).

A profile lists the modules a model ships with (``software:`` section, see
``profiles/color-laser-mfp.yaml``): ExecEnvs by name, modules with the ExecEnv they run in.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from printbench.cwmp import du as D
from printbench.cwmp import soap
from printbench.cwmp_cpe.du_package import parse_package, parse_package_file


def inventory(state: Any) -> D.Inventory:
    """The printer's inventory (an unreadable one, which only a bug can make, is empty)."""
    return _cached(state.software.inventory)


_CACHE: dict[str, D.Inventory] = {}


def _cached(text: str) -> D.Inventory:
    """Parsed inventories by their JSON: faces read many values of one inventory at a
    time. Callers that change the inventory get a private copy (:func:`editable`)."""
    inv = _CACHE.get(text)
    if inv is None:
        try:
            inv = D.Inventory.from_json(text)
        except ValueError:
            inv = D.Inventory()
        if len(_CACHE) > 256:
            _CACHE.clear()
        _CACHE[text] = inv
    return inv


def editable(state: Any) -> D.Inventory:
    return D.Inventory.from_json(state.software.inventory)


def save(state: Any, inv: D.Inventory) -> None:
    state.software.inventory = inv.to_json()


def now(clock: Any) -> str:
    return soap.format_datetime(clock.now().replace(microsecond=0))


class PrinterSoftware:
    """``cwmp_cpe.software_modules.SoftwareDevice`` for a virtual printer."""

    def __init__(self, state: Any) -> None:
        self.state = state

    def load_inventory(self) -> D.Inventory:
        return editable(self.state)

    def save_inventory(self, inventory: D.Inventory) -> None:
        save(self.state, inventory)

    def read_package(self, path: Path) -> D.Package:
        return parse_package_file(path)


# --- changes made at the printer ----------------------------------------------------------------


def record_local(state: Any, outcomes: list[D.OpOutcome]) -> None:
    sw = state.software
    sw.local_change = json.dumps([o.to_json() for o in outcomes], separators=(",", ":"))
    sw.local_changes += 1


def local_outcomes(state: Any) -> list[D.OpOutcome]:
    try:
        return [D.OpOutcome.from_json(d) for d in json.loads(state.software.local_change or "[]")]
    except (ValueError, TypeError, AttributeError):
        return []


def install_local(state: Any, clock: Any, data: bytes | Path, url: str = "") -> D.OpOutcome:
    """Install a DU file at the printer (EWS upload, control API); recorded as a local change
    whether it worked or not (ResultTypeFilter may ask for failures too)."""
    start = now(clock)
    try:
        pkg = parse_package_file(data) if isinstance(data, Path) else parse_package(data)
        inv = editable(state)
        du = inv.install(pkg, url, now(clock))
        save(state, inv)
        outcome = inv.outcome("Install", du, start, now(clock), "Installed")
    except D.DuFault as exc:
        outcome = D.failed_outcome("Install", exc, uuid=None, version="", start=start,
                                   now=now(clock))  # fmt: skip
    record_local(state, [outcome])
    return outcome


def uninstall_local(state: Any, clock: Any, uuid: str) -> D.OpOutcome:
    start = now(clock)
    inv = editable(state)
    try:
        du = inv.find_uninstall_targets(_uninstall_op(uuid))[0]
        outcome = inv.outcome("Uninstall", du, start, now(clock), "Uninstalled")
        inv.uninstall(du)
        save(state, inv)
    except D.DuFault as exc:
        outcome = D.failed_outcome("Uninstall", exc, uuid=uuid, version="", start=start,
                                   now=now(clock))  # fmt: skip
    record_local(state, [outcome])
    return outcome


def _uninstall_op(uuid: str) -> Any:
    from printbench.cwmp import messages as m

    return m.UninstallOpStruct(uuid=uuid)


def set_requested_state(state: Any, eu_index: int, value: str) -> None:
    """``ExecutionUnit.{i}.RequestedState`` from any face: start or stop the EU. The
    transient Starting/Stopping states are passed at once (a virtual EU starts instantly)."""
    inv = editable(state)
    eu = inv.eu(eu_index)
    if eu is None:
        raise KeyError(f"no ExecutionUnit {eu_index}")
    inv.request_state(eu, value)
    inv.settle()
    save(state, inv)


def set_auto_start(state: Any, eu_index: int, value: bool) -> None:
    inv = editable(state)
    eu = inv.eu(eu_index)
    if eu is None:
        raise KeyError(f"no ExecutionUnit {eu_index}")
    eu.auto_start = value
    save(state, inv)


def set_ee_enabled(state: Any, ee_index: int, value: bool) -> None:
    inv = editable(state)
    ee = inv.ee(ee_index)
    if ee is None:
        raise KeyError(f"no ExecEnv {ee_index}")
    inv.set_ee_enabled(ee, value)
    save(state, inv)


# --- profiles ---------------------------------------------------------------------------------


#: Installed/LastUpdate of the modules a model ships with: TR-106's unknown time (they came
#: with the printer; when is not known). Being the same for every printer of a model, the
#: inventory text is too, and is shared (interned) across a fleet instead of kept per device.
SHIPPED = "0001-01-01T00:00:00Z"


def inventory_from_profile(section: dict[str, Any] | None, installed: str = SHIPPED) -> str:
    """The inventory JSON of a new printer from its profile's ``software`` section (already
    checked by the profile schema; ``emulator.profiles`` checks the names refer)."""
    inv = D.Inventory()
    if not section:
        return ""
    names: dict[str, D.ExecEnv] = {}
    for i, e in enumerate(section.get("exec_envs", []), 1):
        ee = D.ExecEnv(
            index=i, name=e["name"], type=e["type"], vendor=e.get("vendor", ""),
            version=e.get("version", ""), enabled=e.get("enabled", True),
            disk_space=e.get("disk_space", 0),
        )  # fmt: skip
        inv.exec_envs.append(ee)
        names[ee.name] = ee
    for mod in section.get("modules", []):
        ee = names[mod["exec_env"]]
        units = tuple(
            D.UnitSpec(
                name=u["name"],
                vendor=u.get("vendor", ""),
                version=u.get("version", ""),
                description=u.get("description", ""),
                auto_start=u.get("auto_start", False),
            )
            for u in mod.get("units", [])
        )
        pkg = D.Package(
            name=mod["name"], vendor=mod.get("vendor", ""), version=mod["version"],
            ee_type=ee.type, description=mod.get("description", ""), units=units,
            size=mod.get("size", 0),
        )  # fmt: skip
        inv.install(pkg, mod.get("url", ""), installed, uuid=mod.get("uuid") or None, ee=ee)
    return sys.intern(inv.to_json())


def summary(state: Any) -> dict[str, Any]:
    """What the EWS page and the control API show (JSON-able)."""
    inv = inventory(state)
    return {
        "exec_envs": [
            {
                "index": e.index,
                "name": e.name,
                "type": e.type,
                "vendor": e.vendor,
                "version": e.version,
                "status": e.status,
                "active_units": [u.name for u in inv.active_eus(e)],
            }
            for e in inv.exec_envs
        ],
        "deployment_units": [
            {
                "index": u.index,
                "uuid": u.uuid,
                "name": u.name,
                "version": u.version,
                "vendor": u.vendor,
                "status": u.status,
                "exec_env": u.ee,
                "url": u.url,
                "installed": u.installed,
                "execution_units": list(u.units),
            }
            for u in inv.units
        ],
        "execution_units": [
            {
                "index": e.index,
                "name": e.name,
                "status": e.status,
                "requested_state": e.requested_state,
                "auto_start": e.auto_start,
                "fault_code": e.fault_code,
                "deployment_unit": e.du,
                "exec_env": e.ee,
            }
            for e in inv.eus
        ],
    }
