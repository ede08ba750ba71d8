"""Table definitions. Alembic migrations are the source of truth for the database; this mirrors
them for queries, and a test checks the two agree."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    Boolean,
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
    false,
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
    # The incident's follow-ups (SPEC §10), one JSON array; see migration 0008.
    Column("followups", json_type()),
    # Messages pinned from Slack (SPEC §10), one JSON array; see migration 0009.
    Column("pinned_messages", json_type()),
    # The current postmortem (SPEC §10), one JSON object of its fields; see migration 0010.
    Column("postmortem", json_type()),
    # The incident's alert counts and groups (SPEC §11), one JSON object; the alerts themselves
    # are rows of incident_alerts (migrations 0011, 0012).
    Column("alerts", json_type()),
    # On the public status page (SPEC §14), and under which title; see migration 0013.
    Column("public", Boolean, nullable=False, server_default=false()),
    Column("public_title", Text),
    # The runbook steps done (SPEC §13), one JSON array; see migration 0014.
    Column("runbook", json_type()),
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
    # An open incident of a service declared within [alerts] window absorbs new alert groups.
    Index(
        "ix_incidents_open_by_service",
        "workspace_id",
        "service",
        "declared_at",
        postgresql_where=text(OPEN_STATUS_SQL),
        sqlite_where=text(OPEN_STATUS_SQL),
    ),
    Index(
        "ix_incidents_public",
        "declared_at",
        "id",
        postgresql_where=text("public"),
        sqlite_where=text("public"),
    ),
    Index(
        "ix_incidents_next_due_at",
        "next_due_at",
        postgresql_where=text("next_due_at IS NOT NULL"),
        sqlite_where=text("next_due_at IS NOT NULL"),
    ),
)

# The console's list (SPEC §9) reads newest first by (declared_at, id); see migration 0005.
for _by in ("", "status", "service", "commander"):
    _columns = ("workspace_id", *([_by] if _by else []), "declared_at", "id")
    Index("_".join(filter(None, ("ix_incidents_listing", _by))), *(incidents.c[name] for name in _columns))
Index(
    "ix_incidents_listing_open",
    incidents.c.workspace_id,
    incidents.c.declared_at,
    incidents.c.id,
    postgresql_where=text(OPEN_STATUS_SQL),
    sqlite_where=text(OPEN_STATUS_SQL),
)
# Trigrams are Postgres's (pg_trgm); the playground's SQLite reads titles without an index.
POSTGRES_ONLY_INDEXES = frozenset({"ix_incidents_title_trigrams"})
Index(
    "ix_incidents_title_trigrams",
    incidents.c.title,
    postgresql_using="gin",
    postgresql_ops={"title": "gin_trgm_ops"},
).ddl_if(dialect="postgresql")


def schema_on(dialect_name: str) -> Callable[[object, str | None, str, bool, object], bool]:
    """Alembic's ``include_object`` for a database: what this metadata holds there (an index only
    Postgres has is no drift on SQLite)."""

    def included(_object: object, name: str | None, type_: str, _reflected: bool, _compare_to: object) -> bool:
        return dialect_name == "postgresql" or type_ != "index" or name not in POSTGRES_ONLY_INDEXES

    return included


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

# What the console's insights read off the timeline (SPEC §9); see migration 0006. The predicates
# are the indexes' own words, so that the planner sees a query may use them.
INSIGHT_TIMES_SQL = "type IN ('acknowledged', 'resolved', 'reopened')"
BREACHED_SQL = {
    "postgresql": "type = 'sla_breached' AND payload ->> 'kind' = '{kind}'",
    "sqlite": "type = 'sla_breached' AND json_extract(payload, '$.kind') = '{kind}'",
}
Index(
    "ix_incident_events_insights",
    incident_events.c.incident_id,
    incident_events.c.type,
    incident_events.c.occurred_at,
    postgresql_where=text(INSIGHT_TIMES_SQL),
    sqlite_where=text(INSIGHT_TIMES_SQL),
)
for _kind in ("ack", "update", "resolve"):
    Index(
        f"ix_incident_events_breached_{_kind}",
        incident_events.c.incident_id,
        postgresql_where=text(BREACHED_SQL["postgresql"].format(kind=_kind)),
        sqlite_where=text(BREACHED_SQL["sqlite"].format(kind=_kind)),
    )

# Which incident a pinned Slack message is on (SPEC §10): its pin event's source is the message. An
# unpin, an edit or a deletion names only the message; see migration 0009.
PINNED_SQL = "type = 'message_pinned'"
Index(
    "ix_incident_events_pinned",
    incident_events.c.source_channel,
    incident_events.c.source_ts,
    postgresql_where=text(PINNED_SQL),
    sqlite_where=text(PINNED_SQL),
)

# The newest incident each alert group joined, by a hash of its group key; see migration 0011.
alert_groups = Table(
    "alert_groups",
    metadata,
    Column("workspace_id", String(32), primary_key=True),
    Column("group_hash", String(64), primary_key=True),
    Column("incident_id", Id, ForeignKey("incidents.id")),
)

# One row per alert (by a hash of its fingerprint) an incident recorded; see migration 0012.
incident_alerts = Table(
    "incident_alerts",
    metadata,
    Column("incident_id", Id, ForeignKey("incidents.id"), primary_key=True),
    Column("fingerprint_hash", String(64), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("fingerprint", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("summary", Text, nullable=False),
    Column("group_key", Text, nullable=False),
    Column("labels", json_type(), nullable=False),
    Column("links", json_type(), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# The status page's email subscribers (SPEC §14), addresses lower-cased; see migration 0013.
status_subscribers = Table(
    "status_subscribers",
    metadata,
    Column("id", Id, Identity(), primary_key=True),
    Column("address", String(320), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("confirmed_at", UtcDateTime),
)

# Subscribe requests per client address, for the rate limit every replica shares.
status_subscribe_attempts = Table(
    "status_subscribe_attempts",
    metadata,
    Column("id", Id, Identity(), primary_key=True),
    Column("client", String(64), nullable=False),
    Column("attempted_at", UtcDateTime, nullable=False),
    Index("ix_status_subscribe_attempts_client_attempted_at", "client", "attempted_at"),
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
