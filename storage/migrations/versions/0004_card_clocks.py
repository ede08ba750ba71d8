"""What the card's SLA field needs beyond the reminder clocks (SPEC §4): the deadlines themselves
(a snooze or a repeated reminder moves only the reminder clocks), the snooze, who acknowledged,
time worked before a reopening, and when the card next reads differently on its own.

Rows written before this revision take their reminder clocks as deadlines and are left for the
next change to fill in the rest.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_TIMES = ("ack_deadline", "update_deadline", "resolve_deadline", "snoozed_until", "card_due_at")


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        for name in _TIMES:
            batch.add_column(sa.Column(name, UtcDateTime, nullable=True))
        batch.add_column(sa.Column("acknowledged_by", sa.String(32), nullable=True))
        batch.add_column(sa.Column("worked_before_reopen", sa.Interval(), nullable=True))
    op.execute(
        "UPDATE incidents SET ack_deadline = ack_due_at, update_deadline = update_due_at,"
        " resolve_deadline = resolve_due_at"
    )


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        for name in (*_TIMES, "acknowledged_by", "worked_before_reopen"):
            batch.drop_column(name)
