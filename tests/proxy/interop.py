"""Third-party servers for the proxy's interop tests: CUPS ippeveprinter and snmpsim.

Neither was written here, so a mistake the proxy's clients share with the emulator (the IPP
codec, the BER of the SNMP agent) cannot hide behind them.

**ippeveprinter** (Debian cups-ipp-utils) needs a D-Bus system bus for DNS-SD even with
``-r off`` ("Unable to initialize DNS-SD"); it gets a private one, as in
``benchmarks/ipp_vs_ippeveprinter.py``.

**snmpsim** 1.2.2 (pip, the ``bench`` extra) failed here with "no dbm clone found; tried
['dbm.gnu', 'dbm.ndbm', 'dbm.dumb']" while building its index. Cause, found by running it: as
root it refuses to run without ``--process-user/--process-group`` and then drops to that user
*before* it builds the index; this machine's Python (pyenv, under ``/root``, mode 0700) has no
``_gdbm``/``_dbm``, and ``dbm.dumb``, importable as root, cannot be imported once the process is
``nobody`` (nor can ``encodings.latin_1``, the next lazy import). So the index fails, not the
recording (the same finding as /work/shared/reference/snmp.md §2.2 #2;
``benchmarks/snmp_vs_snmpsim.py`` pre-imports those modules instead). Fix in our set-up: as root,
``SNMPSIM_ALLOW_ROOT=true`` (snmpsim ``daemon.py``: no privilege drop at all); as any other user
nothing is needed.

snmpsim does not abort on a corrupt row at start: it answers, but a GETNEXT/GETBULK that lands on
a row whose value does not parse ("value evaluation error for tag '65', value '6git3159'")
answers endOfMibView, so every walk stops there. :func:`clean_snmprec` drops such rows first
and names each as ``file:line``.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import re
import shutil
import socket
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

DBUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={sock}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/> <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/> <allow receive_sender="*"/>
  </policy>
</busconfig>
"""


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tool(name: str) -> str | None:
    return shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.path.exists(p)), None
    )


async def _stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 5)
        except TimeoutError:
            proc.kill()
            await proc.wait()


@dataclass
class Ipp:
    uri: str
    port: int


@contextlib.asynccontextmanager
async def ippeveprinter(*args: str) -> AsyncIterator[Ipp]:
    """CUPS ippeveprinter on 127.0.0.1:<free port> with a private system bus."""
    exe, dbus = tool("ippeveprinter"), tool("dbus-daemon")
    if exe is None or dbus is None:
        raise RuntimeError(
            "ippeveprinter/dbus-daemon missing (./dev setup installs cups-ipp-utils)"
        )
    with tempfile.TemporaryDirectory(prefix="ippeve-") as rundir:
        sock = Path(rundir) / "bus.sock"
        conf = Path(rundir) / "bus.conf"
        conf.write_text(DBUS_CONF.format(sock=sock))
        (Path(rundir) / "spool").mkdir()
        procs = [
            await asyncio.create_subprocess_exec(
                dbus, f"--config-file={conf}", "--nofork",
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            )
        ]  # fmt: skip
        try:
            for _ in range(200):
                if sock.exists():
                    break
                await asyncio.sleep(0.02)
            port = free_port()
            env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=f"unix:path={sock}")
            procs.append(
                await asyncio.create_subprocess_exec(
                    exe, "-r", "off", "-n", "localhost", "-p", str(port),
                    "-d", str(Path(rundir) / "spool"), *args,
                    env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
                )
            )  # fmt: skip
            for _ in range(300):
                with contextlib.suppress(OSError):
                    _, w = await asyncio.open_connection("127.0.0.1", port)
                    w.close()
                    break
                if procs[-1].returncode is not None:
                    err = await procs[-1].stderr.read() if procs[-1].stderr else b""
                    raise RuntimeError(f"ippeveprinter exited: {err.decode(errors='replace')}")
                await asyncio.sleep(0.05)
            yield Ipp(f"ipp://127.0.0.1:{port}/ipp/print", port)
        finally:
            for p in reversed(procs):
                await _stop(p)


# -- snmpsim ------------------------------------------------------------------------------------

