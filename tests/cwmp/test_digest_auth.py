"""HTTP digest/basic auth: RFC test vectors, challenger <-> client, expiry, replay, aiohttp interop."""

from __future__ import annotations

import itertools

import aiohttp
import pytest
from aiohttp import web

from printbench.cwmp.digest import (
    AuthError,
    DigestChallenger,
    DigestClient,
    basic_authorization,
    basic_challenge,
    check_basic,
    digest_response,
    parse_basic,
    parse_challenges,
)

USERS = {"Mufasa": "Circle of Life", "cpe": 's3cr"et'}


def counter_nonces(prefix="n"):
    c = itertools.count(1)
    return lambda: f"{prefix}{next(c)}"


# -- published test vectors ---------------------------------------------------------------------


def test_rfc2617_section_3_5_vector():
    r = digest_response(
        algorithm="MD5",
        username="Mufasa",
        realm="testrealm@host.com",
        password="Circle Of Life",
        method="GET",
        uri="/dir/index.html",
        nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",
        cnonce="0a4f113b",
        nc="00000001",
        qop="auth",
    )
    assert r == "6629fae49393a05397450978507c4ef1"


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ],
)
def test_rfc7616_section_3_9_1_vectors(algorithm, expected):
    kw = dict(
        username="Mufasa",
        realm="http-auth@example.org",
        password="Circle of Life",
        method="GET",
        uri="/dir/index.html",
        nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
        cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
        nc="00000001",
        qop="auth",
    )
    assert digest_response(algorithm=algorithm, **kw) == expected
    # our client produces the same header fields from the RFC's challenge
    client = DigestClient("Mufasa", "Circle of Life", cnonce_factory=lambda: kw["cnonce"])
    header = client.respond(
        "GET",
        "/dir/index.html",
        f'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm={algorithm}, '
        f'nonce="{kw["nonce"]}", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
    )
    p = parse_challenges(header)[0].params
    assert p["response"] == expected and p["nc"] == "00000001" and p["qop"] == "auth"
    assert p["opaque"] == "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"


def test_rfc2069_form_without_qop():
    # RFC 2069 example (Mufasa, "CircleOfLife"), response from the RFC 2069 errata-corrected text
    r = digest_response(
        algorithm="MD5",
        username="Mufasa",
        realm="testrealm@host.com",
        password="CircleOfLife",
        method="GET",
        uri="/dir/index.html",
        nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",
    )
    assert r == "1949323746fe6a43ef61f9606e7febea"


# -- challenger <-> client ----------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["MD5", "MD5-sess", "SHA-256", "SHA-256-sess"])
@pytest.mark.parametrize("qop", [("auth",), ("auth-int",), ()])
def test_roundtrip(algorithm, qop):
    ch = DigestChallenger(
        "cwmp", USERS, algorithm=algorithm, qop=qop, nonce_factory=counter_nonces()
    )
    client = DigestClient("cpe", USERS["cpe"])
    hdr = client.respond("POST", "/acs", ch.challenge(now=0.0), body=b"<x/>")
    first = ch.verify("POST", "/acs", hdr, now=1.0, body=b"<x/>")
    assert first.ok, first.reason
    res = ch.verify(
        "POST", "/acs", client.authorization("POST", "/acs", b"<x/>"), now=2.0, body=b"<x/>"
    )
    if not qop:  # no nonce count: a qop-less digest uses its nonce once (issue 17)
        assert res.stale and not res.ok
        hdr = client.respond("POST", "/acs", ch.challenge(now=2.0, stale=True), body=b"<x/>")
        res = ch.verify("POST", "/acs", hdr, now=2.0, body=b"<x/>")
    assert res.ok, res.reason
    assert res.username == "cpe"


def test_wrong_password_and_unknown_user():
    ch = DigestChallenger("cwmp", USERS, nonce_factory=counter_nonces())
    hdr = DigestClient("cpe", "wrong").respond("GET", "/", ch.challenge(0))
    res = ch.verify("GET", "/", hdr, 1)
    assert not res.ok and not res.stale and "wrong response" in res.reason
    hdr = DigestClient("nobody", "x").respond("GET", "/", ch.challenge(0))
    res = ch.verify("GET", "/", hdr, 1)
    assert not res.ok and "unknown user" in res.reason


