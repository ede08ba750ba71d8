"""The transaction boundary: one unit of work is one database transaction, all or nothing."""

from __future__ import annotations

from datetime import datetime
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction

from domain.incident import Incident
from storage.alert_groups import AlertGroups
from storage.counters import IncidentCounters
from storage.dialects import dialect_of
from storage.event_store import EventStore
from storage.idempotency import ProcessedRequests
from storage.incident_alerts import IncidentAlertRows
from storage.incident_repository import IncidentRepository
from storage.outbox import Outbox
from storage.rows import incident_values
from storage.stored import BatchWrites
from storage.subscribers import Subscribers


class UnitOfWork:
    """``async with UnitOfWork(engine) as uow:`` commits when the block ends, rolls back if it raises.

    ``UnitOfWork(engine, autocommit=True)`` is for work whose statements need not stand or fall
    together (a read; one write, which the database makes all or nothing by itself): each commits
    on its own, without BEGIN and COMMIT, two round trips fewer. Delivery does most of its database
    work this way: a card is read, posted, then recorded, with Slack called in between anyway.
    """

    incidents: IncidentRepository
    events: EventStore
    outbox: Outbox
    requests: ProcessedRequests
    counters: IncidentCounters
    alert_groups: AlertGroups
    subscribers: Subscribers
    incident_alerts: IncidentAlertRows

    def __init__(self, engine: AsyncEngine, *, autocommit: bool = False) -> None:
        self._engine = engine
        self._autocommit = autocommit
        self._connection: AsyncConnection | None = None
        self._transaction: AsyncTransaction | None = None

    async def __aenter__(self) -> UnitOfWork:
        connection = await self._engine.connect()
        try:
            if self._autocommit:
                # Set on the driver's connection, no round trip; the pool resets it on return.
                await connection.execution_options(isolation_level="AUTOCOMMIT")
            else:
                self._transaction = await connection.begin()
        except BaseException:
            await connection.close()
            raise
        self._connection = connection
        # The incidents this transaction changes, for storage.change_feed once it commits.
        self._changed: set[int] = set()
        self.incidents = IncidentRepository(connection, self._changed)
        self.events = EventStore(connection, self._changed)
        self.outbox = Outbox(connection)
        self.requests = ProcessedRequests(connection)
        self.counters = IncidentCounters(connection)
        self.alert_groups = AlertGroups(connection)
        self.subscribers = Subscribers(connection)
        self.incident_alerts = IncidentAlertRows(connection)
        return self

    async def write(self, writes: BatchWrites, now: datetime) -> None:
        """A batch's keys, projections, events and outbox rows, together: one statement on Postgres,
        one per table on SQLite (see storage.dialects)."""
        assert self._connection is not None
        if not (writes.claims or writes.projections or writes.timelines or writes.messages):
            return  # a scheduler tick with nothing due, say: no round trip
        await dialect_of(self._connection).write(self._connection, writes, now)
        self._changed.update(incident_id for incident_id, _, _ in writes.projections)
        self._changed.update(incident_id for incident_id, _ in writes.timelines)

    async def declare(self, incident_id: int, incident: Incident, writes: BatchWrites, now: datetime) -> bool:
        """A new incident, with the id and number ``counters.next_incident`` read, and its first
        keys, events and outbox rows: one statement on Postgres (see storage.dialects). False, and
        nothing written, if another declaration took that number meanwhile."""
        assert self._connection is not None
        row = incident_values(incident, now) | {"id": incident_id, "home_ts": incident.thread_ts}
        if not await dialect_of(self._connection).declare(self._connection, row, writes, now):
            return False
        self._changed.add(incident_id)
        return True

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._connection is not None
        # With autocommit, the connection's own commit: a no-op on Postgres, where each statement
        # has committed already; SQLite (storage.database) still begins a transaction to end.
        ending = self._transaction or self._connection
        try:
            if exc_type is None:
                await ending.commit()
                if self._changed:
                    dialect_of(self._engine).committed(self._engine, self._changed)
            else:
                await ending.rollback()
        finally:
            await self._connection.close()
            self._connection = None
