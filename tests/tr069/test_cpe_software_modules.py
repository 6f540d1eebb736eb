"""Software modules on the embedded client (issue 15, item 1): ChangeDUState end to end.

A real stub ACS sends ChangeDUState and serves the DU files (HTTP digest auth with the
operation's Username/Password); the colour MFP's embedded client fetches, installs and
reports DUStateChangeComplete, whose envelopes are validated against the BBF XSD.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from printbench.cwmp import du as D
from printbench.cwmp import messages as m
from printbench.cwmp import soap
from printbench.cwmp_cpe.du_package import make_package, write_package

from .conftest import assert_printer_valid, printer_id, start_printer

SM = "Device.SoftwareModules."
APP = D.Package(
    name="Secure Print", vendor="HP", version="1.0.0", ee_type="OSGi R6",
    units=(D.UnitSpec("secure-print"),),
)  # fmt: skip


def requests_of(acs, dev: str, method: str) -> list[m.Message]:
    out = []
    for e in acs.journal(device=dev):
        if e.get("direction") == "cpe->acs" and e.get("method") == method:
            out.append(soap.decode(e["body"].encode()).body)
    return out


def values(vp, *names: str) -> dict[str, str]:
    return {v.name: v.value for v in vp.tr069.tree.get_parameter_values(list(names))}


async def settle(t, vp, seconds: float = 0) -> None:
    await t.advance(seconds, [vp.tr069.cpe.idle, vp.tr069.software.idle, vp.tr069.cpe.idle])


async def change(acs, t, vp, ops, key: str) -> m.DUStateChangeComplete:
    dev = printer_id(vp.state)
    resp = acs.enqueue(dev, m.ChangeDUState(tuple(ops), key))
    vp.tr069.cpe.forget_connection_requests()  # many in a row: not the rate limit's test
    await acs.connection_request(dev)
    await settle(t, vp)
    assert isinstance(await resp.result(1), m.ChangeDUStateResponse)
    for _ in range(5):
        await settle(t, vp, 1)
        done = [r for r in requests_of(acs, dev, "DUStateChangeComplete") if r.command_key == key]
        if done:
            return done[-1]
    raise AssertionError(f"no DUStateChangeComplete for {key}")


async def test_cpe_du_20mb_digest_install_survives_reboot(acs, fake_time, tmp_path) -> None:
    """A 20 MB DU from a URL with digest auth installs (Installed, its EU in the table,
    DUStateChangeComplete with 11 + M ChangeDUState) and is still there after a reboot."""
    vp = await start_printer(acs, fake_time, "127.70.15.1")
    vp.tr069.cpe.config.download_dir = tmp_path / "dl"
    try:
        du_file = write_package(tmp_path / "app.du", APP, 20_000_000)
        acs.add_file("app.du", du_file, auth="digest", username="du-user", password="du-pw")
        op = m.InstallOpStruct(
            url=acs.file_url("app.du"), username="du-user", password="du-pw",
            execution_env_ref=SM + "ExecEnv.1",
        )  # fmt: skip
        done = await change(acs, fake_time, vp, [op], "du-20m")
        (r,) = done.results
        assert r.fault.fault_code == 0, r.fault
        assert r.current_state == "Installed" and r.version == "1.0.0"
        assert D.is_uuid(r.uuid) and r.uuid == D.generated_uuid("HP", "Secure Print")
        ref = r.deployment_unit_ref
        assert ref.startswith(SM + "DeploymentUnit.")
        informs = [i for i in vp.tr069.cpe.informs
                   if any(e.event_code == "M ChangeDUState" and e.command_key == "du-20m"
                          for e in i.event)]  # fmt: skip
        assert informs and "11 DU STATE CHANGE COMPLETE" in {e.event_code for e in informs[0].event}
        got = values(vp, ref + ".Status", ref + ".Name", ref + ".ExecutionUnitList")
        assert got[ref + ".Status"] == "Installed" and got[ref + ".Name"] == "Secure Print"
        eu = got[ref + ".ExecutionUnitList"]
        assert values(vp, eu + ".Status")[eu + ".Status"] == "Idle"
        assert list((tmp_path / "dl").glob("*")) == []  # the fetched file is gone
        vp.engine.reboot()
        await settle(fake_time, vp, 1)
        after = values(vp, ref + ".Status", ref + ".UUID")
        assert after == {ref + ".Status": "Installed", ref + ".UUID": r.uuid}
        assert "M ChangeDUState" not in vp.tr069.cpe.queue  # acknowledged, not kept
        assert_printer_valid(acs)
    finally:
        await vp.stop()


async def test_cpe_du_bad_url_and_auth_fault(acs, fake_time) -> None:
    """Failures are per operation, in order: a wrong password (9012), an unsupported
    scheme (9013), a missing file (9016); an Install that fails leaves no DU (Failed)."""
    vp = await start_printer(acs, fake_time, "127.70.15.2")
    try:
        acs.add_file("ok.du", make_package(APP), auth="digest", username="u", password="p")
        before = values(vp, SM + "DeploymentUnitNumberOfEntries")
        ops = [
            m.InstallOpStruct(url=acs.file_url("ok.du"), username="u", password="wrong"),
            m.InstallOpStruct(url="ftp://127.0.0.1/x.du"),
            m.InstallOpStruct(url=acs.file_url("missing.du")),
            m.InstallOpStruct(url=acs.file_url("ok.du"), uuid="not-a-uuid"),
            m.InstallOpStruct(url=acs.file_url("ok.du"), execution_env_ref=SM + "ExecEnv.9"),
        ]
        done = await change(acs, fake_time, vp, ops, "du-bad")
        codes = [r.fault.fault_code for r in done.results]
        assert codes == [9012, 9013, 9016, 9022, 9023]
        assert all(r.current_state == "Failed" for r in done.results)
        assert values(vp, SM + "DeploymentUnitNumberOfEntries") == before
        assert_printer_valid(acs)
    finally:
        await vp.stop()


async def test_cpe_du_update_uninstall_and_eu_start(acs, fake_time) -> None:
    """Install, start the EU through SetParameterValues RequestedState=Active (Status
    Active), update (the EU runs again in the new version; same version again: 9032),
    uninstall (row gone; again: 9028)."""
    vp = await start_printer(acs, fake_time, "127.70.15.3")
    dev = printer_id(vp.state)
    try:
        acs.add_file("v1.du", make_package(APP))
        v2 = D.Package(**{**APP.__dict__, "version": "1.1.0"})
        acs.add_file("v2.du", make_package(v2))
        (r,) = (await change(acs, fake_time, vp, [m.InstallOpStruct(acs.file_url("v1.du"))],
                             "i")).results  # fmt: skip
        eu = r.execution_unit_ref_list
        resp = acs.enqueue(dev, m.SetParameterValues(
            (m.ParameterValueStruct(eu + ".RequestedState", "Active", "xsd:string"),), "k1"))  # fmt: skip
        vp.tr069.cpe.forget_connection_requests()
        await acs.connection_request(dev)
        await settle(fake_time, vp)
        assert (await resp.result(1)).status == 0
        assert values(vp, eu + ".Status")[eu + ".Status"] == "Active"
        up = m.UpdateOpStruct(uuid=r.uuid, url=acs.file_url("v2.du"))
        (u,) = (await change(acs, fake_time, vp, [up], "u")).results
        assert (u.fault.fault_code, u.version, u.current_state) == (0, "1.1.0", "Installed")
        new_eu = u.execution_unit_ref_list
        assert values(vp, new_eu + ".Status")[new_eu + ".Status"] == "Active"
        (again,) = (await change(acs, fake_time, vp, [up], "u2")).results
        assert again.fault.fault_code == 9032 and again.current_state == "Installed"
        un = m.UninstallOpStruct(uuid=r.uuid)
        (x,) = (await change(acs, fake_time, vp, [un], "x")).results
        assert (x.fault.fault_code, x.current_state) == (0, "Uninstalled")
        assert r.uuid not in str(values(vp, SM + "DeploymentUnit."))
        (y,) = (await change(acs, fake_time, vp, [un], "y")).results
        assert y.fault.fault_code == 9028
        assert_printer_valid(acs)
    finally:
        await vp.stop()


@pytest.fixture
async def stall_once() -> AsyncIterator[tuple[str, dict[str, bytes], asyncio.Event]]:
    """A web server whose first response stalls after its headers (a transfer at work
    when the printer reboots); later ones serve the file."""
    files: dict[str, bytes] = {}
    stop = asyncio.Event()
    first = [True]

    async def handler(request: web.Request) -> web.StreamResponse:
        body = files[request.match_info["name"]]
        if first[0]:
            first[0] = False
            resp = web.StreamResponse(headers={"Content-Length": str(len(body))})
            await resp.prepare(request)
            await stop.wait()
            return resp
        return web.Response(body=body)

    app = web.Application()
    app.router.add_get("/{name}", handler)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.70.15.250", 0)
    await site.start()
    port = next(a for a in runner.addresses if isinstance(a, tuple))[1]
    yield f"http://127.70.15.250:{port}", files, stop
    stop.set()
    await runner.cleanup()


async def test_cpe_du_pending_change_survives_reboot(acs, fake_time, stall_once) -> None:
    """A ChangeDUState whose fetch is at work when the printer reboots is carried out after
    the boot (persisted like the transfer jobs), and reported with M ChangeDUState."""
    base, files, _stop = stall_once
    files["app.du"] = make_package(APP)
    vp = await start_printer(acs, fake_time, "127.70.15.4")
    dev = printer_id(vp.state)
    try:
        resp = acs.enqueue(dev, m.ChangeDUState((m.InstallOpStruct(f"{base}/app.du"),), "rb"))
        await acs.connection_request(dev)
        await fake_time.advance(0, [vp.tr069.cpe.idle])
        assert isinstance(await resp.result(1), m.ChangeDUStateResponse)
        for _ in range(50):
            if vp.tr069.software.jobs:
                break
            await asyncio.sleep(0.01)
        assert vp.tr069.software.jobs and not requests_of(acs, dev, "DUStateChangeComplete")
        vp.engine.reboot()
        await settle(fake_time, vp, 1)
        for _ in range(5):
            done = requests_of(acs, dev, "DUStateChangeComplete")
            if done:
                break
            await settle(fake_time, vp, 1)
        (r,) = done[-1].results
        assert (done[-1].command_key, r.fault.fault_code, r.current_state) == ("rb", 0, "Installed")
        assert any(e.event_code == "1 BOOT" for i in vp.tr069.cpe.informs for e in i.event)
        assert_printer_valid(acs)
    finally:
        await vp.stop()


async def test_cpe_du_restart_of_process_resumes(acs, fake_time, tmp_path: Path) -> None:
    """The agent's jobs are in its store: a new client over the same stores carries out a
    ChangeDUState the stopped one had accepted."""
    from printbench.cwmp_cpe.software_modules import SoftwareModuleAgent
    from printbench.cwmp_cpe.store import MemoryStore
    from printbench.emulator.software import PrinterSoftware

    vp = await start_printer(acs, fake_time, "127.70.15.5")
    try:
        acs.add_file("app.du", make_package(APP))
        store = MemoryStore({"version": 1, "done": [], "autonomous": [], "jobs": [
            {"command_key": "resume", "results": [],
             "ops": [D.op_to_json(m.InstallOpStruct(acs.file_url("app.du")))]}]})  # fmt: skip
        agent = SoftwareModuleAgent(vp.tr069.cpe, PrinterSoftware(vp.state), store)
        vp.tr069.cpe._handlers.pop(m.ChangeDUState, None)
        agent.attach()
        agent.start()
        await agent.idle()
        assert agent.done and agent.done[0]["command_key"] == "resume"
        assert "M ChangeDUState" in vp.tr069.cpe.queue
    finally:
        await vp.stop()


async def spv(acs, t, vp, **values: str) -> None:
    dev = printer_id(vp.state)
    plist = tuple(m.ParameterValueStruct(k, v, "xsd:string") for k, v in values.items())
    resp = acs.enqueue(dev, m.SetParameterValues(plist, "spv"))
    vp.tr069.cpe.forget_connection_requests()
    await acs.connection_request(dev)
    await settle(t, vp)
    assert (await resp.result(1)).status == 0


async def test_cpe_du_local_install_reports_autonomous_and_ews_shows_active(acs, fake_time) -> None:
    """A module installed through the EWS is reported with AutonomousDUStateChangeComplete
    (12 AUTONOMOUS DU STATE CHANGE COMPLETE) once DUStateChangeComplPolicy enables it; its EU
    started by SetParameterValues RequestedState=Active shows Active on the EWS page; with
    the policy's filter excluding Uninstall, a removal through the control API is not
    reported."""
    import aiohttp

    vp = await start_printer(acs, fake_time, "127.70.15.6", faces=("tr069", "ews", "control"))
    dev = printer_id(vp.state)
    pol = "Device.ManagementServer.DUStateChangeComplPolicy."
    try:
        values_ = {pol + "Enable": "true", pol + "OperationTypeFilter": "Install",
                   pol + "ResultTypeFilter": "Both"}  # fmt: skip
        resp = acs.enqueue(dev, m.SetParameterValues(tuple(
            m.ParameterValueStruct(k, v, "xsd:boolean" if k.endswith("Enable") else "xsd:string")
            for k, v in values_.items()), "pol"))  # fmt: skip
        vp.tr069.cpe.forget_connection_requests()
        await acs.connection_request(dev)
        await settle(fake_time, vp)
        assert (await resp.result(1)).status == 0
        ews = vp.endpoints["ews"].rstrip("/")
        import base64

        basic = "Basic " + base64.b64encode(b"admin:admin").decode()
        async with aiohttp.ClientSession() as http:
            async with http.post(ews + "/api/software", data=make_package(APP), headers={
                    "Content-Type": "application/octet-stream", "Authorization": basic}) as r:  # fmt: skip
                assert r.status == 201, await r.text()
                installed = await r.json()
            await settle(fake_time, vp, 1)
            auto = requests_of(acs, dev, "AutonomousDUStateChangeComplete")
            assert auto, "no AutonomousDUStateChangeComplete"
            (res,) = auto[-1].results
            assert (res.operation_performed, res.current_state, res.uuid) == (
                "Install", "Installed", installed["uuid"])  # fmt: skip
            assert any(e.event_code == "12 AUTONOMOUS DU STATE CHANGE COMPLETE"
                       for i in vp.tr069.cpe.informs for e in i.event)  # fmt: skip
            eu = installed["eu_refs"][0]
            await spv(acs, fake_time, vp, **{eu + ".RequestedState": "Active"})
            assert values(vp, eu + ".Status")[eu + ".Status"] == "Active"
            index = eu.rsplit(".", 1)[1]
            async with http.get(ews + "/software") as r:
                page = await r.text()
            row = page.split(f'id="eu-{index}"', 1)[1].split("</tr>", 1)[0]
            assert "secure-print" in row and '<td class="status">Active</td>' in row
            ctl = vp.endpoints["control"].rstrip("/")
            async with http.delete(f"{ctl}/software/{installed['uuid']}") as r:
                assert r.status == 200, await r.text()
            await settle(fake_time, vp, 1)
            assert len(requests_of(acs, dev, "AutonomousDUStateChangeComplete")) == len(auto)
            async with http.get(ews + "/api/software") as r:
                listed = await r.json()
            assert installed["uuid"] not in str(listed)
        assert_printer_valid(acs)
    finally:
        await vp.stop()


IPPTOOL_TEST = """{
  NAME "firmware components"
  OPERATION Get-Printer-Attributes
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR naturalLanguage attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR keyword requested-attributes printer-firmware-name,printer-firmware-string-version,printer-firmware-version
  STATUS successful-ok
  EXPECT printer-firmware-name OF-TYPE name WITH-VALUE "Secure Print"
  EXPECT printer-firmware-name WITH-VALUE "firmware"
  EXPECT printer-firmware-string-version OF-TYPE text WITH-VALUE "1.0.0"
  EXPECT printer-firmware-version OF-TYPE octetString
}
"""


async def test_cpe_du_shows_in_ipp_firmware_components(acs, fake_time, tmp_path) -> None:
    """PWG 5100.13 printer-firmware-name/-string-version/-version list the firmware and then
    every installed DU: CUPS's ipptool reads a module installed by ChangeDUState."""
    import shutil
    import subprocess

    if shutil.which("ipptool") is None:
        pytest.skip("ipptool (cups-ipp-utils) not installed")
    vp = await start_printer(acs, fake_time, "127.70.15.7", faces=("tr069", "ipp"))
    try:
        acs.add_file("app.du", make_package(APP))
        done = await change(acs, fake_time, vp, [m.InstallOpStruct(acs.file_url("app.du"))], "ipp")
        assert done.results[0].fault.fault_code == 0
        test = tmp_path / "fw.test"
        test.write_text(IPPTOOL_TEST)
        proc = await asyncio.to_thread(
            subprocess.run,
            ["ipptool", "-T", "10", "-t", vp.endpoints["ipp"], str(test)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-1000:]
    finally:
        await vp.stop()


async def test_cpe_du_factory_reset_restores_the_shipped_modules(acs, fake_time) -> None:
    """FactoryReset: the modules the profile ships with come back, installed ones are gone
    (and their EU rows), a pending report is dropped with the ACS relationship."""
    vp = await start_printer(acs, fake_time, "127.70.15.8")
    dev = printer_id(vp.state)
    try:
        shipped = values(vp, SM + "DeploymentUnitNumberOfEntries")
        acs.add_file("app.du", make_package(APP))
        (r,) = (await change(acs, fake_time, vp, [m.InstallOpStruct(acs.file_url("app.du"))],
                             "fr")).results  # fmt: skip
        assert r.fault.fault_code == 0
        assert values(vp, SM + "DeploymentUnitNumberOfEntries") != shipped
        resp = acs.enqueue(dev, m.FactoryReset())
        vp.tr069.cpe.forget_connection_requests()
        await acs.connection_request(dev)
        await settle(fake_time, vp, 1)
        assert isinstance(await resp.result(1), m.FactoryResetResponse)
        await settle(fake_time, vp, 1)
        assert vp.state.status.factory_resets == 1
        assert values(vp, SM + "DeploymentUnitNumberOfEntries") == shipped
        assert r.uuid not in vp.state.software.inventory
        assert vp.tr069.software.jobs == [] and vp.tr069.software.done == []
    finally:
        await vp.stop()


async def test_cpe_du_hostile_operation_values_end_in_faults(acs, fake_time) -> None:
    """Operations no file server should see (a local file URL, credentials with CR/LF, a
    huge URL, a non-UUID Version) each end in their fault; the job never hangs and the
    other operations still run."""
    vp = await start_printer(acs, fake_time, "127.70.15.9")
    try:
        acs.add_file("app.du", make_package(APP), auth="digest", username="u", password="p")
        ops = [
            m.InstallOpStruct(url="file:///etc/passwd"),
            m.InstallOpStruct(url=acs.file_url("app.du"), username="u\r\nX-Evil: 1", password="p"),
            m.InstallOpStruct(url="http://127.0.0.1:9/" + "a" * 1000),
            m.UninstallOpStruct(uuid=D.NIL_UUID, version="<1.0> & \u202e"),
            m.InstallOpStruct(url=acs.file_url("app.du"), username="u", password="p"),
        ]
        done = await change(acs, fake_time, vp, ops, "hostile")
        codes = [r.fault.fault_code for r in done.results]
        assert codes[0] == 9013 and codes[2] in (9015, 9016, 9017) and codes[3] == 9028
        assert codes[1] in D.DU_FAULT_CODES  # refused one way or another, never sent raw
        assert codes[4] == 0 and vp.tr069.software.jobs == []
        assert_printer_valid(acs)
    finally:
        await vp.stop()


async def test_cpe_du_no_autonomous_report_from_a_cwmp_1_0_client(acs, fake_time) -> None:
    """The CWMP 1.0 profile (brother) has no ChangeDUState (9000, not in GetRPCMethods) and
    queues no event 12 for a local install: neither exists before cwmp-1-2."""
    vp = await start_printer(acs, fake_time, "127.70.15.10", profile="brother-mfc-l2710dw")
    dev = printer_id(vp.state)
    try:
        pol = "Device.ManagementServer.DUStateChangeComplPolicy."
        vp.tr069.tree.set_parameter_values(
            [m.ParameterValueStruct(pol + "Enable", "true", "xsd:boolean"),
             m.ParameterValueStruct(pol + "OperationTypeFilter", "Install", "xsd:string")], "p")  # fmt: skip
        rpcs = acs.enqueue(dev, m.GetRPCMethods())
        cds = acs.enqueue(dev, m.ChangeDUState((m.UninstallOpStruct(D.NIL_UUID),), "old"))
        vp.tr069.cpe.forget_connection_requests()
        await acs.connection_request(dev)
        await settle(fake_time, vp)
        assert "ChangeDUState" not in (await rpcs.result(1)).method_list
        with pytest.raises(Exception) as exc:
            await cds.result(1)
        assert exc.value.fault.fault_code == 9000
        from printbench.common.clock import SystemClock
        from printbench.emulator import software as sw

        out = sw.install_local(vp.state, SystemClock(), make_package(
            D.Package("Fonts", "Brother", "1", "Printer Resources 1.0")))  # fmt: skip
        assert out.fault_code == 0
        # before the fix the event could never be delivered and the client started one
        # session after another: bounded, so that is a failure and not a hang
        await asyncio.wait_for(settle(fake_time, vp, 1), 30)
        assert "12 AUTONOMOUS DU STATE CHANGE COMPLETE" not in vp.tr069.cpe.queue
        assert vp.tr069.software.autonomous == []
    finally:
        await vp.stop()
