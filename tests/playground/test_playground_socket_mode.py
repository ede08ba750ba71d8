"""The playground in Socket Mode (SPEC "Playground mode"): chosen on the page, the bot connects to
the local Slack with an app-level token and everything the page does arrives as envelopes on that
socket, acked by the bot; the choice outlives a restart, and going back to HTTP works."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import aiohttp
from playwright.async_api import Browser, Page, expect

from bot.runtime.child_environment import free_port
from tests.e2e.bot_process import BotProcess
from tests.playground.browser import card, field, open_page, playground_environment, send
from tests.waiting import poll

CONNECTED = "Socket Mode · connected"


async def transport(bot: BotProcess) -> dict[str, Any]:
    """What the playground says of its transport (as the page reads it)."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{bot.url}/playground/state", params={"user": "U0ALICE"}) as response,
    ):
        return dict((await response.json())["transport"])


async def choose(page: Page, value: str) -> None:
    await page.locator("#transport").select_option(value)


async def test_in_socket_mode_mentions_slash_commands_clicks_and_modals_work_and_the_choice_is_kept(
    browser: Browser, tmp_path: Path
) -> None:
    env = playground_environment(tmp_path, free_port())
    first = BotProcess(env)
    async with first.running(), open_page(browser, first.url) as page:
        status = page.locator("#transport-status")
        await expect(status).to_have_text("HTTP (Events API)")
        await choose(page, "socket_mode")
        await expect(status).to_have_text(CONNECTED)
        assert [e["message"] for e in first.json_logs()].count("connected to Slack in Socket Mode") == 1

        await send(page, "@firebreak checkout is down sev2")
        checkout = card(page, "checkout is down")
        await expect(checkout.locator(".bk-header")).to_have_text("🟠 SEV2 · INC-1 · checkout is down")
        await checkout.locator('button[data-action-id="incident.ack"]').click()
        await expect(page.locator("#thread")).to_contain_text("@alice acknowledged INC-1")
        await send(page, "@firebreak assign @bob", "#thread-input")
        await expect(field(checkout, "Commander")).to_contain_text("@bob")

        await page.locator('.channel[data-channel="C0GENERAL"]').click()
        await send(page, "/incident")
        modal = page.locator("#modal")
        await expect(modal.locator("h2")).to_have_text("Declare incident")
        await modal.locator(".modal-submit").click()
        title = modal.locator(".bk-input", has=page.locator('[data-block-id="declare.title"]'))
        await expect(title.locator(".bk-error")).not_to_be_empty()
        await modal.locator('[data-block-id="declare.title"]').fill("search is slow")
        await modal.locator(".modal-submit").click()
        await expect(page.locator("#modal-backdrop")).to_be_hidden()
        await expect(card(page, "search is slow").locator(".bk-header")).to_contain_text("INC-2")

        # Every one of them went by the socket: the mention, the click, the thread reply, the slash
        # command and both submissions, each acked by the bot.
        await expect(page.locator("#transport-note")).to_contain_text("6 acked")
        assert (await transport(first))["acked"] == 6

        assert await first.signal(signal.SIGTERM) == 0
        await expect(status).to_have_text("Socket Mode · not connected")
        second = BotProcess(env)
        async with second.running():
            await expect(status).to_have_text(CONNECTED)
            await expect(page.locator("#transport")).to_have_value("socket_mode")
            await send(page, "@firebreak payments are down sev1")
            await expect(card(page, "payments are down").locator(".bk-header")).to_contain_text("INC-3")
            assert (await transport(second))["acked"] == 1


async def test_switching_back_to_http_closes_the_socket_and_delivers_over_http(
    browser: Browser, tmp_path: Path
) -> None:
    bot = BotProcess(playground_environment(tmp_path))
    async with bot.running(), open_page(browser, bot.url) as page:
        await choose(page, "socket_mode")
        await expect(page.locator("#transport-status")).to_have_text(CONNECTED)

        await choose(page, "http")
        await expect(page.locator("#transport-status")).to_have_text("HTTP (Events API)")
        await expect(page.locator("#transport-note")).to_contain_text("POSTed to the bot's /slack/events")
        await poll(lambda: _socket_closed(bot), 10, "the bot's socket to close")

        await send(page, "@firebreak checkout is down sev2")
        checkout = card(page, "checkout is down")
        await expect(checkout.locator(".bk-header")).to_contain_text("INC-1")
        await checkout.locator('button[data-action-id="incident.ack"]').click()
        await expect(page.locator("#thread")).to_contain_text("@alice acknowledged INC-1")
        assert await transport(bot) == {"chosen": "http", "available": True, "connected": False, "acked": 0}


async def _socket_closed(bot: BotProcess) -> bool:
    return not (await transport(bot))["connected"]
