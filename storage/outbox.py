"""The transactional outbox: side effects written in the same transaction as the change.

Storage knows nothing of Slack: a message is a kind and a JSON payload that a sender in ``bot/``
understands. Delivery state (attempts, errors, the result Slack returned) lives on the row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.schema import outbox


@dataclass(frozen=True)
class OutboxMessage:
    kind: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    coalesce_key: str | None = None


@dataclass(frozen=True)
class PendingDelivery:
    id: int
    incident_id: int | None
    kind: str
    payload: Mapping[str, Any]
    coalesce_key: str | None
    attempts: int
    created_at: datetime


class Outbox:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, messages: Sequence[OutboxMessage], incident_id: int | None, now: datetime) -> list[int]:
        if not messages:
            return []
        rows = [
            {
                "incident_id": incident_id,
                "kind": message.kind,
                "payload": dict(message.payload),
                "coalesce_key": message.coalesce_key,
                "created_at": now,
                "next_attempt_at": now,
            }
            for message in messages
        ]
        # One INSERT per row keeps ids in message order, which the dispatcher relies on.
        ids = []
        for row in rows:
            result = await self._connection.execute(outbox.insert().values(**row).returning(outbox.c.id))
            ids.append(int(result.scalar_one()))
        return ids

    async def pending(self, limit: int = 100) -> list[PendingDelivery]:
        query = (
            select(outbox)
            .where(outbox.c.delivered_at.is_(None), outbox.c.failed_at.is_(None))
            .order_by(outbox.c.id)
            .limit(limit)
        )
        return [_pending(row._mapping) for row in await self._connection.execute(query)]


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
