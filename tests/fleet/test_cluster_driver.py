"""The cluster driver without Ray: histogram merges, 50 fake host agents, plan and start-up
errors (overlapping plans, unrouted prefixes, an unreachable head), lost and restarted agents."""

from __future__ import annotations

import asyncio
import random
import socket
from typing import Any

import pytest

from printbench.loadtest.cluster import AgentLost, AgentUnavailable, ClusterDriver, ClusterError
from printbench.loadtest.cluster_agent import check_routed
from printbench.loadtest.cluster_plan import (
    ClusterPlanError,
    Host,
    HostPlan,
    parse_address_plan,
    plan_hosts,
    split_by_cores,
)
from printbench.loadtest.ray_engine import RayUnavailable, probe
from printbench.loadtest.recorder import Recorder

KINDS = (["2 PERIODIC"], ["1 BOOT"], ["6 CONNECTION REQUEST"])


def _samples(rng: random.Random, n: int, t: float, host: str) -> list[list[Any]]:
    out = []
    for _ in range(n):
        dur = rng.lognormvariate(-3.0, 0.8)  # ~50 ms, a long tail
        out.append([t + rng.random() * 3, dur, dur * rng.random(), rng.random() > 0.02,
                    0, rng.choice(KINDS), host])  # fmt: skip
    return out


def _exact(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, int(q * len(ordered) / 100 + 0.5)) - 1]


def test_wire_merge_equals_one_recorder_and_exact_percentiles() -> None:
    """Three hosts' recorders sent as plain values and merged give the figures one recorder
    fed every sample gives, and p50/p99 within 1 % of the exact ones."""
    rng = random.Random(3)
    parts = [_samples(rng, 4000, 1_000_000.0, f"127.0.{h}.1") for h in range(3)]
    merged, whole = Recorder(t0=1_000_000.0), Recorder(t0=1_000_000.0)
    for part in parts:
        one = Recorder(t0=1_000_000.0)
        one.add(0, part)
        merged.merge_wire(one.to_wire())
        whole.add(0, part)
    a, b = merged.summary(1_000_000, 1_000_010), whole.summary(1_000_000, 1_000_010)
    assert a == b and a["sessions"] == sum(1 for p in parts for s in p if s[3])
    ok = [s[1] for p in parts for s in p if s[3]]
    for q in (50, 99):
        assert a["session_ms"][f"p{q}"] == pytest.approx(_exact(ok, q) * 1000, rel=0.01)
    assert merged.per_second() == whole.per_second()


class FakeAgent:
    """An in-process agent: each poll returns the sessions it 'ran' since the last one."""

    def __init__(self, index: int, in_flight: list[int]) -> None:
        self.index = index
        self.rng = random.Random(index)
        self.in_flight = in_flight
        self.sent: list[list[Any]] = []
        self.calls: list[str] = []
        self.fail: BaseException | None = None
        self.running = False
        self.plans: list[dict[str, Any]] = []

    async def call(self, method: str, *args: Any, timeout: float) -> Any:
        self.calls.append(method)
        if self.fail is not None:
            raise self.fail
        self.in_flight[0] += 1
        self.in_flight[1] = max(self.in_flight[1], self.in_flight[0])
        try:
            await asyncio.sleep(0.02)  # an answer takes a while: polls must overlap
        finally:
            self.in_flight[0] -= 1
        if method == "check":
            return None
        if method == "start":
            self.plans.append(args[0])
            self.running = True
            return {"started": True, "incarnation": f"i{len(self.plans)}", "workers": 2}
        if method == "poll":
            if not self.running:
                return {"running": False, "incarnation": "new"}
            samples = _samples(self.rng, 40, 2_000_000.0, f"127.{self.index}.0.1")
            self.sent.extend(samples)
            rec = Recorder(t0=2_000_000.0)
            rec.add(0, samples)
            return {"running": True, "totals": {"sessions_ok": len(self.sent)},
                    "delta": rec.to_wire()}  # fmt: skip
        if method == "stop":
            return {"stopped": True, "delta": {}}
        return []


def _plans(n: int) -> list[HostPlan]:
    hosts = [Host(f"node{i:03d}", f"127.0.{i}.1", 2) for i in range(n)]
    return plan_hosts(hosts, n * 100, seed=1)


