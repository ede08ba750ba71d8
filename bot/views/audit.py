"""One short thread line per timeline event, so the thread reads as the incident's log."""

from __future__ import annotations

from collections.abc import Iterable

from bot.views.blocks import MESSAGE_TEXT_MAX
from bot.views.escaping import channel_link, clip_mrkdwn, escape_within, mention, one_line
from bot.views.formatting import BOT_NAME, actor_label, slack_date
from bot.views.stakeholder import without_next_update
from domain import events as ev
from domain.incident import Incident
from domain.lifecycle import Status

NOTE_SHOWN_MAX = 300
REASON_SHOWN_MAX = 300
UPDATE_SHOWN_MAX = 300
# The reaction that says a note typed in the incident's thread is on its timeline.
NOTE_REACTION = "memo"

# These get a message of their own (the card, a reminder, an AI draft, a refused card's notice to
# who asked for it), so an audit line would only repeat it.
_OWN_MESSAGE: tuple[type[ev.Event], ...] = (
    ev.Declared,
    ev.AiDraftCreated,
    ev.SlaBreached,
    ev.ReminderSent,
    ev.CardClockPassed,
    ev.CardPostFailed,
    ev.CardRepostRequested,
)


def audit_line(event: ev.Event, incident_after: Incident) -> str | None:
    """The thread's line for ``event``, or None when the event is announced some other way."""
    if isinstance(event, _OWN_MESSAGE):
        return None
    return describe_event(event, incident_after)


def audit_text(events: Iterable[ev.Event], incident_after: Incident) -> str | None:
    """The one audit message for all the events a single command produced."""
    lines: list[str] = []
    previous: ev.Event | None = None
    for event in events:
        implied = _implied_status(previous, event)
        if lines and implied is not None:
            # Said with its cause, so nobody wonders why the status moved (SPEC §2).
            lines[-1] += f" (status → {implied.value})"
        elif (line := audit_line(event, incident_after)) is not None:
            lines.append(line)
        previous = event
    if not lines:
        return None
    return clip_mrkdwn("\n".join(lines), MESSAGE_TEXT_MAX)


def _implied_status(previous: ev.Event | None, event: ev.Event) -> Status | None:
    """``ack`` moves declared to investigating: a consequence of the ack, not a change of its own."""
    if (
        isinstance(previous, ev.Acknowledged)
        and isinstance(event, ev.StatusChanged)
        and event.previous is Status.DECLARED
        and event.current is Status.INVESTIGATING
    ):
        return event.current
    return None


def describe_event(event: ev.Event, incident: Incident) -> str:
    """Any event as one line, e.g. ``<@U1> changed severity SEV3 → SEV1``; used by the timeline too."""
    who = actor_label(event.actor)
    return f"{who} {_what(event, incident)}"


def _with_text(prefix: str, text: str | None, limit: int) -> str:
    if not text:
        return prefix
    return f"{prefix}: {escape_within(one_line(text), limit)}"


def _what(event: ev.Event, incident: Incident) -> str:  # noqa: PLR0911 - one branch per event type
    ref = incident.ref
    match event:
        case ev.Declared():
            return _with_text(f"declared {event.ref} ({event.severity.label})", event.title, 150)
        case ev.Acknowledged():
            return f"acknowledged {ref}"
        case ev.SeverityChanged():
            return f"changed severity {event.previous.label} → {event.current.label}"
        case ev.Assigned():
            return _assigned(event)
        case ev.StatusChanged():
            return f"changed status {event.previous.value} → {event.current.value}"
        case ev.NoteAdded():
            return _with_text("added a note", event.text, NOTE_SHOWN_MAX)
        case ev.StakeholderUpdatePosted():
            return _update_posted(event)
        case ev.Snoozed():
            return f"snoozed reminders until {slack_date(event.until)}"
        case ev.Resolved():
            return _with_text(f"resolved {ref}", event.summary, REASON_SHOWN_MAX)
        case ev.Reopened():
            return _with_text(f"reopened {ref}", event.reason, REASON_SHOWN_MAX)
        case ev.Closed():
            return f"closed {ref}"
        case ev.CardRepostRequested():
            return f"asked for {ref}'s card to be posted again"
    return _system_what(event)


def _system_what(event: ev.Event) -> str:
    match event:
        case ev.AiDraftCreated():
            source = f"with {event.model}" if event.ai_written and event.model else "from the template"
            return f"drafted a stakeholder update ({escape_within(source, 100)})"
        case ev.SlaBreached():
            return f"recorded a missed {event.kind.value} target (due {slack_date(event.due_at)})"
        case ev.ReminderSent():
            return f"sent a reminder: {event.kind.value} was due {slack_date(event.due_at)}"
        case ev.CardClockPassed():
            # Said on the card (edited to say it); the timeline keeps when it happened.
            passed = f"the {event.kind.value} deadline" if event.kind else "the snooze"
            return f"noted that {passed} passed at {slack_date(event.due_at)}"
        case ev.CardPostFailed():
            said = escape_within(event.error, 100)
            return f"could not post the card in {channel_link(event.channel_id)}: Slack said {said}"
    return f"recorded {escape_within(event.type, 60)}"


def _assigned(event: ev.Assigned) -> str:
    if event.current == event.actor:
        taken = "took command"
        return f"{taken} from {mention(event.previous)}" if event.previous else taken
    line = f"assigned {mention(event.current)} as commander"
    return f"{line} (was {mention(event.previous)})" if event.previous else line


def _update_posted(event: ev.StakeholderUpdatePosted) -> str:
    line = "posted a stakeholder update"
    if event.model:
        line += f" drafted by {BOT_NAME}"
    due = event.clocks.update_due_at
    if due:
        line += f" (next one due {slack_date(due)})"
    # What it said, so two updates in the timeline read as the two things stakeholders were told.
    return _with_text(line, without_next_update(event.text), UPDATE_SHOWN_MAX)
