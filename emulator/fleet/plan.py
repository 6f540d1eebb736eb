"""Where each device of a fleet lives and what it is: addresses, ports, profile, seed (pure).

Device ``i`` (0-based, fleet-wide) gets, in address mode, the ``i``-th loopback address from
the base upward (default 127.1.0.1, DESIGN §8), skipping host numbers .0 and .255 so every
address looks like an ordinary host, and the standard port layout. In port-block mode every
device shares one address and gets a block of five consecutive ports (SNMP, IPP, EWS, control,
connection request) from a base port upward. Profiles are spread over the devices by weight
with a low-discrepancy sequence, so any prefix of the fleet has the mix's proportions and a
given (mix, index) always gives the same model.
"""

from __future__ import annotations

import bisect
import ipaddress
from dataclasses import dataclass, field

from printbench.emulator.device import Ports

PORT_BLOCK = 5  # snmp, ipp, ews, control, cwmp
_GOLDEN = 0.6180339887498949


class PlanError(ValueError):
    """A fleet layout that cannot work (address out of 127/8, ports past 65535, bad mix)."""


def _ip(text: str) -> int:
    try:
        addr = ipaddress.IPv4Address(text)
    except ValueError:
        raise PlanError(f"base address {text!r} is not an IPv4 address") from None
    return int(addr)


def nth_address(base: str, i: int, network: str | None = None) -> str:
    """The ``i``-th usable address from ``base`` upward (host numbers .1-.254 only).

    Addresses stay in 127.0.0.0/8 (loopback, one machine) unless ``network`` names the routed
    prefix a host of a cluster serves (docs/fleet.md, Linux AnyIP: ``ip route add local
    PREFIX dev lo``); they must then stay inside it."""
    b = _ip(base)
    octet = b & 0xFF
    if not 1 <= octet <= 254:
        raise PlanError(f"base address {base} must end in .1 to .254")
    v = (b >> 8) * 254 + (octet - 1) + i
    addr = ((v // 254) << 8) | (v % 254 + 1)
    text = str(ipaddress.IPv4Address(addr))
    if network is not None:
        net = ipaddress.IPv4Network(network, strict=False)
        if ipaddress.IPv4Address(addr) not in net:
            raise PlanError(f"device {i} would get {text}, outside the prefix {net}")
        return text
    if addr >> 24 != 127:
        raise PlanError(f"device {i} would get {text}, outside 127.0.0.0/8 (fewer devices?)")
    return text


def address_index(base: str, host: str) -> int | None:
    """Inverse of :func:`nth_address` (None when ``host`` is not a device address)."""
    try:
        h = int(ipaddress.IPv4Address(host))
    except ValueError:
        return None
    b = _ip(base)
    octet = h & 0xFF
    if not 1 <= octet <= 254:
        return None
    i = ((h >> 8) * 254 + octet - 1) - ((b >> 8) * 254 + (b & 0xFF) - 1)
    return i if i >= 0 else None


@dataclass(frozen=True)
class Layout:
    """How devices map to addresses and ports."""

    base_address: str = "127.1.0.1"
    ports: Ports = field(default_factory=Ports)
    port_base: int | None = None  # set: port-block mode on base_address
    #: A cluster host's routed prefix (addresses stay inside it); None: loopback 127/8.
    network: str | None = None

    def __post_init__(self) -> None:
        if self.network is not None:
            try:
                ipaddress.IPv4Network(self.network, strict=False)
            except ValueError:
                raise PlanError(f"prefix {self.network!r} is not an IPv4 prefix") from None
        nth_address(self.base_address, 0, self.network)  # validates
        if self.port_base is not None and not 1024 <= self.port_base <= 65535 - PORT_BLOCK:
            raise PlanError(f"port base {self.port_base} must be 1024..{65535 - PORT_BLOCK}")

    @property
    def port_blocks(self) -> bool:
        return self.port_base is not None

    def max_devices(self) -> int:
        if self.port_base is not None:
            return (65536 - self.port_base) // PORT_BLOCK
        top = ("127.255.255.254" if self.network is None else
               str(ipaddress.IPv4Network(self.network, strict=False).broadcast_address - 1))
        last = address_index(self.base_address, top)
        return 0 if last is None else last + 1

    def check(self, devices: int) -> None:
        if devices < 1:
            raise PlanError("a fleet needs at least one device")
        if self.port_base is not None:
            if devices > self.max_devices():
                raise PlanError(
                    f"{devices} devices need {devices * PORT_BLOCK} ports from "
                    f"{self.port_base}: past 65535 (at most {self.max_devices()})"
                )
            return
        nth_address(self.base_address, devices - 1, self.network)

    def host(self, i: int) -> str:
        return (
            self.base_address
            if self.port_base is not None
            else nth_address(self.base_address, i, self.network)
        )

    def ports_of(self, i: int) -> Ports:
        if self.port_base is None:
            return self.ports
        p = self.port_base + i * PORT_BLOCK
        return Ports(snmp=p, ipp=p + 1, ews=p + 2, control=p + 3, cwmp=p + 4)

    def index_of(self, host: str, port: int | None = None) -> int | None:
        """The device index served at ``host`` (and ``port`` in port-block mode)."""
        if self.port_base is None:
            return address_index(self.base_address, host)
        if host != self.base_address or port is None or port < self.port_base:
            return None
        return (port - self.port_base) // PORT_BLOCK


def parse_mix(text: str, known: list[str]) -> tuple[tuple[str, float], ...]:
    """``"all"`` or ``"name[:weight],..."`` → ((name, weight), ...); names must be known."""
    text = (text or "all").strip()
    if text == "all":
        return tuple((n, 1.0) for n in known)
    out: list[tuple[str, float]] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        name, _, weight = part.partition(":")
        name = name.strip()
        if name not in known:
            raise PlanError(f"--profiles: unknown profile {name!r} (known: {', '.join(known)})")
        try:
            w = float(weight) if weight.strip() else 1.0
        except ValueError:
            raise PlanError(f"--profiles: weight {weight!r} of {name} is not a number") from None
        if w <= 0:
            raise PlanError(f"--profiles: weight of {name} must be positive")
        out.append((name, w))
    if not out:
        raise PlanError("--profiles: empty mix")
    return tuple(out)


def profile_for(mix: tuple[tuple[str, float], ...], i: int) -> str:
    """The profile of device ``i`` under ``mix`` (deterministic, proportional)."""
    total = sum(w for _, w in mix)
    cum = []
    acc = 0.0
    for _, w in mix:
        acc += w
        cum.append(acc)
    x = ((i + 1) * _GOLDEN) % 1.0 * total
    return mix[min(bisect.bisect_right(cum, x), len(mix) - 1)][0]


def split(devices: int, workers: int) -> list[range]:
    """Contiguous device index ranges, one per worker, sizes differing by at most one."""
    workers = max(1, min(workers, devices))
    q, r = divmod(devices, workers)
    out, start = [], 0
    for w in range(workers):
        n = q + (1 if w < r else 0)
        out.append(range(start, start + n))
        start += n
    return out