async def test_driver_keeps_up_with_50_hosts() -> None:
    """50 agents: every poll round asks all 50 at once, and every session each one reports
    is in the merged figures (counts and percentiles as if one recorder saw them all)."""
    in_flight = [0, 0]
    agents = [FakeAgent(i, in_flight) for i in range(50)]
    driver = ClusterDriver(list(agents), _plans(50), {"acs_url": "http://127.0.0.1:1/"})
    await driver.start()
    for _ in range(5):
        await driver.poll_once()
    await driver.stop()
    assert in_flight[1] == 50  # all 50 polls of a round were in flight together
    assert [a.calls.count("poll") for a in agents] == [5] * 50
    everything = [s for a in agents for s in a.sent]
    whole = Recorder(t0=2_000_000.0)
    whole.add(0, everything)
    assert driver.rec.total == len(everything) == 50 * 5 * 40
    assert driver.rec.summary(2_000_000, 2_000_010) == whole.summary(2_000_000, 2_000_010)
    assert driver.totals()["sessions_ok"] == len(everything)
    assert driver.totals()["workers"] == 100


async def test_lost_agent_fails_the_run_with_one_line() -> None:
    in_flight = [0, 0]
    agents = [FakeAgent(i, in_flight) for i in range(3)]
    driver = ClusterDriver(list(agents), _plans(3), {})
    await driver.start()
    agents[2].fail = AgentLost("The actor died because its node has died.")
    with pytest.raises(ClusterError) as err:
        await driver.run(30)
    assert str(err.value) == ("host 2 127.0.2.1 (node node002) lost: The actor died because "
                              "its node has died.; run stopped")  # fmt: skip
    assert "\n" not in str(err.value)


async def test_agent_unavailable_too_long_is_lost() -> None:
    agents = [FakeAgent(i, [0, 0]) for i in range(2)]
    driver = ClusterDriver(list(agents), _plans(2), {}, restart_wait=0.0)
    await driver.start()
    agents[0].fail = AgentUnavailable("restarting")
    await driver.poll_once()  # first time: it may come back
    await asyncio.sleep(0.01)
    with pytest.raises(ClusterError, match=r"host 0 .* lost: not back 0 s after it went away"):
        await driver.poll_once()


async def test_restarted_agent_gets_its_plan_again() -> None:
    """An agent that answers 'not running' (Ray restarted its actor) is given the same plan:
    its shard restarts from its state files (the Ray test shows the owed events arrive)."""
    agents = [FakeAgent(i, [0, 0]) for i in range(2)]
    driver = ClusterDriver(list(agents), _plans(2), {})
    lines: list[str] = []
    driver.on_event = lines.append
    await driver.start()
    agents[1].running = False
    await driver.poll_once()
    assert agents[1].plans == [agents[1].plans[0]] * 2
    assert driver.hosts[1].restarts == 1 and "agent restarted" in lines[0]
    await driver.poll_once()
    assert driver.hosts[1].incarnation == "i2"


async def test_a_host_that_cannot_start_stops_the_others() -> None:
    class Refusing(FakeAgent):
        async def call(self, method: str, *args: Any, timeout: float) -> Any:
            if method == "start":
                return {"error": "host 1 127.0.1.1: TCP 127.0.1.1:8631: cannot bind: in use"}
            return await super().call(method, *args, timeout=timeout)

    agents = [FakeAgent(0, [0, 0]), Refusing(1, [0, 0])]
    driver = ClusterDriver(list(agents), _plans(2), {})
    with pytest.raises(ClusterError, match="cannot bind: in use"):
        await driver.start()
    assert agents[0].calls[-1] == "stop"


async def test_unrouted_prefix_is_one_line_before_anything_starts() -> None:
    """A prefix that is not local to the host: the check phase says so and no host starts."""
    hosts = [Host("a", "127.0.0.1", 1), Host("b", "127.0.0.2", 1)]
    # 192.0.2.128/25 is TEST-NET-1 (RFC 5737), never a local address here: bind() fails with
    # EADDRNOTAVAIL, nothing is sent.
    plans = plan_hosts(hosts, 20, prefixes=["127.111.0.0/24", "192.0.2.128/25"])
    assert check_routed(plans[0]) is None
    line = check_routed(plans[1])
    assert line == ("host 1 127.0.0.2: 192.0.2.129 is not routed to this host; bind the prefix "
                    "with `ip route add local 192.0.2.128/25 dev lo`")  # fmt: skip

    class Checking(FakeAgent):
        async def call(self, method: str, *args: Any, timeout: float) -> Any:
            if method == "check":
                self.calls.append(method)
                return check_routed(HostPlan(**args[0]))
            return await super().call(method, *args, timeout=timeout)

    agents = [Checking(0, [0, 0]), Checking(1, [0, 0])]
    driver = ClusterDriver(list(agents), plans, {})
    with pytest.raises(ClusterError) as err:
        await driver.start()
    assert str(err.value) == line
    assert all("start" not in a.calls for a in agents)


