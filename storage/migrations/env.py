"""Alembic environment. Migrations always run on a connection handed in by storage.migrate, so
the same code serves start-up, the `release:` step and the tests, on Postgres and SQLite."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from storage.schema import metadata, schema_on

connection: Connection | None = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `python -m storage.migrate`, which supplies the connection")

context.configure(
    connection=connection,
    target_metadata=metadata,
    include_object=schema_on(connection.dialect.name),
    render_as_batch=connection.dialect.name == "sqlite",
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
