"""Fixtures for the conformance engine tests: a small built-in target (one printer, its
embedded client, the stub ACS) on 127.90.x.y with ephemeral ports."""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from printbench.conformance.targets import BuiltinTarget, load_target

_BLOCKS = itertools.count(1)


def base_address() -> str:
    """A 127.90.x.y block per test and process, so parallel runs do not collide."""
    n = next(_BLOCKS) + (os.getpid() % 200) * 8
    return f"127.90.{n % 250}.{(n // 250) % 200 + 1}"


@pytest.fixture
def base() -> str:
    return base_address()


@pytest.fixture
async def small_target(tmp_path: Path) -> AsyncIterator[BuiltinTarget]:
    target = load_target(
        None,
        tmp_path,
        {"profiles": ["mono-desktop-laser"], "via": ["embedded"], "base_address": base_address()},
    )
    await target.start()
    try:
        yield target  # type: ignore[misc]
    finally:
        await target.stop()
