"""The printer's STUN client against a real STUN server: coturn's ``turnserver --stun-only``
(Debian package coturn, installed by ./dev), through the in-process NAT. The ACS learns the
UDPConnectionRequestAddress the CPE reports (GetParameterValues) and sends the UDP
Connection Request from its own socket on the STUN server's IP address (the NAT filters by
address, RFC 4787)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator

import pytest

from printbench.acs_stub.control import AcsControl
from printbench.acs_stub.server import AcsConfig
from printbench.acs_stub.udp_connreq import send_udp_connection_request
from printbench.cwmp import messages as m
from printbench.cwmp import stun as S
from printbench.emulator.device import Ports, VirtualPrinter
from printbench.emulator.nat import UdpNat

from .conftest import printer_id
from .test_udp_cr_nat import until

COTURN_IP, COTURN_PORT = "127.71.9.1", 34781
MS = "Device.ManagementServer."

pytestmark = pytest.mark.skipif(
    shutil.which("turnserver") is None, reason="coturn (turnserver) not installed: ./dev setup"
)


@pytest.fixture
def coturn() -> Iterator[S.Address]:
    args = ["turnserver", "-n", "--stun-only", "-L", COTURN_IP, "-p", str(COTURN_PORT),
            "--no-cli", "--no-tls", "--no-dtls", "--no-stdout-log", "--log-file", "/dev/null",
            "--pidfile", "/dev/null"]  # fmt: skip
    proc = subprocess.Popen(
        args,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield COTURN_IP, COTURN_PORT
    finally:
        proc.terminate()
        proc.wait(5)


async def _coturn_ready(addr: S.Address) -> bool:
    loop = asyncio.get_running_loop()
    got: asyncio.Future[bytes] = loop.create_future()

    class P(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, _a: object) -> None:
            if not got.done():
                got.set_result(data)

    tr, _ = await loop.create_datagram_endpoint(P, local_addr=("127.71.9.3", 0))
    try:
        for _ in range(50):
            tr.sendto(S.encode(S.binding_request()), addr)
            done, _ = await asyncio.wait({got}, timeout=0.1)
            if done:
                return True
        return False
    finally:
        tr.close()


@pytest.fixture
async def acs() -> AsyncIterator[AcsControl]:
    ctl = await AcsControl.start(AcsConfig(host="127.0.0.1", port=0, control_port=0))
    await ctl.start_stun(COTURN_IP, 0)  # the ACS's UDP sender, on the STUN server's address
    try:
        yield ctl
    finally:
        await ctl.stop()


async def test_udp_cr_with_coturn_as_stun_server(coturn, acs) -> None:
    assert await _coturn_ready(coturn), "turnserver did not answer a Binding Request"
    nat = UdpNat("127.71.8.1", "127.71.8.254", [coturn], timeout=30)
    await nat.start()
    vp = VirtualPrinter("mono-desktop-laser", host="127.71.8.2", acs_url=acs.server.cwmp_url,
                        ports=Ports.ephemeral(), seed=71)  # fmt: skip
    mg = vp.state.management
    mg.connection_request_username, mg.connection_request_password = "cr-user", "cr-secret"
    mg.stun_enable = True
    mg.stun_server_address, mg.stun_server_port = nat.inside_address()
    mg.stun_maximum_keepalive_period = 20
    dev = printer_id(vp.state)
    try:
        await vp.start(faces=("tr069",), drive=False)
        acs.set_connection_request(dev, username="cr-user", password="cr-secret")
        udp = vp.tr069.udp
        assert await until(lambda: udp.udp_address != f"{vp.host}:{udp.port}" and udp.nat_detected)
        public = nat.public_address_of((vp.host, udp.port))
        assert public is not None and udp.udp_address == f"{public[0]}:{public[1]}"
        # the ACS reads the address the CPE reports
        await until(lambda: vp.tr069.cpe.sessions >= 1)
        await until(lambda: acs.server.current_session(dev) is None)
        item = acs.enqueue(dev, m.GetParameterValues((MS + "UDPConnectionRequestAddress",
                                                      MS + "NATDetected")))  # fmt: skip
        await acs.connection_request(dev)
        resp = await item.result(15)
        values = {p.name: p.value for p in resp.parameter_list}
        assert values[MS + "NATDetected"] == "true"
        assert values[MS + "UDPConnectionRequestAddress"] == udp.udp_address
        await until(lambda: acs.server.current_session(dev) is None)
        out = await send_udp_connection_request(acs, dev, timeout=15)
        assert out.session is not None and out.address == udp.udp_address
        assert udp.accepted == 1
    finally:
        await vp.stop()
        await nat.stop()
