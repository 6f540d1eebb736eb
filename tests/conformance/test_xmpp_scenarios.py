"""scenarios/xmpp_connection_request.yaml on the built-in target (a real prosody started by the
target): it passes on a conforming printer and FAILS against a defective one (quirk modes
``xmpp-cr-no-auth``, ``xmpp-cr-any-sender``); without prosody it is not applicable with the
reason."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from printbench.common import prosody
from printbench.conformance.engine import Engine
from printbench.conformance.scenario import default_dir, load_file
from printbench.conformance.steps.cpe import set_client_quirks
from printbench.conformance.targets import BuiltinTarget, load_target

from .conftest import base_address

FILE = default_dir() / "xmpp_connection_request.yaml"
needs_prosody = pytest.mark.skipif(
    prosody.unavailable_reason() is not None, reason=str(prosody.unavailable_reason())
)


@pytest.fixture
async def target(tmp_path: Path) -> AsyncIterator[BuiltinTarget]:
    t = load_target(
        None,
        tmp_path,
        {"profiles": ["mono-desktop-laser"], "via": ["embedded"], "base_address": base_address()},
    )
    await t.start()
    try:
        yield t  # type: ignore[misc]
    finally:
        await t.stop()


def by_id(run) -> dict[str, tuple[str, str]]:
    return {r.scenario: (r.status, r.message) for r in run.results}


@needs_prosody
async def test_xmpp_scenarios_pass_on_a_conforming_printer(target) -> None:
    dev = target.devices[0]
    assert "xmpp" in target.capabilities_for(dev), target.notes
    run = await Engine(target).run(load_file(FILE))
    got = by_id(run)
    assert set(got) == {"XMPP-001", "XMPP-002", "XMPP-003", "XMPP-004"}
    assert all(s == "passed" for s, _ in got.values()), got
    assert run.ok


@needs_prosody
@pytest.mark.parametrize(
    ("quirk", "failing"),
    [("xmpp-cr-no-auth", "XMPP-003"), ("xmpp-cr-any-sender", "XMPP-004")],
)
async def test_xmpp_scenarios_fail_against_a_defective_printer(target, quirk, failing) -> None:
    set_client_quirks(target.devices[0], frozenset({quirk}))
    scenarios = [sc for sc in load_file(FILE) if sc.id in ("XMPP-002", failing)]
    run = await Engine(target).run(scenarios)
    got = by_id(run)
    assert got["XMPP-002"][0] == "passed", got
    status, message = got[failing]
    assert status == "failed", got
    assert "accepted" in message or "xmpp-cr-refused" in message, message


async def test_without_prosody_the_scenarios_are_not_applicable(monkeypatch, tmp_path) -> None:
    """A machine without the package: every XMPP scenario is skipped and says why."""
    monkeypatch.setattr(prosody, "prosody_path", lambda: None)
    t = load_target(
        None,
        tmp_path,
        {"profiles": ["mono-desktop-laser"], "via": ["embedded"], "base_address": base_address()},
    )
    await t.start()
    try:
        run = await Engine(t).run(load_file(FILE))
    finally:
        await t.stop()
    for res in run.results:
        assert res.status == "skipped", (res.scenario, res.status)
        assert "prosody is not installed" in res.message, res.message
