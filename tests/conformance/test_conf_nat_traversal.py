"""scenarios/nat_traversal.yaml on a small built-in target (one printer, embedded client):
passes on a good CPE; NAT-002 and NAT-003 fail against a CPE with the matching defect."""

from __future__ import annotations

import pytest

from printbench.conformance.engine import Engine
from printbench.conformance.scenario import default_dir, load_all


def nat_scenarios() -> list:
    return [sc for sc in load_all([default_dir()]) if sc.area == "nat-traversal"]


async def test_nat_traversal_passes_on_a_good_cpe(small_target) -> None:
    run = await Engine(small_target).run(nat_scenarios())
    status = {r.scenario: r.status for r in run.results}
    assert status == dict.fromkeys(
        ("NAT-000", "NAT-001", "NAT-002", "NAT-003", "NAT-004"), "passed"
    ), [r.message for r in run.results]


@pytest.mark.parametrize(
    "quirk, failing",
    [
        ("udp-cr-no-signature-check", "NAT-002"),
        ("udp-cr-no-replay-check", "NAT-003"),
        ("stun-keepalive-too-slow", "NAT-004"),
    ],
)
async def test_nat_traversal_fails_against_a_defective_cpe(small_target, quirk, failing) -> None:
    client = small_target.devices[0].client
    client.cpe.quirks = client.cpe.quirks | {quirk}
    scenarios = [sc for sc in nat_scenarios() if sc.id in ("NAT-001", failing)]
    run = await Engine(small_target).run(scenarios)
    status = {r.scenario: r.status for r in run.results}
    assert status == {"NAT-001": "passed", failing: "failed"}
    (res,) = [r for r in run.results if r.scenario == failing]
    assert ("must ignore it" if failing != "NAT-004" else "max_interval") in res.message


async def test_nat_001_fails_without_connection_request_binding(small_target) -> None:
    client = small_target.devices[0].client
    client.cpe.quirks = client.cpe.quirks | {"stun-no-connection-request-binding"}
    run = await Engine(small_target).run([sc for sc in nat_scenarios() if sc.id == "NAT-001"])
    (res,) = run.results
    assert res.status == "failed" and "CONNECTION-REQUEST-BINDING" in res.message


async def test_nat_traversal_on_printers_running_at_once(tmp_path) -> None:
    """Devices run their scenarios concurrently: all must share one STUN server (two started
    at once used to leave one printer's NAT pointing at a server the ACS no longer read)."""
    from printbench.conformance.targets import load_target

    from .conftest import base_address

    target = load_target(None, tmp_path, {"profiles": ["mono-desktop-laser", "color-laser-mfp",
                                                       "inkjet-office"],
                                          "via": ["embedded"], "base_address": base_address()})  # fmt: skip
    await target.start()
    try:
        run = await Engine(target).run([sc for sc in nat_scenarios() if sc.id == "NAT-001"])
        assert [r.status for r in run.results] == ["passed"] * 3, [r.message for r in run.results]
    finally:
        await target.stop()
