"""Reads and writes of the incidents projection, inside one unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.incident import Incident, IncidentRef
from domain.lifecycle import Status
from storage.incident_rows import incident_from_row, incident_values
from storage.schema import OPEN_STATUS_SQL, incidents


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

# The request path's queries, built once: each request only binds its values, so SQLAlchemy neither
# rebuilds the statement nor recomputes its cache key every time.
_BY_REF = _select().where(
    incidents.c.workspace_id == bindparam("workspace_id"), incidents.c.number == bindparam("number")
)
_BY_ID = _select().where(incidents.c.id == bindparam("incident_id"))
_BY_THREAD = _select().where(
    incidents.c.workspace_id == bindparam("workspace_id"),
    incidents.c.channel_id == bindparam("channel_id"),
    or_(incidents.c.home_ts == bindparam("thread_ts"), incidents.c.thread_ts == bindparam("thread_ts")),
)


def _in_channel(condition: ColumnElement[bool]) -> Select[tuple[object, ...]]:
    return (
        _select()
        .where(
            incidents.c.workspace_id == bindparam("workspace_id"),
            incidents.c.channel_id == bindparam("channel_id"),
            condition,
        )
        .order_by(incidents.c.number)
        .limit(bindparam("limit"))
    )


_OPEN_IN_CHANNEL = _in_channel(_OPEN)
_RESOLVED_IN_CHANNEL = _in_channel(incidents.c.status == Status.RESOLVED.value)
_LOCKED = {query: query.with_for_update() for query in (_BY_REF, _BY_THREAD, _OPEN_IN_CHANNEL, _RESOLVED_IN_CHANNEL)}


class IncidentRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def _one(self, query: Select[tuple[object, ...]], values: dict[str, object]) -> StoredIncident | None:
        row = (await self._connection.execute(query, values)).first()
        return None if row is None else _stored(row)

    async def lock(self, ref: IncidentRef) -> StoredIncident | None:
        """Load for a change, holding the row lock until commit (a no-op on SQLite, see database)."""
        return await self.get(ref, lock=True)

    async def get(self, ref: IncidentRef, *, lock: bool = False) -> StoredIncident | None:
        query = _LOCKED[_BY_REF] if lock else _BY_REF
        return await self._one(query, {"workspace_id": ref.workspace_id, "number": ref.number})

    async def get_by_id(self, incident_id: int) -> StoredIncident | None:
        return await self._one(_BY_ID, {"incident_id": incident_id})

    async def get_many(self, incident_ids: Sequence[int]) -> dict[int, StoredIncident]:
        if not incident_ids:
            return {}
        query = _select().where(incidents.c.id.in_(sorted(set(incident_ids))))
        return {stored.id: stored for stored in map(_stored, await self._connection.execute(query))}

    async def by_thread(
        self, workspace_id: str, channel_id: str, thread_ts: str, *, lock: bool = False
    ) -> StoredIncident | None:
        """The incident whose thread this is, by the declaring thread or the card's own thread."""
        query = _LOCKED[_BY_THREAD] if lock else _BY_THREAD
        return await self._one(query, {"workspace_id": workspace_id, "channel_id": channel_id, "thread_ts": thread_ts})

    async def open_in_channel(
        self, workspace_id: str, channel_id: str, limit: int = 20, *, lock: bool = False
    ) -> list[StoredIncident]:
        return await self._in_channel(_OPEN_IN_CHANNEL, workspace_id, channel_id, limit, lock)

    async def resolved_in_channel(
        self, workspace_id: str, channel_id: str, limit: int = 20, *, lock: bool = False
    ) -> list[StoredIncident]:
        return await self._in_channel(_RESOLVED_IN_CHANNEL, workspace_id, channel_id, limit, lock)

    async def _in_channel(
        self, query: Select[tuple[object, ...]], workspace_id: str, channel_id: str, limit: int, lock: bool
    ) -> list[StoredIncident]:
        values = {"workspace_id": workspace_id, "channel_id": channel_id, "limit": limit}
        return [_stored(row) for row in await self._connection.execute(_LOCKED[query] if lock else query, values)]

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

    async def save(self, incident_id: int, incident: Incident, expected_version: int, now: datetime) -> None:
        await self.save_many([(incident_id, incident, expected_version)], now)

    async def save_many(self, items: Sequence[tuple[int, Incident, int]], now: datetime) -> None:
        """Write projections, each only over the version it was decided from."""
        if not items:
            return
        statement = update(incidents).where(
            incidents.c.id == bindparam("row_id"), incidents.c.version == bindparam("expected_version")
        )
        rows = [
            incident_values(incident, now) | {"row_id": incident_id, "expected_version": expected}
            for incident_id, incident, expected in items
        ]
        result = await self._connection.execute(statement, rows)
        # Drivers report -1 for a batch they cannot count; the row locks held make that safe.
        if result.rowcount not in (-1, len(rows)):
            refs = ", ".join(str(incident.ref) for _, incident, _ in items)
            raise ConcurrentModification(f"{refs} changed under a held lock")

    async def record_card(self, incident_id: int, card_ts: str) -> None:
        """Remember the posted card; a top-level card's own thread becomes the incident's home."""
        statement = (
            update(incidents)
            .where(incidents.c.id == incident_id, and_(incidents.c.card_ts.is_(None)))
            .values(card_ts=card_ts, home_ts=func.coalesce(incidents.c.home_ts, card_ts))
        )
        await self._connection.execute(statement)