def test_nonce_expiry_gives_stale_with_fake_clock():
    ch = DigestChallenger("cwmp", USERS, nonce_lifetime=30, nonce_factory=counter_nonces())
    client = DigestClient("cpe", USERS["cpe"])
    client.accept(ch.challenge(now=100.0))
    assert ch.verify("GET", "/cr", client.authorization("GET", "/cr"), now=129.0).ok
    late = ch.verify("GET", "/cr", client.authorization("GET", "/cr"), now=131.0)
    assert not late.ok and late.stale
    again = ch.challenge(now=131.0, stale=True)
    assert "stale=true" in again
    assert ch.verify("GET", "/cr", client.respond("GET", "/cr", again), now=132.0).ok


def test_unknown_nonce_with_good_credentials_is_stale():
    ch = DigestChallenger("cwmp", USERS, nonce_factory=counter_nonces())
    restarted = DigestChallenger("cwmp", USERS, nonce_factory=counter_nonces("m"), opaque=ch.opaque)
    hdr = DigestClient("cpe", USERS["cpe"]).respond("GET", "/", ch.challenge(0))
    assert restarted.verify("GET", "/", hdr, 1).stale


def test_nonce_count_replay_is_refused():
    ch = DigestChallenger("cwmp", USERS, nonce_factory=counter_nonces())
    client = DigestClient("cpe", USERS["cpe"])
    client.accept(ch.challenge(0))
    first = client.authorization("GET", "/")
    second = client.authorization("GET", "/")
    assert ch.verify("GET", "/", first, 1).ok
    assert ch.verify("GET", "/", second, 1).ok
    replay = ch.verify("GET", "/", first, 2)
    assert not replay.ok and "replayed" in replay.reason


def test_forget_nonce_per_connection():
    ch = DigestChallenger("cwmp", USERS, nonce_factory=counter_nonces())
    client = DigestClient("cpe", USERS["cpe"])
    accepted = client.accept(ch.challenge(0))
    ch.forget(accepted.params["nonce"])
    assert ch.verify("GET", "/", client.authorization("GET", "/"), 1).stale


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda h: h.replace('uri="/acs"', 'uri="/other"'), "uri"),
        (lambda h: h.replace('realm="cwmp"', 'realm="x"'), "realm"),
        (lambda h: h.replace("qop=auth", "qop=auth-int"), "qop"),
        (lambda h: h.replace('username="cpe", ', ""), "username"),
        (lambda h: h.replace("algorithm=MD5", "algorithm=SHA-256"), "algorithm"),
        (lambda h: h.replace("nc=00000001", "nc=zz"), "hexadecimal"),
        (lambda h: "Basic abc", "not Digest"),
        (lambda h: 'Digest realm="unterminated', "unterminated"),
    ],
)
def test_bad_authorization_headers(mutate, reason):
    ch = DigestChallenger("cwmp", USERS, nonce_factory=counter_nonces())
    hdr = DigestClient("cpe", USERS["cpe"]).respond("POST", "/acs", ch.challenge(0))
    res = ch.verify("POST", "/acs", mutate(hdr), 1)
    assert not res.ok and reason in res.reason


def test_absolute_uri_in_authorization_matches_path():
    ch = DigestChallenger("cwmp", USERS, nonce_factory=counter_nonces())
    hdr = DigestClient("cpe", USERS["cpe"]).respond(
        "GET", "http://127.1.0.1:7547/cr?x=1", ch.challenge(0)
    )
    assert ch.verify("GET", "/cr?x=1", hdr, 1).ok


def test_no_qop_refused_when_required():
    ch = DigestChallenger("cwmp", USERS, nonce_factory=counter_nonces(), allow_no_qop=False)
    challenge = ch.challenge(0).replace('qop="auth", ', "")
    hdr = DigestClient("cpe", USERS["cpe"]).respond("GET", "/", challenge)
    res = ch.verify("GET", "/", hdr, 1)
    assert not res.ok and "qop is required" in res.reason


