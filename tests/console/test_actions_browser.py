"""Acting on an incident from its page in Chromium: acknowledge, then resolve (after a summary left
empty is refused beside its field), and the card in Slack follows (screenshot in test-artifacts/)."""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect

from bot.runtime.child_environment import REPO
from tests.builders import card_field
from tests.console.action_support import audit_lines
from tests.console.support import sign_in_browser
from tests.console.test_detail_page_browser import scrolls_sideways
from tests.e2e.card_support import declare
from tests.e2e.harness import CAROL, BotUnderTest

SCREENSHOTS = REPO / "test-artifacts"


async def test_acknowledge_and_resolve_from_the_page(bot: BotUnderTest, browser: Browser) -> None:
    card = await declare(bot, "declare Checkout errors sev2")
    context = await browser.new_context(viewport={"width": 800, "height": 1000})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await sign_in_browser(page, bot, CAROL, next_path="/incidents/INC-1")
    await page.set_viewport_size({"width": 375, "height": 800})
    await expect(page.locator("#commander-form")).to_be_visible()
    assert not await scrolls_sideways(page), "every form fits a phone"
    await page.set_viewport_size({"width": 800, "height": 1000})
    SCREENSHOTS.mkdir(exist_ok=True)
    await page.locator("#actions").screenshot(path=str(SCREENSHOTS / "console-actions-open.png"))

    await page.locator("#acknowledge-form button").click()
    await expect(page.locator("#action-confirmation")).to_have_text("INC-1 acknowledged.")
    await expect(page.locator("#acknowledge-form")).to_have_count(0)

    await page.locator("#resolve-form button").click()
    await expect(page.locator("#resolve-summary-error")).to_have_text("The summary cannot be empty.")
    await page.locator("#resolve-summary").fill("Rolled back the deploy")
    await page.locator("#resolve-form button").click()

    await expect(page.locator("#action-confirmation")).to_have_text("INC-1 resolved.")
    await expect(page.locator("#timeline")).to_contain_text(
        "Carol Chen resolved INC-1 via the console: Rolled back the deploy"
    )
    await expect(page.locator("#reopen-form")).to_be_visible()
    await page.screenshot(path=str(SCREENSHOTS / "console-actions.png"), full_page=True)
    await context.close()
    assert errors == [], f"the page raised: {errors}"

    await bot.settle()
    assert card_field(card, "Status") == "Resolved"
    assert audit_lines(bot, card) == [
        f"<@{CAROL}> acknowledged INC-1 via the console (status → investigating)",
        f"<@{CAROL}> resolved INC-1 via the console: Rolled back the deploy",
    ]


async def test_a_choice_starts_on_a_prompt_and_applies_nothing_unchosen(bot: BotUnderTest, page: Page) -> None:
    """The choices leave out the current value: a select that started on one of them would read as
    the incident's severity and apply it on a hasty click."""
    await declare(bot, "declare Checkout errors sev3")
    await sign_in_browser(page, bot, CAROL, next_path="/incidents/INC-1")
    severity = page.locator("#severity")
    await expect(severity.locator("option:checked")).to_have_text("Change to…")

    await page.locator("#severity-form button").click()
    await page.locator("#note-text").fill("the prompt was not applied")
    await page.locator("#note-form button").click()

    await expect(page.locator("#action-confirmation")).to_have_text("Note added to INC-1.")
    assert (await bot.incident(1)).severity.label == "SEV3"


async def test_declaring_from_the_console_in_a_browser(bot: BotUnderTest, page: Page) -> None:
    bot.slack.state.add_channel("C0OPS", "ops")
    await sign_in_browser(page, bot, CAROL, next_path="/incidents/new")
    await page.locator("#title").fill("Search is slow")
    await page.locator("#severity").select_option(value="SEV3")
    await page.locator("#channel").select_option(value="C0OPS")
    await page.locator("#service").fill("search")
    SCREENSHOTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / "console-new-incident.png"), full_page=True)
    await page.locator("#declare-form button[type=submit]").click()

    await page.wait_for_url(f"{bot.url}/incidents/INC-1")
    await expect(page.locator("#action-confirmation")).to_contain_text("INC-1 declared")
    incident = await bot.incident(1)
    assert (incident.title, incident.severity.label, incident.channel_id) == ("Search is slow", "SEV3", "C0OPS")
    card = await bot.card(1)
    assert card.channel == "C0OPS"
