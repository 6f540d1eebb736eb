"""PRINTBENCH_EVENT_LOOP picks the event loop of fleet workers and the load run's stub ACS."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest

PROBE = ("from printbench.common.eventloop import install_from_env; import asyncio; "
         "print(install_from_env(), type(asyncio.new_event_loop()).__module__)")  # fmt: skip


def _probe(value: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PRINTBENCH_EVENT_LOOP"}
    if value is not None:
        env["PRINTBENCH_EVENT_LOOP"] = value
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                         text=True, timeout=60, check=True)  # fmt: skip
    return out.stdout.strip()


def test_default_is_asyncio() -> None:
    assert _probe(None) == "asyncio asyncio.unix_events"
    assert _probe("something-else") == "asyncio asyncio.unix_events"


@pytest.mark.skipif(importlib.util.find_spec("uvloop") is None, reason="uvloop not installed")
def test_uvloop_when_asked() -> None:
    assert _probe("uvloop") == "uvloop uvloop"
