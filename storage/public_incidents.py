"""What the public status page reads (SPEC §14): the public incidents, open or of the last days,
each with the text and time of its published stakeholder updates, and nothing else of its timeline.

The projection says which incidents are public (migration 0013's partial index holds only those);
the updates are their ``stakeholder_update_posted`` events, the only events read here. Only the
columns the page shows are read, and of each update only its text (``payload ->> 'text'``): the
page is read again after every change, while hundreds of people watch it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.events import StakeholderUpdatePosted
from storage.schema import OPEN, incident_events, incidents


@dataclass(frozen=True)
class PublishedUpdate:
    at: datetime
    text: str


@dataclass(frozen=True)
class PublicIncident:
    number: int
    title: str
    public_title: str | None
    severity: int
    status: str
    declared_at: datetime
    resolved_at: datetime | None
    postmortem_summary: str
    # Newest first, as the page shows them.
    updates: tuple[PublishedUpdate, ...]


async def public_incidents(connection: AsyncConnection, since: datetime, limit: int) -> list[PublicIncident]:
    """The public incidents open now or declared since ``since``, newest first, at most ``limit``."""
    shown = (
        select(
            incidents.c.id,
            incidents.c.number,
            incidents.c.title,
            incidents.c.public_title,
            incidents.c.severity,
            incidents.c.status,
            incidents.c.declared_at,
            incidents.c.resolved_at,
            incidents.c.postmortem["summary"].as_string().label("summary"),
        )
        .where(incidents.c.public, or_(OPEN, incidents.c.declared_at >= since))
        .order_by(incidents.c.declared_at.desc(), incidents.c.id.desc())
        .limit(limit)
        .cte("shown")
    )
    rows = (await connection.execute(select(shown))).all()
    updates = (
        select(
            incident_events.c.incident_id, incident_events.c.occurred_at, incident_events.c.payload["text"].as_string()
        )
        .join(shown, shown.c.id == incident_events.c.incident_id)
        .where(incident_events.c.type == StakeholderUpdatePosted.type)
        .order_by(incident_events.c.incident_id, incident_events.c.seq.desc())
    )
    found: dict[int, list[PublishedUpdate]] = defaultdict(list)
    for incident_id, at, text in await connection.execute(updates):
        found[incident_id].append(PublishedUpdate(at, text or ""))
    return [
        PublicIncident(
            number=row.number,
            title=row.title,
            public_title=row.public_title,
            severity=row.severity,
            status=row.status,
            declared_at=row.declared_at,
            resolved_at=row.resolved_at,
            postmortem_summary=row.summary or "",
            updates=tuple(found.get(row.id, ())),
        )
        for row in rows
    ]
