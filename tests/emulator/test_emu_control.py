"""The control API over HTTP (aiohttp test client) and a real VirtualPrinter on loopback."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestClient, TestServer

from printbench.common.clock import FakeClock
from printbench.emulator.control import PrinterControl, create_control_app
from printbench.emulator.device import Ports, VirtualPrinter


@pytest.fixture
async def api():
    device = VirtualPrinter("color-laser-mfp", host="127.50.5.1", seed=2, clock=FakeClock())
    app = create_control_app(lambda host: device if host in ("127.0.0.1", "127.50.5.1") else None)
    client = TestClient(TestServer(app, host="127.0.0.1", port=0))
    await client.start_server()
    yield device, client
    await client.close()


async def test_state_value_and_put(api):
    device, client = api
    r = await client.get("/api/state")
    assert r.status == 200
    state = await r.json()
    assert state["identity.serial_number"] == device.state.identity.serial_number
    assert state["description.document_formats"][0] == "application/pdf"
    assert len(state) == len(list(device.state.walk()))

    r = await client.put("/api/value/description.location", json={"value": "Lab 7"})
    assert r.status == 200 and (await r.json())["value"] == "Lab 7"
    assert device.state.description.location == "Lab 7"
    r = await client.get("/api/devices/127.50.5.1/value/description.location")
    assert (await r.json()) == {"path": "description.location", "value": "Lab 7"}

    # a supply level set by hand raises the alert at once
    r = await client.put("/api/value/supplies.1.level", json={"value": 0})
    assert r.status == 200
    assert "toner-empty" in device.state.status.state_reasons
    r = await client.put(
        "/api/value/description.document_formats", json={"value": ["application/pdf"]}
    )
    assert device.state.description.document_formats == ("application/pdf",)


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "text"),
    [
        ("get", "/api/value/nothing.here", None, 404, "no 'nothing'"),
        ("put", "/api/value/supplies.1.level", {"value": "full"}, 400, "holds int, not str"),
        ("put", "/api/value/status.powered", {"value": 1}, 400, "holds bool"),
        ("put", "/api/value/supplies", {"value": 1}, 400, "object or table"),
        ("put", "/api/value/description.location", {"val": 1}, 400, "body must be"),
        # issue 17: the state's value rule, as on every other face
        ("put", "/api/value/description.location", {"value": "a\x00b"}, 400, "U+0000"),
        ("put", "/api/value/input_trays.1.media", {"value": "Plain A4"}, 400, "IPP keyword"),
        ("post", "/api/jobs", {"copies": 2}, 400, "pages is required"),
        ("post", "/api/jobs", {"pages": 1, "media": "iso_a0_841x1189mm"}, 400, "not supported"),
        ("post", "/api/jobs", {"pages": 1, "bogus": True}, 400, "unknown job ticket key"),
        ("delete", "/api/jobs/42", None, 404, "no job 42"),
        ("post", "/api/faults/fire/inject", {}, 404, "unknown fault 'fire'"),
        ("post", "/api/faults/cover_open/inject", {"cover_index": 9}, 404, "no covers row 9"),
        ("post", "/api/faults/jam/inject", {"tray_index": "x"}, 400, "must be an integer"),
        ("post", "/api/refill", {"supply_index": 99}, 404, "no supplies row 99"),
        ("post", "/api/load-paper", {"sheets": -1}, 400, "non-negative"),
        ("post", "/api/reboot", {"now": True}, 400, "unknown key"),
        ("get", "/api/events?since=x", None, 400, "integers"),
        ("get", "/api/devices/127.9.9.9/state", None, 404, "no printer at 127.9.9.9"),
        ("get", "/api/nothing", None, 404, "Not Found"),
    ],
)
async def test_errors_are_json_with_4xx(api, method, path, body, status, text):
    _, client = api
    r = (
        await getattr(client, method)(path, json=body)
        if body is not None
        else await getattr(client, method)(path)
    )
    assert r.status == status
    data = await r.json()
    assert text in data["error"]


async def test_bad_json_body(api):
    _, client = api
    r = await client.post(
        "/api/jobs", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert r.status == 400 and "not JSON" in (await r.json())["error"]


async def test_job_faults_and_events_over_http(api):
    device, client = api
    r = await client.get("/api/events")
    start = (await r.json())["last"]
    r = await client.post("/api/jobs", json={"pages": 10, "color": False, "name": "http"})
    assert r.status == 201
    job = await r.json()
    assert job["state"] == "pending" and job["pages"] == 10
    r = await client.post("/api/faults/cover_open/inject", json={"cover_index": 1})
    assert (await r.json())["state"] == "stopped"
    r = await client.post("/api/finish")
    assert device.state.row("jobs", job["index"]).state == "processing-stopped"
    r = await client.get("/api/value/consoles.1.display_buffer")
    assert (await r.json())["value"][0] == "Close front door"
    await client.post("/api/faults/cover_open/clear", json={"cover_index": 1})
    await client.post("/api/finish")
    r = await client.get("/api/jobs")
    assert (await r.json())[-1]["state"] == "completed"
    assert device.state.markers[0].life_count == 10
    r = await client.get(f"/api/events?since={start}")
    events = (await r.json())["events"]
    paths = [e["path"] for e in events]
    assert "covers.1.status" in paths and "markers.1.life_count" in paths
    assert all(e["seq"] > start for e in events)
    life = [e for e in events if e["path"] == "markers.1.life_count"]
    assert (life[0]["old"], life[-1]["new"]) == (0, 10)
    r = await client.get(f"/api/events?since={start}&limit=3")
    assert len((await r.json())["events"]) == 3


async def test_operator_actions_over_http(api):
    device, client = api
    s = device.state
    await client.post("/api/faults/tray_empty/inject", json={"tray_index": 2})
    assert s.row("input_trays", 2).level == 0
    await client.post("/api/load-paper", json={"tray_index": 2, "sheets": 10})
    assert s.row("input_trays", 2).level == 10
    await client.post("/api/faults/toner_empty/inject", json={"supply_index": 2})
    await client.post("/api/refill", json={"supply_index": 2})
    assert s.row("supplies", 2).level == 100
    await client.post("/api/pause")
    assert s.status.paused and s.status.state == "stopped"
    await client.post("/api/resume")
    await client.post("/api/power/off")
    assert not s.status.powered
    await client.post("/api/power/on")
    assert s.status.powered and s.status.boot_count == 2
    await client.post("/api/reboot")
    assert s.status.boot_count == 3
    await client.put("/api/value/snmp.read_community", json={"value": "changed"})
    await client.post("/api/factory-reset")
    assert s.snmp.read_community == "public" and s.status.factory_resets == 1


def test_python_control_api():
    device = VirtualPrinter("inkjet-office", host="127.50.5.2", clock=FakeClock())
    control = PrinterControl(device)
    job = control.submit_job(pages=2, color=True)
    control.finish()
    assert control.jobs()[0]["state"] == "completed" and job["index"] == 1
    assert control.get("counters.color_impressions") == 2
    assert control.get("counters")["total_impressions"] == 2
    assert any(e["path"] == "counters.total_impressions" for e in control.events())


@pytest.mark.interop
@pytest.mark.skipif(shutil.which("snmpget") is None, reason="net-snmp not installed")
async def test_virtual_printer_serves_snmp_and_control_on_its_address():
    printer = VirtualPrinter(
        "mono-desktop-laser", host="127.50.5.3", seed=1, ports=Ports.ephemeral()
    )
    await printer.start(faces=("snmp", "control"))
    try:
        snmp_port = int(printer.endpoints["snmp"].rsplit(":", 1)[1])
        control = printer.endpoints["control"]
        oids = ["1.3.6.1.2.1.43.5.1.1.17.1", "1.3.6.1.2.1.43.10.2.1.4.1.1"]

        async def snmpget() -> list[str]:
            proc = await asyncio.create_subprocess_exec(
                "snmpget",
                "-v2c",
                "-c",
                "public",
                "-Oqv",
                f"127.50.5.3:{snmp_port}",
                *oids,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            out, err = await proc.communicate()
            assert proc.returncode == 0, err
            return out.decode().split()

        serial, life = await snmpget()
        assert serial.strip('"') == printer.state.identity.serial_number
        async with ClientSession() as http:
            r = await http.post(control + "jobs", json={"pages": 7})
            assert r.status == 201
            await http.post(control + "finish")
        _, life_after = await snmpget()
        assert int(life_after) == int(life) + 7
    finally:
        await printer.stop()


@pytest.mark.interop
async def test_printbench_printer_prints_endpoints_then_ready():
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "printbench.cli",
        "printer",
        "--profile",
        "brother-mfc-l2710dw",
        "--host",
        "127.50.6.1",
        "--seed",
        "3",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    lines = []
    try:
        while True:
            line = await asyncio.wait_for(proc.stdout.readline(), 30)
            assert line, (await proc.stderr.read()).decode()
            lines.append(line.decode().strip())
            if lines[-1] == "ready":
                break
        assert any(ln.startswith("snmp udp://127.50.6.1:1161") for ln in lines)
        assert "ews http://127.50.6.1:8080/" in lines
        assert "control http://127.50.6.1:8081/api/" in lines
        async with ClientSession() as http:
            r = await http.get("http://127.50.6.1:8081/api/value/identity.manufacturer")
            assert (await r.json())["value"] == "Brother"
    finally:
        proc.terminate()
        assert await asyncio.wait_for(proc.wait(), 30) == 0
