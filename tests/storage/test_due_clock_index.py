"""The scheduler's query stays cheap however many incidents were ever declared: it uses the
partial index on next_due_at, so its cost follows the due clocks, not the table."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import create_engine, database_config, unbounded
from storage.dialects import dialect_of
from storage.incident_repository import due_query
from storage.migrate import upgrade
from storage.scratch_databases import fresh_postgres_database
from tests.builders import T0

_FILL = """
WITH p AS (SELECT CAST(:now AS timestamptz) AS now, CAST(:closed AS integer) AS closed)
INSERT INTO incidents (workspace_id, number, title, description, severity, status, reporter, channel_id,
                       declared_at, next_due_at, ack_due_at, version, updated_at)
SELECT 'TBENCH', n, 'incident ' || n, '', 3,
       CASE WHEN n <= p.closed THEN 'closed' ELSE 'investigating' END,
       'U1', 'C' || (n % 50), p.now - interval '30 days',
       CASE WHEN n <= p.closed THEN NULL ELSE p.now + (n % 7 - 3) * interval '1 minute' END,
       CASE WHEN n <= p.closed THEN NULL ELSE p.now + (n % 7 - 3) * interval '1 minute' END,
       3, p.now
FROM p, generate_series(1, CAST(:total AS integer)) AS n
"""


@pytest.fixture(scope="module")
async def crowded_engine() -> AsyncIterator[AsyncEngine]:
    async with fresh_postgres_database("firebreak_index") as url:
        engine = create_engine(database_config(url))
        await upgrade(engine)
        # Filling 101,000 rows is no request: it may take longer than one may.
        async with unbounded(engine) as filling:
            async with filling.begin() as connection:
                await connection.execute(text(_FILL), {"closed": 100_000, "total": 101_000, "now": T0})
            async with filling.connect() as connection:
                await connection.execute(text("COMMIT"))
                await connection.execute(text("ANALYZE incidents"))
        yield engine
        await engine.dispose()


async def test_due_clock_claim_uses_the_partial_index(crowded_engine: AsyncEngine) -> None:
    query = dialect_of(crowded_engine).skip_locked(due_query(T0, 200))
    statement = str(query.compile(dialect=crowded_engine.dialect, compile_kwargs={"literal_binds": True}))
    async with crowded_engine.connect() as connection:
        plan = "\n".join(row[0] for row in await connection.execute(text(f"EXPLAIN {statement}")))
        due = await connection.execute(text("SELECT count(*) FROM incidents WHERE next_due_at <= :now"), {"now": T0})
        due_count = due.scalar_one()
    assert "ix_incidents_next_due_at" in plan, plan
    assert "Seq Scan on incidents" not in plan, plan
    assert 0 < due_count < 1_000  # some open clocks are due, none of the 100,000 closed incidents are
