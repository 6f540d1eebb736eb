"""TR-181 Device.IP.Diagnostics. / TR-143 on a virtual printer's embedded client, run by the
stub ACS (acs_stub.diagnostics): each test really goes over loopback, ends in Complete or the
spec's Error value, and is reported with 8 DIAGNOSTICS COMPLETE in a new session."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from printbench.cwmp import messages as m
from printbench.cwmp import schema, soap
from printbench.cwmp.types import parse_datetime

from .conftest import assert_printer_valid, printer_id, start_printer

DIAG = "Device.IP.Diagnostics."
#: The root model lacks AliasBasedAddressing (docs/tr069-client.md "Known gaps").
GAPS = (("forced-inform", "AliasBasedAddressing"),)


@pytest.fixture
async def printer(acs, fake_time):
    vp = await start_printer(acs, fake_time, "127.71.0.1")
    try:
        yield vp
    finally:
        await vp.stop()


def assert_acs_envelopes_valid(acs) -> None:
    """What the stub ACS sent for the diagnostics (SetParameterValues with the test
    parameters, GetParameterValues of the object) validates against the BBF XSD too."""
    seen = set()
    for e in acs.journal():
        if e.get("direction") != "acs->cpe" or not e.get("body"):
            continue
        body = e["body"].encode()
        errs = schema.validation_errors(body, schema.schema_for(soap.decode(body)))
        assert not errs, (e.get("method"), errs)
        seen.add(e.get("method"))
    assert {"SetParameterValues", "GetParameterValues"} <= seen, seen


async def test_ipping_loopback_completes_in_a_new_session(acs, printer) -> None:
    dev = printer_id(printer.state)
    run = await acs.run_diagnostic(dev, "IPPing", {"Host": "127.0.0.1", "NumberOfRepetitions": 3,
                                                   "Timeout": 2000})  # fmt: skip
    assert run.state == "Complete", printer.tr069.diagnostics.history
    assert run.value("SuccessCount") == "3" and run.value("FailureCount") == "0"
    assert run.value("IPAddressUsed") == "127.0.0.1"
    assert int(run.value("MinimumResponseTimeDetailed")) >= 1
    assert run.complete_session != run.request_session
    assert run.findings == []
    inform = [i for i in printer.tr069.cpe.informs if any(
        e.event_code == "8 DIAGNOSTICS COMPLETE" for e in i.event)]  # fmt: skip
    assert len(inform) == 1
    assert_printer_valid(acs, GAPS)
    assert_acs_envelopes_valid(acs)


async def test_bad_host_name_is_error_cannot_resolve(acs, printer) -> None:
    dev = printer_id(printer.state)
    for obj, params in (
        ("IPPing", {"Host": "no-such-host.invalid"}),
        ("TraceRoute", {"Host": "no-such-host.invalid"}),
        ("DownloadDiagnostics", {"DownloadURL": "http://no-such-host.invalid/x"}),
    ):
        run = await acs.run_diagnostic(dev, obj, params)
        assert run.state == "Error_CannotResolveHostName", (obj, run)
        assert run.findings == []
    assert_printer_valid(acs, GAPS)


async def test_traceroute_to_loopback_is_one_hop(acs, printer) -> None:
    dev = printer_id(printer.state)
    run = await acs.run_diagnostic(dev, "TraceRoute", {"Host": "127.0.0.1", "NumberOfTries": 2,
                                                       "Timeout": 2000, "MaxHopCount": 5})  # fmt: skip
    assert run.state == "Complete", printer.tr069.diagnostics.history
    assert run.value("RouteHopsNumberOfEntries") == "1"
    assert run.value("RouteHops.1.HostAddress") == "127.0.0.1"
    assert run.value("RouteHops.1.ErrorCode") == "3"  # ICMP port unreachable from the target
    assert len(run.value("RouteHops.1.RTTimes").split(",")) == 2
    assert all(int(x) >= 1 for x in run.value("RouteHops.1.RTTimes").split(","))
    assert run.findings == []


async def test_download_moves_the_file_and_times_it(acs, printer) -> None:
    dev = printer_id(printer.state)
    size = 3 * 1024 * 1024 + 17
    acs.add_file("diag-3m.bin", b"\x5a" * size)
    run = await acs.run_diagnostic(dev, "DownloadDiagnostics", {
        "DownloadURL": acs.file_url("diag-3m.bin"), "NumberOfConnections": 2,
        "EnablePerConnectionResults": True})  # fmt: skip
    assert run.state == "Complete", printer.tr069.diagnostics.history
    got = int(run.value("TestBytesReceived"))
    assert 2 * size < got < 2 * size + 2 * 4096  # both bodies plus their HTTP headers
    assert run.value("PerConnectionResultNumberOfEntries") == "2"
    times = ("TCPOpenRequestTime", "TCPOpenResponseTime", "ROMTime", "BOMTime", "EOMTime")
    for i in (1, 2):  # each connection's own times are in TR-143 order
        row = [parse_datetime(run.value(f"PerConnectionResult.{i}.{n}")) for n in times]
        assert row == sorted(row), row
    t = [parse_datetime(run.value(n)) for n in times]
    assert t[2] <= t[3] <= t[4]
    assert run.findings == []
    assert_printer_valid(acs, GAPS)
    assert_acs_envelopes_valid(acs)


async def test_upload_sends_test_file_length_bytes(acs, printer) -> None:
    dev = printer_id(printer.state)
    url = acs.expect_upload("diag-up.bin")
    run = await acs.run_diagnostic(dev, "UploadDiagnostics", {"UploadURL": url,
                                                              "TestFileLength": 2_000_000})  # fmt: skip
    assert run.state == "Complete", printer.tr069.diagnostics.history
    uploaded = await acs.wait_upload("diag-up.bin", 5)
    assert uploaded.size == 2_000_000
    assert int(run.value("TestBytesSent")) >= 2_000_000
    assert run.findings == []


async def test_download_from_a_closed_port_is_init_connection_failed(acs, printer) -> None:
    run = await acs.run_diagnostic(printer_id(printer.state), "DownloadDiagnostics",
                                   {"DownloadURL": "http://127.0.0.1:9/none"})  # fmt: skip
    assert run.state == "Error_InitConnectionFailed"


async def test_quirk_no_diagnostics_complete_is_judged(acs, fake_time) -> None:
    vp = await start_printer(acs, fake_time, "127.71.0.2", quirks=("no-diagnostics-complete",))
    try:
        run = await acs.run_diagnostic(printer_id(vp.state), "IPPing", {"Host": "127.0.0.1"},
                                       timeout=4)  # fmt: skip
        assert [r for r, _ in run.findings] == ["diagnostics-complete-event"]
        assert "diagnostics-complete-event" in {v.rule for v in acs.verdicts()}
        # the test did run: its results are in the data model
        assert vp.tr069.diagnostics.history[-1][:2] == ("IPPing", "Complete")
    finally:
        await vp.stop()


async def test_spv_refuses_bad_diagnostics_values(acs, printer) -> None:
    dev = printer_id(printer.state)
    for name, value, xsi in (
        ("IPPing.DiagnosticsState", "Complete", "xsd:string"),
        ("DownloadDiagnostics.NumberOfConnections", "99", "xsd:unsignedInt"),
        ("DownloadDiagnostics.DownloadURL", "ftp://127.0.0.1/x", "xsd:string"),
        ("UploadDiagnostics.UploadURL", "http://u:p@127.0.0.1/x", "xsd:string"),
        ("TraceRoute.MaxHopCount", "65", "xsd:unsignedInt"),
    ):
        item = acs.enqueue(dev, m.SetParameterValues(
            (m.ParameterValueStruct(DIAG + name, value, xsi),), "k"))  # fmt: skip
        await acs.connection_request(dev)
        with pytest.raises(Exception) as info:
            await item.result(10)
        fault = info.value.fault
        assert fault.fault_code == 9003, name
        assert fault.set_parameter_values_faults[0].fault_code in (9007, 9008), name
    assert_printer_valid(acs, GAPS)


async def test_changing_a_test_parameter_aborts_the_running_test(acs, printer) -> None:
    """TR-181: modifying a writable parameter while the test runs terminates it, the state
    becomes None and no 8 DIAGNOSTICS COMPLETE is sent for it."""
    dev = printer_id(printer.state)
    p = DIAG + "TraceRoute."
    # UDP sockets on the probe ports swallow the probes: no ICMP answer, the trace runs on
    sinks = []
    for port in range(33435, 33441):
        sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sink.bind(("127.71.0.9", port))
        sinks.append(sink)
    spv = acs.enqueue(dev, m.SetParameterValues((
        m.ParameterValueStruct(p + "Host", "127.71.0.9", "xsd:string"),
        m.ParameterValueStruct(p + "Timeout", "1000", "xsd:unsignedInt"),
        m.ParameterValueStruct(p + "DiagnosticsState", "Requested", "xsd:string")), "a"))  # fmt: skip
    await acs.connection_request(dev)
    await spv.result(10)
    service = printer.tr069.diagnostics
    for _ in range(100):
        if "TraceRoute" in service.running:
            break
        await asyncio.sleep(0.05)
    assert service.running == {"TraceRoute"}, service.history
    abort = acs.enqueue(dev, m.SetParameterValues(
        (m.ParameterValueStruct(p + "NumberOfTries", "1", "xsd:unsignedInt"),), "b"))  # fmt: skip
    await acs.connection_request(dev)
    await abort.result(10)
    await asyncio.wait_for(service.idle(), 5)
    item = acs.enqueue(dev, m.GetParameterValues((p + "DiagnosticsState",)))
    await acs.connection_request(dev)
    gpv = await item.result(10)
    assert gpv.parameter_list[0].value == "None"
    await asyncio.sleep(0.5)
    for sink in sinks:
        sink.close()
    assert service.history == []
    assert not any(e.event_code == "8 DIAGNOSTICS COMPLETE"
                   for i in printer.tr069.cpe.informs for e in i.event)  # fmt: skip


async def test_download_of_a_missing_file_is_transfer_failed(acs, printer) -> None:
    run = await acs.run_diagnostic(printer_id(printer.state), "DownloadDiagnostics",
                                   {"DownloadURL": acs.file_url("not-served.bin")})  # fmt: skip
    assert run.state == "Error_TransferFailed"  # HTTP 404


def _lighttpd(root: Path, work: Path, kbps: int) -> tuple[subprocess.Popen[bytes], int]:
    """Debian's lighttpd on 127.0.0.1 serving ``root``, each connection paced to ``kbps``."""
    for _ in range(5):  # another helper's test may take the port between probe and bind
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        conf = work / "lighttpd.conf"
        conf.write_text(
            f'server.document-root = "{root}"\nserver.bind = "127.0.0.1"\n'
            f'server.port = {port}\nserver.errorlog = "{work}/error.log"\n'
            f"connection.kbytes-per-second = {kbps}\n"
        )
        proc = subprocess.Popen([shutil.which("lighttpd") or "/usr/sbin/lighttpd", "-D", "-f",
                                 str(conf)])  # fmt: skip
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                return proc, port
            except OSError:
                time.sleep(0.05)
        proc.kill()
        proc.wait()
    pytest.fail("lighttpd did not start")


