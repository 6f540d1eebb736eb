"""The pure part of Device.IP.Diagnostics. (cwmp_cpe.diagnostics): the DiagnosticsState rules
of TR-181 2.17, the SetParameterValues checks, and results computed from measurements; and
the binding through a real parameter tree (atomic SPV with rollback)."""

from __future__ import annotations

from pathlib import Path

import pytest

from printbench.cwmp import params as P
from printbench.cwmp_cpe import diag_binding
from printbench.cwmp_cpe import diagnostics as D
from printbench.datamodel import loader as L

PING = "Device.IP.Diagnostics.IPPing."


def test_requested_starts_and_complete_stores_results() -> None:
    s = D.DiagnosticsStore()
    s.write("IPPing", "Host", "127.0.0.1")
    s.write("IPPing", "DiagnosticsState", "Requested")
    assert s.commit("IPPing") is D.Action.START
    gen, params = s.begin("IPPing")
    assert params["Host"] == "127.0.0.1"
    assert s.finish("IPPing", gen, D.Outcome("Complete", {"SuccessCount": "3"}))
    assert s.object("IPPing").get("DiagnosticsState") == "Complete"
    assert s.object("IPPing").get("SuccessCount") == "3"


def test_modifying_a_test_parameter_sets_none_and_drops_the_running_test() -> None:
    s = D.DiagnosticsStore()
    s.write("IPPing", "Host", "a")
    s.write("IPPing", "DiagnosticsState", "Requested")
    s.commit("IPPing")
    gen, _ = s.begin("IPPing")
    s.write("IPPing", "Timeout", "3000")
    assert s.commit("IPPing") is D.Action.STOP
    assert s.object("IPPing").state == "None"
    # the terminated test's outcome arrives late: dropped
    assert not s.finish("IPPing", gen, D.Outcome("Complete"))
    assert s.object("IPPing").state == "None"


def test_modifying_after_completion_sets_none_without_a_stop() -> None:
    s = D.DiagnosticsStore()
    s.write("IPPing", "DiagnosticsState", "Requested")
    s.commit("IPPing")
    gen, _ = s.begin("IPPing")
    s.finish("IPPing", gen, D.Outcome("Complete"))
    s.write("IPPing", "Host", "b")
    assert s.commit("IPPing") is D.Action.NOTHING
    assert s.object("IPPing").state == "None"


def test_requested_with_new_parameters_in_one_spv_restarts() -> None:
    s = D.DiagnosticsStore()
    s.write("IPPing", "DiagnosticsState", "Requested")
    s.commit("IPPing")
    first, _ = s.begin("IPPing")
    s.write("IPPing", "DiagnosticsState", "Requested")
    s.write("IPPing", "Host", "c")  # after DiagnosticsState in the same SPV: still a restart
    assert s.commit("IPPing") is D.Action.START
    second, params = s.begin("IPPing")
    assert second != first and params["Host"] == "c"
    assert not s.finish("IPPing", first, D.Outcome("Complete"))
    assert s.finish("IPPing", second, D.Outcome("Complete"))


def test_canceled_sets_none() -> None:
    s = D.DiagnosticsStore()
    s.write("TraceRoute", "DiagnosticsState", "Requested")
    s.commit("TraceRoute")
    gen, _ = s.begin("TraceRoute")
    s.write("TraceRoute", "DiagnosticsState", "Canceled")
    assert s.commit("TraceRoute") is D.Action.STOP
    assert s.object("TraceRoute").state == "None"
    assert not s.finish("TraceRoute", gen, D.Outcome("Complete"))


def test_an_outcome_outside_the_enumeration_becomes_error_other() -> None:
    s = D.DiagnosticsStore()
    s.write("IPPing", "DiagnosticsState", "Requested")
    s.commit("IPPing")
    gen, _ = s.begin("IPPing")
    s.finish("IPPing", gen, D.Outcome("Error_Timeout"))  # not an IPPing value
    assert s.object("IPPing").state == "Error_Other"


def test_reboot_ends_a_requested_test_with_none() -> None:
    s = D.DiagnosticsStore()
    s.write("IPPing", "DiagnosticsState", "Requested")
    s.commit("IPPing")
    gen, _ = s.begin("IPPing")
    s.on_reboot()
    assert s.object("IPPing").state == "None"
    assert not s.finish("IPPing", gen, D.Outcome("Complete"))


