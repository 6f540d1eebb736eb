"""Which devices and addresses each host of a cluster serves (pure: no Ray, no sockets).

A cluster run gives every host (a Ray node offering the ``printbench_host`` resource) a share
of the devices proportional to its cores, and an address plan of its own:

* a **routed prefix** (``--address-plan 10.200.1.0/24,10.200.2.0/24`` in host order, or
  ``NODE_IP=PREFIX,...``): the host binds every address of it on its loopback with Linux
  AnyIP (``ip route add local PREFIX dev lo``) and the ACS side routes the prefix to the host,
  so connection requests reach the printers;
* **port blocks** on the host's own address (``--port-blocks BASE``: five ports per printer);
* ``auto`` (one machine): consecutive loopback ranges from ``--base-address`` upward.

Plans that would overlap (two prefixes sharing addresses; two hosts with the same address and
port blocks) are refused here with one line, before anything starts.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from printbench.emulator.fleet.plan import PORT_BLOCK, Layout, PlanError, nth_address

#: Ray custom resource a node offers to host one printbench agent (``ray start --resources``).
HOST_RESOURCE = "printbench_host"


class ClusterPlanError(ValueError):
    """An address plan or a split that cannot work; the message is one line for the user."""


@dataclass(frozen=True)
class Host:
    """One node of the cluster that offers :data:`HOST_RESOURCE`."""

    node_id: str
    address: str  # the node's IP as Ray knows it
    cpus: int


@dataclass(frozen=True)
class HostPlan:
    """What one host agent runs: its devices (fleet-wide ``first`` .. ``first + count - 1``)
    and the layout they live on."""

    index: int
    node_id: str
    node_address: str
    cpus: int
    first: int
    count: int
    base_address: str
    network: str | None = None
    port_base: int | None = None
    seed: int = 0

    def layout(self) -> Layout:
        return Layout(self.base_address, port_base=self.port_base, network=self.network)

    def describe(self) -> str:
        if self.port_base is not None:
            last = self.port_base + self.count * PORT_BLOCK - 1
            where = f"{self.base_address} ports {self.port_base}-{last}"
        else:
            where = f"{self.base_address} - {self.layout().host(self.count - 1)}"
            if self.network:
                where += f" (prefix {self.network})"
        return (f"host {self.index} {self.node_address} ({self.cpus} cores): "
                f"{self.count} printers on {where}")  # fmt: skip


def split_by_cores(devices: int, hosts: list[Host]) -> list[int]:
    """Devices per host, proportional to cores (largest remainders), summing to ``devices``."""
    total = sum(max(1, h.cpus) for h in hosts)
    shares = [devices * max(1, h.cpus) / total for h in hosts]
    counts = [int(s) for s in shares]
    rest = devices - sum(counts)
    order = sorted(range(len(hosts)), key=lambda i: shares[i] - counts[i], reverse=True)
    for i in order[:rest]:
        counts[i] += 1
    return counts


def parse_address_plan(text: str | None, hosts: list[Host]) -> list[str] | None:
    """``auto``/None → None; ``P1,P2,...`` (host order) or ``IP=P,...`` → one prefix per host."""
    if not text or text.strip() == "auto":
        return None
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if all("=" in p for p in parts):
        by_ip: dict[str, str] = {}
        for p in parts:
            ip, _, prefix = p.partition("=")
            by_ip[ip.strip()] = prefix.strip()
        missing = [h.address for h in hosts if h.address not in by_ip]
        if missing:
            raise ClusterPlanError(f"--address-plan: no prefix for host {', '.join(missing)}")
        if len({h.address for h in hosts}) < len(hosts):
            raise ClusterPlanError("--address-plan: several hosts share an address; give "
                                   "prefixes in host order instead of IP=PREFIX")  # fmt: skip
        parts = [by_ip[h.address] for h in hosts]
    if len(parts) != len(hosts):
        raise ClusterPlanError(f"--address-plan names {len(parts)} prefixes for {len(hosts)} hosts")
    for p in parts:
        try:
            ipaddress.IPv4Network(p, strict=False)
        except ValueError:
            raise ClusterPlanError(f"--address-plan: {p!r} is not an IPv4 prefix") from None
    return parts


def _usable(network: ipaddress.IPv4Network) -> tuple[str, int]:
    """The first device address of a prefix and how many devices it holds (.0/.255 skipped)."""
    first = network.network_address + 1
    if int(first) & 0xFF == 0:
        first += 1
    top = network.broadcast_address - 1
    n = 0
    for block in range(int(first) >> 8, (int(top) >> 8) + 1):
        lo = max(int(first), (block << 8) | 1)
        hi = min(int(top), (block << 8) | 254)
        n += max(0, hi - lo + 1)
    return str(first), n


def plan_hosts(hosts: list[Host], devices: int, *, prefixes: list[str] | None = None,
               base_address: str = "127.1.0.1", port_base: int | None = None,
               seed: int = 0) -> list[HostPlan]:  # fmt: skip
    """One plan per host, checked: enough hosts, every share fits its addresses, no overlap."""
    if not hosts:
        raise ClusterPlanError(
            f"no host offers the {HOST_RESOURCE} resource: start each with "
            f'`ray start ... --resources=\'{{"{HOST_RESOURCE}": 1}}\'`'
        )
    if devices < len(hosts):
        raise ClusterPlanError(f"{devices} printers for {len(hosts)} hosts: at least one each")
    counts = split_by_cores(devices, hosts)
    plans: list[HostPlan] = []
    first = 0
    cursor = 0  # auto plan: device offset from base_address
    for i, (host, count) in enumerate(zip(hosts, counts, strict=True)):
        # Each host derives its printers' identities from its own seed: serials, DeviceIds
        # and connection-request credentials differ between hosts and stay the same per run.
        host_seed = seed * 1009 + i
        try:
            if port_base is not None:
                # the host's own address (any, not only loopback): its /32 is the "prefix"
                plan = HostPlan(i, host.node_id, host.address, host.cpus, first, count,
                                host.address, f"{host.address}/32", port_base, host_seed)  # fmt: skip
            elif prefixes is not None:
                net = ipaddress.IPv4Network(prefixes[i], strict=False)
                base, room = _usable(net)
                if count > room:
                    raise ClusterPlanError(f"host {i} {host.address}: {count} printers do not fit "
                                           f"in {net} ({room} addresses)")  # fmt: skip
                plan = HostPlan(i, host.node_id, host.address, host.cpus, first, count, base,
                                str(net), None, host_seed)  # fmt: skip
            else:
                base = nth_address(base_address, cursor)
                plan = HostPlan(i, host.node_id, host.address, host.cpus, first, count, base,
                                None, None, host_seed)  # fmt: skip
                cursor += count
            plan.layout().check(count)
        except PlanError as exc:
            raise ClusterPlanError(f"host {i} {host.address}: {exc}") from None
        plans.append(plan)
        first += count
    check_overlap(plans)
    return plans


def _span(plan: HostPlan) -> tuple[str, int, int]:
    """(address space, first, last) a plan occupies: ports on one address or addresses."""
    if plan.port_base is not None:
        return (plan.base_address, plan.port_base, plan.port_base + plan.count * PORT_BLOCK - 1)
    lay = plan.layout()
    lo = int(ipaddress.IPv4Address(lay.host(0)))
    hi = int(ipaddress.IPv4Address(lay.host(plan.count - 1)))
    if plan.network is not None:
        net = ipaddress.IPv4Network(plan.network, strict=False)
        lo, hi = int(net.network_address), int(net.broadcast_address)
    return ("ipv4", lo, hi)


def check_overlap(plans: list[HostPlan]) -> None:
    """One line naming the first two hosts whose address plans share an address (or port)."""
    for a_i, a in enumerate(plans):
        sa = _span(a)
        for b in plans[a_i + 1 :]:
            sb = _span(b)
            if sa[0] == sb[0] and sa[1] <= sb[2] and sb[1] <= sa[2]:
                raise ClusterPlanError(
                    f"address plans overlap: {a.describe()} and {b.describe()}; give each host "
                    "its own prefix (--address-plan) or address"
                )
