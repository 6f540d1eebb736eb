"""Step implementations: what each scenario action does and what it checks.

Each action is a :class:`StepSpec`: the keys it takes (checked when the file is loaded, so a
typo is a ``file:line: step`` error and never a run-time surprise), whether it needs the
emulator's control API or our stub ACS, and an async ``run(ctx, step)``. A failed check
raises :class:`StepFailed` with a message that says what was expected and what came; a
target that cannot do what the step needs raises :class:`StepSkipped` (the scenario is
reported as not applicable, never as passed).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from printbench.conformance.matchers import check_matcher, match

if TYPE_CHECKING:
    from printbench.conformance.engine import Context
    from printbench.conformance.scenario import Step

PS = "Device.Services.PrintService.1."
#: Longest real wait a step may ask for (a scenario is a test, not a soak run).
MAX_REAL_WAIT = 15.0


class StepFailed(AssertionError):
    """A check in a step did not hold."""


class StepSkipped(Exception):
    """The target cannot run this step (no emulator access, no ACS control, ...)."""


class StepSchemaError(ValueError):
    """A step's arguments are malformed (raised at load time)."""


Runner = Callable[["Context", "Step"], Awaitable[None]]


@dataclass(frozen=True)
class StepSpec:
    name: str
    run: Runner
    keys: frozenset[str] = frozenset()  # allowed keys besides the action and common ones
    value: str = (
        "any"  # what the action's own value may be: any | none | str | int | list | dict | number
    )
    required: frozenset[str] = frozenset()
    needs: frozenset[str] = frozenset()  # target capabilities: acs, emulator, oracle
    nested: bool = False
    matchers: tuple[str, ...] = ("expect",)
    doc: str = ""

    def validate(self, step: Step) -> None:
        value = step.args.get("_")
        if isinstance(value, dict) and "dict" not in self.value and self.keys:
            # "- wait_inform: {events: [...]}" is the flow form of the options
            clash = set(value) & (set(step.args) - {"_"})
            if clash:
                raise StepSchemaError(f"{sorted(clash)[0]!r} given twice")
            del step.args["_"]
            step.args.update(value)
        allowed = self.keys | {"_", "name", "timeout", "optional"}
        for key in step.args:
            if key not in allowed:
                extra = sorted(self.keys)
                raise StepSchemaError(
                    f"unknown key {key!r}" + (f" (takes {', '.join(extra)})" if extra else "")
                )
        for key in self.required:
            if key not in step.args:
                raise StepSchemaError(f"missing required key {key!r}")
        value = step.args.get("_")
        kinds = {
            "none": (type(None),),
            "str": (str,),
            "int": (int,),
            "number": (int, float),
            "list": (list,),
            "dict": (dict,),
            "bool": (bool,),
        }
        if self.value != "any":
            allowed_types = tuple(t for k in self.value.split("|") for t in kinds[k])
            if not isinstance(value, allowed_types) or (
                isinstance(value, bool) and bool not in allowed_types
            ):
                raise StepSchemaError(
                    f"the action's value must be {self.value.replace('|', ' or ')}"
                )
        timeout = step.args.get("timeout")
        if timeout is not None and (not isinstance(timeout, int | float) or timeout <= 0):
            raise StepSchemaError("timeout must be a positive number")
        for key in self.matchers:
            if key in step.args:
                check_matcher(step.args[key], f"{key}: ")


STEPS: dict[str, StepSpec] = {}


def step(name: str, **kw: Any) -> Callable[[Runner], Runner]:
    def deco(fn: Runner) -> Runner:
        STEPS[name] = StepSpec(name=name, run=fn, doc=(fn.__doc__ or "").strip(), **kw)
        return fn

    return deco


def fs(*keys: str) -> frozenset[str]:
    return frozenset(keys)


# --- helpers -------------------------------------------------------------------------------


def expand_name(name: str) -> str:
    """``PS.`` stands for ``Device.Services.PrintService.1.``."""
    return PS + name[3:] if name.startswith("PS.") else name


def check(expected: Any, actual: Any, what: str) -> None:
    why = match(expected, actual)
    if why is not None:
        raise StepFailed(f"{what}: {why}")


def values_of(response: Any) -> dict[str, str]:
    return {p.name: p.value for p in getattr(response, "parameter_list", ())}


def fault_json(fault: Any) -> dict[str, Any]:
    from printbench.acs_stub.control import to_json

    data = to_json(fault)
    data["code"] = data.get("fault_code")
    data["parameter_faults"] = {
        f["parameter_name"]: f["fault_code"] for f in data.get("set_parameter_values_faults", [])
    }
    return data


def response_json(response: Any) -> dict[str, Any]:
    from printbench.acs_stub.control import to_json

    data = to_json(response)
    if hasattr(response, "parameter_list"):
        first = response.parameter_list[0] if response.parameter_list else None
        if first is not None and hasattr(first, "value"):
            data["values"] = values_of(response)
        elif first is not None and hasattr(first, "writable"):
            data["names"] = {p.name: p.writable for p in response.parameter_list}
        elif first is not None and hasattr(first, "notification"):
            data["attributes"] = {p.name: p.notification for p in response.parameter_list}
    return data


def _timeout(ctx: Context, st: Step, default: float = 10.0) -> float:
    return float(st.args.get("timeout", default)) * ctx.time_scale


# --- RPCs through our stub ACS ------------------------------------------------------------


async def _rpc(
    ctx: Context,
    method: str,
    args: dict[str, Any],
    *,
    hold: bool = False,
    connect: bool = True,
    timeout: float = 15.0,
) -> tuple[Any, Any]:
    """Send an RPC; returns (response, fault) with exactly one set."""
    from printbench.acs_stub.control import message_from_json
    from printbench.acs_stub.rpc_queue import RpcFault

    acs = ctx.need_acs()
    try:
        request = message_from_json(method, args)
    except ValueError as exc:
        raise StepFailed(f"cannot build {method}: {exc}") from None
    item = acs.enqueue(ctx.device.acs_id, request, hold_requests=hold)
    ctx.pending_rpcs.append(item)
    if connect:
        await ctx.ensure_session()
    try:
        return await item.result(timeout), None
    except RpcFault as exc:
        return None, exc.fault
    except TimeoutError:
        item.abort("timed out")
        raise StepFailed(f"{method}: no answer within {timeout:.0f} s") from None