async def test_time_based_download_stops_after_the_duration_with_incremental_results(
    acs, printer, tmp_path: Path
) -> None:
    """TR-143 §4.3 time-based test: TimeBasedTestDuration 2 s against lighttpd paced to
    1 MiB/s (a 20 MB file would take 20 s): the test ends after about 2 s, with one
    IncrementalResult row per 1 s interval whose bytes add up to TestBytesReceived."""
    www = tmp_path / "www"
    www.mkdir()
    (www / "slow.bin").write_bytes(b"\0" * 20_000_000)
    proc, port = _lighttpd(www, tmp_path, 1024)
    try:
        run = await acs.run_diagnostic(printer_id(printer.state), "DownloadDiagnostics", {
            "DownloadURL": f"http://127.0.0.1:{port}/slow.bin", "TimeBasedTestDuration": 2,
            "TimeBasedTestMeasurementInterval": 1})  # fmt: skip
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert run.state == "Complete", printer.tr069.diagnostics.history
    span = parse_datetime(run.value("EOMTime")) - parse_datetime(run.value("BOMTime"))
    assert 1.0 <= span.total_seconds() <= 2.5
    got = int(run.value("TestBytesReceived"))
    assert 0 < got < 20_000_000  # stopped long before the end of the file
    rows = int(run.value("IncrementalResultNumberOfEntries"))
    assert rows in (2, 3)
    parts = [int(run.value(f"IncrementalResult.{i}.TestBytesReceived")) for i in
             range(1, rows + 1)]  # fmt: skip
    assert 0 < sum(parts) <= got
    assert run.findings == []


