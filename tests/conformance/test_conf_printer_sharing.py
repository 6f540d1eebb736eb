"""The built-in target gives each path printers of its own unless told to share them.

Why it matters: the engine runs one scenario queue per printer, so paths that share a printer
run one after the other (the main job took twice its longest chain); per-path printers let the
embedded and proxied devices of a profile run at once, and a fault injected through one path
can no longer reach a scenario on the other.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from printbench.conformance.targets import TargetError, load_target
from tests.conformance.conftest import base_address


async def _devices(tmp_path: Path, **settings: object) -> dict[str, object]:
    """The started target's devices by path, with what they looked like while it ran."""
    target = load_target(
        None,
        tmp_path,
        {"profiles": ["mono-desktop-laser"], "base_address": base_address(), **settings},
    )
    await target.start()
    try:
        devices = {d.via: d for d in target.devices}
        for d in devices.values():
            d.had_client = d.printer.tr069 is not None  # type: ignore[attr-defined]
        return devices  # type: ignore[return-value]
    finally:
        await target.stop()


async def test_each_path_has_its_own_printer_by_default(tmp_path: Path) -> None:
    devices = await _devices(tmp_path)
    embedded, proxied = devices["embedded"], devices["proxy"]
    assert embedded.printer is not proxied.printer  # type: ignore[attr-defined]
    assert embedded.serial != proxied.serial  # type: ignore[attr-defined]
    # the proxied printer answers only through the proxy: no client of its own informs
    assert not proxied.had_client  # type: ignore[attr-defined]
    assert embedded.had_client  # type: ignore[attr-defined]


async def test_shared_printers_put_both_paths_on_one_printer(tmp_path: Path) -> None:
    devices = await _devices(tmp_path, printers="shared")
    assert devices["embedded"].printer is devices["proxy"].printer  # type: ignore[attr-defined]


async def test_an_unknown_sharing_mode_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match="per-path or shared"):
        await _devices(tmp_path, printers="sometimes")