#: snmprec type tags (snmpsim's grammar) and what a valid value looks like
_TAG_RULES: dict[str, re.Pattern[str]] = {
    "2": re.compile(r"-?\d+"),  # INTEGER
    "4": re.compile(r".*", re.S),  # OCTET STRING
    "4x": re.compile(r"([0-9A-Fa-f]{2})*"),
    "5": re.compile(r""),  # NULL
    "6": re.compile(r"\d+(\.\d+)*"),  # OBJECT IDENTIFIER
    "64": re.compile(r"\d+\.\d+\.\d+\.\d+"),  # IpAddress
    "64x": re.compile(r"[0-9A-Fa-f]{8}"),
    "65": re.compile(r"\d+"),  # Counter32
    "66": re.compile(r"\d+"),  # Gauge32
    "67": re.compile(r"\d+"),  # TimeTicks
    "68": re.compile(r".*", re.S),  # Opaque
    "70": re.compile(r"\d+"),  # Counter64
}
_UNSIGNED_MAX = {"65": 2**32 - 1, "66": 2**32 - 1, "67": 2**32 - 1, "70": 2**64 - 1}


def clean_snmprec(src: Path, dst: Path) -> list[str]:
    """Copy ``src`` to ``dst`` without the rows snmpsim cannot serve; one warning per row dropped.

    A row is ``OID|TAG|VALUE`` (the tag may carry a variation module, ``4:writecache``). Rows
    whose OID, tag or value does not parse are dropped and named ``file:line: why``.
    """
    warnings: list[str] = []
    out: list[str] = []
    for n, line in enumerate(src.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("|", 2)
        why = ""
        if len(parts) != 3:
            why = "expected OID|TAG|VALUE"
        else:
            oid, tag, value = parts
            base = tag.split(":", 1)[0]
            if not re.fullmatch(r"\d+(\.\d+)+", oid):
                why = f"{oid!r} is not a numeric OID"
            elif base not in _TAG_RULES:
                why = f"unknown type tag {tag!r}"
            elif ":" not in tag and not _TAG_RULES[base].fullmatch(value):
                why = f"value {value!r} is not valid for tag {base}"
            elif base in _UNSIGNED_MAX and ":" not in tag and int(value) > _UNSIGNED_MAX[base]:
                why = f"value {value} is out of range for tag {base}"
            elif base == "64" and ":" not in tag:
                try:
                    ipaddress.IPv4Address(value)
                except ValueError:
                    why = f"value {value!r} is not an IPv4 address"
        if why:
            warnings.append(f"{src}:{n}: {why}; row skipped")
            continue
        out.append(line)
    dst.write_text("\n".join(out) + "\n", encoding="utf-8")
    return warnings


@dataclass
class Agent:
    host: str
    port: int
    community: str
    warnings: list[str]


@contextlib.asynccontextmanager
async def snmpsim(recording: Path, community: str = "public") -> AsyncIterator[Agent]:
    """snmpsim-command-responder serving ``recording`` (cleaned) on 127.0.0.1:<free UDP port>."""
    exe = Path(sys.executable).with_name("snmpsim-command-responder")
    if not exe.exists():
        raise RuntimeError("snmpsim is not installed (pip install -e '.[bench]')")
    with tempfile.TemporaryDirectory(prefix="snmpsim-") as rundir:
        data = Path(rundir) / "data"
        data.mkdir()
        warnings = clean_snmprec(recording, data / f"{community}.snmprec")
        port = free_port(socket.SOCK_DGRAM)
        cmd = [
            str(exe), f"--data-dir={data}", f"--cache-dir={Path(rundir) / 'cache'}",
            f"--agent-udpv4-endpoint=127.0.0.1:{port}",
        ]  # fmt: skip
        # see the module docstring: as root, dropping to nobody breaks the index
        env = dict(os.environ, SNMPSIM_ALLOW_ROOT="true")
        proc = await asyncio.create_subprocess_exec(
            *cmd, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
        )
        try:
            for _ in range(100):  # ready when it answers sysObjectID
                probe = await asyncio.create_subprocess_exec(
                    "snmpget", "-v2c", "-c", community, "-t", "0.3", "-r", "0",
                    f"127.0.0.1:{port}", "1.3.6.1.2.1.1.2.0",
                    stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
                )  # fmt: skip
                if await probe.wait() == 0:
                    break
                if proc.returncode is not None:
                    raise RuntimeError(f"snmpsim exited with {proc.returncode}")
            else:
                raise RuntimeError("snmpsim did not answer within 30 s")
            yield Agent("127.0.0.1", port, community, warnings)
        finally:
            await _stop(proc)
