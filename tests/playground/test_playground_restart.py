"""The playground across restarts (SPEC "Playground mode"): its incidents and messages are kept, the
page and the banner say where, and numbering goes on; with the bot down the page says so and the
composer keeps what was typed; Reset starts a fresh workspace at INC-1."""

from __future__ import annotations

import signal
from pathlib import Path

from playwright.async_api import Browser, expect

from bot.runtime.child_environment import free_port
from tests.e2e.bot_process import BotProcess
from tests.playground.browser import card, open_page, playground_environment, send


async def test_the_workspace_outlives_a_restart_and_what_was_typed_while_down_is_kept(
    browser: Browser, tmp_path: Path
) -> None:
    env = playground_environment(tmp_path, free_port())
    kept = f"{tmp_path / 'playground.db'} and {tmp_path / 'playground.db.slack.json'}"
    first = BotProcess(env)
    async with first.running(), open_page(browser, first.url) as page:
        await expect(page.locator("#live-status")).to_have_text("● live")
        await expect(page.locator("#kept-where")).to_contain_text(kept)
        await send(page, "@firebreak checkout is down sev2")
        await expect(card(page, "checkout is down").locator(".bk-header")).to_contain_text("INC-1")

        assert await first.signal(signal.SIGTERM) == 0
        assert any(kept in line for line in first.stderr), "the start banner says where"
        await expect(page.locator("#live-status")).to_have_text("● offline, reconnecting…")
        await page.locator("#thread-close").click()
        await send(page, "@firebreak payments are down sev1")
        await expect(page.locator("#composer .composer-status")).to_contain_text("Not sent")
        await expect(page.locator("#composer .composer-status")).to_contain_text("not answering")
        await expect(page.locator("#composer-input")).to_have_value("@firebreak payments are down sev1")

        second = BotProcess(env)
        async with second.running():
            await expect(page.locator("#live-status")).to_have_text("● live")
            question = page.locator("#messages .message", has_text="checkout is down sev2")
            await expect(question.locator(".replies-link")).to_have_text("1 reply")
            await page.locator("#composer-input").press("Enter")
            await expect(page.locator("#composer .composer-status")).to_be_hidden()
            await expect(page.locator("#composer-input")).to_have_value("")
            await expect(card(page, "payments are down").locator(".bk-header")).to_contain_text("INC-2")
            await question.locator(".replies-link").click()
            # The kept card still works: its incident is in the kept database.
            await card(page, "checkout is down").locator('button[data-action-id="incident.ack"]').click()
            await expect(page.locator("#thread")).to_contain_text("@alice acknowledged INC-1")


async def test_reset_asks_first_then_starts_a_fresh_workspace(browser: Browser, tmp_path: Path) -> None:
    bot = BotProcess(playground_environment(tmp_path))
    async with bot.running(), open_page(browser, bot.url) as page:
        await send(page, "@firebreak checkout is down sev2")
        await expect(card(page, "checkout is down")).to_have_count(1)

        await page.locator("#reset").click()
        confirm = page.locator("#confirm")
        await expect(confirm.locator("h2")).to_have_text("Reset the playground?")
        await expect(confirm).to_contain_text(str(tmp_path / "playground.db"))
        await confirm.locator(".confirm-no").click()
        await expect(card(page, "checkout is down")).to_have_count(1)

        await page.locator("#reset").click()
        await confirm.locator(".confirm-yes").click()
        await expect(page.locator(".message")).to_have_count(0)
        await expect(page.locator("#thread")).to_be_hidden()

        await send(page, "@firebreak search is slow sev3")
        await expect(card(page, "search is slow").locator(".bk-header")).to_contain_text("INC-1")
