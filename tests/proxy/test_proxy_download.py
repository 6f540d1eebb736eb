"""Download through the proxy (TR-069 A.3.2.8): a vendor configuration file is fetched from
the ACS's file server with HTTP auth by the shared CPE runtime, applied to the printer through
its EWS, and reported with TransferComplete; a firmware image is refused at once (9010)."""

from __future__ import annotations

import asyncio

import pytest

from printbench.acs_stub.rpc_queue import RpcFault
from printbench.cwmp import messages as m
from printbench.cwmp_cpe.file_formats import make_config
from printbench.cwmp_proxy.proxy import Proxy
from tests.proxy.conftest import entry_for, proxy_config
from tests.proxy.test_proxy_session import acs  # noqa: F401  (fixture)


async def _transfer_complete(acs, device_id: str, command_key: str) -> str:  # noqa: F811
    """The TransferComplete envelope the device sent for ``command_key`` (the journal)."""
    for _ in range(200):
        for e in acs.server.journal.entries(device=device_id, kind="http"):
            if e.method == "TransferComplete" and command_key in e.body:
                return e.body
        await asyncio.sleep(0.05)  # the journal has no waiter; bounded (10 s)
    raise AssertionError(f"no TransferComplete for {command_key}")


async def test_proxy_download_config_and_firmware(acs, printers) -> None:  # noqa: F811
    p = await printers("color-laser-mfp")
    # a model without an EWS firmware page (tests/proxy/test_proxy_firmware.py: with one)
    p.state.admin.firmware_upload = False
    config = proxy_config(acs)
    async with Proxy(config, [entry_for(p)]) as proxy:
        serial = p.state.identity.serial_number
        dev = None
        while dev is None or dev.serial_number != serial:
            dev, _ = await asyncio.wait_for(acs.informs.get(), 20)
        await acs.connection_request(dev.id, timeout=20)
        methods = (await acs.call(dev.id, m.GetRPCMethods())).method_list
        assert "Download" in methods
        # a configuration file behind digest/basic auth, applied through the EWS
        data = make_config({"description.location": "Lab 7", "defaults.copies": 3})
        served = acs.add_file("cfg.yaml", data, auth="basic", username="u", password="pw")
        url = served.info(acs.server.files_url)["url"]
        await acs.connection_request(dev.id, timeout=20)
        r = await acs.call(
            dev.id,
            m.Download("dl-1", "3 Vendor Configuration File", url, "u", "pw", len(data), "", 0),
        )
        assert r.status in (0, 1)
        body = await _transfer_complete(acs, dev.id, "dl-1")
        assert "<FaultCode>0</FaultCode>" in body, body
        assert p.state.description.location == "Lab 7" and p.state.defaults.copies == 3
        # a corrupted file changes nothing and is reported with its fault code
        bad = data.replace(b"Lab 7", b"Lab 8")
        served = acs.add_file("bad.yaml", bad)
        await acs.connection_request(dev.id, timeout=20)
        await acs.call(
            dev.id,
            m.Download(
                "dl-2",
                "3 Vendor Configuration File",
                served.info(acs.server.files_url)["url"],
                "",
                "",
                len(bad),
                "",
                0,
            ),
        )
        body = await _transfer_complete(acs, dev.id, "dl-2")
        assert "<FaultCode>0</FaultCode>" not in body
        assert p.state.description.location == "Lab 7"
        # firmware: no native path, fault at once with a reason
        await acs.connection_request(dev.id, timeout=20)
        with pytest.raises(RpcFault, match="9010"):
            await acs.call(
                dev.id, m.Download("fw-1", "1 Firmware Upgrade Image", url, "", "", 0, "", 0)
            )
        assert proxy.device(p.host).cpe is not None
