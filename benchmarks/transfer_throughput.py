"""Firmware Download throughput and worker memory across a fleet: 1, 10, 100 at once.

Starts the stub ACS in this process (its file server sends the image from disk with
sendfile, so it holds none of it), writes one firmware image of ``--size-mb`` MB, starts a
fleet of colour MFPs (``--devices``, over ``--workers`` processes) and lets the start-up
sessions drain. Then, for each concurrency in ``--concurrency`` (default 1, 10, 100), it
queues a Download of the image for that many printers, sends them Connection Requests at
once and waits until every one has sent its TransferComplete (a firmware image is complete
after the printer's reboot, so it rides the ``1 BOOT`` Inform) and reports the new
SoftwareVersion. It prints per round:

* the aggregate MB/s (bytes delivered / wall time from the Connection Requests to the last
  TransferComplete), which includes each printer's checks (SHA-256 on the way and of the
  payload) and its reboot session;
* the peak RSS growth of each fleet worker during the round (VmHWM after, reset through
  /proc/PID/clear_refs before, minus VmRSS before), the largest of them and the sum;
* how many transfers ended with FaultCode 0 and reported the new version.

    .venv/bin/python benchmarks/transfer_throughput.py [--size-mb 64] [--devices 100]
        [--workers 2] [--concurrency 1,10,100]

A 64 MB image times 100 printers is 6.4 GB through loopback and 12.8 GB of hashing: on a
shared 2-core machine run it with a smaller ``--size-mb``, and say so with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from printbench.emulator.device import Ports

BENCH_PORTS = Ports(snmp=1161, ipp=29631, ews=29080, control=29081, cwmp=29547)
PROFILE = "color-laser-mfp"
FIRMWARE = "1 Firmware Upgrade Image"


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _reset_peak(pid: int) -> int:
    """Reset the process's VmHWM to its current RSS; return that RSS (kB)."""
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    return _status_kb(pid, "VmRSS")


def _transfer_completes(acs, keys: set[str]) -> dict[str, int]:
    from printbench.cwmp import soap

    out: dict[str, int] = {}
    for e in acs.journal():
        if e.get("method") != "TransferComplete" or e.get("direction") != "cpe->acs":
            continue
        tc = soap.decode(e["body"].encode()).body
        if tc.command_key in keys:
            out[tc.command_key] = tc.fault_struct.fault_code
    return out


async def one_round(acs, sup, records: list[dict], url: str, size: int, version: str,
                    tag: str) -> dict:  # fmt: skip
    """Download the image on every printer of ``records`` at once; measure it."""
    from printbench.cwmp import messages as m

    pids = [w.proc.pid for w in sup.workers if w.proc is not None]
    keys: dict[str, str] = {}
    for i, r in enumerate(records):
        dev = r["device_id"]
        acs.set_connection_request(dev, username=r["cr_username"], password=r["cr_password"])
        key = f"{tag}-{i}"
        keys[key] = dev
        acs.enqueue(dev, m.Download(key, FIRMWARE, url, file_size=size))
    base = {pid: _reset_peak(pid) for pid in pids}
    t0 = time.monotonic()
    await asyncio.gather(*(acs.connection_request(d, timeout=120) for d in keys.values()))
    done: dict[str, int] = {}
    while len(done) < len(keys) and time.monotonic() - t0 < 1800:
        await asyncio.sleep(0.2)
        done = _transfer_completes(acs, set(keys))
    elapsed = time.monotonic() - t0
    growth = {pid: _status_kb(pid, "VmHWM") - base[pid] for pid in pids}
    reported = 0
    for dev in keys.values():
        params = acs.device(dev).params
        if params.get("Device.DeviceInfo.SoftwareVersion") == version:
            reported += 1
    ok = sum(1 for code in done.values() if code == 0)
    return {
        "n": len(keys),
        "seconds": elapsed,
        "mb_s": len(keys) * size / 1e6 / elapsed,
        "ok": ok,
        "finished": len(done),
        "reported": reported,
        "rss_growth_max_mb": max(growth.values()) / 1024 if growth else 0.0,
        "rss_growth_sum_mb": sum(growth.values()) / 1024,
        "rss_mb": sum(_status_kb(pid, "VmRSS") for pid in pids) / 1024,
    }


async def run(size_mb: float, devices: int, workers: int, rounds: list[int]) -> None:
    from printbench.acs_stub.control import AcsControl
    from printbench.acs_stub.server import AcsConfig
    from printbench.emulator.fleet.plan import Layout
    from printbench.emulator.fleet.workers import Supervisor, SupervisorConfig
    from printbench.emulator.profiles import load_profile
    from printbench.emulator.tr069.transfers import write_firmware

    size = int(size_mb * 1_000_000)
    tmp = Path(tempfile.mkdtemp(prefix="transfer-bench-"))
    pc = load_profile(PROFILE).data["identity"]["product_class"]
    acs = await AcsControl.start(AcsConfig(
        host="127.0.0.1", port=0, control_port=0, journal_file=False, xsd_checks=False,
        verdicts=False, session_timeout=600,
    ))  # fmt: skip
    cfg = SupervisorConfig(
        devices=devices, workers=workers, layout=Layout("127.103.0.1", BENCH_PORTS),
        mix=((PROFILE, 1.0),), acs_url=acs.server.cwmp_url, listen="wildcard",
        state_dir=tmp / "state", api_port=-1,
    )  # fmt: skip
    sup = Supervisor(cfg)
    try:
        await sup.start()
        t0 = time.monotonic()
        while sup.totals()["sessions_ok"] < devices and time.monotonic() - t0 < 300:
            await asyncio.sleep(0.5)
        records = sup.inventory()
        print(f"{devices} {PROFILE} printers on {len(sup.workers)} workers, start-up sessions "
              f"done; image {size / 1e6:.0f} MB")  # fmt: skip
        for n in rounds:
            n = min(n, len(records))
            version = f"9.{n}.{int(size_mb)}"
            image = write_firmware(tmp / f"fw-{n}.bin", pc, version, size)
            acs.server.files.add(image.name, image)
            r = await one_round(acs, sup, records[:n], acs.file_url(image.name), size,
                                version, f"r{n}")  # fmt: skip
            image.unlink()
            print(f"{r['n']:>4} concurrent x {size / 1e6:.0f} MB: {r['mb_s']:8.1f} MB/s "
                  f"({r['seconds']:.1f} s), {r['ok']}/{r['n']} FaultCode 0, "
                  f"{r['reported']}/{r['n']} report the new SoftwareVersion; worker peak RSS "
                  f"growth max {r['rss_growth_max_mb']:.1f} MB, sum "
                  f"{r['rss_growth_sum_mb']:.1f} MB (workers now {r['rss_mb']:.0f} MB)")  # fmt: skip
    finally:
        await sup.stop()
        await acs.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mb", type=float, default=64.0)
    ap.add_argument("--devices", type=int, default=100)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--concurrency", default="1,10,100")
    args = ap.parse_args()
    rounds = [int(x) for x in args.concurrency.split(",") if x.strip()]
    asyncio.run(run(args.size_mb, max(args.devices, max(rounds)), args.workers, rounds))


if __name__ == "__main__":
    main()
