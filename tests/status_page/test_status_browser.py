"""The status page in Chromium (SPEC §14): readable at 800 px and on a phone without sideways
scrolling, and following changes live (SSE) without a reload."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.console.support import console_page, scrolls_sideways
from tests.e2e.harness import BotUnderTest

LONG_UPDATE = "Checkout is failing for customers paying by card in the EU region " * 4


@pytest.mark.parametrize("width", [800, 390])
async def test_the_page_follows_a_public_incident_live_at_800_px_and_on_a_phone(
    bot: BotUnderTest, browser: Browser, width: int
) -> None:
    async with console_page(browser, width=width) as page:
        await page.goto(f"{bot.url}/status")
        await expect(page.locator("#overall")).to_have_text("All systems operational")
        await page.evaluate("window.notReloaded = true")

        await bot.slash("declare checkout card payments failing sev2")
        await bot.slash("public INC-1 on Card payments failing")
        await bot.slash(f"update INC-1 {LONG_UPDATE}")

        await expect(page.locator("#overall")).to_have_text("Partial outage")
        incident = page.locator("article#INC-1")
        await expect(incident.locator("h3")).to_have_text("INC-1 Card payments failing")
        await expect(incident.locator(".updates li p")).to_have_text(LONG_UPDATE.strip())
        assert await page.evaluate("window.notReloaded === true"), "the page reloaded"
        assert not await scrolls_sideways(page)

        await bot.slash("resolve INC-1")
        await expect(page.locator("#overall")).to_have_text("All systems operational")
        await expect(page.locator("#history-heading + article h3")).to_have_text("INC-1 Card payments failing")
        assert await page.evaluate("window.notReloaded === true")

        await page.keyboard.press("Tab")  # the skip link first, for keyboard readers
        await expect(page.locator(".skip")).to_be_focused()
        await page.locator("#email").focus()
        await expect(page.locator("#email")).to_be_focused()
