"""Pure parts of the fleet: address plan, profile mix, worker split, descriptor budget, BPF."""

from __future__ import annotations

import ipaddress
import struct
from collections import Counter

import pytest

from printbench.emulator.fleet import limits
from printbench.emulator.fleet.plan import (
    Layout,
    PlanError,
    address_index,
    nth_address,
    parse_mix,
    profile_for,
    split,
)
from printbench.emulator.fleet.workers import SKF_NET_OFF, steering_program


def test_fleet_addresses_skip_zero_and_broadcast_and_invert() -> None:
    hosts = [nth_address("127.1.0.1", i) for i in range(600)]
    assert hosts[0] == "127.1.0.1" and hosts[253] == "127.1.0.254" and hosts[254] == "127.1.1.1"
    assert len(set(hosts)) == 600
    assert all(1 <= int(h.rsplit(".", 1)[1]) <= 254 for h in hosts)
    assert [address_index("127.1.0.1", h) for h in hosts] == list(range(600))
    assert address_index("127.1.0.1", "127.1.0.255") is None
    assert address_index("127.1.0.5", "127.1.0.1") is None


def test_fleet_layout_errors_and_port_blocks() -> None:
    with pytest.raises(PlanError, match=r"outside 127\.0\.0\.0/8"):
        Layout("127.255.255.200").check(1000)
    with pytest.raises(PlanError, match="must end in"):
        Layout("127.1.0.0")
    lay = Layout("127.100.9.1", port_base=40000)
    assert lay.host(7) == "127.100.9.1"
    p = lay.ports_of(3)
    assert (p.snmp, p.ipp, p.ews, p.control, p.cwmp) == (40015, 40016, 40017, 40018, 40019)
    assert lay.index_of("127.100.9.1", 40018) == 3
    with pytest.raises(PlanError, match="past 65535"):
        lay.check(6000)


def test_fleet_profile_mix_is_proportional_and_checked() -> None:
    mix = parse_mix("a:3,b:1", ["a", "b", "c"])
    counts = Counter(profile_for(mix, i) for i in range(4000))
    assert abs(counts["a"] / 4000 - 0.75) < 0.01 and "c" not in counts
    assert [n for n, _ in parse_mix("all", ["a", "b"])] == ["a", "b"]
    with pytest.raises(PlanError, match="unknown profile 'x'"):
        parse_mix("x", ["a"])
    with pytest.raises(PlanError, match="positive"):
        parse_mix("a:0", ["a"])


def test_fleet_split_is_contiguous_and_even() -> None:
    parts = split(10, 3)
    assert [len(r) for r in parts] == [4, 3, 3]
    assert [i for r in parts for i in r] == list(range(10))
    assert len(split(2, 8)) == 2


def test_fleet_descriptor_budget_and_limit_message(monkeypatch: pytest.MonkeyPatch) -> None:
    b = limits.budget(5000, tcp_faces=4, per_address=False)
    assert (b.snmp, b.listeners, b.sessions) == (5000, 4, 5000)
    assert limits.budget(100, tcp_faces=4, per_address=True).listeners == 400
    # 50,000 printers on one worker: one SNMP socket, sessions bounded by the session gate.
    big = limits.budget(50_000, tcp_faces=4, per_address=False, snmp_per_address=False,
                        max_sessions=256)  # fmt: skip
    assert (big.snmp, big.listeners, big.sessions) == (1, 4, 256 + limits.POOL_IDLE)
    assert big.total < 20_000
    assert limits.budget(100, tcp_faces=4, per_address=False, max_sessions=256).sessions == 100
    monkeypatch.setattr(limits, "current", lambda: (1024, 4096))
    with pytest.raises(limits.FleetLimitError, match=r"hard limit \(ulimit -Hn\) is 4096"):
        limits.ensure(limits.budget(5000, tcp_faces=4, per_address=True))


def _run_cbpf(program: bytes, dst: str) -> int:
    """A tiny interpreter for the instructions steering_program emits."""
    ins = [struct.unpack("HBBI", program[i : i + 8]) for i in range(0, len(program), 8)]
    a, pc = 0, 0
    while True:
        code, jt, jf, k = ins[pc]
        if code == 0x20:
            assert k == (SKF_NET_OFF + 16) & 0xFFFFFFFF
            a = int(ipaddress.IPv4Address(dst))
        elif code == 0x35:
            pc += jt if a >= k else jf
        elif code == 0x06:
            return k
        pc += 1


def test_fleet_steering_program_routes_by_destination() -> None:
    bounds = [int(ipaddress.IPv4Address(nth_address("127.1.0.1", n))) for n in (100, 200, 300)]
    prog = steering_program(bounds)
    assert _run_cbpf(prog, nth_address("127.1.0.1", 0)) == 0
    assert _run_cbpf(prog, nth_address("127.1.0.1", 99)) == 0
    assert _run_cbpf(prog, nth_address("127.1.0.1", 100)) == 1
    assert _run_cbpf(prog, nth_address("127.1.0.1", 299)) == 2


def test_stun_settings_reach_every_worker_and_printer() -> None:
    """--stun-server travels supervisor → worker spec → FleetConfig → each printer's state."""
    from printbench.emulator import state as st
    from printbench.emulator.fleet.fleet import Fleet
    from printbench.emulator.fleet.workers import SupervisorConfig, _config_from_spec, _spec

    sup = SupervisorConfig(devices=4, stun_server="127.9.9.9:3479", stun_password="pw",
                           stun_keepalive=25)  # fmt: skip
    cfg = _config_from_spec(_spec(sup, 0, range(0, 4), {}, "wildcard", 0.0))
    assert (cfg.stun_server, cfg.stun_password, cfg.stun_keepalive) == ("127.9.9.9:3479", "pw", 25)
    fleet = Fleet(cfg)
    device = fleet._new_device(0)
    mg: st.Management = device.state.management
    assert mg.stun_enable and (mg.stun_server_address, mg.stun_server_port) == ("127.9.9.9", 3479)
    assert mg.stun_username == device.state.identity.serial_number
    assert mg.stun_maximum_keepalive_period == 25