def test_client_refuses_what_it_cannot_answer():
    c = DigestClient("u", "p")
    with pytest.raises(AuthError, match="unsupported digest algorithm"):
        c.accept('Digest realm="r", nonce="n", algorithm=SHA-512-256')
    with pytest.raises(AuthError, match="no usable"):
        c.accept('Basic realm="r"')
    with pytest.raises(AuthError):
        c.authorization("GET", "/")
    # picks the Digest challenge among several
    ch = c.accept('Basic realm="r", Digest realm="d", nonce="n", qop="auth"')
    assert ch.params["realm"] == "d"


def test_challenge_header_syntax():
    ch = DigestChallenger('we "quote"', USERS, nonce_factory=lambda: "abc", opaque="op")
    h = ch.challenge(0)
    parsed = parse_challenges(h)[0]
    assert parsed.scheme == "Digest"
    assert parsed.params["nonce"].startswith("abc.")  # the factory's part, then time and MAC
    assert dict(parsed.params) == {
        "realm": 'we "quote"',
        "qop": "auth",
        "algorithm": "MD5",
        "nonce": parsed.params["nonce"],
        "opaque": "op",
    }


# -- Basic ---------------------------------------------------------------------------------------


def test_basic_both_ways():
    hdr = basic_authorization("cpe", "pa:ss")
    assert parse_basic(hdr) == ("cpe", "pa:ss")
    assert check_basic(hdr, {"cpe": "pa:ss"}) == "cpe"
    assert check_basic(hdr, {"cpe": "other"}) is None
    assert check_basic(basic_authorization("x", "y"), lambda u: None) is None
    assert parse_basic("Basic !!!") is None and parse_basic("Digest x=1") is None
    assert parse_basic(None) is None
    assert parse_challenges(basic_challenge("cwmp"))[0].params["realm"] == "cwmp"
    assert parse_challenges(hdr)[0].token68 == hdr.split(" ", 1)[1]


# -- interop with aiohttp's own DigestAuthMiddleware (an independent client) --------------------


class Clock:
    now = 1000.0


async def _serve(challenger: DigestChallenger, clock: Clock):
    async def handler(request: web.Request) -> web.Response:
        body = await request.read()
        res = challenger.verify(
            request.method, request.path_qs, request.headers.get("Authorization"), clock.now, body
        )
        if not res.ok:
            return web.Response(
                status=401,
                headers={"WWW-Authenticate": challenger.challenge(clock.now, stale=res.stale)},
                text=res.reason,
            )
        return web.Response(text=f"hello {res.username}")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{port}"


@pytest.mark.interop
@pytest.mark.parametrize(
    ("algorithm", "qop"),
    [("MD5", ("auth",)), ("MD5-sess", ("auth",)), ("SHA-256", ("auth", "auth-int")), ("MD5", ())],
)
async def test_aiohttp_digest_middleware_against_our_challenger(algorithm, qop):
    clock = Clock()
    challenger = DigestChallenger("printbench", USERS, algorithm=algorithm, qop=qop)
    runner, base = await _serve(challenger, clock)
    try:
        mw = aiohttp.DigestAuthMiddleware("cpe", USERS["cpe"], preemptive=True)
        async with aiohttp.ClientSession(middlewares=(mw,)) as s:
            for i in range(3):  # first: 401 then retry; then preemptive with growing nc
                async with s.post(f"{base}/acs?n={i}", data=b"<Inform/>") as r:
                    assert r.status == 200, await r.text()
                    assert await r.text() == "hello cpe"
        bad = aiohttp.DigestAuthMiddleware("cpe", "wrong")
        async with aiohttp.ClientSession(middlewares=(bad,)) as s, s.get(f"{base}/acs") as r:
            assert r.status == 401
            assert "wrong response" in await r.text()
    finally:
        await runner.cleanup()


