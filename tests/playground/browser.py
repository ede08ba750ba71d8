"""Headless Chromium for the playground's browser tests: Debian's ``chromium``, driven by Playwright
(never ``playwright install``: the browser is the system's)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from playwright.async_api import Browser, Locator, Page, async_playwright, expect

from bot.runtime.child_environment import clean_environment, free_port

# A card edit goes through the outbox and Slack's per-channel pacing: allow for a few of them.
UPDATE_TIMEOUT_MS = 15_000

expect.set_options(timeout=UPDATE_TIMEOUT_MS)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require_chromium() -> None:
    """CI installs Chromium (.ci/run), so there its absence is a failure; elsewhere, a skip that says
    what to install."""
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing: apt-get install chromium"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    require_chromium()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


def playground_environment(directory: Path, port: int | None = None) -> dict[str, str]:
    """``python -m bot`` as a newcomer runs it: no Slack variables at all, its files in ``directory``."""
    database = directory / "playground.db"
    return clean_environment(PORT=str(port or free_port()), DATABASE_URL=f"sqlite+aiosqlite:///{database}")


@asynccontextmanager
async def open_page(browser: Browser, url: str, width: int = 1440) -> AsyncIterator[Page]:
    """The playground's page as Alice sees it; an error the page raised fails the test."""
    context = await browser.new_context(viewport={"width": width, "height": 900})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(url + "/")
    await expect(page.locator("#user-switcher")).to_have_value("U0ALICE")
    yield page
    await context.close()
    assert errors == [], f"the page raised: {errors}"


async def send(page: Page, text: str, composer: str = "#composer-input") -> None:
    box = page.locator(composer)
    await box.fill(text)
    await box.press("Enter")


def field(card: Locator, name: str) -> Locator:
    """The card's field labelled ``name`` (its bold title, exactly)."""
    return card.locator(".bk-field").filter(has=card.page.get_by_text(name, exact=True))


def card(page: Page, title: str) -> Locator:
    """The incident card whose header holds ``title``, wherever it shows (channel or thread)."""
    return page.locator(".message.has-blocks", has=page.locator(".bk-header", has_text=title))
