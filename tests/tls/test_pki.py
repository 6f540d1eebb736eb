"""The test PKI verifies with a real peer (openssl) and carries what TR-069 needs."""

from __future__ import annotations

import subprocess

from printbench import cli
from printbench.common.pki import describe, load_certificate, subject_identities

from .conftest import OUI, SERIAL


def _verify(ca, cert) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["openssl", "verify", "-CAfile", str(ca), str(cert)], capture_output=True, text=True
    )


def test_chains_verify_with_openssl(pki_files) -> None:
    _, files = pki_files
    cpe_cert, _ = files.cpe(f"{OUI}-{SERIAL}")
    assert _verify(files.ca, files.acs_cert).returncode == 0
    assert _verify(files.ca, cpe_cert).returncode == 0
    # the refused ones are refused by openssl too
    bad = {n: _verify(files.ca, files.named(n)[0]) for n in ("acs-untrusted", "acs-expired")}
    assert bad["acs-untrusted"].returncode != 0
    assert "expired" in bad["acs-expired"].stdout + bad["acs-expired"].stderr


def test_cpe_certificate_names_the_cpe(pki_files) -> None:
    _, files = pki_files
    cert = load_certificate(files.cpe(f"{OUI}-{SERIAL}")[0])
    assert f"{OUI}-{SERIAL}" in subject_identities(cert)
    d = describe(cert)
    assert d["Issuer"].startswith("CN=printbench test intermediate CA,")
    assert d["SignatureAlgorithm"] == "ecdsa-with-SHA256"
    assert d["NotBefore"] < d["NotAfter"]
    assert "localhost" in describe(load_certificate(files.acs_cert))["SubjectAlt"]


def test_pki_command_writes_a_folder(tmp_path, capsys) -> None:
    assert cli.main(["pki", str(tmp_path / "p"), "--cpe", "00a0b1-X1"]) == 0
    cert = tmp_path / "p" / "cpe" / "00A0B1-X1.pem"
    assert _verify(tmp_path / "p" / "ca.pem", cert).returncode == 0
    assert cli.main(["pki", str(tmp_path / "q"), "--cpe", "nohyphen"]) == 2
    assert "OUI-SerialNumber" in capsys.readouterr().err
