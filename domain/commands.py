"""What people (and the scheduler) ask of an incident. Commands may be refused; events may not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from domain.alerts import AlertSignal
from domain.incident import SlackSource, Source
from domain.lifecycle import Status
from domain.pinned import PinnedBy
from domain.postmortem import PostmortemText
from domain.severity import Severity
from domain.sla import ClockKind

SYSTEM_ACTOR = "system"


@dataclass(frozen=True, kw_only=True)
class Command:
    actor: str
    source: Source | None = None
    # The incident's version its author was looking at (a console form carries it): refused once
    # the incident has moved on, so nobody overwrites a change they have not seen.
    expected_version: int | None = None


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
    # The draft's timeline seq when a draft was published as it is, and the Slack message that
    # shows it (its button's, when published with that), which then says it was posted instead.
    draft_seq: int | None = None
    draft_message: SlackSource | None = None


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


@dataclass(frozen=True, kw_only=True)
class AddFollowUp(Command):
    """``owner`` None: whoever adds it owns it. ``due`` is a day (due at its end, UTC) or a span from now."""

    text: str
    owner: str | None = None
    due: date | timedelta | None = None


@dataclass(frozen=True, kw_only=True)
class CompleteFollowUp(Command):
    number: int


@dataclass(frozen=True, kw_only=True)
class RemindFollowUp(Command):
    """The scheduler saw follow-up ``number`` overdue since ``due_at``; reminded once, whoever saw it first."""

    number: int
    due_at: datetime


@dataclass(frozen=True, kw_only=True)
class PinMessage(Command):
    """Put message ``ts`` of ``channel_id`` (in the incident's thread) on the timeline; ``author``
    and ``text`` as far as they are known yet (the text comes from Slack, maybe later)."""

    channel_id: str
    ts: str
    author: str | None
    text: str | None
    pinned_by: PinnedBy


@dataclass(frozen=True, kw_only=True)
class UnpinMessage(Command):
    channel_id: str
    ts: str


@dataclass(frozen=True, kw_only=True)
class RecordMessageEdit(Command):
    channel_id: str
    ts: str
    text: str


@dataclass(frozen=True, kw_only=True)
class RecordMessageDeletion(Command):
    channel_id: str
    ts: str


@dataclass(frozen=True, kw_only=True)
class EditPostmortem(Command):
    """Save the postmortem's fields as given in ``texts`` (an empty text clears one); the fields not
    given stay as they are."""

    texts: tuple[PostmortemText, ...]


@dataclass(frozen=True, kw_only=True)
class RecordPostmortemDraft(Command):
    """Keep a postmortem draft (AI-written or the template) on the timeline for a person to review."""

    texts: tuple[PostmortemText, ...]
    model: str | None
    based_on: tuple[int, ...]
    ai_written: bool
    dropped: int = 0


@dataclass(frozen=True, kw_only=True)
class RecordAlerts(Command):
    """A notification's alerts of group ``group_key``, as its source (the actor) reports them:
    recorded where they change what the incident knows (SPEC §11)."""

    group_key: str
    signals: tuple[AlertSignal, ...]
    escalate_at: int
    auto_resolve: bool = False


@dataclass(frozen=True, kw_only=True)
class SetPublic(Command):
    """Put the incident on the public status page (under ``title`` when given) or take it off (SPEC §14)."""

    public: bool
    title: str | None = None


@dataclass(frozen=True, kw_only=True)
class CompleteRunbookStep(Command):
    """Step ``step`` (from 1) of the service's runbook, reading ``text``, is done; ``message`` is the
    runbook message in the thread that then shows it (the one clicked, or the last one posted)."""

    step: int
    text: str
    message: SlackSource | None = None


IncidentCommand = (
    CompleteRunbookStep
    | Acknowledge
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
    | AddFollowUp
    | CompleteFollowUp
    | RemindFollowUp
    | PinMessage
    | UnpinMessage
    | RecordMessageEdit
    | RecordMessageDeletion
    | EditPostmortem
    | RecordPostmortemDraft
    | RecordAlerts
    | SetPublic
)
AnyCommand = Declare | IncidentCommand
