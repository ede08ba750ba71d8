"""Fixtures for the reliability tests: the end-to-end ones (a per-test database, the fake Slack,
the bot in-process), a throwaway Postgres cluster that may be stopped and started, and the bot's
log records captured for inspection."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.local_slack import LocalSlack
from storage.database import create_engine, database_config
from tests.e2e.bot_process import BotProcess, bot_environment
from tests.e2e.conftest import bot, database_url, migrated_template
from tests.reliability import cluster as pg
from tests.reliability.support import CapturedLogs

__all__ = ["bot", "database_url", "migrated_template"]


@pytest.fixture
async def throwaway_cluster() -> AsyncIterator[pg.ThrowawayCluster]:
    """A Postgres server of the test's own (never the machine's): stopped and removed afterwards."""
    reason = pg.available()
    if reason is not None:
        pytest.skip(f"cannot run a throwaway Postgres cluster: {reason}")
    server = pg.ThrowawayCluster()
    try:
        server.init()
        await server.start()
        await server.create_database()
        yield server
    finally:
        server.destroy()


@pytest.fixture
async def database_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """The test's own engine on the test's database, beside the bot's."""
    engine = create_engine(database_config(database_url))
    yield engine
    await engine.dispose()


@pytest.fixture
def captured_logs() -> Iterator[CapturedLogs]:
    """Every log record from INFO up (DEBUG for the bot's own loggers) while the test runs."""
    handler = CapturedLogs()
    root = logging.getLogger()
    quiet = logging.getLogger("sqlalchemy")
    levels = (root.level, quiet.level)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    quiet.setLevel(logging.WARNING)  # every statement at DEBUG would drown the rest
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(levels[0])
        quiet.setLevel(levels[1])


@pytest.fixture
async def spawn(slack: LocalSlack, database_url: str) -> AsyncIterator[Callable[..., Awaitable[BotProcess]]]:
    """Start a healthy ``python -m bot`` on the test's database and fake Slack (extra environment
    variables as keywords); every replica started is killed at the end."""
    started: list[BotProcess] = []

    async def new_replica(**extra_env: str) -> BotProcess:
        replica = BotProcess(bot_environment(slack.token, slack.base_url, database_url, **extra_env))
        started.append(replica)
        await replica.start()
        await replica.wait_until_healthy()
        return replica

    yield new_replica
    for replica in started:
        await replica.ensure_stopped()
