"""The IPP face's own HTTP/1.1 server: framing, keep-alive, limits, timeouts, 1,000+ bad heads.

Raw sockets against the real listener (:func:`start_ipp_listener`), because an HTTP client
library would not send the malformed bytes, and the response framing itself is under test.
Also the attribute cache and the response memo: a change in the state shows in the next poll,
and attributes that read the clock are never frozen.
"""

from __future__ import annotations

import asyncio
import random

from printbench.common.clock import FakeClock
from printbench.emulator.ipp.server import create_ipp_server
from printbench.ipp.codec import Tag, decode, encode

HOST = "127.30.0.11"
ALLOWED = {200, 400, 404, 405, 413, 417, 431, 501, 505}
# answers after which the connection stays usable: the whole request was read
KEEP_ALIVE_REFUSALS = (b"Content-Type must be", b"malformed IPP message", b"404:", b"405:")


def _gpa(uri: str, ipp_request, *names: str, request_id: int = 7) -> bytes:
    names = names or ("printer-state", "printer-state-reasons")
    msg = ipp_request(0x0B, uri, ("requested-attributes", Tag.KEYWORD, list(names)))
    msg.request_id = request_id
    return encode(msg)


def _post(body: bytes, *extra: str, port: int = 0) -> bytes:
    head = [
        "POST /ipp/print HTTP/1.1",
        f"Host: {HOST}:{port}",
        "Content-Type: application/ipp",
        f"Content-Length: {len(body)}",
        *extra,
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def _chunked(body: bytes, *extra: str, sizes: tuple[int, ...] = (5, 17)) -> bytes:
    head = [
        "POST /ipp/print HTTP/1.1",
        f"Host: {HOST}",
        "Content-Type: application/ipp",
        "Transfer-Encoding: chunked",
        *extra,
    ]
    out = ("\r\n".join(head) + "\r\n\r\n").encode()
    pos, i = 0, 0
    while pos < len(body):
        n = sizes[i % len(sizes)]
        part = body[pos : pos + n]
        out += b"%x\r\n" % len(part) + part + b"\r\n"
        pos, i = pos + n, i + 1
    return out + b"0\r\n\r\n"


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    """The next final response. 1xx interim ones are skipped: a client must parse those it did
    not expect (RFC 7231 §6.2), and the server sends 100 Continue whenever it waits for the
    rest of a body announced with Expect: 100-continue."""
    while True:
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *lines = head[:-4].decode("latin-1").split("\r\n")
        version, status, _ = status_line.split(" ", 2)
        assert version == "HTTP/1.1"
        if not status.startswith("1"):
            break
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers["content-length"]))
    return int(status), headers, body


