"""Headless Chromium (the system's /usr/bin/chromium through playwright) against a real EWS:
the status page and every configuration page load, an administrator logs in and submits
forms, and the changes show on the page and in the printer's state. Screenshots are saved
under pytest's tmp dir and their paths printed."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from printbench.emulator.ews import pages

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.interop,
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="needs the chromium Debian package"),
]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        b = await p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            yield b
        finally:
            await b.close()


@pytest_asyncio.fixture(loop_scope="module")
async def page(browser: Any) -> AsyncIterator[Any]:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    pg = await context.new_page()
    problems: list[str] = []
    pg.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: problems.append(str(e)))
    pg.problems = problems  # CSP violations and script errors would land here
    try:
        yield pg
    finally:
        await context.close()


def save_png(path: Path, record_property: Any) -> None:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000, path
    record_property("screenshot", str(path))
    print(f"\nscreenshot: {path} ({len(data)} bytes)")


async def log_in(page: Any, url: str, target: str) -> None:
    await page.goto(f"{url}{target}")
    assert page.url.startswith(f"{url}/login?next=")
    await page.fill("#username", "admin")
    await page.fill("#password", "admin")
    await page.click("form.login button[type=submit]")
    await page.wait_for_url(f"{url}{target}")


async def test_status_page(
    ews_module: Any, page: Any, tmp_path: Path, record_property: Any
) -> None:
    device = ews_module.device
    device.engine.submit_job(pages=12, color=True)
    device.engine.finish_all()
    device.engine.inject("cover_open")
    await page.goto(f"{ews_module.url}/status")
    assert await page.title() == f"Status · {device.state.description.name}"
    state_text = await page.inner_text("#printer-state")
    assert state_text.lower() == device.state.status.state
    supplies = page.locator("#supplies tbody tr")
    assert await supplies.count() == len(device.state.supplies)
    fills = await page.eval_on_selector_all(
        "#supplies svg.bar rect:not(.track)", "els => els.map(e => e.getAttribute('fill'))"
    )
    assert {pages.COLORANT_CSS[c] for c in ("black", "cyan", "magenta", "yellow")} <= set(fills)
    total = device.state.counters.total_impressions
    assert await page.inner_text("#count-total") == str(total) and total >= 12
    assert device.state.counters.color_impressions > 0
    assert await page.inner_text("#count-color") == str(device.state.counters.color_impressions)
    alert = next(a for a in device.state.alerts if a.code == "coverOpen")
    assert alert.description in await page.inner_text("#alerts")
    assert device.state.consoles[0].display_buffer[0] in await page.inner_text("#console-display")
    shot = tmp_path / "ews-status.png"
    await page.screenshot(path=str(shot), full_page=True)
    save_png(shot, record_property)
    await page.goto(f"{ews_module.url}/info")
    assert device.state.identity.serial_number in await page.inner_text("#serial")
    assert device.state.interfaces[0].mac_address in await page.inner_text("#interfaces")
    assert page.problems == []
    device.engine.clear("cover_open")


async def test_every_config_page_after_login(ews_module: Any, page: Any) -> None:
    state = ews_module.device.state
    await log_in(page, ews_module.url, "/config/smtp")
    for slug, cfg in pages.config_pages(state).items():
        await page.goto(f"{ews_module.url}/config/{slug}")
        assert await page.inner_text("main h1") == cfg.title
        for f in cfg.fields:
            assert await page.locator(f'[name="{f.path}"]').count() >= 1, (slug, f.path)
    assert page.problems == []


async def test_forms_change_the_state(
    ews_module: Any, page: Any, tmp_path: Path, record_property: Any
) -> None:
    state = ews_module.device.state
    url = ews_module.url
    await log_in(page, url, "/config/printer-info")
    await page.fill('[name="description.location"]', "Lab 3, bench 7")
    await page.click("form.config button[type=submit]")
    await page.wait_for_url(f"{url}/config/printer-info?saved=1")
    assert await page.is_visible("#saved")
    assert await page.input_value('[name="description.location"]') == "Lab 3, bench 7"
    assert state.description.location == "Lab 3, bench 7"
    await page.goto(f"{url}/status")
    assert "Lab 3, bench 7" in await page.inner_text("header")

    await page.goto(f"{url}/config/smtp")
    await page.fill('[name="network.smtp_server"]', "smtp.example.org")
    await page.fill('[name="network.smtp_port"]', "587")
    await page.check('[name="network.smtp_auth"]')
    await page.click("form.config button[type=submit]")
    await page.wait_for_url(f"{url}/config/smtp?saved=1")
    assert (state.network.smtp_server, state.network.smtp_port) == ("smtp.example.org", 587)
    assert state.network.smtp_auth is True

    # A wrong value is explained next to its field and nothing is saved.
    before = ews_module.snapshot()
    await page.fill('[name="network.smtp_server"]', "relay.example.org")
    await page.fill('[name="network.smtp_port"]', "70000")
    await page.fill('[name="network.smtp_from"]', "not an address")
    await page.click("form.config button[type=submit]")
    await page.wait_for_selector("#form-errors")
    assert "at most 65535" in await page.inner_text("#f-network-smtp_port-error")
    assert "not an e-mail address" in await page.inner_text("#f-network-smtp_from-error")
    assert await page.input_value('[name="network.smtp_server"]') == "relay.example.org"
    assert ews_module.snapshot() == before
    shot = tmp_path / "ews-config-smtp-errors.png"
    await page.screenshot(path=str(shot), full_page=True)
    save_png(shot, record_property)

    # Signing out ends the session: configuration pages ask for a login again.
    await page.click("header button[type=submit]")
    await page.goto(f"{url}/config/smtp")
    assert page.url.startswith(f"{url}/login?next=")
    # The only console message: the browser noting the rejected form's 400 status.
    assert [p for p in page.problems if "status of 400" not in p] == []
