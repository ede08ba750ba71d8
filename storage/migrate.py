"""Apply Alembic migrations: on start-up, in the Procfile's ``release:`` step, and in tests.

python -m storage.migrate              # upgrade to head
python -m storage.migrate downgrade base
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import create_engine, database_config, unbounded
from storage.dialects import dialect_of

log = logging.getLogger(__name__)

_MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    await _run(engine, "upgrade", revision)


async def downgrade(engine: AsyncEngine, revision: str = "base") -> None:
    await _run(engine, "downgrade", revision)


async def _run(engine: AsyncEngine, direction: str, revision: str) -> None:
    # A migration may take longer than a request may, and may wait for another replica's.
    async with unbounded(engine) as migrating, migrating.begin() as connection:
        await dialect_of(connection).lock_migrations(connection)
        await connection.run_sync(_alembic, direction, revision)
    log.info("database migrated", extra={"direction": direction, "revision": revision})


def _alembic(connection: Connection, direction: str, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    getattr(command, direction)(config, revision)


async def _main(argv: list[str]) -> None:
    direction = argv[0] if argv else "upgrade"
    if direction not in ("upgrade", "downgrade"):
        raise SystemExit("usage: python -m storage.migrate [upgrade [REV] | downgrade REV]")
    revision = argv[1] if len(argv) > 1 else ("head" if direction == "upgrade" else "base")
    engine = create_engine(database_config(os.environ.get("DATABASE_URL")))
    try:
        await _run(engine, direction, revision)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"))
    asyncio.run(_main(sys.argv[1:]))
