"""What the console's insights (SPEC §9) read off the timeline without touching its payloads:

- the acknowledged, resolved and reopened events' times, per incident (an index-only read: times
  to acknowledge and to resolve come from these alone);
- the incidents each SLA clock was breached for, one index per clock: the clock is in the event's
  payload, and reading 100,000 payloads costs what reading the whole timeline does.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_TIMES = "type IN ('acknowledged', 'resolved', 'reopened')"
_KINDS = ("ack", "update", "resolve")
_BREACHED = {
    "postgresql": "type = 'sla_breached' AND payload ->> 'kind' = '{kind}'",
    "sqlite": "type = 'sla_breached' AND json_extract(payload, '$.kind') = '{kind}'",
}


def upgrade() -> None:
    op.create_index(
        "ix_incident_events_insights",
        "incident_events",
        ["incident_id", "type", "occurred_at"],
        postgresql_where=text(_TIMES),
        sqlite_where=text(_TIMES),
    )
    for kind in _KINDS:
        op.create_index(
            f"ix_incident_events_breached_{kind}",
            "incident_events",
            ["incident_id"],
            postgresql_where=text(_BREACHED["postgresql"].format(kind=kind)),
            sqlite_where=text(_BREACHED["sqlite"].format(kind=kind)),
        )


def downgrade() -> None:
    for kind in reversed(_KINDS):
        op.drop_index(f"ix_incident_events_breached_{kind}", table_name="incident_events")
    op.drop_index("ix_incident_events_insights", table_name="incident_events")
