"""Import fidelity: how much of a real printer's recording the emulated printer walks back.

    .venv/bin/python benchmarks/import_fidelity.py [RECORDING ...] [--diff]

For each recording (default: every ``tests/data/recordings/*.snmprec``): ``printbench profile
import`` it (once as is, once with ``--keep-identity``), start the printer's SNMP face on a
loopback address, walk it with net-snmp (``snmpwalk -v2c -On -Ox -Ot``, a real peer) and count
the recording's rows that come back identical (OID, type, value) under SNMPv2-MIB system (less
sysUpTime), HOST-RESOURCES hrDevice/hrPrinter, IF-MIB ifPhysAddress and the Printer MIB
(``emulator.snmp.recording.FIDELITY_SUBTREES``). Without ``--keep-identity`` the identity
objects (sysContact/Name/Location, ifPhysAddress, prtGeneralPrinterName/SerialNumber) are left
out: every unit then has its own. ``--diff`` prints the rows that differ.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from printbench.common.clock import FakeClock
from printbench.emulator.device import Ports, VirtualPrinter
from printbench.emulator.profile_import import import_walk
from printbench.emulator.profiles import parse_profile
from printbench.emulator.snmp import recording as rec

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "recordings"


def recorded_rows(path: Path) -> list[tuple[rec.OID, object]]:
    """The rows of an snmprec file that can be read (a corrupt row is not counted)."""
    rows = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.strip() and not line.startswith("#"):
            try:
                rows.append(rec.parse_row(line))
            except rec.RowError:
                continue
    return rows


async def snmpwalk(target: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        "snmpwalk", "-v2c", "-c", "public", "-On", "-Ox", "-Ot", "-t", "5", "-r", "1",
        target, ".1.3.6.1",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "MIBS": "", "SNMPCONFPATH": "/nonexistent"},
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    if proc.returncode:
        raise RuntimeError(f"snmpwalk {target} failed: {err.decode(errors='replace')}")
    return out.decode("utf-8", errors="replace")


async def measure(path: Path, *, keep_identity: bool, host: str) -> rec.Fidelity:
    """Import ``path``, serve it on ``host`` and compare a net-snmp walk with the recording."""
    text = import_walk(path, keep_identity=keep_identity)
    profile = parse_profile(text, source=f"<import of {path.name}>")
    printer = VirtualPrinter(profile, host=host, clock=FakeClock(), ports=Ports.ephemeral())
    await printer.start(faces=("snmp",), drive=False)
    try:
        target = printer.endpoints["snmp"].removeprefix("udp://")
        walked = rec.parse_net_snmp_walk(await snmpwalk(target))
    finally:
        await printer.stop()
    return rec.fidelity(recorded_rows(path), walked, keep_identity=keep_identity)


def _show(value: object) -> str:
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], bytes):
        raw = value[1]
        try:
            return f"{value[0]} {raw.decode('utf-8')!r}"
        except UnicodeDecodeError:
            return f"{value[0]} 0x{raw.hex()}"
    return str(value)


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("recordings", nargs="*", type=Path)
    parser.add_argument("--diff", action="store_true", help="print the rows that differ")
    parser.add_argument("--host", default="127.20.251.1")
    args = parser.parse_args(argv)
    paths = args.recordings or sorted(CORPUS.glob("*.snmprec"))
    print(f"{'recording':32} {'default':>18} {'--keep-identity':>18}")
    totals = {False: [0, 0], True: [0, 0]}
    for path in paths:
        cells = []
        for keep in (False, True):
            result = await measure(path, keep_identity=keep, host=args.host)
            totals[keep][0] += result.identical
            totals[keep][1] += result.total
            cells.append(f"{result.identical}/{result.total} {100 * result.ratio:5.1f} %")
            if args.diff and result.differences:
                for oid, want, got in result.differences:
                    label = "keep" if keep else "default"
                    print(f"  [{label}] .{'.'.join(map(str, oid))}: recorded {_show(want)}, "
                          f"served {_show(got) if got else 'nothing'}")  # fmt: skip
        print(f"{path.name:32} {cells[0]:>18} {cells[1]:>18}")
    overall = [f"{i}/{t} {100 * i / t if t else 100:5.1f} %" for i, t in totals.values()]
    print(f"{'all':32} {overall[0]:>18} {overall[1]:>18}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
