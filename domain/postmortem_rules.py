"""The rules of postmortems (SPEC §10): written once an incident is over, saved as the fields that
changed, and required before closing an incident of a severity the policy names."""

from __future__ import annotations

from typing import Any

from domain import commands as cmd
from domain import events as ev
from domain.errors import InvalidTransition, InvalidValue, NothingToChange
from domain.incident import Incident
from domain.lifecycle import Status
from domain.postmortem import (
    NEEDED_TO_CLOSE,
    POSTMORTEM_FIELD_MAX,
    PostmortemField,
    PostmortemPolicy,
    PostmortemText,
    field_list,
)
from domain.text import clean_optional


def refuse_while_open(state: Incident) -> None:
    """A postmortem is written once the incident is over (resolved, or closed)."""
    if state.is_open:
        raise InvalidTransition(
            f"{state.ref} is still {state.status}: its postmortem is written once it is resolved. "
            "Resolve it first, then write the postmortem."
        )


def edit(state: Incident, command: cmd.EditPostmortem, stamp: dict[str, Any]) -> list[ev.Event]:
    refuse_while_open(state)
    fields = [item.field for item in command.texts]
    if len(set(fields)) != len(fields):
        raise InvalidValue("Give each postmortem field once.")
    saved = {
        item.field: clean_optional(item.text, item.field.label, POSTMORTEM_FIELD_MAX) or "" for item in command.texts
    }
    # In the postmortem's own order, whatever order the fields came in.
    changes = tuple(
        PostmortemText(field, saved[field])
        for field in PostmortemField
        if field in saved and saved[field] != state.postmortem.text(field)
    )
    if not changes:
        raise NothingToChange(f"The postmortem of {state.ref} already says that; nothing was changed.")
    return [ev.PostmortemEdited(**stamp, changes=changes)]


class PostmortemNeeded(InvalidTransition):
    """Closing refused for an empty part of the postmortem; ``why`` says what is missing, so that
    each place the refusal is shown in can add how to fill it in there."""

    def __init__(self, why: str, how: str) -> None:
        super().__init__(f"{why} {how}")
        self.why = why


def refuse_close_without_postmortem(state: Incident, target: Status, policy: PostmortemPolicy) -> None:
    """Closing an incident of a severity the policy names needs its root cause and corrective
    actions written; the refusal says which are missing and how to write them."""
    if target is not Status.CLOSED or not policy.requires(state.severity):
        return
    missing = state.postmortem.missing(NEEDED_TO_CLOSE)
    if missing:
        raise PostmortemNeeded(
            f"{state.ref} is {state.severity.label}, so closing it needs a postmortem with "
            f"{field_list(NEEDED_TO_CLOSE)}; still empty: {field_list(missing)}.",
            f"Fill them in with `/incident postmortem {state.ref}` (or the card's Postmortem button), then close it.",
        )
