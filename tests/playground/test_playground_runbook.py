"""A service's runbook in the playground, in Chromium (SPEC §13): declared with ``service:<key>``
from the README's catalog, the card's Runbook button posts the steps, and a step's Done marks it in
place. The page sends a click as Slack does, with the block it came from; a block without an id
could not be clicked at all."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.e2e.bot_process import BotProcess
from tests.playground.browser import chromium, open_page, playground_environment, send
from tests.readme import fenced_block


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    with tempfile.TemporaryDirectory(prefix="firebreak-playground-") as directory:
        catalog = Path(directory) / "firebreak.toml"
        catalog.write_text(fenced_block("Services and runbooks", "toml"))
        environment = playground_environment(Path(directory)) | {"FIREBREAK_CONFIG": str(catalog)}
        async with (
            BotProcess(environment).running() as bot,
            chromium() as browser,
            open_page(browser, bot.url) as opened,
        ):
            yield opened


async def test_the_runbook_is_posted_and_a_step_is_marked_done(page: Page) -> None:
    await send(page, "@firebreak payments failing sev2 service:checkout")
    card = page.locator("#thread .message.has-blocks", has=page.locator(".bk-header", has_text="INC-1"))
    await expect(card).to_contain_text("Checkout")

    await card.get_by_role("button", name="Runbook").click()
    runbook = page.locator("#thread .message", has_text="Runbook for Checkout (INC-1)")
    await expect(runbook).to_contain_text("0 of 3 done")
    await runbook.get_by_role("button", name="Done").nth(1).click()

    await expect(runbook).to_contain_text("1 of 3 done")
    await expect(runbook).to_contain_text("done by @alice")
    await expect(runbook.get_by_role("button", name="Done")).to_have_count(2)
