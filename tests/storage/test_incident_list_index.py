"""The console's list stays cheap at 100,000 incidents: its first page, its filtered pages and a deep
page each read their rows off an index in the list's order (migration 0005), never the table."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import pytest
from sqlalchemy import Select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.severity import Severity
from storage.database import create_engine, database_config, unbounded
from storage.incident_pages import PAGE_SIZE, Commander, Cursor, IncidentFilter, StatusFilter, page_query
from storage.migrate import upgrade
from storage.scratch_databases import fresh_postgres_database
from tests.builders import T0

WORKSPACE = "TBENCH"
TOTAL = 100_000

# A year of incidents, one every ~5 minutes; the newest 40 open, 400 more resolved, the rest
# closed; 50 services, 20 commanders, a few kinds of title and a rare one.
_FILL = """
WITH p AS (SELECT CAST(:now AS timestamptz) AS now)
INSERT INTO incidents (workspace_id, number, title, description, severity, status, reporter, commander, service,
                       channel_id, declared_at, version, updated_at)
SELECT :workspace, n,
       CASE WHEN n % 25000 = 0 THEN 'Kafka rebalance storm'
            ELSE (ARRAY['Database failover', 'Checkout errors', 'Login latency', 'Cache stampede',
                        'DNS resolution failing', 'Queue backlog'])[1 + n % 6] || ' #' || n END,
       '', 1 + n % 4,
       CASE WHEN n > :total - 40 THEN 'investigating' WHEN n > :total - 440 THEN 'resolved' ELSE 'closed' END,
       'U1', 'UCMD' || (n % 20), 'service-' || (n % 50), 'C' || (n % 30),
       p.now - (:total - n) * interval '5 minutes', 3, p.now
FROM p, generate_series(1, CAST(:total AS integer)) AS n
"""


@pytest.fixture(scope="module")
async def crowded_engine() -> AsyncIterator[AsyncEngine]:
    async with fresh_postgres_database("firebreak_list_index") as url:
        engine = create_engine(database_config(url))
        await upgrade(engine)
        async with unbounded(engine) as filling:
            async with filling.begin() as connection:
                await connection.execute(text(_FILL), {"now": T0, "total": TOTAL, "workspace": WORKSPACE})
            async with filling.connect() as connection:
                await connection.execute(text("COMMIT"))
                await connection.execute(text("ANALYZE incidents"))
        yield engine
        await engine.dispose()


# Deep in the history: 90,000 incidents newer than the cursor.
_DEEP = Cursor(T0 - 90_000 * timedelta(minutes=5), 10_001)
_EVERY = IncidentFilter(WORKSPACE, StatusFilter.ALL)

# Each page: its filter, its cursor and the index (one of the indexes) its plan reads.
PAGES = {
    "first page (open)": (IncidentFilter(WORKSPACE), None, "ix_incidents_listing_open"),
    "every incident": (_EVERY, None, "ix_incidents_listing"),
    "resolved": (IncidentFilter(WORKSPACE, StatusFilter.RESOLVED), None, "ix_incidents_listing_status"),
    # Nearly every incident is closed: the planner may read either index, skipping the few others.
    "closed, deep": (
        IncidentFilter(WORKSPACE, StatusFilter.CLOSED),
        _DEEP,
        "ix_incidents_listing ix_incidents_listing_status",
    ),
    "a service": (
        IncidentFilter(WORKSPACE, StatusFilter.ALL, service="service-7"),
        None,
        "ix_incidents_listing_service",
    ),
    "a service, deep": (
        IncidentFilter(WORKSPACE, StatusFilter.ALL, service="service-7"),
        _DEEP,
        "ix_incidents_listing_service",
    ),
    "a commander, deep": (
        IncidentFilter(WORKSPACE, StatusFilter.ALL, commander=Commander("UCMD3")),
        _DEEP,
        "ix_incidents_listing_commander",
    ),
    "a severity, deep": (
        IncidentFilter(WORKSPACE, StatusFilter.ALL, severities=frozenset({Severity.SEV1})),
        _DEEP,
        "ix_incidents_listing",
    ),
    "a month": (
        IncidentFilter(WORKSPACE, StatusFilter.ALL, declared_from=T0 - timedelta(days=60), declared_before=T0),
        None,
        "ix_incidents_listing",
    ),
    "a rare title": (IncidentFilter(WORKSPACE, StatusFilter.ALL, title="kafka"), None, "ix_incidents_title_trigrams"),
    "every incident, deep": (_EVERY, _DEEP, "ix_incidents_listing"),
}


async def plan_for_these_values(engine: AsyncEngine, query: Select[tuple[object, ...]]) -> str:
    statement = str(query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    async with engine.connect() as connection:
        return "\n".join(row[0] for row in await connection.execute(text(f"EXPLAIN {statement}")))


async def plan_for_any_values(engine: AsyncEngine, query: Select[tuple[object, ...]]) -> str:
    """The plan Postgres keeps for a prepared statement once it stops planning each run for its
    values (after five runs, when that looks no dearer): asyncpg prepares every statement."""
    compiled = query.compile(dialect=engine.dialect, compile_kwargs={"render_postcompile": True})
    values = [compiled.params[name] for name in compiled.positiontup or ()]
    shown = ", ".join(
        str(value) if isinstance(value, int) else "'{}'".format(str(value).replace("'", "''")) for value in values
    )
    async with engine.connect() as connection:
        await connection.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
        await connection.exec_driver_sql(f"PREPARE listing AS {compiled}")
        try:
            explained = await connection.exec_driver_sql(
                f"EXPLAIN EXECUTE listing({shown})" if values else "EXPLAIN EXECUTE listing"
            )
            return "\n".join(row[0] for row in explained)
        finally:
            await connection.exec_driver_sql("DEALLOCATE listing")


@pytest.mark.parametrize("planned", [plan_for_these_values, plan_for_any_values])
@pytest.mark.parametrize("name", PAGES)
async def test_each_kind_of_page_reads_an_index(
    crowded_engine: AsyncEngine, name: str, planned: Callable[[AsyncEngine, Select[tuple[object, ...]]], Awaitable[str]]
) -> None:
    wanted, after, indexes = PAGES[name]
    plan = await planned(crowded_engine, page_query(wanted, after, PAGE_SIZE + 1))
    assert any(f" {index} " in plan for index in indexes.split()), plan
    assert "Seq Scan" not in plan, plan
    if wanted.title is None:
        assert "Sort" not in plan, plan  # read in the list's order, stopping after a page
