"""An incident's alerts one row each (SPEC §11): a notification reads and writes only its own alerts'
rows, where it decoded and re-encoded all of them in the projection before (an incident of 500
alerts spent most of each notification's time on JSON). The projection's ``alerts`` column keeps
what is per incident: the firing and resolved counts, the groups, and whether the all-resolved
question and the escalation suggestion are out.

The key is a hash of the fingerprint (the sender's, which can be longer than an index entry may
be); ``position`` keeps the order the alerts first fired in.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from storage.types import Id, UtcDateTime, json_type

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_incidents = sa.table("incidents", sa.column("id", Id), sa.column("alerts", json_type()))
_ALERT_COLUMNS = ("fingerprint", "status", "summary", "group_key", "labels", "links")


def _alerts_table() -> sa.Table:
    return op.create_table(
        "incident_alerts",
        sa.Column(
            "incident_id",
            Id,
            sa.ForeignKey("incidents.id", name="fk_incident_alerts_incident_id_incidents"),
            nullable=False,
        ),
        sa.Column("fingerprint_hash", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("group_key", sa.Text, nullable=False),
        sa.Column("labels", json_type(), nullable=False),
        sa.Column("links", json_type(), nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("incident_id", "fingerprint_hash", name="pk_incident_alerts"),
    )


def upgrade() -> None:
    table = _alerts_table()
    bind = op.get_bind()
    now = datetime.now(UTC)
    for incident_id, held in bind.execute(sa.select(_incidents).where(_incidents.c.alerts.is_not(None))).all():
        alerts = held["alerts"]
        rows = [
            {
                "incident_id": incident_id,
                "fingerprint_hash": hashlib.sha256(alert["fingerprint"].encode()).hexdigest(),
                "position": position,
                "updated_at": now,
                **{name: alert[name] for name in _ALERT_COLUMNS},
            }
            for position, alert in enumerate(alerts)
        ]
        if rows:
            bind.execute(table.insert(), rows)
        firing = sum(alert["status"] == "firing" for alert in alerts)
        summary = {**held, "alerts": [], "firing": firing, "resolved": len(alerts) - firing}
        bind.execute(_incidents.update().where(_incidents.c.id == incident_id).values(alerts=summary))


def downgrade() -> None:
    rows = sa.table(
        "incident_alerts",
        sa.column("incident_id", Id),
        sa.column("position", sa.Integer),
        *(sa.column(name, json_type() if name in ("labels", "links") else sa.Text) for name in _ALERT_COLUMNS),
    )
    in_order = sa.select(*(rows.c[name] for name in _ALERT_COLUMNS)).order_by(rows.c.position)
    bind = op.get_bind()
    for incident_id, held in bind.execute(sa.select(_incidents).where(_incidents.c.alerts.is_not(None))).all():
        alerts: list[dict[str, Any]] = [
            dict(row._mapping) for row in bind.execute(in_order.where(rows.c.incident_id == incident_id))
        ]
        summary = {name: held[name] for name in ("groups", "nudged", "escalation_suggested")} | {"alerts": alerts}
        bind.execute(_incidents.update().where(_incidents.c.id == incident_id).values(alerts=summary))
    op.drop_table("incident_alerts")
