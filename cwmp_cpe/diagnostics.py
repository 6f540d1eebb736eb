"""TR-181 ``Device.IP.Diagnostics.`` and TR-143: the pure part (no I/O).

What lives here: which parameters each diagnostic object has (test parameters with their
defaults, result parameters), the ``DiagnosticsState`` state machine as TR-181 2.17's
DiagnosticsState data type words it, the checks a SetParameterValues must fail on (fault 9007),
and the results computed from measured timestamps and byte counts. The network work is in
:mod:`cwmp_cpe.diag_runner`; tying it to a ``Cpe`` (start after the session, ``8 DIAGNOSTICS
COMPLETE`` in a new one) is :mod:`cwmp_cpe.diag_service`.

The state machine (TR-181 2.17, data type DiagnosticsState; quoted words are the spec's):

- writing ``Requested``: the CPE "MUST initiate the corresponding diagnostic test"; "When
  writing, the only allowed values are Requested and Canceled" (anything else: 9007);
- "While the test is in progress, setting this parameter to Requested (and possibly modifying
  other writable parameters in this object) MUST result in the test being terminated and then
  restarted using the current values of the test parameters";
- "Modifying any of the writable parameters in this object except for this one MUST result in
  the value of this parameter being set to None" (and a test in progress terminated);
- "setting this parameter to Canceled MUST result in the test being canceled and the value of
  this parameter being set to None"; a canceled test gets no ``8 DIAGNOSTICS COMPLETE``;
- at the end the value "MUST be either Complete ... or one of the Error values".

A SetParameterValues is atomic, so the writes of one SPV are collected (:meth:`write`) and
judged together when it has been applied (:meth:`commit`): "Requested" and a new Host in the
same SPV is a (re)start, not an abort. A rolled-back SPV writes the old values back, which
removes what it had noted.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import urlsplit

BASE = "Device.IP.Diagnostics."
EVENT = "8 DIAGNOSTICS COMPLETE"  # TR-069 §3.7.1.5 Table 7
UNKNOWN_TIME = "0001-01-01T00:00:00Z"  # TR-106 "Unknown Time"

#: Most connections a Download/UploadDiagnostics test opens (the *MaxConnections parameters).
MAX_CONNECTIONS = 8
#: Most IncrementalResult rows kept (the *MaxIncrementalResult parameters).
MAX_INCREMENTAL = 100


class Action(StrEnum):
    """What the runner must do after a SetParameterValues touched a diagnostic object."""

    NOTHING = "nothing"
    START = "start"  # (re)start with the current test parameters
    STOP = "stop"  # terminate a test in progress (aborted or canceled): no event


@dataclass(frozen=True)
class Kind:
    """One diagnostic object: its test parameters (with defaults) and result parameters."""

    name: str  # "IPPing"
    tests: Mapping[str, str]  # writable test parameter → default (lexical)
    results: Mapping[str, str]  # read-only result parameter → value before any test
    tables: tuple[str, ...] = ()  # result tables ("RouteHops")
    errors: frozenset[str] = frozenset()  # the Error_* values its enumeration has

    @property
    def path(self) -> str:
        return f"{BASE}{self.name}."


_T0 = UNKNOWN_TIME
_TRANSFER_TIMES = {
    "ROMTime": _T0, "BOMTime": _T0, "EOMTime": _T0,
    "TCPOpenRequestTime": _T0, "TCPOpenResponseTime": _T0,
}  # fmt: skip
_TRANSFER_TESTS = {
    "Interface": "", "DSCP": "0", "EthernetPriority": "0", "TimeBasedTestDuration": "0",
    "TimeBasedTestMeasurementInterval": "0", "TimeBasedTestMeasurementOffset": "0",
    "ProtocolVersion": "Any", "NumberOfConnections": "1", "EnablePerConnectionResults": "false",
}  # fmt: skip
_TRANSFER_ERRORS = {
    "Error_CannotResolveHostName", "Error_NoRouteToHost", "Error_InitConnectionFailed",
    "Error_NoResponse", "Error_Timeout", "Error_Internal", "Error_Other",
}  # fmt: skip

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "IPPing",
            {"Interface": "", "ProtocolVersion": "Any", "Host": "", "NumberOfRepetitions": "3",
             "Timeout": "1000", "DataBlockSize": "56", "DSCP": "0"},
            {"IPAddressUsed": "", "SuccessCount": "0", "FailureCount": "0",
             "AverageResponseTime": "0", "MinimumResponseTime": "0", "MaximumResponseTime": "0",
             "AverageResponseTimeDetailed": "0", "MinimumResponseTimeDetailed": "0",
             "MaximumResponseTimeDetailed": "0"},
            errors=frozenset({"Error_CannotResolveHostName", "Error_NoRouteToHost",
                              "Error_Internal", "Error_Other"}),
        ),
        Kind(
            # Timeout 5000 and MaxHopCount 30: "By default the CPE SHOULD set this value to"
            "TraceRoute",
            {"Interface": "", "ProtocolVersion": "Any", "Host": "", "NumberOfTries": "3",
             "Timeout": "5000", "DataBlockSize": "38", "DSCP": "0", "MaxHopCount": "30"},
            {"IPAddressUsed": "", "ResponseTime": "0"},
            tables=("RouteHops",),
            errors=frozenset({"Error_CannotResolveHostName", "Error_NoRouteToHost",
                              "Error_MaxHopCountExceeded", "Error_Internal", "Error_Other"}),
        ),
        Kind(
            "DownloadDiagnostics",
            {"DownloadURL": "", **_TRANSFER_TESTS},
            {"IPAddressUsed": "", **_TRANSFER_TIMES, "TestBytesReceived": "0",
             "TotalBytesReceived": "0", "TotalBytesSent": "0",
             "TestBytesReceivedUnderFullLoading": "0", "TotalBytesReceivedUnderFullLoading": "0",
             "TotalBytesSentUnderFullLoading": "0", "PeriodOfFullLoading": "0"},
            tables=("PerConnectionResult", "IncrementalResult"),
            errors=frozenset(_TRANSFER_ERRORS | {"Error_TransferFailed", "Error_IncorrectSize"}),
        ),
        Kind(
            "UploadDiagnostics",
            {"UploadURL": "", "TestFileLength": "0", **_TRANSFER_TESTS},
            {"IPAddressUsed": "", **_TRANSFER_TIMES, "TestBytesSent": "0",
             "TotalBytesReceived": "0", "TotalBytesSent": "0",
             "TestBytesSentUnderFullLoading": "0", "TotalBytesReceivedUnderFullLoading": "0",
             "TotalBytesSentUnderFullLoading": "0", "PeriodOfFullLoading": "0"},
            tables=("PerConnectionResult", "IncrementalResult"),
            errors=frozenset(_TRANSFER_ERRORS | {"Error_NoTransferComplete"}),
        ),
        Kind(
            "ServerSelectionDiagnostics",
            {"Interface": "", "ProtocolVersion": "Any", "Protocol": "ICMP", "HostList": "",
             "NumberOfRepetitions": "3", "Timeout": "1000"},
            {"FastestHost": "", "MinimumResponseTime": "0", "AverageResponseTime": "0",
             "MaximumResponseTime": "0", "IPAddressUsed": ""},
            errors=frozenset({"Error_CannotResolveHostName", "Error_Internal", "Error_Other"}),
        ),
    )
}  # fmt: skip

#: Read-only capability parameters (the object's own, not results): value in every state.
CAPABILITIES: dict[str, dict[str, str]] = {
    "DownloadDiagnostics": {
        "DownloadTransports": "HTTP",
        "DownloadDiagnosticMaxConnections": str(MAX_CONNECTIONS),
        "DownloadDiagnosticsMaxIncrementalResult": str(MAX_INCREMENTAL),
    },
    "UploadDiagnostics": {
        "UploadTransports": "HTTP",
        "UploadDiagnosticsMaxConnections": str(MAX_CONNECTIONS),
        "UploadDiagnosticsMaxIncrementalResult": str(MAX_INCREMENTAL),
    },
}


class InvalidValue(ValueError):
    """A value SetParameterValues must refuse (TR-069 fault 9007 Invalid parameter value)."""


@dataclass(frozen=True)
class Outcome:
    """What a finished test yields: the final state and the values it measured."""

    state: str  # "Complete" or an Error_* value of the object's enumeration
    results: Mapping[str, str] = field(default_factory=dict)
    tables: Mapping[str, list[dict[str, str]]] = field(default_factory=dict)
    reason: str = ""  # why, in words (logged; not a TR-181 parameter)


@dataclass
class DiagObject:
    """One diagnostic object of one device: parameter values, state, result tables."""

    kind: Kind
    values: dict[str, str]
    state: str = "None"
    tables: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    #: Bumped on every (re)start, abort and cancel: a finishing test whose generation is no
    #: longer current was terminated, and its outcome is dropped.
    generation: int = 0
    running: bool = False
    reason: str = ""
    committed: dict[str, str] = field(default_factory=dict)
    _intent: str | None = None
    _touched: set[str] = field(default_factory=set)

    def get(self, name: str) -> str:
        if name == "DiagnosticsState":
            return self.state
        if name in self.values:
            return self.values[name]
        return CAPABILITIES.get(self.kind.name, {}).get(name, "")

    def params(self) -> dict[str, str]:
        """The test parameters as they are now (what a (re)started test uses)."""
        return {k: self.values[k] for k in self.kind.tests}


class DiagnosticsStore:
    """The ``Device.IP.Diagnostics.`` objects of one device (plain values; no I/O)."""

    def __init__(self, supported: Mapping[str, bool] | None = None) -> None:
        self.objects: dict[str, DiagObject] = {}
        for kind in KINDS.values():
            values = {**kind.tests, **kind.results}
            self.objects[kind.name] = DiagObject(
                kind, values, tables={t: [] for t in kind.tables}, committed=dict(kind.tests)
            )
        #: The ``…Supported`` booleans of ``Device.IP.Diagnostics.`` (runner decides).
        self.supported: dict[str, bool] = dict(supported or {})

    def object(self, name: str) -> DiagObject:
        try:
            return self.objects[name]
        except KeyError:
            raise KeyError(f"no diagnostic object {name!r}") from None

    # -- SetParameterValues ---------------------------------------------------------------

    def write(self, obj_name: str, param: str, value: str) -> None:
        """One write of a SetParameterValues (already validated). Judged in :meth:`commit`;
        a rollback's write of the old value takes back what the failed SPV noted."""
        obj = self.object(obj_name)
        if param == "DiagnosticsState":
            obj._intent = value if value in ("Requested", "Canceled") else None
            return
        if param not in obj.kind.tests:
            raise KeyError(f"{obj.kind.path}{param} is not a test parameter")
        obj.values[param] = value
        if value != obj.committed.get(param):
            obj._touched.add(param)
        else:
            obj._touched.discard(param)

    def commit(self, obj_name: str) -> Action:
        """A SetParameterValues that wrote into this object was applied: the TR-181 rules."""
        obj = self.object(obj_name)
        intent, touched = obj._intent, bool(obj._touched)
        obj._intent, obj._touched = None, set()
        obj.committed = obj.params()
        if intent == "Requested":
            obj.generation += 1
            obj.state = "Requested"
            obj.reason = ""
            return Action.START
        if intent == "Canceled" or touched:
            was_running = obj.running or obj.state == "Requested"
            obj.generation += 1
            obj.state = "None"
            obj.running = False
            return Action.STOP if was_running else Action.NOTHING
        return Action.NOTHING

    def validate(self, obj_name: str, param: str, value: str) -> None:
        """Rules beyond the TR-106 type and range the tree checks (fault 9007)."""
        validate(obj_name, param, value)

    # -- the runner's side ----------------------------------------------------------------

    def begin(self, obj_name: str) -> tuple[int, dict[str, str]] | None:
        """The test to run now (generation, parameters), or None if none is requested."""
        obj = self.object(obj_name)
        if obj.state != "Requested":
            return None
        obj.running = True
        return obj.generation, obj.params()

    def finish(self, obj_name: str, generation: int, outcome: Outcome) -> bool:
        """Store a finished test's outcome; False (dropped) if it was terminated meanwhile."""
        obj = self.object(obj_name)
        if generation != obj.generation or obj.state != "Requested":
            return False
        state = outcome.state
        if state != "Complete" and state not in obj.kind.errors:
            # Never leave a value outside the object's enumeration (TR-181: "MUST be either
            # Complete ... or one of the Error values listed above").
            state = "Error_Other" if "Error_Other" in obj.kind.errors else "Error_Internal"
        obj.running = False
        obj.state = state
        obj.reason = outcome.reason
        for name in obj.kind.results:
            obj.values[name] = obj.kind.results[name]
        obj.values.update({k: v for k, v in outcome.results.items() if k in obj.kind.results})
        obj.tables = {t: list(outcome.tables.get(t, [])) for t in obj.kind.tables}
        return True

    def on_reboot(self) -> None:
        """A test in progress does not survive a reboot; results may (TR-181: retained
        "until either this diagnostic is run again, or the CPE reboots")."""
        for obj in self.objects.values():
            if obj.state == "Requested":
                obj.generation += 1
                obj.state = "None"
                obj.running = False


