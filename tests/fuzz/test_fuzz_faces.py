"""Issue 17: the project's own seeded mutation fuzzing, per face, over real sockets.

Each test sends a few thousand mutations of valid requests (seed fixed: the same inputs on
every run) to one face of a colour MFP (or the stub ACS) and asserts what
:mod:`printbench.loadtest.fuzz` checks: no 5xx / IPP internal error, no traceback and at
most one log line per input, state unchanged by refused input, the face still answering.
``benchmarks/fuzz_faces.py`` runs the same with more cases and other seeds.
Addresses 127.117.x.y belong to these tests.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from printbench.acs_stub.control import AcsControl
from printbench.acs_stub.server import AcsConfig
from printbench.common.httpguard import HttpTimeouts
from printbench.emulator.device import Ports, VirtualPrinter
from printbench.loadtest import fuzz, fuzzseeds

INFORM = (Path(__file__).parent.parent / "acs" / "data" / "inform-curl.xml").read_bytes()
CASES = 2000


@pytest.fixture
async def printer():
    vp = VirtualPrinter(
        "color-laser-mfp", host="127.117.0.1", ports=Ports.ephemeral(),
        http_timeouts=HttpTimeouts(head=2.0, body=2.0),
    )  # fmt: skip
    await vp.start(faces=("snmp", "ipp", "ews", "control", "tr069"), drive=False)
    try:
        yield vp
    finally:
        await vp.stop()


def _snapshot(vp: VirtualPrinter):
    return lambda: dict(vp.state.walk())


def _port(url: str) -> int:
    port = urlsplit(url.replace("udp://", "http://").replace("ipp://", "http://")).port
    assert port is not None
    return port


def _ok(report: fuzz.FuzzReport, cases: int) -> None:
    print(report.line())
    assert report.problems == [], "\n".join(report.problems[:20])
    assert report.cases == cases
    assert report.probes >= 1


async def test_ipp_face_mutations(printer) -> None:
    face = fuzzseeds.ipp_face(printer.host, _port(printer.endpoints["ipp"]), _snapshot(printer))
    report = await fuzz.fuzz_http(face, CASES, seed=17)
    _ok(report, CASES)
    # the mutations reached the operations, not only the decoder
    assert sum(v for k, v in report.outcomes.items() if k.startswith("ipp 0x04")) > 100


async def test_snmp_face_mutations(printer) -> None:
    report = await fuzz.fuzz_snmp(
        printer.host, _port(printer.endpoints["snmp"]), fuzzseeds.snmp_seeds(),
        fuzzseeds.snmp_probe(), CASES, seed=17, snapshot=_snapshot(printer),
        ignore_state=fuzzseeds.VOLATILE_STATE,
    )  # fmt: skip
    _ok(report, CASES)
    assert report.probes == CASES
    assert report.outcomes["dropped"] > 0 and report.outcomes["error-status 0"] > 0


async def test_ews_face_mutations(printer) -> None:
    face = fuzzseeds.ews_face(printer.host, _port(printer.endpoints["ews"]), _snapshot(printer))
    _ok(await fuzz.fuzz_http(face, CASES, seed=17), CASES)


async def test_printer_control_api_mutations(printer) -> None:
    url = printer.endpoints["control"]
    face = fuzzseeds.printer_control_face(printer.host, _port(url), _snapshot(printer))
    _ok(await fuzz.fuzz_http(face, 1000, seed=17), 1000)
    actions = fuzzseeds.printer_actions_face(printer.host, _port(url))
    _ok(await fuzz.fuzz_http(actions, 500, seed=17), 500)


async def test_connection_request_mutations(printer) -> None:
    url = urlsplit(printer.endpoints["tr069"])
    assert url.port is not None
    face = fuzzseeds.connreq_face(printer.host, url.port, url.path)
    face.snapshot = _snapshot(printer)
    face.ignore_state = fuzzseeds.VOLATILE_STATE
    _ok(await fuzz.fuzz_http(face, CASES, seed=17), CASES)


@pytest.fixture
async def acs(tmp_path):
    ctl = await AcsControl.start(
        AcsConfig(host="127.117.1.1", port=0, control_port=0, journal_dir=tmp_path)
    )
    try:
        yield ctl
    finally:
        await ctl.stop()


async def test_stub_acs_cwmp_mutations(acs) -> None:
    url = urlsplit(acs.server.cwmp_url)
    assert url.hostname and url.port
    face = fuzzseeds.acs_cwmp_face(url.hostname, url.port, INFORM)
    _ok(await fuzz.fuzz_http(face, CASES, seed=17), CASES)


async def test_stub_acs_control_api_mutations(acs) -> None:
    url = urlsplit(acs.server.control_url)
    assert url.hostname and url.port
    face = fuzzseeds.acs_control_face(url.hostname, url.port, "00CAFE-CurlPrinter-CURL0001")
    _ok(await fuzz.fuzz_http(face, 1000, seed=17), 1000)


async def test_cwmp_cpe_against_a_hostile_acs(printer) -> None:
    """The embedded TR-069 client gets mutated RPCs from a hostile ACS (TR-069 §3.4.3: a
    request it cannot process gets a Fault; the session goes on or ends, never a crash)."""
    client = printer.tr069
    assert client is not None

    def set_acs_url(url: str) -> None:
        printer.state.management.acs_url = url

    printer.state.management.periodic_inform_enable = False
    report = await fuzz.fuzz_cpe(
        client.cpe, set_acs_url, fuzzseeds.cwmp_rpc_seeds(), 600, seed=17, host="127.117.2.1",
        snapshot=_snapshot(printer), ignore_state=fuzzseeds.VOLATILE_STATE,
    )  # fmt: skip
    print(report.line())
    assert report.problems == [], "\n".join(report.problems[:20])
    assert report.cases == 600
    assert report.probes >= 1  # sessions ended normally too
    faults = sum(v for k, v in report.outcomes.items() if k.startswith("Fault"))
    assert faults > 100 and report.outcomes["GetParameterValuesResponse"] > 0
