"""Postmortems (SPEC §10): the incident's current postmortem in its projection (one JSON object of
its seven fields, read and written with the row, under its lock and version). Every save is also a
timeline event holding the fields it changed, so earlier versions stay in the history.

Rows written before this revision have none (NULL reads as an empty postmortem).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import json_type

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("postmortem", json_type(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("postmortem")
