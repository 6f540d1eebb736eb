"""ChangeDUState on a CPE: fetch DUs, apply them, report DUStateChangeComplete (I/O adapter).

The rules are in :mod:`printbench.cwmp.du` (pure); the device keeps its inventory and says
what a DU file means (:class:`SoftwareDevice`); this module does the rest, from outside the
session loop (``Cpe.register``, ``Cpe.add_event``, ``Cpe.session_requests``, the listeners):

- ``ChangeDUState`` is answered at once with ``ChangeDUStateResponse`` (TR-069 A.4.1.10: the
  operations are carried out after the response; an empty Operations list is 9003). The
  job is persisted before the answer, so a reboot or a restart does not lose it: after one,
  the operations not yet done are carried out again from the start of the one interrupted
  (TR-069 §3.7.1.5 keeps ``M ChangeDUState`` over a reboot; re-running an interrupted fetch
  is our choice, a DU half-fetched is useless).
- Each operation: checks that need no file (9022 UUID, 9023/9024 ExecEnv, 9028/9029/9031
  DU), the fetch (the Install/Update URL with the operation's Username/Password: HTTP
  basic or digest, streamed to disk, bounded by ``CpeConfig.max_download_size``), the
  device's check of the file (9018), then the inventory change (9025/9026/9027/9030/9032).
  Results keep the order of the operations (cwmp-1-2.xsd DUStateChangeComplete Results).
- Done: events ``11 DU STATE CHANGE COMPLETE`` and ``M ChangeDUState`` (CommandKey) are
  queued and the ``DUStateChangeComplete`` goes in every session until the ACS answers it
  with ``DUStateChangeCompleteResponse`` (events.py: both complete on that response).
- :meth:`SoftwareModuleAgent.local_change`: a module installed or removed at the printer
  (EWS, control API) becomes ``AutonomousDUStateChangeComplete`` with ``12 AUTONOMOUS DU
  STATE CHANGE COMPLETE`` when ``ManagementServer.DUStateChangeComplPolicy.`` lets it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any, Protocol

from printbench.cwmp import du as D
from printbench.cwmp import messages as m
from printbench.cwmp import soap
from printbench.cwmp_cpe.http import TransferError, fetch
from printbench.cwmp_cpe.store import MemoryStore, StateStore

log = logging.getLogger(__name__)

POLICY = "ManagementServer.DUStateChangeComplPolicy."
QUIRK = "no-du-state-change-complete"


class SoftwareDevice(Protocol):
    """What the device contributes: its inventory and the meaning of a DU file."""

    def load_inventory(self) -> D.Inventory: ...

    def save_inventory(self, inventory: D.Inventory) -> None: ...

    def read_package(self, path: Path) -> D.Package:
        """Check a fetched DU file (complete, on disk); DuFault(9018, ...) refuses it."""
        ...


class SoftwareModuleAgent:
    """ChangeDUState and the (Autonomous)DUStateChangeComplete reports of one CPE."""

    def __init__(self, cpe: Any, device: SoftwareDevice, store: StateStore | None = None) -> None:
        self.cpe = cpe
        self.device = device
        self.store: StateStore = store or MemoryStore()
        #: accepted ChangeDUStates not finished: {command_key, ops, results}
        self.jobs: list[dict[str, Any]] = []
        #: finished ones not yet acknowledged by the ACS: {command_key, results}
        self.done: list[dict[str, Any]] = []
        #: autonomous changes not yet acknowledged: OpOutcome JSON
        self.autonomous: list[dict[str, Any]] = []
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self.attached = False

    # -- wiring ---------------------------------------------------------------------------
    def attach(self) -> None:
        """Register on the CPE (before or after ``Cpe.start``) and restore the saved jobs."""
        if self.attached:
            return
        self.attached = True
        self.cpe.register(m.ChangeDUState, self.change_du_state)
        self.cpe.register(m.GetRPCMethods, self.get_rpc_methods)
        self.cpe.session_requests.append(self.session_requests)
        self.cpe.listeners.append(self._on_cpe_event)
        self._restore()

    def start(self) -> None:
        """Resume the jobs a restart interrupted (call on the CPE's event loop)."""
        for job in self.jobs:
            self._run(job)

    async def stop(self) -> None:
        tasks = list(self._tasks.values())
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        self._tasks.clear()
        self._save()

    def device_booted(self) -> None:
        """The device restarted: the operation at work is broken off and done again."""
        for key in list(self._tasks):
            self._tasks.pop(key).cancel()
        for job in self.jobs:
            self._run(job)

    def device_factory_reset(self) -> None:
        """A factory reset ends the relationship with the ACS (0 BOOTSTRAP): operations not
        yet done and reports not yet delivered are dropped, as the runtime drops its
        TransferComplete records."""
        for key in list(self._tasks):
            self._tasks.pop(key).cancel()
        self.jobs.clear()
        self.done.clear()
        self.autonomous.clear()
        self._save()

    async def idle(self) -> None:
        """Wait until no ChangeDUState is at work."""
        while self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    # -- persistence -------------------------------------------------------------------------
    def _save(self) -> None:
        try:
            self.store.save(
                {"version": 1, "jobs": self.jobs, "done": self.done, "autonomous": self.autonomous}
            )
        except Exception:
            log.exception("%s: cannot save the software module jobs", self.cpe.name)

    def _restore(self) -> None:
        data = self.store.load() or {}
        try:
            jobs = list(data.get("jobs", []))
            for job in jobs:
                D.ops_from_any(job["ops"])  # refuse what cannot be run again
            self.jobs = jobs
            self.done = list(data.get("done", []))
            self.autonomous = list(data.get("autonomous", []))
        except (KeyError, TypeError, ValueError) as exc:
            log.error("%s: saved ChangeDUState jobs unusable, dropped: %s", self.cpe.name, exc)

    # -- the RPC --------------------------------------------------------------------------------
    def _offered(self, namespace: str | None) -> bool:
        """ChangeDUState and DUStateChangeComplete came with cwmp-1-2 (TR-069 Amendment 3):
        a session in the 1-0 or 1-1 namespace has neither (methods_in_namespace)."""
        return namespace is None or "ChangeDUState" in m.methods_in_namespace(namespace)

    def _namespace(self) -> str | None:
        session = self.cpe.session
        return getattr(session, "namespace", None)

    def get_rpc_methods(self, req: m.GetRPCMethods) -> m.Message:
        methods = self.cpe.supported_methods()
        if not self._offered(self._namespace()):
            methods = tuple(x for x in methods if x != "ChangeDUState")
        return m.GetRPCMethodsResponse(methods)

    def change_du_state(self, req: m.ChangeDUState) -> m.Message:
        if not self._offered(self._namespace()):
            return m.Fault(9000, "ChangeDUState is not a method of this session's CWMP version")
        if not req.operations:
            return m.Fault(9003, "ChangeDUState without Operations")
        for op in req.operations:
            if isinstance(op, m.InstallOpStruct) and not op.url:
                return m.Fault(9003, "InstallOpStruct without URL")
        job = {
            "command_key": req.command_key or "",
            "ops": [D.op_to_json(op) for op in req.operations],
            "results": [],
        }
        self.jobs.append(job)
        self._save()
        self._run(job)
        return m.ChangeDUStateResponse()

    def _run(self, job: dict[str, Any]) -> None:
        key = id(job)
        if key in self._tasks and not self._tasks[key].done():
            return
        self._tasks[key] = asyncio.create_task(
            self._run_job(job), name=f"ChangeDUState {job['command_key']}"
        )

    def _now(self) -> str:
        return soap.format_datetime(self.cpe.clock.now().replace(microsecond=0))

    async def _run_job(self, job: dict[str, Any]) -> None:
        try:
            ops = D.ops_from_any(job["ops"])
            while len(job["results"]) < len(ops):
                op = ops[len(job["results"])]
                try:
                    outcome = await self._operation(op)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    # Never a job that hangs unreported: the operation fails (9001 is the
                    # one general code DeploymentUnitFaultStruct allows) and the next runs.
                    log.exception("%s: %s failed", self.cpe.name, D.operation_name(op))
                    outcome = D.failed_outcome(
                        D.operation_name(op),
                        D.DuFault(9001, f"internal error: {type(exc).__name__}: {exc}"),
                        uuid=getattr(op, "uuid", None),
                        version=getattr(op, "version", None) or "",
                        start=self._now(),
                        now=self._now(),
                    )
                job["results"].append(outcome.to_json())
                self._save()
            self._finish(job)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s: ChangeDUState %s failed", self.cpe.name, job["command_key"])
        finally:
            task = self._tasks.get(id(job))
            if task is asyncio.current_task():
                self._tasks.pop(id(job), None)

    def _finish(self, job: dict[str, Any]) -> None:
        with contextlib.suppress(ValueError):
            self.jobs.remove(job)
        if QUIRK in self.cpe.quirks:
            self._save()
            return
        self.done.append({"command_key": job["command_key"], "results": job["results"]})
        self._save()
        self.cpe.add_event("11 DU STATE CHANGE COMPLETE")
        self.cpe.add_event("M ChangeDUState", job["command_key"])

    async def _operation(self, op: m.OperationStruct) -> D.OpOutcome:
        name = D.operation_name(op)
        start = self._now()
        inv = self.device.load_inventory()
        target: D.DeploymentUnit | None = None
        uuid = getattr(op, "uuid", None)
        try:
            if isinstance(op, m.UninstallOpStruct):
                targets = inv.find_uninstall_targets(op)
                outcome = D.OpOutcome("Uninstall")
                for du in targets:
                    target = du
                    outcome = inv.outcome("Uninstall", du, start, self._now(), "Uninstalled")
                    inv.uninstall(du)
                self.device.save_inventory(inv)
                return outcome
            if isinstance(op, m.InstallOpStruct):
                ee = inv.check_install(op)
                if op.uuid and any(u.uuid.lower() == op.uuid.lower() and (ee is None or
                                   u.ee == ee.index) for u in inv.units):  # fmt: skip
                    raise D.DuFault(9026, f"a Deployment Unit with UUID {op.uuid} is installed")
                pkg = await self._fetch(op.url, op.username or "", op.password or "")
                inv = self.device.load_inventory()  # it may have changed while fetching
                ee = inv.check_install(op)
                du = inv.install(pkg, op.url, self._now(), uuid=op.uuid, ee=ee)
                self.device.save_inventory(inv)
                return inv.outcome("Install", du, start, self._now(), "Installed")
            assert isinstance(op, m.UpdateOpStruct)
            targets = inv.find_update_targets(op)
            target = targets[0]
            url = op.url or target.url
            pkg = await self._fetch(url, op.username or "", op.password or "")
            inv = self.device.load_inventory()
            targets = inv.find_update_targets(op)
            target = targets[0]
            du = inv.update(target, pkg, url, self._now())
            self.device.save_inventory(inv)
            return inv.outcome("Update", du, start, self._now(), "Installed")
        except D.DuFault as exc:
            log.info("%s: %s failed: %s", self.cpe.name, name, exc)
            version = getattr(op, "version", None) or ""
            return D.failed_outcome(
                name, exc, uuid=uuid, version=version, start=start, now=self._now(),
                du=target if name != "Install" else None,
            )  # fmt: skip

    async def _fetch(self, url: str, username: str, password: str) -> D.Package:
        cfg = self.cpe.config
        try:
            got = await fetch(
                url,
                username,
                password,
                timeout=cfg.transfer_timeout,
                max_size=cfg.max_download_size,
                directory=cfg.download_dir,
            )
        except TransferError as exc:
            raise D.DuFault(D.du_fault_code(exc.code), exc.message) from None
        try:
            return await asyncio.to_thread(self.device.read_package, got.path)
        finally:
            got.path.unlink(missing_ok=True)

    # -- autonomous changes -------------------------------------------------------------------
    def policy(self) -> D.ComplPolicy:
        root = self.cpe.config.root + POLICY
        names = ["Enable", "OperationTypeFilter", "ResultTypeFilter", "FaultCodeFilter"]
        try:
            values = self.cpe.tree.get_parameter_values([root + n for n in names])
        except Exception:
            return D.ComplPolicy()  # the model has no policy: the default, Enable false
        return D.ComplPolicy.from_values({v.name[len(root) :]: v.value for v in values})

    def local_change(self, outcomes: list[D.OpOutcome]) -> bool:
        """Changes made at the device; reported if the policy says so. True if queued."""
        policy = self.policy()
        wanted = [o for o in outcomes if policy.allows(o)]
        if not wanted or QUIRK in self.cpe.quirks:
            return False
        if self.cpe.version_cap in ("1.0", "1.1"):
            return False  # no AutonomousDUStateChangeComplete before cwmp-1-2 (nor event 12)
        self.autonomous.extend(o.to_json() for o in wanted)
        self._save()
        self.cpe.add_event("12 AUTONOMOUS DU STATE CHANGE COMPLETE")
        return True

    # -- in the sessions ----------------------------------------------------------------------
    def session_requests(self, namespace: str) -> list[m.Message]:
        out: list[m.Message] = []
        if not self._offered(namespace):
            return out  # kept until a session of a version that has them
        for rec in self.done:
            results = tuple(D.OpOutcome.from_json(r).op_result() for r in rec["results"])
            out.append(m.DUStateChangeComplete(results, rec["command_key"] or None))
        if self.autonomous:
            results_a = tuple(D.OpOutcome.from_json(r).auton_op_result() for r in self.autonomous)
            out.append(m.AutonomousDUStateChangeComplete(results_a))
        return out

    def _on_cpe_event(self, what: str, data: Any) -> None:
        if what != "acknowledged":
            return
        if isinstance(data, m.DUStateChangeComplete):
            key = data.command_key or ""
            for rec in self.done:
                if rec["command_key"] == key:
                    self.done.remove(rec)
                    break
            self.cpe.queue.on_du_state_change_complete_response(key)
            self._save()
        elif isinstance(data, m.AutonomousDUStateChangeComplete):
            sent = len(data.results)
            del self.autonomous[:sent]
            self.cpe.queue.on_autonomous_du_state_change_complete_response(
                more_pending=bool(self.autonomous)
            )
            self._save()
