"""The transactional outbox: side effects written in the same transaction as the change.

Storage knows nothing of Slack: a message is a kind and a JSON payload that a sender in ``bot/``
understands. Delivery state (attempts, errors, the result Slack returned) lives on the row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, Update, bindparam, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.dialects import Dialect, dialect_of
from storage.rows import outbox_rows
from storage.schema import PENDING, outbox
from storage.stored import OutboxMessage, Overtaking, PendingDelivery, Settlement

# Built once, like the claim below: every command queues its messages with it.
_ADD = outbox.insert().returning(outbox.c.id, sort_by_parameter_order=True)


@cache
def _claim(dialect: Dialect, overtaking: Overtaking | None) -> Update:
    """The claim, built once per database (the dispatcher claims many times a second under load)."""
    # An incident's rows go out in the order they were written: none is taken while an earlier
    # one of its incident waits (for a retry, or leased to a delivery in flight), except that
    # rows of an overtaking kind wait only for the earlier rows they depend on.
    candidate, earlier = outbox.alias("candidate"), outbox.alias("earlier")
    depends: ColumnElement[bool] = true()
    if overtaking is not None:
        depends = or_(candidate.c.kind.not_in(overtaking.kinds), earlier.c.kind.in_(overtaking.behind))
    waiting_before = (
        select(earlier.c.id)
        .where(
            earlier.c.incident_id == candidate.c.incident_id,
            earlier.c.id < candidate.c.id,
            earlier.c.delivered_at.is_(None),
            earlier.c.failed_at.is_(None),
            earlier.c.next_attempt_at > bindparam("now"),
            depends,
        )
        .exists()
    )
    due = (
        select(candidate.c.id)
        .where(
            candidate.c.delivered_at.is_(None),
            candidate.c.failed_at.is_(None),
            candidate.c.next_attempt_at <= bindparam("now"),
            ~waiting_before,
        )
        .order_by(candidate.c.id)
        .limit(bindparam("limit"))
    )
    return (
        update(outbox)
        .where(outbox.c.id.in_(dialect.skip_locked(due).scalar_subquery()))
        .values(next_attempt_at=bindparam("until"), attempts=outbox.c.attempts + 1)
        .returning(*outbox.c)
    )


def settled_in_one_statement(settlements: Sequence[Settlement]) -> bool:
    """Whether :meth:`Outbox.settle_delivered` writes ``settlements`` with a single statement, which
    needs no transaction around it (see UnitOfWork's ``autocommit``): none absorbs or supersedes."""
    return not any(settlement.absorbed or settlement.supersedes for settlement in settlements)


class Outbox:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self._dialect = dialect_of(connection)

    async def add(self, messages: Sequence[OutboxMessage], incident_id: int | None, now: datetime) -> list[int]:
        return await self.add_many([(messages, incident_id)], now)

    async def add_many(self, batches: Sequence[tuple[Sequence[OutboxMessage], int | None]], now: datetime) -> list[int]:
        """Insert in one statement; ids follow the order given, which the dispatcher relies on."""
        rows = outbox_rows(batches, now)
        if not rows:
            return []
        return [int(row_id) for row_id in (await self._connection.execute(_ADD, rows)).scalars()]

    async def pending(self, limit: int = 100) -> list[PendingDelivery]:
        query = select(outbox).where(PENDING).order_by(outbox.c.id).limit(limit)
        return [_pending(row._mapping) for row in await self._connection.execute(query)]

    async def claim_due(
        self, now: datetime, *, limit: int, lease: timedelta, overtaking: Overtaking | None = None
    ) -> list[PendingDelivery]:
        """Take up to ``limit`` due rows for delivery and count the attempt.

        The claim is a lease: the rows' next attempt moves to ``now + lease``, so another replica
        (Postgres skips rows locked by a concurrent claim) or a later sweep after a crash picks them
        up only if this delivery never reports back.
        """
        statement = _claim(self._dialect, overtaking)
        values = {"now": now, "until": now + lease, "limit": limit}
        rows = [_pending(row._mapping) for row in await self._connection.execute(statement, values)]
        return sorted(rows, key=lambda row: row.id)

    async def mark_delivered(self, delivery_id: int, now: datetime, result: Mapping[str, Any] | None) -> bool:
        """Record Slack's acceptance; False if the row was already settled (it is never re-sent)."""
        statement = (
            update(outbox)
            .where(outbox.c.id == delivery_id, PENDING)
            .values(delivered_at=now, result=dict(result) if result is not None else None, last_error=None)
        )
        return (await self._connection.execute(statement)).rowcount == 1

    async def settle_delivered(self, settlements: Sequence[Settlement], now: datetime) -> None:
        """Settle many delivered rows at once: one statement per kind of update, each executed for
        all of them (several deliveries share one transaction instead of one each). On Postgres
        each column is an array, so a statement is executed once, not once per row."""
        if not settlements:
            return
        delivered = [(s.delivery_id, None if s.result is None else dict(s.result)) for s in settlements]
        absorbed = [(row_id, s.delivery_id) for s in settlements for row_id in s.absorbed]
        await self._dialect.settle(self._connection, now, delivered, absorbed)
        # Two refreshes of one card settled together may both supersede the same older row, which
        # one joined statement would settle twice: these are few, and run one by one.
        superseding = [{"now": now, "key": s.supersedes, "newest": s.delivery_id} for s in settlements if s.supersedes]
        if superseding:
            await self._connection.execute(_SUPERSEDED, superseding)

    async def mark_retry(self, delivery_id: int, retry_at: datetime, error: str) -> None:
        statement = (
            update(outbox).where(outbox.c.id == delivery_id, PENDING).values(next_attempt_at=retry_at, last_error=error)
        )
        await self._connection.execute(statement)

    async def hold_incident(self, incident_id: int, until: datetime) -> None:
        """Keep an incident's other pending rows behind a failed one, so its thread stays in order."""
        statement = (
            update(outbox)
            .where(outbox.c.incident_id == incident_id, PENDING, outbox.c.next_attempt_at < until)
            .values(next_attempt_at=until)
        )
        await self._connection.execute(statement)

    async def release(self, delivery_ids: Sequence[int], now: datetime) -> None:
        """Hand back claimed rows that were not tried after all: due again, the claim not counted.

        They still wait behind the earlier row of their incident that made the delivery stop.
        """
        if not delivery_ids:
            return
        statement = (
            update(outbox)
            .where(outbox.c.id.in_(list(delivery_ids)), PENDING)
            .values(next_attempt_at=now, attempts=outbox.c.attempts - 1)
        )
        await self._connection.execute(statement)

    async def mark_failed(self, delivery_ids: Sequence[int], now: datetime, error: str) -> None:
        """Give up on rows for good: a row and the rows merged into it, which did not go out either."""
        statement = (
            update(outbox).where(outbox.c.id.in_(list(delivery_ids)), PENDING).values(failed_at=now, last_error=error)
        )
        await self._connection.execute(statement)

    async def supersede(self, coalesce_key: str, newest_id: int, now: datetime) -> int:
        """Settle every older pending row that ``newest_id`` makes redundant; returns how many."""
        statement = (
            update(outbox)
            .where(PENDING, outbox.c.coalesce_key == coalesce_key, outbox.c.id < newest_id)
            .values(delivered_at=now, superseded_by=newest_id)
        )
        return (await self._connection.execute(statement)).rowcount

    async def pending_before(self, incident_id: int, before_id: int, kind: str) -> bool:
        """Whether a row of ``kind`` for the incident, written before row ``before_id``, is still
        to be delivered (leased to a delivery under way, say)."""
        query = select(outbox.c.id).where(
            PENDING, outbox.c.incident_id == incident_id, outbox.c.id < before_id, outbox.c.kind == kind
        )
        return (await self._connection.execute(query.limit(1))).first() is not None

    async def newest_pending(self, coalesce_key: str) -> int | None:
        query = select(outbox.c.id).where(PENDING, outbox.c.coalesce_key == coalesce_key).order_by(outbox.c.id.desc())
        return (await self._connection.execute(query.limit(1))).scalar_one_or_none()

    async def delivered(self, incident_id: int, kind: str) -> list[tuple[Mapping[str, Any], Mapping[str, Any]]]:
        """The ``(payload, result)`` of each of the incident's rows of ``kind`` that Slack took, oldest first."""
        query = (
            select(outbox.c.payload, outbox.c.result)
            .where(outbox.c.incident_id == incident_id, outbox.c.kind == kind, outbox.c.delivered_at.is_not(None))
            .order_by(outbox.c.id)
        )
        return [(row.payload, row.result or {}) for row in await self._connection.execute(query)]


_SUPERSEDED = (
    update(outbox)
    .where(PENDING, outbox.c.coalesce_key == bindparam("key"), outbox.c.id < bindparam("newest"))
    .values(delivered_at=bindparam("now"), superseded_by=bindparam("newest"))
)


def _pending(row: RowMapping) -> PendingDelivery:
    return PendingDelivery(
        id=row["id"],
        incident_id=row["incident_id"],
        kind=row["kind"],
        payload=row["payload"],
        coalesce_key=row["coalesce_key"],
        attempts=row["attempts"],
        created_at=row["created_at"],
    )
