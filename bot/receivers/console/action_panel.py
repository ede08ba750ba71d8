"""What the actions panel of an incident's page shows (templates/incident_actions.html): the forms
the incident's state allows, the confirmation of the last action, or a form sent back with what
was wrong with it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from aiohttp import web

from bot.receivers.console.action_forms import ActionForms, Choice, action_forms
from bot.receivers.console.context import console_of
from bot.receivers.console.sessions import session_of
from domain.incident import Incident

_CONFIRMATION = "console.confirmation"


@dataclass(frozen=True)
class Feedback:
    """A form sent back to its author: the change as a whole refused (``message``), or one value
    (``field_name``, ``field_message``); ``values`` are what they typed, shown again."""

    action: str
    message: str | None = None
    field_name: str | None = None
    field_message: str | None = None
    values: Mapping[str, str] = field(default_factory=dict)


FEEDBACK = web.RequestKey("console_action_feedback", Feedback)


@dataclass(frozen=True)
class ActionsPanel:
    forms: ActionForms
    commanders: tuple[Choice, ...]  # who may be made commander: the workspace's people, but the current one
    confirmation: str | None
    feedback: Feedback | None

    @property
    def refusal(self) -> str | None:
        return self.feedback.message if self.feedback else None

    def error(self, action: str, name: str) -> str | None:
        """The message to show beside field ``name`` of ``action``'s form, if it was sent back for it."""
        feedback = self.feedback
        if feedback is None or feedback.action != action or feedback.field_name != name:
            return None
        return feedback.field_message

    def value(self, action: str, name: str) -> str:
        """What was typed in the field when the form was sent back (the form starts empty otherwise)."""
        feedback = self.feedback
        return feedback.values.get(name, "") if feedback and feedback.action == action else ""


async def actions_panel(request: web.Request, incident: Incident) -> ActionsPanel:
    """The panel for ``incident`` as this request shows it; the confirmation is shown once."""
    confirmation = await take_confirmation(request)
    members = await console_of(request).members.all()
    return ActionsPanel(
        forms=action_forms(incident),
        commanders=tuple(
            Choice(member.user_id, f"{member.name} (@{member.handle})")
            for member in members
            if member.user_id != incident.commander
        ),
        confirmation=confirmation,
        feedback=request.get(FEEDBACK),
    )


async def take_confirmation(request: web.Request) -> str | None:
    """What :func:`confirm` left to say, said once: it is gone from the session once taken."""
    session = await session_of(request)
    confirmation = session.pop(_CONFIRMATION, None) if session is not None else None
    return confirmation if isinstance(confirmation, str) else None


async def confirm(request: web.Request, message: str) -> None:
    """Say ``message`` on the next page this person sees (after the redirect that follows a change)."""
    session = await session_of(request)
    if session is not None:
        session[_CONFIRMATION] = message
