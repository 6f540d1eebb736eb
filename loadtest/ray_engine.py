"""The fleet on a Ray cluster (optional extra ``printbench[ray]``; Ray Core only).

One ``HostAgent`` async actor per host: it asks for the host's ``printbench_host`` custom
resource and ``num_cpus`` = the host's cores, and is pinned to its node, so each host runs one
agent whose fleet supervisor (worker processes per core, SO_REUSEPORT steering) uses the
whole machine. The driver (``loadtest.cluster.ClusterDriver``) reaches each agent through a
:class:`RayAgentLink`, which turns Ray's failures into the driver's: an actor whose node died
or that died for good is *lost* (the run stops with one line), an actor being restarted is
*unavailable* for a while (Ray restarts it once; the driver then gives it its plan again).

Token authentication: Ray ≥ 2.52 has ``RAY_AUTH_MODE=token`` (every gRPC call carries a
bearer token; ``ray get-auth-token --generate`` writes ``~/.ray/auth_token``). The driver sets
``RAY_AUTH_MODE=token`` unless the environment already says otherwise, so it connects to
clusters started with the same setting (README: commands for one machine and for 50).
"""

from __future__ import annotations

import asyncio
import os
import socket
from typing import Any

from printbench.loadtest.cluster import AgentLost, AgentUnavailable
from printbench.loadtest.cluster_agent import HostAgentCore
from printbench.loadtest.cluster_plan import HOST_RESOURCE, Host

#: How long the driver waits to reach the head before it says the cluster is unreachable.
CONNECT_TIMEOUT = 5.0


class RayUnavailable(RuntimeError):
    """Ray is not installed, or the cluster cannot be reached: one line for the user."""


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise RayUnavailable("--engine ray needs Ray: pip install 'printbench[ray]'") from None
    return ray


def probe(address: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """One line when nothing answers at the head's ``HOST:PORT`` (ray.init would retry for
    minutes): before anything starts."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise RayUnavailable(f"Ray address {address!r} is not HOST:PORT (e.g. head:6379)")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except OSError as exc:
        raise RayUnavailable(f"Ray cluster at {address} is not reachable: "
                             f"{exc.strerror or exc} (is `ray start --head` running there?)") from None  # fmt: skip


def connect(address: str | None, *, node_ip: str | None = None, **init_args: Any) -> Any:
    """Connect the driver (``address`` None: a local one-node Ray with one host resource)."""
    os.environ.setdefault("RAY_AUTH_MODE", "token")
    if not address:
        # One machine: Ray's own traffic stays on loopback too. Ray's get_node_ip_address()
        # answers 127.0.0.1 when this is off (ray/_private/services.py), read at import.
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    ray = import_ray()
    if ray.is_initialized():
        return ray
    if address:
        probe(address)
        kwargs: dict[str, Any] = {"address": address, "log_to_driver": False, **init_args}
        if node_ip:
            kwargs["_node_ip_address"] = node_ip
        ray.init(**kwargs)
    else:
        if node_ip:
            init_args["_node_ip_address"] = node_ip
        ray.init(resources={HOST_RESOURCE: 1}, include_dashboard=False, log_to_driver=False,
                 **init_args)  # fmt: skip
    return ray


def discover_hosts() -> list[Host]:
    """Alive nodes offering :data:`HOST_RESOURCE`, in a stable order (address, node id)."""
    ray = import_ray()
    hosts = [
        Host(n["NodeID"], n["NodeManagerAddress"], int(n["Resources"].get("CPU", 1)))
        for n in ray.nodes()
        if n.get("Alive") and n.get("Resources", {}).get(HOST_RESOURCE, 0) >= 1
    ]
    return sorted(hosts, key=lambda h: (h.address, h.node_id))


def agent_actor(*, keep_raw: bool = False) -> Any:
    """The ``HostAgent`` actor class (built on first use: Ray is optional)."""
    ray = import_ray()

    # An async actor: its methods run on one event loop in a thread of the actor's process
    # (not the main thread: HostAgentCore installs no signal handlers). Ray restarts a dead
    # actor once (max_restarts=1); calls are not retried (the driver decides).
    @ray.remote(max_restarts=1, max_task_retries=0)
    class HostAgent(HostAgentCore):
        def __init__(self) -> None:
            super().__init__(keep_raw=keep_raw)

    return HostAgent


def start_agents(hosts: list[Host], *, keep_raw: bool = False) -> list[Any]:
    """One agent per host, pinned to its node, asking for all its cores."""
    import_ray()
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    cls = agent_actor(keep_raw=keep_raw)
    return [
        cls.options(
            num_cpus=h.cpus, resources={HOST_RESOURCE: 1},
            scheduling_strategy=NodeAffinitySchedulingStrategy(h.node_id, soft=False),
        ).remote()
        for h in hosts
    ]


class RayAgentLink:
    """:class:`~loadtest.cluster.AgentLink` over a Ray actor handle."""

    def __init__(self, actor: Any) -> None:
        self.actor = actor

    async def call(self, method: str, *args: Any, timeout: float) -> Any:
        ray = import_ray()
        from ray import exceptions as rex

        ref = getattr(self.actor, method).remote(*args)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(ref.future()), timeout)
        except TimeoutError:
            ray.cancel(ref, force=False)
            raise AgentLost(f"no answer to {method} in {timeout:.0f} s") from None
        except rex.ActorUnavailableError as exc:
            raise AgentUnavailable(_first_line(exc)) from None
        except rex.RayError as exc:  # died, its node died, unschedulable (node gone), ...
            raise AgentLost(_reason(exc)) from None


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _reason(exc: BaseException) -> str:
    """Ray's own sentence on why the actor died (its node died, it was killed, ...)."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    why = [ln for ln in lines if ln.startswith("The actor died because") or "node" in ln.lower()]
    return (why or lines or [type(exc).__name__])[0]
