"""The step specification, the registry and the helpers every step module shares.

Each action is a :class:`StepSpec`: the keys it takes (checked when the file is loaded, so a
typo is a ``file:line: step`` error and never a run-time surprise), whether it needs the
emulator's control API or our stub ACS, and an async ``run(ctx, step)``. A failed check
raises :class:`StepFailed` with a message that says what was expected and what came; a
target that cannot do what the step needs raises :class:`StepSkipped` (the scenario is
reported as not applicable, never as passed).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from printbench.acs_stub.control import message_from_json, to_json
from printbench.acs_stub.rpc_queue import RpcFault
from printbench.conformance.matchers import check_matcher, match

if TYPE_CHECKING:
    from printbench.conformance.engine import Context
    from printbench.conformance.scenario import Step

PS = "Device.Services.PrintService.1."
#: Longest real wait a step may ask for (a scenario is a test, not a soak run).
MAX_REAL_WAIT = 15.0


class StepFailed(AssertionError):
    """A check in a step did not hold."""


class DeviceGone(StepFailed):
    """The device stopped answering: connection requests refused or started no session.

    The engine reports it once, on the scenario whose RPC the device went away after, and marks
    the scenarios that find it gone ``blocked`` until it informs again (issue 12 item 6).
    """


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
        kinds: dict[str, tuple[type, ...]] = {
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

    data = to_json(fault)
    data["code"] = data.get("fault_code")
    data["parameter_faults"] = {
        f["parameter_name"]: f["fault_code"] for f in data.get("set_parameter_values_faults", [])
    }
    return data


def response_json(response: Any) -> dict[str, Any]:

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


def step_timeout(ctx: Context, st: Step, default: float = 10.0) -> float:
    return float(st.args.get("timeout", default)) * ctx.time_scale


# --- RPCs through our stub ACS ------------------------------------------------------------


async def rpc_call(
    ctx: Context,
    method: str,
    args: dict[str, Any],
    *,
    hold: bool = False,
    connect: bool = True,
    timeout: float = 15.0,
) -> tuple[Any, Any]:
    """Send an RPC; returns (response, fault) with exactly one set."""

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


def check_outcome(st: Step, method: str, response: Any, fault: Any) -> dict[str, Any]:
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




def inform_json(inform: Any) -> dict[str, Any]:

    data = to_json(inform)
    data["events"] = [e.event_code for e in inform.event]
    data["command_keys"] = {e.event_code: e.command_key for e in inform.event}
    data["params"] = {p.name: p.value for p in inform.parameter_list}
    return data




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

