"""Which database to use, and an engine that behaves the same way on Postgres and SQLite."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

log = logging.getLogger(__name__)

DEFAULT_SQLITE_PATH = "firebreak.db"
CONNECT_TIMEOUT_SECONDS = 2.0
# A pooled connection unused for longer than this is pinged before it is handed out.
PING_AFTER_IDLE_SECONDS = 1.0


@dataclass(frozen=True)
class DatabaseConfig:
    url: str
    embedded: bool

    @property
    def is_postgres(self) -> bool:
        return self.url.startswith("postgresql")


def database_config(database_url: str | None, sqlite_path: str = DEFAULT_SQLITE_PATH) -> DatabaseConfig:
    """Map ``DATABASE_URL`` to an async SQLAlchemy URL; unset means the embedded SQLite file.

    Hosting platforms hand out ``postgres://`` and ``postgresql://`` URLs; both mean asyncpg here.
    """
    if not database_url:
        return DatabaseConfig(f"sqlite+aiosqlite:///{Path(sqlite_path).resolve()}", embedded=True)
    for prefix in ("postgres://", "postgresql://"):
        if database_url.startswith(prefix):
            return DatabaseConfig("postgresql+asyncpg://" + database_url[len(prefix) :], embedded=False)
    return DatabaseConfig(database_url, embedded=database_url.startswith("sqlite"))


def create_engine(config: DatabaseConfig, **overrides: Any) -> AsyncEngine:
    if config.url.startswith("sqlite"):
        log.warning(
            "DATABASE_URL is not set: using the embedded SQLite database %s. "
            "Fine for one bot on one machine; run several replicas only on Postgres.",
            make_url(config.url).database,
        )
        return _sqlite_engine(config.url, **overrides)
    options: dict[str, Any] = {
        "pool_size": 10,
        "max_overflow": 20,
        "pool_pre_ping": True,
        "pool_recycle": 1800,
        # A database host that stops answering must fail a request fast, not hold it past the
        # 3 s Slack allows for an ack: the person is told to try again instead.
        "connect_args": {"timeout": CONNECT_TIMEOUT_SECONDS},
    }
    options.update(overrides)
    pre_ping = options.pop("pool_pre_ping")
    engine = create_async_engine(config.url, **options)
    if pre_ping:
        _ping_when_idle(engine, PING_AFTER_IDLE_SECONDS)
    return engine


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
            engine.dialect.do_ping(dbapi_connection)
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
