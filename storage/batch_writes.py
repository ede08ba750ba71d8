"""Everything a batch of accepted commands writes, handed over at once: the idempotency keys it
claims, the projections it moves, the events it appends and the outbox rows it queues.

On Postgres the lot is one statement (see :mod:`storage.postgres_writes`): one round trip for the
whole batch, whatever its size, where a statement per table cost four. Other databases take the
repositories' statements one table at a time. Either way the rows are the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from domain.incident import Incident
from storage.event_store import EventStore, RecordedEvent
from storage.idempotency import ProcessedRequests
from storage.incident_repository import IncidentRepository
from storage.outbox import Outbox, OutboxMessage


@dataclass(frozen=True)
class BatchWrites:
    # (key, processed_at, incident_id): keys known to be free (see ProcessedRequests.taken).
    claims: Sequence[tuple[str, datetime, int]] = ()
    # (incident_id, committed state, new state): each incident once, over the version it was read at.
    projections: Sequence[tuple[int, Incident, Incident]] = ()
    timelines: Sequence[tuple[int, Sequence[RecordedEvent]]] = ()
    # Outbox rows in the order they are to be delivered, each batch with its incident.
    messages: Sequence[tuple[Sequence[OutboxMessage], int | None]] = ()


async def write(connection: AsyncConnection, writes: BatchWrites, now: datetime) -> None:
    """Write ``writes`` in the connection's transaction, all or nothing with the rest of it."""
    if not (writes.claims or writes.projections or writes.timelines or writes.messages):
        return  # a scheduler tick with nothing due, say: no round trip
    if connection.dialect.name == "postgresql":
        from storage.postgres_writes import write_in_one_statement

        await write_in_one_statement(connection, writes, now)
        return
    await ProcessedRequests(connection).record_many(writes.claims)
    await IncidentRepository(connection).save_many(writes.projections, now)
    await EventStore(connection).insert(writes.timelines)
    await Outbox(connection).add_many(writes.messages, now)
