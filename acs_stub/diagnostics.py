"""The ACS side of TR-181 ``Device.IP.Diagnostics.`` / TR-143: run a test on a CPE, wait for
``8 DIAGNOSTICS COMPLETE``, read the results, and judge what the CPE did.

:func:`run_diagnostic` is what an ACS operator does: one SetParameterValues with the test
parameters and ``DiagnosticsState=Requested`` (TR-181: the test parameters "MUST be set ...
either prior to or at the same time as (in the same SetParameterValues)"), then wait for the
Inform carrying ``8 DIAGNOSTICS COMPLETE`` and read the object in that session. The verdicts
(rules in ``acs_stub.verdicts.RULES``, reported like every other finding of the judge):

- ``diagnostics-complete-event``: the event came at all (TR-181 DiagnosticsState: "the CPE MUST
  establish a new connection to the ACS ... indicating the Event code 8 DIAGNOSTICS COMPLETE");
- ``diagnostics-new-session``: in a session after the one that requested the test;
- ``diagnostics-state``: the value is then Complete or one of the object's Error values;
- ``diagnostics-results``: results consistent with the MUSTs of the result parameters (times to
  the microsecond, ROMTime ≤ BOMTime ≤ EOMTime, counts adding up, RTTimes rounding).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from printbench.acs_stub.verdicts import SessionView
from printbench.cwmp import messages as m
from printbench.cwmp import soap

if TYPE_CHECKING:
    from printbench.acs_stub.control import AcsControl

BASE = "Device.IP.Diagnostics."
EVENT = "8 DIAGNOSTICS COMPLETE"
OBJECTS = ("IPPing", "TraceRoute", "DownloadDiagnostics", "UploadDiagnostics",
           "ServerSelectionDiagnostics")  # fmt: skip
_US = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)")
_UNSIGNED = {"NumberOfRepetitions", "Timeout", "DataBlockSize", "DSCP", "NumberOfTries",
             "MaxHopCount", "NumberOfConnections", "TestFileLength", "EthernetPriority",
             "TimeBasedTestDuration", "TimeBasedTestMeasurementInterval",
             "TimeBasedTestMeasurementOffset"}  # fmt: skip


@dataclass
class DiagnosticRun:
    """What one diagnostic run gave: the final values and what the judge found."""

    object: str
    state: str = ""
    values: dict[str, str] = field(default_factory=dict)
    request_session: str | None = None
    complete_session: str | None = None
    findings: list[tuple[str, str]] = field(default_factory=list)  # (rule, message)

    def value(self, name: str) -> str:
        return self.values.get(f"{BASE}{self.object}.{name}", "")


def _xsi(name: str, value: Any) -> str:
    if isinstance(value, bool) or name == "EnablePerConnectionResults":
        return "xsd:boolean"
    if name == "TestFileLength":
        return "xsd:unsignedLong"
    return "xsd:unsignedInt" if name in _UNSIGNED else "xsd:string"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


async def run_diagnostic(
    ctl: AcsControl,
    device_id: str,
    obj: str,
    params: Mapping[str, Any],
    *,
    connect: bool | Callable[[], Awaitable[Any]] = True,
    timeout: float = 60.0,
    parameter_key: str = "",
) -> DiagnosticRun:
    """Request diagnostic ``obj`` (``"IPPing"``, ...) with ``params`` (names relative to the
    object), await ``8 DIAGNOSTICS COMPLETE`` within ``timeout`` s and read the results.

    ``connect``: True sends a Connection Request when the device has no session; a coroutine
    function is called instead (after queueing the SetParameterValues); False waits for the
    device to come by itself."""
    if obj not in OBJECTS:
        raise ValueError(f"{obj!r} is not one of {', '.join(OBJECTS)}")
    prefix = f"{BASE}{obj}."
    plist = (
        *(m.ParameterValueStruct(prefix + k, _text(v), _xsi(k, v)) for k, v in params.items()),
        m.ParameterValueStruct(prefix + "DiagnosticsState", "Requested", "xsd:string"),
    )
    run = DiagnosticRun(obj)
    done = ctl.server.inform_waiter(
        lambda d, inf: d.id == device_id and any(e.event_code == EVENT for e in inf.event)
    )
    item = ctl.enqueue(device_id, m.SetParameterValues(plist, parameter_key))
    try:
        if callable(connect):  # the caller's own way (the conformance engine's, retried)
            await connect()
        elif connect:
            await _connect(ctl, device_id, min(timeout, 30.0))
        await item.result(min(timeout, 30.0))  # a fault raises RpcFault: the SPV was refused
        run.request_session = item.sent_in_session
        try:
            await asyncio.wait_for(asyncio.shield(done), timeout)
        except TimeoutError:
            _flag(ctl, run, device_id, "diagnostics-complete-event",
                  f"no Inform with {EVENT} within {timeout:g} s of requesting {obj}")  # fmt: skip
            return run
    finally:
        if not done.done():
            done.cancel()
    session = ctl.server.current_session(device_id)
    run.complete_session = session.id if session is not None else None
    if run.complete_session is not None and run.complete_session == run.request_session:
        _flag(ctl, run, device_id, "diagnostics-new-session",
              f"{EVENT} came in the session that requested the test ({run.request_session})")  # fmt: skip
    response = await ctl.call(device_id, m.GetParameterValues((prefix,)), timeout=30.0)
    assert isinstance(response, m.GetParameterValuesResponse)
    run.values = {p.name: p.value for p in response.parameter_list}
    run.state = run.value("DiagnosticsState")
    for rule, message in judge_results(obj, run.values, params):
        _flag(ctl, run, device_id, rule, message)
    return run


async def _connect(ctl: AcsControl, device_id: str, timeout: float) -> None:
    """A Connection Request unless the device is in a session; a 503 (the CPE's rate limit,
    TR-069 §3.2.2 lets it refuse) is retried until ``timeout``."""
    from printbench.acs_stub.control import ConnectionRequestError

    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while ctl.server.current_session(device_id) is None:
        try:
            await ctl.connection_request(device_id, timeout=max(1.0, end - loop.time()))
            return
        except ConnectionRequestError:
            if loop.time() > end:
                raise
            await asyncio.sleep(0.5)


def _flag(ctl: AcsControl, run: DiagnosticRun, device_id: str, rule: str, message: str) -> None:
    run.findings.append((rule, message))
    device = ctl.known_device(device_id)
    session = run.complete_session or run.request_session or ""
    ctl.server.judge.add(SessionView(session, device=device), rule, message, None)


#: Each object's Error values (TR-181 2.17 DiagnosticsState enumerations).
_ERRORS = {
    "IPPing": {"Error_CannotResolveHostName", "Error_NoRouteToHost", "Error_Internal",
               "Error_Other"},
    "TraceRoute": {"Error_CannotResolveHostName", "Error_NoRouteToHost",
                   "Error_MaxHopCountExceeded", "Error_Internal", "Error_Other"},
    "DownloadDiagnostics": {"Error_CannotResolveHostName", "Error_NoRouteToHost",
                            "Error_InitConnectionFailed", "Error_NoResponse",
                            "Error_TransferFailed", "Error_PasswordRequestFailed",
                            "Error_LoginFailed", "Error_NoTransferMode", "Error_NoPASV",
                            "Error_IncorrectSize", "Error_Timeout", "Error_Internal",
                            "Error_Other"},
    "UploadDiagnostics": {"Error_CannotResolveHostName", "Error_NoRouteToHost",
                          "Error_InitConnectionFailed", "Error_NoResponse",
                          "Error_PasswordRequestFailed", "Error_LoginFailed",
                          "Error_NoTransferMode", "Error_NoPASV", "Error_NoCWD", "Error_NoSTOR",
                          "Error_NoTransferComplete", "Error_Timeout", "Error_Internal",
                          "Error_Other"},
    "ServerSelectionDiagnostics": {"Error_CannotResolveHostName", "Error_Internal",
                                   "Error_Other"},
}  # fmt: skip


def judge_results(
    obj: str, values: Mapping[str, str], params: Mapping[str, Any] | None = None
) -> list[tuple[str, str]]:
    """What is wrong with a finished diagnostic's values (pure; rule ids and messages)."""
    prefix = f"{BASE}{obj}."
    v = {k[len(prefix) :]: val for k, val in values.items() if k.startswith(prefix)}
    out: list[tuple[str, str]] = []
    state = v.get("DiagnosticsState", "")
    if state != "Complete" and state not in _ERRORS[obj]:
        out.append(("diagnostics-state", f"{obj}.DiagnosticsState is {state!r} after {EVENT}, "
                    "not Complete or one of its Error values"))  # fmt: skip
        return out
    if state != "Complete":
        return out  # "the values of the results parameters for this test are indeterminate"

    def num(name: str) -> int:
        try:
            return int(v.get(name, "0") or 0)
        except ValueError:
            out.append(("diagnostics-results", f"{obj}.{name} is not a number: {v.get(name)!r}"))
            return 0

    if obj == "IPPing":
        reps = num("NumberOfRepetitions")
        if num("SuccessCount") + num("FailureCount") != reps:
            out.append(("diagnostics-results", f"SuccessCount + FailureCount is not "
                        f"NumberOfRepetitions ({reps})"))  # fmt: skip
        if num("SuccessCount") == 0 and num("AverageResponseTime") != 0:
            out.append(("diagnostics-results", "AverageResponseTime is not 0 without a "
                        "successful response (TR-181: 'this value MUST be zero')"))  # fmt: skip
        if (
            not num("MinimumResponseTime")
            <= num("AverageResponseTime")
            <= num("MaximumResponseTime")
        ):
            out.append(("diagnostics-results", "Minimum ≤ Average ≤ MaximumResponseTime fails"))
    elif obj == "TraceRoute":
        hops = num("RouteHopsNumberOfEntries")
        if hops > num("MaxHopCount") or hops < 1:
            out.append(("diagnostics-results", f"{hops} RouteHops for MaxHopCount "
                        f"{num('MaxHopCount')}"))  # fmt: skip
        tries = num("NumberOfTries")
        for i in range(1, hops + 1):
            rt = v.get(f"RouteHops.{i}.RTTimes", "")
            items = [x for x in rt.split(",") if x != ""]
            if len(items) != tries:
                out.append(("diagnostics-results", f"RouteHops.{i}.RTTimes {rt!r} has not "
                            f"NumberOfTries ({tries}) items"))  # fmt: skip
    elif obj in ("DownloadDiagnostics", "UploadDiagnostics"):
        times = ["TCPOpenRequestTime", "TCPOpenResponseTime", "ROMTime", "BOMTime", "EOMTime"]
        for name in times:
            if not _US.fullmatch(v.get(name, "")):
                out.append(("diagnostics-results", f"{obj}.{name} {v.get(name)!r} is not "
                            "given to the microsecond (TR-181: 'MUST be specified to "
                            "microsecond precision')"))  # fmt: skip
        try:
            t = [soap.parse_datetime(v[n]) for n in times]
        except (KeyError, ValueError, TypeError):
            return out
        # Across connections ROM/BOM are the earliest, EOM and the TCP times the latest
        # (TR-181), so only these orders hold in general; each PerConnectionResult row is
        # fully ordered.
        if not t[0] <= t[1] or not t[2] <= t[3] <= t[4]:
            out.append(("diagnostics-results", "the times are out of order: TCPOpenRequestTime"
                        " ≤ TCPOpenResponseTime, ROMTime ≤ BOMTime ≤ EOMTime expected"))  # fmt: skip
        for i in range(1, num("PerConnectionResultNumberOfEntries") + 1):
            try:
                row = [soap.parse_datetime(v[f"PerConnectionResult.{i}.{n}"]) for n in times]
            except (KeyError, ValueError, TypeError):
                out.append(("diagnostics-results", f"PerConnectionResult.{i} lacks its times"))
                continue
            if row != sorted(row):
                out.append(("diagnostics-results", f"PerConnectionResult.{i}: times out of "
                            "order (TCP open request, response, ROM, BOM, EOM)"))  # fmt: skip
        test = "TestBytesReceived" if obj == "DownloadDiagnostics" else "TestBytesSent"
        if num(test) <= 0:
            out.append(("diagnostics-results", f"{test} is {v.get(test)!r} after a Complete test"))
        if obj == "UploadDiagnostics" and params and "TestFileLength" in params:
            want = int(params["TestFileLength"])
            if not params.get("TimeBasedTestDuration") and num(test) < want:
                out.append(("diagnostics-results", f"{test} {num(test)} is less than "
                            f"TestFileLength {want} ('The CPE MUST insure the appropriate "
                            "number of bytes are sent')"))  # fmt: skip
    elif obj == "ServerSelectionDiagnostics":
        hosts = [h.strip() for h in v.get("HostList", "").split(",") if h.strip()]
        if v.get("FastestHost") not in hosts:
            out.append(("diagnostics-results", f"FastestHost {v.get('FastestHost')!r} is not "
                        "an item of HostList"))  # fmt: skip
    return out
