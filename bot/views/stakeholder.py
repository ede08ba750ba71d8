"""Stakeholder updates: the deterministic template, the draft in the thread, the published update.

The template is what every update falls back to when no AI is available; it says only what the
incident's facts say, and says "not yet known" rather than guessing.
"""

from __future__ import annotations

import re
from datetime import datetime

from bot.views import action_ids as ids
from bot.views.blocks import Block, actions, button, context, section
from bot.views.escaping import escape_within, one_line
from bot.views.formatting import slack_date
from domain.incident import Incident, IncidentRef
from domain.lifecycle import Status

UPDATE_SHOWN_MAX = 2800
# A line that promises the next update, however the draft or the person wrote it.
_NEXT_UPDATE_LINE = re.compile(r"^[ \t>*_]*next update\b.*(?:\n|$)", re.IGNORECASE | re.MULTILINE)
_NEXT_UPDATE_RESERVE = 80  # room for the "Next update: by <date>" line after the clipped text
LATEST_NOTE_MAX = 300

_STATUS_PHRASES = {
    Status.DECLARED: "The incident has been declared and a responder is being engaged. The cause is not yet known.",
    Status.INVESTIGATING: "The team is investigating. The cause is not yet known.",
    Status.IDENTIFIED: "The cause has been identified and the team is working on a fix.",
    Status.MONITORING: "A fix is in place and the team is monitoring the results.",
    Status.RESOLVED: "The incident is resolved.",
    Status.CLOSED: "The incident is closed.",
}


_DOING = {
    Status.DECLARED: "Responders are being engaged to investigate.",
    Status.INVESTIGATING: "The team is investigating the cause.",
    Status.IDENTIFIED: "The team is working on a fix.",
    Status.MONITORING: "The team is watching that the fix holds.",
    Status.RESOLVED: "The team is confirming that service stays normal.",
    Status.CLOSED: "No further work is planned.",
}


def template_update(incident: Incident, latest_note: str | None, now: datetime) -> str:
    """A plain-language update built from the incident's facts alone (SPEC §6's fallback)."""
    lines = [
        f"*Impact:* {incident.severity.meaning.capitalize()} incident ({incident.severity.label}): "
        f"{one_line(incident.title)}.",
        f"*Current status:* {_STATUS_PHRASES[incident.status]}",
    ]
    if incident.resolution_summary:
        lines.append(f"*Resolution:* {one_line(incident.resolution_summary)}")
    # Stakeholders need to know the problem is being worked on, not who is on the rota.
    doing = _DOING[incident.status]
    if latest_note:
        doing += f" Latest from the team: {one_line(latest_note)[:LATEST_NOTE_MAX]}"
    lines.append(f"*What is being done:* {doing}")
    lines.append(f"*Next update:* {_next_update(incident, now)}")
    return "\n".join(lines)


def _next_update(incident: Incident, now: datetime) -> str:
    if not incident.is_open:
        return "none planned; the incident is over."
    due = incident.clocks.update_due_at
    if due is None or due <= now:
        return "as soon as there is news."
    return f"by {due.strftime('%H:%M UTC')}."


def draft_blocks(ref: IncidentRef, draft_seq: int, text: str, *, ai_written: bool, model: str | None) -> list[Block]:
    """The draft in the thread, labelled for what it is, with the button that publishes it."""
    return [
        *_draft(ref, text, ai_written=ai_written, model=model),
        actions(
            f"draft:{ids.encode_ref(ref)}:{draft_seq}",
            [button("Post this update", ids.POST_UPDATE, ids.encode_choice(ref, str(draft_seq)), style="primary")],
        ),
    ]


def posted_draft_blocks(ref: IncidentRef, text: str, *, model: str | None, posted_by: str, at: datetime) -> list[Block]:
    """A draft once its Post button was used: the button gives way to what came of it (SPEC §4)."""
    return [
        *_draft(ref, text, ai_written=model is not None, model=model),
        context(f"✅ Posted as the stakeholder update by {posted_by} · {slack_date(at)}"),
    ]


def draft_label(*, ai_written: bool, model: str | None) -> str:
    """What wrote a draft, so nobody takes the template's words for an AI's, or the reverse."""
    return f"AI draft ({model})" if ai_written and model else "Template update, not AI-written"


def _draft(ref: IncidentRef, text: str, *, ai_written: bool, model: str | None) -> list[Block]:
    label = draft_label(ai_written=ai_written, model=model)
    return [
        context(f"📝 Draft stakeholder update for {ref} · {escape_within(label, 100)}"),
        section(escape_within(text, UPDATE_SHOWN_MAX)),
    ]


def published_blocks(
    ref: IncidentRef, text: str, posted_by: str, at: datetime, next_due: datetime | None
) -> list[Block]:
    """The official update as the thread and the stakeholder channel see it; ``next_due`` is the
    update clock's deadline that posting it set."""
    return [
        section(f"📣 *Stakeholder update · {ref}*\n{_with_next_update(text, next_due)}"),
        context(f"Posted by {posted_by} · {slack_date(at)}"),
    ]


def without_next_update(text: str) -> str:
    """The update's text less the line promising the next one, which the SLA clock decides."""
    return _NEXT_UPDATE_LINE.sub("", text).rstrip()


def _with_next_update(text: str, due: datetime | None) -> str:
    """The text with the SLA clock's deadline as its promise: a draft's "Next update" was a guess
    made before posting reset the clock, so it would name another time than the reminders keep."""
    if due is None:
        return escape_within(text, UPDATE_SHOWN_MAX)
    said = escape_within(without_next_update(text), UPDATE_SHOWN_MAX - _NEXT_UPDATE_RESERVE)
    return f"{said}\n*Next update:* by {slack_date(due)}"
