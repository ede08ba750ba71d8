"""What the console's incident list (SPEC §9) reads by: newest first, a page at a time, with a
(declared_at, id) cursor, within one workspace, whatever the filters.

- every incident, and the open ones alone (the list opens on those), newest first;
- by status (resolved, closed), by service and by commander, each newest first, so that a filter
  reads its page off an index instead of sorting or walking the workspace's whole history;
- on Postgres, title words through trigrams (pg_trgm) for a case-insensitive substring search.
  SQLite, the playground's database, reads titles without it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_OPEN = "status IN ('declared', 'investigating', 'identified', 'monitoring')"
_NEWEST_FIRST = ("declared_at", "id")
_BY = {
    "ix_incidents_listing": (),
    "ix_incidents_listing_status": ("status",),
    "ix_incidents_listing_service": ("service",),
    "ix_incidents_listing_commander": ("commander",),
}


def upgrade() -> None:
    for name, leading in _BY.items():
        op.create_index(name, "incidents", ["workspace_id", *leading, *_NEWEST_FIRST])
    op.create_index(
        "ix_incidents_listing_open",
        "incidents",
        ["workspace_id", *_NEWEST_FIRST],
        postgresql_where=text(_OPEN),
        sqlite_where=text(_OPEN),
    )
    if op.get_bind().dialect.name == "postgresql":
        # A trusted extension since Postgres 13: the database's owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index(
            "ix_incidents_title_trigrams",
            "incidents",
            ["title"],
            postgresql_using="gin",
            postgresql_ops={"title": "gin_trgm_ops"},
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # The extension stays: other schemas in the database may use it.
        op.drop_index("ix_incidents_title_trigrams", table_name="incidents")
    for name in ("ix_incidents_listing_open", *_BY):
        op.drop_index(name, table_name="incidents")
