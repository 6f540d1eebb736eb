"""Software module management without I/O: ExecEnvs, DeploymentUnits, ExecutionUnits.

TR-069 Amendment 6 Annex H ("Software Module Management UUID Usage" and the SMM concepts)
with the RPCs of A.4.1.10 ChangeDUState and, among the ACS methods of A.4.2,
DUStateChangeComplete and AutonomousDUStateChangeComplete, and TR-181 2.17 ``Device.SoftwareModules.`` (the tables and
their state machines). Everything here is a pure function of an :class:`Inventory` and the
arguments; the CPE adapter (``cwmp_cpe.software_modules``) fetches files and sends messages,
the device keeps the inventory in its state.

State machines (TR-181 ``DeploymentUnit.{i}.Status`` and ``ExecutionUnit.{i}.Status``):

- DU: ``Installing`` → ``Installed``; ``Installed`` → ``Updating`` → ``Installed``;
  ``Installed`` → ``Uninstalling`` → ``Uninstalled`` (the row then goes away). An Install
  that fails never creates a row: its OpResultStruct says ``Failed`` (cwmp-1-2.xsd
  DeploymentUnitState: "the Deployment Unit instance could not be created").
- EU: ``Idle`` → ``Starting`` → ``Active`` → ``Stopping`` → ``Idle``, driven by the writable
  ``RequestedState`` (Idle/Active); :meth:`Inventory.settle` completes the transient states.
  An EU whose ExecEnv is disabled cannot start (``ExecutionFaultCode`` ``UnStartable``);
  disabling an ExecEnv stops its EUs (TR-181 ``ExecEnv.{i}.Enable``: "when disabled, the
  Execution Units running in it are stopped", as we read the description).

Faults (cwmp-1-2.xsd ``DeploymentUnitCPEFaultCodeType`` allows 9001, 9003, 9012, 9013,
9015-9018, 9022-9032 in an OpResultStruct; names from the XSD's CPEFaultCodeType comment):
9022 Invalid UUID Format, 9023 Unknown Execution Environment, 9024 Disabled Execution
Environment, 9025 Deployment Unit to Execution Environment Mismatch, 9026 Duplicate
Deployment Unit, 9027 System Resources Exceeded, 9028 Unknown Deployment Unit, 9029 Invalid
Deployment Unit State, 9030 Invalid Deployment Unit Update – Downgrade not permitted, 9031 –
Version not specified, 9032 – Version already exists. Which operation condition raises which
code is our reading of those names; the Annex A prose was not available to quote, so each
rule below names its source as far as we could check it.
"""

from __future__ import annotations

import json
import re
import uuid as _uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any

from printbench.cwmp import messages as m
from printbench.cwmp.soap import parse_datetime

SM = "Device.SoftwareModules."

#: cwmp-1-2.xsd DeploymentUnitUUID pattern (RFC 4122 textual form).
UUID_RE = re.compile(r"[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}")
#: Put in an OpResultStruct whose UUID is not known (a failed Install without UUID whose
#: file never arrived): the XSD makes UUID mandatory and the nil UUID matches its pattern.
NIL_UUID = "00000000-0000-0000-0000-000000000000"
#: Namespace of the UUIDs the CPE generates for an Install without UUID. TR-069 Annex H asks
#: for a version 5 (SHA-1 name-based, RFC 4122 §4.3) UUID over the DU's Vendor and Name, so
#: the same DU gets the same UUID on every device (our reading; the Annex's namespace value
#: was not at hand, this one is printbench's own).
UUID_NAMESPACE = _uuid.UUID("6ba7b812-9dad-11d1-80b4-00c04fd430c8")  # RFC 4122 NameSpace_OID

#: cwmp-1-2.xsd DeploymentUnitCPEFaultCodeType.
DU_FAULT_CODES = frozenset({9001, 9003, 9012, 9013, 9015, 9016, 9017, 9018, *range(9022, 9033)})

DU_STATES = ("Installing", "Installed", "Updating", "Uninstalling", "Uninstalled")
EU_STATES = ("Idle", "Starting", "Active", "Stopping")
OPERATIONS = ("Install", "Update", "Uninstall")


