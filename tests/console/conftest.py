from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page

from bot.local_slack import LocalSlack, SlackState
from tests.console.support import close_clients, console_page, start_console_bot
from tests.e2e.conftest import database_url, migrated_template
from tests.e2e.harness import BotUnderTest
from tests.playground.browser import chromium

__all__ = ["database_url", "migrated_template"]  # fixtures shared with the end-to-end tests


@pytest.fixture
async def slack(workspace: str) -> AsyncIterator[LocalSlack]:
    """The local Slack whose workspace is the test's: the bot's workspace, whose members may sign in."""
    async with LocalSlack("xoxb-test", state=SlackState(team_id=workspace)) as fake:
        yield fake


@pytest.fixture
async def bot(slack: LocalSlack, database_url: str, workspace: str) -> AsyncIterator[BotUnderTest]:
    """The bot with the console on (tests/console/support.py), on a database of its own."""
    started = await start_console_bot(slack, database_url, workspace)
    yield started
    await close_clients()
    await started.stop()


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as launched:
        yield launched


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A fresh browser page, 1280 px wide (``console_page(browser, width=800)`` for another width)."""
    async with console_page(browser) as opened:
        yield opened
