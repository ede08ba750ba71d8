"""Records to rows: what each table holds of the values in storage.stored.

The projection holds exactly the domain state, and reads back into it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from domain.alerts import NO_ALERTS, IncidentAlerts
from domain.codec import decode_value, encode_payload, encode_value, slack_source
from domain.followup import FollowUp, next_reminder
from domain.incident import Incident, IncidentRef
from domain.lifecycle import Status
from domain.pinned import PinnedMessage
from domain.postmortem import EMPTY_POSTMORTEM, Postmortem
from domain.services import RunbookMark
from domain.severity import Severity
from domain.sla import SlaClocks
from storage.stored import OutboxMessage, RecordedEvent

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
_DEADLINES = {"ack_deadline": "ack_due_at", "update_deadline": "update_due_at", "resolve_deadline": "resolve_due_at"}
CLAIM_COLUMNS = ("key", "processed_at", "incident_id")


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
        # The scheduler wakes for a reminder, a follow-up's reminder and an edit of the card's SLA
        # field alike; a follow-up's comes after resolution too.
        "next_due_at": min(
            (
                when
                for when in (incident.clocks.next_due_at, incident.card_due_at, next_reminder(incident.followups))
                if when is not None
            ),
            default=None,
        ),
        "followups": encode_value(incident.followups),
        "pinned_messages": encode_value(incident.pinned),
        "postmortem": encode_value(incident.postmortem),
        # The alerts themselves are rows of incident_alerts (storage.incident_alerts).
        "alerts": encode_value(replace(incident.alerts, alerts=())),
        "public": incident.public,
        "public_title": incident.public_title,
        "runbook": encode_value(incident.runbook),
        "snoozed_until": incident.snoozed_until,
        "card_due_at": incident.card_due_at,
        "acknowledged_by": incident.acknowledged_by,
        "worked_before_reopen": incident.worked_before_reopen,
        "version": incident.version,
        "updated_at": now,
    }
    values.update({name: getattr(incident, name) for name in _TIMESTAMPS})
    values.update({name: getattr(incident.clocks, name) for name in _CLOCKS})
    values.update({column: getattr(incident.deadlines, name) for column, name in _DEADLINES.items()})
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
        deadlines=SlaClocks(**{name: row[column] for column, name in _DEADLINES.items()}),
        snoozed_until=row["snoozed_until"],
        card_due_at=row["card_due_at"],
        acknowledged_by=row["acknowledged_by"],
        # Rows from before migration 0004 hold no figure: no reopening was counted then.
        worked_before_reopen=row["worked_before_reopen"] or timedelta(0),
        # Rows from before migration 0008 hold none.
        followups=decode_value(tuple[FollowUp, ...], row["followups"] or []),
        # Rows from before migration 0009 hold none.
        pinned=decode_value(tuple[PinnedMessage, ...], row["pinned_messages"] or []),
        # Rows from before migration 0010 hold none.
        postmortem=decode_value(Postmortem, row["postmortem"]) if row["postmortem"] else EMPTY_POSTMORTEM,
        # Rows from before migration 0011 hold none; the alerts are read apart (storage.incident_alerts).
        alerts=decode_value(IncidentAlerts, row["alerts"]) if row["alerts"] else NO_ALERTS,
        public=row["public"],
        public_title=row["public_title"],
        # Rows from before migration 0014 hold none.
        runbook=decode_value(tuple[RunbookMark, ...], row["runbook"] or []),
        version=row["version"],
        **{name: row[name] for name in _TIMESTAMPS},
    )


def claim_rows(claims: Sequence[tuple[str, datetime, int]]) -> list[dict[str, Any]]:
    """processed_requests rows from ``(key, processed_at, incident_id)``."""
    return [dict(zip(CLAIM_COLUMNS, claim, strict=True)) for claim in claims]


def event_rows(timelines: Sequence[tuple[int, Sequence[RecordedEvent]]]) -> list[dict[str, Any]]:
    """incident_events rows, each incident's events in their timeline's order."""
    return [_event_row(incident_id, item) for incident_id, items in timelines for item in items]


def _event_row(incident_id: int, item: RecordedEvent) -> dict[str, Any]:
    source = slack_source(item.event)
    return {
        "incident_id": incident_id,
        "seq": item.seq,
        "type": item.event.type,
        "payload": encode_payload(item.event),
        "actor": item.event.actor,
        "occurred_at": item.event.at,
        "source_channel": source.channel_id if source else None,
        "source_ts": source.ts if source else None,
    }


def outbox_rows(batches: Sequence[tuple[Sequence[OutboxMessage], int | None]], now: datetime) -> list[dict[str, Any]]:
    """The rows that queue each batch's messages for its incident, in order, due at once."""
    return [_outbox_row(message, incident_id, now) for messages, incident_id in batches for message in messages]


def _outbox_row(message: OutboxMessage, incident_id: int | None, now: datetime) -> dict[str, Any]:
    return {
        "incident_id": None if message.detached else incident_id,
        "kind": message.kind,
        "payload": dict(message.payload),
        "coalesce_key": message.coalesce_key,
        "created_at": now,
        "next_attempt_at": now,
    }
