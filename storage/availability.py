"""Telling a database outage apart from a bug, for whoever met the error: a receiver, the
dispatcher's sweep, the scheduler's tick.

When Postgres is restarting, unreachable or silent, a command cannot be recorded, and so nothing
was changed: the person is asked to try again in a moment (or, for events, Slack's retry is left to
do it). So it is when Postgres ended a statement at one of the bounds a request has (see
storage.database): a lock held elsewhere for too long, a statement that ran too long. That is
expected and logged as a warning, without a traceback; anything else is a bug.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import asyncpg
from sqlalchemy import exc as sa

# Connection failures (SQLSTATE 08), shutdown and restart (57P0x) and exhausted resources (53):
# the database is not there right now, whatever the command was.
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, unreachable, name resolution
    TimeoutError,
    sa.TimeoutError,  # no connection free in the pool
    sa.OperationalError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
)
# lock_not_available (lock_timeout), query_canceled (statement_timeout)
_OUT_OF_TIME = frozenset({"55P03", "57014"})
_CHAIN_LIMIT = 8


def database_unavailable(error: BaseException) -> bool:
    """True when ``error`` (or what caused it) means the database could not be reached."""
    for link in _chain(error):
        if isinstance(link, sa.DBAPIError) and link.connection_invalidated:
            return True
        if isinstance(link, _UNAVAILABLE) or getattr(link, "sqlstate", None) in _OUT_OF_TIME:
            return True
    return False


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen and len(seen) < _CHAIN_LIMIT:
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        if isinstance(orig, BaseException) and id(orig) not in seen:
            yield orig
        current = current.__cause__ or current.__context__


def log_failure(
    logger: logging.Logger, message: str, error: BaseException, extra: dict[str, Any] | None = None
) -> None:
    """Log what went wrong in a loop that retries on its own: a warning without a traceback when
    the database was unavailable or out of time (expected; the next round retries), else the
    error with its traceback, as the bug it is."""
    if database_unavailable(error):
        logger.warning(f"{message} (database unavailable)", extra=(extra or {}) | {"error": summary(error)})
    else:
        logger.error(message, exc_info=error, extra=extra)


def summary(error: BaseException) -> str:
    """The error's type and message, short enough for one log line."""
    return f"{type(error).__name__}: {error}"[:300]
