"""The public status page (SPEC §14): which incidents are public, under which title, and who is
subscribed to its emails.

``public`` and ``public_title`` are the projection of the incident's publicity events; the partial
index holds the public incidents only, which are all the status page reads (newest first).

``status_subscribers`` holds addresses lower-cased, one row each; ``confirmed_at`` is set once the
address owner followed the confirmation link. Links are signed with a key derived from a secret
(bot.receivers.status_page.links), so no token is stored. An unsubscribed address is deleted.

``status_subscribe_attempts`` counts subscribe requests per client address for the rate limit, in
the database so that every replica counts the same attempts.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import text

from storage.types import Id, UtcDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("public", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("public_title", sa.Text(), nullable=True))
    op.create_index(
        "ix_incidents_public",
        "incidents",
        ["declared_at", "id"],
        postgresql_where=text("public"),
        sqlite_where=text("public"),
    )
    op.create_table(
        "status_subscribers",
        sa.Column("id", Id, sa.Identity(), nullable=False),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("confirmed_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_status_subscribers"),
        sa.UniqueConstraint("address", name="uq_status_subscribers_address"),
    )
    op.create_table(
        "status_subscribe_attempts",
        sa.Column("id", Id, sa.Identity(), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("attempted_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_status_subscribe_attempts"),
    )
    op.create_index(
        "ix_status_subscribe_attempts_client_attempted_at",
        "status_subscribe_attempts",
        ["client", "attempted_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_status_subscribe_attempts_client_attempted_at", table_name="status_subscribe_attempts")
    op.drop_table("status_subscribe_attempts")
    op.drop_table("status_subscribers")
    op.drop_index("ix_incidents_public", table_name="incidents")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("public_title")
        batch.drop_column("public")
