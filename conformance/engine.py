"""The engine: runs scenarios against the devices of a target and collects results.

Why per device and in parallel: a scenario says what one CPE must do; the built-in target has
one virtual printer per profile, each reachable through its embedded client and through the
proxy, so a scenario runs once per (printer, path). Printers are independent, so each printer
runs its scenarios one after another (both paths: they share the printer's state) while all
printers run at once in one event loop.

A scenario passes when every step passed *and* the stub ACS judged every envelope the device
sent meanwhile to follow the protocol rules (mandatory rules only, minus the ones the scenario
lists under ``verdicts: ignore``): no scenario can pass while the CPE breaks TR-069 under it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from printbench.acs_stub.control import ConnectionRequestError
from printbench.acs_stub.journal import pretty_xml
from printbench.conformance.scenario import Scenario, Step
from printbench.conformance.steps import (
    STEPS,
    DeviceGone,
    StepFailed,
    StepSkipped,
    Substituter,
    response_json,
)
from printbench.cwmp import soap
from printbench.datamodel.loader import load_spec
from printbench.emulator.control import ControlError

log = logging.getLogger(__name__)

#: Journal entries shown around a failing step.
ENVELOPES_AROUND = 8


@dataclass
class StepResult:
    number: str
    action: str
    label: str
    line: int
    status: str  # passed | failed | skipped | error
    message: str = ""
    seconds: float = 0.0


@dataclass
class Cell:
    """One parameter × device check for the report's matrix."""

    parameter: str
    device: str
    profile: str | None
    via: str
    kind: str  # read | write
    status: str  # pass | fail | n/a
    detail: str = ""


@dataclass
class ScenarioResult:
    scenario: str
    title: str
    area: str
    requirement: str
    device: str
    profile: str | None
    via: str
    status: str  # passed | failed | error | skipped | blocked (the device was away, see cause)
    message: str = ""
    file: str = ""
    line: int = 0
    failed_step: str | None = None
    failed_where: str | None = None
    seconds: float = 0.0
    steps: list[StepResult] = field(default_factory=list)
    violations: list[dict[str, Any]] = field(default_factory=list)
    envelopes: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reference: list[str] = field(default_factory=list)
    purpose: str = ""

    @property
    def mandatory(self) -> bool:
        return self.requirement == "mandatory"


@dataclass
class RunResult:
    target: str
    target_kind: str
    started: str
    seconds: float
    results: list[ScenarioResult]
    cells: list[Cell]
    devices: list[dict[str, Any]]
    journal_path: str | None = None

    def counts(self) -> dict[str, int]:
        out = {"passed": 0, "failed": 0, "error": 0, "skipped": 0, "blocked": 0}
        for r in self.results:
            out[r.status] = out.get(r.status, 0) + 1
        return out

    @property
    def mandatory_failures(self) -> list[ScenarioResult]:
        return [r for r in self.results if r.mandatory and r.status in ("failed", "error")]

    @property
    def ok(self) -> bool:
        return not self.mandatory_failures and any(r.status == "passed" for r in self.results)


@dataclass
class InformRecord:
    index: int
    device: str
    inform: Any
    at: float  # device clock, seconds
    ref: int  # journal position when it arrived
    namespace: str = ""

    @property
    def events(self) -> list[str]:
        return [e.event_code for e in self.inform.event]


class InformTap:
    """Every Inform the stub ACS accepts, in order (scenarios wait on it without races)."""

    def __init__(self, acs: Any, clock_for: Callable[[str], Any]) -> None:
        self.records: list[InformRecord] = []
        self._acs = acs
        self._changed = asyncio.Event()
        self._clock_for = clock_for
        self._future = acs.server.inform_waiter(self._see)

    def _see(self, device: Any, inform: Any) -> bool:
        clock = self._clock_for(device.id)
        ref = (
            self._acs.last_journal_ref()
        )
        session = self._acs.server.current_session(device.id)
        namespace = session.namespace if session is not None else ""
        self.records.append(
            InformRecord(len(self.records), device.id, inform, clock.monotonic(), ref, namespace)
        )
        self._changed.set()
        return False  # never resolve: stay subscribed

    async def changed(self, timeout: float) -> None:
        self._changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)

    def close(self) -> None:
        self._future.cancel()


