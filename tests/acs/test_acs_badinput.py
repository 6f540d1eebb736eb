"""Bad input never crashes the stub ACS, never gets a 500, and never disturbs other CPEs."""

from __future__ import annotations

import asyncio
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from printbench.acs_stub.control import AcsControl
from printbench.acs_stub.server import MAX_BODY, AcsConfig
from printbench.cwmp import messages as m
from printbench.cwmp import soap

FIXTURE = Path(__file__).parent / "data" / "inform-curl.xml"
ALLOWED = {200, 204, 400, 401, 405, 408, 413}


def internal_errors(acs) -> list[dict]:
    return [e for e in acs.journal() if e["note"] == "internal error"]


@pytest.mark.parametrize(
    "body",
    [
        b"<not-xml",
        b"<?xml version='1.0'?><a/>",
        b'{"json": true}',
        b"\x00\xff\xfe garbage",
        b'<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
        b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        b'<cwmp:Inform xmlns:cwmp="urn:dslforum-org:cwmp-1-2"/></soap:Body></soap:Envelope>',
    ],
)
async def test_malformed_body_outside_a_session(acs, make_cpe, body):
    cpe = make_cpe()
    status, data, _headers = await cpe.post(body, {"Content-Type": "application/json"})
    assert status == 400
    env = soap.decode(data)
    assert isinstance(env.body, m.Fault) and env.body.fault_code in (8002, 8003, 8004, 8000)
    assert internal_errors(acs) == []


async def test_malformed_body_inside_a_session_gets_a_fault(acs, make_cpe):
    cpe = make_cpe()
    await cpe.send(cpe.inform())
    status, data, _ = await cpe.post(
        b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        b'<cwmp:FooBar xmlns:cwmp="urn:dslforum-org:cwmp-1-2"/></soap:Body></soap:Envelope>'
    )
    assert status == 200
    assert soap.decode(data).body.fault_code == 8000  # unknown method: Method not supported
    status, _, _ = await cpe.send(None)
    assert status == 204


async def test_wrong_http_method_and_huge_body(acs, make_cpe):
    cpe = make_cpe()
    async with cpe.http.get(cpe.url) as resp:
        assert resp.status == 405
    # over the endpoint's cap (32 MiB: whole-tree GetParameterValuesResponses are megabytes)
    status, _, _ = await cpe.post(b"<" + b"a" * MAX_BODY + b"/>")
    assert status == 413


async def test_slow_client_does_not_block_others(tmp_path, make_cpe):
    async with await AcsControl.start(
        AcsConfig(port=0, control_port=0, read_timeout=0.5, journal_dir=tmp_path)
    ) as acs2:
        host, port = acs2.server.cwmp_url.split("//")[1].rstrip("/").split(":")
        slow_headers_only = await asyncio.open_connection(host, int(port))
        slow_headers_only[1].write(b"POST / HTTP/1.1\r\nHost: x\r\n")  # headers never end
        slow_body = await asyncio.open_connection(host, int(port))
        slow_body[1].write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n<soap")
        await slow_body[1].drain()
        cpe = make_cpe()
        cpe.url = acs2.server.cwmp_url
        acs2.enqueue(cpe.device_id, m.GetRPCMethods())
        events = await cpe.session()  # completes while both slow clients hang
        assert type(events[-1]).__name__ == "SessionEnded"
        reply = await asyncio.wait_for(slow_body[0].read(12), 10)  # cut off by the read timeout
        assert reply.startswith(b"HTTP/1.1 408")
        for _, writer in (slow_headers_only, slow_body):
            writer.close()


def _mutations(seed_docs: list[bytes], count: int, seed: int = 69) -> list[bytes]:
    rng = random.Random(seed)
    tokens = [b"<", b">", b"</", b"&", b"&amp;", b'"', b"\x00", b"\xff", b"]]>", b"<!--",
              b"<cwmp:ID>", b"<Event>", b"xsi:type=\"xsd:int\"", b"9" * 30, b"-1", b"true"]  # fmt: skip
    out = []
    for i in range(count):
        doc = bytearray(rng.choice(seed_docs))
        for _ in range(rng.randint(1, 4)):
            op = rng.randrange(6)
            pos = rng.randrange(len(doc))
            if op == 0:
                doc[pos] = rng.randrange(256)
            elif op == 1:
                del doc[pos : pos + rng.randint(1, 40)]
            elif op == 2:
                doc[pos:pos] = rng.choice(tokens)
            elif op == 3:
                doc = doc[:pos]
            elif op == 4:
                end = min(len(doc), pos + rng.randint(1, 200))
                doc[pos:pos] = doc[pos:end]
            else:
                doc = doc.replace(b"cwmp-1-2", rng.choice([b"cwmp-1-9", b"cwmp-1-0", b""]), 1)
        out.append(bytes(doc) if i % 50 else b"")
    return out


