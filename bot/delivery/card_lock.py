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
from sqlalchemy.ext.asyncio import AsyncEngine

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
            await connection.execute(
                text("SELECT pg_advisory_lock(:space, :id)"), {"space": _CARD_LOCK_SPACE, "id": incident_id}
            )
            try:
                yield
            finally:
                await connection.execute(
                    text("SELECT pg_advisory_unlock(:space, :id)"), {"space": _CARD_LOCK_SPACE, "id": incident_id}
                )
                await connection.commit()
