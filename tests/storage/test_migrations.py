"""Migrations build the schema the code expects from an empty database, and take it down again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import create_engine, database_config
from storage.migrate import downgrade, upgrade
from storage.schema import metadata
from storage.scratch_databases import fresh_postgres_database

TABLES = {"incidents", "incident_events", "outbox", "processed_requests", "workspace_counters"}


@pytest.fixture(params=["postgres", "sqlite"])
async def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        engine = create_engine(database_config(None, str(tmp_path / "empty.db")))
        yield engine
        await engine.dispose()
        return
    async with fresh_postgres_database("firebreak_migrations") as url:
        engine = create_engine(database_config(url))
        yield engine
        await engine.dispose()


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _schema_drift(connection: Connection) -> list[object]:
    return list(compare_metadata(MigrationContext.configure(connection), metadata))


async def test_upgrade_builds_the_schema_the_code_uses_and_downgrade_removes_it(empty_engine: AsyncEngine) -> None:
    await upgrade(empty_engine)
    async with empty_engine.connect() as connection:
        assert await connection.run_sync(_tables) >= TABLES
        assert await connection.run_sync(_schema_drift) == []

    await downgrade(empty_engine)
    async with empty_engine.connect() as connection:
        assert await connection.run_sync(_tables) & TABLES == set()

    await upgrade(empty_engine)  # and up again: the downgrade left nothing behind to collide with
    async with empty_engine.connect() as connection:
        assert await connection.run_sync(_tables) >= TABLES


async def test_upgrade_twice_is_a_no_op(empty_engine: AsyncEngine) -> None:
    await upgrade(empty_engine)
    await upgrade(empty_engine)
    async with empty_engine.connect() as connection:
        assert await connection.run_sync(_tables) >= TABLES
