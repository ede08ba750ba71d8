"""Processed Slack request ids: the record that makes a Slack retry or a double click a no-op."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache

from sqlalchemy import Insert, bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.dialects import Dialect, dialect_of
from storage.schema import processed_requests


@cache
def _claim(dialect: Dialect) -> Insert:
    """Built once per database: a request only binds its key (every command claims one)."""
    return (
        dialect.upsert(processed_requests)
        .values(key=bindparam("request"), processed_at=bindparam("now"), incident_id=bindparam("incident"))
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(processed_requests.c.key)
    )


class ProcessedRequests:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self._dialect = dialect_of(connection)

    async def claim(self, key: str, now: datetime, incident_id: int | None = None) -> bool:
        """True if this transaction is the first to see ``key`` (recorded against ``incident_id``,
        the incident the request changed or declared, when there is one).

        A concurrent duplicate blocks on the unique key until the first transaction ends: it then
        sees the key if that one committed, and claims it itself if that one rolled back.
        """
        values = {"request": key, "now": now, "incident": incident_id}
        return (await self._connection.execute(_claim(self._dialect), values)).first() is not None

    async def taken(self, keys: Sequence[str]) -> set[str]:
        """Which of ``keys`` a committed transaction has already claimed.

        Read after the incidents' row locks are held: a concurrent duplicate of the same request
        holds its incident's lock until it commits, so its key is visible by then.
        """
        if not keys:
            return set()
        return {key for (key,) in await self._dialect.taken(self._connection, keys)}

    async def prune(self, before: datetime, limit: int) -> int:
        """Forget up to ``limit`` keys older than ``before`` (Slack retries within minutes, never
        days later); returns how many. A chunk at a time, so that each delete stays well inside
        the session's statement_timeout however many keys a day brings."""
        oldest = select(processed_requests.c.key).where(processed_requests.c.processed_at < before).limit(limit)
        statement = delete(processed_requests).where(processed_requests.c.key.in_(oldest.scalar_subquery()))
        return (await self._connection.execute(statement)).rowcount

    async def incident_of(self, key: str) -> int | None:
        query = select(processed_requests.c.incident_id).where(processed_requests.c.key == key)
        return (await self._connection.execute(query)).scalar_one_or_none()