class Context:
    """What the steps of one scenario run on one device see."""

    def __init__(self, engine: Engine, scenario: Scenario, device: Any) -> None:
        self.engine = engine
        self.target = engine.target
        self.scenario = scenario
        self.device = device
        self.vars: dict[str, Any] = {
            "device": {
                "name": device.name,
                "profile": device.profile,
                "via": device.via,
                "acs_id": device.acs_id,
                "serial": device.serial,
            },
            "ps": "Device.Services.PrintService.1.",
            "token": f"{int(time.time() * 1000) % 10**8:08d}",
        }
        self.cleanups: list[Callable[[], Any]] = []
        self.pending_rpcs: list[Any] = []
        self.notes: list[str] = []
        self.cells: list[Cell] = []
        self.quirks_used: set[str] | None = None  # quirk modes switched on (steps/cpe.py)
        self.time_scale = getattr(self.target, "time_scale", 1.0)
        self._tasks: list[asyncio.Task] = []
        self.start_ref = self.journal_ref()
        self.start_acs_seq = int(getattr(self.device.cwmp_client(), "acs_violation_seq", 0))
        tap = engine.tap
        self.inform_cursor = len(tap.records) if tap else 0
        self.start_inform = self.inform_cursor
        self.request_cursor = self.start_ref
        self.subst = Substituter(self.lookup)
        self.deadline = time.monotonic() + scenario.timeout * self.time_scale

    # -- variables -------------------------------------------------------------------------
    def lookup(self, dotted: str) -> Any:
        parts = dotted.split(".")
        if parts[0] not in self.vars:
            raise StepFailed(f"no variable {parts[0]!r} (have {', '.join(sorted(self.vars))})")
        value: Any = self.vars[parts[0]]
        for i, part in enumerate(parts[1:], 1):
            rest = ".".join(parts[i:])
            if isinstance(value, dict) and part not in value and rest in value:
                return value[rest]  # a key with dots: a parameter name a `get` saved
            if isinstance(value, dict) and part in value:
                value = value[part]
            elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
                value = value[int(part)]
            else:
                raise StepFailed(f"variable {dotted!r}: no {part!r} in {str(value)[:120]}")
        return value

    # -- capabilities ----------------------------------------------------------------------
    def need_acs(self) -> Any:
        acs = getattr(self.target, "acs", None)
        if acs is None:
            raise StepSkipped("the target gives no control of the ACS")
        return acs

    def need_control(self) -> Any:
        if self.device.control is None:
            raise StepSkipped("no emulator control API for this device")
        return self.device.control

    async def call_control(self, fn: Callable[..., Any], *a: Any, **kw: Any) -> Any:

        try:
            result = fn(*a, **kw)
            if asyncio.iscoroutine(result):
                result = await result
            return result
        except ControlError as exc:
            raise StepFailed(f"printer control: {exc.message}") from None

    async def oracle(self, names: list[str]) -> dict[str, str]:
        if self.device.oracle is None:
            raise StepSkipped("no ground-truth TR-069 view for this device")
        return await self.device.oracle(names)

    @staticmethod
    @cache
    def _spec() -> Any:

        return load_spec()

    def param_type(self, name: str) -> Any:
        template = re.sub(r"\.\d+(?=\.)", ".{i}", name)
        spec = self._spec().params.get(template)
        return spec.type if spec else None

    def xsi_type(self, name: str, value: Any) -> str:
        ptype = self.param_type(name)
        if ptype is not None:
            return ptype.xsi_type
        if isinstance(value, bool):
            return "xsd:boolean"
        if isinstance(value, int):
            return "xsd:int"
        return "xsd:string"

    # -- ACS observation ----------------------------------------------------------------------
    def journal(self, since: int | None = None) -> list[dict[str, Any]]:
        acs = getattr(self.target, "acs", None)
        if acs is None:
            return []
        entries = acs.journal_entries(device=self.device.acs_id, since=since or 0)
        return [e.to_dict() for e in entries]

    def journal_ref(self) -> int:
        acs = getattr(self.target, "acs", None)
        if acs is None:
            return 0
        entries = acs.journal_entries()
        return entries[-1].ref if entries else 0

    def count_journal(self, predicate: Callable[[dict[str, Any]], bool]) -> int:
        return sum(1 for e in self.journal(self.start_ref) if predicate(e))

    def violations(self) -> list[Any]:
        acs = getattr(self.target, "acs", None)
        found = []
        if acs is not None:
            found = [
                v
                for v in acs.verdicts(device=self.device.acs_id)
                if v.ref is None or v.ref > self.start_ref
            ]
        return found + self.acs_side_violations()

    def journal_acs_side_violations(self) -> None:
        """Put this scenario's CPE-side findings into the stub ACS's journal as notes (when
        the target has one), next to the envelopes they are about."""
        acs = getattr(self.target, "acs", None)
        if acs is None:
            return
        for v in self.acs_side_violations():
            acs.journal_note(self.device.acs_id, f"{v.rule} ({v.spec}): {v.message}")

    def acs_side_violations(self) -> list[Any]:
        """What our in-process CPE noticed the ACS doing wrong during this scenario (a
        response whose cwmp:ID does not echo the request's, TR-069 §3.5 Table 4): the bench
        tests ACSes too, so these are mandatory findings in the report, not silent retries."""
        from printbench.acs_stub.verdicts import Violation

        cpe = self.device.cwmp_client()
        return [
            Violation(
                rule=v["rule"],
                severity="mandatory",
                spec=v["spec"],
                message=f"ACS violation seen by the CPE at {v['at']}: {v['message']}",
                device=self.device.acs_id,
                session=None,
                ref=None,
            )
            for v in getattr(cpe, "acs_violations", None) or []
            if v["seq"] > self.start_acs_seq
        ]

    def informs_since_start(self) -> list[InformRecord]:
        tap = self.engine.tap
        if tap is None:  # the target gives no control of the ACS: no Inform is seen
            return []
        return [r for r in tap.records[self.start_inform :] if r.device == self.device.acs_id]

    async def next_inform(
        self, events: Iterable[str], timeout: float, *, consume: bool = True
    ) -> InformRecord | None:
        tap = self.engine.tap
        if tap is None:
            raise StepSkipped("the target gives no control of the ACS")
        wanted = set(events)
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            for rec in tap.records[self.inform_cursor :]:
                if rec.device == self.device.acs_id and wanted <= set(rec.events):
                    if consume:
                        self.inform_cursor = rec.index + 1
                    return rec
            left = end - loop.time()
            if left <= 0:
                return None
            await tap.changed(min(left, 0.5))

    async def next_request(
        self, method: str, timeout: float, *, consume: bool = True
    ) -> dict[str, Any] | None:

        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            for e in self.journal(self.request_cursor):
                if e["direction"] == "cpe->acs" and e.get("method") == method:
                    try:
                        env = soap.decode(e["body"].encode("utf-8"))
                        e["message"] = response_json(env.body)
                    except Exception as exc:  # the judge reports undecodable envelopes
                        e["message"] = {"error": str(exc)}
                    if consume:
                        self.request_cursor = e["ref"]
                    return e
            left = end - loop.time()
            if left <= 0:
                return None
            await self.need_acs().journal_changed(left)

    async def until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Wait until ``predicate()`` holds: re-checked on every new ACS journal entry (the
        states scenarios wait for change with one), and at least every 0.1 s for the rest."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        acs = getattr(self.target, "acs", None)
        while not predicate():
            left = end - loop.time()
            if left <= 0:
                return False
            if acs is not None:
                await acs.journal_changed(min(left, 0.1))
            else:
                await asyncio.sleep(min(left, 0.1))
        return True

    def refresh_cr_url(self) -> None:
        """Follow the ConnectionRequestURL the device informed last."""
        follow = getattr(self.target, "follow_cr_url", None)
        if follow is not None:
            follow(self.device)

    async def learn_cr_url(self) -> None:
        acs = self.need_acs()
        dev = acs.known_device(self.device.acs_id)
        if dev is not None and dev.cr_url:
            self.device.cr_url = dev.cr_url
        if not self.device.cr_url:
            raise StepSkipped("the device's ConnectionRequestURL is not known")

    async def ensure_session(self, *, force: bool = False) -> None:
        """Make the device open a session if it has none (connection request, retried on 503)."""

        acs = self.need_acs()
        if acs.server.current_session(self.device.acs_id) is not None and not force:
            return
        await self.target.prepare_connection_request(self.device)
        last: Exception | None = None
        loop = asyncio.get_running_loop()
        # Longer than a CPE's connection-request rate window (10 s by default), so a
        # device whose limit an earlier step used up is still reached.
        end = loop.time() + 15.0 * self.time_scale
        attempt = 0
        while loop.time() < end:
            if acs.server.current_session(self.device.acs_id) is not None:
                self.device.unreachable = 0
                return
            try:
                await acs.connection_request(self.device.acs_id, timeout=10.0 * self.time_scale)
                self.device.unreachable = 0
                return
            except ConnectionRequestError as exc:  # 503 (rate limit, busy): try again shortly
                last = exc
                attempt += 1
                # Wait for the retry *or* a session the CPE opens by itself (a due
                # TransferComplete, a value change), whichever comes first: a step waiting
                # here must not miss a session that needs it (keep_held's queue).
                await self.until(
                    lambda: acs.server.current_session(self.device.acs_id) is not None,
                    min(0.2 * attempt, 1.0),
                )
            except TimeoutError:
                self.device.unreachable += 1
                raise StepFailed("connection request accepted but no session started") from None
        self.device.unreachable += 1
        if last is not None and ": HTTP " not in str(last):
            # nothing answered at the URL it informed (refused, no route, timeout): gone
            raise DeviceGone(f"could not make the device connect: {last}")
        raise StepFailed(f"could not make the device connect: {last}")

    def background(self, coro: Awaitable[Any]) -> None:
        self._tasks.append(asyncio.ensure_future(coro))

    def cell(self, parameter: str, kind: str, status: str, detail: str = "") -> None:
        self.cells.append(
            Cell(
                parameter,
                self.device.name,
                self.device.profile,
                self.device.via,
                kind,
                status,
                detail,
            )
        )

    # -- running ----------------------------------------------------------------------------
    async def run_step(self, st: Step) -> None:
        spec = STEPS[st.action]
        missing = spec.needs - self.target.capabilities_for(self.device)
        if missing:
            raise StepSkipped(f"needs {', '.join(sorted(missing))}")
        started = time.monotonic()
        self._current = st
        timeout = max(0.1, self.deadline - time.monotonic())
        try:
            await asyncio.wait_for(spec.run(self, st), timeout)
        except TimeoutError:
            raise StepFailed(
                f"the scenario's time ({self.scenario.timeout:.0f} s) ran out in this step"
            ) from None
        finally:
            self.step_seconds = time.monotonic() - started

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(BaseException):
                await task
        for item in self.pending_rpcs:
            if not item.future.done():
                item.abort("scenario ended")
        for undo in reversed(self.cleanups):
            with contextlib.suppress(Exception):
                result = undo()
                if asyncio.iscoroutine(result):
                    await result
        acs = getattr(self.target, "acs", None)
        if acs is not None:
            with contextlib.suppress(Exception):
                dev = acs.known_device(self.device.acs_id)
                if dev is not None:
                    dev.hold_on_inform = False
                    dev.retry_faults = 0