@pytest.mark.parametrize(
    ("obj", "param", "value"),
    [
        ("IPPing", "DiagnosticsState", "Complete"),
        ("IPPing", "DiagnosticsState", "None"),
        ("DownloadDiagnostics", "NumberOfConnections", str(D.MAX_CONNECTIONS + 1)),
        ("DownloadDiagnostics", "DownloadURL", "ftp://h/f"),
        ("DownloadDiagnostics", "DownloadURL", "https://h/f"),
        ("UploadDiagnostics", "UploadURL", "http://user:pw@h/f"),
        ("ServerSelectionDiagnostics", "Protocol", "UDP Echo"),
        ("IPPing", "Interface", "Device.IP.Interface.1"),
    ],
)
def test_values_spv_must_refuse(obj: str, param: str, value: str) -> None:
    with pytest.raises(D.InvalidValue):
        D.validate(obj, param, value)


@pytest.mark.parametrize(
    ("obj", "param", "value"),
    [
        ("IPPing", "DiagnosticsState", "Requested"),
        ("IPPing", "DiagnosticsState", "Canceled"),
        ("DownloadDiagnostics", "NumberOfConnections", str(D.MAX_CONNECTIONS)),
        ("DownloadDiagnostics", "DownloadURL", "http://127.0.0.1:8080/f.bin"),
        ("IPPing", "Interface", ""),
    ],
)
def test_values_spv_accepts(obj: str, param: str, value: str) -> None:
    D.validate(obj, param, value)


def test_ping_results_zero_without_answers_and_micro_detail() -> None:
    none = D.ping_results("10.0.0.1", [None, None])
    assert none["SuccessCount"] == "0" and none["FailureCount"] == "2"
    assert none["AverageResponseTime"] == "0"  # TR-181: "this value MUST be zero"
    some = D.ping_results("10.0.0.1", [0.0004, None, 0.0030])
    assert some["SuccessCount"] == "2"
    assert some["MinimumResponseTimeDetailed"] == "400"
    assert some["MaximumResponseTime"] == "3"
    assert some["AverageResponseTimeDetailed"] == "1700"


def test_rttimes_round_up_below_one_millisecond() -> None:
    # TR-181 RTTimes: "less than 1 ms MUST be rounded up to 1"; 0 for no response
    assert [D.rt_ms(x) for x in (None, 0.00001, 0.0009, 0.001, 0.0012)] == [0, 1, 1, 1, 2]


def test_transfer_results_across_connections() -> None:
    a = D.Connection(100.0, 100.001, 100.002, 100.003, 101.0, 1000, [(100.5, 500), (101.0, 1000)])
    b = D.Connection(100.1, 100.101, 100.102, 100.2, 100.8, 600, [(100.5, 300), (100.8, 600)])
    values, tables = D.transfer_results(
        "DownloadDiagnostics", "127.0.0.1", [a, b], per_connection=True,
        interval=1, offset=0, duration=1,
    )  # fmt: skip
    assert values["ROMTime"] == D.iso_us(100.002)  # earliest
    assert values["BOMTime"] == D.iso_us(100.003)  # earliest
    assert values["EOMTime"] == D.iso_us(101.0)  # latest
    assert values["TCPOpenRequestTime"] == D.iso_us(100.1)  # latest
    assert values["TestBytesReceived"] == "1600"
    assert values["TotalBytesReceived"] == "0"  # no Interface: "SHOULD be 0"
    assert values["PeriodOfFullLoading"] == str(round(0.6 * 1_000_000))
    assert len(tables["PerConnectionResult"]) == 2
    assert tables["IncrementalResult"][0]["TestBytesReceived"] == "1600"
    assert D.iso_us(0.5) == "1970-01-01T00:00:00.500000Z"


def test_throughput_is_test_bytes_over_eom_minus_bom() -> None:
    assert D.throughput_bps(1_000_000, 10.0, 12.0) == 4_000_000
    assert D.throughput_bps(5, 3.0, 3.0) == 0.0


