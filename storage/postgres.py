"""Postgres's spelling of the statements that differ by database (see storage.dialects).

Postgres has row locks, so replicas share it: a claim skips the rows another replica has locked,
and what must happen alone across replicas takes an advisory lock. A statement whose rows vary in
number takes one array parameter per column, so that its text, and so its prepared statement, is
the same for any number of rows (an IN list or a multi-row VALUES is spelled per count).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Float, Result, Select, Table, func, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.sla import ClockKind
from storage.lock_waits import lock_not_available
from storage.postgres_writes import declare_in_one_statement, write_in_one_statement
from storage.schema import BREACHED_SQL, OPEN_STATUS_SQL, PENDING_SQL, RESOLVED_STATUS_SQL, incidents
from storage.stored import BatchWrites

_Row = TypeVar("_Row", bound=tuple[Any, ...])

_CARD_LOCK_SPACE = 0x43415244  # "CARD": keeps these keys apart from other advisory locks
# Parsed once: every card post and edit takes and releases the lock.
_LOCK_CARD = text("SELECT pg_advisory_lock(:space, :id)")
_UNLOCK_CARD = text("SELECT pg_advisory_unlock(:space, :id)")
# Replicas starting together must not run the same migration twice; any fixed key will do.
_MIGRATION_LOCK_KEY = 0x46697265627265


def _candidates(lock: bool) -> str:
    """The incidents some lookups may mean, with one array parameter per column looked up: one
    text for every batch (SQLAlchemy's spelling has one per batch shape, each rendered and parsed
    anew), and each kind of lookup an index join whatever it holds, empty arrays included. Locked
    in id order, so that two transactions locking overlapping sets never deadlock.

    With ``lock``, a row another transaction changes while this waits for its lock is returned as
    that transaction left it, even if it no longer matches (it became resolved, say): each
    command chooses among the candidates by their current state (see Candidates).
    """
    columns = ", ".join(column.name for column in incidents.c)
    return f"""SELECT {columns} FROM incidents WHERE id IN (
    SELECT i.id FROM unnest($1::text[], $2::integer[]) AS n(workspace_id, number)
    JOIN incidents AS i ON i.workspace_id = n.workspace_id AND i.number = n.number
    UNION ALL
    SELECT i.id FROM unnest($3::text[], $4::text[], $5::text[]) AS t(workspace_id, channel_id, home_ts)
    JOIN incidents AS i
        ON i.workspace_id = t.workspace_id AND i.channel_id = t.channel_id AND i.home_ts = t.home_ts
    UNION ALL
    SELECT i.id FROM unnest($6::text[], $7::text[]) AS o(workspace_id, channel_id)
    JOIN incidents AS i ON i.workspace_id = o.workspace_id AND i.channel_id = o.channel_id AND i.{OPEN_STATUS_SQL}
    UNION ALL
    SELECT i.id FROM unnest($8::text[], $9::text[]) AS r(workspace_id, channel_id)
    JOIN incidents AS i ON i.workspace_id = r.workspace_id AND i.channel_id = r.channel_id AND i.{RESOLVED_STATUS_SQL}
) ORDER BY id{" FOR UPDATE" if lock else ""}"""  # noqa: S608 - the schema's column names; every value is a parameter


CANDIDATES = {lock: _candidates(lock) for lock in (False, True)}
_CANDIDATES_NOWAIT = CANDIDATES[True] + " NOWAIT"
# The kinds of lookup in the order of the statement's parameters, with how many columns each has.
_ARMS = (("named", 2), ("threads", 3), ("open_in", 2), ("resolved_in", 2))

_TAKEN = "SELECT key FROM processed_requests WHERE key = ANY($1::text[])"
# Read, not taken: the declaration's statement takes the number if no one took it meanwhile. The
# id is taken (a sequence never gives one twice, and a gap between ids is of no matter).
_NEXT_INCIDENT = """SELECT coalesce((SELECT last_number FROM workspace_counters WHERE workspace_id = $1), 0) + 1,
    nextval(pg_get_serial_sequence('incidents', 'id'))"""
_DELIVERED = f"""UPDATE outbox SET delivered_at = $1, result = s.result, last_error = NULL
FROM unnest($2::bigint[], $3::jsonb[]) AS s(id, result) WHERE outbox.id = s.id AND {PENDING_SQL}"""  # noqa: S608
_ABSORBED = f"""UPDATE outbox SET delivered_at = $1, superseded_by = s.into_id
FROM unnest($2::bigint[], $3::bigint[]) AS s(id, into_id) WHERE outbox.id = s.id AND {PENDING_SQL}"""  # noqa: S608


class Postgres:
    def upsert(self, table: Table) -> postgresql.Insert:
        return postgresql.insert(table)

    def skip_locked(self, query: Select[_Row]) -> Select[_Row]:
        return query.with_for_update(skip_locked=True)

    async def taken(self, connection: AsyncConnection, keys: Sequence[str]) -> Result[Any]:
        return await connection.exec_driver_sql(_TAKEN, (list(keys),))

    async def candidates(
        self, connection: AsyncConnection, arms: Mapping[str, Sequence[tuple[object, ...]]], *, lock: bool, wait: bool
    ) -> Result[Any]:
        parameters = [[row[column] for row in arms.get(kind, ())] for kind, width in _ARMS for column in range(width)]
        statement = CANDIDATES[lock] if wait or not lock else _CANDIDATES_NOWAIT
        return await connection.exec_driver_sql(statement, tuple(parameters))

    async def settle(
        self,
        connection: AsyncConnection,
        now: datetime,
        delivered: Sequence[tuple[int, Mapping[str, Any] | None]],
        absorbed: Sequence[tuple[int, int]],
    ) -> None:
        ids, results = [row_id for row_id, _ in delivered], [_json(result) for _, result in delivered]
        await connection.exec_driver_sql(_DELIVERED, (now, ids, results))
        if absorbed:
            merged, into = [row_id for row_id, _ in absorbed], [into for _, into in absorbed]
            await connection.exec_driver_sql(_ABSORBED, (now, merged, into))

    async def write(self, connection: AsyncConnection, writes: BatchWrites, now: datetime) -> None:
        await write_in_one_statement(connection, writes, now)

    async def next_incident(self, connection: AsyncConnection, workspace_id: str) -> tuple[int, int]:
        number, incident_id = map(int, (await connection.exec_driver_sql(_NEXT_INCIDENT, (workspace_id,))).one())
        return number, incident_id

    async def declare(
        self, connection: AsyncConnection, row: Mapping[str, Any], writes: BatchWrites, now: datetime
    ) -> bool:
        return await declare_in_one_statement(connection, row, writes, now)

    @asynccontextmanager
    async def lock_card(self, engine: AsyncEngine, incident_id: int) -> AsyncIterator[None]:
        async with engine.connect() as connection:
            # A session lock needs no transaction, and none must stay open while the card is sent:
            # Postgres ends a session left idle in a transaction for seconds (see storage.database).
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await _lock_card(connection, incident_id)
            try:
                yield
            finally:
                await connection.execute(_UNLOCK_CARD, {"space": _CARD_LOCK_SPACE, "id": incident_id})

    async def lock_migrations(self, connection: AsyncConnection) -> None:
        await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})

    def committed(self, engine: AsyncEngine, incident_ids: Collection[int]) -> None:
        """Nothing to do: the trigger on incidents notified every replica at commit (see
        storage.change_feed), whichever statement changed them."""

    def epoch(self, moment: ColumnElement[datetime]) -> ColumnElement[float]:
        return func.date_part("epoch", moment, type_=Float)

    def breached(self, kind: ClockKind) -> ColumnElement[bool]:
        return text(BREACHED_SQL["postgresql"].format(kind=kind.value))  # type: ignore[return-value]

    def spreads(self, columns: Sequence[ColumnElement[float]], fractions: Sequence[float]) -> Select[Any]:
        return select(
            *(
                part
                for column in columns
                for part in (
                    func.count(column),
                    *(func.percentile_cont(fraction).within_group(column) for fraction in fractions),
                )
            )
        )


async def _lock_card(connection: AsyncConnection, incident_id: int) -> None:
    """Another replica may be sending this card, for seconds when Slack paces it: each attempt
    waits as long as the session's lock_timeout allows, and the next one follows at once."""
    while True:
        try:
            await connection.execute(_LOCK_CARD, {"space": _CARD_LOCK_SPACE, "id": incident_id})
            return
        except DBAPIError as error:
            if not lock_not_available(error):
                raise


def _json(value: Mapping[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value)