async def _exchange(port: int, data: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    """Send ``data``, half-close, read every response until the server closes."""
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(data)
        await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
        out = []
        while True:
            try:
                out.append(await asyncio.wait_for(_read_response(reader), 10))
            except asyncio.IncompleteReadError as exc:
                assert exc.partial == b"", f"truncated response {exc.partial[:60]!r}"
                return out
    finally:
        writer.close()


async def test_ipp_http_framing_keepalive_pipelining_and_continue(
    ipp_serve, ipp_make_device, ipp_request
) -> None:
    device = ipp_make_device(HOST, seed=11)
    async with ipp_serve({HOST: device}, run_engines=False) as server:
        uri = server.uri(HOST)
        port = server.port
        # pipelined: Content-Length, chunked (as ipptool sends), 100-continue, in one write
        data = (
            _post(_gpa(uri, ipp_request, request_id=1), port=port)
            + _chunked(_gpa(uri, ipp_request, request_id=2))
            + _post(_gpa(uri, ipp_request, request_id=3), "Expect: 100-continue", port=port)
        )
        answers = await _exchange(port, data)
        assert [a[0] for a in answers] == [200, 200, 200]
        assert [decode(a[2]).request_id for a in answers] == [1, 2, 3]
        assert all(decode(a[2]).code == 0 for a in answers)
        assert all(a[1]["content-type"] == "application/ipp" for a in answers)

        # Expect: 100-continue before the body is sent
        reader, writer = await asyncio.open_connection(HOST, port)
        body = _gpa(uri, ipp_request, request_id=4)
        whole = _post(body, "Expect: 100-continue", port=port)
        writer.write(whole[: -len(body)])
        assert await reader.readuntil(b"\r\n\r\n") == b"HTTP/1.1 100 Continue\r\n\r\n"
        writer.write(body)
        status, headers, payload = await _read_response(reader)
        assert (status, decode(payload).request_id) == (200, 4)
        # Connection: close is honoured
        writer.write(_post(body, "Connection: close", port=port))
        status, headers, _ = await _read_response(reader)
        assert status == 200 and headers["connection"] == "close"
        assert await reader.read() == b""
        writer.close()

        # HTTP/1.0 without keep-alive closes too; with it, stays open
        answers = await _exchange(port, _post(body, port=port).replace(b"HTTP/1.1", b"HTTP/1.0"))
        assert [a[0] for a in answers] == [200] and answers[0][1]["connection"] == "close"


async def test_ipp_http_precise_refusals(ipp_serve, ipp_make_device, ipp_request) -> None:
    device = ipp_make_device(HOST, seed=12)
    async with ipp_serve({HOST: device}, run_engines=False) as server:
        port = server.port
        body = _gpa(server.uri(HOST), ipp_request)
        cases = {
            b"GET /ipp/print HTTP/1.1\r\nHost: x\r\n\r\n": 405,
            b"POST /nowhere HTTP/1.1\r\nContent-Length: 0\r\n\r\n": 404,
            b"POST /ipp/print HTTP/2.0\r\n\r\n": 505,
            b"POST /ipp/print HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n": 501,
            b"POST /ipp/print HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n": 400,
            b"POST /ipp/print HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n": 400,
            b"POST /ipp/print HTTP/1.1\r\nContent-Length: -3\r\n\r\n": 400,
            b"POST /ipp/print HTTP/1.1\r\nExpect: 200-ok\r\n\r\n": 417,
            b"POST /ipp/print HTTP/1.1\r\nX: a\r\n b\r\n\r\n": 400,
            b"POST /ipp/print HTTP/1.1\r\nContent-Type: application/ipp\r\nContent-Length: 99999999999\r\n\r\n": 413,
            b"POST /ipp/print HTTP/1.1\r\nX: " + b"a" * 20000 + b"\r\n\r\n": 431,
            b"POST /ipp/print HTTP/1.1\nHost: x\n\n": 400,
            _post(body, port=port).replace(b"application/ipp", b"text/plain"): 400,
            _chunked(body).replace(b"\r\n5\r\n", b"\r\nzz\r\n", 1): 400,
        }
        for data, expected in cases.items():
            answers = await _exchange(port, data)
            assert [a[0] for a in answers] == [expected], (data[:80], answers)


async def test_ipp_http_timeouts_close_idle_and_slow_connections(
    ipp_make_device, ipp_request
) -> None:
    device = ipp_make_device(HOST, seed=13)
    loop = asyncio.get_running_loop()
    factory = create_ipp_server(
        {HOST: device}.get, keepalive_timeout=0.2, head_timeout=0.2, body_timeout=0.2
    )
    server = await loop.create_server(factory, HOST, 0)
    port = server.sockets[0].getsockname()[1]
    try:
        reader, writer = await asyncio.open_connection(HOST, port)
        assert await asyncio.wait_for(reader.read(), 10) == b""  # idle: closed silently
        writer.close()
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.write(b"POST /ipp/print HTTP/1.1\r\nHost: x\r\n")  # a head that never ends
        status, headers, _ = await asyncio.wait_for(_read_response(reader), 10)
        assert status == 408 and headers["connection"] == "close"
        writer.close()
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.write(_post(b"\x02\x00", port=port).replace(b"Length: 2", b"Length: 20"))
        status, _, _ = await asyncio.wait_for(_read_response(reader), 10)
        assert status == 408  # a body that stops coming
        writer.close()
    finally:
        server.close()
        await server.wait_closed()


# -- 1,000+ malformed requests ------------------------------------------------------------------


def _malformed(rng: random.Random, valid: list[bytes]) -> list[bytes]:
    """Mutations of valid requests at the HTTP level, and hand-made bad heads."""
    out: list[bytes] = []
    for _ in range(700):
        data = bytearray(rng.choice(valid))
        head_end = data.find(b"\r\n\r\n") + 4
        kind = rng.randrange(7)
        if kind == 0:  # flip a byte in the head
            i = rng.randrange(head_end)
            data[i] = rng.randrange(256)
        elif kind == 1:  # delete a byte of the head
            del data[rng.randrange(head_end)]
        elif kind == 2:  # insert a control or separator character
            data.insert(rng.randrange(head_end), rng.choice(b"\x00\r\n\t :;\x7f\xff"))
        elif kind == 3:  # truncate anywhere
            del data[rng.randrange(len(data)) :]
        elif kind == 4:  # corrupt the chunk framing or length
            for key in (b"Content-Length: ", b"\r\n\r\n"):
                i = data.find(key)
                if i >= 0:
                    j = i + len(key)
                    data[j : j + 1] = rng.choice([b"-", b"x", b"99999999999", b"", b" ", b"0x"])
                    break
        elif kind == 5:  # duplicate a header line
            lines = bytes(data[:head_end]).split(b"\r\n")
            if len(lines) > 2:
                k = rng.randrange(1, len(lines) - 2)
                lines.insert(k, lines[k])
                data[:head_end] = b"\r\n".join(lines)
        else:  # junk appended after a complete request (pipelined garbage)
            data += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40)))
        out.append(bytes(data))
    for _ in range(150):
        out.append(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))))
    methods = [b"GET", b"PUT", b"P OST", b"post", b"", b"\x00", b"POST\t"]
    targets = [
        b"/",
        b"/ipp/print",
        b"*",
        b"",
        b"http://x/ipp/print",
        b"ftp://x/",
        b"/\x01",
        b"/ipp/print?x=1",
    ]
    versions = [
        b"HTTP/1.1",
        b"HTTP/1.0",
        b"HTTP/0.9",
        b"HTTP/3.0",
        b"http/1.1",
        b"HTTP/1",
        b"",
        b"HTTP/1.1 x",
    ]
    for m in methods:
        for t in targets:
            for v in versions:
                out.append(m + b" " + t + b" " + v + b"\r\nContent-Length: 0\r\n\r\n")
    return out


