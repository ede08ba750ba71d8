"""One short thread line per timeline event, so the thread reads as the incident's log."""

from __future__ import annotations

from collections.abc import Iterable

from bot.views.blocks import MESSAGE_TEXT_MAX
from bot.views.escaping import clip_mrkdwn, one_line
from bot.views.followup_texts import FOLLOWUP_SHOWN_MAX, followup_done, followup_text
from bot.views.formatting import BOT_NAME, DATE_AND_TIME, SLACK, Wording
from bot.views.pinned_lines import pinned_said
from bot.views.stakeholder import without_next_update
from domain import events as ev
from domain.incident import ConsoleSource, Incident
from domain.lifecycle import Status
from domain.pin_rules import PIN_EVENTS

NOTE_SHOWN_MAX = 300
REASON_SHOWN_MAX = 300
UPDATE_SHOWN_MAX = 300
ALERT_SHOWN_MAX = 150
# The reaction that says a note typed in the incident's thread is on its timeline.
NOTE_REACTION = "memo"

# These get a message of their own (the card, a reminder, an AI draft, a refused card's notice to
# who asked for it), so an audit line would only repeat it.
_OWN_MESSAGE: tuple[type[ev.Event], ...] = (
    ev.Declared,
    ev.AiDraftCreated,
    ev.PostmortemDrafted,
    ev.SlaBreached,
    ev.ReminderSent,
    ev.CardClockPassed,
    ev.CardPostFailed,
    ev.CardRepostRequested,
    ev.FollowUpReminded,
    # Alerts are summarised in one line per notification (bot.views.alert_lines), never one per alert.
    *ev.ALERT_EVENTS,
)
# A pin is already seen in the thread (its 📌, Slack's "pinned" marker): a line would only echo it
# there, for every pin, edit and unpin. The timeline, the console and the report show them.
_SEEN_IN_THREAD = PIN_EVENTS


def audit_line(event: ev.Event, incident_after: Incident) -> str | None:
    """The thread's line for ``event``, or None when the event is announced some other way."""
    if isinstance(event, _OWN_MESSAGE + _SEEN_IN_THREAD):
        return None
    if isinstance(event, ev.RunbookStepDone) and event.message is not None:
        return None  # the runbook message it was done on is edited to show it
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


def describe_event(event: ev.Event, incident: Incident, w: Wording = SLACK) -> str:
    """Any event as one line, e.g. ``<@U1> changed severity SEV3 → SEV1``; used by the timeline too.
    What was done in the web console says so, before any text it carried."""
    done, said = pinned_said(event, w) if isinstance(event, PIN_EVENTS) else _what(event, incident, w)
    via = " via the console" if isinstance(event.source, ConsoleSource) else ""
    return f"{w.actor(event.actor)} {done}{via}{said}"


# What an event did, and the text it carried (``": …"``, or empty) to say after that.
_Said = tuple[str, str]


def _with_text(done: str, text: str | None, limit: int, w: Wording) -> _Said:
    return (done, f": {w.quote(one_line(text), limit)}" if text else "")


def _what(event: ev.Event, incident: Incident, w: Wording) -> _Said:  # noqa: PLR0911 - one branch per event type
    ref = incident.ref
    match event:
        case ev.Declared():
            return _with_text(f"declared {event.ref} ({event.severity.label})", event.title, 150, w)
        case ev.NoteAdded():
            return _with_text("added a note", event.text, NOTE_SHOWN_MAX, w)
        case ev.StakeholderUpdatePosted():
            return _update_posted(event, w)
        case ev.Resolved():
            return _with_text(f"resolved {ref}", event.summary, REASON_SHOWN_MAX, w)
        case ev.Reopened():
            return _with_text(f"reopened {ref}", event.reason, REASON_SHOWN_MAX, w)
        case ev.FollowUpAdded() | ev.FollowUpDone() | ev.FollowUpReminded():
            return _with_text(followup_done(event, w), followup_text(incident, event.number), FOLLOWUP_SHOWN_MAX, w)
        case ev.AlertFired():
            return _with_text("reported an alert firing", event.summary, ALERT_SHOWN_MAX, w)
        case ev.AlertResolved():
            known = incident.alerts.find(event.fingerprint)
            return _with_text("reported an alert resolved", known.summary if known else None, ALERT_SHOWN_MAX, w)
        case ev.PublicityChanged() if event.public:
            return _with_text(f"put {ref} on the public status page", event.title, 150, w)
        case ev.PublicityChanged():
            return (f"took {ref} off the public status page", "")
        case ev.RunbookStepDone():
            return _with_text(f"did runbook step {event.step}", event.text, NOTE_SHOWN_MAX, w)
        case ev.PostmortemEdited():
            # Which fields, not their text: the postmortem is read where it is written, in full.
            return (f"updated the postmortem of {ref}", f": {', '.join(c.field.label for c in event.changes)}")
    return (_done(event, incident, w), "")


