"""The console in the playground (``python -m bot`` without Slack): on, signing in through the local
Slack's own authorize page, reached from the playground page, and linking back to its threads."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from bot.runtime.child_environment import REPO
from tests.e2e.bot_process import BotProcess
from tests.playground.browser import open_page, playground_environment, send

ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="module")
async def playground() -> AsyncIterator[BotProcess]:
    with tempfile.TemporaryDirectory(prefix="firebreak-console-playground-") as directory:
        async with BotProcess(playground_environment(Path(directory))).running() as bot:
            yield bot


async def test_the_console_link_signs_in_through_the_local_slack_and_links_back_to_the_thread(
    browser: Browser, playground: BotProcess
) -> None:
    async with open_page(browser, playground.url) as page:
        await send(page, "@firebreak checkout is down sev2")
        await expect(page.locator("#thread .bk-header", has_text="INC-1")).to_be_visible()

        async with page.context.expect_page() as opening:
            await page.locator("#console-link").click()
        console = await opening.value
        await expect(console.locator("h1")).to_have_text("Sign in with Slack")
        ARTIFACTS.mkdir(exist_ok=True)
        await console.screenshot(path=str(ARTIFACTS / "console-playground-authorize.png"))
        await console.locator('button[data-user="U0BOB"]').click()

        await console.wait_for_url(f"{playground.url}/incidents")
        await expect(console.locator("#signed-in-as")).to_have_text("Signed in as Bob Baker")
        await console.get_by_role("link", name="INC-1's thread in Slack").click()

        await console.wait_for_url(f"{playground.url}/#thread=C0INCIDENTS/*")
        await expect(console.locator("#thread .bk-header")).to_contain_text("INC-1 · checkout is down")
    assert [line for line in playground.stderr if "Warning" in line] == [], "the terminal shows no warnings"
