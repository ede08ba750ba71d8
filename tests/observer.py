"""The database as a test reads and seeds it: connections of its own, without the bounds a request
needs.

The bot bounds every wait on Postgres at about a second (storage.database), and tests of those
bounds use the bot's engine on purpose. A test's own look inside is not a request: on CI's shared
two cores the server can stall for a second now and then, and that must fail a test only when the
bot itself misbehaves, never because the test's read of what the bot stored took long.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from storage.database import create_engine, database_config

PATIENCE_SECONDS = 30.0


def observer_engine(database_url: str) -> AsyncEngine:
    """An engine on ``database_url`` with the server's own (unbounded) session settings, waiting up
    to PATIENCE_SECONDS to connect or for an answer. Each checkout is pinged first, as a test may
    read just after restarting the server under the bot. SQLite has no bounds to lift: its engine
    is the usual one."""
    config = database_config(database_url, deployment=False)
    if not config.is_postgres:
        return create_engine(config)
    return create_async_engine(
        config.url,
        pool_pre_ping=True,
        pool_size=2,
        pool_timeout=PATIENCE_SECONDS,
        connect_args={"timeout": PATIENCE_SECONDS, "command_timeout": PATIENCE_SECONDS},
    )