def _check_outcome(st: Step, method: str, response: Any, fault: Any) -> dict[str, Any]:
    want_fault = st.args.get("expect_fault")
    if fault is not None:
        data = fault_json(fault)
        if want_fault is None:
            raise StepFailed(
                f"{method}: expected a response, got fault {data['code']} {data.get('fault_string') or ''}".rstrip()
            )
        expected = {"code": want_fault} if not isinstance(want_fault, dict) else want_fault
        check(expected, data, f"{method} fault")
        return data
    data = response_json(response)
    if want_fault is not None:
        raise StepFailed(
            f"{method}: expected fault {want_fault}, got a {data.get('method')} response"
        )
    if "expect" in st.args:
        check(st.args["expect"], data, f"{method} response")
    return data


@step(
    "rpc",
    value="str",
    keys=fs("args", "hold", "expect", "expect_fault", "save", "connect", "wait"),
    needs=fs("acs"),
    matchers=("expect", "expect_fault"),
)
async def rpc(ctx: Context, st: Step) -> None:
    """Send any CPE RPC (message field names as args) and check the response or fault.

    ``wait: false`` only queues it (``save`` names it for a later ``await_rpc``)."""
    method = st.args["_"]
    args = ctx.subst(st.args.get("args") or {})
    if st.args.get("wait", True) is False:
        from printbench.acs_stub.control import message_from_json

        acs = ctx.need_acs()
        try:
            request = message_from_json(method, args)
        except ValueError as exc:
            raise StepFailed(f"cannot build {method}: {exc}") from None
        item = acs.enqueue(ctx.device.acs_id, request, hold_requests=bool(st.args.get("hold")))
        ctx.pending_rpcs.append(item)
        ctx.vars[st.args.get("save", method)] = item
        if st.args.get("connect", False):
            await ctx.ensure_session()
        return
    response, fault = await _rpc(
        ctx,
        method,
        args,
        hold=bool(st.args.get("hold", False)),
        connect=bool(st.args.get("connect", True)),
        timeout=_timeout(ctx, st, 15.0),
    )
    data = _check_outcome(st, method, response, fault)
    if method == "SetParameterAttributes" and fault is None:
        _undo_notifications(ctx, args)
    if "save" in st.args:
        ctx.vars[st.args["save"]] = data


def _undo_notifications(ctx: Context, args: dict[str, Any]) -> None:
    """Turn notification back off when the scenario ends, however it ends.

    Notification attributes outlive a scenario (they even survive reboots); left on, a
    later scenario's value change would start sessions it does not expect — and on the
    built-in target the printer's other path (embedded client or proxy) changes values
    under it. 0 is TR-069's default; forced notifications refuse the reset, which is fine."""
    names = [
        str(p.get("name"))
        for p in args.get("parameter_list") or []
        if isinstance(p, dict)
        and p.get("notification_change")
        and p.get("notification") not in (0, "0")
    ]
    if not names:
        return
    reset = {
        "parameter_list": [
            {"name": n, "notification_change": True, "notification": 0} for n in names
        ]
    }

    async def undo() -> None:
        await _rpc(ctx, "SetParameterAttributes", reset, hold=False, connect=True, timeout=10.0)

    ctx.cleanups.append(undo)


@step(
    "await_rpc",
    value="str",
    keys=fs("expect", "expect_fault", "save"),
    needs=fs("acs"),
    matchers=("expect", "expect_fault"),
)
async def await_rpc(ctx: Context, st: Step) -> None:
    """Await the answer to an RPC queued earlier with ``wait: false``."""
    from printbench.acs_stub.rpc_queue import RpcFault

    item = ctx.vars.get(st.args["_"])
    if item is None or not hasattr(item, "result"):
        raise StepFailed(f"no queued RPC named {st.args['_']!r}")
    try:
        response, fault = await item.result(_timeout(ctx, st, 15.0)), None
    except RpcFault as exc:
        response, fault = None, exc.fault
    except TimeoutError:
        raise StepFailed(f"{item.method}: no answer in time") from None
    data = _check_outcome(st, item.method, response, fault)
    if "save" in st.args:
        ctx.vars[st.args["save"]] = data


@step(
    "get",
    value="str|list|dict",
    keys=fs("truth", "save", "expect_fault"),
    needs=fs("acs"),
    matchers=("_", "expect_fault"),
)
async def get(ctx: Context, st: Step) -> None:
    """GetParameterValues: a name, a list of names, or ``{name: matcher}``; ``truth: true``
    compares every returned value with the emulator's own TR-069 view."""
    spec = ctx.subst(st.args["_"])
    names = [spec] if isinstance(spec, str) else list(spec)
    names = [expand_name(n) for n in names]
    # The printer's view just before the read, so values that move on their own (up time,
    # counters) can be judged against both sides of the read, as check_parameters does.
    before = await ctx.oracle(names) if st.args.get("truth") else {}
    response, fault = await _rpc(
        ctx, "GetParameterValues", {"parameter_names": names}, timeout=_timeout(ctx, st, 15.0)
    )
    if fault is not None or "expect_fault" in st.args:
        _check_outcome(st, "GetParameterValues", response, fault)
        return
    values = values_of(response)
    if isinstance(spec, dict):
        for name, matcher in spec.items():
            full = expand_name(name)
            if full not in values:
                raise StepFailed(f"{full}: not in the response")
            check(matcher, values[full], full)
    if st.args.get("truth"):
        truth = await ctx.oracle(list(values))
        for name, value in values.items():
            if name in truth and not _agrees(value, before.get(name, truth[name]), truth[name]):
                raise StepFailed(
                    f"{name}: CPE says {value!r}, the printer's own view says {truth[name]!r}"
                )
    if "save" in st.args:
        ctx.vars[st.args["save"]] = values


def _same_value(a: str, b: str) -> bool:
    """Equal as TR-069 values: booleans in either form; dateTimes within a second (values
    derived from "now" minus an uptime move by the time between two reads)."""
    if a == b:
        return True
    low = {a.lower(), b.lower()}
    if low <= {"true", "1"} or low <= {"false", "0"}:
        return True
    if "T" in a and "T" in b:
        from printbench.cwmp.types import parse_datetime

        try:
            return abs((parse_datetime(a) - parse_datetime(b)).total_seconds()) <= 1.0
        except (ValueError, TypeError):
            return False
    return False


