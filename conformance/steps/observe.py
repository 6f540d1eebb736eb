"""Steps that observe the CPE: its Informs and requests, held sessions, connection requests."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from printbench.acs_stub.control import message_from_json
from printbench.conformance.matchers import match
from printbench.conformance.steps.base import (
    MAX_REAL_WAIT,
    StepFailed,
    check,
    expand_name,
    fault_json,
    fs,
    inform_json,
    rpc_call,
    step,
    step_timeout,
)

if TYPE_CHECKING:
    from printbench.conformance.engine import Context
    from printbench.conformance.scenario import Step


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
    rec = await ctx.next_inform(events, step_timeout(ctx, st, 20.0))
    if rec is None:
        got = [", ".join(r.events) or "-" for r in ctx.informs_since_start()]
        raise StepFailed(
            f"no Inform with events {events} within {step_timeout(ctx, st, 20.0):.0f} s"
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
    end = loop.time() + step_timeout(ctx, st, 20.0)
    while True:
        entry = await ctx.next_request(method, max(0.0, end - loop.time()))
        if entry is None:
            raise StepFailed(
                f"no matching {method} from the CPE within {step_timeout(ctx, st, 20.0):.0f} s"
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
    _response, fault = await rpc_call(ctx, "GetRPCMethods", {}, hold=False)
    if fault is not None:
        raise StepFailed(f"GetRPCMethods: fault {fault_json(fault)['code']}")


@step("session_end", value="none", needs=fs("acs"))
async def session_end(ctx: Context, st: Step) -> None:
    """Wait until the device has no session with the ACS."""
    ok = await ctx.until(
        lambda: ctx.need_acs().server.current_session(ctx.device.acs_id) is None,
        step_timeout(ctx, st, 20.0),
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
    ctx.refresh_cr_url()  # the device may have informed a new one (restart on a new port)
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
    known = acs.known_device(dev.acs_id)
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
        rec = await ctx.next_inform(["6 CONNECTION REQUEST"], step_timeout(ctx, st, 20.0))
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
    ctx.refresh_cr_url()  # the device may have informed a new one (restart on a new port)
    if not dev.cr_url:
        await ctx.learn_cr_url()
    # The judge must know these connection requests came from the ACS side (as for
    # ``connection_request``), or the session an accepted one starts is flagged as
    # "6 CONNECTION REQUEST without a Connection Request from this ACS".
    acs = ctx.need_acs()
    known = acs.known_device(dev.acs_id)
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
