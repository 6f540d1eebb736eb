"""Helpers shared by the SNMP tests: a printer on a fake clock, loopback addresses in
127.20.0.0/16, and running net-snmp's real tools without blocking the agent's event loop."""

from __future__ import annotations

import asyncio
import itertools
import os
from dataclasses import dataclass
from typing import Any

from printbench.common.clock import FakeClock
from printbench.emulator.behaviour import PrinterEngine
from printbench.emulator.profiles import build_printer
from printbench.emulator.snmp.agent import SnmpAgent
from printbench.emulator.snmp.mib import MibDevice
from printbench.snmp import ber

_HOSTS = itertools.count(1)


@dataclass
class Device:
    state: Any
    engine: PrinterEngine
    clock: FakeClock


def make_device(seed: int = 1) -> Device:
    clock = FakeClock()
    state = build_printer("color-laser-mfp", seed=seed, clock=clock)
    return Device(state, PrinterEngine(state, clock, seed=seed), clock)


def next_host() -> str:
    """A loopback address no other test (of this worker) uses."""
    n = next(_HOSTS) + (os.getpid() % 200) * 250
    return f"127.20.{n // 250 % 256}.{n % 250 + 1}"


@dataclass
class Served:
    agent: SnmpAgent
    device: Device
    host: str
    port: int

    @property
    def target(self) -> str:
        return f"{self.host}:{self.port}"


V3 = [
    "-v3",
    "-u",
    "admin",
    "-l",
    "authPriv",
    "-a",
    "SHA",
    "-A",
    "authpassword",
    "-x",
    "AES",
    "-X",
    "privpassword",
]


async def run(*args: str, timeout: float = 30) -> tuple[int, str, str]:
    """Run a net-snmp tool; (exit status, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "MIBS": "", "SNMPCONFPATH": "/nonexistent"},
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode or 0, out.decode(errors="replace"), err.decode(errors="replace")


def parse_numeric_walk(text: str) -> list[tuple[tuple[int, ...], str]]:
    """``snmpwalk -On -Ox -Ot`` output → [(oid, normalised value text)], continuation lines
    (net-snmp wraps long hex strings) joined."""
    entries: list[list[str]] = []
    for line in text.splitlines():
        if line.startswith("."):
            entries.append([line])
        elif entries and line.strip() and line.strip() != "End of MIB":
            entries[-1].append(line)
    out = []
    for parts in entries:
        oid_text, _, value = " ".join(parts).partition(" = ")
        out.append((ber.parse_oid(oid_text), " ".join(value.split())))
    return out


def net_snmp_text(value: ber.Value) -> str:
    """How ``-On -Ox -Ot`` prints one of our values (normalised whitespace)."""
    tag, v = value
    if tag == ber.INTEGER:
        return f"INTEGER: {v}"
    if tag == ber.OCTET_STRING:
        return "Hex-STRING: " + " ".join(f"{b:02X}" for b in v) if v else '""'  # type: ignore[union-attr]
    if tag == ber.OBJECT_IDENTIFIER:
        return "OID: ." + ber.format_oid(v)  # type: ignore[arg-type]
    if tag == ber.COUNTER32:
        return f"Counter32: {v}"
    if tag == ber.GAUGE32:
        return f"Gauge32: {v}"
    if tag == ber.TIMETICKS:
        return str(v)
    raise AssertionError(f"unexpected tag {tag:#x}")


def view_as_text(m: MibDevice) -> list[tuple[tuple[int, ...], str]]:
    return [(oid, net_snmp_text(v)) for oid, v in m.walk()]