def validate(obj_name: str, param: str, value: str) -> None:
    """Raise :class:`InvalidValue` for what a CPE must refuse in the SetParameterValues."""
    if param == "DiagnosticsState":
        if value not in ("Requested", "Canceled"):
            raise InvalidValue(
                f"DiagnosticsState may only be written Requested or Canceled, not {value!r} "
                "(TR-181 2.17 DiagnosticsState: 'When writing, the only allowed values are "
                "Requested and Canceled')"
            )
        return
    if param == "NumberOfConnections" and value.isdigit() and int(value) > MAX_CONNECTIONS:
        raise InvalidValue(
            f"NumberOfConnections {value} is more than the {MAX_CONNECTIONS} this CPE supports "
            "(TR-181: it 'MUST NOT be set to a value greater than' the MaxConnections parameter)"
        )
    if param in ("DownloadURL", "UploadURL") and value:
        parts = urlsplit(value)
        if parts.scheme.lower() != "http" or not parts.hostname:
            raise InvalidValue(
                f"{param} {value!r}: this CPE tests over HTTP only (its Transports parameter "
                "says HTTP); an http://host/path URL is expected"
            )
        if parts.username is not None or parts.password is not None:
            raise InvalidValue(
                f"{param} carries credentials: 'When using HTTP transport the HTTP "
                "Authentication MUST NOT be used' (TR-181 2.17)"
            )
    if param == "Protocol" and value != "ICMP":
        raise InvalidValue(
            f"Protocol {value!r}: this CPE selects servers by ICMP echo only "
            "(IPv4UDPEchoDiagnosticsSupported is false)"
        )
    if param == "Interface" and value:
        raise InvalidValue(
            f"Interface {value!r}: this device has no Device.IP.Interface table to refer to; "
            "leave it empty (the routing policy chooses, TR-181 INTERFACE-ROUTING)"
        )


