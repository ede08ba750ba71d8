"""Scheduler tick time over a crowded database: 100,000 closed and 1,000 open incidents.

    python -m bench.scheduler_tick            # needs Postgres on 127.0.0.1:5432 (FIREBREAK_TEST_PG)

``python -m bench`` runs it too, as part of the whole suite.

Measures one tick with no clock due and one tick with all 1,000 open incidents' ack clocks due
(each gets its breach, reminder and outbox rows), on a throwaway database, and writes the figures
to bench/results/scheduler_tick.json; bench/RESULTS.md quotes them.
"""

from __future__ import annotations

import asyncio
import json
import platform
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Select, text

from bot.delivery.effects import SlackEffects
from bot.handler.runner import CommandRunner
from bot.runtime.clock import MutableClock
from bot.sla.scheduler import SlaScheduler
from storage.database import create_engine, database_config, unbounded
from storage.dialects import dialect_of
from storage.incident_repository import due_query
from storage.migrate import upgrade
from storage.scratch_databases import fresh_postgres_database

CLOSED, OPEN = 100_000, 1_000
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
RESULTS = Path(__file__).parent / "results" / "scheduler_tick.json"

_FILL = """
INSERT INTO incidents (workspace_id, number, title, description, severity, status, reporter, channel_id,
                       thread_ts, home_ts, card_ts, declared_at, acknowledged_at, next_due_at, ack_due_at,
                       resolve_due_at, version, updated_at)
SELECT 'TBENCH', n, 'incident ' || n, '', 2,
       CASE WHEN n <= CAST(:closed AS integer) THEN 'closed' ELSE 'declared' END,
       'U1', 'C' || (n % 50), n || '.000100', n || '.000100', n || '.000200',
       CAST(:declared AS timestamptz), NULL,
       CASE WHEN n <= CAST(:closed AS integer) THEN NULL ELSE CAST(:ack_due AS timestamptz) END,
       CASE WHEN n <= CAST(:closed AS integer) THEN NULL ELSE CAST(:ack_due AS timestamptz) END,
       NULL, 0, CAST(:declared AS timestamptz)
FROM generate_series(1, CAST(:total AS integer)) AS n
"""


class _NoWake:
    def wake(self) -> None:
        """The benchmark measures recording reminders; delivery is not part of a tick."""


async def _tick(scheduler: SlaScheduler) -> tuple[float, int]:
    started = time.perf_counter()
    reminded = await scheduler.tick()
    return (time.perf_counter() - started) * 1000, reminded


async def run(closed: int = CLOSED, open_: int = OPEN) -> dict[str, Any]:
    async with fresh_postgres_database("firebreak_bench") as url:
        engine = create_engine(database_config(url))
        try:
            await upgrade(engine)
            ack_due = NOW + timedelta(minutes=15)
            # Filling the table is no request: it may take longer than one may.
            async with unbounded(engine) as filling:
                async with filling.begin() as connection:
                    await connection.execute(
                        text(_FILL),
                        {"closed": closed, "total": closed + open_, "declared": NOW, "ack_due": ack_due},
                    )
                async with filling.connect() as connection:
                    await connection.execute(text("COMMIT"))
                    await connection.execute(text("ANALYZE"))
            clock = MutableClock(NOW)
            scheduler = SlaScheduler(
                CommandRunner(engine), SlackEffects(), clock, _NoWake(), tick=timedelta(seconds=30)
            )
            idle = [await _tick(scheduler) for _ in range(20)]
            clock.set(ack_due)
            busy_ms, reminded = await _tick(scheduler)
            async with engine.connect() as connection:
                plan_rows = await connection.execute(
                    text(f"EXPLAIN {_literal(dialect_of(engine).skip_locked(due_query(NOW, 200)))}")
                )
                plan = [row[0] for row in plan_rows]
        finally:
            await engine.dispose()
    return {
        "closed_incidents": closed,
        "open_incidents": open_,
        "idle_tick_ms": {"p50": statistics.median(t for t, _ in idle), "max": max(t for t, _ in idle)},
        "busy_tick_ms": busy_ms,
        "reminded_in_one_tick": reminded,
        "plan": plan,
        "machine": {"python": platform.python_version(), "cpu": platform.processor() or platform.machine()},
    }


def _literal(query: Select[Any]) -> str:
    from sqlalchemy.dialects import postgresql

    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    return str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def main() -> None:
    figures = asyncio.run(run())
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