@step(
    "set",
    value="dict",
    keys=fs("parameter_key", "expect", "expect_fault", "verify", "save"),
    needs=fs("acs"),
    matchers=("expect", "expect_fault"),
)
async def set_(ctx: Context, st: Step) -> None:
    """SetParameterValues of ``{name: value}`` (xsi:type from the data model);
    ``verify: truth`` reads the printer's own view afterwards."""
    values = {expand_name(k): v for k, v in ctx.subst(st.args["_"]).items()}
    plist = [{"name": n, "value": _text(v), "type": ctx.xsi_type(n, v)} for n, v in values.items()]
    key = ctx.subst(st.args.get("parameter_key", f"pb-{secrets.token_hex(4)}"))
    response, fault = await _rpc(
        ctx,
        "SetParameterValues",
        {"parameter_list": plist, "parameter_key": key},
        timeout=_timeout(ctx, st, 15.0),
    )
    data = _check_outcome(st, "SetParameterValues", response, fault)
    if "save" in st.args:
        ctx.vars[st.args["save"]] = data
    if fault is None and st.args.get("verify") == "truth":
        truth = await ctx.oracle(list(values))
        for name, value in values.items():
            if not _same_value(_text(value), truth.get(name, "<absent>")):
                raise StepFailed(
                    f"{name}: set to {_text(value)!r}, the printer's own view says {truth.get(name)!r}"
                )


def _agrees(value: str, before: str, after: str) -> bool:
    """The CPE's value equals the printer's before or after the read, or (a counter, an
    uptime) lies between the two readings."""
    if _same_value(value, before) or _same_value(value, after):
        return True
    try:
        lo, hi, v = [*sorted((float(before), float(after))), float(value)]
    except ValueError:
        return False
    return lo <= v <= hi


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@step("hold_on_inform", value="bool", needs=fs("acs"))
async def hold_on_inform(ctx: Context, st: Step) -> None:
    """Put HoldRequests=1 on the device's next InformResponse."""
    ctx.need_acs().set_hold_on_inform(ctx.device.acs_id, bool(st.args["_"]))


@step("retry_faults", value="int", needs=fs("acs"))
async def retry_faults(ctx: Context, st: Step) -> None:
    """Answer the device's next N requests (Inform included) with fault 8005."""
    ctx.need_acs().set_retry_faults(ctx.device.acs_id, int(st.args["_"]))
    ctx.cleanups.append(lambda: ctx.need_acs().set_retry_faults(ctx.device.acs_id, 0))


@step("fail_sessions", value="int", needs=fs("acs"))
async def fail_sessions(ctx: Context, st: Step) -> None:
    """Make the device's next N session attempts fail: the ACS demands digest credentials
    the CPE does not have (HTTP 401 to its Inform), then accepts it again. The CPE must
    retry with the TR-069 wait intervals and count the attempts in RetryCount."""
    acs = ctx.need_acs()
    count = int(st.args["_"])
    device_id = ctx.device.acs_id
    since = ctx.journal_ref()
    acs.set_device_auth(device_id, "digest", "printbench-denied", secrets.token_hex(8))
    ctx.cleanups.append(lambda: acs.set_device_auth(device_id, None))

    def failed_attempts() -> int:
        # An attempt is an Inform POST without credentials answered 401 (a CPE that answers
        # the challenge gets a second 401 on the same attempt). The answer is the entry
        # right after the request: the ACS records both without yielding in between.
        journal = acs.server.journal
        n = 0
        for e in journal.entries(device=device_id, since=since):
            if (
                e.direction == "cpe->acs"
                and e.method == "Inform"
                and "Authorization" not in e.headers
            ):
                answer = journal.get(e.ref + 1)
                if answer is not None and answer.http_status == 401:
                    n += 1
        return n

    async def lift() -> None:
        while failed_attempts() < count:
            await asyncio.sleep(0.02)
        acs.set_device_auth(device_id, None)
        ctx.vars["failed_attempts"] = failed_attempts()

    ctx.background(lift())


@step(
    "journal_count",
    value="none",
    keys=fs("direction", "method", "http_status", "expect"),
    required=fs("expect"),
    matchers=("expect",),
    needs=fs("acs"),
)
async def journal_count(ctx: Context, st: Step) -> None:
    """Count this device's journal entries since the scenario started that match
    ``direction``/``method``/``http_status``; ``expect`` is a matcher on the count."""
    want = {k: st.args[k] for k in ("direction", "method", "http_status") if k in st.args}
    n = ctx.count_journal(lambda e: all(e.get(k) == v for k, v in want.items()))
    check(st.args["expect"], n, f"journal entries {want}")


# --- observing the CPE ----------------------------------------------------------------------


def inform_json(inform: Any) -> dict[str, Any]:
    from printbench.acs_stub.control import to_json

    data = to_json(inform)
    data["events"] = [e.event_code for e in inform.event]
    data["command_keys"] = {e.event_code: e.command_key for e in inform.event}
    data["params"] = {p.name: p.value for p in inform.parameter_list}
    return data


@step(
    "wait_inform",
    value="none",
    keys=fs("events", "not_events", "params", "expect", "save", "after"),
    needs=fs("acs"),
)
async def wait_inform(ctx: Context, st: Step) -> None:
    """The next Inform from the device (after the last one a step consumed) that carries
    all ``events``; then ``params`` and ``expect`` are checked on it."""
    events = [str(e) for e in ctx.subst(st.args.get("events", []))]
    if st.args.get("after") == "start":
        ctx.inform_cursor = 0  # Informs since the target started (the first contact)
    elif "after" in st.args:
        raise StepFailed("after takes only 'start'")
    rec = await ctx.next_inform(events, _timeout(ctx, st, 20.0))
    if rec is None:
        got = [", ".join(r.events) or "-" for r in ctx.informs_since_start()]
        raise StepFailed(
            f"no Inform with events {events} within {_timeout(ctx, st, 20.0):.0f} s"
            f" (Informs seen in this scenario: {got or 'none'})"
        )
    data = inform_json(rec.inform)
    data["received_at"] = rec.at
    data["namespace"] = rec.namespace
    for code in st.args.get("not_events", []):
        if code in data["events"]:
            raise StepFailed(
                f"Inform carries {code!r}, which it must not (events {data['events']})"
            )
    params = ctx.subst(st.args.get("params"))
    if isinstance(params, list):
        for name in params:
            if expand_name(name) not in data["params"]:
                raise StepFailed(f"Inform lacks parameter {expand_name(name)}")
    elif isinstance(params, dict):
        check({expand_name(k): v for k, v in params.items()}, data["params"], "Inform parameters")
    if "expect" in st.args:
        check(ctx.subst(st.args["expect"]), data, "Inform")
    if "save" in st.args:
        ctx.vars[st.args["save"]] = data


