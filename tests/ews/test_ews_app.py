"""The EWS over real HTTP (aiohttp client → aiohttp server on 127.40.x.y): login, CSRF,
forms, the JSON twin, per-address device lookup, and state changes from other faces."""

from __future__ import annotations

from typing import Any

import aiohttp
from yarl import URL

from printbench.emulator.ews.auth import COOKIE_NAME


async def test_public_pages_and_login_redirect(ews: Any, ews_kit: Any) -> None:
    async with ews_kit.client() as s:
        for path in ("/", "/status", "/info"):
            async with s.get(ews.url + path) as r:
                assert r.status == 200
                html = await r.text()
                assert ews.device.state.identity.serial_number in html or path != "/info"
                assert "Content-Security-Policy" in r.headers
        async with s.get(f"{ews.url}/config/smtp", allow_redirects=False) as r:
            assert r.status == 303
            assert r.headers["Location"] == "/login?next=/config/smtp"
        async with s.get(f"{ews.url}/static/ews.css") as r:
            assert r.status == 200 and r.content_type == "text/css"


async def test_login_form_post_and_logout(ews: Any, ews_kit: Any) -> None:
    state = ews.device.state
    async with ews_kit.client() as s:
        async with s.post(f"{ews.url}/login", data={"username": "admin", "password": "nope"}) as r:
            assert r.status == 401
            assert "Wrong user name or password" in await r.text()
        csrf = await ews_kit.login(s, ews.url)
        form = {
            "_csrf": csrf,
            "network.smtp_server": "mail.example.com",
            "network.smtp_port": "587",
            "network.smtp_from": "printer@example.com",
            "network.smtp_auth": "on",
        }
        async with s.post(f"{ews.url}/config/smtp", data=form, allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"] == "/config/smtp?saved=1"
        assert state.network.smtp_server == "mail.example.com"
        assert state.network.smtp_port == 587 and state.network.smtp_auth is True
        async with s.get(f"{ews.url}/config/smtp?saved=1") as r:
            html = await r.text()
            assert "Settings saved" in html and 'value="mail.example.com"' in html
        # A bad value is shown next to its field; nothing changes (all or nothing).
        before = ews.snapshot()
        bad = form | {"network.smtp_server": "relay.example.org", "network.smtp_port": "0"}
        async with s.post(f"{ews.url}/config/smtp", data=bad) as r:
            assert r.status == 400
            html = await r.text()
            assert "SMTP port must be at least 1 (got 0)" in html
            assert 'value="relay.example.org"' in html  # the post is re-rendered for fixing
        assert ews.snapshot() == before
        async with s.post(f"{ews.url}/logout", data={"_csrf": csrf}, allow_redirects=False) as r:
            assert r.status == 303
        async with s.get(f"{ews.url}/api/session") as r:
            assert (await r.json())["logged_in"] is False


async def test_csrf_and_session_enforcement(ews: Any, ews_kit: Any) -> None:
    before = ews.snapshot()
    form = {"description.name": "x", "description.location": "Hacked"}
    async with ews_kit.client() as s:
        async with s.post(f"{ews.url}/config/printer-info", data=form) as r:
            assert r.status == 403  # no session
        csrf = await ews_kit.login(s, ews.url)
        async with s.post(f"{ews.url}/config/printer-info", data=form) as r:
            assert r.status == 403  # session but no token
            assert "security token" in await r.text()
        async with s.post(f"{ews.url}/config/printer-info", data=form | {"_csrf": csrf[::-1]}) as r:
            assert r.status == 403  # wrong token
        async with s.post(f"{ews.url}/logout", data={}) as r:
            assert r.status == 403  # logout needs the token too
    assert ews.snapshot() == before


async def test_session_is_bound_to_its_printer_and_its_password(ews_kit: Any) -> None:
    server, runner = await ews_kit.start_server(ews_kit.fresh_hosts(2))
    try:
        a, b = list(server.devices)
        async with ews_kit.client() as s:
            await ews_kit.login(s, server.urls[a])
            token = s.cookie_jar.filter_cookies(URL(server.urls[a]))[COOKIE_NAME].value
        # One listener serves both printers by local address: each page shows its own printer.
        async with aiohttp.ClientSession() as s:
            for h in (a, b):
                async with s.get(f"{server.urls[h]}/api/info") as r:
                    info = await r.json()
                assert info["serial_number"] == server.devices[h].state.identity.serial_number
            assert (
                server.devices[a].state.identity.serial_number
                != server.devices[b].state.identity.serial_number
            )
            cookie = {"Cookie": f"{COOKIE_NAME}={token}"}
            async with s.get(f"{server.urls[a]}/api/session", headers=cookie) as r:
                assert (await r.json())["logged_in"] is True
            async with s.get(f"{server.urls[b]}/api/session", headers=cookie) as r:
                assert (await r.json())["logged_in"] is False  # printer A's cookie is not B's
            server.devices[a].state.admin.password = "changed-elsewhere"
            async with s.get(f"{server.urls[a]}/api/session", headers=cookie) as r:
                assert (await r.json())["logged_in"] is False  # new password ends sessions
    finally:
        await runner.cleanup()


async def test_session_expires_on_the_device_clock(ews: Any, ews_kit: Any) -> None:
    async with ews_kit.client() as s:
        await ews_kit.login(s, ews.url)
        ews.device.clock.advance(1801)
        async with s.get(f"{ews.url}/config/smtp", allow_redirects=False) as r:
            assert r.status == 303


async def test_json_twin_round_trip_with_basic_auth(ews: Any, basic: dict[str, str]) -> None:
    state = ews.device.state
    async with aiohttp.ClientSession() as s:
        async with s.get(f"{ews.url}/api/config/snmp") as r:
            assert r.status == 401 and r.headers["WWW-Authenticate"].startswith("Basic")
        async with s.get(
            f"{ews.url}/api/config/snmp",
            headers={"Authorization": aiohttp.encode_basic_auth("admin", "x")},
        ) as r:
            assert r.status == 401
        async with s.get(f"{ews.url}/api/config/snmp", headers=basic) as r:
            values = await r.json()
        assert values["snmp.read_community"] == state.snmp.read_community
        assert values["snmp.v3_auth_key"] is None  # write-only
        values["snmp.trap_destinations"] = ["192.0.2.50:162", "nms.example.net:10162"]
        async with s.post(f"{ews.url}/api/config/snmp", json=values, headers=basic) as r:
            assert r.status == 200
            body = await r.json()
        assert body["changed"] == ["snmp.trap_destinations"]
        assert state.snmp.trap_destinations == ("192.0.2.50:162", "nms.example.net:10162")
        assert state.snmp.v3_auth_key != ""  # null kept the secret
        async with s.get(f"{ews.url}/api/config/snmp", headers=basic) as r:
            assert (await r.json())["snmp.trap_destinations"] == values["snmp.trap_destinations"]
        # Errors: per field, 400, nothing changed even though one field was fine.
        before = ews.snapshot()
        bad = {"snmp.trap_community": "fine", "snmp.trap_destinations": ["nohost"], "snmp.x": 1}
        async with s.post(f"{ews.url}/api/config/snmp", json=bad, headers=basic) as r:
            assert r.status == 400
            errors = (await r.json())["errors"]
        assert set(errors) == {"snmp.trap_destinations", "snmp.x"}
        assert "host:port" in errors["snmp.trap_destinations"]
        assert ews.snapshot() == before
        async with s.get(f"{ews.url}/api/pages", headers=basic) as r:
            described = {p["slug"]: p for p in (await r.json())["pages"]}
        assert described["smtp"]["fields"][1] == {
            "path": "network.smtp_port", "label": "SMTP port", "kind": "int", "min": 1, "max": 65535,
        }  # fmt: skip


async def test_json_twin_with_session_cookie_and_csrf_header(ews: Any, ews_kit: Any) -> None:
    state = ews.device.state
    async with ews_kit.client() as s:
        async with s.post(
            f"{ews.url}/api/login", json={"username": "admin", "password": "admin"}
        ) as r:
            assert r.status == 200
            csrf = (await r.json())["csrf_token"]
        body = {"description.location": "Building 2, room 14", "identity.asset_number": "A-0042"}
        async with s.post(f"{ews.url}/api/config/printer-info", json=body) as r:
            assert r.status == 403  # cookie without the CSRF header
        assert state.description.location != body["description.location"]
        async with s.post(
            f"{ews.url}/api/config/printer-info", json=body, headers={"X-CSRF-Token": csrf}
        ) as r:
            assert r.status == 200
        assert state.description.location == "Building 2, room 14"
        assert state.identity.asset_number == "A-0042"
        async with s.get(f"{ews.url}/api/state") as r:
            dump = await r.json()
        assert dump["description.location"] == "Building 2, room 14"
        assert dump["admin.password"] is None and dump["management.password"] is None
        assert len(dump) == len(list(state.walk()))
        async with s.post(
            f"{ews.url}/api/config/printer-info", data="x=1", headers={"X-CSRF-Token": csrf}
        ) as r:
            assert r.status == 415


async def test_api_state_requires_login(ews: Any) -> None:
    async with aiohttp.ClientSession() as s, s.get(f"{ews.url}/api/state") as r:
        assert r.status == 401


async def test_status_follows_jobs_and_faults(ews: Any, basic: dict[str, str]) -> None:
    device = ews.device
    async with aiohttp.ClientSession() as s:
        async with s.get(f"{ews.url}/api/status") as r:
            before = await r.json()
        device.engine.submit_job(pages=10)
        device.engine.finish_all()
        async with s.get(f"{ews.url}/api/status") as r:
            after = await r.json()
        assert (
            after["counters"]["total_impressions"] == before["counters"]["total_impressions"] + 10
        )
        black_before = next(x for x in before["supplies"] if x["colorant"] == "black")
        black_after = next(x for x in after["supplies"] if x["colorant"] == "black")
        assert black_after["level"] <= black_before["level"]
        async with s.get(f"{ews.url}/status") as r:
            html = await r.text()
        assert f'id="count-total">{after["counters"]["total_impressions"]}<' in html
        device.engine.inject("cover_open")
        async with s.get(f"{ews.url}/status") as r:
            html = await r.text()
        alert = next(a for a in device.state.alerts if a.code == "coverOpen")
        assert alert.description in html
        assert device.state.consoles[0].display_buffer[0] in html
        device.engine.inject("power_off")
        async with s.get(f"{ews.url}/status") as r:
            assert r.status == 503


async def test_unknown_address_and_pages(ews: Any, ews_kit: Any, basic: dict[str, str]) -> None:
    async with (
        aiohttp.ClientSession() as s,
        s.get(f"{ews.url}/api/config/nonesuch", headers=basic) as r,
    ):
        assert r.status == 404
    # One listener on two addresses, but lookup knows only the first printer.
    from aiohttp import web

    from printbench.emulator.ews import create_ews_app

    known, unknown = ews_kit.fresh_hosts(2)
    device = ews_kit.make_device(known)
    runner = web.AppRunner(create_ews_app({known: device}.get), access_log=None)
    await runner.setup()
    try:
        urls = {}
        for h in (known, unknown):
            site = web.TCPSite(runner, h, 0)
            await site.start()
            urls[h] = f"http://{h}:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
        async with aiohttp.ClientSession() as s:
            async with s.get(f"{urls[known]}/status") as r:
                assert r.status == 200
            async with s.get(f"{urls[unknown]}/status") as r:
                assert r.status == 404
                assert f"no printer at {unknown}" in await r.text()
    finally:
        await runner.cleanup()
