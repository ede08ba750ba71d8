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

from sqlalchemy.ext.asyncio import AsyncEngine

from storage.dialects import dialect_of

_local_locks: WeakValueDictionary[tuple[int, int], asyncio.Lock] = WeakValueDictionary()


@asynccontextmanager
async def card_lock(engine: AsyncEngine, incident_id: int) -> AsyncIterator[None]:
    # The process lock first: this bot's own senders queue here rather than each holding a
    # connection while it waits for the database's lock.
    key = (id(engine), incident_id)
    local = _local_locks.get(key)
    if local is None:
        local = _local_locks[key] = asyncio.Lock()
    async with local, dialect_of(engine).lock_card(engine, incident_id):
        yield