@pytest.mark.interop
async def test_our_client_against_our_challenger_over_http():
    clock = Clock()
    challenger = DigestChallenger("printbench", USERS, nonce_lifetime=60)
    runner, base = await _serve(challenger, clock)
    try:
        client = DigestClient("cpe", USERS["cpe"])
        async with aiohttp.ClientSession() as s:
            async with s.get(f"{base}/cr") as r:
                assert r.status == 401
                client.accept(r.headers["WWW-Authenticate"])
            async with s.get(
                f"{base}/cr", headers={"Authorization": client.authorization("GET", "/cr")}
            ) as r:
                assert r.status == 200
            clock.now += 61
            async with s.get(
                f"{base}/cr", headers={"Authorization": client.authorization("GET", "/cr")}
            ) as r:
                assert r.status == 401
                assert "stale=true" in r.headers["WWW-Authenticate"]
                client.accept(r.headers["WWW-Authenticate"])
            async with s.get(
                f"{base}/cr", headers={"Authorization": client.authorization("GET", "/cr")}
            ) as r:
                assert r.status == 200
    finally:
        await runner.cleanup()


# -- issue 17 item 10: no nonce table to flush, no replay without qop -----------------------------


def test_unauthenticated_challenges_cannot_push_a_valid_nonce_out():
    """~10,000 unauthenticated GETs used to evict a nonce from the 10,000-entry table (then
    401 stale=true). Nonces are HMAC-signed with their issue time: nothing to flush."""
    ch = DigestChallenger("cwmp", USERS)
    client = DigestClient("cpe", USERS["cpe"])
    client.accept(ch.challenge(0))
    for i in range(ch.max_nonces + 50):  # a flood of requests without credentials
        ch.challenge(i / 10_000)
    res = ch.verify("GET", "/cr", client.authorization("GET", "/cr"), 2)
    assert res.ok, res.reason


def test_forged_or_expired_signed_nonce_is_stale():
    ch = DigestChallenger("cwmp", USERS, nonce_lifetime=30)
    challenge = ch.challenge(0)
    nonce = parse_challenges(challenge)[0].params["nonce"]
    forged = nonce[:-1] + ("A" if nonce[-1] != "A" else "B")
    hdr = DigestClient("cpe", USERS["cpe"]).respond("GET", "/", challenge.replace(nonce, forged))
    assert ch.verify("GET", "/", hdr, 1).stale
    hdr = DigestClient("cpe", USERS["cpe"]).respond("GET", "/", ch.challenge(0))
    assert ch.verify("GET", "/", hdr, 31).stale


def test_digest_without_qop_cannot_be_replayed():
    """Without qop there is no nonce count (RFC 7616 §3.4, RFC 2617 §3.2.2), so the same
    Authorization could be sent again and again; RFC 2617 §4.5 / RFC 7616 §5.5: a server
    may allow a nonce to be used once. A qop-less digest uses its nonce once."""
    ch = DigestChallenger("cwmp", USERS)
    challenge = ch.challenge(0).replace('qop="auth", ', "")
    hdr = DigestClient("cpe", USERS["cpe"]).respond("GET", "/cr", challenge)
    assert "qop" not in hdr
    assert ch.verify("GET", "/cr", hdr, 1).ok
    replay = ch.verify("GET", "/cr", hdr, 2)
    assert not replay.ok and "replay" in replay.reason


def test_tracked_nonces_are_bounded_and_evicted_ones_go_stale():
    ch = DigestChallenger("cwmp", USERS, max_nonces=3)
    clients = []
    for i in range(5):
        c = DigestClient("cpe", USERS["cpe"])
        c.accept(ch.challenge(i))
        assert ch.verify("GET", "/", c.authorization("GET", "/"), i).ok
        clients.append(c)
    assert ch.tracked_nonces() <= 3
    # the oldest, no longer tracked, cannot be replayed: it is stale, not accepted
    assert ch.verify("GET", "/", clients[0].authorization("GET", "/"), 6).stale
    assert ch.verify("GET", "/", clients[4].authorization("GET", "/"), 6).ok
