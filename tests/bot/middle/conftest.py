"""The middle layer's fixture: the service and its helpers wired on a fresh SQLite store (a copy of
one migrated per session, so each test sees only its own rows), on a clock that stands still until
the test moves it; and the same wiring with the database down."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.delivery.effects import SlackEffects
from bot.runtime.clock import MutableClock
from storage.database import create_engine, database_config
from storage.migrate import upgrade
from tests.bot.middle.support import STAKEHOLDERS, Wired
from tests.builders import T0

CLOSED_PORT = 1  # tcpmux: reserved, and served by nothing here


@pytest.fixture(scope="session")
async def migrated_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("middle") / "migrated.db"
    engine = create_engine(database_config(None, str(path)))
    await upgrade(engine)
    await engine.dispose()
    return path


@pytest.fixture
async def wired(migrated_store: Path, tmp_path: Path) -> AsyncIterator[Wired]:
    path = tmp_path / "firebreak.db"
    shutil.copyfile(migrated_store, path)
    engine = create_engine(database_config(None, str(path)))
    try:
        yield Wired(engine, MutableClock(T0), SlackEffects(STAKEHOLDERS))
    finally:
        await engine.dispose()


@pytest.fixture
async def database_down() -> AsyncIterator[Wired]:
    """The same wiring on a Postgres that is down: nothing listens on its port, so every connection
    is refused at once."""
    engine = create_engine(database_config(f"postgresql://postgres@127.0.0.1:{CLOSED_PORT}/firebreak"))
    try:
        yield Wired(engine, MutableClock(T0), SlackEffects(STAKEHOLDERS))
    finally:
        await engine.dispose()
