"""The incident list in Chromium: filtering with the keyboard, the next page, and a layout that fits
800 px and a phone without scrolling sideways."""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect

from bot.handler.runner import CommandRunner
from bot.runtime.child_environment import REPO
from domain.severity import Severity
from tests.builders import at, declare_command
from tests.console.support import console_page, sign_in_browser
from tests.e2e.harness import ALICE, BotUnderTest

ARTIFACTS = REPO / "test-artifacts"
SEVERITIES = list(Severity)


async def scrolls_sideways(page: Page) -> bool:
    return bool(await page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth"))


async def test_filter_page_through_and_read_it_at_800_px_and_on_a_phone(browser: Browser, bot: BotUnderTest) -> None:
    async with console_page(browser, width=800) as page:
        await filter_and_page_through(page, bot)


async def filter_and_page_through(page: Page, bot: BotUnderTest) -> None:
    runner = CommandRunner(bot.observer)
    for number in range(1, 121):
        title = f"{'Checkout' if number % 2 else 'Search'} degraded in region eu-west-{number} after the deploy"
        command = declare_command(title, severity=SEVERITIES[number % 4], thread_ts=None, service="checkout")
        await runner.declare(bot.workspace, command, now=at(number))
    await sign_in_browser(page, bot, ALICE, next_path="/incidents")
    rows = page.locator("#incidents tbody tr")
    await expect(rows).to_have_count(50)
    await expect(rows.first).to_contain_text("INC-120")
    assert not await scrolls_sideways(page)
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "console-incident-list-800.png"))

    # Filtered with the keyboard alone: choose SEV2, search the titles, press Enter.
    await page.locator('input[name="severity"][value="SEV2"]').focus()
    await page.keyboard.press("Space")
    await page.locator("#filter-q").focus()
    await page.keyboard.type("CHECKOUT")
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/incidents?*q=CHECKOUT*")
    # Odd numbers say Checkout; SEV2 is every fourth from INC-1: INC-117, 113, … 1, thirty in all.
    await expect(rows).to_have_count(30)
    await expect(rows.first).to_contain_text("INC-117")
    await expect(page.locator("#next-page")).to_have_count(0)

    await page.goto(f"{bot.url}/incidents?status=open&q=degraded")
    await expect(rows).to_have_count(50)
    await page.locator("#next-page").click()
    await page.wait_for_url("**after=*")
    await expect(rows).to_have_count(50)
    await expect(rows.first).to_contain_text("INC-70")
    await expect(page.locator("#filter-q")).to_have_value("degraded")
    await page.locator("#next-page").click()
    await expect(rows).to_have_count(20)
    await expect(rows.last).to_contain_text("INC-1")

    await page.locator("#filter-q").fill("no such outage")
    await page.locator("#filter-q").press("Enter")
    await expect(page.locator("#empty")).to_contain_text("No open incidents match these filters.")
    await page.locator("#clear-filters").click()
    await expect(rows).to_have_count(50)
    await rows.first.get_by_role("link", name="checkout").click()  # a row's service filters by it
    await page.wait_for_url("**/incidents?status=open&service=checkout")
    await expect(page.locator("#filter-service")).to_have_value("checkout")

    for name, width, height in (("phone", 390, 844), ("wide", 1400, 900)):
        await page.set_viewport_size({"width": width, "height": height})
        assert not await scrolls_sideways(page), name
        await page.screenshot(path=str(ARTIFACTS / f"console-incident-list-{name}.png"))
