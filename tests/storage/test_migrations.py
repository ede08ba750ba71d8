"""Migrations build the schema the code expects from an empty database, and take it down again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import create_engine, database_config
from storage.migrate import downgrade, upgrade
from storage.schema import incident_alerts, incidents, metadata, schema_on
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
    options = {"include_object": schema_on(connection.dialect.name)}
    return list(compare_metadata(MigrationContext.configure(connection, opts=options), metadata))


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


async def test_alerts_held_in_the_projection_move_to_rows_of_their_own_and_back(empty_engine: AsyncEngine) -> None:
    """0012: the alerts 0011 kept in the incident's JSON become incident_alerts rows, in the order
    they first fired, and the JSON keeps the counts; the downgrade puts them back as they were."""
    fired = {"summary": "HighLatency", "group_key": "g1", "labels": [["team", "payments"]], "links": []}
    links = [{"href": "https://x.example", "text": "Source"}]
    held = {
        "alerts": [
            {"fingerprint": "fp-b", "status": "firing", **fired},
            {"fingerprint": "fp-a", "status": "resolved", **fired, "links": links},
        ],
        "groups": ["g1"],
        "nudged": False,
        "escalation_suggested": True,
    }
    await upgrade(empty_engine, "0011")
    async with empty_engine.begin() as connection:
        await connection.execute(incidents.insert().values(**_old_incident(held)))
    await upgrade(empty_engine, "0012")
    async with empty_engine.connect() as connection:
        rows = await connection.execute(
            select(incident_alerts.c.fingerprint, incident_alerts.c.status, incident_alerts.c.links).order_by(
                incident_alerts.c.position
            )
        )
        assert [tuple(row) for row in rows] == [
            ("fp-b", "firing", []),
            ("fp-a", "resolved", links),
        ]
        summary = (await connection.execute(select(incidents.c.alerts))).scalar_one()
    assert summary == {
        "alerts": [],
        "firing": 1,
        "resolved": 1,
        "groups": ["g1"],
        "nudged": False,
        "escalation_suggested": True,
    }
    await downgrade(empty_engine, "0011")
    async with empty_engine.connect() as connection:
        assert (await connection.execute(select(incidents.c.alerts))).scalar_one() == held


def _old_incident(alerts: dict[str, object]) -> dict[str, object]:
    at = datetime(2026, 12, 7, tzinfo=UTC)
    return {
        "workspace_id": "T0MIGRATE",
        "number": 1,
        "title": "HighLatency (payments)",
        "description": "",
        "severity": 1,
        "status": "declared",
        "reporter": "alertmanager",
        "channel_id": "C0ALERTS",
        "declared_at": at,
        "alerts": alerts,
        "version": 3,
        "updated_at": at,
    }