# =============================================================================================
# results from measurements
# =============================================================================================


def iso_us(t: float) -> str:
    """A POSIX time as a UTC dateTime with microseconds (TR-181: the transfer times "MUST be
    specified to microsecond precision", e.g. 2008-04-09T15:01:05.123456Z)."""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def ping_results(address: str, rtts: Iterable[float | None]) -> dict[str, str]:
    """IPPing results from the round-trip times in seconds (None: no reply in Timeout).

    TR-181: the response times are over "all repetitions with successful responses"; with
    none, "this value MUST be zero"; ``…Detailed`` are in microseconds."""
    got = [r for r in rtts]
    ok = [r for r in got if r is not None]
    out = {"IPAddressUsed": address, "SuccessCount": str(len(ok)),
           "FailureCount": str(len(got) - len(ok))}  # fmt: skip
    if ok:
        avg = sum(ok) / len(ok)
        for label, v in (("Average", avg), ("Minimum", min(ok)), ("Maximum", max(ok))):
            out[f"{label}ResponseTime"] = str(round(v * 1000))
            out[f"{label}ResponseTimeDetailed"] = str(max(1, round(v * 1_000_000)))
    else:
        for label in ("Average", "Minimum", "Maximum"):
            out[f"{label}ResponseTime"] = out[f"{label}ResponseTimeDetailed"] = "0"
    return out


