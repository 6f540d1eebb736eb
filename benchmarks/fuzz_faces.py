"""The face fuzzers of tests/fuzz/ for longer, with any seed: every face of one colour MFP
and of the stub ACS, ``--cases`` mutated inputs each, one summary line per face (inputs,
probes answered, outcomes, problems) and the first problems found:

    .venv/bin/python benchmarks/fuzz_faces.py --cases 20000 --seed 1
    .venv/bin/python benchmarks/fuzz_faces.py --faces ipp,snmp --cases 100000 --seed 7

Exit status 1 if any face had a problem (see printbench.loadtest.fuzz for what is checked).
Addresses 127.118.x.y.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FACES = ("ipp", "snmp", "ews", "printer-control", "printer-actions", "connection-request",
         "cwmp-cpe", "acs-cwmp", "acs-control")  # fmt: skip
INFORM = Path(__file__).resolve().parent.parent / "tests" / "acs" / "data" / "inform-curl.xml"


async def run(faces: list[str], cases: int, seed: int) -> int:
    from printbench.acs_stub.control import AcsControl
    from printbench.acs_stub.server import AcsConfig
    from printbench.common.httpguard import HttpTimeouts
    from printbench.emulator.device import Ports, VirtualPrinter
    from printbench.loadtest import fuzz, fuzzseeds

    acs = await AcsControl.start(AcsConfig(host="127.118.1.1", port=0, control_port=0,
                                           journal_dir=Path(tempfile.mkdtemp())))  # fmt: skip
    vol = fuzzseeds.VOLATILE_STATE
    h = "127.118.0.1"
    vp: VirtualPrinter | None = None

    def port(url: str) -> int:
        p = urlsplit(url.replace("udp://", "http://").replace("ipp://", "http://")).port
        assert p is not None
        return p

    failed = 0
    try:
        for name in faces:
            # a fresh printer per face: jobs one face's inputs created must not time out
            # (a state change, log lines) while the next face is fuzzed
            if vp is not None:
                await vp.stop()
            vp = VirtualPrinter("color-laser-mfp", host=h, ports=Ports.ephemeral(),
                                http_timeouts=HttpTimeouts(head=2.0, body=2.0))  # fmt: skip
            await vp.start(faces=("snmp", "ipp", "ews", "control", "tr069"), drive=False)
            snap = lambda vp=vp: dict(vp.state.walk())  # noqa: E731
            t0 = time.monotonic()
            if name == "snmp":
                report = await fuzz.fuzz_snmp(h, port(vp.endpoints["snmp"]),
                                              fuzzseeds.snmp_seeds(), fuzzseeds.snmp_probe(),
                                              cases, seed, snapshot=snap, ignore_state=vol)  # fmt: skip
            elif name == "cwmp-cpe":
                assert vp.tr069 is not None
                vp.state.management.periodic_inform_enable = False
                report = await fuzz.fuzz_cpe(
                    vp.tr069.cpe, lambda u, vp=vp: setattr(vp.state.management, "acs_url", u),
                    fuzzseeds.cwmp_rpc_seeds(), cases, seed, host="127.118.2.1",
                    snapshot=snap, ignore_state=vol,
                )  # fmt: skip
            else:
                if name == "ipp":
                    face = fuzzseeds.ipp_face(h, port(vp.endpoints["ipp"]), snap)
                elif name == "ews":
                    face = fuzzseeds.ews_face(h, port(vp.endpoints["ews"]), snap)
                elif name == "printer-control":
                    face = fuzzseeds.printer_control_face(h, port(vp.endpoints["control"]), snap)
                elif name == "printer-actions":
                    face = fuzzseeds.printer_actions_face(h, port(vp.endpoints["control"]))
                elif name == "connection-request":
                    u = urlsplit(vp.endpoints["tr069"])
                    face = fuzzseeds.connreq_face(h, port(vp.endpoints["tr069"]), u.path)
                    face.snapshot, face.ignore_state = snap, vol
                elif name == "acs-cwmp":
                    u = urlsplit(acs.server.cwmp_url)
                    face = fuzzseeds.acs_cwmp_face(str(u.hostname), port(acs.server.cwmp_url),
                                                   INFORM.read_bytes())  # fmt: skip
                else:
                    u = urlsplit(acs.server.control_url)
                    face = fuzzseeds.acs_control_face(str(u.hostname),
                                                      port(acs.server.control_url),
                                                      "00CAFE-CurlPrinter-CURL0001")  # fmt: skip
                report = await fuzz.fuzz_http(face, cases, seed)
            print(f"{report.line()} ({time.monotonic() - t0:.0f} s)", flush=True)
            for p in report.problems[:10]:
                print(f"    {p}")
            failed += bool(report.problems)
    finally:
        await acs.stop()
        if vp is not None:
            await vp.stop()
    return 1 if failed else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--faces", default=",".join(FACES), help=f"comma list of {', '.join(FACES)}")
    args = ap.parse_args()
    faces = [f for f in args.faces.split(",") if f]
    unknown = set(faces) - set(FACES)
    if unknown:
        ap.error(f"unknown faces: {', '.join(sorted(unknown))}")
    sys.exit(asyncio.run(run(faces, args.cases, args.seed)))


if __name__ == "__main__":
    main()