class Engine:
    """Runs scenarios on a started target."""

    def __init__(
        self,
        target: Any,
        *,
        on_result: Callable[[ScenarioResult], None] | None = None,
        on_start: Callable[[Scenario, Any], None] | None = None,
    ) -> None:
        self.target = target
        self.tap: InformTap | None = getattr(target, "inform_tap", None)
        self.on_result = on_result
        self.on_start = on_start
        #: per device name: (result, first journal ref, last journal ref) of each scenario run,
        #: to find the scenario whose RPC a device went away after
        self.spans: dict[str, list[tuple[ScenarioResult, int, int]]] = {}

    def plan(self, scenarios: list[Scenario]) -> list[tuple[Scenario, Any, str | None]]:
        """(scenario, device, reason not applicable or None) for every pair."""
        out = []
        for sc in scenarios:
            for dev in self.target.devices:
                why = sc.applies(self.target.kind, dev.profile, dev.via)
                if why is None:
                    missing = set(sc.needs) - self.target.capabilities_for(dev)
                    if missing:
                        why = f"target lacks {', '.join(sorted(missing))}"
                        reasons = getattr(self.target, "capability_reasons", {})
                        told = [reasons[c] for c in sorted(missing) if c in reasons]
                        why += f" ({'; '.join(told)})" if told else ""
                out.append((sc, dev, why))
        return out

    async def run(self, scenarios: list[Scenario]) -> RunResult:
        started = datetime.now(UTC).isoformat(timespec="seconds")
        t0 = time.monotonic()
        acs = getattr(self.target, "acs", None)
        if acs is not None and self.tap is None:
            self.tap = InformTap(acs, self.target.clock_for)
        plan = self.plan(scenarios)
        # One queue per *printer*, not per CWMP device: a printer's embedded client and its
        # proxied device share one state, so a write or fault from a scenario on one path
        # would leak into a scenario running at the same time on the other.
        per_device: dict[Any, list[tuple[Scenario, Any, str | None]]] = {}
        for item in plan:
            dev = item[1]
            key = ("printer", id(dev.printer)) if getattr(dev, "printer", None) else dev.name
            per_device.setdefault(key, []).append(item)
        results: list[ScenarioResult] = []
        cells: list[Cell] = []

        async def run_device(items: list[tuple[Scenario, Any, str | None]]) -> None:
            for sc, dev, why in items:
                if why is not None:
                    res = self._result(sc, dev, "skipped", why)
                else:
                    if self.on_start:
                        self.on_start(sc, dev)
                    res, dev_cells = await self.run_one(sc, dev)
                    cells.extend(dev_cells)
                results.append(res)
                if self.on_result:
                    self.on_result(res)

        await asyncio.gather(*(run_device(items) for items in per_device.values()))
        order = {id(sc): i for i, sc in enumerate(scenarios)}
        names = [d.name for d in self.target.devices]
        results.sort(
            key=lambda r: (order.get(id(_find(scenarios, r.scenario)), 0), names.index(r.device))
        )
        return RunResult(
            target=self.target.name,
            target_kind=self.target.kind,
            started=started,
            seconds=time.monotonic() - t0,
            results=results,
            cells=cells,
            devices=[d.describe() for d in self.target.devices],
            journal_path=str(acs.journal_path)
            if acs is not None and acs.journal_path
            else None,
        )

    def _result(self, sc: Scenario, dev: Any, status: str, message: str = "") -> ScenarioResult:
        return ScenarioResult(
            scenario=sc.id,
            title=sc.title,
            area=sc.area,
            requirement=sc.requirement,
            device=dev.name,
            profile=dev.profile,
            via=dev.via,
            status=status,
            message=message,
            file=sc.file,
            line=sc.line,
            reference=list(sc.reference),
            purpose=sc.purpose,
        )

    async def run_one(self, sc: Scenario, dev: Any) -> tuple[ScenarioResult, list[Cell]]:
        down = getattr(dev, "down", None)
        if down is not None:
            if self._informs(dev) > down["informs"]:  # it came back: reachable again
                dev.down, dev.unreachable = None, 0
            else:
                return self._blocked(sc, dev, down), []
        if getattr(dev, "boot_error", ""):
            res = self._result(sc, dev, "failed", dev.boot_error)
            res.failed_step, res.failed_where = "start", f"{sc.file}:{sc.line}: target start"
            return res, []
        ctx = Context(self, sc, dev)
        res = self._result(sc, dev, "passed")
        t0 = time.monotonic()
        failing_ref = None
        try:
            for st in sc.steps:
                step_ref = ctx.journal_ref()
                s0 = time.monotonic()
                try:
                    await ctx.run_step(st)
                except DeviceGone as exc:
                    res.steps.append(_sr(st, "failed", str(exc), s0))
                    res.failed_step, res.failed_where = st.label, st.where
                    failing_ref = self._gone(sc, dev, ctx, res, str(exc))
                    break
                except StepFailed as exc:
                    res.steps.append(_sr(st, "failed", str(exc), s0))
                    if st.args.get("optional"):
                        continue
                    res.status, res.message = "failed", str(exc)
                    res.failed_step, res.failed_where = st.label, st.where
                    failing_ref = step_ref
                    break
                except StepSkipped as exc:
                    res.steps.append(_sr(st, "skipped", str(exc), s0))
                    res.status, res.message = "skipped", f"step {st.label}: {exc}"
                    break
                except Exception as exc:  # a bug in a step or a target: report, keep running
                    log.exception("scenario %s step %s", sc.id, st.label)
                    res.steps.append(_sr(st, "error", f"{type(exc).__name__}: {exc}", s0))
                    res.status, res.message = "error", f"{type(exc).__name__}: {exc}"
                    res.failed_step, res.failed_where = st.label, st.where
                    failing_ref = step_ref
                    break
                else:
                    res.steps.append(_sr(st, "passed", "", s0))
        finally:
            await ctx.close()
        seen = ctx.violations()
        ctx.journal_acs_side_violations()
        violations = [v for v in seen if v.rule not in sc.ignore_rules]
        res.violations = [v.to_dict() for v in violations]
        mandatory_v = [
            v for v in violations if v.severity == "mandatory" and v.rule not in sc.expect_rules
        ]
        missing = [r for r in sc.expect_rules if all(v.rule != r for v in seen)]
        if res.status == "passed" and missing:
            # A negative scenario: the device was made to break a rule and the judge must say so.
            res.status = "failed"
            res.message = (
                f"expected the ACS to report rule {', '.join(missing)}; it reported "
                f"{', '.join(sorted({v.rule for v in seen})) or 'nothing'}"
            )
            res.failed_step = "verdicts"
            res.failed_where = f"{sc.file}:{sc.line}: ACS verdicts (expected)"
        elif res.status == "passed" and mandatory_v:
            v = mandatory_v[0]
            res.status = "failed"
            res.message = f"protocol rule {v.rule} ({v.spec}): {v.message}"
            failing_ref = (v.ref or 1) - 1
            res.failed_step = "verdicts"
            res.failed_where = f"{sc.file}:{sc.line}: ACS verdicts"
        if failing_ref is not None:
            res.envelopes = _around(ctx, failing_ref)
        res.seconds = time.monotonic() - t0
        res.notes = ctx.notes
        self.spans.setdefault(dev.name, []).append((res, ctx.start_ref, ctx.journal_ref()))
        return res, ctx.cells

    # -- a device that went away: one cause, the rest blocked ----------------------------------
    def _informs(self, dev: Any) -> int:
        count = getattr(self.target, "informs_of", None)
        return int(count(dev)) if count is not None else 0

    def _gone(self, sc: Scenario, dev: Any, ctx: Context, res: ScenarioResult, why: str) -> int:
        """``dev`` stopped answering during ``sc``: find the RPC it went away after, mark it down.

        The cause is the last RPC the ACS sent the device before it went quiet (from the
        journal). If that RPC belongs to an earlier scenario, that scenario carries the cause
        (its message and envelopes) and this one is ``blocked``; otherwise this one fails with
        it. Returns the journal ref to show envelopes around (this scenario's view).
        """
        acs = getattr(self.target, "acs", None)
        last = None
        if acs is not None:
            rpcs = [
                e
                for e in acs.journal_entries(device=dev.acs_id, kind="http")
                if e.direction == "acs->cpe" and e.method and not e.method.endswith("Response")
            ]
            last = rpcs[-1] if rpcs else None
        rpc = last.method if last is not None else "an unknown point"
        ref = last.ref if last is not None else ctx.start_ref
        owner = next(
            (r for r, a, b in self.spans.get(dev.name, []) if last is not None and a < ref <= b),
            None,
        )
        cause_id = owner.scenario if owner is not None else sc.id
        dev.down = {"cause": cause_id, "rpc": rpc, "ref": ref, "informs": self._informs(dev)}
        gone = f"{dev.name} went away after {rpc} (journal ref {ref}) and did not come back"
        if owner is None:  # the device went away during this very scenario
            res.status, res.message = "failed", f"{gone}: {why}"
            return ref - 1
        owner.message = f"{gone}: {owner.message}" if owner.message else gone
        if last is not None and not any(e.get("ref") == ref for e in owner.envelopes):
            owner.envelopes = _around_entry(acs, dev.acs_id, ref) + owner.envelopes
        if owner.status == "passed":  # its checks held, but the device did not survive it
            owner.status = "failed"
            owner.failed_step, owner.failed_where = (
                "after the scenario",
                f"{owner.file}:{owner.line}",
            )
        blocked = self._blocked(sc, dev, dev.down)
        res.status, res.message = blocked.status, f"{blocked.message} ({why})"
        return ctx.start_ref

    def _blocked(self, sc: Scenario, dev: Any, down: dict[str, Any]) -> ScenarioResult:
        cause = _find_result(self.spans.get(dev.name, []), down["cause"])
        where = f" ({cause.file}:{cause.line})" if cause is not None else ""
        res = self._result(
            sc,
            dev,
            "blocked",
            f"blocked: {dev.name} went away after {down['rpc']} in scenario {down['cause']}"
            f"{where} and has not informed since",
        )
        self.spans.setdefault(dev.name, []).append((res, 0, 0))
        return res


