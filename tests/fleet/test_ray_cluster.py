"""The fleet on a real 2-node Ray cluster (``ray.cluster_utils.Cluster``), every byte on loopback.

Every node IP is forced to 127.0.0.1 (``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` makes Ray's
``get_node_ip_address`` answer the loopback address instead of the address that routes
outwards), token authentication is on (``RAY_AUTH_MODE=token``), and each node offers one
``printbench_host``. Two agents, 100 printers each in two address ranges (127.110.0.0/24 and
127.110.1.0/24), against the stub ACS in this process:

* a digest connection request to one printer per host gives a ``6 CONNECTION REQUEST`` session;
* the merged session count equals the number of Informs the stub ACS received;
* merged p50/p99 are within 1 % of the exact percentiles of the raw samples (test mode);
* a reboot storm drains (every printer's ``1 BOOT`` after the storm);
* an agent killed mid-run is restarted by Ray, given its plan again, and its shard resumes from
  its workers' state files: no printer of it bootstraps a second time, and the ``M Reboot`` a
  printer owed (the ACS refused its Inform with 8005 until then) arrives after the restart;
* ``remove_node`` of the other node fails the run with one line naming the host.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import math
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from printbench.acs_stub.control import AcsControl
from printbench.cwmp import messages as m
from printbench.loadtest.cluster import ClusterDriver, ClusterError
from printbench.loadtest.cluster_plan import plan_hosts
from printbench.loadtest.recorder import storm_drain

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="printbench[ray] not installed"),
]

N = 200
PREFIXES = ["127.110.0.0/24", "127.110.1.0/24"]


@pytest.fixture
def ray_cluster() -> Iterator[tuple[Any, Any, Any]]:
    """Head + one worker node, each with one CPU and one printbench_host, on 127.0.0.1."""
    env = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(16),
           "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0"}  # fmt: skip
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    import ray
    from ray._raylet import Config, get_authentication_mode
    from ray.cluster_utils import Cluster

    Config.initialize("")  # RayConfig reads RAY_AUTH_MODE: token auth for this process too
    node_args = {"num_cpus": 1, "resources": {"printbench_host": 1},
                 "node_ip_address": "127.0.0.1", "object_store_memory": 80 * 1024 * 1024}  # fmt: skip
    cluster = Cluster(initialize_head=True,
                      head_node_args={**node_args, "include_dashboard": False})  # fmt: skip
    worker = cluster.add_node(**node_args)
    ray.init(address=cluster.address, _node_ip_address="127.0.0.1", log_to_driver=False)
    assert str(get_authentication_mode()).endswith("TOKEN") or int(get_authentication_mode()) == 1
    try:
        yield ray, cluster, worker
    finally:
        ray.shutdown()
        cluster.shutdown()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _exact(values: list[float], q: float) -> float:
    """The percentile as HdrHistogram ranks it: the round(q·n/100)-th smallest value."""
    ordered = sorted(values)
    rank = max(1, int(q * len(ordered) / 100 + 0.5))
    return ordered[rank - 1]


async def _until(cond: Any, driver: ClusterDriver, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"{what}: {driver.totals()}"
        await driver.poll_once()
        await asyncio.sleep(0.5)


async def test_two_hosts_on_ray(ray_cluster: tuple[Any, Any, Any], acs: AcsControl,
                                tmp_path: Path) -> None:  # fmt: skip
    ray, cluster, worker_node = ray_cluster
    from printbench.loadtest.ray_engine import RayAgentLink, discover_hosts, start_agents

    hosts = discover_hosts()
    assert len(hosts) == 2 and {h.address for h in hosts} == {"127.0.0.1"}
    plans = plan_hosts(hosts, N, prefixes=PREFIXES, seed=5)
    assert [(p.base_address, p.count) for p in plans] == [("127.110.0.1", 100), ("127.110.1.1", 100)]
    actors = start_agents(hosts, keep_raw=True)
    config = {"acs_url": acs.server.cwmp_url, "listen": "per-address", "periodic_interval": 3600,
              "state_dir": str(tmp_path / "state"), "http_timeout": 10.0}  # fmt: skip
    driver = ClusterDriver([RayAgentLink(a) for a in actors], plans, config,
                           poll_timeout=30, restart_wait=60)  # fmt: skip
    events: list[str] = []
    driver.on_event = events.append
    await driver.start()
    try:
        inv = await driver.inventory()
        assert len(inv) == N and len({r["serial"] for r in inv}) == N
        assert sorted(r["index"] for r in inv) == list(range(N))
        by_host = [[r for r in inv if r["address"].startswith(p[:-5])] for p in PREFIXES]
        assert [len(x) for x in by_host] == [100, 100]
        await _until(lambda: driver.totals()["sessions_ok"] >= N, driver, 60, "boot sessions")

        # A digest connection request per host: a 6 CONNECTION REQUEST session each.
        for records in by_host:
            r = records[7]
            acs.set_connection_request(r["device_id"], username=r["cr_username"],
                                       password=r["cr_password"])  # fmt: skip
            sid = await acs.connection_request(r["device_id"], timeout=30)
            assert await acs.wait_session_end(sid, timeout=30) == "done"
            assert ("6 CONNECTION REQUEST", "") in acs.device(r["device_id"]).events_seen
        await _until(lambda: driver.rec.summary(0, time.time() + 5)["by_kind"]["cr"]["sessions"]
                     >= 2, driver, 30, "CR sessions merged")  # fmt: skip

        # A reboot storm on both hosts drains.
        t_storm = time.time()
        driver.rec.mark_storm(t_storm)
        rebooted = await driver.command("reboot-storm", {"at": t_storm})
        assert sum(sum(r) for r in rebooted) == N
        await _until(lambda: storm_drain(driver.rec, t_storm, N) is not None, driver, 90, "storm")

        # Quiet: every session over; the merged count is the ACS's count of Informs.
        def quiet() -> bool:
            t = driver.totals()
            return t["in_session"] == 0 and t["queued_events"] == 0
        await _until(quiet, driver, 60, "quiet")
        await driver.poll_once()
        await asyncio.sleep(1.5)
        await driver.poll_once()
        await driver.poll_once()
        informs = sum(d.inform_count for d in acs.devices())
        assert driver.rec.total == informs
        print(f"\nmerged sessions {driver.rec.total} = stub ACS Informs {informs}; storm of {N} "
              f"drained in {storm_drain(driver.rec, t_storm, N):.2f} s")  # fmt: skip

        # Merged percentiles within 1 % of the exact ones over the raw samples.
        whole = driver.rec.summary(0, time.time() + 5)
        durations = [dur for _kind, dur, _inform in driver.raw]
        assert whole["sessions"] == len(durations) > N
        for q in (50, 99):
            exact = _exact(durations, q) * 1000
            merged = whole["session_ms"][f"p{q}"]
            assert math.isclose(merged, exact, rel_tol=0.01, abs_tol=0.051), (q, merged, exact)
            print(f"p{q}: merged {merged} ms, exact {exact:.2f} ms over {len(durations)} samples")

        # Kill host 1's agent mid-run while one of its printers owes an M Reboot.
        owing = by_host[1][3]
        acs.set_connection_request(owing["device_id"], username=owing["cr_username"],
                                   password=owing["cr_password"])  # fmt: skip
        reboot = asyncio.create_task(acs.call(owing["device_id"], m.Reboot(command_key="owed-1")))
        await acs.connection_request(owing["device_id"], timeout=30)
        await reboot  # RebootResponse: the printer reboots and owes 1 BOOT + M Reboot
        acs.set_retry_faults(owing["device_id"], 1000)  # ... whose Informs are refused (8005)
        dev = acs.device(owing["device_id"])
        await _until(lambda: dev.retry_faults < 1000, driver, 30, "refused boot inform")
        assert ("M Reboot", "owed-1") not in dev.events_seen
        # Its worker writes the state file within STATE_FLUSH_S: the owed events are on disk
        # before the agent (and, with it, its worker processes) is killed.
        state_file = tmp_path / "state" / "host-1" / "worker-0.json"

        def owed_on_disk() -> bool:
            try:
                saved = json.loads(state_file.read_text())["devices"][owing["serial"]]
            except (OSError, ValueError, KeyError):
                return False
            return "owed-1" in saved["events"]

        await _until(owed_on_disk, driver, 30, "owed events in the state file")
        ray.kill(actors[1], no_restart=False)
        await _until(lambda: driver.hosts[1].restarts == 1, driver, 60, "agent restarted")
        assert "agent restarted" in events[0], events
        print(events[0])
        acs.set_retry_faults(owing["device_id"], 0)
        await _until(lambda: ("M Reboot", "owed-1") in dev.events_seen, driver, 60, "owed Reboot")
        for r in by_host[1]:
            seen = acs.device(r["device_id"]).events_seen
            assert seen.count(("0 BOOTSTRAP", "")) == 1, (r["address"], seen)

        # A lost node fails the run with one clear line, never a hang.
        cluster.remove_node(worker_node)
        lost = next(p for p in plans if p.node_id == worker_node.node_id)
        with pytest.raises(ClusterError, match=rf"host {lost.index} 127\.0\.0\.1 .* lost") as err:
            await driver.run(60)
        print(f"after remove_node: {err.value}")
    finally:
        await driver.stop()
    assert (tmp_path / "state" / f"host-{1 - lost.index}" / "worker-0.json").exists()
