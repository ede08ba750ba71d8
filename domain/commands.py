"""What people (and the scheduler) ask of an incident. Commands may be refused; events may not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.incident import SlackSource
from domain.lifecycle import Status
from domain.severity import Severity
from domain.sla import ClockKind

SYSTEM_ACTOR = "system"


@dataclass(frozen=True, kw_only=True)
class Command:
    actor: str
    source: SlackSource | None = None


@dataclass(frozen=True, kw_only=True)
class Declare(Command):
    title: str
    severity: Severity
    channel_id: str
    thread_ts: str | None = None
    description: str = ""
    service: str | None = None


@dataclass(frozen=True, kw_only=True)
class Acknowledge(Command):
    pass


@dataclass(frozen=True, kw_only=True)
class ChangeSeverity(Command):
    severity: Severity


@dataclass(frozen=True, kw_only=True)
class Assign(Command):
    commander: str


@dataclass(frozen=True, kw_only=True)
class ChangeStatus(Command):
    status: Status
    summary: str | None = None


@dataclass(frozen=True, kw_only=True)
class Resolve(Command):
    summary: str | None = None


@dataclass(frozen=True, kw_only=True)
class Reopen(Command):
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class Close(Command):
    pass


@dataclass(frozen=True, kw_only=True)
class AddNote(Command):
    text: str


@dataclass(frozen=True, kw_only=True)
class PostStakeholderUpdate(Command):
    """Publish an official update; ``model`` is set when it was an AI draft a person approved."""

    text: str
    model: str | None = None
    # The draft's timeline seq when a draft was published with its button, whose message then
    # shows that it was posted instead of the button.
    draft_seq: int | None = None


@dataclass(frozen=True, kw_only=True)
class RecordAiDraft(Command):
    text: str
    model: str | None
    based_on: tuple[int, ...]
    ai_written: bool


@dataclass(frozen=True, kw_only=True)
class RecordSlaBreach(Command):
    """The scheduler saw ``kind`` due at ``due_at``; recorded once, whoever saw it first."""

    kind: ClockKind
    due_at: datetime


@dataclass(frozen=True, kw_only=True)
class Snooze(Command):
    duration: timedelta


@dataclass(frozen=True, kw_only=True)
class RecordCardRefusal(Command):
    """Slack refused to post the incident's card for good; ``error`` is what it said (``not_in_channel``)."""

    error: str


@dataclass(frozen=True, kw_only=True)
class RepostCard(Command):
    """Post the card again, once whatever made Slack refuse it is fixed (the bot was invited)."""


@dataclass(frozen=True, kw_only=True)
class RecordCardClock(Command):
    """The scheduler saw the card's next clock (a deadline or a snooze's end) pass at ``due_at``."""

    due_at: datetime


IncidentCommand = (
    Acknowledge
    | ChangeSeverity
    | Assign
    | ChangeStatus
    | Resolve
    | Reopen
    | Close
    | AddNote
    | PostStakeholderUpdate
    | RecordAiDraft
    | RecordSlaBreach
    | RecordCardClock
    | Snooze
    | RecordCardRefusal
    | RepostCard
)
AnyCommand = Declare | IncidentCommand