def rt_ms(rtt: float | None) -> int:
    """A TraceRoute RTTimes item: "a list item of 0 indicates that the corresponding response
    was not received. Round trip times of less than 1 ms MUST be rounded up to 1"."""
    if rtt is None:
        return 0
    return max(1, math.ceil(rtt * 1000 - 1e-9))


@dataclass
class Hop:
    """One TraceRoute hop as probed: who answered, the ICMP code, one RTT per try."""

    address: str
    host: str
    icmp_code: int
    rtts: list[float | None]


def traceroute_results(
    address: str, hops: list[Hop], reached: bool
) -> tuple[dict[str, str], list[dict[str, str]]]:
    """TraceRoute values and RouteHops rows. ResponseTime: the destination's first reply
    (TR-181: "If a route could not be determined, this value MUST be zero")."""
    rows = [
        {
            "Host": h.host or h.address,
            "HostAddress": h.address,
            "ErrorCode": str(h.icmp_code),
            "RTTimes": ",".join(str(rt_ms(r)) for r in h.rtts),
        }
        for h in hops
    ]
    response = 0
    if reached and hops:
        first = next((r for r in hops[-1].rtts if r is not None), None)
        response = rt_ms(first)
    return {"IPAddressUsed": address, "ResponseTime": str(response)}, rows