def _find_result(spans: list[tuple[ScenarioResult, int, int]], sid: str) -> ScenarioResult | None:
    return next((r for r, _, _ in spans if r.scenario == sid), None)


def _around_entry(acs: Any, acs_id: str, ref: int) -> list[dict[str, Any]]:
    """The journal entry ``ref`` (the RPC a device went away after) and the one before it."""
    from printbench.acs_stub.journal import pretty_xml

    entries = [e for e in acs.journal_entries(device=acs_id) if e.ref <= ref][-2:]
    return [
        {
            "ref": e.ref,
            "ts": e.ts,
            "direction": e.direction,
            "method": e.method or ("(empty)" if e.kind == "http" else e.kind),
            "http_status": e.http_status,
            "note": e.note,
            "session": e.session,
            "body": pretty_xml(e.body or "")[:6000],
        }
        for e in entries
    ]


def _find(scenarios: list[Scenario], sid: str) -> Scenario | None:
    return next((s for s in scenarios if s.id == sid), None)


def _sr(st: Step, status: str, message: str, started: float) -> StepResult:
    return StepResult(
        st.number, st.action, st.label, st.line, status, message, time.monotonic() - started
    )


def _around(ctx: Context, ref: int) -> list[dict[str, Any]]:
    """The device's journal entries from just before the failing step to its end."""

    entries = [e for e in ctx.journal(ctx.start_ref) if e["kind"] in ("http", "session", "note")]
    after = [e for e in entries if e["ref"] > ref]
    before = [e for e in entries if e["ref"] <= ref][-2:]
    picked = (before + after)[-ENVELOPES_AROUND:] if after else before[-ENVELOPES_AROUND:]
    out = []
    for e in picked:
        out.append(
            {
                "ref": e["ref"],
                "ts": e["ts"],
                "direction": e["direction"],
                "method": e.get("method") or ("(empty)" if e["kind"] == "http" else e["kind"]),
                "http_status": e.get("http_status"),
                "note": e.get("note", ""),
                "session": e.get("session"),
                "body": pretty_xml(e.get("body") or "")[:6000],
            }
        )
    return out
