"""Stakeholder updates: the deterministic template, the draft in the thread, the published update.

The template is what every update falls back to when no AI is available; it says only what the
incident's facts say, and says "not yet known" rather than guessing.
"""

from __future__ import annotations

from datetime import datetime

from bot.views import action_ids as ids
from bot.views.blocks import Block, actions, button, context, section
from bot.views.escaping import escape_within, one_line
from bot.views.formatting import slack_date
from domain.incident import Incident, IncidentRef
from domain.lifecycle import Status

UPDATE_SHOWN_MAX = 2800
LATEST_NOTE_MAX = 300

_STATUS_PHRASES = {
    Status.DECLARED: "The incident has been declared and a responder is being engaged. The cause is not yet known.",
    Status.INVESTIGATING: "The team is investigating. The cause is not yet known.",
    Status.IDENTIFIED: "The cause has been identified and the team is working on a fix.",
    Status.MONITORING: "A fix is in place and the team is monitoring the results.",
    Status.RESOLVED: "The incident is resolved.",
    Status.CLOSED: "The incident is closed.",
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
    doing = (
        "An incident commander is leading the response." if incident.commander else "A commander is not yet assigned."
    )
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
    label = f"AI draft ({model})" if ai_written and model else "Template update, not AI-written"
    return [
        context(f"📝 Draft stakeholder update for {ref} · {escape_within(label, 100)}"),
        section(escape_within(text, UPDATE_SHOWN_MAX)),
        actions(
            f"draft:{ids.encode_ref(ref)}:{draft_seq}",
            [button("Post this update", ids.POST_UPDATE, ids.encode_choice(ref, str(draft_seq)), style="primary")],
        ),
    ]


def published_blocks(ref: IncidentRef, text: str, posted_by: str, at: datetime) -> list[Block]:
    """The official update as the thread and the stakeholder channel see it."""
    return [
        section(f"📣 *Stakeholder update · {ref}*\n{escape_within(text, UPDATE_SHOWN_MAX)}"),
        context(f"Posted by {posted_by} · {slack_date(at)}"),
    ]