class DuFault(Exception):
    """An operation that cannot be carried out; ``code`` is the OpResultStruct fault."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message


def du_fault_code(transfer_code: int) -> int:
    """The DU fault for a file transfer failure (``cwmp_cpe.http`` codes).

    9010 (general failure) and 9014/9019/9020 are not in DeploymentUnitCPEFaultCodeType, so
    they become the nearest allowed code: a file over the size bound → 9027 System Resources
    Exceeded, the rest → 9017 unable to complete download (or 9018 for a bad signature).
    """
    if transfer_code in DU_FAULT_CODES:
        return transfer_code
    return {9010: 9027, 9019: 9018}.get(transfer_code, 9017)


def is_uuid(text: str) -> bool:
    return UUID_RE.fullmatch(text) is not None


def generated_uuid(vendor: str, name: str) -> str:
    """The UUID of a DU installed without one (see :data:`UUID_NAMESPACE`)."""
    return str(_uuid.uuid5(UUID_NAMESPACE, f"{vendor}{name}"))


def version_key(version: str) -> tuple[tuple[int, str], ...]:
    """Dotted versions compared part by part, numbers as numbers (1.10 > 1.9)."""
    return tuple((int(p), "") if p.isdigit() else (-1, p) for p in re.split(r"[.\-_]", version))


# --- what a DU file contains -------------------------------------------------------------------


@dataclass(frozen=True)
class UnitSpec:
    """One ExecutionUnit a DU provides."""

    name: str
    vendor: str = ""
    version: str = ""
    description: str = ""
    auto_start: bool = False


@dataclass(frozen=True)
class Package:
    """The meaning of a DU file, as the device read it (see ``cwmp_cpe.du_package``)."""

    name: str
    vendor: str
    version: str
    ee_type: str  # which ExecEnv.Type runs it (TR-181 ExecEnv.{i}.Type)
    description: str = ""
    units: tuple[UnitSpec, ...] = ()
    size: int = 0  # bytes on disk once installed


# --- the tables ------------------------------------------------------------------------------


@dataclass
class ExecEnv:
    index: int
    name: str
    type: str
    vendor: str = ""
    version: str = ""
    enabled: bool = True
    disk_space: int = 0  # KiB the EE may use (TR-181 AllocatedDiskSpace); 0: unbounded
    memory: int = -1  # KiB (TR-181 AllocatedMemory; -1 unknown)
    alias: str = ""

    @property
    def path(self) -> str:
        return f"{SM}ExecEnv.{self.index}"

    @property
    def status(self) -> str:
        return "Up" if self.enabled else "Disabled"


@dataclass
class DeploymentUnit:
    index: int
    uuid: str
    name: str
    version: str
    vendor: str
    ee: int  # ExecEnv index
    status: str = "Installed"
    url: str = ""
    description: str = ""
    resolved: bool = True
    units: list[int] = field(default_factory=list)  # ExecutionUnit indexes
    size: int = 0
    installed: str = "0001-01-01T00:00:00Z"
    last_update: str = "0001-01-01T00:00:00Z"
    alias: str = ""

    @property
    def path(self) -> str:
        return f"{SM}DeploymentUnit.{self.index}"

    @property
    def duid(self) -> str:
        return f"du-{self.index}"


@dataclass
class ExecutionUnit:
    index: int
    name: str
    du: int
    ee: int
    vendor: str = ""
    version: str = ""
    description: str = ""
    status: str = "Idle"
    requested_state: str = "Idle"
    auto_start: bool = False
    run_level: int = 0
    fault_code: str = "NoFault"
    fault_message: str = ""
    alias: str = ""

    @property
    def path(self) -> str:
        return f"{SM}ExecutionUnit.{self.index}"

    @property
    def euid(self) -> str:
        return f"eu-{self.index}"


@dataclass
class OpOutcome:
    """What one operation did: everything an OpResultStruct / AutonOpResultStruct says."""

    operation: str
    uuid: str = NIL_UUID
    du_ref: str = ""
    version: str = ""
    current_state: str = "Failed"
    resolved: bool = False
    eu_refs: tuple[str, ...] = ()
    start_time: str = "0001-01-01T00:00:00Z"
    complete_time: str = "0001-01-01T00:00:00Z"
    fault_code: int = 0
    fault_string: str = ""

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "eu_refs": list(self.eu_refs)}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> OpOutcome:
        known = {f.name for f in fields(cls)}
        data = {k: v for k, v in d.items() if k in known}
        data["eu_refs"] = tuple(data.get("eu_refs", ()))
        return cls(**data)

    def _common(self) -> dict[str, Any]:
        return {
            "uuid": self.uuid if is_uuid(self.uuid) else NIL_UUID,
            "deployment_unit_ref": self.du_ref,
            "version": self.version,
            "current_state": self.current_state,
            "resolved": self.resolved,
            "execution_unit_ref_list": ",".join(self.eu_refs),
            "start_time": _dt(self.start_time),
            "complete_time": _dt(self.complete_time),
            "fault": m.DeploymentUnitFaultStruct(
                self.fault_code, self.fault_string[:256] if self.fault_code else None
            ),
        }

    def op_result(self) -> m.OpResultStruct:
        return m.OpResultStruct(**self._common())

    def auton_op_result(self) -> m.AutonOpResultStruct:
        return m.AutonOpResultStruct(**self._common(), operation_performed=self.operation)


def _dt(text: str) -> datetime:
    return parse_datetime(text)


# --- the inventory -------------------------------------------------------------------------


@dataclass
class Inventory:
    """A device's ExecEnvs, DUs and EUs. Plain data: ``to_json``/``from_json`` round-trip."""

    exec_envs: list[ExecEnv] = field(default_factory=list)
    units: list[DeploymentUnit] = field(default_factory=list)
    eus: list[ExecutionUnit] = field(default_factory=list)
    next_du: int = 1
    next_eu: int = 1

    # -- persistence -------------------------------------------------------------------
    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Inventory:
        if not text:
            return cls()
        try:
            d = json.loads(text)
            return cls(
                [ExecEnv(**e) for e in d.get("exec_envs", [])],
                [DeploymentUnit(**u) for u in d.get("units", [])],
                [ExecutionUnit(**e) for e in d.get("eus", [])],
                int(d.get("next_du", 1)),
                int(d.get("next_eu", 1)),
            )
        except (ValueError, TypeError, AttributeError) as exc:
            raise ValueError(f"software module inventory unreadable: {exc}") from None

    # -- lookups -------------------------------------------------------------------------
    def ee(self, index: int) -> ExecEnv | None:
        return next((e for e in self.exec_envs if e.index == index), None)

    def du(self, index: int) -> DeploymentUnit | None:
        return next((u for u in self.units if u.index == index), None)

    def eu(self, index: int) -> ExecutionUnit | None:
        return next((e for e in self.eus if e.index == index), None)

    def eus_of(self, du: DeploymentUnit) -> list[ExecutionUnit]:
        return [e for e in self.eus if e.du == du.index]

    def ee_by_ref(self, ref: str) -> ExecEnv:
        """The ExecEnv an ExecutionEnvRef names (its full object path, trailing dot or not).

        9023 Unknown Execution Environment otherwise."""
        mt = re.fullmatch(re.escape(SM) + r"ExecEnv\.(\d+)\.?", ref.strip())
        ee = self.ee(int(mt.group(1))) if mt else None
        if ee is None:
            raise DuFault(9023, f"ExecutionEnvRef {ref!r} names no ExecEnv of this device")
        return ee

    def ee_used_kib(self, ee: ExecEnv) -> int:
        return sum((u.size + 1023) // 1024 for u in self.units if u.ee == ee.index)

    def ee_available_kib(self, ee: ExecEnv) -> int:
        return -1 if not ee.disk_space else max(0, ee.disk_space - self.ee_used_kib(ee))

    # -- ChangeDUState: checks before the file is fetched -----------------------------------
    def check_install(self, op: m.InstallOpStruct) -> ExecEnv | None:
        """Faults an Install can be refused with before its file is fetched."""
        if op.uuid and not is_uuid(op.uuid):
            raise DuFault(9022, f"UUID {op.uuid!r} is not an RFC 4122 UUID")
        if not op.url:
            raise DuFault(9003, "Install without URL")
        if op.execution_env_ref:
            ee = self.ee_by_ref(op.execution_env_ref)
            if not ee.enabled:
                raise DuFault(9024, f"{ee.path} is disabled")
            return ee
        return None

    def find_update_targets(self, op: m.UpdateOpStruct) -> list[DeploymentUnit]:
        """The DUs an Update addresses: by UUID (and Version), else by URL (TR-069 A.4.1.10
        UpdateOpStruct: with no UUID the URL picks the DU; our reading)."""
        if op.uuid:
            if not is_uuid(op.uuid):
                raise DuFault(9022, f"UUID {op.uuid!r} is not an RFC 4122 UUID")
            found = [u for u in self.units if u.uuid.lower() == op.uuid.lower()]
        elif op.url:
            found = [u for u in self.units if u.url == op.url]
        else:
            raise DuFault(9003, "Update with neither UUID nor URL")
        if not found:
            raise DuFault(9028, f"no Deployment Unit with UUID {op.uuid or '-'} / URL {op.url}")
        if op.version:
            found = [u for u in found if u.version == op.version]
            if not found:
                raise DuFault(9028, f"no Deployment Unit {op.uuid} of Version {op.version}")
        elif len(found) > 1:
            raise DuFault(9031, f"{len(found)} versions of {op.uuid} are installed; say which")
        for u in found:
            if u.status != "Installed":
                raise DuFault(9029, f"{u.path} is {u.status}, not Installed")
        ee = self.ee(found[0].ee)
        if ee is not None and not ee.enabled:
            raise DuFault(9024, f"{ee.path} is disabled")
        return found

    def find_uninstall_targets(self, op: m.UninstallOpStruct) -> list[DeploymentUnit]:
        if not is_uuid(op.uuid):
            raise DuFault(9022, f"UUID {op.uuid!r} is not an RFC 4122 UUID")
        found = [u for u in self.units if u.uuid.lower() == op.uuid.lower()]
        if op.execution_env_ref:
            ee = self.ee_by_ref(op.execution_env_ref)
            found = [u for u in found if u.ee == ee.index]
        if op.version:
            found = [u for u in found if u.version == op.version]
        if not found:
            raise DuFault(9028, f"no Deployment Unit {op.uuid} {op.version or ''}".strip())
        for u in found:
            if u.status != "Installed":
                raise DuFault(9029, f"{u.path} is {u.status}, not Installed")
        return found

    # -- ChangeDUState: applying ---------------------------------------------------------------
    def install(
        self,
        pkg: Package,
        url: str,
        now: str,
        *,
        uuid: str | None = None,
        ee: ExecEnv | None = None,
    ) -> DeploymentUnit:
        """Create the DU (Installing → Installed) and its EUs (Idle; AutoStart ones started)."""
        if ee is None:
            ee = next((e for e in self.exec_envs if e.type == pkg.ee_type), None)
            if ee is None:
                raise DuFault(9025, f"no ExecEnv of type {pkg.ee_type!r} runs this DU")
            if not ee.enabled:
                raise DuFault(9024, f"{ee.path} is disabled")
        elif ee.type != pkg.ee_type:
            raise DuFault(9025, f"DU is for {pkg.ee_type!r}, {ee.path} is {ee.type!r}")
        du_uuid = uuid or generated_uuid(pkg.vendor, pkg.name)
        for u in self.units:
            if u.uuid.lower() == du_uuid.lower() and u.ee == ee.index:
                code = 9026
                raise DuFault(code, f"{u.path} already has UUID {du_uuid} in {ee.path}")
        avail = self.ee_available_kib(ee)
        if avail >= 0 and (pkg.size + 1023) // 1024 > avail:
            raise DuFault(9027, f"DU needs {pkg.size} bytes, {ee.path} has {avail} KiB left")
        du = DeploymentUnit(
            index=self.next_du, uuid=du_uuid, name=pkg.name, version=pkg.version,
            vendor=pkg.vendor, ee=ee.index, status="Installing", url=url,
            description=pkg.description, size=pkg.size, installed=now, last_update=now,
        )  # fmt: skip
        self.next_du += 1
        self.units.append(du)
        self._make_units(du, pkg, ee)
        du.status = "Installed"
        self.settle()
        return du

    def _make_units(self, du: DeploymentUnit, pkg: Package, ee: ExecEnv) -> None:
        du.units = []
        for spec in pkg.units:
            eu = ExecutionUnit(
                index=self.next_eu, name=spec.name, du=du.index, ee=ee.index,
                vendor=spec.vendor or pkg.vendor, version=spec.version or pkg.version,
                description=spec.description, auto_start=spec.auto_start,
            )  # fmt: skip
            self.next_eu += 1
            self.eus.append(eu)
            du.units.append(eu.index)
            if spec.auto_start:
                self.request_state(eu, "Active")

    def update(self, du: DeploymentUnit, pkg: Package, url: str, now: str) -> DeploymentUnit:
        """Installed → Updating → Installed with the new version; EUs replaced, the ones that
        were running started again. 9032 same version, 9030 older version (downgrade)."""
        if pkg.version == du.version:
            raise DuFault(9032, f"{du.path} already is version {du.version}")
        if version_key(pkg.version) < version_key(du.version):
            raise DuFault(9030, f"{pkg.version} is older than the installed {du.version}")
        ee = self.ee(du.ee)
        if ee is None or ee.type != pkg.ee_type:
            raise DuFault(9025, f"the update is for {pkg.ee_type!r}, not {ee.type if ee else '-'}")
        du.status = "Updating"
        running = {e.name for e in self.eus_of(du) if e.requested_state == "Active"}
        self._drop_units(du)
        du.version, du.vendor, du.description = pkg.version, pkg.vendor, pkg.description
        du.url, du.size, du.last_update = url, pkg.size, now
        self._make_units(du, pkg, ee)
        for eu in self.eus_of(du):
            if eu.name in running:
                self.request_state(eu, "Active")
        du.status = "Installed"
        self.settle()
        return du

    def uninstall(self, du: DeploymentUnit) -> DeploymentUnit:
        """Installed → Uninstalling (EUs stopped) → Uninstalled; the row is removed."""
        du.status = "Uninstalling"
        self._drop_units(du)
        du.status = "Uninstalled"
        self.units.remove(du)
        return du

    def _drop_units(self, du: DeploymentUnit) -> None:
        for eu in self.eus_of(du):
            self.request_state(eu, "Idle")
        self.settle()
        self.eus = [e for e in self.eus if e.du != du.index]
        du.units = []

    # -- EU and EE state ------------------------------------------------------------------
    def request_state(self, eu: ExecutionUnit, state: str) -> None:
        """A write of ``RequestedState`` (TR-181 ExecutionUnit.{i}.RequestedState): Active
        starts an Idle EU (Starting), Idle stops an Active one (Stopping). An EU in a
        disabled ExecEnv does not start and says UnStartable."""
        if state not in ("Idle", "Active"):
            raise ValueError(f"RequestedState must be Idle or Active, not {state!r}")
        eu.requested_state = state
        if state == "Active":
            ee = self.ee(eu.ee)
            if ee is None or not ee.enabled:
                eu.fault_code, eu.fault_message = "UnStartable", "its ExecEnv is disabled"
                return
            if eu.status in ("Idle", "Stopping"):
                eu.status = "Starting"
                eu.fault_code, eu.fault_message = "NoFault", ""
        elif eu.status in ("Active", "Starting"):
            eu.status = "Stopping"

    def settle(self) -> None:
        """Finish the transient EU states: Starting → Active, Stopping → Idle."""
        for eu in self.eus:
            if eu.status == "Starting":
                eu.status = "Active"
            elif eu.status == "Stopping":
                eu.status = "Idle"

    def set_ee_enabled(self, ee: ExecEnv, enabled: bool) -> None:
        """``ExecEnv.{i}.Enable``: disabling stops every EU in it (RequestedState stays, so
        enabling again restarts the ones that were asked to run, and AutoStart ones)."""
        ee.enabled = enabled
        for eu in self.eus:
            if eu.ee != ee.index:
                continue
            if not enabled and eu.status in ("Active", "Starting"):
                eu.status = "Stopping"
            elif enabled and (eu.requested_state == "Active" or eu.auto_start):
                self.request_state(eu, "Active")
        self.settle()

    def active_eus(self, ee: ExecEnv) -> list[ExecutionUnit]:
        return [e for e in self.eus if e.ee == ee.index and e.status == "Active"]

    def outcome(self, op: str, du: DeploymentUnit, start: str, now: str, state: str) -> OpOutcome:
        return OpOutcome(
            operation=op, uuid=du.uuid, du_ref=du.path, version=du.version,
            current_state=state, resolved=du.resolved,
            eu_refs=tuple(f"{SM}ExecutionUnit.{i}" for i in du.units),
            start_time=start, complete_time=now,
        )  # fmt: skip


# --- DUStateChangeComplPolicy ------------------------------------------------------------------


@dataclass(frozen=True)
class ComplPolicy:
    """TR-181 ``ManagementServer.DUStateChangeComplPolicy.``: which autonomous changes the
    CPE reports with AutonomousDUStateChangeComplete. ``Enable`` false (its default) reports
    none; OperationTypeFilter lists the operations reported; ResultTypeFilter Success,
    Failure or Both; FaultCodeFilter the fault codes of failures reported (empty: all)."""

    enable: bool = False
    operations: tuple[str, ...] = ()
    results: str = "Both"
    fault_codes: tuple[int, ...] = ()

    @classmethod
    def from_values(cls, values: dict[str, str]) -> ComplPolicy:
        def items(key: str) -> list[str]:
            return [x.strip() for x in values.get(key, "").split(",") if x.strip()]

        return cls(
            enable=values.get("Enable", "false").lower() in ("1", "true"),
            operations=tuple(items("OperationTypeFilter")),
            results=values.get("ResultTypeFilter", "Both") or "Both",
            fault_codes=tuple(int(c) for c in items("FaultCodeFilter") if c.isdigit()),
        )

    def allows(self, outcome: OpOutcome) -> bool:
        if not self.enable or outcome.operation not in self.operations:
            return False
        failed = outcome.fault_code != 0
        if (self.results == "Success" and failed) or (self.results == "Failure" and not failed):
            return False
        return not (failed and self.fault_codes and outcome.fault_code not in self.fault_codes)


def failed_outcome(op: str, exc: DuFault, *, uuid: str | None, version: str, start: str,
                   now: str, du: DeploymentUnit | None = None) -> OpOutcome:  # fmt: skip
    """The result of an operation that did not happen: an Install that fails leaves no DU
    (CurrentState Failed); a failed Update or Uninstall leaves the DU as it was."""
    code = exc.code if exc.code in DU_FAULT_CODES else 9001
    if du is not None:
        return OpOutcome(
            operation=op, uuid=du.uuid, du_ref=du.path, version=du.version,
            current_state="Installed", resolved=du.resolved,
            eu_refs=tuple(f"{SM}ExecutionUnit.{i}" for i in du.units),
            start_time=start, complete_time=now, fault_code=code, fault_string=exc.message,
        )  # fmt: skip
    return OpOutcome(
        operation=op, uuid=uuid or NIL_UUID, version=version, current_state="Failed",
        start_time=start, complete_time=now, fault_code=code, fault_string=exc.message,
    )  # fmt: skip


def operation_name(op: m.OperationStruct) -> str:
    return {"InstallOpStruct": "Install", "UpdateOpStruct": "Update"}.get(op.XSI_TYPE, "Uninstall")


def op_to_json(op: m.OperationStruct) -> dict[str, Any]:
    return {"type": op.XSI_TYPE, **{f.name: getattr(op, f.name) for f in fields(op)}}  # type: ignore[arg-type]


def op_from_json(d: dict[str, Any]) -> m.OperationStruct:
    cls = m.OPERATION_TYPES.get(str(d.get("type")))
    if cls is None:
        raise ValueError(f"unknown ChangeDUState operation type {d.get('type')!r}")
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: v for k, v in d.items() if k in known})


def ops_from_any(items: Iterable[Any]) -> list[m.OperationStruct]:
    return [i if isinstance(i, m.OperationStruct) else op_from_json(i) for i in items]
