"""An index for finding a channel's resolved incidents (what `/incident reopen` and `close` act on
when no number is given), so that lookup reads them instead of scanning every incident.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_RESOLVED = "status = 'resolved'"


def upgrade() -> None:
    op.create_index(
        "ix_incidents_resolved_by_channel",
        "incidents",
        ["workspace_id", "channel_id"],
        postgresql_where=sa.text(_RESOLVED),
        sqlite_where=sa.text(_RESOLVED),
    )


def downgrade() -> None:
    op.drop_index("ix_incidents_resolved_by_channel", table_name="incidents")
