"""Reads and writes of the incidents projection, inside one unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.incident import Incident, IncidentRef
from domain.lifecycle import OPEN_STATUSES, Status
from storage.incident_rows import incident_from_row, incident_values
from storage.schema import incidents


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


def _by_ref(ref: IncidentRef) -> Select[tuple[object, ...]]:
    return _select().where(incidents.c.workspace_id == ref.workspace_id, incidents.c.number == ref.number)


def due_query(now: datetime, limit: int, *, skip_locked: bool) -> Select[tuple[object, ...]]:
    query = _select().where(incidents.c.next_due_at <= now).order_by(incidents.c.next_due_at).limit(limit)
    return query.with_for_update(skip_locked=True) if skip_locked else query


_OPEN = incidents.c.status.in_([status.value for status in OPEN_STATUSES])


class IncidentRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def lock(self, ref: IncidentRef) -> StoredIncident | None:
        """Load for a change, holding the row lock until commit (a no-op on SQLite, see database)."""
        row = (await self._connection.execute(_by_ref(ref).with_for_update())).first()
        return None if row is None else _stored(row)

    async def get(self, ref: IncidentRef) -> StoredIncident | None:
        row = (await self._connection.execute(_by_ref(ref))).first()
        return None if row is None else _stored(row)

    async def get_by_id(self, incident_id: int) -> StoredIncident | None:
        row = (await self._connection.execute(_select().where(incidents.c.id == incident_id))).first()
        return None if row is None else _stored(row)

    async def by_thread(self, workspace_id: str, channel_id: str, thread_ts: str) -> StoredIncident | None:
        """The incident whose thread this is, by the declaring thread or the card's own thread."""
        query = _select().where(
            incidents.c.workspace_id == workspace_id,
            incidents.c.channel_id == channel_id,
            or_(incidents.c.home_ts == thread_ts, incidents.c.thread_ts == thread_ts),
        )
        row = (await self._connection.execute(query)).first()
        return None if row is None else _stored(row)

    async def open_in_channel(self, workspace_id: str, channel_id: str, limit: int = 20) -> list[StoredIncident]:
        return await self._in_channel(workspace_id, channel_id, _OPEN, limit)

    async def resolved_in_channel(self, workspace_id: str, channel_id: str, limit: int = 20) -> list[StoredIncident]:
        resolved = incidents.c.status == Status.RESOLVED.value
        return await self._in_channel(workspace_id, channel_id, resolved, limit)

    async def _in_channel(
        self, workspace_id: str, channel_id: str, condition: ColumnElement[bool], limit: int
    ) -> list[StoredIncident]:
        query = (
            _select()
            .where(incidents.c.workspace_id == workspace_id, incidents.c.channel_id == channel_id, condition)
            .order_by(incidents.c.number)
            .limit(limit)
        )
        return [_stored(row) for row in await self._connection.execute(query)]

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