async def test_ipp_http_malformed_requests_get_precise_answers(
    ipp_serve, ipp_make_device, ipp_request
) -> None:
    device = ipp_make_device(HOST, seed=14)
    async with ipp_serve({HOST: device}, run_engines=False) as server:
        uri, port = server.uri(HOST), server.port
        body = _gpa(uri, ipp_request)
        valid = [
            _post(body, port=port),
            _chunked(body),
            _post(body, "Expect: 100-continue", port=port),
            _post(body, "Connection: close", port=port),
        ]
        cases = _malformed(random.Random(20261125), valid)
        assert len(cases) >= 1000
        seen: dict[int, int] = {}
        failures: list[str] = []

        async def one(n: int, data: bytes) -> None:
            try:
                answers = await _exchange(port, data)
            except (AssertionError, ValueError, KeyError, TimeoutError) as exc:
                failures.append(f"#{n} {data[:60]!r}: {exc!r}")
                return
            for status, headers, payload in answers:
                seen[status] = seen.get(status, 0) + 1
                if status not in ALLOWED:
                    failures.append(f"#{n} {data[:60]!r}: HTTP {status}")
                elif status == 200 and decode(payload).code >= 0x0500:
                    failures.append(f"#{n}: IPP server error")
                elif (
                    status != 200
                    and headers.get("connection") != "close"
                    and not payload.startswith(KEEP_ALIVE_REFUSALS)
                ):  # HTTP errors close; refusals of a completely read request keep the line
                    failures.append(f"#{n}: HTTP {status} {payload[:40]!r} kept the line")

        for start in range(0, len(cases), 16):
            await asyncio.gather(
                *(one(n, d) for n, d in enumerate(cases[start : start + 16], start))
            )
        assert not failures, failures[:10]
        assert seen.get(400, 0) > 100 and seen.get(200, 0) > 50, seen
        # the server still answers normally
        answers = await _exchange(port, _post(body, port=port))
        assert [a[0] for a in answers] == [200] and decode(answers[0][2]).code == 0


# -- cache and memo ---------------------------------------------------------------------------


async def test_ipp_cached_attributes_follow_state_and_clock(
    ipp_serve, ipp_make_device, ipp_request
) -> None:
    device = ipp_make_device(HOST, seed=15)
    clock = FakeClock(monotonic_start=device.state.status.boot_monotonic + 5)
    device.clock = clock
    async with ipp_serve({HOST: device}, run_engines=False) as server:
        uri, port = server.uri(HOST), server.port
        poll = _post(_gpa(uri, ipp_request, "printer-location", "printer-info"), port=port)
        timed = _post(_gpa(uri, ipp_request, "printer-location", "printer-up-time"), port=port)

        async def values(data: bytes) -> dict[str, object]:
            (_, _, payload), *_ = await _exchange(port, data)
            group = decode(payload).group(0x04)
            return {a.name: a.values[0] for a in group.attributes}

        first = await values(poll)
        assert await values(poll) == first  # answered from the memo
        device.state.description.location = "Lab 42, shelf 3"
        assert (await values(poll))["printer-location"] == "Lab 42, shelf 3"
        up1 = (await values(timed))["printer-up-time"]
        clock.advance(30)
        up2 = (await values(timed))["printer-up-time"]
        assert up2 - up1 == 30


async def test_ipp_aiohttp_app_answers_like_the_listener(
    ipp_serve, ipp_make_device, ipp_request
) -> None:
    """create_ipp_app (kept for aiohttp users) shares the request path of the listener."""
    device = ipp_make_device(HOST, seed=16)
    answers = {}
    for aiohttp_app in (False, True):
        async with ipp_serve({HOST: device}, run_engines=False, aiohttp_app=aiohttp_app) as server:
            body = _gpa(server.uri(HOST), ipp_request, "printer-location", "printer-name")
            # one connection, no half-close (aiohttp drops a request on EOF)
            reader, writer = await asyncio.open_connection(HOST, server.port)
            writer.write(_post(body, port=server.port))
            status, _, payload = await _read_response(reader)
            writer.write(_post(body, port=server.port).replace(b"application/ipp", b"text/plain"))
            refused = await _read_response(reader)
            writer.close()
            answers[aiohttp_app] = (status, decode(payload).groups, refused[0])
    assert answers[False] == answers[True]
