"""Connection requests: digest with an independent client, wrong credentials, 503 rate
limiting, several requests coalesced into one session, never interrupting a session."""

from __future__ import annotations

import aiohttp
from aiohttp import DigestAuthMiddleware

from printbench.acs_stub.control import send_connection_request
from printbench.acs_stub.registry import Credentials
from printbench.cwmp_cpe import ConnectionRequestServer, FakeTime

from .conftest import assert_valid, make_cpe


async def _cpe_with_server(acs, t: FakeTime, **cfg):
    cpe = await make_cpe(acs, t, **cfg)
    server = ConnectionRequestServer("127.70.1.1", 0)
    await server.start()
    url = server.register(cpe)
    cpe.tree.root["cr_url"] = url
    await cpe.start()
    await t.advance(0, [cpe.idle])  # BOOTSTRAP session
    return cpe, server, url


async def test_cpe_connreq_digest_independent_client(acs, fake_time: FakeTime) -> None:
    cpe, server, url = await _cpe_with_server(acs, fake_time)
    try:
        async with aiohttp.ClientSession() as http, http.get(url) as resp:
            assert resp.status == 401
            assert resp.headers["WWW-Authenticate"].startswith("Digest ")
        mw = DigestAuthMiddleware("cruser", "crpass")
        async with aiohttp.ClientSession(middlewares=(mw,)) as http, http.get(url) as resp:
            assert resp.status == 200
            assert await resp.read() == b""
        await fake_time.advance(0, [cpe.idle])
        assert cpe.sessions == 2
        assert [e.event_code for e in cpe.informs[-1].event] == ["6 CONNECTION REQUEST"]
        # the request came from this test, not from the stub ACS: its CR rule does not apply
        assert_valid(acs, allow=["connection-request-event"])
    finally:
        await cpe.stop()
        await server.stop()


async def test_cpe_connreq_wrong_credentials_and_method(acs, fake_time: FakeTime) -> None:
    cpe, server, url = await _cpe_with_server(acs, fake_time)
    try:
        assert await send_connection_request(url, Credentials("cruser", "nope")) == 401
        assert await send_connection_request(url, Credentials("other", "crpass")) == 401
        async with aiohttp.ClientSession() as http:
            async with http.post(url) as resp:
                assert resp.status == 405
            async with http.get(url + "x") as resp:
                assert resp.status == 404
        await fake_time.advance(0, [cpe.idle])
        assert cpe.sessions == 1  # no session from refused requests
    finally:
        await cpe.stop()
        await server.stop()


async def test_cpe_connreq_coalesce_and_rate_limit(acs, fake_time: FakeTime) -> None:
    cpe, server, url = await _cpe_with_server(acs, fake_time, cr_rate_limit=3, cr_rate_window=60)
    good = Credentials("cruser", "crpass")
    from printbench.cwmp import messages as m

    from .conftest import device_id

    inside: list[int] = []

    async def crs_inside(req):
        # three more requests while the session runs: two within the limit, one over it
        inside.extend([await send_connection_request(url, good) for _ in range(3)])
        return m.GetParameterValuesResponse(())

    cpe.register(m.GetParameterValues, crs_inside)
    try:
        cpe.retry.next_attempt = None
        acs.enqueue(device_id(), m.GetParameterValues(("Device.DeviceInfo.SerialNumber",)))
        assert await send_connection_request(url, good) == 200
        await fake_time.advance(0, [cpe.idle])
        assert inside == [200, 200, 503]
        # the two accepted during the session coalesce into exactly one more session
        # (requests sent one after another while the CPE is idle may each get their own:
        # a session can end between two of them, so only in-session requests are counted)
        assert cpe.sessions == 3
        await fake_time.advance(61, [cpe.idle])  # the window has passed
        assert await send_connection_request(url, good) == 200
        await fake_time.advance(0, [cpe.idle])
        assert cpe.sessions == 4
    finally:
        await cpe.stop()
        await server.stop()


async def test_cpe_connreq_during_session_runs_after_it(acs, fake_time: FakeTime) -> None:
    cpe, server, url = await _cpe_with_server(acs, fake_time)
    good = Credentials("cruser", "crpass")
    from printbench.cwmp import messages as m

    from .conftest import device_id

    statuses = []

    async def cr_inside(req):
        # a Connection Request arriving while the session runs (from the RPC handler)
        statuses.append(await send_connection_request(url, good))
        return m.GetParameterValuesResponse(())

    cpe.register(m.GetParameterValues, cr_inside)
    try:
        acs.enqueue(device_id(), m.GetParameterValues(("Device.DeviceInfo.SerialNumber",)))
        assert await send_connection_request(url, good) == 200
        await fake_time.advance(0, [cpe.idle])
        assert statuses == [200]
        # the running session was not cut: it ended normally, then one more session ran
        assert cpe.failed_sessions == 0
        assert cpe.sessions == 3
        assert [e.event_code for e in cpe.informs[-1].event] == ["6 CONNECTION REQUEST"]
    finally:
        await cpe.stop()
        await server.stop()


async def test_cpe_forget_connection_requests_reopens_the_rate_limit(acs, fake_time) -> None:
    """The bench's hook between scenarios: the limiter forgets, as if the window passed."""
    cpe, server, url = await _cpe_with_server(acs, fake_time, cr_rate_limit=2, cr_rate_window=60)
    good = Credentials("cruser", "crpass")
    try:
        assert [await send_connection_request(url, good) for _ in range(3)] == [200, 200, 503]
        cpe.forget_connection_requests()
        assert await send_connection_request(url, good) == 200
    finally:
        await cpe.stop()
        await server.stop()


async def test_cpe_connreq_digest_without_qop_cannot_be_replayed(acs, fake_time: FakeTime) -> None:
    """Issue 17 item 10: a captured qop-less digest (RFC 2069 style) used to be accepted again
    for the nonce's whole lifetime. TR-069 §3.2.2 requires digest for connection requests;
    RFC 7616 §5.5: without a nonce count, a nonce is good for one request."""
    from printbench.cwmp.digest import DigestClient

    cpe, server, url = await _cpe_with_server(acs, fake_time)
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(url) as resp:
                challenge = resp.headers["WWW-Authenticate"].replace('qop="auth", ', "")
            path = "/" + url.split("/", 3)[3]
            hdr = DigestClient("cruser", "crpass").respond("GET", path, challenge)
            assert "qop" not in hdr
            async with http.get(url, headers={"Authorization": hdr}) as resp:
                assert resp.status == 200
            async with http.get(url, headers={"Authorization": hdr}) as resp:
                assert resp.status == 401  # the replay
    finally:
        await cpe.stop()
        await server.stop()
