"""Incidents, their append-only timeline, idempotency keys, the outbox and per-workspace counters.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from storage.types import Id, UtcDateTime, json_type

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_PENDING = "delivered_at IS NULL AND failed_at IS NULL"
_OPEN = "status IN ('declared', 'investigating', 'identified', 'monitoring')"

_APPEND_ONLY_PG = [
    """CREATE FUNCTION incident_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'incident_events is append-only: % is refused', TG_OP;
    END
    $$""",
    """CREATE TRIGGER incident_events_append_only BEFORE UPDATE OR DELETE ON incident_events
        FOR EACH ROW EXECUTE FUNCTION incident_events_append_only()""",
    """CREATE TRIGGER incident_events_no_truncate BEFORE TRUNCATE ON incident_events
        FOR EACH STATEMENT EXECUTE FUNCTION incident_events_append_only()""",
]

_APPEND_ONLY_SQLITE = [
    f"""CREATE TRIGGER incident_events_no_{op_name.lower()} BEFORE {op_name} ON incident_events
        BEGIN SELECT RAISE(ABORT, 'incident_events is append-only: {op_name} is refused'); END"""
    for op_name in ("UPDATE", "DELETE")
]


def _partial(where: str) -> dict[str, Any]:
    return {"postgresql_where": sa.text(where), "sqlite_where": sa.text(where)}


def upgrade() -> None:
    op.create_table(
        "workspace_counters",
        sa.Column("workspace_id", sa.String(32), primary_key=True),
        sa.Column("last_number", sa.Integer, nullable=False),
    )
    op.create_table(
        "incidents",
        sa.Column("id", Id, sa.Identity(), primary_key=True),
        sa.Column("workspace_id", sa.String(32), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("severity", sa.SmallInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reporter", sa.String(32), nullable=False),
        sa.Column("commander", sa.String(32)),
        sa.Column("service", sa.Text),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("thread_ts", sa.String(32)),
        sa.Column("card_ts", sa.String(32)),
        sa.Column("home_ts", sa.String(32)),
        *(
            sa.Column(name, UtcDateTime, nullable=name != "declared_at")
            for name in (
                "declared_at",
                "acknowledged_at",
                "identified_at",
                "mitigated_at",
                "resolved_at",
                "closed_at",
                "reopened_at",
                "last_update_at",
            )
        ),
        sa.Column("resolution_summary", sa.Text),
        *(sa.Column(name, UtcDateTime) for name in ("ack_due_at", "update_due_at", "resolve_due_at", "next_due_at")),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("workspace_id", "number", name="uq_incidents_workspace_id_number"),
    )
    op.create_index("ix_incidents_open_by_channel", "incidents", ["workspace_id", "channel_id"], **_partial(_OPEN))
    op.create_index(
        "uq_incidents_home_thread",
        "incidents",
        ["workspace_id", "channel_id", "home_ts"],
        unique=True,
        **_partial("home_ts IS NOT NULL"),
    )
    op.create_index("ix_incidents_next_due_at", "incidents", ["next_due_at"], **_partial("next_due_at IS NOT NULL"))

    op.create_table(
        "incident_events",
        sa.Column("id", Id, sa.Identity(), primary_key=True),
        sa.Column(
            "incident_id",
            Id,
            sa.ForeignKey("incidents.id", name="fk_incident_events_incident_id_incidents"),
            nullable=False,
        ),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("payload", json_type(), nullable=False),
        sa.Column("actor", sa.String(32), nullable=False),
        sa.Column("occurred_at", UtcDateTime, nullable=False),
        sa.Column("source_channel", sa.String(32)),
        sa.Column("source_ts", sa.String(32)),
        sa.Column("recorded_at", UtcDateTime, nullable=False, server_default=sa.func.current_timestamp()),
        sa.UniqueConstraint("incident_id", "seq", name="uq_incident_events_incident_id_seq"),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in _APPEND_ONLY_PG if postgres else _APPEND_ONLY_SQLITE:
        op.execute(statement)

    op.create_table(
        "processed_requests",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("incident_id", Id, sa.ForeignKey("incidents.id", name="fk_processed_requests_incident_id_incidents")),
        sa.Column("processed_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_processed_requests_processed_at", "processed_requests", ["processed_at"])

    op.create_table(
        "outbox",
        sa.Column("id", Id, sa.Identity(), primary_key=True),
        sa.Column("incident_id", Id, sa.ForeignKey("incidents.id", name="fk_outbox_incident_id_incidents")),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("payload", json_type(), nullable=False),
        sa.Column("coalesce_key", sa.String(120)),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("next_attempt_at", UtcDateTime, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("result", json_type()),
        sa.Column("delivered_at", UtcDateTime),
        sa.Column("failed_at", UtcDateTime),
        sa.Column("superseded_by", Id),
    )
    op.create_index("ix_outbox_pending", "outbox", ["next_attempt_at"], **_partial(_PENDING))
    op.create_index(
        "ix_outbox_pending_coalesce", "outbox", ["coalesce_key"], **_partial(f"{_PENDING} AND coalesce_key IS NOT NULL")
    )


def downgrade() -> None:
    op.drop_table("outbox")
    op.drop_table("processed_requests")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER incident_events_no_truncate ON incident_events")
        op.execute("DROP TRIGGER incident_events_append_only ON incident_events")
        op.execute("DROP FUNCTION incident_events_append_only()")
    op.drop_table("incident_events")
    op.drop_table("incidents")
    op.drop_table("workspace_counters")