@step("no_inform", value="none", keys=fs("events", "params", "for"), needs=fs("acs"))
async def no_inform(ctx: Context, st: Step) -> None:
    """No Inform carrying ``events`` (and, if given, any of ``params``) arrives for ``for``
    seconds; with neither, no Inform at all."""
    events = [str(e) for e in st.args.get("events", [])]
    params = {expand_name(p) for p in ctx.subst(st.args.get("params", []))}
    seconds = min(float(st.args.get("for", 1.0)), MAX_REAL_WAIT) * ctx.time_scale
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    cursor = ctx.inform_cursor
    while loop.time() < end:
        rec = await ctx.next_inform(events, end - loop.time(), consume=False)
        if rec is None:
            return
        names = {p.name for p in rec.inform.parameter_list}
        if not params or names & params:
            raise StepFailed(
                f"unexpected Inform with events {rec.events}"
                + (f" carrying {sorted(names & params)}" if params else "")
            )
        ctx.inform_cursor = rec.index + 1  # look past this one
    ctx.inform_cursor = cursor


@step("wait_request", value="str", keys=fs("expect", "save"), needs=fs("acs"))
async def wait_request(ctx: Context, st: Step) -> None:
    """The next CPE→ACS request of this method (TransferComplete, GetRPCMethods, ...) that
    satisfies ``expect``; others (a late one from an earlier scenario) are passed over."""
    method = st.args["_"]
    expected = ctx.subst(st.args.get("expect"))
    seen: list[str] = []
    loop = asyncio.get_running_loop()
    end = loop.time() + _timeout(ctx, st, 20.0)
    while True:
        entry = await ctx.next_request(method, max(0.0, end - loop.time()))
        if entry is None:
            raise StepFailed(
                f"no matching {method} from the CPE within {_timeout(ctx, st, 20.0):.0f} s"
                + (f" (others seen: {'; '.join(seen)})" if seen else "")
            )
        data = entry["message"]
        why = match(expected, data) if expected is not None else None
        if why is None:
            break
        seen.append(f"#{entry['ref']}: {why}")
    if "save" in st.args:
        ctx.vars[st.args["save"]] = data


@step("no_request", value="str", keys=fs("for", "expect"), needs=fs("acs"))
async def no_request(ctx: Context, st: Step) -> None:
    """No CPE→ACS request of this method (matching ``expect``, if given) arrives, so far in
    the scenario and for ``for`` more seconds."""
    method = st.args["_"]
    expected = ctx.subst(st.args.get("expect"))
    seconds = min(float(st.args.get("for", 1.0)), MAX_REAL_WAIT) * ctx.time_scale
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    cursor = ctx.request_cursor
    try:
        while True:
            entry = await ctx.next_request(method, max(0.0, end - loop.time()))
            if entry is None:
                return
            if expected is None or match(expected, entry["message"]) is None:
                raise StepFailed(f"unexpected {method} from the CPE (journal #{entry['ref']})")
    finally:
        ctx.request_cursor = cursor


@step("keep_held", value="number", needs=fs("acs"))
async def keep_held(ctx: Context, st: Step) -> None:
    """Keep a session open with HoldRequests=1 for N seconds: held GetParameterNames,
    checking that the CPE sends no request meanwhile (OKTET hold_req).

    The queue must never run dry while the hold has to last: an empty queue makes the ACS
    answer 204, which releases the hold. So several held requests are queued ahead and each
    answer queues the next one at once (a done-callback, not this task, which may be busy),
    and the session is requested in the background: if the CPE opens one by itself (a due
    TransferComplete) while the connection request is refused with 503, it is served too.
    The N seconds count from the first held answer, i.e. from when the session is held."""
    from printbench.acs_stub.control import message_from_json

    acs = ctx.need_acs()
    seconds = min(float(st.args["_"]), MAX_REAL_WAIT)
    loop = asyncio.get_running_loop()
    start_ref = ctx.journal_ref()
    gpn = message_from_json("GetParameterNames", {"parameter_path": "Device.", "next_level": True})
    items: list[Any] = []
    refill = True

    def queue_one() -> None:
        item = acs.enqueue(ctx.device.acs_id, gpn, hold_requests=True)
        ctx.pending_rpcs.append(item)
        items.append(item)
        item.future.add_done_callback(lambda _f: queue_one() if refill else None)

    for _ in range(HELD_AHEAD):
        queue_one()
    connecting = asyncio.ensure_future(ctx.ensure_session())
    try:
        first = items[0].future
        waiting: set[Any] = {first, connecting}
        deadline = loop.time() + 20.0 * ctx.time_scale
        while not first.done() and loop.time() < deadline:
            await asyncio.wait(
                waiting, timeout=deadline - loop.time(), return_when="FIRST_COMPLETED"
            )
            if connecting.done():
                waiting.discard(connecting)
                error = connecting.exception()
                if not first.done() and error is not None:
                    raise error  # the device could not be made to connect
        if not first.done():
            raise StepFailed("held GetParameterNames: no session answered it in time")
        if first.exception() is not None:
            raise StepFailed(f"held GetParameterNames: {first.exception()}")
        end = loop.time() + seconds
        answered = 1
        while loop.time() < end:
            current = items[answered] if answered < len(items) else None
            if current is None:  # cannot happen while refilling; be safe
                raise StepFailed("held GetParameterNames: the queue ran dry")
            try:
                await asyncio.wait_for(asyncio.shield(current.future), 10.0 * ctx.time_scale)
            except TimeoutError:
                raise StepFailed("held GetParameterNames: no answer in time") from None
            except Exception as exc:
                raise StepFailed(f"held GetParameterNames: {exc}") from None
            answered += 1
    finally:
        refill = False
        if not connecting.done():
            connecting.cancel()
        with contextlib.suppress(BaseException):
            await connecting
    # the ones still queued are answered after the release (aborted at the end if not)
    ctx.vars["held_ahead"] = [i for i in items if not i.future.done()]
    leaked = [
        e
        for e in ctx.journal(since=start_ref)
        if e["direction"] == "cpe->acs" and e.get("method") in _CPE_REQUESTS
    ]
    if leaked:
        raise StepFailed(
            f"the CPE sent {leaked[0]['method']} while HoldRequests was true "
            f"(journal #{leaked[0]['ref']})"
        )
    ctx.vars["held_rounds"] = answered


#: Held requests kept queued ahead of the one being answered (keep_held).
HELD_AHEAD = 3


