"""Postmortem drafts (SPEC §10): kept on the timeline, beside the postmortem people write, never in
it; a draft rests only on entries of its own incident's timeline."""

from __future__ import annotations

from typing import Any

from domain import commands as cmd
from domain import events as ev
from domain.errors import InvalidValue
from domain.incident import Incident
from domain.postmortem import POSTMORTEM_FIELD_MAX, PostmortemText
from domain.postmortem_rules import refuse_while_open
from domain.text import clean_optional


def record(state: Incident, command: cmd.RecordPostmortemDraft, stamp: dict[str, Any]) -> list[ev.Event]:
    refuse_while_open(state)
    unknown = [seq for seq in command.based_on if not 1 <= seq <= state.version]
    if unknown:
        raise InvalidValue(f"The draft rests on events {unknown} that {state.ref} does not have.")
    texts = tuple(
        PostmortemText(item.field, clean_optional(item.text, item.field.label, POSTMORTEM_FIELD_MAX) or "")
        for item in command.texts
    )
    return [
        ev.PostmortemDrafted(
            **stamp,
            texts=texts,
            model=command.model,
            based_on=tuple(command.based_on),
            ai_written=command.ai_written,
            dropped=command.dropped,
        )
    ]
