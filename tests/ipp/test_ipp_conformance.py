"""CUPS's ipptool conformance suites, every built-in profile × every suite.

A profile that claims IPP Everywhere (``ipp.everywhere: true``) must run ``ipp-1.1``,
``ipp-2.0``, ``ipp-2.1``, ``ipp-2.2`` and ``ipp-everywhere`` with zero failures (PWG 5100.14
§5, PWG 5100.12 §6); one that does not must not advertise ``ipp-features-supported
ipp-everywhere`` and still runs the IPP/1.1 and IPP/2.0 suites clean. ipptool's exit code and
``[PASS]/[FAIL]/[SKIP]`` lines are parsed (``test_ipp_ipptool.ipptool``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from printbench.common.clock import SystemClock
from printbench.emulator.behaviour import PrinterEngine
from printbench.emulator.profiles import build_printer, list_profiles
from tests.ipp.conftest import Device
from tests.ipp.test_ipp_ipptool import ipptool

pytestmark = pytest.mark.interop

SUITES = {
    "ipp-1.1.test": ("-V", "1.1"),
    "ipp-2.0.test": ("-V", "2.0"),
    "ipp-2.1.test": ("-V", "2.1"),
    "ipp-2.2.test": ("-V", "2.2"),
    "ipp-everywhere.test": ("-V", "2.0"),
}
BASIC = ("ipp-1.1.test", "ipp-2.0.test")


def _device(profile: str, host: str) -> Device:
    clock = SystemClock()
    state = build_printer(profile, seed=3, clock=clock, host=host)
    return Device(state, PrinterEngine(state, clock, seed=3, speed=200.0), clock)


def _claims_everywhere(profile: str) -> bool:
    return bool(build_printer(profile, seed=0, clock=SystemClock()).ipp.everywhere)


CASES = [
    (profile, suite)
    for profile in list_profiles()
    for suite in SUITES
    if suite in BASIC or _claims_everywhere(profile)
]


@pytest.mark.parametrize(("profile", "suite"), CASES)
async def test_ipp_conformance_suite_zero_failures(
    profile: str, suite: str, ipp_serve, ipp_workdir: Path
) -> None:
    host = "127.30.1.1"
    async with ipp_serve({host: _device(profile, host)}) as server:
        run = await ipptool(
            ipp_workdir,
            *SUITES[suite],
            "-t",
            "-f",
            "document-a4.pdf",
            server.uri(host),
            suite,
            timeout=240,
        )
    tally = {v: len(run.names(v)) for v in ("PASS", "FAIL", "SKIP")}
    # the figures docs/ipp.md quotes: pytest -s tests/ipp/test_ipp_conformance.py
    print(f"\nipptool {profile} {suite}: {len(run.results)} tests, {tally}")
    assert run.results, run.output[-2000:]
    assert not run.names("FAIL") and run.returncode == 0, run.failure_report()
    assert run.names("PASS"), run.output[-2000:]


@pytest.mark.parametrize("profile", list_profiles())
async def test_ipp_everywhere_claim_follows_profile(profile: str, ipp_serve, ipp_call, ipp_request):
    """ipp-features-supported names ipp-everywhere exactly when the profile claims it."""
    host = "127.30.1.2"
    device = _device(profile, host)
    async with ipp_serve({host: device}) as server:
        msg = ipp_request(
            0x000B, server.uri(host), ("requested-attributes", 0x44, ["ipp-features-supported"])
        )
        resp = await ipp_call(server, msg, host=host)
    attrs = {a.name: a for g in resp.groups for a in g.attributes}
    features = attrs["ipp-features-supported"].values if "ipp-features-supported" in attrs else []
    assert ("ipp-everywhere" in features) == bool(device.state.ipp.everywhere), features
