"""Follow-ups (SPEC §10) in the incidents projection: the incident's follow-ups as one JSON array,
so a command reads and writes them with the incident's row, under the same lock and version.

Rows written before this revision have none (NULL reads as no follow-ups).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import json_type

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("followups", json_type(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("followups")
