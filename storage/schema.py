"""Table definitions. Alembic migrations are the source of truth for the database; this mirrors
them for queries, and a test checks the two agree."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Interval,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)

from storage.types import Id, UtcDateTime, json_type

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

OPEN_STATUS_SQL = "status IN ('declared', 'investigating', 'identified', 'monitoring')"
RESOLVED_STATUS_SQL = "status = 'resolved'"
# The same words as the partial indexes' predicates, so that the planner can use the indexes (a
# bound list of statuses would hide that a query asks for open incidents only).
OPEN: ColumnElement[bool] = text(OPEN_STATUS_SQL)  # type: ignore[assignment]
RESOLVED: ColumnElement[bool] = text(RESOLVED_STATUS_SQL)  # type: ignore[assignment]

workspace_counters = Table(
    "workspace_counters",
    metadata,
    Column("workspace_id", String(32), primary_key=True),
    Column("last_number", Integer, nullable=False),
)

# What the card's SLA field needs beyond the reminder clocks (SPEC §4); see migration 0004.
CARD_CLOCK_COLUMNS: tuple[Column[Any], ...] = (
    *(Column(name, UtcDateTime) for name in ("ack_deadline", "update_deadline", "resolve_deadline")),
    Column("snoozed_until", UtcDateTime),
    Column("card_due_at", UtcDateTime),
    Column("acknowledged_by", String(32)),
    Column("worked_before_reopen", Interval),
)

incidents = Table(
    "incidents",
    metadata,
    Column("id", Id, Identity(), primary_key=True),
    Column("workspace_id", String(32), nullable=False),
    Column("number", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("severity", SmallInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("reporter", String(32), nullable=False),
    Column("commander", String(32)),
    Column("service", Text),
    Column("channel_id", String(32), nullable=False),
    # thread_ts comes from the declaration; card_ts once Slack accepted the card. home_ts is the
    # thread everything goes to: the declaring thread, or the card's own for a top-level card.
    Column("thread_ts", String(32)),
    Column("card_ts", String(32)),
    Column("home_ts", String(32)),
    Column("declared_at", UtcDateTime, nullable=False),
    Column("acknowledged_at", UtcDateTime),
    Column("identified_at", UtcDateTime),
    Column("mitigated_at", UtcDateTime),
    Column("resolved_at", UtcDateTime),
    Column("closed_at", UtcDateTime),
    Column("reopened_at", UtcDateTime),
    Column("last_update_at", UtcDateTime),
    Column("resolution_summary", Text),
    Column("card_refused", Text),
    Column("ack_due_at", UtcDateTime),
    Column("update_due_at", UtcDateTime),
    Column("resolve_due_at", UtcDateTime),
    Column("next_due_at", UtcDateTime),
    *CARD_CLOCK_COLUMNS,
    Column("version", Integer, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("workspace_id", "number"),
    Index(
        "ix_incidents_open_by_channel",
        "workspace_id",
        "channel_id",
        postgresql_where=text(OPEN_STATUS_SQL),
        sqlite_where=text(OPEN_STATUS_SQL),
    ),
    Index(
        "ix_incidents_resolved_by_channel",
        "workspace_id",
        "channel_id",
        postgresql_where=text(RESOLVED_STATUS_SQL),
        sqlite_where=text(RESOLVED_STATUS_SQL),
    ),
    Index(
        "uq_incidents_home_thread",
        "workspace_id",
        "channel_id",
        "home_ts",
        unique=True,
        postgresql_where=text("home_ts IS NOT NULL"),
        sqlite_where=text("home_ts IS NOT NULL"),
    ),
    Index(
        "ix_incidents_next_due_at",
        "next_due_at",
        postgresql_where=text("next_due_at IS NOT NULL"),
        sqlite_where=text("next_due_at IS NOT NULL"),
    ),
)

incident_events = Table(
    "incident_events",
    metadata,
    Column("id", Id, Identity(), primary_key=True),
    Column("incident_id", Id, ForeignKey("incidents.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("type", String(40), nullable=False),
    Column("payload", json_type(), nullable=False),
    Column("actor", String(32), nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("source_channel", String(32)),
    Column("source_ts", String(32)),
    Column("recorded_at", UtcDateTime, nullable=False, server_default=func.current_timestamp()),
    UniqueConstraint("incident_id", "seq"),
)

processed_requests = Table(
    "processed_requests",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("incident_id", Id, ForeignKey("incidents.id")),
    Column("processed_at", UtcDateTime, nullable=False),
    Index("ix_processed_requests_processed_at", "processed_at"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Id, Identity(), primary_key=True),
    Column("incident_id", Id, ForeignKey("incidents.id")),
    Column("kind", String(40), nullable=False),
    Column("payload", json_type(), nullable=False),
    # Rows sharing a coalesce key (e.g. one card's updates) may be collapsed into the newest.
    Column("coalesce_key", String(120)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("last_error", Text),
    Column("result", json_type()),
    Column("delivered_at", UtcDateTime),
    Column("failed_at", UtcDateTime),
    Column("superseded_by", Id),
    Index(
        "ix_outbox_pending",
        "next_attempt_at",
        postgresql_where=text("delivered_at IS NULL AND failed_at IS NULL"),
        sqlite_where=text("delivered_at IS NULL AND failed_at IS NULL"),
    ),
    Index(
        "ix_outbox_pending_coalesce",
        "coalesce_key",
        postgresql_where=text("delivered_at IS NULL AND failed_at IS NULL AND coalesce_key IS NOT NULL"),
        sqlite_where=text("delivered_at IS NULL AND failed_at IS NULL AND coalesce_key IS NOT NULL"),
    ),
)

# Outbox rows neither delivered nor given up on: what the partial indexes above hold.
PENDING: ColumnElement[bool] = outbox.c.delivered_at.is_(None) & outbox.c.failed_at.is_(None)
PENDING_SQL = "outbox.delivered_at IS NULL AND outbox.failed_at IS NULL"
