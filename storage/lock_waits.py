"""Waiting for what another transaction holds, no longer than a request may.

Postgres ends every wait for a row or key lock after the session's ``lock_timeout`` (see
storage.database) with SQLSTATE 55P03; a request that meets it is told that what it wanted to
change is busy, and that nothing was changed. Waits of our own making in front of such a lock
(declarations queueing for their workspace's counter) are bounded as well. A write that finds a
row changed although its lock was held is refused outright.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from weakref import WeakValueDictionary

from sqlalchemy.exc import DBAPIError

LOCK_NOT_AVAILABLE = "55P03"


class Busy(Exception):
    """What a command needs is held by another transaction that has not finished (another
    replica's, maybe frozen in the middle of it) for longer than a request may wait; nothing was
    changed. Not a DomainError: the same command may well be accepted when tried again."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConcurrentModification(RuntimeError):
    """The projection moved under a locked row: a bug, or a database without row locks."""


def sqlstate(error: BaseException) -> str | None:
    return getattr(error.orig, "sqlstate", None) if isinstance(error, DBAPIError) else None


def lock_not_available(error: BaseException) -> bool:
    return sqlstate(error) == LOCK_NOT_AVAILABLE


class Turns:
    """First come, first served per key, within ``seconds``: after that the one waiting is told
    ``busy`` instead of waiting on."""

    def __init__(self, seconds: float, busy: str) -> None:
        self._seconds = seconds
        self._busy = busy
        self._locks: WeakValueDictionary[str, asyncio.Lock] = WeakValueDictionary()

    @asynccontextmanager
    async def turn(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        try:
            async with asyncio.timeout(self._seconds):
                await lock.acquire()
        except TimeoutError:
            raise Busy(self._busy) from None
        try:
            yield
        finally:
            lock.release()