def test_overlapping_address_plans_are_refused() -> None:
    hosts = [Host("a", "10.0.0.1", 4), Host("b", "10.0.0.2", 4)]
    with pytest.raises(ClusterPlanError) as err:
        plan_hosts(hosts, 100, prefixes=["127.112.0.0/22", "127.112.2.0/24"])
    assert str(err.value).startswith("address plans overlap: host 0 10.0.0.1 (4 cores): 50 "
                                     "printers on 127.112.0.1 - 127.112.0.50 (prefix "
                                     "127.112.0.0/22) and host 1 10.0.0.2")  # fmt: skip
    # Two nodes on one address with port blocks from the same base share ports.
    same = [Host("a", "127.0.0.1", 1), Host("b", "127.0.0.1", 1)]
    with pytest.raises(ClusterPlanError, match="address plans overlap"):
        plan_hosts(same, 10, port_base=20000)
    # Disjoint prefixes and distinct addresses pass.
    ok = plan_hosts(hosts, 100, prefixes=["127.112.0.0/24", "127.112.1.0/24"])
    assert [(p.first, p.count, p.base_address) for p in ok] == [(0, 50, "127.112.0.1"),
                                                                 (50, 50, "127.112.1.1")]  # fmt: skip
    assert plan_hosts(hosts, 10, port_base=20000)[1].base_address == "10.0.0.2"


def test_plan_errors_are_one_line() -> None:
    hosts = [Host("a", "10.0.0.1", 1), Host("b", "10.0.0.2", 3)]
    assert split_by_cores(10, hosts) == [3, 7]  # proportional to cores
    with pytest.raises(ClusterPlanError, match=r"host 1 10.0.0.2: 300 printers do not fit in "
                       r"127.113.0.0/24 \(254 addresses\)"):  # fmt: skip
        plan_hosts(hosts, 400, prefixes=["127.113.1.0/24", "127.113.0.0/24"])
    with pytest.raises(ClusterPlanError, match="names 1 prefixes for 2 hosts"):
        parse_address_plan("127.113.0.0/24", hosts)
    assert parse_address_plan("10.0.0.2=127.1.2.0/24,10.0.0.1=127.1.1.0/24", hosts) == [
        "127.1.1.0/24", "127.1.2.0/24"]  # fmt: skip
    with pytest.raises(ClusterPlanError, match="no host offers the printbench_host resource"):
        plan_hosts([], 10)
    # Auto: consecutive loopback ranges from the base address.
    auto = plan_hosts(hosts, 600, base_address="127.114.0.1")
    assert [(p.base_address, p.count) for p in auto] == [("127.114.0.1", 150),
                                                         ("127.114.0.151", 450)]  # fmt: skip


def test_unreachable_head_is_one_line() -> None:
    """Nothing listens on the port: one line at once (ray.init would retry for minutes)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # bound then closed: nothing listens there
    with pytest.raises(RayUnavailable) as err:
        probe(f"127.0.0.1:{port}", timeout=2)
    assert str(err.value) == (f"Ray cluster at 127.0.0.1:{port} is not reachable: Connection "
                              "refused (is `ray start --head` running there?)")  # fmt: skip
    with pytest.raises(RayUnavailable, match="is not HOST:PORT"):
        probe("head-without-port")


def test_layout_in_a_routed_prefix() -> None:
    """A cluster host's printers may live outside 127/8, inside the prefix routed to it."""
    from printbench.emulator.fleet.plan import Layout, PlanError

    lay = Layout("10.200.0.1", network="10.200.0.0/23")
    lay.check(508)
    assert lay.host(253) == "10.200.0.254" and lay.host(254) == "10.200.1.1"
    assert lay.index_of("10.200.1.1") == 254
    assert lay.max_devices() == 508
    with pytest.raises(PlanError, match=r"device 508 would get 10.200.2.1, outside the prefix "
                       r"10.200.0.0/23"):  # fmt: skip
        lay.check(509)
    with pytest.raises(PlanError, match=r"outside 127\.0\.0\.0/8"):
        Layout("10.200.1.1")  # without a prefix: loopback only, as before


def test_cli_unreachable_cluster_is_one_line_and_exit_1() -> None:
    """`printbench load --engine ray` with a head that does not answer: one line, exit 1,
    before any printer or stub ACS starts."""
    import importlib.util
    import subprocess
    import sys

    if importlib.util.find_spec("ray") is None:
        pytest.skip("printbench[ray] not installed")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    for command in ("fleet", "load"):
        extra = ["--duration", "5", "--acs-url", "http://127.0.0.1:9/"] if command == "load" else []
        proc = subprocess.run(
            [sys.executable, "-m", "printbench.cli", command, "--engine", "ray", "--devices", "10",
             "--ray-address", f"127.0.0.1:{port}", *extra],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert proc.returncode == 1, proc.stderr
        assert proc.stderr.strip().splitlines()[-1] == (
            f"printbench {command}: Ray cluster at 127.0.0.1:{port} is not reachable: "
            "Connection refused (is `ray start --head` running there?)"
        )
        assert "ready" not in proc.stdout
