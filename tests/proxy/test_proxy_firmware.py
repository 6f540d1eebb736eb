"""Firmware Download through the proxy (issue 12, item 5, first part).

The printer's profile gives its EWS a firmware upgrade page (``admin.firmware_upload``), so
the proxy's virtual device offers ``1 Firmware Upgrade Image``: the shared runtime streams
the image (64 MB, made by the test) to disk from the stub's file server or from lighttpd
with digest auth, the proxy sends it to ``POST /api/firmware``, the printer flashes and
reboots, and the virtual device then informs ``1 BOOT`` + ``7 TRANSFER COMPLETE`` +
``M Download`` with the new SoftwareVersion and sends TransferComplete FaultCode 0. Peak RSS
of the process (proxy and printer both) stays within 10 MB of where it started.
"""

from __future__ import annotations

import asyncio

from printbench.cwmp import messages as m
from printbench.cwmp import soap
from printbench.cwmp_proxy.proxy import Proxy
from tests.proxy.conftest import entry_for, proxy_config
from tests.proxy.test_proxy_session import acs  # noqa: F401  (fixture)
from tests.tr069.test_cpe_download_streaming import (  # noqa: F401  (fixtures)
    RSS_BOUND,
    SIZE,
    _status,
    image,
    lighttpd,
    reset_peak_rss,
)

FIRMWARE = "1 Firmware Upgrade Image"
VERSION = "8.0.64"  # what the test image carries


async def _inform_with(acs, device_id: str, key: str, timeout: float = 120.0) -> m.Inform:  # noqa: F811
    """The next Inform of ``device_id`` whose events carry ``M Download`` ``key``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        dev, inform = await asyncio.wait_for(acs.informs.get(), deadline - loop.time())
        if dev.id == device_id and ("M Download", key) in {
            (e.event_code, e.command_key) for e in inform.event
        }:
            return inform


async def test_proxy_firmware_download_from_stub(acs, printers, image) -> None:  # noqa: F811
    p = await printers("color-laser-mfp")
    acs.add_file("fw-64m.bin", image)
    await _firmware_through_proxy(acs, p, acs.file_url("fw-64m.bin"), "", "")


async def test_proxy_firmware_download_from_lighttpd(acs, printers, lighttpd) -> None:  # noqa: F811
    p = await printers("color-laser-mfp")
    await _firmware_through_proxy(acs, p, lighttpd.url, lighttpd.username, lighttpd.password)


async def _firmware_through_proxy(acs, p, url: str, user: str, pw: str) -> None:  # noqa: F811
    assert p.state.admin.firmware_upload
    config = proxy_config(acs, timeout=2.0)
    async with Proxy(config, [entry_for(p)]) as proxy:
        serial = p.state.identity.serial_number
        dev = None
        while dev is None or dev.serial_number != serial:
            dev, _ = await asyncio.wait_for(acs.informs.get(), 20)
        await acs.connection_request(dev.id, timeout=20)
        methods = (await acs.call(dev.id, m.GetRPCMethods())).method_list
        assert "Download" in methods
        before = reset_peak_rss()
        await acs.connection_request(dev.id, timeout=20)
        r = await acs.call(dev.id, m.Download("fw-p1", FIRMWARE, url, user, pw, SIZE, "", 0))
        assert r.status == 1
        inform = await _inform_with(acs, dev.id, "fw-p1")
        growth = _status("VmHWM") - before
        codes = {e.event_code for e in inform.event}
        assert {"1 BOOT", "7 TRANSFER COMPLETE", "M Download"} <= codes
        params = {q.name: q.value for q in inform.parameter_list}
        assert params["Device.DeviceInfo.SoftwareVersion"].endswith(VERSION)
        assert p.state.identity.software_version == VERSION
        for _ in range(200):
            tcs = [
                soap.decode(e.body.encode()).body
                for e in acs.server.journal.entries(device=dev.id, kind="http")
                if e.method == "TransferComplete" and "fw-p1" in e.body
            ]
            if tcs:
                break
            await asyncio.sleep(0.05)
        assert [tc.fault_struct.fault_code for tc in tcs][:1] == [0]
        assert growth < RSS_BOUND, f"peak RSS grew by {growth / 1e6:.1f} MB"
        assert proxy.device(p.host).cpe is not None
