"""The timeline from Slack (SPEC §10): the incident's pinned messages in its projection (one JSON
array, read and written with the row, under its lock and version), and an index that finds the
incident a pinned message is on from the message alone (an unpin, an edit or a deletion names no
thread).

Rows written before this revision have none (NULL reads as no pinned messages).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import text

from storage.types import json_type

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_PINNED = "type = 'message_pinned'"


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("pinned_messages", json_type(), nullable=True))
    op.create_index(
        "ix_incident_events_pinned",
        "incident_events",
        ["source_channel", "source_ts"],
        postgresql_where=text(_PINNED),
        sqlite_where=text(_PINNED),
    )


def downgrade() -> None:
    op.drop_index("ix_incident_events_pinned", table_name="incident_events")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("pinned_messages")
