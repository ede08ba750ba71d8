"""The status page's email subscribers (SPEC §14) and the subscribe attempts its rate limit counts.

An address is kept lower-cased, once; it is confirmed when its owner followed the confirmation
link, and deleted when they unsubscribe. Nothing here is ever shown publicly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.dialects import dialect_of
from storage.schema import outbox, status_subscribe_attempts, status_subscribers


@dataclass(frozen=True)
class Subscriber:
    id: int
    address: str
    confirmed_at: datetime | None


def _subscriber(row: object) -> Subscriber:
    mapping = row._mapping  # type: ignore[attr-defined]
    return Subscriber(mapping["id"], mapping["address"], mapping["confirmed_at"])


class Subscribers:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, address: str, now: datetime) -> Subscriber:
        """The subscriber of ``address`` (lower-cased by the caller), added unless already there."""
        insert = (
            dialect_of(self._connection)
            .upsert(status_subscribers)
            .values(address=address, created_at=now)
            .on_conflict_do_nothing(index_elements=["address"])
        )
        await self._connection.execute(insert)
        row = (
            await self._connection.execute(select(status_subscribers).where(status_subscribers.c.address == address))
        ).one()
        return _subscriber(row)

    async def get(self, subscriber_id: int) -> Subscriber | None:
        query = select(status_subscribers).where(status_subscribers.c.id == subscriber_id)
        row = (await self._connection.execute(query)).first()
        return None if row is None else _subscriber(row)

    async def confirm(self, subscriber_id: int, now: datetime) -> None:
        """Confirmed once: following the link again keeps the first time."""
        await self._connection.execute(
            update(status_subscribers)
            .where(status_subscribers.c.id == subscriber_id, status_subscribers.c.confirmed_at.is_(None))
            .values(confirmed_at=now)
        )

    async def remove(self, subscriber_id: int) -> None:
        await self._connection.execute(delete(status_subscribers).where(status_subscribers.c.id == subscriber_id))

    async def confirmed(self) -> list[Subscriber]:
        query = select(status_subscribers).where(status_subscribers.c.confirmed_at.is_not(None))
        return [_subscriber(row) for row in await self._connection.execute(query.order_by(status_subscribers.c.id))]

    async def count_confirmed(self) -> int:
        query = (
            select(func.count()).select_from(status_subscribers).where(status_subscribers.c.confirmed_at.is_not(None))
        )
        return int((await self._connection.execute(query)).scalar_one())

    async def attempt(self, client: str, now: datetime, window: timedelta, limit: int) -> datetime | None:
        """Count an attempt by ``client`` unless it already made ``limit`` within ``window``; None
        when counted, else when the oldest of those leaves the window (when it may try again)."""
        since = now - window
        await self._connection.execute(
            delete(status_subscribe_attempts).where(status_subscribe_attempts.c.attempted_at < since)
        )
        query = (
            select(status_subscribe_attempts.c.attempted_at)
            .where(status_subscribe_attempts.c.client == client, status_subscribe_attempts.c.attempted_at >= since)
            .order_by(status_subscribe_attempts.c.attempted_at)
        )
        recent: list[datetime] = list((await self._connection.execute(query)).scalars())
        if len(recent) >= limit:
            return recent[-limit] + window
        await self._connection.execute(status_subscribe_attempts.insert().values(client=client, attempted_at=now))
        return None


@dataclass(frozen=True)
class EmailDeliveries:
    """How an incident's emails to subscribers went: given up on (with the last error), and still
    being retried after a failed attempt."""

    failed: int
    retrying: int
    last_error: str | None


async def email_deliveries(connection: AsyncConnection, incident_id: int, kind: str) -> EmailDeliveries:
    """The outbox rows of ``kind`` queued for ``incident_id`` (named in their payload: emails are
    detached from their incident's Slack messages)."""
    for_incident = outbox.c.payload["incident_id"].as_integer() == incident_id
    query = (
        select(outbox.c.failed_at, outbox.c.delivered_at, outbox.c.attempts, outbox.c.last_error)
        .where(outbox.c.kind == kind, for_incident, outbox.c.attempts > 0)
        .order_by(outbox.c.id)
    )
    failed = retrying = 0
    last_error = None
    for failed_at, delivered_at, _attempts, error in await connection.execute(query):
        if failed_at is not None:
            failed += 1
        elif delivered_at is None:
            retrying += 1
        else:
            continue
        last_error = error
    return EmailDeliveries(failed, retrying, last_error)
