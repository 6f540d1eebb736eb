"""Steps that send RPCs through the stub ACS and check what comes back (rpc, get, set, ...),
and the ACS-side switches a scenario sets (hold_on_inform, retry_faults, fail_sessions)."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from printbench.acs_stub.control import message_from_json
from printbench.acs_stub.rpc_queue import RpcFault
from printbench.conformance.steps.base import (
    StepFailed,
    check,
    check_outcome,
    expand_name,
    fs,
    rpc_call,
    step,
    step_timeout,
    values_of,
)
from printbench.cwmp.types import parse_datetime

if TYPE_CHECKING:
    from printbench.conformance.engine import Context
    from printbench.conformance.scenario import Step


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
    response, fault = await rpc_call(
        ctx,
        method,
        args,
        hold=bool(st.args.get("hold", False)),
        connect=bool(st.args.get("connect", True)),
        timeout=step_timeout(ctx, st, 15.0),
    )
    data = check_outcome(st, method, response, fault)
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
        await rpc_call(ctx, "SetParameterAttributes", reset, hold=False, connect=True, timeout=10.0)

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

    item = ctx.vars.get(st.args["_"])
    if item is None or not hasattr(item, "result"):
        raise StepFailed(f"no queued RPC named {st.args['_']!r}")
    try:
        response, fault = await item.result(step_timeout(ctx, st, 15.0)), None
    except RpcFault as exc:
        response, fault = None, exc.fault
    except TimeoutError:
        raise StepFailed(f"{item.method}: no answer in time") from None
    data = check_outcome(st, item.method, response, fault)
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
    response, fault = await rpc_call(
        ctx, "GetParameterValues", {"parameter_names": names}, timeout=step_timeout(ctx, st, 15.0)
    )
    if fault is not None or "expect_fault" in st.args:
        check_outcome(st, "GetParameterValues", response, fault)
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
            if name in truth and not agrees(value, before.get(name, truth[name]), truth[name]):
                raise StepFailed(
                    f"{name}: CPE says {value!r}, the printer's own view says {truth[name]!r}"
                )
    if "save" in st.args:
        ctx.vars[st.args["save"]] = values


def same_value(a: str, b: str) -> bool:
    """Equal as TR-069 values: booleans in either form; dateTimes within a second (values
    derived from "now" minus an uptime move by the time between two reads)."""
    if a == b:
        return True
    low = {a.lower(), b.lower()}
    if low <= {"true", "1"} or low <= {"false", "0"}:
        return True
    if "T" in a and "T" in b:

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
    response, fault = await rpc_call(
        ctx,
        "SetParameterValues",
        {"parameter_list": plist, "parameter_key": key},
        timeout=step_timeout(ctx, st, 15.0),
    )
    data = check_outcome(st, "SetParameterValues", response, fault)
    if "save" in st.args:
        ctx.vars[st.args["save"]] = data
    if fault is None and st.args.get("verify") == "truth":
        truth = await ctx.oracle(list(values))
        for name, value in values.items():
            if not same_value(_text(value), truth.get(name, "<absent>")):
                raise StepFailed(
                    f"{name}: set to {_text(value)!r}, the printer's own view says {truth.get(name)!r}"
                )


def agrees(value: str, before: str, after: str) -> bool:
    """The CPE's value equals the printer's before or after the read, or (a counter, an
    uptime) lies between the two readings."""
    if same_value(value, before) or same_value(value, after):
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
        n = 0
        for e in acs.journal_entries(device=device_id, since=since):
            if (
                e.direction == "cpe->acs"
                and e.method == "Inform"
                and "Authorization" not in e.headers
            ):
                answer = acs.journal_entry(e.ref + 1)
                if answer is not None and answer.http_status == 401:
                    n += 1
        return n

    async def lift() -> None:
        while failed_attempts() < count:
            await acs.journal_changed(1.0)  # every attempt is a journal entry
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
