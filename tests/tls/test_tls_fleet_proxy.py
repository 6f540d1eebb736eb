"""Per-printer client certificates from one test PKI folder: a fleet and a proxy, each device
informing the stub ACS over mutual TLS with a certificate that names it."""

from __future__ import annotations

from printbench.acs_stub.control import AcsControl
from printbench.acs_stub.server import AcsConfig
from printbench.acs_stub.tls import server_context
from printbench.common.pki import ensure_pki
from printbench.cwmp_cpe import FakeTime
from printbench.emulator.fleet.fleet import Fleet, FleetConfig
from printbench.emulator.fleet.plan import Layout, parse_mix
from printbench.emulator.profiles import list_profiles


async def _mutual_acs(pki_dir):
    files = ensure_pki(pki_dir)
    acs = await AcsControl.start(
        AcsConfig(host="127.0.0.1", port=0, control_port=0, journal_file=False)
    )
    ctx = server_context(files.acs_cert, files.acs_key, client_ca=files.ca, require_client=True)
    port = await acs.server.add_tls_listener("mutual", ctx)
    return acs, f"https://localhost:{port}/"


async def test_fleet_printers_each_present_their_own_certificate(tmp_path) -> None:
    acs, url = await _mutual_acs(tmp_path / "pki")
    t = FakeTime()
    cfg = FleetConfig(
        count=3, layout=Layout("127.100.31.1"), mix=parse_mix("all", list_profiles()),
        acs_url=url, listen="per-address", faces=("cwmp",), periodic_interval=86400,
        pki_dir=tmp_path / "pki",
    )  # fmt: skip
    fleet = Fleet(cfg, clock=t)
    try:
        await fleet.start()
        await t.advance(0, [d.cpe.idle for d in fleet.devices])
        assert [d.cpe.sessions for d in fleet.devices] == [1, 1, 1]
        tls = [e["tls"] for e in acs.journal() if e["kind"] == "tls"]
        subjects = {x["client_certificate"]["Subject"] for x in tls}
        assert len(tls) == 3 and len(subjects) == 3  # one certificate per printer
        assert all(x["identity_ok"] for x in tls), tls
        assert not [v for v in acs.verdicts() if v.rule == "cpe-cert-identity"]
    finally:
        await fleet.stop(persist=False)
        await acs.stop()


async def test_proxy_devices_each_present_their_own_certificate(tmp_path) -> None:
    from printbench.cwmp_proxy.proxy import Proxy, ProxyConfig
    from printbench.emulator.device import Ports, VirtualPrinter
    from tests.proxy.conftest import entry_for

    acs, url = await _mutual_acs(tmp_path / "pki")
    printer = VirtualPrinter("color-laser-mfp", host="127.100.32.1", ports=Ports.ephemeral())
    await printer.start(faces=("snmp", "ipp", "ews"), drive=False)
    t = FakeTime()
    config = ProxyConfig(
        acs_url=url, cr_port=0, timeout=0.5, retries=0, serial_number="px-tls",
        pki_dir=tmp_path / "pki",
    )  # fmt: skip
    proxy = Proxy(config, [entry_for(printer)], clock=t, sleep=t.sleep)
    try:
        await proxy.start()
        cpes = [proxy.cpe, *(d.cpe for d in proxy.devices.values())]
        await t.advance(0, [c.idle for c in cpes])
        assert [c.sessions for c in cpes] == [1, 1]
        tls = [e["tls"] for e in acs.journal() if e["kind"] == "tls"]
        assert len(tls) == 2 and all(x["identity_ok"] for x in tls), tls
        serial = printer.state.identity.serial_number
        assert any(serial in x["client_certificate"]["Subject"] for x in tls)
    finally:
        await proxy.stop()
        await printer.stop()
        await acs.stop()
