"""Alerts in (SPEC §11): the incident's alerts in its projection (one JSON object: each alert by
fingerprint with its state, the groups they came in, whether the all-resolved question and the
escalation suggestion are out), read and written with the row, under its lock and version.

``alert_groups`` names the newest incident each alert group (a hash of the source's group key,
which can be longer than an index entry may be) joined; a notification locks its group's row
first, so two notifications of one new group never declare two incidents. The partial index
finds an open incident of a service declared recently, which absorbs other groups.

Rows written before this revision have none (NULL reads as no alerts).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import text

from storage.types import Id, json_type

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_OPEN = "status IN ('declared', 'investigating', 'identified', 'monitoring')"


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("alerts", json_type(), nullable=True))
    op.create_table(
        "alert_groups",
        sa.Column("workspace_id", sa.String(32), nullable=False),
        sa.Column("group_hash", sa.String(64), nullable=False),
        sa.Column("incident_id", Id, sa.ForeignKey("incidents.id", name="fk_alert_groups_incident_id_incidents")),
        sa.PrimaryKeyConstraint("workspace_id", "group_hash", name="pk_alert_groups"),
    )
    op.create_index(
        "ix_incidents_open_by_service",
        "incidents",
        ["workspace_id", "service", "declared_at"],
        postgresql_where=text(_OPEN),
        sqlite_where=text(_OPEN),
    )


def downgrade() -> None:
    op.drop_index("ix_incidents_open_by_service", table_name="incidents")
    op.drop_table("alert_groups")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("alerts")
