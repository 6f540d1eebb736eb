"""Steps that check and write every mapped parameter against the oracle (the printer's own
TR-069 view of its state, a different code path from the proxy's mapping)."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from printbench.acs_stub.control import message_from_json
from printbench.acs_stub.rpc_queue import RpcFault
from printbench.conformance.steps.base import (
    PS,
    StepFailed,
    fault_json,
    fs,
    rpc_call,
    step,
    step_timeout,
    values_of,
)
from printbench.conformance.steps.observe import HELD_AHEAD
from printbench.conformance.steps.rpc import agrees, same_value
from printbench.conformance.steps.selection import ACCESS, COUPLED, LAST, candidates, mapped_names

if TYPE_CHECKING:
    from printbench.conformance.engine import Context
    from printbench.conformance.scenario import Step


@step("check_parameters", value="none|str", keys=fs("select"), needs=fs("acs", "oracle"))
async def check_parameters(ctx: Context, st: Step) -> None:
    """Read every mapped parameter (``select: mapping``, default) of the device through the
    ACS in one GetParameterValues and compare each with the printer's own TR-069 view.
    Each parameter becomes a cell of the report's parameter × device matrix."""

    await ctx.ensure_session()
    before = await ctx.oracle([PS])
    response, fault = await rpc_call(
        ctx, "GetParameterValues", {"parameter_names": [PS]}, timeout=step_timeout(ctx, st, 30.0)
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
            elif not agrees(got[name], before.get(name, truth[name]), truth[name]):
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

    response, fault = await rpc_call(
        ctx, "GetParameterValues", {"parameter_names": [PS]}, timeout=step_timeout(ctx, st, 30.0)
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
                await item.result(step_timeout(ctx, st, 30.0))
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
        elif not same_value(new, truth.get(name, "<absent>")):
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