def _tree() -> tuple[P.ParameterTree, D.DiagnosticsStore]:
    store = D.DiagnosticsStore({"IPv4PingSupported": True})

    class Binder(L.NullBinder):
        def table(self, spec):  # type: ignore[no-untyped-def]
            return diag_binding.table(spec.path, lambda nc: store)

        def parameter(self, spec):  # type: ignore[no-untyped-def]
            bound = diag_binding.parameter(spec.path, lambda nc: store)
            if bound is None:
                return None
            get, set_, validate = bound
            return L.Binding(get=get, set=set_, validate=validate, lexical=True)

    return P.ParameterTree(L.build_data_model(binder=Binder()), None), store


def test_a_failed_spv_leaves_no_request_behind() -> None:
    tree, store = _tree()
    with pytest.raises(P.ParameterFault):
        tree.set_parameter_values([
            (PING + "Host", "127.0.0.1"), (PING + "DiagnosticsState", "Requested"),
            (PING + "Timeout", "0"),  # below the range 1..: the whole SPV is refused
        ])  # fmt: skip
    assert store.commit("IPPing") is D.Action.NOTHING
    assert (
        tree.get_value(PING + "Host") == "" and tree.get_value(PING + "DiagnosticsState") == "None"
    )


def test_binding_reads_results_tables_and_capabilities() -> None:
    tree, store = _tree()
    assert tree.get_value("Device.IP.Diagnostics.IPv4PingSupported") == "true"
    assert tree.get_value("Device.IP.Diagnostics.IPv6PingSupported") == "false"
    assert tree.get_value(PING + "NumberOfRepetitions") == "3"
    store.write("TraceRoute", "DiagnosticsState", "Requested")
    store.commit("TraceRoute")
    gen, _ = store.begin("TraceRoute")
    hop = {"Host": "localhost", "HostAddress": "127.0.0.1", "ErrorCode": "3", "RTTimes": "1,1"}
    store.finish("TraceRoute", gen, D.Outcome("Complete", {}, {"RouteHops": [hop]}))
    tr = "Device.IP.Diagnostics.TraceRoute."
    assert tree.get_value(tr + "RouteHopsNumberOfEntries") == "1"
    assert tree.get_value(tr + "RouteHops.1.RTTimes") == "1,1"
    names = [i.name for i in tree.get_parameter_names(tr + "RouteHops.", True)]
    assert names == [tr + "RouteHops.1."]
    dl = "Device.IP.Diagnostics.DownloadDiagnostics."
    assert tree.get_value(dl + "DownloadTransports") == "HTTP"
    with pytest.raises(P.ParameterFault):
        tree.set_parameter_values([(tr + "RouteHops.1.Host", "x")])  # read-only


def _unprivileged_ipping() -> tuple[str, str]:
    """IPPing of 127.0.0.1 by this process as user/group nobody (65534): a forked child drops
    root (setgid/setuid), runs the real runner against the kernel and reports back."""
    import encodings.idna  # noqa: F401  (loaded now: the child may not read the stdlib)
    import json
    import os
    import threading

    from printbench.cwmp_cpe import diag_runner as R

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: no root, no capabilities
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            p = dict(D.KINDS["IPPing"].tests, Host="127.0.0.1", NumberOfRepetitions="1")
            try:
                out = R.run_ipping(p, threading.Event())
                result = [out.state, out.reason]
            except R._Failed as exc:
                result = [exc.state, exc.reason]
            os.write(write, json.dumps(result).encode())
        except BaseException as exc:  # reported to the parent, which fails with it
            os.write(write, json.dumps(["child failed", repr(exc)]).encode())
        finally:
            os._exit(0)
    os.close(write)
    data = b""
    while chunk := os.read(read, 4096):
        data += chunk
    os.close(read)
    os.waitpid(pid, 0)
    state, reason = json.loads(data)
    return state, reason


def test_ipping_without_icmp_permission_is_error_other_with_the_reason() -> None:
    """Unprivileged ICMP needs the group in /proc/sys/net/ipv4/ping_group_range; without it
    (and without CAP_NET_RAW) the test cannot run: Error_Other, and the reason says why."""
    import os

    if os.geteuid() != 0:
        pytest.skip("needs root to become nobody in a child process")
    text = Path("/proc/sys/net/ipv4/ping_group_range").read_text()
    low, high = (int(x) for x in text.split())
    state, reason = _unprivileged_ipping()
    if low <= 65534 <= high:  # datagram ICMP is allowed for nobody here: the ping works
        assert state == "Complete", reason
    else:
        assert state == "Error_Other", reason
        assert "ping_group_range" in reason and "no ICMP socket" in reason
