"""SLA reminders in the incident's thread (SPEC §5): ack breach, update due, resolve target passed."""

from __future__ import annotations

from datetime import datetime

from bot.views import action_ids as ids
from bot.views.blocks import Block, actions, button, section
from bot.views.escaping import mention
from bot.views.formatting import slack_date
from bot.views.stakeholder import draft_blocks
from domain.events import AiDraftCreated
from domain.incident import Incident
from domain.severity import Severity

SNOOZE_CHOICE = "30m"
SNOOZE_LABEL = "Snooze 30 min"
_LOUD = frozenset({Severity.SEV1, Severity.SEV2})


def _snooze(incident: Incident) -> Block:
    return button(SNOOZE_LABEL, ids.SNOOZE, ids.encode_choice(incident.ref, SNOOZE_CHOICE))


def _who(incident: Incident, *, loud: bool) -> str:
    """The commander; with nobody in command, the channel for the worst incidents."""
    if incident.commander:
        return mention(incident.commander) + " "
    return "<!here> " if loud and incident.severity in _LOUD else ""


def ack_reminder(incident: Incident, due_at: datetime) -> tuple[str, list[Block]]:
    text = (
        f"⏰ {_who(incident, loud=True)}*{incident.ref} is not acknowledged yet.* "
        f"A {incident.severity.label} should be acknowledged by {slack_date(due_at)}."
    )
    controls = [button("Acknowledge", ids.ACK, ids.encode_ref(incident.ref), style="primary"), _snooze(incident)]
    return f"{incident.ref} is not acknowledged yet", [
        section(text),
        actions(f"reminder:ack:{ids.encode_ref(incident.ref)}", controls),
    ]


def update_reminder(incident: Incident, draft: tuple[int, AiDraftCreated] | None) -> tuple[str, list[Block]]:
    """The reminder carries the draft it was recorded with, ready to post (or to snooze)."""
    due = f"📣 {_who(incident, loud=False)}*A stakeholder update for {incident.ref} is due.*"
    fallback = f"A stakeholder update for {incident.ref} is due"
    if draft is None:
        return fallback, [section(due), actions(f"reminder:update:{ids.encode_ref(incident.ref)}", [_snooze(incident)])]
    seq, event = draft
    blocks = [
        section(f"{due} Here is a draft:"),
        *draft_blocks(incident.ref, seq, event.text, ai_written=event.ai_written, model=event.model),
    ]
    blocks[-1]["elements"].append(_snooze(incident))
    return fallback, blocks


def resolve_notice(incident: Incident, due_at: datetime) -> tuple[str, list[Block]]:
    text = (
        f"⏱ {_who(incident, loud=False)}*{incident.ref} has passed its resolve target* "
        f"({incident.severity.label}: resolved by {slack_date(due_at)})."
    )
    return f"{incident.ref} has passed its resolve target", [section(text)]
