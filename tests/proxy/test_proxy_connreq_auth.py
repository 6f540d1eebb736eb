"""The proxy authenticates a Connection Request before it does anything else (TR-069 §3.2.2:
"The CPE MUST use digest-authentication to authenticate the ACS before proceeding"): no
printer probe for an unauthenticated request, and empty credentials accept nothing."""

from __future__ import annotations

import pytest

from printbench.acs_stub.control import AcsControl, send_connection_request
from printbench.acs_stub.registry import Credentials
from printbench.acs_stub.server import AcsConfig
from printbench.cwmp_proxy.proxy import Proxy, ProxyConfig
from tests.proxy.conftest import entry_for


@pytest.fixture
async def acs(tmp_path):
    control = await AcsControl.start(
        AcsConfig(port=0, control_port=0, journal_dir=tmp_path, journal_file=False)
    )
    yield control
    await control.stop()


def _config(acs, **kw) -> ProxyConfig:
    return ProxyConfig(acs_url=acs.server.cwmp_url, cr_port=0, timeout=0.3, retries=0, **kw)


async def test_proxy_authenticates_before_probing_the_printer(acs, printers) -> None:
    a = await printers("color-laser-mfp")
    config = _config(acs, cr_username="acs", cr_password="pw")
    async with Proxy(config, [entry_for(a)]) as proxy:
        url = proxy.device(a.host).view.cr_url
        a.control.power_off()
        # unauthenticated or wrong: 401, and the printer is not probed (an offline printer
        # would show as 503, telling an unauthenticated client that it is offline)
        assert await send_connection_request(url, None) == 401
        assert await send_connection_request(url, Credentials("acs", "wrong")) == 401
        assert await send_connection_request(url, Credentials("acs", "pw")) == 503
        a.control.power_on()
        assert await send_connection_request(url, Credentials("acs", "pw")) == 200


async def test_proxy_with_empty_credentials_accepts_no_request(acs, printers) -> None:
    a = await printers("inkjet-office")
    async with Proxy(_config(acs), [entry_for(a)]) as proxy:
        for url in (proxy.device(a.host).view.cr_url, proxy.root.cr_url):
            assert await send_connection_request(url, None) == 401
            assert await send_connection_request(url, Credentials("", "")) == 401