_CPE_REQUESTS = (
    "TransferComplete",
    "AutonomousTransferComplete",
    "GetRPCMethods",
    "RequestDownload",
    "Kicked",
    "DUStateChangeComplete",
)


@step("release", value="none", needs=fs("acs"))
async def release(ctx: Context, st: Step) -> None:
    """End a hold: the next ACS message carries no HoldRequests (a GetRPCMethods)."""
    # The held GetParameterNames keep_held queued ahead are only filler that kept the queue
    # from running dry; those not sent yet are dropped so the release goes out next instead
    # of after them (the one in flight, if any, is answered first, still held).
    for item in ctx.vars.pop("held_ahead", []):
        if item.sent_in_session is None:
            item.abort("hold released")
    _response, fault = await _rpc(ctx, "GetRPCMethods", {}, hold=False)
    if fault is not None:
        raise StepFailed(f"GetRPCMethods: fault {fault_json(fault)['code']}")


@step("session_end", value="none", needs=fs("acs"))
async def session_end(ctx: Context, st: Step) -> None:
    """Wait until the device has no session with the ACS."""
    ok = await ctx.until(
        lambda: ctx.need_acs().server.current_session(ctx.device.acs_id) is None,
        _timeout(ctx, st, 20.0),
    )
    if not ok:
        raise StepFailed("the session did not end in time")


@step(
    "connection_request",
    value="none",
    keys=fs("credentials", "expect_status", "session", "save"),
    needs=fs("acs"),
)
async def connection_request(ctx: Context, st: Step) -> None:
    """HTTP GET to the device's ConnectionRequestURL with ``credentials`` (``default``,
    ``wrong``, ``none``); ``expect_status`` is a matcher on the final HTTP status,
    ``session: true`` also awaits the session it starts (with 6 CONNECTION REQUEST)."""
    from printbench.conformance.targets import raw_connection_request

    dev = ctx.device
    if not dev.cr_url:
        await ctx.learn_cr_url()
    creds = st.args.get("credentials", "default")
    user, password = dev.cr_username, dev.cr_password
    if creds == "wrong":
        password = password + "-wrong"
    elif creds == "none":
        user = password = None
    elif isinstance(creds, dict):
        user, password = creds.get("username"), creds.get("password")
    acs = ctx.need_acs()
    known = acs.server.registry.get(dev.acs_id)
    expected = st.args.get("expect_status", {"one_of": [200, 204]})
    loop = asyncio.get_running_loop()
    end = loop.time() + 12.0
    while True:
        if known is not None:  # the judge must know this session was requested
            known.pending_connection_requests += 1
        status, challenge = await raw_connection_request(dev.cr_url, user, password)
        if status not in (200, 204) and known is not None:
            known.pending_connection_requests = max(0, known.pending_connection_requests - 1)
        # A busy CPE may answer 503 (rate limit): wait and retry when success is expected.
        if status != 503 or match(expected, 503) is None or loop.time() > end:
            break
        await asyncio.sleep(0.5)
    ctx.vars["cr_status"] = status
    ctx.vars["cr_challenge"] = challenge
    check(expected, status, "connection request HTTP status")
    if st.args.get("session"):
        rec = await ctx.next_inform(["6 CONNECTION REQUEST"], _timeout(ctx, st, 20.0))
        if rec is None:
            raise StepFailed("no Inform with 6 CONNECTION REQUEST after the connection request")
        if "save" in st.args:
            data = inform_json(rec.inform)
            data["received_at"] = rec.at
            data["namespace"] = rec.namespace
            ctx.vars[st.args["save"]] = data


@step("burst_connection_requests", value="int", keys=fs("expect", "save"), needs=fs("acs"))
async def burst_connection_requests(ctx: Context, st: Step) -> None:
    """N authenticated connection requests at once; ``expect`` applies to the list of HTTP
    statuses (rate limiting: some 503, and never a session per request)."""
    from printbench.conformance.targets import raw_connection_request

    dev = ctx.device
    if not dev.cr_url:
        await ctx.learn_cr_url()
    # The judge must know these connection requests came from the ACS side (as for
    # ``connection_request``), or the session an accepted one starts is flagged as
    # "6 CONNECTION REQUEST without a Connection Request from this ACS".
    acs = ctx.need_acs()
    known = acs.server.registry.get(dev.acs_id)
    n = int(st.args["_"])
    if known is not None:
        known.pending_connection_requests += n
    loop = asyncio.get_running_loop()
    window = min(dev.cr_rate_window(), MAX_REAL_WAIT)
    last_sent = [loop.time()]

    async def rate_window_passed() -> None:
        # The burst used up the CPE's connection-request allowance for its window: until it
        # passes every connection request gets 503. Leave the device as we found it, so the
        # next scenario (which may need a session at once) is not starved. A target that can
        # reset the CPE's limiter (the built-in one) does that instead of waiting.
        reset = getattr(ctx.target, "reset_cr_rate_limit", None)
        if reset is not None and await reset(dev):
            return
        await asyncio.sleep(max(0.0, last_sent[0] + window + 0.2 - loop.time()))

    ctx.cleanups.append(rate_window_passed)
    results = await asyncio.gather(
        *(raw_connection_request(dev.cr_url, dev.cr_username, dev.cr_password) for _ in range(n))
    )
    last_sent[0] = loop.time()
    statuses = [status for status, _challenge in results]
    if known is not None:
        refused = sum(1 for s in statuses if s not in (200, 204))
        known.pending_connection_requests = max(0, known.pending_connection_requests - refused)
    ctx.vars[st.args.get("save", "statuses")] = statuses
    if "expect" in st.args:
        check(st.args["expect"], statuses, "connection request statuses")


@step("connect", value="none", needs=fs("acs"))
async def connect(ctx: Context, st: Step) -> None:
    """Make sure the device is in a session with the ACS (connection request if needed)."""
    await ctx.ensure_session(force=True)


# --- files -----------------------------------------------------------------------------------


@step(
    "serve_file",
    value="str",
    keys=fs("content", "size", "save", "auth", "username", "password"),
    needs=fs("acs"),
)
async def serve_file(ctx: Context, st: Step) -> None:
    """Serve a file from the stub ACS for a Download; its URL goes to variable ``save``."""
    acs = ctx.need_acs()
    name = ctx.subst(st.args["_"])
    content = st.args.get("content")
    data = content.encode() if isinstance(content, str) else bytes(int(st.args.get("size", 1024)))
    acs.add_file(
        name,
        data,
        auth=st.args.get("auth", "none"),
        username=st.args.get("username", ""),
        password=st.args.get("password", ""),
    )
    ctx.vars[st.args.get("save", "file_url")] = acs.file_url(name)
    ctx.vars[st.args.get("save", "file_url") + "_size"] = len(data)


