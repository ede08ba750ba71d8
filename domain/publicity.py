"""Whether an incident is on the public status page (SPEC §14): a responder's decision, recorded on
the timeline, never a side effect of anything else. A public incident shows under its public title
(the incident's own unless one was given) and only its published stakeholder updates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain import commands as cmd
from domain import events as ev
from domain.errors import NothingToChange
from domain.incident import Incident
from domain.text import TITLE_MAX, clean_optional


def set_public(state: Incident, command: cmd.SetPublic, stamp: Mapping[str, Any]) -> list[ev.Event]:
    title = clean_optional(command.title, "public title", TITLE_MAX, multiline=False) if command.public else None
    if command.public == state.public and title == state.public_title:
        where = "on" if state.public else "off"
        raise NothingToChange(f"{state.ref} is already {where} the status page; nothing changed.")
    return [ev.PublicityChanged(**stamp, public=command.public, title=title)]


def shown_title(incident: Incident) -> str:
    """The title the status page shows: the public one when given, else the incident's."""
    return incident.public_title or incident.title
