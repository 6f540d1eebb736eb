"""CPE ↔ stub ACS over TLS, both ways (issue 15 item 6), on real loopback sockets.

The CPE verifies the ACS's chain and host name (TR-069 §3.3: MUST authenticate the ACS by its
certificate against a trusted root, the URL's host as reference identifier); the ACS can
require a client certificate (mutual TLS) and judges whether it names the CPE. curl and
openssl s_client are the real third-party peers.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess

import pytest

from printbench.cwmp_cpe import Cpe, CpeConfig, FakeTime, MemoryStore
from tests.tr069.conftest import small_tree

from .conftest import OUI, SERIAL

CN = f"{OUI}-{SERIAL}"


def make(url: str, files, *, cert: str = "own", quirks=()) -> Cpe:
    t = FakeTime()
    certs = {
        "own": files.cpe(CN),
        "wrong-subject": files.named("cpe-wrong-subject"),
        "untrusted": files.named(f"cpe-untrusted-{CN}"),
        "none": (None, None),
    }[cert]
    config = CpeConfig(
        ca_file=files.ca, client_cert=certs[0], client_key=certs[1], quirks=frozenset(quirks)
    )
    cpe = Cpe(small_tree(url), config, clock=t, sleep=t.sleep, store=MemoryStore())
    cpe._test_time = t  # type: ignore[attr-defined]
    return cpe


async def one_session(cpe: Cpe) -> None:
    await cpe.start()
    try:
        await cpe._test_time.advance(0, [cpe.idle])  # type: ignore[attr-defined]
    finally:
        await cpe.stop()


def tls_entries(acs):
    return [e for e in acs.journal() if e["kind"] == "tls"]


async def test_mutual_tls_session_and_identity(tls_acs) -> None:
    cpe = make(tls_acs.urls["mutual"], tls_acs.files)
    await one_session(cpe)
    assert cpe.sessions == 1 and cpe.failed_sessions == 0
    [entry] = tls_entries(tls_acs.acs)
    tls = entry["tls"]
    assert tls["listener"] == "mutual"
    assert tls["tls_version"] in ("TLSv1.2", "TLSv1.3")
    assert tls["sni"] == "localhost"  # TR-069 §3.3: SHOULD send the URL's host as SNI
    assert tls["identity_ok"] is True
    assert CN in tls["client_certificate"]["Subject"]
    assert not [v for v in tls_acs.acs.verdicts() if v.rule == "cpe-cert-identity"]


async def test_wrong_subject_is_accepted_but_judged(tls_acs) -> None:
    cpe = make(tls_acs.urls["mutual"], tls_acs.files, cert="wrong-subject")
    await one_session(cpe)
    assert cpe.sessions == 1
    [v] = [v for v in tls_acs.acs.verdicts() if v.rule == "cpe-cert-identity"]
    assert v.severity == "optional" and CN in v.message


@pytest.mark.parametrize("cert", ["untrusted", "none"])
async def test_mutual_listener_refuses_a_bad_client_certificate(tls_acs, cert, caplog) -> None:
    cpe = make(tls_acs.urls["mutual"], tls_acs.files, cert=cert)
    with caplog.at_level(logging.WARNING):
        await one_session(cpe)
    assert cpe.sessions == 0 and cpe.failed_sessions == 1
    assert not tls_entries(tls_acs.acs)
    assert any("TLS" in r.getMessage() for r in caplog.records), caplog.text


@pytest.mark.parametrize("listener", ["wrong-host", "untrusted", "expired"])
async def test_cpe_refuses_a_bad_acs_certificate(tls_acs, listener, caplog) -> None:
    cpe = make(tls_acs.urls[listener], tls_acs.files)
    with caplog.at_level(logging.WARNING):
        await one_session(cpe)
    assert cpe.sessions == 0 and cpe.failed_sessions == 1
    assert len(cpe.queue) > 0  # the events stay queued for the retry (TR-069 §3.2.1.1)
    assert not tls_entries(tls_acs.acs)
    line = next(r.getMessage() for r in caplog.records if "session failed" in r.getMessage())
    assert "TLS: the ACS certificate was rejected" in line
    reason = {
        "wrong-host": "Hostname mismatch",
        "untrusted": "unable to get local issuer",
        "expired": "certificate has expired",
    }[listener]
    assert reason in line


async def test_no_hostname_check_quirk_connects_to_the_wrong_host(tls_acs) -> None:
    # The defect the TLS-004 scenario must catch: chain checked, host name not.
    cpe = make(tls_acs.urls["wrong-host"], tls_acs.files, quirks=("tls-no-hostname-check",))
    await one_session(cpe)
    assert cpe.sessions == 1
    assert tls_entries(tls_acs.acs)[0]["tls"]["listener"] == "wrong-host"


async def _run(*argv: str) -> subprocess.CompletedProcess:
    return await asyncio.to_thread(
        subprocess.run, list(argv), capture_output=True, text=True, timeout=20
    )


async def test_curl_with_and_without_a_client_certificate(tls_acs) -> None:
    files = tls_acs.files
    url = tls_acs.urls["mutual"]
    base = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", str(files.ca)]
    without = await _run(*base, "-X", "POST", "--data", "", url)
    assert without.returncode != 0 and without.stdout in ("", "000")
    cert, key = files.cpe(CN)
    with_cert = await _run(*base, "--cert", str(cert), "--key", str(key), url)
    assert with_cert.returncode == 0 and with_cert.stdout == "405", with_cert  # GET: POST only
    # and curl checks the host name too: the wrong-host listener is refused
    wrong = await _run(*base, tls_acs.urls["wrong-host"])
    assert wrong.returncode == 60, wrong  # CURLE_PEER_FAILED_VERIFICATION


async def test_openssl_s_client_sees_the_chain_and_the_request_for_a_certificate(tls_acs) -> None:
    files = tls_acs.files
    port = tls_acs.urls["mutual"].rsplit(":", 1)[1].strip("/")
    cert, key = files.cpe(CN)
    out = await _run(
        "openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", "localhost",
        "-verify_hostname", "localhost", "-CAfile", str(files.ca), "-cert", str(cert),
        "-key", str(key), "-verify_return_error", "-brief",
    )  # fmt: skip
    text = out.stdout + out.stderr
    assert "Verification: OK" in text, text
    assert "CN=localhost" in text or "CN = localhost" in text, text


async def test_a_closed_https_port_is_not_reported_as_a_tls_failure(tls_acs, caplog) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cpe = make(f"https://localhost:{port}/", tls_acs.files)
    with caplog.at_level(logging.WARNING):
        await one_session(cpe)
    assert cpe.failed_sessions == 1
    line = next(r.getMessage() for r in caplog.records if "session failed" in r.getMessage())
    assert "TLS" not in line and "Connect call failed" in line, line
