"""The incident page in Chromium: the whole story readable at 800 px and on a phone, with no
sideways scrolling (screenshot in test-artifacts/)."""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect

from bot.runtime.child_environment import REPO
from tests.console.support import sign_in_browser
from tests.console.test_detail_page import run_an_incident
from tests.e2e.card_support import timeline
from tests.e2e.harness import ALICE, BotUnderTest

SCREENSHOT = REPO / "test-artifacts" / "console-incident-detail.png"


async def scrolls_sideways(page: Page) -> bool:
    return bool(await page.evaluate("document.documentElement.scrollWidth > window.innerWidth"))


async def test_the_page_reads_at_800_px_and_on_a_phone_without_sideways_scrolling(
    bot: BotUnderTest, browser: Browser
) -> None:
    await run_an_incident(bot)
    events = len(await timeline(bot))
    context = await browser.new_context(viewport={"width": 800, "height": 1000})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    await sign_in_browser(page, bot, ALICE, next_path="/incidents/INC-1")

    await expect(page.locator("#incident-title")).to_have_text("✅ · INC-1 · Checkout is down")
    await expect(page.locator("#timeline tbody tr")).to_have_count(events)
    await expect(page.locator("#timeline")).to_contain_text("Carol Chen added a note: rolled back @\u2060here")
    assert not await scrolls_sideways(page)
    SCREENSHOT.parent.mkdir(exist_ok=True)
    await page.screenshot(path=str(SCREENSHOT), full_page=True)
    await page.set_viewport_size({"width": 375, "height": 800})
    await expect(page.locator("#timeline tbody tr").first).to_be_visible()
    assert not await scrolls_sideways(page)
    when = await page.locator("#timeline td[data-label=When]").first.bounding_box()
    assert when is not None
    assert when["width"] > 250, "stacked, a cell is as wide as the row: no label a letter a line"
    await context.close()
    assert errors == [], f"the page raised: {errors}"
