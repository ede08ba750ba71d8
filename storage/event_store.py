"""The append-only timeline. Rows are only ever inserted; the database refuses anything else."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import RowMapping, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.codec import decode_event
from domain.events import Event
from domain.incident import SlackSource
from storage.rows import event_rows
from storage.schema import incident_events
from storage.stored import RecordedEvent


class EventStore:
    def __init__(self, connection: AsyncConnection, changed: set[int]) -> None:
        self._connection = connection
        self._changed = changed  # the unit of work's: see storage.change_feed

    async def append(self, incident_id: int, after_seq: int, events: Sequence[Event]) -> list[RecordedEvent]:
        """Append after ``after_seq``; the unique (incident_id, seq) key refuses a lost race."""
        return (await self.append_many([(incident_id, after_seq, events)]))[0]

    async def append_many(self, batches: Sequence[tuple[int, int, Sequence[Event]]]) -> list[list[RecordedEvent]]:
        """Several incidents' events in one statement (a scheduler tick records hundreds at once)."""
        recorded = [numbered(after_seq, events) for _, after_seq, events in batches]
        await self.insert([(incident_id, items) for (incident_id, _, _), items in zip(batches, recorded, strict=True)])
        return recorded

    async def insert(self, timelines: Sequence[tuple[int, Sequence[RecordedEvent]]]) -> None:
        """Events already given their places (see :func:`numbered`), in one statement."""
        rows = event_rows(timelines)
        if rows:
            await self._connection.execute(incident_events.insert(), rows)
            self._changed.update(incident_id for incident_id, _ in timelines)

    async def history(self, incident_id: int, *, after_seq: int = 0, limit: int | None = None) -> list[RecordedEvent]:
        query = (
            select(incident_events)
            .where(incident_events.c.incident_id == incident_id, incident_events.c.seq > after_seq)
            .order_by(incident_events.c.seq)
            .limit(limit)
        )
        return [_recorded(row._mapping) for row in await self._connection.execute(query)]

    async def latest(self, incident_id: int, event_type: str) -> RecordedEvent | None:
        query = (
            select(incident_events)
            .where(incident_events.c.incident_id == incident_id, incident_events.c.type == event_type)
            .order_by(incident_events.c.seq.desc())
            .limit(1)
        )
        row = (await self._connection.execute(query)).first()
        return None if row is None else _recorded(row._mapping)


def numbered(after_seq: int, events: Sequence[Event]) -> list[RecordedEvent]:
    """``events`` placed after ``after_seq`` in their incident's timeline."""
    return [RecordedEvent(after_seq + offset, event) for offset, event in enumerate(events, start=1)]


def _recorded(row: RowMapping) -> RecordedEvent:
    channel = row["source_channel"]
    source = SlackSource(channel, row["source_ts"]) if channel else None
    event = decode_event(row["type"], row["payload"], actor=row["actor"], at=row["occurred_at"], source=source)
    return RecordedEvent(row["seq"], event)
