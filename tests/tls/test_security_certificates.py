"""Device.Security.Certificate.{i}. lists the client certificate the CPE runtime holds, in the
printer's tree (embedded client) and in a proxied device's tree (same table provider)."""

from __future__ import annotations

import pytest

from printbench.cwmp import messages as m
from printbench.cwmp import params as P
from printbench.cwmp_cpe import FakeTime
from printbench.cwmp_cpe.certificates import install
from printbench.cwmp_proxy.model import ModelConfig, build_model
from printbench.emulator.profiles import build_printer, load_profile
from printbench.emulator.tr069 import view as V

from .conftest import OUI, SERIAL

SEC = "Device.Security."


def values(tree, names) -> dict[str, str]:
    return {p.name: p.value for p in tree.get_parameter_values(names)}


def test_printer_tree_lists_the_client_certificate(pki_files, tmp_path) -> None:
    _, files = pki_files
    t = FakeTime()
    state = build_printer(load_profile("mono-desktop-laser"), seed=1, clock=t, host="127.70.9.1")
    tree, _ = V.printer_tree(state, t)
    assert (
        values(tree, [SEC + "CertificateNumberOfEntries"])[SEC + "CertificateNumberOfEntries"]
        == "0"
    )
    install(tree, [files.cpe(f"{OUI}-{SERIAL}")[0]])
    got = values(tree, [SEC])
    assert got[SEC + "CertificateNumberOfEntries"] == "1"
    c = SEC + "Certificate.1."
    assert f"CN={OUI}-{SERIAL}" in got[c + "Subject"]
    assert got[c + "Issuer"].startswith("CN=printbench test intermediate CA")
    assert got[c + "SignatureAlgorithm"] == "ecdsa-with-SHA256"
    assert got[c + "NotBefore"] < got[c + "NotAfter"]
    assert got[c + "Enable"] == "true"
    # Enable is writable (TR-181 readWrite); the rest is read-only (9008)
    tree.set_parameter_values([m.ParameterValueStruct(c + "Enable", "false")])
    assert values(tree, [c + "Enable"])[c + "Enable"] == "false"
    with pytest.raises(P.ParameterFault) as fault:
        tree.set_parameter_values([m.ParameterValueStruct(c + "Subject", "CN=x")])
    assert fault.value.code == 9003
    assert [f.code for f in fault.value.spv_faults] == [9008]
    # a file that is no certificate is left out, not a traceback
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    install(tree, [bad])
    assert (
        values(tree, [SEC + "CertificateNumberOfEntries"])[SEC + "CertificateNumberOfEntries"]
        == "0"
    )


def test_proxied_device_tree_lists_it_too(pki_files) -> None:
    _, files = pki_files
    model, _ = build_model(ModelConfig(acs_url="http://127.0.0.1:1/"))
    tree = P.ParameterTree(model, object(), strict_xsi_type=False)
    install(tree, [files.cpe(f"{OUI}-{SERIAL}")[0]])
    got = values(tree, [SEC + "Certificate.1.Subject", SEC + "CertificateNumberOfEntries"])
    assert got[SEC + "CertificateNumberOfEntries"] == "1"
    assert f"CN={OUI}-{SERIAL}" in got[SEC + "Certificate.1.Subject"]
