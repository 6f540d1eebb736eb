"""The proxy as a full CPE (issue 12 item 5): its state survives a restart (1 BOOT with the
same DeviceIds, attributes kept; not 0 BOOTSTRAP of every printer), and an ACS can back a
printer's configuration up with Upload and restore it with Download."""

from __future__ import annotations

import asyncio

from printbench.cwmp import messages as m
from printbench.cwmp_cpe.file_formats import config_values, parse_config
from printbench.cwmp_proxy.proxy import Proxy, ProxyConfig
from tests.proxy.conftest import entry_for, proxy_config
from tests.proxy.test_proxy_download import _transfer_complete
from tests.proxy.test_proxy_session import acs  # noqa: F401  (fixture)

PS = "Device.Services.PrintService.1."


def _config(acs, state_dir=None) -> ProxyConfig:  # noqa: F811
    return proxy_config(acs, state_dir=state_dir)


async def _informs(acs, n: int) -> dict[str, set[str]]:  # noqa: F811
    """serial -> events of the first ``n`` distinct devices' Informs."""
    seen: dict[str, set[str]] = {}
    while len(seen) < n:
        device, inform = await asyncio.wait_for(acs.informs.get(), 30)
        seen.setdefault(device.serial_number, {e.event_code for e in inform.event})
    return seen


async def test_a_proxy_restart_is_a_boot_not_a_bootstrap(acs, printers, tmp_path) -> None:  # noqa: F811
    p = await printers("mono-desktop-laser")
    serial = p.state.identity.serial_number
    state = tmp_path / "proxy-state"
    async with Proxy(_config(acs, state), [entry_for(p)]) as first:
        proxy_serial = first.identity.serial_number
        seen = await _informs(acs, 2)
        assert "0 BOOTSTRAP" in seen[serial] and "0 BOOTSTRAP" in seen[proxy_serial]
        dev = next(d for d in acs.devices() if d.serial_number == serial)
        await acs.connection_request(dev.id, timeout=20)
        name = f"{PS}Description.ServiceLocation"
        await acs.call(
            dev.id, m.SetParameterAttributes((m.SetParameterAttributesStruct(name, True, 1),))
        )
    while not acs.informs.empty():  # the first proxy's connection-request sessions
        acs.informs.get_nowait()
    async with Proxy(_config(acs, state), [entry_for(p)]) as second:
        assert second.identity.serial_number == proxy_serial, "the proxy keeps its DeviceId"
        seen = await _informs(acs, 2)
        for who in (serial, proxy_serial):
            assert "1 BOOT" in seen[who] and "0 BOOTSTRAP" not in seen[who], (who, seen[who])
        await acs.connection_request(dev.id, timeout=20)
        got = await acs.call(dev.id, m.GetParameterAttributes((name,)))
        assert [a.notification for a in got.parameter_list] == [1]


async def test_without_a_state_folder_every_start_is_a_new_proxy(acs, printers) -> None:  # noqa: F811
    p = await printers("mono-desktop-laser", seed=5)
    async with Proxy(_config(acs), [entry_for(p)]) as first:
        a = first.identity.serial_number
        await _informs(acs, 2)
    while not acs.informs.empty():
        acs.informs.get_nowait()
    async with Proxy(_config(acs), [entry_for(p)]) as second:
        assert second.identity.serial_number != a
        seen = await _informs(acs, 2)
        assert "0 BOOTSTRAP" in seen[p.state.identity.serial_number]


async def test_upload_backs_a_printer_up_and_download_restores_it(acs, printers) -> None:  # noqa: F811
    p = await printers("color-laser-mfp", seed=7)
    serial = p.state.identity.serial_number
    async with Proxy(_config(acs), [entry_for(p)]):
        await _informs(acs, 2)
        dev = next(d for d in acs.devices() if d.serial_number == serial)
        await acs.connection_request(dev.id, timeout=20)
        methods = (await acs.call(dev.id, m.GetRPCMethods())).method_list
        assert "Upload" in methods
        url = acs.expect_upload("backup.yaml")
        await acs.connection_request(dev.id, timeout=20)
        r = await acs.call(dev.id, m.Upload("up-1", "1 Vendor Configuration File", url, "", "", 0))
        assert r.status in (0, 1)
        uploaded = await acs.wait_upload("backup.yaml", timeout=30)
        # what the printer holds, read by the emulator itself (not through the proxy)
        backup = parse_config(uploaded.content, p.state)
        truth = {
            k: tuple(v) if isinstance(v, list) else v for k, v in config_values(p.state).items()
        }
        assert backup == {k: truth[k] for k in backup}
        assert "description.location" in backup and len(backup) >= 20, sorted(backup)
        before = p.state.description.location
        p.state.set("description.location", "somewhere else")
        served = acs.add_file("restore.yaml", uploaded.content)
        await acs.connection_request(dev.id, timeout=20)
        await acs.call(
            dev.id,
            m.Download("dl-r", "3 Vendor Configuration File",
                       served.info(acs.server.files_url)["url"], "", "", len(uploaded.content), "", 0),
        )  # fmt: skip
        body = await _transfer_complete(acs, dev.id, "dl-r")
        assert "<FaultCode>0</FaultCode>" in body, body
        assert p.state.description.location == before
