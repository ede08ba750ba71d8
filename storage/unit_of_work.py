"""The transaction boundary: one unit of work is one database transaction, all or nothing."""

from __future__ import annotations

from datetime import datetime
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction

from storage.counters import IncidentCounters
from storage.dialects import dialect_of
from storage.event_store import EventStore
from storage.idempotency import ProcessedRequests
from storage.incident_repository import IncidentRepository
from storage.outbox import Outbox
from storage.stored import BatchWrites


class UnitOfWork:
    """``async with UnitOfWork(engine) as uow:`` commits when the block ends, rolls back if it raises."""

    incidents: IncidentRepository
    events: EventStore
    outbox: Outbox
    requests: ProcessedRequests
    counters: IncidentCounters

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self._transaction: AsyncTransaction | None = None

    async def __aenter__(self) -> UnitOfWork:
        connection = await self._engine.connect()
        try:
            self._transaction = await connection.begin()
        except BaseException:
            await connection.close()
            raise
        self._connection = connection
        self.incidents = IncidentRepository(connection)
        self.events = EventStore(connection)
        self.outbox = Outbox(connection)
        self.requests = ProcessedRequests(connection)
        self.counters = IncidentCounters(connection)
        return self

    async def write(self, writes: BatchWrites, now: datetime) -> None:
        """A batch's keys, projections, events and outbox rows, together: one statement on Postgres,
        one per table on SQLite (see storage.dialects)."""
        assert self._connection is not None
        if not (writes.claims or writes.projections or writes.timelines or writes.messages):
            return  # a scheduler tick with nothing due, say: no round trip
        await dialect_of(self._connection).write(self._connection, writes, now)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._connection is not None
        assert self._transaction is not None
        try:
            if exc_type is None:
                await self._transaction.commit()
            else:
                await self._transaction.rollback()
        finally:
            await self._connection.close()
            self._connection = None
