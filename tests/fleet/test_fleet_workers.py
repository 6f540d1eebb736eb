"""50 printers on 2 worker processes: every printer answers on every face, with real clients
(net-snmp, ipptool, HTTP), the fleet API reaches each through its worker, every embedded
TR-069 client completes its sessions with the stub ACS, the inventory is what the proxy reads."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp

from printbench.acs_stub.control import AcsControl
from printbench.cwmp_proxy.inventory import load_printers
from printbench.emulator.fleet.inventory import read_inventory, write_inventory
from printbench.emulator.fleet.plan import Layout, parse_mix
from printbench.emulator.fleet.workers import Supervisor, SupervisorConfig
from printbench.emulator.profiles import list_profiles

N = 50


async def _run(*cmd: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        *cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode(errors="replace")


async def test_fleet_workers_every_face_of_every_printer(acs: AcsControl, tmp_path: Path) -> None:
    cfg = SupervisorConfig(
        devices=N, workers=2, layout=Layout("127.100.0.1"),
        mix=parse_mix("all", list_profiles()), acs_url=acs.server.cwmp_url,
        listen="per-address", state_dir=tmp_path / "state", api_port=0,
    )  # fmt: skip
    sup = Supervisor(cfg)
    await sup.start()
    try:
        inv = sorted(sup.inventory(), key=lambda r: r["index"])
        assert [r["index"] for r in inv] == list(range(N))
        assert {r["worker"] for r in inv} == {0, 1}
        assert len({r["serial"] for r in inv}) == N
        assert {r["profile"] for r in inv} == set(list_profiles())
        sem = asyncio.Semaphore(8)

        async def snmp(r: dict) -> str:
            async with sem:
                rc, out = await _run("snmpget", "-v2c", "-c", r["community"], "-t", "5", "-r", "2",
                                     "-Oqv", f"{r['address']}:{r['snmp_port']}",
                                     "1.3.6.1.2.1.43.5.1.1.17.1")  # fmt: skip
                assert rc == 0, out
                return out.strip().strip('"')

        async def ipp(r: dict) -> str:
            async with sem:
                rc, out = await _run("ipptool", "-T", "10", "-t", r["ipp_uri"],
                                     "get-printer-attributes.test")  # fmt: skip
                assert rc == 0, out
                return out

        serials = await asyncio.gather(*(snmp(r) for r in inv))
        assert serials == [r["serial"] for r in inv]
        await asyncio.gather(*(ipp(r) for r in inv))

        async with aiohttp.ClientSession() as http:
            for r in inv:
                async with http.get(r["ews_url"] + "api/status") as resp:
                    assert resp.status == 200
                    status = await resp.json()
                    assert status, r["address"]
                # The fleet API forwards to the device's own control listener (its worker).
                url = f"{sup.api_url}devices/{r['address']}/value/identity.serial_number"
                async with http.get(url) as resp:
                    assert resp.status == 200, await resp.text()
                    assert (await resp.json())["value"] == r["serial"]
            async with http.get(f"{sup.api_url}devices/127.100.9.9/state") as resp:
                assert resp.status == 404
            async with http.get(f"{sup.api_url}fleet") as resp:
                data = await resp.json()
                assert [w["count"] for w in data["workers"]] == [25, 25]

        # Every embedded client bootstrapped with the stub ACS (BOOTSTRAP + BOOT at start).
        deadline = asyncio.get_running_loop().time() + 20
        while sum(w.stats.get("sessions_ok", 0) for w in sup.workers) < N:
            assert asyncio.get_running_loop().time() < deadline, sup.totals()
            await asyncio.sleep(0.2)
        for r in inv:
            device = acs.device(r["device_id"])
            assert device.inform_count >= 1
            assert ("0 BOOTSTRAP", "") in device.events_seen
            assert device.cr_url == r["cr_url"]
        # A Connection Request through the ACS reaches a printer in each worker.
        for r in (inv[0], inv[-1]):
            acs.set_connection_request(r["device_id"], username=r["cr_username"],
                                       password=r["cr_password"])  # fmt: skip
            sid = await acs.connection_request(r["device_id"], timeout=20)
            assert await acs.wait_session_end(sid, timeout=20) == "done"

        paths = write_inventory(tmp_path / "fleet.json", inv, {"devices": N})
        assert [p.name for p in paths] == ["fleet.json", "fleet.csv", "fleet-printers.csv"]
        for p in (paths[0], paths[2]):
            entries = load_printers(p)  # the CWMP proxy reads both
            assert [e.address for e in entries] == [r["address"] for r in inv]
        assert [r["serial"] for r in read_inventory(paths[1])] == [r["serial"] for r in inv]
        assert json.loads(paths[0].read_text())["devices"][3]["cr_url"].startswith(
            f"http://{inv[3]['address']}:7547/cwmp/"
        )
    finally:
        await sup.stop()
    state_files = sorted((tmp_path / "state").glob("worker-*.json"))
    assert [p.name for p in state_files] == ["worker-0.json", "worker-1.json"]
    saved = {k for p in state_files for k in json.loads(p.read_text())["devices"]}
    assert saved == {r["serial"] for r in inv}
