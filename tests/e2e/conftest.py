from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.local_slack import LocalSlack
from storage.database import create_engine, database_config
from storage.migrate import upgrade
from storage.scratch_databases import fresh_postgres_database
from tests.e2e.ai_support import FakeClaude
from tests.e2e.harness import BotUnderTest


@pytest.fixture(scope="session")
async def migrated_template() -> AsyncIterator[str]:
    """A migrated database to copy: each end-to-end test gets a database of its own in ~50 ms, so
    an outbox row one test leaves pending can never be delivered into another test's Slack."""
    async with fresh_postgres_database("firebreak_template") as url:
        engine = create_engine(database_config(url))
        await upgrade(engine)
        await engine.dispose()
        yield url.rsplit("/", 1)[1]


@pytest.fixture
async def database_url(migrated_template: str) -> AsyncIterator[str]:
    async with fresh_postgres_database("firebreak_e2e", template=migrated_template) as url:
        yield url


@pytest.fixture
async def bot(slack: LocalSlack, database_url: str, workspace: str) -> AsyncIterator[BotUnderTest]:
    started = await BotUnderTest(slack, database_url, workspace).start()
    yield started
    await started.stop()


@pytest.fixture
def claude(httpx2_mock: Any) -> FakeClaude:
    """The Messages API as the bot reaches it (intercepted: no request leaves the process)."""
    return FakeClaude(httpx2_mock)
