"""End to end: the stub ACS manages printers through the proxy (real CWMP over HTTP), and
``printbench proxy`` starts from a printers file and prints its endpoints then ``ready``."""

from __future__ import annotations

import asyncio
import sys

import pytest

from printbench.acs_stub.control import AcsControl, ConnectionRequestError
from printbench.acs_stub.registry import Credentials
from printbench.acs_stub.server import AcsConfig
from printbench.cwmp import messages as m
from printbench.cwmp_proxy.proxy import Proxy
from printbench.emulator.tr069.view import printer_tree
from tests.proxy.conftest import CR_PASSWORD, CR_USER, entry_for, proxy_config

PS = "Device.Services.PrintService.1."


@pytest.fixture
async def acs(tmp_path):
    informs: asyncio.Queue = asyncio.Queue()

    def on_inform(device, inform):
        # what the ACS knows of the proxy's ConnectionRequestUsername/Password
        device.cr_credentials = Credentials(CR_USER, CR_PASSWORD)
        informs.put_nowait((device, inform))
        return []

    control = await AcsControl.start(
        AcsConfig(
            port=0, control_port=0, journal_dir=tmp_path, journal_file=False, on_inform=on_inform
        )
    )
    control.informs = informs
    yield control
    await control.stop()


async def test_proxy_session_with_stub_acs(acs, printers) -> None:
    a = await printers("color-laser-mfp")
    b = await printers("brother-mfc-l2710dw", seed=3)
    config = proxy_config(acs, timeout=0.3)
    async with Proxy(config, [entry_for(a), entry_for(b)]) as proxy:
        serial = a.state.identity.serial_number
        seen = {}
        while len(seen) < 3:  # the proxy's own device and one per printer
            device, inform = await asyncio.wait_for(acs.informs.get(), 20)
            assert {"0 BOOTSTRAP", "1 BOOT"} <= {e.event_code for e in inform.event}
            seen[device.serial_number] = device
        devices = {d.serial_number: d for d in acs.devices()}
        da = devices[serial]
        # DeviceId from the printer: OUI of its MAC, its serial number
        assert da.oui == a.state.interfaces[0].mac_address.replace(":", "")[:6].upper()
        # The proxy's own device lists both printers (Annex J VirtualDevice table)
        pd = devices[proxy.identity.serial_number]
        await acs.connection_request(pd.id, timeout=20)
        r = await acs.call(pd.id, m.GetParameterValues(("Device.ManagementServer.VirtualDevice.",)))
        hosts = sorted(v.value for v in r.parameter_list if v.name.endswith(".Host"))
        assert hosts == sorted([a.host, b.host])
        # GPV through CWMP equals the oracle
        await acs.connection_request(da.id, timeout=20)
        names = (PS + "Status.SerialNumber", PS + "Description.ServiceLocation")
        r = await acs.call(da.id, m.GetParameterValues(names))
        oracle, _ = printer_tree(a.state, a.clock)
        assert [v.value for v in r.parameter_list] == [oracle.get_value(n) for n in names]
        await acs.connection_request(da.id, timeout=20)
        r = await acs.call(da.id, m.GetParameterValues(("Device.DeviceInfo.ProxierInfo.",)))
        assert proxy.identity.serial_number in [v.value for v in r.parameter_list]
        # SPV over CWMP reaches the printer
        await acs.connection_request(da.id, timeout=20)
        r = await acs.call(
            da.id,
            m.SetParameterValues(
                (m.ParameterValueStruct(names[1], "Room 42", "xsd:string"),), "e2e"
            ),
        )
        assert r.status == 0 and a.state.description.location == "Room 42"
        # Printer gone: connection request 503, the other printer still served
        a.control.power_off()
        with pytest.raises(ConnectionRequestError, match="503"):
            await acs.connection_request(da.id, timeout=20)
        db = devices[b.state.identity.serial_number]
        await acs.connection_request(db.id, timeout=20)
        a.control.power_on()
        await acs.connection_request(da.id, timeout=20)


async def test_proxy_cli_prints_ready(tmp_path, printers) -> None:
    a = await printers("inkjet-office")
    e = entry_for(a)
    f = tmp_path / "printers.yaml"
    f.write_text(
        f"- address: {e.address}\n  snmp_port: {e.snmp_port}\n  ipp_uri: {e.ipp_uri}\n"
        f"  ews_url: {e.ews_url}\n"
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "printbench.cli",
        "proxy",
        "--acs-url",
        "http://127.0.0.1:9/",
        "--printers",
        str(f),
        "--cr-port",
        "0",
        "--timeout",
        "0.5",
        "--state-dir",
        str(tmp_path / "state"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    lines = []
    try:
        while True:
            line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode().strip()
            assert line, (await proc.stderr.read()).decode()[-2000:]
            lines.append(line)
            if line == "ready":
                break
    finally:
        proc.terminate()
        await proc.wait()
    assert lines[0].startswith("proxy cwmp-device ")
    assert any(
        x.startswith(f"printer {a.host} ") and a.state.identity.serial_number in x for x in lines
    )


async def test_proxy_cli_bad_printers_file(tmp_path) -> None:
    f = tmp_path / "printers.csv"
    f.write_text("address,protocols\n127.80.9.9,snmp\n127.80.9.10,telnet\n")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "printbench.cli",
        "proxy",
        "--acs-url",
        "http://127.0.0.1:9/",
        "--printers",
        str(f),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _out, err = await proc.communicate()
    assert proc.returncode == 2
    assert f"{f}:3: protocols telnet" in err.decode()
