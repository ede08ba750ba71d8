"""Reads and writes of the incidents projection, inside one unit of work."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, or_, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.incident import Incident, IncidentRef
from storage.incident_lookup import Candidates, Lookup
from storage.incident_rows import incident_from_row, incident_values
from storage.schema import OPEN_STATUS_SQL, RESOLVED_STATUS_SQL, incidents


class ConcurrentModification(RuntimeError):
    """The projection moved under a locked row: a bug, or a database without row locks."""


@dataclass(frozen=True)
class StoredIncident:
    """An incident with where it lives in Slack, as far as delivery has got."""

    id: int
    incident: Incident
    card_ts: str | None
    home_ts: str | None


def _select() -> Select[tuple[object, ...]]:
    return select(incidents)


def _stored(row: object) -> StoredIncident:
    mapping = row._mapping  # type: ignore[attr-defined]
    return StoredIncident(mapping["id"], incident_from_row(mapping), mapping["card_ts"], mapping["home_ts"])


def due_query(now: datetime, limit: int, *, skip_locked: bool) -> Select[tuple[object, ...]]:
    query = _select().where(incidents.c.next_due_at <= now).order_by(incidents.c.next_due_at).limit(limit)
    return query.with_for_update(skip_locked=True) if skip_locked else query


# The same words as the partial index's predicate, so that the planner can use the index (a bound
# list of statuses would hide that the query asks for open incidents only).
_OPEN: ColumnElement[bool] = text(OPEN_STATUS_SQL)  # type: ignore[assignment]
_RESOLVED: ColumnElement[bool] = text(RESOLVED_STATUS_SQL)  # type: ignore[assignment]

# The request path's queries, built once: each request only binds its values, so SQLAlchemy neither
# rebuilds the statement nor recomputes its cache key every time.
_BY_REF = _select().where(
    incidents.c.workspace_id == bindparam("workspace_id"), incidents.c.number == bindparam("number")
)
_BY_ID = _select().where(incidents.c.id == bindparam("incident_id"))
_BY_THREAD = _select().where(
    incidents.c.workspace_id == bindparam("workspace_id"),
    incidents.c.channel_id == bindparam("channel_id"),
    incidents.c.home_ts == bindparam("thread_ts"),
)


_WORKSPACE_CHANNEL = tuple_(incidents.c.workspace_id, incidents.c.channel_id)
# What each kind of lookup reads (see storage.incident_lookup). A thread is found by home_ts alone:
# it is the declaring thread from the start, or the card's own ts once a top-level card is posted.
_CANDIDATE_ARMS: dict[str, ColumnElement[bool]] = {
    "named": tuple_(incidents.c.workspace_id, incidents.c.number).in_(bindparam("named", expanding=True)),
    "threads": tuple_(incidents.c.workspace_id, incidents.c.channel_id, incidents.c.home_ts).in_(
        bindparam("threads", expanding=True)
    ),
    "open_in": and_(_WORKSPACE_CHANNEL.in_(bindparam("open_in", expanding=True)), _OPEN),
    "resolved_in": and_(_WORKSPACE_CHANNEL.in_(bindparam("resolved_in", expanding=True)), _RESOLVED),
}


@functools.cache
def _candidates_query(kinds: frozenset[str], lock: bool) -> Select[tuple[object, ...]]:
    """Only the kinds of lookup a batch has, so that every part of the condition has an index to
    use (an empty list would leave the planner a part it can only scan for). Locked in id order,
    so that two transactions locking overlapping sets never deadlock."""
    query = _select().where(or_(*(arm for kind, arm in _CANDIDATE_ARMS.items() if kind in kinds)))
    query = query.order_by(incidents.c.id)
    return query.with_for_update() if lock else query


def _postgres_candidates(lock: bool) -> str:
    """The same read on Postgres, with one array parameter per column looked up: one text, and so
    one prepared statement, for every batch (the statement above has a spelling per batch shape,
    each rendered by SQLAlchemy and parsed by Postgres anew), and each kind of lookup an index
    join whatever it holds, empty arrays included.

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


_POSTGRES_CANDIDATES = {lock: _postgres_candidates(lock) for lock in (False, True)}
_POSTGRES_CANDIDATES_NOWAIT = _POSTGRES_CANDIDATES[True] + " NOWAIT"
# The kinds of lookup in the order of the statement's parameters, with how many columns each has.
_POSTGRES_ARMS = (("named", 2), ("threads", 3), ("open_in", 2), ("resolved_in", 2))

# The columns it sets are those of the rows it is given.
_SAVE = update(incidents).where(
    incidents.c.id == bindparam("row_id"), incidents.c.version == bindparam("expected_version")
)


class IncidentRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def _one(self, query: Select[tuple[object, ...]], values: dict[str, object]) -> StoredIncident | None:
        row = (await self._connection.execute(query, values)).first()
        return None if row is None else _stored(row)

    async def get(self, ref: IncidentRef) -> StoredIncident | None:
        return await self._one(_BY_REF, {"workspace_id": ref.workspace_id, "number": ref.number})

    async def candidates(self, lookups: Sequence[Lookup], *, lock: bool = False, wait: bool = True) -> Candidates:
        """The incidents ``lookups`` may mean, read together; with ``lock``, row-locked until commit.

        A row another transaction holds is waited for, at most the session's ``lock_timeout``
        (see storage.database); with ``wait=False``, not at all. Either way the statement then
        fails with SQLSTATE 55P03 (lock_not_available). SQLite has no row locks to wait for.
        """
        values: dict[str, list[tuple[object, ...]]] = defaultdict(list)
        for lookup in lookups:
            if lookup.number is not None:
                values["named"].append((lookup.workspace_id, lookup.number))
            if lookup.thread_ts is not None and lookup.channel_id is not None:
                values["threads"].append((lookup.workspace_id, lookup.channel_id, lookup.thread_ts))
            if lookup.by_channel:
                values["resolved_in" if lookup.resolved else "open_in"].append((lookup.workspace_id, lookup.channel_id))
        if not values:
            return Candidates(())
        if self._connection.dialect.name == "postgresql":
            parameters = [
                [row[column] for row in values.get(kind, ())]
                for kind, width in _POSTGRES_ARMS
                for column in range(width)
            ]
            statement = _POSTGRES_CANDIDATES[lock] if wait or not lock else _POSTGRES_CANDIDATES_NOWAIT
            rows = await self._connection.exec_driver_sql(statement, tuple(parameters))
        else:
            rows = await self._connection.execute(_candidates_query(frozenset(values), lock), dict(values))
        return Candidates(map(_stored, rows))

    async def get_by_id(self, incident_id: int) -> StoredIncident | None:
        return await self._one(_BY_ID, {"incident_id": incident_id})

    async def get_many(self, incident_ids: Sequence[int]) -> dict[int, StoredIncident]:
        if not incident_ids:
            return {}
        query = _select().where(incidents.c.id.in_(sorted(set(incident_ids))))
        return {stored.id: stored for stored in map(_stored, await self._connection.execute(query))}

    async def by_thread(self, workspace_id: str, channel_id: str, thread_ts: str) -> StoredIncident | None:
        """The incident whose thread this is, by the declaring thread or the card's own thread."""
        return await self._one(
            _BY_THREAD, {"workspace_id": workspace_id, "channel_id": channel_id, "thread_ts": thread_ts}
        )

    async def open_in_workspace(self, workspace_id: str, limit: int = 50) -> list[StoredIncident]:
        query = _select().where(incidents.c.workspace_id == workspace_id, _OPEN).order_by(incidents.c.number)
        return [_stored(row) for row in await self._connection.execute(query.limit(limit))]

    async def recent(self, workspace_id: str, limit: int = 20) -> list[StoredIncident]:
        query = _select().where(incidents.c.workspace_id == workspace_id).order_by(incidents.c.number.desc())
        return [_stored(row) for row in await self._connection.execute(query.limit(limit))]

    async def count_open(self, workspace_id: str) -> int:
        query = select(func.count()).select_from(incidents).where(incidents.c.workspace_id == workspace_id, _OPEN)
        return int((await self._connection.execute(query)).scalar_one())

    async def lock_due(self, now: datetime, limit: int) -> list[StoredIncident]:
        """Lock up to ``limit`` incidents with a clock due by ``now``, earliest first.

        Rows another replica has locked are skipped, not waited for: that replica is already
        reminding about them, and by the time its transaction commits their clocks have moved on.
        The partial index on next_due_at keeps this proportional to what is due.
        """
        query = due_query(now, limit, skip_locked=self._connection.dialect.name == "postgresql")
        return [_stored(row) for row in await self._connection.execute(query)]

    async def insert(self, incident: Incident, now: datetime) -> int:
        values = incident_values(incident, now) | {"home_ts": incident.thread_ts}
        result = await self._connection.execute(incidents.insert().values(**values).returning(incidents.c.id))
        return int(result.scalar_one())

    async def save_many(self, changes: Sequence[tuple[int, Incident, Incident]], now: datetime) -> None:
        """Write projections from ``(id, before, after)``: each only over the version it was decided
        from, and only the columns that changed (a note moves three of them, not twenty-seven)."""
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for incident_id, before, after in changes:
            old, new = incident_values(before, now), incident_values(after, now)
            changed = tuple(name for name, value in new.items() if old[name] != value or name == "updated_at")
            keys = {"row_id": incident_id, "expected_version": before.version}
            by_columns[changed].append({name: new[name] for name in changed} | keys)
        for rows in by_columns.values():
            result = await self._connection.execute(_SAVE, rows)
            # Drivers report -1 for a batch they cannot count; the row locks held make that safe.
            if result.rowcount not in (-1, len(rows)):
                ids = ", ".join(str(row["row_id"]) for row in rows)
                raise ConcurrentModification(f"incidents {ids} changed under a held lock")

    async def record_card(self, incident_id: int, card_ts: str) -> None:
        """Remember the posted card; a top-level card's own thread becomes the incident's home."""
        statement = (
            update(incidents)
            .where(incidents.c.id == incident_id, and_(incidents.c.card_ts.is_(None)))
            .values(card_ts=card_ts, home_ts=func.coalesce(incidents.c.home_ts, card_ts))
        )
        await self._connection.execute(statement)
