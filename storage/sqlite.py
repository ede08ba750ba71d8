"""SQLite's spelling of the statements that differ by database (see storage.dialects).

SQLite has no row locks: every transaction takes the database's write lock when it begins (see
storage.database), so there is nothing to skip or wait for row by row, and only one bot uses the
file, so a lock held in the process is held everywhere. Statements are SQLAlchemy's portable
ones, and a batch is written a statement per table.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from contextlib import nullcontext
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Float,
    FromClause,
    Integer,
    Result,
    Select,
    Table,
    and_,
    bindparam,
    case,
    cast,
    func,
    or_,
    select,
    text,
    true,
    tuple_,
    update,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.incident import Incident
from domain.sla import ClockKind
from storage.change_feed import hub_of
from storage.lock_waits import ConcurrentModification
from storage.rows import claim_rows, event_rows, incident_values, outbox_rows
from storage.schema import (
    BREACHED_SQL,
    OPEN,
    PENDING,
    RESOLVED,
    incident_events,
    incidents,
    outbox,
    processed_requests,
    workspace_counters,
)
from storage.stored import BatchWrites

_Row = TypeVar("_Row", bound=tuple[Any, ...])
_UNIX_EPOCH_JULIAN_DAY = 2_440_587.5

_WORKSPACE_CHANNEL = tuple_(incidents.c.workspace_id, incidents.c.channel_id)
# What each kind of lookup reads (see storage.incident_lookup). A thread is found by home_ts alone:
# it is the declaring thread from the start, or the card's own ts once a top-level card is posted.
_CANDIDATE_ARMS: dict[str, ColumnElement[bool]] = {
    "named": tuple_(incidents.c.workspace_id, incidents.c.number).in_(bindparam("named", expanding=True)),
    "threads": tuple_(incidents.c.workspace_id, incidents.c.channel_id, incidents.c.home_ts).in_(
        bindparam("threads", expanding=True)
    ),
    "open_in": and_(_WORKSPACE_CHANNEL.in_(bindparam("open_in", expanding=True)), OPEN),
    "resolved_in": and_(_WORKSPACE_CHANNEL.in_(bindparam("resolved_in", expanding=True)), RESOLVED),
}


@functools.cache
def _candidates(kinds: frozenset[str]) -> Select[tuple[object, ...]]:
    """Only the kinds of lookup a batch has, so that every part of the condition has an index to
    use (an empty list would leave the planner a part it can only scan for)."""
    query = select(incidents).where(or_(*(arm for kind, arm in _CANDIDATE_ARMS.items() if kind in kinds)))
    return query.order_by(incidents.c.id)


_TAKEN = select(processed_requests.c.key).where(processed_requests.c.key.in_(bindparam("keys", expanding=True)))
# The columns it sets are those of the rows it is given.
_SAVE = update(incidents).where(
    incidents.c.id == bindparam("row_id"), incidents.c.version == bindparam("expected_version")
)
_DELIVERED = (
    update(outbox)
    .where(outbox.c.id == bindparam("row_id"), PENDING)
    .values(delivered_at=bindparam("now"), result=bindparam("result", type_=outbox.c.result.type), last_error=None)
)
_ABSORBED = (
    update(outbox)
    .where(outbox.c.id == bindparam("row_id"), PENDING)
    .values(delivered_at=bindparam("now"), superseded_by=bindparam("into"))
)


# Exact, not a guess: the transaction holds the database's write lock from its first statement.
_NEXT_INCIDENT = select(
    select(func.coalesce(func.max(workspace_counters.c.last_number), 0) + 1)
    .where(workspace_counters.c.workspace_id == bindparam("workspace"))
    .scalar_subquery(),
    select(func.coalesce(func.max(incidents.c.id), 0) + 1).scalar_subquery(),
)
_TAKE = sqlite.insert(workspace_counters).values(workspace_id=bindparam("workspace"), last_number=bindparam("number"))
_TAKE_NUMBER = _TAKE.on_conflict_do_update(
    index_elements=["workspace_id"],
    set_={"last_number": _TAKE.excluded.last_number},
    where=workspace_counters.c.last_number == _TAKE.excluded.last_number - 1,
).returning(workspace_counters.c.last_number)


class SQLite:
    def upsert(self, table: Table) -> sqlite.Insert:
        return sqlite.insert(table)

    def skip_locked(self, query: Select[_Row]) -> Select[_Row]:
        return query

    async def taken(self, connection: AsyncConnection, keys: Sequence[str]) -> Result[Any]:
        return await connection.execute(_TAKEN, {"keys": list(keys)})

    async def candidates(
        self, connection: AsyncConnection, arms: Mapping[str, Sequence[tuple[object, ...]]], *, lock: bool, wait: bool
    ) -> Result[Any]:
        return await connection.execute(_candidates(frozenset(arms)), {kind: list(rows) for kind, rows in arms.items()})

    async def settle(
        self,
        connection: AsyncConnection,
        now: datetime,
        delivered: Sequence[tuple[int, Mapping[str, Any] | None]],
        absorbed: Sequence[tuple[int, int]],
    ) -> None:
        rows = [{"now": now, "row_id": row_id, "result": result} for row_id, result in delivered]
        await connection.execute(_DELIVERED, rows)
        if absorbed:
            rows = [{"now": now, "row_id": row_id, "into": into} for row_id, into in absorbed]
            await connection.execute(_ABSORBED, rows)

    async def write(self, connection: AsyncConnection, writes: BatchWrites, now: datetime) -> None:
        await _insert(connection, processed_requests, claim_rows(writes.claims))
        await _save(connection, writes.projections, now)
        await _insert(connection, incident_events, event_rows(writes.timelines))
        await _insert(connection, outbox, outbox_rows(writes.messages, now))

    async def next_incident(self, connection: AsyncConnection, workspace_id: str) -> tuple[int, int]:
        number, incident_id = (await connection.execute(_NEXT_INCIDENT, {"workspace": workspace_id})).one()
        return int(number), int(incident_id)

    async def declare(
        self, connection: AsyncConnection, row: Mapping[str, Any], writes: BatchWrites, now: datetime
    ) -> bool:
        taken = await connection.execute(_TAKE_NUMBER, {"workspace": row["workspace_id"], "number": row["number"]})
        if taken.first() is None:
            return False
        await connection.execute(incidents.insert(), dict(row))
        await self.write(connection, writes, now)
        return True

    def lock_card(self, engine: AsyncEngine, incident_id: int) -> nullcontext[None]:
        return nullcontext()

    async def lock_migrations(self, connection: AsyncConnection) -> None:
        """The transaction's write lock keeps another migration out already."""

    def committed(self, engine: AsyncEngine, incident_ids: Collection[int]) -> None:
        # One process uses the file: its watchers are all in this process.
        hub_of(engine).publish(incident_ids)

    def epoch(self, moment: ColumnElement[datetime]) -> ColumnElement[float]:
        return (func.julianday(moment, type_=Float) - _UNIX_EPOCH_JULIAN_DAY) * 86_400.0

    def breached(self, kind: ClockKind) -> ColumnElement[bool]:
        return text(BREACHED_SQL["sqlite"].format(kind=kind.value))  # type: ignore[return-value]

    def spreads(self, columns: Sequence[ColumnElement[float]], fractions: Sequence[float]) -> Select[Any]:
        """SQLite has no percentile_cont: each column's values are ranked, and each percentile is
        the sum of its two closest ranks' values weighted by how near each is."""
        parts = []
        for column in columns:
            ranked = (
                select(
                    column.label("value"),
                    func.row_number().over(order_by=column).label("rank"),
                    func.count().over().label("n"),
                )
                .where(column.is_not(None))
                .subquery()
            )
            percentiles = []
            for fraction in fractions:
                position = 1 + fraction * (ranked.c.n - 1)
                low = cast(position, Integer)  # positive: SQLite's cast truncates, i.e. floors
                weight = position - low
                nearest = case(
                    (ranked.c.rank == low, ranked.c.value * (1 - weight)),
                    (ranked.c.rank == low + 1, ranked.c.value * weight),
                    else_=0.0,
                )
                percentiles.append(func.sum(nearest))
            parts.append(select(func.count(), *percentiles).select_from(ranked).subquery())
        rows: FromClause = parts[0]
        for part in parts[1:]:
            rows = rows.join(part, true())  # one row each: side by side
        return select(*(column for part in parts for column in part.c)).select_from(rows)


async def _insert(connection: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await connection.execute(table.insert(), rows)


async def _save(connection: AsyncConnection, changes: Sequence[tuple[int, Incident, Incident]], now: datetime) -> None:
    """Write projections from ``(id, before, after)``: each only over the version it was decided
    from, and only the columns that changed (a note moves three of them, not twenty-seven)."""
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for incident_id, before, after in changes:
        old, new = incident_values(before, now), incident_values(after, now)
        changed = tuple(name for name, value in new.items() if old[name] != value or name == "updated_at")
        keys = {"row_id": incident_id, "expected_version": before.version}
        by_columns[changed].append({name: new[name] for name in changed} | keys)
    for rows in by_columns.values():
        result = await connection.execute(_SAVE, rows)
        # Drivers report -1 for a batch they cannot count; the row locks held make that safe.
        if result.rowcount not in (-1, len(rows)):
            ids = ", ".join(str(row["row_id"]) for row in rows)
            raise ConcurrentModification(f"incidents {ids} changed under a held lock")
