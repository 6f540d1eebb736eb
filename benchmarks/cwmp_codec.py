"""CWMP SOAP codec throughput on one core: encodes/s, decodes/s and round trips/s.

Two messages: an Inform with 20 parameters (the per-session hot path of every CPE and
ACS) and a GetParameterValuesResponse with 200 parameters (a large, typical answer).

    .venv/bin/python benchmarks/cwmp_codec.py [--seconds 1.0]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from printbench.cwmp import messages as m
from printbench.cwmp import soap


def inform_20() -> m.Envelope:
    params = tuple(
        m.ParameterValueStruct(
            f"Device.Services.PrintService.1.Marker.{i}.Level", str(50 + i), "xsd:unsignedInt"
        )
        for i in range(20)
    )
    body = m.Inform(
        m.DeviceIdStruct("ACME", "00D0B7", "LaserJet 9000", "SN0001"),
        (m.EventStruct("2 PERIODIC"), m.EventStruct("4 VALUE CHANGE")),
        1,
        datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
        0,
        params,
    )
    return m.Envelope(body, id="1", session_timeout=30)


def gpv_response_200() -> m.Envelope:
    params = tuple(
        m.ParameterValueStruct(
            f"Device.DeviceInfo.X_ACME_Counter.{i}.Value", str(i * 7), "xsd:string"
        )
        for i in range(200)
    )
    return m.Envelope(m.GetParameterValuesResponse(params), id="acs-17")


def rate(fn: Callable[[], object], seconds: float) -> float:
    fn()  # warm up (plans compiled, parser created)
    n, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(50):
            fn()
        n += 50
        now = time.perf_counter()
        if now >= deadline:
            return n / (now - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    args = parser.parse_args()
    print(f"{'message':32} {'bytes':>7} {'encodes/s':>11} {'decodes/s':>11} {'round trips/s':>14}")
    for name, envelope in (
        ("Inform, 20 parameters", inform_20()),
        ("GetParameterValuesResponse, 200", gpv_response_200()),
    ):
        data = soap.encode(envelope)
        assert soap.decode(data) == envelope
        enc = rate(lambda e=envelope: soap.encode(e), args.seconds)
        dec = rate(lambda d=data: soap.decode(d), args.seconds)
        rt = rate(lambda e=envelope: soap.decode(soap.encode(e)), args.seconds)
        print(f"{name:32} {len(data):>7} {enc:>11,.0f} {dec:>11,.0f} {rt:>14,.0f}")


if __name__ == "__main__":
    main()
