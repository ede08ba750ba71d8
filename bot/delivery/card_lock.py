"""One card, one writer at a time, across replicas.

Two replicas rendering the same card could reach Slack in the wrong order and leave an older state
on screen. A Postgres advisory lock per incident makes each render-and-send of a card happen alone,
so the last one sent is the newest. On SQLite there is only ever one bot, so a process lock does.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from weakref import WeakValueDictionary

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.lock_waits import lock_not_available

_CARD_LOCK_SPACE = 0x43415244  # "CARD": keeps these keys apart from other advisory locks
_local_locks: WeakValueDictionary[tuple[int, int], asyncio.Lock] = WeakValueDictionary()


@asynccontextmanager
async def card_lock(engine: AsyncEngine, incident_id: int) -> AsyncIterator[None]:
    key = (id(engine), incident_id)
    local = _local_locks.get(key)
    if local is None:
        local = _local_locks[key] = asyncio.Lock()
    async with local:
        if engine.dialect.name != "postgresql":
            yield
            return
        async with engine.connect() as connection:
            # A session lock needs no transaction, and none must stay open while the card is sent:
            # Postgres ends a session left idle in a transaction for seconds (see storage.database).
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await _lock(connection, incident_id)
            try:
                yield
            finally:
                await connection.execute(
                    text("SELECT pg_advisory_unlock(:space, :id)"), {"space": _CARD_LOCK_SPACE, "id": incident_id}
                )


async def _lock(connection: AsyncConnection, incident_id: int) -> None:
    """Another replica may be sending this card, for seconds when Slack paces it: each attempt
    waits as long as the session's lock_timeout allows, and the next one follows at once."""
    while True:
        try:
            await connection.execute(
                text("SELECT pg_advisory_lock(:space, :id)"), {"space": _CARD_LOCK_SPACE, "id": incident_id}
            )
            return
        except DBAPIError as error:
            if not lock_not_available(error):
                raise
