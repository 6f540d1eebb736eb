"""The EWS firmware upgrade endpoint (``POST /api/firmware``), the proxy's way to install
firmware on a printer that the profile gives one (issue 12, item 5).

An image is streamed to disk (an image far over the EWS's 64 KiB form cap is taken), checked
whole, then flashed with a reboot after the 202 answer; a corrupt image, one for another
model, a wrong content type, no admin login, or a model without the page change nothing.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from printbench.emulator.firmware import make_firmware

ADMIN = aiohttp.BasicAuth("admin", "admin")
OCTETS = {"Content-Type": "application/octet-stream"}


async def _post(url: str, data: bytes, **kw: Any) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{url}/api/firmware", data=data, **kw) as r,
    ):
        return r.status, await r.json(content_type=None)


async def test_ews_firmware_upload_flashes_and_reboots(ews: Any) -> None:
    dev = ews.device
    state = dev.state
    boots = state.status.boot_count
    assert state.admin.firmware_upload  # the colour MFP's profile offers the page
    image = make_firmware(state.identity.product_class, "5.4.3", b"\x00\xff" * 400_000)
    status, body = await _post(ews.url, image, auth=ADMIN, headers=OCTETS)
    assert (status, body) == (202, {"version": "5.4.3", "rebooting": True})
    for _ in range(100):
        if state.status.boot_count > boots:
            break
        await asyncio.sleep(0.01)
    assert state.identity.software_version == "5.4.3"
    assert state.status.boot_count == boots + 1
    async with aiohttp.ClientSession() as http, http.get(f"{ews.url}/api/info") as r:
        info = await r.json()
    assert info["firmware_version"] == "5.4.3" and info["firmware_upload"] is True


async def test_ews_firmware_refusals_change_nothing(ews: Any) -> None:
    state = ews.device.state
    before = state.identity.software_version
    good = make_firmware(state.identity.product_class, "6.0", b"payload" * 1000)
    other = make_firmware("SomeOtherModel", "6.0", b"payload")
    cases = [
        (good[:-10], {"auth": ADMIN, "headers": OCTETS}, 422),  # truncated
        (good[:-3] + b"xyz", {"auth": ADMIN, "headers": OCTETS}, 422),  # corrupted
        (other, {"auth": ADMIN, "headers": OCTETS}, 422),  # another model
        (good, {"headers": OCTETS}, 401),  # no admin
        (good, {"auth": aiohttp.BasicAuth("admin", "no"), "headers": OCTETS}, 401),
        (good, {"auth": ADMIN, "headers": {"Content-Type": "text/plain"}}, 415),
    ]
    for data, kw, want in cases:
        status, _ = await _post(ews.url, data, **kw)
        assert status == want, (want, status)
    await asyncio.sleep(0.1)
    assert state.identity.software_version == before
    state.admin.firmware_upload = False  # a model without the page
    status, _ = await _post(ews.url, good, auth=ADMIN, headers=OCTETS)
    assert status == 404
    assert state.identity.software_version == before
