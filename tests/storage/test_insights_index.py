"""Insights read a long history off indexes: the times to acknowledge and resolve come from an
index-only scan of migration 0006's timeline index, and the breaches from its per-clock indexes;
no statement reads the timeline's table (and its payloads) itself. And a database that does not
finish them in time is said to be too slow, not left to fail as anything else."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Select, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from domain.sla import DEFAULT_POLICY
from storage.database import create_engine, database_config, unbounded
from storage.dialects import dialect_of
from storage.insights import InsightsFilter, TooSlow, breaches_query, read_insights, spreads_query
from storage.migrate import upgrade
from storage.scratch_databases import fresh_postgres_database
from tests.builders import T0

WORKSPACE = "TBENCH"
_INCIDENTS = """
INSERT INTO incidents (workspace_id, number, title, description, severity, status, reporter, channel_id,
                       declared_at, version, updated_at)
SELECT :workspace, n, 'incident ' || n, '', 1 + n % 4, 'closed', 'U1', 'C1',
       CAST(:t0 AS timestamptz) - n * interval '10 minutes', 5, CAST(:t0 AS timestamptz)
FROM generate_series(1, 100000) AS n
"""
# Each incident's story as the timeline tells it: declared, a note, acknowledged, resolved, closed;
# every tenth one's ack clock breached first.
_EVENTS = """
INSERT INTO incident_events (incident_id, seq, type, payload, actor, occurred_at)
SELECT i.id, s.seq, s.type, CAST(s.payload AS jsonb), 'U1', i.declared_at + s.after * interval '1 minute'
FROM incidents AS i
CROSS JOIN (VALUES (1, 'declared', '{}', 0), (2, 'note_added', '{"text": "looking"}', 1),
                   (3, 'sla_breached', '{"kind": "ack"}', 5), (4, 'acknowledged', '{}', 6),
                   (5, 'resolved', '{"summary": null}', 30), (6, 'closed', '{}', 90))
     AS s(seq, type, payload, after)
WHERE s.type <> 'sla_breached' OR i.number % 10 = 0
"""


@pytest.fixture(scope="module")
async def long_history() -> AsyncIterator[AsyncEngine]:
    async with fresh_postgres_database("firebreak_insights") as url:
        engine = create_engine(database_config(url))
        await upgrade(engine)
        # Filling 100,000 incidents' timelines is no request: it may take longer than one may.
        async with unbounded(engine) as filling:
            async with filling.begin() as connection:
                await connection.execute(text(_INCIDENTS), {"workspace": WORKSPACE, "t0": T0})
                await connection.execute(text(_EVENTS))
            async with filling.connect() as connection:
                await connection.execute(text("COMMIT"))
                # As autovacuum does after a burst of inserts: the visibility map lets scans stay in the index.
                await connection.execute(text("VACUUM ANALYZE"))
        yield engine
        await engine.dispose()


async def plan_of(engine: AsyncEngine, query: Select[tuple[object, ...]]) -> str:
    statement = str(query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    async with engine.connect() as connection:
        return "\n".join(row[0] for row in await connection.execute(text(f"EXPLAIN {statement}")))


async def test_times_to_acknowledge_and_resolve_read_the_timeline_index_alone(long_history: AsyncEngine) -> None:
    plan = await plan_of(long_history, spreads_query(dialect_of(long_history), InsightsFilter(WORKSPACE)))

    assert "Index Only Scan using ix_incident_events_insights on incident_events" in plan, plan
    assert "Seq Scan on incident_events" not in plan, plan


async def test_breaches_read_the_per_clock_indexes_alone(long_history: AsyncEngine) -> None:
    plan = await plan_of(long_history, breaches_query(dialect_of(long_history), InsightsFilter(WORKSPACE)))

    for clock in ("ack", "update", "resolve"):
        assert f"Index Only Scan using ix_incident_events_breached_{clock} on incident_events" in plan, plan
    assert "Seq Scan on incident_events" not in plan, plan
    assert "Bitmap Heap Scan on incident_events" not in plan, plan


async def test_figures_the_database_cannot_finish_in_time_are_too_slow(long_history: AsyncEngine) -> None:
    """A database bound far tighter than storage.database's (1 s), as a busy machine would make it."""
    hurried = create_async_engine(long_history.url, connect_args={"server_settings": {"statement_timeout": "1ms"}})
    try:
        with pytest.raises(TooSlow):
            await read_insights(hurried, InsightsFilter(WORKSPACE), now=T0, policy=DEFAULT_POLICY)
    finally:
        await hurried.dispose()