def _done(event: ev.Event, incident: Incident, w: Wording) -> str:  # noqa: PLR0911 - one branch per event type
    ref = incident.ref
    match event:
        case ev.Acknowledged():
            return f"acknowledged {ref}"
        case ev.SeverityChanged():
            return f"changed severity {event.previous.label} → {event.current.label}"
        case ev.Assigned():
            return _assigned(event, w)
        case ev.StatusChanged():
            return f"changed status {event.previous.value} → {event.current.value}"
        case ev.Snoozed():
            return f"snoozed reminders until {w.moment(event.until, DATE_AND_TIME)}"
        case ev.Closed():
            return f"closed {ref}"
        case ev.CardRepostRequested():
            return f"asked for {ref}'s card to be posted again"
    return _system_what(event, w)


def _system_what(event: ev.Event, w: Wording) -> str:  # noqa: PLR0911 - one branch per event type
    match event:
        case ev.AiDraftCreated() | ev.PostmortemDrafted():
            source = f"with {event.model}" if event.ai_written and event.model else "from the template"
            what = "a stakeholder update" if isinstance(event, ev.AiDraftCreated) else "the postmortem"
            return f"drafted {what} ({w.quote(source, 100)})"
        case ev.SlaBreached():
            return f"recorded a missed {event.kind.value} target (due {w.moment(event.due_at, DATE_AND_TIME)})"
        case ev.ReminderSent():
            return f"sent a reminder: {event.kind.value} was due {w.moment(event.due_at, DATE_AND_TIME)}"
        case ev.CardClockPassed():
            # Said on the card (edited to say it); the timeline keeps when it happened.
            passed = f"the {event.kind.value} deadline" if event.kind else "the snooze"
            return f"noted that {passed} passed at {w.moment(event.due_at, DATE_AND_TIME)}"
        case ev.AlertsAllResolved():
            return f"asked whether to resolve: all {event.resolved} alerts have resolved"
        case ev.EscalationSuggested():
            return f"suggested a higher severity: {event.firing} alerts firing"
        case ev.CardPostFailed():
            said = w.quote(event.error, 100)
            return f"could not post the card in {w.channel(event.channel_id)}: Slack said {said}"
    return f"recorded {w.quote(event.type, 60)}"


def _assigned(event: ev.Assigned, w: Wording) -> str:
    if event.current == event.actor:
        taken = "took command"
        return f"{taken} from {w.person(event.previous)}" if event.previous else taken
    line = f"assigned {w.person(event.current)} as commander"
    return f"{line} (was {w.person(event.previous)})" if event.previous else line


def _update_posted(event: ev.StakeholderUpdatePosted, w: Wording) -> _Said:
    line = "posted a stakeholder update"
    if event.model:
        line += f" drafted by {BOT_NAME}"
    due = event.clocks.update_due_at
    if due:
        line += f" (next one due {w.moment(due, DATE_AND_TIME)})"
    # What it said, so two updates in the timeline read as the two things stakeholders were told.
    return _with_text(line, without_next_update(event.text), UPDATE_SHOWN_MAX, w)
