"""The status page in the playground (``python -m bot`` without Slack): a public incident on
``/status``, and its emails, real SMTP to the playground's own mailbox, read at /playground/mailbox."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.e2e.bot_process import BotProcess
from tests.playground.browser import open_page, send


async def test_a_subscriber_reads_a_public_incidents_updates_in_the_playground_mailbox(
    browser: Browser, playground: BotProcess
) -> None:
    async with open_page(browser, playground.url) as page:
        await send(page, "/incident declare checkout is down sev2")
        await expect(page.locator(".bk-header", has_text="INC-1").first).to_be_visible()
        await send(page, "/incident public INC-1 on Checkout is slow")

        status = await page.context.new_page()
        await status.goto(f"{playground.url}/status")
        await expect(status.locator("#overall")).to_have_text("Partial outage")
        await status.locator("#email").fill("reader@example.com")
        await status.get_by_role("button", name="Subscribe").click()
        await expect(status.locator(".message")).to_contain_text("Check your inbox")

        mailbox = await page.context.new_page()
        await mailbox.goto(f"{playground.url}/playground/mailbox")
        await expect(mailbox.locator("article h2").first).to_have_text("Confirm your subscription to Status")
        await mailbox.locator("article a[href*='/status/confirm/']").first.click()
        await mailbox.get_by_role("button", name="Confirm").click()
        await expect(mailbox.locator(".message")).to_contain_text("Subscribed")

        await send(page, "/incident update INC-1 We are rolling back the deploy.")
        await mailbox.goto(f"{playground.url}/playground/mailbox")
        for _ in range(50):
            if await mailbox.locator("article h2", has_text="INC-1 update").count():
                break
            await mailbox.wait_for_timeout(200)
            await mailbox.reload()
        await expect(mailbox.locator("article", has_text="INC-1 update")).to_contain_text(
            "We are rolling back the deploy."
        )
    assert [line for line in playground.stderr if "Warning" in line] == [], "the terminal shows no warnings"
