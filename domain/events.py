"""The timeline: facts that happened to an incident. Append-only; state is their fold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from domain.alerts import AlertLink
from domain.followup import FollowUpDue
from domain.incident import IncidentRef, SlackSource, Source
from domain.lifecycle import Status
from domain.pinned import PinnedBy
from domain.postmortem import PostmortemText
from domain.severity import Severity
from domain.sla import ClockKind, SlaClocks


@dataclass(frozen=True, kw_only=True)
class Event:
    type: ClassVar[str]
    actor: str
    at: datetime
    source: Source | None = None


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
    draft_message: SlackSource | None = None


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


@dataclass(frozen=True, kw_only=True)
class FollowUpAdded(Event):
    type: ClassVar[str] = "followup_added"
    number: int
    text: str
    owner: str
    due: FollowUpDue | None


@dataclass(frozen=True, kw_only=True)
class FollowUpDone(Event):
    type: ClassVar[str] = "followup_done"
    number: int


@dataclass(frozen=True, kw_only=True)
class FollowUpReminded(Event):
    """The one reminder of an overdue follow-up, in the incident's thread, mentioning its owner."""

    type: ClassVar[str] = "followup_reminded"
    number: int
    due_at: datetime


@dataclass(frozen=True, kw_only=True)
class MessagePinned(Event):
    """A Slack message of the incident's thread put on its timeline by ``actor`` (a 📌 or a pin),
    with its own ``author`` and ``posted_at``; ``text`` is None until Slack gives it (then
    PinnedMessageFetched). Pinned again after it was taken off, it is back on."""

    type: ClassVar[str] = "message_pinned"
    channel_id: str
    ts: str
    author: str | None
    posted_at: datetime
    text: str | None
    pinned_by: PinnedBy


@dataclass(frozen=True, kw_only=True)
class PinnedMessageFetched(Event):
    """A pinned message's text, fetched from Slack after the pin was recorded without it."""

    type: ClassVar[str] = "pinned_message_fetched"
    channel_id: str
    ts: str
    author: str | None
    text: str


@dataclass(frozen=True, kw_only=True)
class MessageUnpinned(Event):
    """The 📌 was removed or the message unpinned: the entry stays, marked taken off."""

    type: ClassVar[str] = "message_unpinned"
    channel_id: str
    ts: str


@dataclass(frozen=True, kw_only=True)
class PinnedMessageEdited(Event):
    type: ClassVar[str] = "pinned_message_edited"
    channel_id: str
    ts: str
    text: str


@dataclass(frozen=True, kw_only=True)
class PinnedMessageDeleted(Event):
    type: ClassVar[str] = "pinned_message_deleted"
    channel_id: str
    ts: str


@dataclass(frozen=True, kw_only=True)
class PostmortemEdited(Event):
    """A save of the postmortem: only the fields it changed, in the fields' order (the history keeps
    every earlier text)."""

    type: ClassVar[str] = "postmortem_edited"
    changes: tuple[PostmortemText, ...]


@dataclass(frozen=True, kw_only=True)
class PostmortemDrafted(Event):
    """A draft of the postmortem for a person to review: written by ``model`` from the timeline
    entries ``based_on`` (every sentence citing its entries; ``dropped`` sentences had no valid
    citation), or from the template of the incident's facts. Saving it is a PostmortemEdited."""

    type: ClassVar[str] = "postmortem_drafted"
    texts: tuple[PostmortemText, ...]
    model: str | None
    based_on: tuple[int, ...]
    ai_written: bool
    dropped: int = 0


@dataclass(frozen=True, kw_only=True)
class AlertFired(Event):
    """An alert (by fingerprint) of group ``group_key`` began firing on the incident: new to it, or
    firing again after it resolved. ``actor`` is the source that said so."""

    type: ClassVar[str] = "alert_fired"
    fingerprint: str
    group_key: str
    summary: str
    labels: tuple[tuple[str, str], ...]
    links: tuple[AlertLink, ...]


@dataclass(frozen=True, kw_only=True)
class AlertResolved(Event):
    type: ClassVar[str] = "alert_resolved"
    fingerprint: str


@dataclass(frozen=True, kw_only=True)
class AlertsAllResolved(Event):
    """Every alert of the incident has resolved: the thread asks once whether to resolve it (SPEC §11)."""

    type: ClassVar[str] = "alerts_all_resolved"
    resolved: int


@dataclass(frozen=True, kw_only=True)
class EscalationSuggested(Event):
    """``firing`` alerts reached ``[alerts] escalate_at`` below SEV1: the thread suggests a raise once."""

    type: ClassVar[str] = "escalation_suggested"
    firing: int


@dataclass(frozen=True, kw_only=True)
class PublicityChanged(Event):
    """The incident was put on the public status page (under ``title``, or its own when None) or
    taken off it (SPEC §14)."""

    type: ClassVar[str] = "publicity_changed"
    public: bool
    title: str | None


@dataclass(frozen=True, kw_only=True)
class RunbookStepDone(Event):
    """Step ``step`` of the incident's runbook, as it read then (``text``), was done by the actor."""

    type: ClassVar[str] = "runbook_step_done"
    step: int
    text: str
    message: SlackSource | None = None


ALERT_EVENTS = (AlertFired, AlertResolved, AlertsAllResolved, EscalationSuggested)

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
        FollowUpAdded,
        FollowUpDone,
        FollowUpReminded,
        MessagePinned,
        PinnedMessageFetched,
        MessageUnpinned,
        PinnedMessageEdited,
        PinnedMessageDeleted,
        PostmortemEdited,
        PostmortemDrafted,
        *ALERT_EVENTS,
        PublicityChanged,
        RunbookStepDone,
    )
}
