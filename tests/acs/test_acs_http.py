"""The ACS's HTTP faces: CPE auth, HTTPS, Connection Request, files, the JSON control API."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import ssl

import aiohttp
import pytest
from aiohttp import web

from printbench.acs_stub.control import AcsControl, ConnectionRequestError
from printbench.acs_stub.httpauth import AuthPolicy
from printbench.acs_stub.server import AcsConfig
from printbench.cwmp import digest, soap
from printbench.cwmp import messages as m


@pytest.fixture
async def acs_basic(tmp_path):
    ctl = await AcsControl.start(
        AcsConfig(
            port=0,
            control_port=0,
            journal_dir=tmp_path,
            auth=AuthPolicy.of("basic", "cpe", "secret"),
        )
    )
    yield ctl
    await ctl.stop()


async def test_basic_auth_global(acs_basic, make_cpe):
    cpe = make_cpe()
    cpe.url = acs_basic.server.cwmp_url
    status, _, _ = await cpe.send(cpe.inform())
    assert status == 401
    status, _, _data = await cpe.post(
        soap.encode(m.Envelope(cpe.inform(), id="1")),
        {"Authorization": digest.basic_authorization("cpe", "wrong")},
    )
    assert status == 401
    cpe.headers["Authorization"] = digest.basic_authorization("cpe", "secret")
    events = await cpe.session()
    assert type(events[-1]).__name__ == "SessionEnded"


async def test_digest_auth_per_device(acs, make_cpe):
    cpe = make_cpe()
    acs.set_device_auth(cpe.device_id, "digest", "dev", "pw")
    body = soap.encode(m.Envelope(cpe.inform(), id="1"))
    status, _, headers = await cpe.post(body)
    assert status == 401 and headers["WWW-Authenticate"].startswith("Digest")
    wrong = digest.DigestClient("dev", "nope").respond("POST", "/", headers["WWW-Authenticate"])
    status, _, headers = await cpe.post(body, {"Authorization": wrong})
    assert status == 401
    good = digest.DigestClient("dev", "pw").respond("POST", "/", headers["WWW-Authenticate"])
    status, data, _ = await cpe.post(body, {"Authorization": good})
    assert status == 200 and b"InformResponse" in data
    status, _, _ = await cpe.post(b"")
    assert status == 204
    other = make_cpe()  # other devices are not affected by this device's setting
    status, _, _ = await other.send(other.inform())
    assert status == 200


def _self_signed(tmp_path):
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "printbench-acs")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = tmp_path / "acs.pem", tmp_path / "acs.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))  # fmt: skip
    return cert_path, key_path


async def test_https_endpoint(tmp_path, make_cpe):
    cert, key = _self_signed(tmp_path)
    async with await AcsControl.start(
        AcsConfig(port=0, control_port=0, ssl_cert=cert, ssl_key=key, journal_dir=tmp_path)
    ) as acs2:
        assert acs2.server.cwmp_url.startswith("https://")
        trust = ssl.create_default_context(cafile=str(cert))
        cpe = make_cpe(ssl=trust)
        cpe.url = acs2.server.cwmp_url
        acs2.enqueue(cpe.device_id, m.GetRPCMethods())
        events = await cpe.session()
        assert type(events[-1]).__name__ == "SessionEnded"
        assert acs2.verdicts() == []


async def test_connection_request_with_digest(acs, make_cpe):
    """A CPE's CR endpoint that demands digest; the ACS answers it and gets the session."""
    cpe = make_cpe()
    challenger = digest.DigestChallenger("cpe-cr", {"acs": "crpw"})
    started = asyncio.Event()
    loop = asyncio.get_running_loop()

    async def cr(request: web.Request) -> web.Response:
        result = challenger.verify(
            "GET", request.path_qs, request.headers.get("Authorization"), loop.time()
        )
        if not result.ok:
            return web.Response(
                status=401, headers={"WWW-Authenticate": challenger.challenge(loop.time())}
            )
        started.set()
        asyncio.get_running_loop().create_task(
            cpe.session(cpe.inform(events=("6 CONNECTION REQUEST",)))
        )
        return web.Response(status=200)

    app = web.Application()
    app.router.add_get("/cr/abc", cr)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        url = f"http://127.0.0.1:{port}/cr/abc"
        await cpe.session(cpe.inform(params=cpe.forced_params(
            **{"Device.ManagementServer.ConnectionRequestURL": url})))  # fmt: skip
        acs.set_connection_request(cpe.device_id, username="acs", password="wrong")
        with pytest.raises(ConnectionRequestError):
            await acs.connection_request(cpe.device_id, timeout=5)
        acs.set_connection_request(cpe.device_id, username="acs", password="crpw")
        sid = await acs.connection_request(cpe.device_id, timeout=5)
        assert started.is_set()
        assert await acs.wait_session_end(sid, 5) == "done"
        assert acs.verdicts() == []
    finally:
        await runner.cleanup()


