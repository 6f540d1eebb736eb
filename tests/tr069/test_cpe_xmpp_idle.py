"""A printer whose XMPP connection is disabled (the default) runs nothing for it: fleets of
thousands of printers must not pay a task, an event loop timer or a socket per device."""

from __future__ import annotations

import asyncio

from printbench.cwmp_cpe import FakeTime

from .conftest import start_printer


async def test_disabled_xmpp_runs_no_task(acs, fake_time: FakeTime) -> None:
    vp = await start_printer(acs, fake_time, "127.71.1.1")
    try:
        conn = vp.tr069.xmpp
        names = {t.get_name() for t in asyncio.all_tasks()}
        assert not any(n.startswith("xmpp ") for n in names), names
        assert conn.status == "Disabled"
        assert vp.tr069.cpe.tree.get_value("Device.XMPP.Connection.1.Status") == "Disabled"
        assert vp.tr069.cpe.tree.get_value("Device.ManagementServer.ConnReqJabberID") == ""
        # misconfigured (no domain): the loop runs once, says why, and ends
        vp.state.xmpp.username = "u"
        vp.state.xmpp.enable = True
        assert await conn.wait_status(lambda s: s == "Error_Misconfigured", 5)
        await asyncio.sleep(0)
        names = {t.get_name() for t in asyncio.all_tasks()}
        assert not any(n.startswith("xmpp ") for n in names), names
    finally:
        await vp.stop()