async def test_http_control_api_runs_a_diagnostic(acs, printer) -> None:
    """POST /api/devices/{id}/diagnostics/{object} on the control port: the same run."""
    import aiohttp

    dev = printer_id(printer.state)
    url = f"{acs.server.control_url}/api/devices/{dev}/diagnostics/IPPing"
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json={"params": {"Host": "127.0.0.1", "Timeout": 2000}}) as r:
            assert r.status == 200
            body = await r.json()
        async with http.post(url.replace("IPPing", "Nope"), json={}) as r:
            assert r.status == 400
    assert body["state"] == "Complete" and body["findings"] == []
    assert body["values"][DIAG + "IPPing.SuccessCount"] == "3"


async def test_a_server_that_closes_at_once_is_error_no_response(acs, printer) -> None:
    """A TCP peer that accepts and closes before any HTTP response: Error_NoResponse."""

    async def close_at_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")  # the GET arrived; no answer
        writer.close()

    server = await asyncio.start_server(close_at_once, "127.71.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        run = await acs.run_diagnostic(printer_id(printer.state), "DownloadDiagnostics",
                                       {"DownloadURL": f"http://127.71.0.1:{port}/x"})  # fmt: skip
    finally:
        server.close()
    assert run.state == "Error_NoResponse"


async def test_a_printer_that_runs_no_diagnostic_holds_no_store(acs, printer) -> None:
    """Memory per idle printer is the fleet's figure: the diagnostics store is made on the
    first read or write of Device.IP.Diagnostics., not when the printer starts."""
    assert printer.tr069.view.extra.get("diagnostics") is None
    dev = printer_id(printer.state)
    item = acs.enqueue(dev, m.GetParameterValues((DIAG + "IPPing.DiagnosticsState",)))
    await acs.connection_request(dev)
    assert (await item.result(10)).parameter_list[0].value == "None"
    assert printer.tr069.view.extra.get("diagnostics") is not None