async def test_thousand_mutated_envelopes(acs, make_cpe):
    base = make_cpe("MUTANT")
    seeds = [
        soap.encode(m.Envelope(base.inform(), id="1")),
        soap.encode(m.Envelope(m.TransferComplete("k"), id="2")),
        soap.encode(
            m.Envelope(
                m.GetParameterValuesResponse((m.ParameterValueStruct("Device.A", "1", "xsd:int"),)),
                id="3",
            )
        ),
        FIXTURE.read_bytes(),
    ]
    bodies = _mutations(seeds, 1000)
    good = make_cpe()
    acs.enqueue(good.device_id, m.GetParameterValues(("Device.DeviceInfo.",)))

    async def fuzz():
        statuses = []
        for i, body in enumerate(bodies):
            cpe = base if i % 2 else make_cpe(f"M{i % 7}")
            status, _, _ = await cpe.post(body)
            statuses.append(status)
        return statuses

    statuses, events = await asyncio.gather(fuzz(), good.session())
    assert len(statuses) == 1000
    assert set(statuses) <= ALLOWED, sorted(set(statuses))
    assert type(events[-1]).__name__ == "SessionEnded"
    assert internal_errors(acs) == []
    assert [v for v in acs.verdicts(device=good.device_id)] == []


@pytest.mark.interop
@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
async def test_curl_posts_a_handwritten_inform(acs, tmp_path):
    """An independent HTTP client (curl) with a hand-written cwmp-1-0 Inform."""
    jar = tmp_path / "cookies"
    url = acs.server.cwmp_url

    def curl(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["curl", "-sS", "-b", str(jar), "-c", str(jar), "-w", "\n%{http_code}", *args, url],
            capture_output=True, timeout=20, check=True,
        )  # fmt: skip

    out = await asyncio.to_thread(
        curl,
        "-H",
        "Content-Type: text/xml; charset=utf-8",
        "-H",
        'SOAPAction: ""',  # TR-069 §3.4.1 / SOAP 1.1 §6.1.1 on a request
        "--data-binary",
        f"@{FIXTURE}",
    )
    body, _, code = out.stdout.rpartition(b"\n")
    assert code == b"200"
    env = soap.decode(body)
    assert env.method == "InformResponse" and env.id == "curl-1"
    assert env.namespace == "urn:dslforum-org:cwmp-1-0"
    assert "session" in jar.read_text()
    out = await asyncio.to_thread(curl, "-X", "POST", "-H", "Content-Length: 0")
    assert out.stdout.rpartition(b"\n")[2] == b"204"
    assert acs.verdicts() == []
    assert acs.device("00CAFE-CurlPrinter-CURL0001").events_seen == [
        ("0 BOOTSTRAP", ""),
        ("1 BOOT", ""),
    ]


@pytest.mark.parametrize(
    "body", [b"\x1f\x8bgarbage", b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage"]
)
async def test_corrupt_gzip_body_gets_400_and_one_log_line(acs, make_cpe, body, caplog):
    """Issue 17 item 4: ``Content-Encoding: gzip`` with a body that does not inflate made
    ``request.read()`` raise aiohttp's payload error: a 500 and a traceback. RFC 9110 §8.4.1
    (a content coding the server cannot decode) and §15.5.1: the client's fault, 400."""
    caplog.set_level("INFO")
    cpe = make_cpe()
    status, data, _ = await cpe.post(body, {"Content-Type": "text/xml", "Content-Encoding": "gzip"})
    assert status == 400, data
    assert internal_errors(acs) == []
    assert any("content" in (e.get("note") or "") for e in acs.journal())
    assert not [r for r in caplog.records if r.exc_info or r.levelname == "ERROR"]
    lines = [r for r in caplog.records if r.levelno >= 20 and r.name.startswith(("aiohttp", "printbench.acs_stub"))]
    assert len(lines) == 1, [r.getMessage() for r in lines]
    # and the ACS still serves this CPE
    status, _, _ = await cpe.send(cpe.inform())
    assert status == 200


async def test_a_header_byte_that_is_not_utf8_is_journalled_not_an_internal_error(acs, caplog):
    """Issue 17 fuzzing (tests/fuzz): a Content-Type with a Latin-1 byte (0xEF) reached the
    journal as a lone surrogate (aiohttp decodes header bytes with surrogateescape), its
    UTF-8 file write raised UnicodeEncodeError, and the Inform got "request could not be
    processed" with a traceback in the log. The journal now writes such a line escaped."""
    from urllib.parse import urlsplit

    url = urlsplit(acs.server.cwmp_url)
    body = FIXTURE.read_bytes()
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: \xefext/xml\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(body) + body)  # fmt: skip
    answer = await asyncio.wait_for(reader.read(65536), 10)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert b"InformResponse" in answer
    assert internal_errors(acs) == []
    assert [r for r in caplog.records if r.exc_info] == []
    path = acs.server.journal.path
    assert path is not None and "\\udcef" in path.read_text(encoding="utf-8")