@step("expect_upload", value="str", keys=fs("save"), needs=fs("acs"))
async def expect_upload(ctx: Context, st: Step) -> None:
    """Open an upload slot on the stub ACS; its URL goes to variable ``save``."""
    ctx.vars[st.args.get("save", "upload_url")] = ctx.need_acs().expect_upload(
        ctx.subst(st.args["_"])
    )


@step("wait_upload", value="str", keys=fs("expect"), needs=fs("acs"))
async def wait_upload(ctx: Context, st: Step) -> None:
    """Await a file uploaded by the CPE; ``expect`` applies to {size, content}."""
    try:
        up = await ctx.need_acs().wait_upload(ctx.subst(st.args["_"]), _timeout(ctx, st, 20.0))
    except TimeoutError:
        raise StepFailed("no upload arrived in time") from None
    data = {"size": len(up.content), "content": up.content.decode("utf-8", "replace")}
    if "expect" in st.args:
        check(st.args["expect"], data, "upload")


# --- the printer (emulator control API) ------------------------------------------------------


@step("print", value="int|dict", needs=fs("emulator"), keys=fs("complete"))
async def print_job(ctx: Context, st: Step) -> None:
    """Submit a job of N pages (or ``{pages: N, ...ticket}``); ``finish: true`` prints it now."""
    arg = st.args["_"]
    ticket = {"pages": arg} if isinstance(arg, int) else dict(arg)
    control = ctx.need_control()
    job = await ctx.call_control(control.submit_job, **ticket)
    ctx.vars["job"] = job
    if st.args.get("complete", False):
        await ctx.call_control(control.finish)


@step("finish", value="none", needs=fs("emulator"))
async def finish(ctx: Context, st: Step) -> None:
    """Print every runnable job to the end now."""
    await ctx.call_control(ctx.need_control().finish)


@step("inject", value="str", keys=fs("params"), needs=fs("emulator"))
async def inject(ctx: Context, st: Step) -> None:
    """Inject a printer fault (jam, cover_open, toner_empty, tray_empty, offline,
    power_off, output_full); cleared again when the scenario ends."""
    control = ctx.need_control()
    fault, params = st.args["_"], dict(st.args.get("params") or {})
    await ctx.call_control(control.inject, fault, **params)
    ctx.cleanups.append(lambda: _quiet(control.clear, fault, **params))


@step("clear", value="str", keys=fs("params"), needs=fs("emulator"))
async def clear(ctx: Context, st: Step) -> None:
    """Clear a printer fault."""
    await ctx.call_control(
        ctx.need_control().clear, st.args["_"], **dict(st.args.get("params") or {})
    )


def _quiet(fn: Callable[..., Any], *a: Any, **kw: Any) -> None:
    with contextlib.suppress(Exception):  # cleanup must not mask the scenario's own result
        fn(*a, **kw)


@step("power", value="str", needs=fs("emulator"))
async def power(ctx: Context, st: Step) -> None:
    """``power: off`` / ``power: on`` (the plug); switched back on when the scenario ends."""
    control = ctx.need_control()
    if st.args["_"] not in ("on", "off"):
        raise StepFailed("power takes on or off")
    if st.args["_"] == "off":
        await ctx.call_control(control.power_off)
        ctx.cleanups.append(lambda: _quiet(control.power_on))
    else:
        await ctx.call_control(control.power_on)


@step("refill", value="none|int", needs=fs("emulator"))
async def refill(ctx: Context, st: Step) -> None:
    """Refill one supply (index) or all."""
    await ctx.call_control(ctx.need_control().refill, st.args.get("_"))


@step("reboot_printer", value="none", needs=fs("emulator"))
async def reboot_printer(ctx: Context, st: Step) -> None:
    """Reboot the printer from its control API (a person pressing the power button)."""
    await ctx.call_control(ctx.need_control().reboot)


@step("truth", value="str", keys=fs("expect", "save"), needs=fs("emulator"))
async def truth(ctx: Context, st: Step) -> None:
    """Read a value of the printer's state (emulator ground truth) by its state path."""
    value = await ctx.call_control(ctx.need_control().get, ctx.subst(st.args["_"]))
    if "expect" in st.args:
        check(ctx.subst(st.args["expect"]), value, f"printer state {st.args['_']}")
    if "save" in st.args:
        ctx.vars[st.args["save"]] = value


@step("set_truth", value="dict", needs=fs("emulator"))
async def set_truth(ctx: Context, st: Step) -> None:
    """Change the printer's state directly (as its panel would), ``{path: value}``."""
    control = ctx.need_control()
    for path, value in ctx.subst(st.args["_"]).items():
        await ctx.call_control(control.set, path, value)


@step("oracle", value="str|list", keys=fs("expect", "save"), needs=fs("oracle"))
async def oracle(ctx: Context, st: Step) -> None:
    """Read parameters from the printer's own TR-069 view (the ground-truth oracle)."""
    spec = ctx.subst(st.args["_"])
    names = [expand_name(n) for n in ([spec] if isinstance(spec, str) else spec)]
    values = await ctx.oracle(names)
    if "expect" in st.args:
        check(
            {expand_name(k): v for k, v in ctx.subst(st.args["expect"]).items()}, values, "oracle"
        )
    if "save" in st.args:
        ctx.vars[st.args["save"]] = values


# --- parameters against the oracle ----------------------------------------------------------


