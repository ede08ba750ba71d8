from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.local_slack import LocalSlack
from storage.database import create_engine, database_config
from storage.migrate import upgrade
from storage.scratch_databases import fresh_postgres_database


@pytest.fixture(scope="session")
async def postgres_url() -> AsyncIterator[str]:
    async with fresh_postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
async def postgres_engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_config(postgres_url))
    await upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[AsyncEngine]:
    path: Path = tmp_path_factory.mktemp("sqlite") / "firebreak.db"
    engine = create_engine(database_config(None, str(path)))
    await upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture(params=["postgres", "sqlite"])
def engine(request: pytest.FixtureRequest) -> AsyncEngine:
    """The storage contract holds on both stores: every test using this runs against each."""
    return request.getfixturevalue(f"{request.param}_engine")  # type: ignore[no-any-return]


@pytest.fixture
async def slack() -> AsyncIterator[LocalSlack]:
    """The local Slack with faults, started for the test (see bot.local_slack); an app holding its
    ``app_token`` may connect to it in Socket Mode."""
    async with LocalSlack("xoxb-test", app_token="xapp-1-A0FIREBRK-1-test") as fake:
        yield fake


@pytest.fixture
def workspace() -> str:
    """A workspace of its own per test, so tests share a database without seeing each other."""
    return "T" + uuid.uuid4().hex[:10].upper()
