"""Incident values to projection rows and back: the projection holds exactly the domain state."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from domain.incident import Incident, IncidentRef
from domain.lifecycle import Status
from domain.severity import Severity
from domain.sla import SlaClocks

_TIMESTAMPS = (
    "declared_at",
    "acknowledged_at",
    "identified_at",
    "mitigated_at",
    "resolved_at",
    "closed_at",
    "reopened_at",
    "last_update_at",
)
_CLOCKS = ("ack_due_at", "update_due_at", "resolve_due_at")


def incident_values(incident: Incident, now: datetime) -> dict[str, Any]:
    """Every projected column of ``incident``; Slack delivery columns (card_ts…) are not state."""
    values: dict[str, Any] = {
        "workspace_id": incident.ref.workspace_id,
        "number": incident.ref.number,
        "title": incident.title,
        "description": incident.description,
        "severity": int(incident.severity),
        "status": incident.status.value,
        "reporter": incident.reporter,
        "commander": incident.commander,
        "service": incident.service,
        "channel_id": incident.channel_id,
        "thread_ts": incident.thread_ts,
        "resolution_summary": incident.resolution_summary,
        "card_refused": incident.card_refused,
        "next_due_at": incident.clocks.next_due_at,
        "version": incident.version,
        "updated_at": now,
    }
    values.update({name: getattr(incident, name) for name in _TIMESTAMPS})
    values.update({name: getattr(incident.clocks, name) for name in _CLOCKS})
    return values


def incident_from_row(row: Mapping[str, Any]) -> Incident:
    return Incident(
        ref=IncidentRef(row["workspace_id"], row["number"]),
        title=row["title"],
        description=row["description"],
        severity=Severity(row["severity"]),
        status=Status(row["status"]),
        reporter=row["reporter"],
        commander=row["commander"],
        service=row["service"],
        channel_id=row["channel_id"],
        thread_ts=row["thread_ts"],
        resolution_summary=row["resolution_summary"],
        card_refused=row["card_refused"],
        clocks=SlaClocks(**{name: row[name] for name in _CLOCKS}),
        version=row["version"],
        **{name: row[name] for name in _TIMESTAMPS},
    )
