"""Signing in to the console in Chromium, through the local Slack's authorize page."""

from __future__ import annotations

import time

from playwright.async_api import Browser, Page, expect

from bot.runtime.child_environment import REPO
from tests.console.support import console_page, scrolls_sideways, sign_in_browser
from tests.e2e.harness import ALICE, BotUnderTest

ARTIFACTS = REPO / "test-artifacts"


async def test_a_member_picks_who_they_are_and_gets_a_locked_down_session_cookie(page: Page, bot: BotUnderTest) -> None:
    await page.goto(f"{bot.url}/login?next=/incidents")
    await expect(page.locator("h1")).to_have_text("Sign in with Slack")
    await expect(page.locator('button[data-user="U0MALLORY"]')).to_contain_text("Elsewhere Inc")
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "console-authorize.png"))

    await page.locator(f'button[data-user="{ALICE}"]').click()
    await page.wait_for_url(f"{bot.url}/incidents")

    [cookie] = [c for c in await page.context.cookies() if c["name"] == "firebreak_console"]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert cookie["secure"] is False, "over http the cookie cannot be Secure"
    assert 11.9 * 3600 < cookie["expires"] - time.time() <= 12 * 3600


async def test_someone_of_another_workspace_sees_why_they_cannot_come_in(page: Page, bot: BotUnderTest) -> None:
    await page.goto(f"{bot.url}/login")
    await page.locator('button[data-user="U0MALLORY"]').click()

    await expect(page.locator(".problem h1")).to_have_text("Sign-in refused")
    await expect(page.locator(".message")).to_contain_text("The console is for members of this bot's Slack workspace")
    await expect(page.locator("#signed-in-as")).to_have_count(0)
    await page.screenshot(path=str(ARTIFACTS / "console-sign-in-refused.png"))
    await page.get_by_role("link", name="Sign in with Slack again").click()
    await expect(page.locator('button[data-user="U0ALICE"]')).to_be_visible()


async def test_sign_in_pages_fit_a_phone(browser: Browser, bot: BotUnderTest) -> None:
    async with console_page(browser, width=375) as page:
        await page.goto(f"{bot.url}/login")
        assert not await scrolls_sideways(page), "the authorize page"
        await page.locator('button[data-user="U0MALLORY"]').click()
        await expect(page.locator(".problem h1")).to_have_text("Sign-in refused")
        assert not await scrolls_sideways(page), "the refusal"
        await page.get_by_role("link", name="Sign in with Slack again").click()
        await sign_in_browser(page, bot, ALICE)
        await expect(page.locator("#signed-in-as")).to_be_visible()
        assert not await scrolls_sideways(page), "the header of a signed-in page"


async def test_sign_in_browser_signs_in(page: Page, bot: BotUnderTest) -> None:
    await sign_in_browser(page, bot, ALICE, next_path="/auth/session")

    assert ALICE in (await page.content())


async def test_sign_out_from_any_page_ends_the_session(page: Page, bot: BotUnderTest) -> None:
    await sign_in_browser(page, bot, ALICE, next_path="/incidents")
    await expect(page.locator("#signed-in-as")).to_have_text("Signed in as Alice Archer")

    await page.get_by_role("button", name="Sign out").click()

    await page.wait_for_url(f"{bot.url}/signed-out")
    await expect(page.locator("h1")).to_have_text("You are signed out")
    await page.goto(f"{bot.url}/incidents")
    await expect(page.locator("h1")).to_have_text("Sign in with Slack")  # Slack's page again
