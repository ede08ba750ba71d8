from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace

import pytest

from bot.local_slack import LocalSlack, SlackState
from tests.e2e.conftest import database_url, migrated_template
from tests.e2e.harness import BotUnderTest
from tests.playground.conftest import browser, playground
from tests.status_page.mailbox import Mailbox

# Fixtures shared with the end-to-end and playground tests.
__all__ = ["browser", "database_url", "migrated_template", "playground"]

STATUS_FROM = "status@firebreak.test"


@pytest.fixture
async def slack(workspace: str) -> AsyncIterator[LocalSlack]:
    async with LocalSlack("xoxb-test", state=SlackState(team_id=workspace)) as fake:
        yield fake


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.start()
    yield box
    box.stop()


@pytest.fixture
async def bot(slack: LocalSlack, database_url: str, workspace: str, mailbox: Mailbox) -> AsyncIterator[BotUnderTest]:
    """The bot with the status page's emails going to ``mailbox``."""
    unstarted = BotUnderTest(slack, database_url, workspace)
    unstarted.settings = replace(unstarted.settings, smtp_url=mailbox.url, status_email_from=STATUS_FROM)
    started = await unstarted.start()
    yield started
    await started.stop()
