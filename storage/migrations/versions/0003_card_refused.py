"""What Slack said when it refused an incident's card (``card_post_failed``), kept on the incident
until the card is asked for again, so that the next command knows to post the card first.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("incidents", sa.Column("card_refused", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("incidents", "card_refused")