@step("check_parameters", value="none|str", keys=fs("select"), needs=fs("acs", "oracle"))
async def check_parameters(ctx: Context, st: Step) -> None:
    """Read every mapped parameter (``select: mapping``, default) of the device through the
    ACS in one GetParameterValues and compare each with the printer's own TR-069 view.
    Each parameter becomes a cell of the report's parameter × device matrix."""
    from printbench.conformance.params import mapped_names

    await ctx.ensure_session()
    before = await ctx.oracle([PS])
    response, fault = await _rpc(
        ctx, "GetParameterValues", {"parameter_names": [PS]}, timeout=_timeout(ctx, st, 30.0)
    )
    if fault is not None:
        raise StepFailed(f"GetParameterValues {PS}: fault {fault_json(fault)['code']}")
    got = values_of(response)
    truth = await ctx.oracle([PS])
    rows = mapped_names(
        st.args.get("select") or st.args.get("_") or "mapping", set(got) | set(truth)
    )
    failures = []
    for row_path, names in rows.items():
        if not names:
            ctx.cell(row_path, "read", "n/a", "no instance on this printer")
            continue
        bad = []
        for name in names:
            if name not in got:
                bad.append(
                    f"{name}: missing from the CPE's answer (printer has {truth.get(name)!r})"
                )
            elif name not in truth:
                bad.append(
                    f"{name}: CPE has {got[name]!r}, the printer's own view has no such parameter"
                )
            elif not _agrees(got[name], before.get(name, truth[name]), truth[name]):
                bad.append(f"{name}: CPE {got[name]!r} ≠ printer {truth[name]!r}")
        ctx.cell(
            row_path,
            "read",
            "fail" if bad else "pass",
            "; ".join(bad[:3]) or f"{len(names)} instance(s) agree",
        )
        failures.extend(bad)
    ctx.vars["checked_parameters"] = sum(len(v) for v in rows.values())
    if not any(rows.values()):
        raise StepFailed("no mapped parameter found on the device")
    if failures:
        raise StepFailed(
            f"{len(failures)} parameter(s) disagree with the printer: " + "; ".join(failures[:5])
        )


@step("write_parameters", value="none|str", keys=fs("select", "restore"), needs=fs("acs", "oracle"))
async def write_parameters(ctx: Context, st: Step) -> None:
    """Write every read-write mapped parameter through the ACS (one SetParameterValues
    each, or one per group of coupled parameters; a value the printer refuses with 9007 is
    followed by the next candidate), check that the printer's own view shows each new
    value, then put the old values back.

    All of it runs in one session: GetRPCMethods are kept queued behind the work (each
    answer queues the next, as for ``keep_held``), so the session does not end while the
    step reads the printer's view or picks the next candidates. Why: each new session
    costs a connection request, and with SNMP switched off on the printer a proxy's
    connection request waits for its printer reads to time out (seconds per session)."""
    from printbench.acs_stub.control import message_from_json

    acs = ctx.need_acs()
    spacer = message_from_json("GetRPCMethods", {})
    keep_open = [True]

    def queue_spacer() -> None:
        item = acs.enqueue(ctx.device.acs_id, spacer)
        ctx.pending_rpcs.append(item)
        item.future.add_done_callback(lambda _f: queue_spacer() if keep_open[0] else None)

    for _ in range(HELD_AHEAD):
        queue_spacer()
    try:
        await _write_parameters(ctx, st, acs)
    finally:
        keep_open[0] = False


async def _write_parameters(ctx: Context, st: Step, acs: Any) -> None:
    from printbench.acs_stub.control import message_from_json
    from printbench.acs_stub.rpc_queue import RpcFault
    from printbench.conformance.params import ACCESS, COUPLED, LAST, candidates, mapped_names

    response, fault = await _rpc(
        ctx, "GetParameterValues", {"parameter_names": [PS]}, timeout=_timeout(ctx, st, 30.0)
    )
    if fault is not None:
        raise StepFailed(f"GetParameterValues {PS}: fault {fault_json(fault)['code']}")
    got = values_of(response)
    rows = mapped_names("mapping-writable", set(got))
    # One group = one SetParameterValues: a single parameter, or parameters that only change
    # together (COUPLED, e.g. both resolution axes). Each has values to try in turn: a
    # printer may rightly refuse a value it does not support (9007); it fails the check only
    # when it refuses every candidate, or accepts one and does not show it.
    singles: list[tuple[str, str, str, list[str]]] = []  # row, name, old, candidates
    for row_path, names in rows.items():
        for name in names[:2]:  # the first instances of a table are enough per printer
            values = candidates(ctx.param_type(name), got[name], name)
            if values:
                singles.append((row_path, name, got[name], values))
    groups: list[list[tuple[str, str, str, list[str]]]] = []
    by_name = {n: item for item in singles for n in [item[1]]}
    done: set[str] = set()
    for item in singles:
        if item[1] in done:
            continue
        group = [item]
        for coupled in COUPLED:
            if any(item[1].endswith(c) for c in coupled):
                stem = item[1][: -len(next(c for c in coupled if item[1].endswith(c)))]
                group = [by_name[stem + c] for c in coupled if stem + c in by_name]
        done.update(g[1] for g in group)
        groups.append(group)
    # Switches and communities after the rest, and the manager's own access (SNMP) last of
    # all: restored in reverse, it comes back first.
    groups.sort(
        key=lambda g: (any(LAST.search(i[1]) for i in g), any(ACCESS.search(i[1]) for i in g))
    )
    plan: list[tuple[str, str, str, str, str]] = []  # row, name, old, new, xsi type

    async def batch(sets: list[list[tuple[str, str, str]]], tag: str) -> list[str | None]:
        """One SetParameterValues per group (all queued for one session); errors by group."""
        items = []
        for values in sets:
            request = message_from_json(
                "SetParameterValues",
                {
                    "parameter_list": [
                        {"name": name, "value": value, "type": ptype}
                        for name, value, ptype in values
                    ],
                    "parameter_key": f"{tag}-{secrets.token_hex(3)}",
                },
            )
            item = acs.enqueue(ctx.device.acs_id, request)
            ctx.pending_rpcs.append(item)
            items.append(item)
        await ctx.ensure_session()
        errors: list[str | None] = []
        for item in items:
            try:
                await item.result(_timeout(ctx, st, 30.0))
                errors.append(None)
            except RpcFault as exc:
                f = fault_json(exc.fault)
                per = set((f.get("parameter_faults") or {}).values())
                refused = f["code"] == 9007 or (f["code"] == 9003 and per == {9007})
                errors.append(
                    ("9007 " if refused else "")
                    + f"fault {f['code']} {f.get('fault_string') or ''}".strip()
                )
            except TimeoutError:
                errors.append("no answer")
        return errors

    errors: dict[str, str] = {}

    async def write(pending: list[list[tuple[str, str, str, list[str]]]]) -> None:
        attempt = 0
        while pending:
            sets = [
                [(n, values[attempt], ctx.xsi_type(n, values[attempt])) for _r, n, _o, values in g]
                for g in pending
            ]
            results = await batch(sets, "w")
            retry = []
            for g, err in zip(pending, results, strict=True):
                more = all(len(values) > attempt + 1 for *_x, values in g)
                if err is not None and err.startswith("9007 ") and more:
                    retry.append(g)
                    continue
                for row, name, old, values in g:
                    plan.append(
                        (row, name, old, values[attempt], ctx.xsi_type(name, values[attempt]))
                    )
                    if err is not None:
                        errors[name] = err.removeprefix("9007 ")
            pending = retry
            attempt += 1

    # The manager's own access (ACCESS) after everything else, retries included: while it
    # is changed, a proxy's every printer read waits for a timeout.
    await write([g for g in groups if not any(ACCESS.search(i[1]) for i in g)])
    await write([g for g in groups if any(ACCESS.search(i[1]) for i in g)])
    truth = await ctx.oracle([n for _r, n, *_ in plan])
    bad_by_row: dict[str, list[str]] = {}
    for row, name, _old, new, _t in plan:
        bad = bad_by_row.setdefault(row, [])
        if name in errors:
            bad.append(f"{name}: SetParameterValues {new!r} → {errors[name]}")
        elif not _same_value(new, truth.get(name, "<absent>")):
            bad.append(f"{name}: wrote {new!r}, printer shows {truth.get(name)!r}")
    if st.args.get("restore", True):  # in reverse: switches before the values they need
        restore = [(n, old, t) for _r, n, old, _new, t in reversed(plan) if n not in errors]
        coupled_restore: dict[str, list[tuple[str, str, str]]] = {}
        for n, old, t in restore:
            key = next((n[: -len(c)] for cs in COUPLED for c in cs if n.endswith(c)), n)
            coupled_restore.setdefault(key, []).append((n, old, t))
        await batch(list(coupled_restore.values()), "r")
    failures = []
    for row_path in rows:
        if row_path not in bad_by_row:
            ctx.cell(row_path, "write", "n/a", "no instance or no safe test value on this printer")
            continue
        bad = bad_by_row[row_path]
        ctx.cell(
            row_path,
            "write",
            "fail" if bad else "pass",
            "; ".join(bad[:3]) or "written, seen on the printer, restored",
        )
        failures.extend(bad)
    if not plan:
        raise StepFailed("no read-write mapped parameter found on the device")
    if failures:
        raise StepFailed(f"{len(failures)} write(s) failed: " + "; ".join(failures[:5]))


