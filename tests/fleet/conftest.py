"""Fixtures for the fleet tests: the stub ACS in this process, addresses in 127.100.0.0/16."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from printbench.acs_stub.control import AcsControl
from printbench.acs_stub.server import AcsConfig


@pytest.fixture
async def acs() -> AsyncIterator[AcsControl]:
    ctl = await AcsControl.start(
        AcsConfig(host="127.0.0.1", port=0, control_port=0, journal_file=False)
    )
    try:
        yield ctl
    finally:
        await ctl.stop()
