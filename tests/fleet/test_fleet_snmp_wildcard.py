"""SNMP of a fleet on wildcard sockets: 40 printers on 2 worker processes share one UDP
socket per worker (SO_REUSEPORT, steered by destination address), and net-snmp's real tools
get every printer's own answer, in v2c and v3, from the printer's own address; a datagram
for an address no printer owns is dropped (counted, no reply). In one process, a fleet opens
its own wildcard socket; port blocks refuse wildcard SNMP with a clear error."""

from __future__ import annotations

import asyncio
import socket

import pytest

from printbench.emulator.device import Ports
from printbench.emulator.fleet.fleet import Fleet, FleetConfig, FleetError
from printbench.emulator.fleet.plan import Layout
from printbench.emulator.fleet.workers import Supervisor, SupervisorConfig
from printbench.snmp import ber

N = 40
SERIAL = "1.3.6.1.2.1.43.5.1.1.17.1"  # prtGeneralSerialNumber.1
V3 = ["-v3", "-u", "admin", "-l", "authPriv", "-a", "SHA", "-A", "authpassword",
      "-x", "AES", "-X", "privpassword"]  # fmt: skip


def free_udp_port() -> int:
    """A UDP port free on the wildcard address (so on every loopback address)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("0.0.0.0", 0))
        return s.getsockname()[1]


async def snmp(*args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        *args, "-Oqv", "-t", "2", "-r", "1",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env={"MIBS": "", "SNMPCONFPATH": "/nonexistent", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode(errors="replace").strip().strip('"')


async def ask(host: str, port: int, timeout: float) -> tuple[bytes, str] | None:
    """One v2c GET of the serial from a plain socket: (reply, its source) or None."""
    vb = ber.encode_varbind(tuple(int(x) for x in SERIAL.split(".")), (ber.NULL, None))
    payload = ber.encode_message(1, b"public", ber.GET, 99, 0, 0, vb)
    loop = asyncio.get_running_loop()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setblocking(False)
        s.bind(("127.0.0.1", 0))
        await loop.sock_sendto(s, payload, (host, port))
        try:
            data, src = await asyncio.wait_for(loop.sock_recvfrom(s, 65535), timeout)
        except TimeoutError:
            return None
        return data, src[0]


async def test_two_workers_share_steered_wildcard_snmp_sockets() -> None:
    port = free_udp_port()
    cfg = SupervisorConfig(
        devices=N, workers=2, layout=Layout("127.100.60.1", Ports(snmp=port)),
        faces=("snmp",), listen="per-address", snmp_sockets="wildcard", api_port=-1,
    )  # fmt: skip
    sup = Supervisor(cfg)
    await sup.start()
    try:
        assert sup.snmp_mode == "wildcard"
        assert [len(s) for s in (sup.sockets["snmp"],)] == [2]  # one socket per worker
        inv = sorted(sup.inventory(), key=lambda r: r["index"])
        assert {r["worker"] for r in inv} == {0, 1}
        # Every printer of both workers: snmpget picks a new source port (so a new reuseport
        # hash) each run, so a datagram steered to the wrong worker would go unanswered.
        for r in inv:
            rc, out = await snmp("snmpget", "-v2c", "-c", r["community"],
                                 f"{r['address']}:{port}", SERIAL)  # fmt: skip
            assert rc == 0 and out == r["serial"], (r["address"], out)
        for r in (inv[0], inv[N // 2 - 1], inv[N // 2], inv[-1]):
            got = await ask(r["address"], port, timeout=5)
            assert got is not None and got[1] == r["address"]  # answered from its own address
            assert r["serial"].encode() in got[0]
            rc, out = await snmp("snmpget", *V3, f"{r['address']}:{port}", SERIAL)
            assert rc == 0 and out == r["serial"], (r["address"], out)
        # Past the fleet's last address: in worker 1's range, owned by nobody.
        assert await ask("127.100.60.250", port, timeout=1) is None
        stats = await sup.command("stats")
        assert sum(s["snmp_unknown_address"] for s in stats) == 1
        assert all(s["snmp_sockets"] == "wildcard" for s in stats)
        assert [s["snmp_requests"] >= N // 2 for s in stats] == [True, True]
    finally:
        await sup.stop()


async def test_fleet_in_one_process_opens_its_own_wildcard_socket() -> None:
    port = free_udp_port()
    fleet = Fleet(FleetConfig(count=3, layout=Layout("127.100.61.1", Ports(snmp=port)),
                              faces=("snmp",), snmp_sockets="wildcard"))  # fmt: skip
    await fleet.start()
    try:
        assert fleet.snmp_mode == "wildcard"
        assert fleet.endpoints["snmp"] == f"0.0.0.0:{port}/udp"
        assert fleet.descriptor_budget().snmp == 1
        for d in fleet.devices:
            got = await ask(d.host, port, timeout=5)
            assert got is not None and got[1] == d.host
            assert d.serial.encode() in got[0]
        # A second fleet on the same port fails clearly instead of sharing the datagrams.
        other = Fleet(FleetConfig(count=1, layout=Layout("127.100.62.1", Ports(snmp=port)),
                                  faces=("snmp",), snmp_sockets="wildcard"))  # fmt: skip
        with pytest.raises(FleetError, match=f"0.0.0.0:{port}/udp: cannot bind"):
            await other.start()
    finally:
        await fleet.stop(persist=False)


def test_wildcard_snmp_with_port_blocks_is_refused() -> None:
    with pytest.raises(FleetError, match="needs printers on their own addresses"):
        FleetConfig(count=2, layout=Layout("127.100.63.1", port_base=30000),
                    snmp_sockets="wildcard")  # fmt: skip
    with pytest.raises(FleetError, match="SNMP socket mode 'both'"):
        FleetConfig(count=2, snmp_sockets="both")
