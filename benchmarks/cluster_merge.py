"""What the cluster driver pays per poll round: one answer per host, merged.

Each host agent answers the driver's poll once a second with what it recorded since the last
one (``Recorder.to_wire``: HDR histograms per second and kind). This prints the size of one
such answer and the driver's CPU time to merge a round of them (``Recorder.merge_wire``), for
``--hosts`` hosts each completing ``--rate`` sessions per second: the driver-side line of the
capacity plan in docs/fleet.md.

    .venv/bin/python benchmarks/cluster_merge.py --hosts 50 --rate 500
"""

from __future__ import annotations

import argparse
import json
import random
import time

from printbench.loadtest.recorder import Recorder

KINDS = (["2 PERIODIC"], ["1 BOOT"], ["6 CONNECTION REQUEST"])


def answer(rng: random.Random, sessions: int, t: float) -> dict:
    rec = Recorder(t0=t)
    rec.add(0, [[t + rng.random(), rng.lognormvariate(-3, 0.8), 0.01, True, 0,
                 rng.choice(KINDS), "h"] for _ in range(sessions)])  # fmt: skip
    return rec.to_wire()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hosts", type=int, default=50)
    ap.add_argument("--rate", type=int, default=500, help="sessions per second per host")
    ap.add_argument("--rounds", type=int, default=10)
    args = ap.parse_args()
    rng = random.Random(1)
    answers = [answer(rng, args.rate, 1e6) for _ in range(args.hosts)]
    merged = Recorder(t0=1e6)
    t = time.process_time()
    for _ in range(args.rounds):
        for a in answers:
            merged.merge_wire(a)
    cpu = (time.process_time() - t) / args.rounds
    print(f"{args.hosts} hosts at {args.rate} sessions/s: {len(json.dumps(answers[0]))} bytes per "
          f"host answer, {cpu * 1000:.1f} ms of driver CPU per poll round "
          f"({cpu * 100:.1f} % of one core at one round per second)")


if __name__ == "__main__":
    main()
