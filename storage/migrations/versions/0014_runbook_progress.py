"""Services and runbooks (SPEC §13): the runbook steps done on an incident, in its projection (one
JSON array, read and written with the row, under its lock and version), so a step marked twice
(a double click, two replicas at once, after a restart) is found done and recorded once.

Rows written before this revision have none (NULL reads as no step done).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import json_type

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("runbook", json_type(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("runbook")