async def test_file_download_and_upload_with_auth(acs):
    content = b"firmware-image" * 100
    served = acs.add_file("fw.bin", content, auth="digest", username="fs", password="fpw")
    assert served.sha256 == hashlib.sha256(content).hexdigest()
    url = acs.file_url("fw.bin")
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as resp:
            assert resp.status == 401
            challenge = resp.headers["WWW-Authenticate"]
        path = url.split(":", 2)[2].split("/", 1)[1]
        auth = digest.DigestClient("fs", "fpw").respond("GET", "/" + path, challenge)
        async with http.get(url, headers={"Authorization": auth}) as resp:
            assert resp.status == 200
            assert await resp.read() == content
            assert resp.headers["X-Checksum-SHA256"] == served.sha256
        up_url = acs.expect_upload("cfg.xml", auth="basic", username="up", password="upw")
        async with http.put(up_url, data=b"<cfg/>") as resp:
            assert resp.status == 401
        waiter = asyncio.ensure_future(acs.wait_upload("cfg.xml", 5))
        async with http.put(
            up_url,
            data=b"<cfg/>",
            headers={"Authorization": digest.basic_authorization("up", "upw")},
        ) as resp:
            assert resp.status == 201
        upload = await waiter
        assert (
            upload.content == b"<cfg/>" and upload.sha256 == hashlib.sha256(b"<cfg/>").hexdigest()
        )
    assert acs.server.files.get("fw.bin").downloads == 1


async def test_json_control_api(acs, make_cpe):
    cpe = make_cpe()
    base = acs.server.control_url
    async with aiohttp.ClientSession() as http:
        call = asyncio.ensure_future(http.post(f"{base}/api/devices/{cpe.device_id}/rpc", json={
            "method": "GetParameterValues", "args": {"parameter_names": ["Device.DeviceInfo."]},
            "timeout": 10}))  # fmt: skip
        while not len(acs.server.registry):
            await asyncio.sleep(0.01)
        await cpe.session()
        resp = await call
        data = await resp.json()
        assert resp.status == 200
        assert data["response"]["method"] == "GetParameterValuesResponse"
        names = {p["name"] for p in data["response"]["parameter_list"]}
        assert "Device.DeviceInfo.HardwareVersion" in names
        async with http.post(f"{base}/api/devices/{cpe.device_id}/rpc",
                             json={"method": "Bogus"}) as resp:  # fmt: skip
            assert resp.status == 400 and "unknown CPE method" in (await resp.json())["error"]
        async with http.post(f"{base}/api/devices/{cpe.device_id}/rpc",
                             json={"method": "SetParameterValues",
                                   "args": {"parameter_list": [{"name": "A", "valu": "1"}]}}) as resp:  # fmt: skip
            assert resp.status == 400 and "valu" in (await resp.json())["error"]
        async with http.get(f"{base}/api/devices") as resp:
            assert [d["id"] for d in await resp.json()] == [cpe.device_id]
        async with http.get(f"{base}/api/journal", params={"device": cpe.device_id}) as resp:
            journal = [e for e in await resp.json() if e["kind"] == "http"]
            assert journal[0]["method"] == "Inform"
        async with http.get(f"{base}/api/verdicts") as resp:
            assert await resp.json() == []
        async with http.get(f"{base}/api/sessions") as resp:
            sessions = await resp.json()
        async with http.get(base + sessions[0]["html"]) as resp:
            page = await resp.text()
            assert resp.status == 200 and "GetParameterValuesResponse" in page
            assert "&lt;cwmp:Inform&gt;" in page
        async with http.get(f"{base}/api/rules") as resp:
            assert len(await resp.json()) >= 25
        async with http.post(f"{base}/api/devices/{cpe.device_id}/rpc", data=b"not json") as resp:
            assert resp.status == 400


async def test_journal_file_is_json_lines(acs, make_cpe):
    import json

    cpe = make_cpe()
    await cpe.session()
    lines = acs.server.journal.path.read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["ref"] for r in records] == list(range(1, len(records) + 1))
    assert {r["direction"] for r in records} >= {"cpe->acs", "acs->cpe"}


async def test_printbench_acs_command_prints_urls_then_ready(tmp_path):
    import sys

    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "printbench.cli", "acs", "--port", "0", "--journal-dir", str(tmp_path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        lines = []
        while not lines or lines[-1] != "ready":
            line = await asyncio.wait_for(proc.stdout.readline(), 20)
            assert line, (lines, await proc.stderr.read())
            lines.append(line.decode().strip())
        urls = dict(line.split(" ", 1) for line in lines[:-1])
        assert urls["cwmp"].startswith("http://127.0.0.1:")
        async with aiohttp.ClientSession() as http:
            async with http.get(urls["control"]) as resp:
                assert (await resp.json())["cwmp_url"] == urls["cwmp"]
            async with http.post(urls["cwmp"], data=b"") as resp:
                assert resp.status == 400  # an empty POST outside a session
    finally:
        proc.terminate()
        await proc.wait()
