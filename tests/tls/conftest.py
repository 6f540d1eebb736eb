"""A test PKI on disk and a stub ACS with HTTPS listeners (normal, mutual, wrong certificate).

The ACS listens on 127.0.0.1 (the loopback host name ``localhost`` resolves to it, so the
CPE checks a real DNS name against the certificate); ports are ephemeral.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from printbench.acs_stub.control import AcsControl
from printbench.acs_stub.server import AcsConfig
from printbench.acs_stub.tls import server_context
from printbench.common.pki import PkiFiles, TestPki, build_pki, write_pki

OUI = "0011AA"  # tests/tr069/conftest.small_model's CPE
SERIAL = "SN0001"


@dataclass
class TlsAcs:
    acs: AcsControl
    pki: TestPki
    files: PkiFiles
    urls: dict[str, str]


@pytest.fixture
def pki_files(tmp_path: Path) -> tuple[TestPki, PkiFiles]:
    pki = build_pki()
    pki.add_cpe(OUI, SERIAL, product_class="Printer")
    return pki, write_pki(pki, tmp_path / "pki")


@pytest.fixture
async def tls_acs(pki_files) -> AsyncIterator[TlsAcs]:
    pki, files = pki_files
    acs = await AcsControl.start(
        AcsConfig(host="127.0.0.1", port=0, control_port=0, journal_file=False)
    )
    urls = {}
    wrong = files.named("acs-wrong-host")
    untrusted = files.named("acs-untrusted")
    expired = files.named("acs-expired")
    for name, ctx in (
        ("server", server_context(files.acs_cert, files.acs_key, client_ca=files.ca)),
        (
            "mutual",
            server_context(files.acs_cert, files.acs_key, client_ca=files.ca, require_client=True),
        ),
        ("wrong-host", server_context(*wrong, client_ca=files.ca)),
        ("untrusted", server_context(*untrusted, client_ca=files.ca)),
        ("expired", server_context(*expired, client_ca=files.ca)),
    ):
        port = await acs.server.add_tls_listener(name, ctx)
        urls[name] = f"https://localhost:{port}/"
    try:
        yield TlsAcs(acs, pki, files, urls)
    finally:
        await acs.stop()
