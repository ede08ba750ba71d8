"""Which database to use, and an engine that behaves the same way on Postgres and SQLite."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, exc, text
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

DEFAULT_SQLITE_PATH = "firebreak.db"

# Slack wants an answer within 3 s, and the answer to a request the database cannot serve in time
# is "nothing was changed, try again": every wait on Postgres is bounded so that it comes in time.
# A request pays at most two of the client-side bounds below (the batch ahead of it in the group
# commit, then its own), so each is 1 s.
CONNECT_TIMEOUT_SECONDS = 1.0
# Every statement, and the ping of an idle pooled connection: a host that has gone silent (sockets
# open, nothing answered) fails it instead of holding it forever.
COMMAND_TIMEOUT_SECONDS = 1.0
# Waiting for a free pooled connection (SQLAlchemy's default is 30 s).
POOL_TIMEOUT_SECONDS = 1.0
# Set by Postgres itself on each session:
#  - lock_timeout: a row another transaction holds fails the statement waiting for it. Half a
#    second, because a group-commit batch that waits for a row holds up the commands queued behind
#    it, and a command on a locked incident may wait behind one such batch and then in its own.
#  - statement_timeout: for a session whose client stopped in the middle of a statement (a frozen
#    replica); a live client gives up at the same time (COMMAND_TIMEOUT_SECONDS).
#  - idle_in_transaction_session_timeout: a replica frozen in the middle of a transaction (SIGSTOP,
#    a VM paused) would hold its row locks for as long as it stays frozen; Postgres ends its session
#    instead, rolling back what it had not committed. Our own transactions never sit idle: what
#    holds a lock across a wait of its own (a card's, across its send to Slack) holds no transaction
#    (see storage.card_locks), and migrations run without these bounds (see unbounded()).
#  - TCP keepalives: a session whose client host vanished is noticed and ended within ~25 s.
SESSION_BOUNDS = {
    "lock_timeout": "500ms",
    "statement_timeout": "1s",
    "idle_in_transaction_session_timeout": "5s",
    "tcp_keepalives_idle": "10",
    "tcp_keepalives_interval": "5",
    "tcp_keepalives_count": "3",
}
# A pooled connection unused for longer than this is pinged before it is handed out.
PING_AFTER_IDLE_SECONDS = 1.0


@dataclass(frozen=True)
class DatabaseConfig:
    url: str
    embedded: bool
    deployment: bool = True
    """A bot others rely on, where replicas may be run (not a playground on someone's laptop)."""

    @property
    def is_postgres(self) -> bool:
        return self.url.startswith("postgresql")


def database_config(
    database_url: str | None, sqlite_path: str = DEFAULT_SQLITE_PATH, *, deployment: bool = True
) -> DatabaseConfig:
    """Map ``DATABASE_URL`` to an async SQLAlchemy URL; unset means the embedded SQLite file.

    Hosting platforms hand out ``postgres://`` and ``postgresql://`` URLs; both mean asyncpg here.
    """
    if not database_url:
        return DatabaseConfig(f"sqlite+aiosqlite:///{Path(sqlite_path).resolve()}", True, deployment)
    for prefix in ("postgres://", "postgresql://"):
        if database_url.startswith(prefix):
            return DatabaseConfig("postgresql+asyncpg://" + database_url[len(prefix) :], False, deployment)
    return DatabaseConfig(database_url, database_url.startswith("sqlite"), deployment)


def create_engine(config: DatabaseConfig, **overrides: Any) -> AsyncEngine:
    if config.url.startswith("sqlite"):
        # Replicas are a deployment's concern; a playground is one bot on one laptop by design.
        if config.deployment:
            log.warning(
                "DATABASE_URL is not set: using the embedded SQLite database %s. "
                "Fine for one bot on one machine; run several replicas only on Postgres.",
                make_url(config.url).database,
            )
        return _sqlite_engine(config.url, **overrides)
    given = dict(overrides.pop("connect_args", {}))
    options: dict[str, Any] = {
        # Kept, not just allowed: a connection over pool_size is closed when returned, and a new
        # one pays for preparing every statement and learning the types again. Requests, delivery
        # lanes and card locks together hold well over ten at once under load.
        "pool_size": 20,
        "max_overflow": 10,
        "pool_pre_ping": True,
        "pool_recycle": 1800,
        "pool_timeout": POOL_TIMEOUT_SECONDS,
        "connect_args": {
            "timeout": CONNECT_TIMEOUT_SECONDS,
            "command_timeout": COMMAND_TIMEOUT_SECONDS,
            **given,
            "server_settings": SESSION_BOUNDS | given.get("server_settings", {}),
        },
    }
    options.update(overrides)
    pre_ping = options.pop("pool_pre_ping")
    engine = create_async_engine(config.url, **options)
    if pre_ping:
        _ping_when_idle(engine, PING_AFTER_IDLE_SECONDS)
    event.listen(engine.sync_engine, "handle_error", _drop_when_unanswered)
    return engine


@asynccontextmanager
async def unbounded(engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """``engine``'s database without the bounds a request needs, for work that may rightly take
    longer than a request may: a migration (long DDL, or waiting for another replica's migration).
    On SQLite, which has none of those bounds, ``engine`` itself."""
    if engine.dialect.name != "postgresql":
        yield engine
        return
    own = create_async_engine(engine.url, poolclass=NullPool, connect_args={"timeout": CONNECT_TIMEOUT_SECONDS})
    try:
        yield own
    finally:
        await own.dispose()


async def answers(engine: AsyncEngine) -> None:
    """One round trip to the database, for a health check; raises if it does not answer."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


def _drop_when_unanswered(context: ExceptionContext) -> None:
    """A statement that got no answer within COMMAND_TIMEOUT_SECONDS leaves its connection in the
    middle of a conversation with a host that is not answering. asyncpg would try to cancel it
    over a second connection to that same host, and closing the first would wait for that; the
    connection is dropped at once instead and replaced when next needed. The rest of the pool is
    left to find out for itself (each of its connections is bounded the same way)."""
    if not isinstance(context.original_exception, TimeoutError) or context.connection is None:
        return
    driver = context.connection.connection.driver_connection
    if driver is not None:
        driver.terminate()
    context.is_disconnect = True
    context.invalidate_pool_on_disconnect = False


def _ping_when_idle(engine: AsyncEngine, idle_seconds: float) -> None:
    """``pool_pre_ping``, for connections that have been idle a while only.

    SQLAlchemy's own pre-ping costs a round trip to Postgres on every checkout, one in every four
    or five of a busy request's. A connection that was in use a moment ago is alive; one that sat
    in the pool (through a Postgres restart, say) is checked before use and, if dead, replaced.
    A connection that dies between two uses in quick succession fails its statement instead, and
    SQLAlchemy then replaces every connection the pool holds.
    """
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < idle_seconds:
            return  # just connected, or just used
        try:
            # One round trip, bounded by COMMAND_TIMEOUT_SECONDS (the dialect's own ping wraps it in
            # a transaction: three). Not an empty statement: asyncpg fails on its empty status.
            dbapi_connection.run_async(lambda driver: driver.execute("SELECT 1"))
        except TimeoutError:
            # The host is silent: connecting again would only wait for it once more.
            dbapi_connection.driver_connection.terminate()
            raise
        except Exception as error:
            raise exc.DisconnectionError("the pooled connection is dead") from error


def _sqlite_engine(url: str, **overrides: Any) -> AsyncEngine:
    """SQLite has no row locks, so every transaction takes the write lock when it begins.

    That serialises writers the way ``SELECT … FOR UPDATE`` serialises commands on one incident in
    Postgres: slower under contention, never wrong.
    """
    options: dict[str, Any] = {"connect_args": {"timeout": 30}}
    options.update(overrides)
    engine = create_async_engine(url, **options)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Stop the driver from issuing its own deferred BEGIN; _on_begin issues ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "busy_timeout=30000", "foreign_keys=ON", "synchronous=NORMAL"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