@dataclass
class Connection:
    """What one TCP connection of a Download/UploadDiagnostics test measured (POSIX times).

    ``test_bytes``: bytes of the HTTP transaction (headers included) between BOM and EOM;
    ``samples``: (time, cumulative test bytes) for the IncrementalResult intervals."""

    tcp_open_request: float
    tcp_open_response: float
    rom: float
    bom: float
    eom: float
    test_bytes: int
    samples: list[tuple[float, int]] = field(default_factory=list)


def transfer_results(
    kind: str,
    address: str,
    conns: list[Connection],
    *,
    per_connection: bool,
    interval: int = 0,
    offset: int = 0,
    duration: int = 0,
) -> tuple[dict[str, str], dict[str, list[dict[str, str]]]]:
    """Download/UploadDiagnostics values from the connections' measurements.

    Across connections (TR-181 2.17): ROMTime and BOMTime the earliest, EOMTime the latest,
    TCPOpenRequestTime/TCPOpenResponseTime the latest, test bytes summed. TotalBytes* are "at
    the IP layer ... on the Interface"; "If Interface is empty, this parameter cannot be
    determined and SHOULD be 0" — this CPE has no Interface to name, so they are 0. The
    full-loading values cover the time all connections were transferring at once."""
    test = "TestBytesReceived" if kind == "DownloadDiagnostics" else "TestBytesSent"
    rom = min(c.rom for c in conns)
    bom = min(c.bom for c in conns)
    eom = max(c.eom for c in conns)
    out = {
        "IPAddressUsed": address,
        "ROMTime": iso_us(rom),
        "BOMTime": iso_us(bom),
        "EOMTime": iso_us(eom),
        "TCPOpenRequestTime": iso_us(max(c.tcp_open_request for c in conns)),
        "TCPOpenResponseTime": iso_us(max(c.tcp_open_response for c in conns)),
        test: str(sum(c.test_bytes for c in conns)),
        "TotalBytesReceived": "0",
        "TotalBytesSent": "0",
        "TotalBytesReceivedUnderFullLoading": "0",
        "TotalBytesSentUnderFullLoading": "0",
    }
    full_start = max(c.bom for c in conns)
    full_end = min(c.eom for c in conns)
    if full_end > full_start:
        out["PeriodOfFullLoading"] = str(round((full_end - full_start) * 1_000_000))
        out[f"{test}UnderFullLoading"] = str(
            sum(_bytes_at(c, full_end) - _bytes_at(c, full_start) for c in conns)
        )
    else:
        out["PeriodOfFullLoading"] = "0"
        out[f"{test}UnderFullLoading"] = "0"
    tables: dict[str, list[dict[str, str]]] = {"PerConnectionResult": [], "IncrementalResult": []}
    if per_connection:
        tables["PerConnectionResult"] = [
            {
                "ROMTime": iso_us(c.rom), "BOMTime": iso_us(c.bom), "EOMTime": iso_us(c.eom),
                test: str(c.test_bytes), "TotalBytesReceived": "0", "TotalBytesSent": "0",
                "TCPOpenRequestTime": iso_us(c.tcp_open_request),
                "TCPOpenResponseTime": iso_us(c.tcp_open_response),
            }
            for c in conns
        ]  # fmt: skip
    if duration > 0 and interval > 0:
        rows: list[dict[str, str]] = []
        start = bom + offset
        while start < eom and len(rows) < MAX_INCREMENTAL:
            end = min(start + interval, eom)
            moved = sum(_bytes_at(c, end) - _bytes_at(c, start) for c in conns)
            rows.append({test: str(moved), "TotalBytesReceived": "0", "TotalBytesSent": "0",
                         "StartTime": iso_us(start), "EndTime": iso_us(end)})  # fmt: skip
            start = end
        tables["IncrementalResult"] = rows
    return out, tables


def _bytes_at(c: Connection, t: float) -> int:
    """Cumulative test bytes of a connection at time ``t`` (step function of its samples)."""
    if t <= c.bom:
        return 0
    if t >= c.eom:
        return c.test_bytes
    n = 0
    for when, total in c.samples:
        if when > t:
            break
        n = total
    return n


def throughput_bps(test_bytes: int, bom: float, eom: float) -> float:
    """TR-143's throughput: test bytes over EOMTime − BOMTime, in bits per second."""
    span = eom - bom
    return test_bytes * 8 / span if span > 0 else 0.0
