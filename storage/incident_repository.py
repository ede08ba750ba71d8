"""Reads and writes of the incidents projection, inside one unit of work."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, bindparam, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.incident import Incident, IncidentRef
from storage.dialects import dialect_of
from storage.incident_lookup import Candidates, Lookup
from storage.rows import incident_from_row, incident_values
from storage.schema import OPEN, PINNED_SQL, incident_events, incidents
from storage.stored import StoredIncident


def _select() -> Select[tuple[object, ...]]:
    return select(incidents)


def stored_incident(row: object) -> StoredIncident:
    mapping = row._mapping  # type: ignore[attr-defined]
    return StoredIncident(mapping["id"], incident_from_row(mapping), mapping["card_ts"], mapping["home_ts"])


def due_query(now: datetime, limit: int) -> Select[tuple[object, ...]]:
    return _select().where(incidents.c.next_due_at <= now).order_by(incidents.c.next_due_at).limit(limit)


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
# A pin event's source is the pinned message (see the partial index on it, migration 0009).
_WITH_PINNED = _select().where(
    incidents.c.workspace_id == bindparam("workspace_id"),
    incidents.c.id.in_(
        select(incident_events.c.incident_id).where(
            text(PINNED_SQL),
            incident_events.c.source_channel == bindparam("channel_id"),
            incident_events.c.source_ts == bindparam("ts"),
        )
    ),
)
_BY_IDS = _select().where(incidents.c.id.in_(bindparam("ids", expanding=True)))
# The columns come from the values each declaration binds (.values() would coerce them one by one).
_INSERT = incidents.insert().returning(incidents.c.id)
_RECORD_CARD = (
    update(incidents)
    .where(incidents.c.id == bindparam("incident_id"), incidents.c.card_ts.is_(None))
    .values(card_ts=bindparam("ts"), home_ts=func.coalesce(incidents.c.home_ts, bindparam("ts")))
)


class IncidentRepository:
    def __init__(self, connection: AsyncConnection, changed: set[int]) -> None:
        self._connection = connection
        self._dialect = dialect_of(connection)
        self._changed = changed  # the unit of work's: see storage.change_feed

    async def _one(self, query: Select[tuple[object, ...]], values: dict[str, object]) -> StoredIncident | None:
        row = (await self._connection.execute(query, values)).first()
        return None if row is None else stored_incident(row)

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
        rows = await self._dialect.candidates(self._connection, values, lock=lock, wait=wait)
        return Candidates(map(stored_incident, rows))

    async def get_by_id(self, incident_id: int) -> StoredIncident | None:
        return await self._one(_BY_ID, {"incident_id": incident_id})

    async def get_many(self, incident_ids: Sequence[int]) -> dict[int, StoredIncident]:
        if not incident_ids:
            return {}
        rows = await self._connection.execute(_BY_IDS, {"ids": sorted(set(incident_ids))})
        return {stored.id: stored for stored in map(stored_incident, rows)}

    async def by_thread(self, workspace_id: str, channel_id: str, thread_ts: str) -> StoredIncident | None:
        """The incident whose thread this is, by the declaring thread or the card's own thread."""
        return await self._one(
            _BY_THREAD, {"workspace_id": workspace_id, "channel_id": channel_id, "thread_ts": thread_ts}
        )

    async def with_pinned(self, workspace_id: str, channel_id: str, ts: str) -> StoredIncident | None:
        """The incident message ``ts`` of ``channel_id`` was pinned to (SPEC §10), if any."""
        return await self._one(_WITH_PINNED, {"workspace_id": workspace_id, "channel_id": channel_id, "ts": ts})

    async def open_in_workspace(self, workspace_id: str, limit: int = 50) -> list[StoredIncident]:
        query = _select().where(incidents.c.workspace_id == workspace_id, OPEN).order_by(incidents.c.number)
        return [stored_incident(row) for row in await self._connection.execute(query.limit(limit))]

    async def recent(self, workspace_id: str, limit: int = 20) -> list[StoredIncident]:
        query = _select().where(incidents.c.workspace_id == workspace_id).order_by(incidents.c.number.desc())
        return [stored_incident(row) for row in await self._connection.execute(query.limit(limit))]

    async def count_open(self, workspace_id: str) -> int:
        query = select(func.count()).select_from(incidents).where(incidents.c.workspace_id == workspace_id, OPEN)
        return int((await self._connection.execute(query)).scalar_one())

    async def lock_due(self, now: datetime, limit: int) -> list[StoredIncident]:
        """Lock up to ``limit`` incidents with a clock due by ``now``, earliest first.

        Rows another replica has locked are skipped, not waited for: that replica is already
        reminding about them, and by the time its transaction commits their clocks have moved on.
        The partial index on next_due_at keeps this proportional to what is due.
        """
        query = self._dialect.skip_locked(due_query(now, limit))
        return [stored_incident(row) for row in await self._connection.execute(query)]

    async def insert(self, incident: Incident, now: datetime) -> int:
        values = incident_values(incident, now) | {"home_ts": incident.thread_ts}
        result = await self._connection.execute(_INSERT, values)
        incident_id = int(result.scalar_one())
        self._changed.add(incident_id)
        return incident_id

    async def record_card(self, incident_id: int, card_ts: str) -> None:
        """Remember the posted card; a top-level card's own thread becomes the incident's home."""
        await self._connection.execute(_RECORD_CARD, {"incident_id": incident_id, "ts": card_ts})
        self._changed.add(incident_id)