# --- flow and variables ------------------------------------------------------------------------


@step("for_each", value="str|list", keys=fs("as", "limit"), nested=True)
async def for_each(ctx: Context, st: Step) -> None:
    """Run the nested steps once per item: a list, or ``mapping`` / ``mapping-writable`` /
    ``datamodel`` (the device's mapped or data-model parameters, one instance each)."""
    from printbench.conformance.params import loop_items

    items = st.args["_"]
    if isinstance(items, str):
        items = await loop_items(ctx, items)
    limit = st.args.get("limit")
    if isinstance(limit, int):
        items = items[:limit]
    var = st.args.get("as", "item")
    for item in items:
        ctx.vars[var] = item
        for child in st.children:
            await ctx.run_step(child)


@step("advance", value="number")
async def advance(ctx: Context, st: Step) -> None:
    """Let N seconds of device time pass: a fake clock jumps, a real one is waited on
    (bounded; the target's time scale may shorten it)."""
    await ctx.target.advance(float(st.args["_"]))


@step("sleep", value="number")
async def sleep(ctx: Context, st: Step) -> None:
    """Wait N real seconds (at most 15)."""
    await asyncio.sleep(min(float(st.args["_"]), MAX_REAL_WAIT))


@step("set_var", value="dict")
async def set_var(ctx: Context, st: Step) -> None:
    """Set variables (``${name}`` in later steps)."""
    ctx.vars.update(ctx.subst(st.args["_"]))


@step("assert", value="dict", matchers=("_",))
async def assert_(ctx: Context, st: Step) -> None:
    """Check saved variables: ``{variable: matcher}`` (dotted paths reach inside)."""
    for name, matcher in st.args["_"].items():
        check(ctx.subst(matcher), ctx.lookup(name), name)


@step("verdicts", value="none", keys=fs("expect_rules", "none_except"), needs=fs("acs"))
async def verdicts(ctx: Context, st: Step) -> None:
    """Check the stub ACS's protocol verdicts for this device so far in the scenario:
    ``expect_rules: [rule]`` must have been reported (negative tests); ``none_except:
    [rule]`` fails on any other verdict, optional ones included (an allowed variant must
    not cost the CPE even a warning)."""
    found = {v.rule for v in ctx.violations()}
    for rule in st.args.get("expect_rules", []):
        if rule not in found:
            raise StepFailed(
                f"expected the ACS to report rule {rule!r}; it reported {sorted(found) or 'nothing'}"
            )
    if "none_except" in st.args:
        allowed = set(st.args["none_except"] or [])
        other = [v for v in ctx.violations() if v.rule not in allowed]
        if other:
            v = other[0]
            raise StepFailed(
                f"the ACS reported {len(other)} verdict(s), first {v.rule} ({v.severity}): "
                f"{v.message} (journal #{v.ref})"
            )


@step("log", value="str")
async def log_(ctx: Context, st: Step) -> None:
    """A note in the report (checks nothing)."""
    ctx.notes.append(ctx.subst(st.args["_"]))


@step(
    "interval",
    value="none",
    keys=fs("between", "expect"),
    required=fs("between", "expect"),
    matchers=("expect",),
)
async def interval(ctx: Context, st: Step) -> None:
    """Seconds between two saved Informs (``between: [a, b]``), checked with ``expect``."""
    a, b = st.args["between"]
    ta, tb = ctx.lookup(f"{a}.received_at"), ctx.lookup(f"{b}.received_at")
    check(st.args["expect"], tb - ta, f"seconds between {a} and {b}")


def _token() -> str:
    return secrets.token_hex(4)


_VAR = re.compile(r"\$\{([A-Za-z_][\w.\-]*)\}")


@dataclass
class Substituter:
    """``${name}`` in strings; a string that is exactly one ``${name}`` keeps the value's type."""

    lookup: Callable[[str], Any]
    missing: list[str] = field(default_factory=list)

    def __call__(self, value: Any) -> Any:
        if isinstance(value, str):
            whole = _VAR.fullmatch(value)
            if whole:
                return self.lookup(whole.group(1))
            return _VAR.sub(lambda mo: str(self.lookup(mo.group(1))), value)
        if isinstance(value, list):
            return [self(v) for v in value]
        if isinstance(value, dict):
            return {self(k) if isinstance(k, str) else k: self(v) for k, v in value.items()}
        return value


# Steps of other modules register in STEPS when this one is imported.
import printbench.conformance.steps_cpe  # noqa: E402, F401
