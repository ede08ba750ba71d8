"""Follow-ups in words: their timeline lines, their due dates, and the one reminder of an overdue one."""

from __future__ import annotations

from bot.views.blocks import Block, section
from bot.views.escaping import escape_within, mention
from bot.views.formatting import DATE_AND_TIME, SLACK, SLASH_PREFIX, Wording
from domain import events as ev
from domain.followup import FollowUp, FollowUpDue
from domain.incident import Incident

FOLLOWUP_SHOWN_MAX = 300


def due_words(due: FollowUpDue, w: Wording) -> str:
    """A day as the day given (it ends at midnight UTC); a duration's end as a moment."""
    return due.day.isoformat() if due.whole_day else w.moment(due.at, DATE_AND_TIME)


def followup_done(event: ev.FollowUpAdded | ev.FollowUpDone | ev.FollowUpReminded, w: Wording) -> str:
    """What a follow-up event did, for its audit line and the timeline."""
    if isinstance(event, ev.FollowUpDone):
        return f"marked follow-up #{event.number} done"
    if isinstance(event, ev.FollowUpReminded):
        return f"reminded the owner of follow-up #{event.number}, due {w.moment(event.due_at, DATE_AND_TIME)}"
    facts = [f"owner {w.person(event.owner)}"] if event.owner != event.actor else []
    if event.due is not None:
        facts.append(f"due {due_words(event.due, w)}")
    return f"added follow-up #{event.number}" + (f" ({', '.join(facts)})" if facts else "")


def followup_text(incident: Incident, number: int) -> str | None:
    """What follow-up ``number`` says, for lines about it whose event does not repeat it."""
    return incident.followups[number - 1].text if 1 <= number <= len(incident.followups) else None


def followup_reminder(incident: Incident, followup: FollowUp) -> tuple[str, list[Block]]:
    """The one reminder of an overdue follow-up: it mentions the owner, so they are told."""
    ref = incident.ref
    due = f" (due {due_words(followup.due, SLACK)})" if followup.due is not None else ""
    text = (
        f"⏰ {mention(followup.owner)} *Follow-up #{followup.number} of {ref} is overdue*{due}: "
        f"{escape_within(followup.text, FOLLOWUP_SHOWN_MAX)}\n"
        f"When it is done: `{SLASH_PREFIX} followup {ref} done {followup.number}`"
    )
    return f"Follow-up #{followup.number} of {ref} is overdue", [section(text)]
