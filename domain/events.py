"""The timeline: facts that happened to an incident. Append-only; state is their fold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from domain.incident import IncidentRef, SlackSource
from domain.lifecycle import Status
from domain.severity import Severity
from domain.sla import ClockKind, SlaClocks


@dataclass(frozen=True, kw_only=True)
class Event:
    type: ClassVar[str]
    actor: str
    at: datetime
    source: SlackSource | None = None


@dataclass(frozen=True, kw_only=True)
class Declared(Event):
    type: ClassVar[str] = "declared"
    ref: IncidentRef
    title: str
    description: str
    severity: Severity
    service: str | None
    channel_id: str
    thread_ts: str | None
    clocks: SlaClocks


@dataclass(frozen=True, kw_only=True)
class Acknowledged(Event):
    type: ClassVar[str] = "acknowledged"
    clocks: SlaClocks


@dataclass(frozen=True, kw_only=True)
class SeverityChanged(Event):
    type: ClassVar[str] = "severity_changed"
    previous: Severity
    current: Severity
    clocks: SlaClocks


@dataclass(frozen=True, kw_only=True)
class Assigned(Event):
    type: ClassVar[str] = "assigned"
    previous: str | None
    current: str


@dataclass(frozen=True, kw_only=True)
class StatusChanged(Event):
    type: ClassVar[str] = "status_changed"
    previous: Status
    current: Status


@dataclass(frozen=True, kw_only=True)
class NoteAdded(Event):
    type: ClassVar[str] = "note_added"
    text: str


@dataclass(frozen=True, kw_only=True)
class StakeholderUpdatePosted(Event):
    type: ClassVar[str] = "stakeholder_update_posted"
    text: str
    model: str | None
    clocks: SlaClocks
    draft_seq: int | None = None


@dataclass(frozen=True, kw_only=True)
class AiDraftCreated(Event):
    type: ClassVar[str] = "ai_draft_created"
    text: str
    model: str | None
    based_on: tuple[int, ...]
    ai_written: bool


@dataclass(frozen=True, kw_only=True)
class SlaBreached(Event):
    type: ClassVar[str] = "sla_breached"
    kind: ClockKind
    due_at: datetime
    clocks: SlaClocks


@dataclass(frozen=True, kw_only=True)
class ReminderSent(Event):
    type: ClassVar[str] = "reminder_sent"
    kind: ClockKind
    due_at: datetime


@dataclass(frozen=True, kw_only=True)
class CardClockPassed(Event):
    """A deadline (``kind``) or a snooze (``kind`` None) ended with no reminder due with it: recorded
    once, by the scheduler, so the card is edited to say so (SPEC §4)."""

    type: ClassVar[str] = "card_clock_passed"
    kind: ClockKind | None
    due_at: datetime


@dataclass(frozen=True, kw_only=True)
class Snoozed(Event):
    type: ClassVar[str] = "snoozed"
    until: datetime
    clocks: SlaClocks


@dataclass(frozen=True, kw_only=True)
class Resolved(Event):
    type: ClassVar[str] = "resolved"
    summary: str | None


@dataclass(frozen=True, kw_only=True)
class Reopened(Event):
    type: ClassVar[str] = "reopened"
    reason: str | None
    clocks: SlaClocks


@dataclass(frozen=True, kw_only=True)
class Closed(Event):
    type: ClassVar[str] = "closed"


@dataclass(frozen=True, kw_only=True)
class CardPostFailed(Event):
    """Slack refused the incident's card for good: nothing can be posted in its thread until the
    card is asked for again (see CardRepostRequested)."""

    type: ClassVar[str] = "card_post_failed"
    error: str
    channel_id: str


@dataclass(frozen=True, kw_only=True)
class CardRepostRequested(Event):
    type: ClassVar[str] = "card_repost_requested"


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls
    for cls in (
        Declared,
        Acknowledged,
        SeverityChanged,
        Assigned,
        StatusChanged,
        NoteAdded,
        StakeholderUpdatePosted,
        AiDraftCreated,
        SlaBreached,
        ReminderSent,
        CardClockPassed,
        Snoozed,
        Resolved,
        Reopened,
        Closed,
        CardPostFailed,
        CardRepostRequested,
    )
}
