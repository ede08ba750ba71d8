"""``GET/POST /incidents/new``: declare an incident from the console (SPEC §9) into a channel the
bot is in. It is the same Declare as ``/incident declare``, run by the one handler: the card is
posted in that channel and its thread becomes the incident's home; then the incident's page.

Each rendered form has a key of its own (its idempotency key), so sending it twice declares once."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping

from aiohttp import web

from bot.handler.origin import Origin, UserError
from bot.handler.runner import Change
from bot.receivers.console.action_forms import (
    VIA_CONSOLE,
    FieldError,
    Form,
    optional_text,
    required_text,
    severity_choices,
    severity_in,
)
from bot.receivers.console.action_panel import confirm
from bot.receivers.console.channels import BotChannel, channels_of
from bot.receivers.console.context import console_of
from bot.receivers.console.rendering import error_page, render
from bot.receivers.console.signed_in import SIGNED_IN, checked_form, page
from domain.commands import Declare
from domain.severity import Severity
from domain.text import DESCRIPTION_MAX, SERVICE_MAX, TITLE_MAX

routes = web.RouteTableDef()

DEFAULT_SEVERITY = Severity.SEV3.label
_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_FIELDS = ("title", "severity", "description", "service", "channel")


@routes.get("/incidents/new")
@page
async def new_incident(request: web.Request) -> web.StreamResponse:
    return await _form(request, {"severity": DEFAULT_SEVERITY}, {})


@routes.post("/incidents/new")
@page
async def declare(request: web.Request) -> web.StreamResponse:
    form = await checked_form(request)
    console = console_of(request)
    who = request[SIGNED_IN]
    key = form.get("key", "")
    if not _KEY.match(key):
        return await error_page(request, 400, "This form has no valid key; reload the page and declare again.")
    channels = await channels_of(console.client).all()
    try:
        command = _declaration(form, who.user_id, channels)
    except FieldError as wrong:
        return await _form(request, form, {wrong.field: wrong.message}, status=400, key=key)
    origin = Origin(console.workspace_id(), who.user_id, command.channel_id, key=f"console:new:{key}", via_console=True)
    try:
        result = await console.service.declare(origin, command)
    except UserError as refused:
        return await _form(request, form, {"form": refused.message}, status=409, key=key)
    if isinstance(result, Change):
        ref = result.after.ref
        name = next(channel.name for channel in channels if channel.channel_id == command.channel_id)
        await confirm(request, f"{ref} declared: its card is being posted in #{name}, whose thread is its home.")
    else:  # sent twice: the first one declared it
        declared = await console.service.requested_incident(result.key)
        if declared is None:  # the key was pruned (days later): nothing to show but the list
            raise web.HTTPSeeOther("/incidents")
        ref = declared.incident.ref
        await confirm(request, f"Already done: this form was sent twice, and {ref} was declared once.")
    raise web.HTTPSeeOther(f"/incidents/{ref}")


def _declaration(form: Form, actor: str, channels: tuple[BotChannel, ...]) -> Declare:
    channel = form.get("channel", "")
    if channel not in {known.channel_id for known in channels}:
        raise FieldError("channel", "Pick one of the channels the bot is in: the card is posted there.")
    return Declare(
        actor=actor,
        source=VIA_CONSOLE,
        title=required_text(form, "title", "title", TITLE_MAX, multiline=False),
        severity=severity_in(form),
        channel_id=channel,
        description=optional_text(form, "description", "description", DESCRIPTION_MAX) or "",
        service=optional_text(form, "service", "service", SERVICE_MAX, multiline=False),
    )


async def _form(
    request: web.Request,
    values: Mapping[str, str],
    errors: Mapping[str, str],
    *,
    status: int = 200,
    key: str | None = None,
) -> web.StreamResponse:
    """The form, with what was typed and what was wrong; a form sent back keeps its key, so sending
    it again after a refusal still declares at most once."""
    channels = await channels_of(console_of(request).client).all()
    context = {
        "values": {name: values.get(name, "") for name in _FIELDS},
        "errors": errors,
        "channels": channels,
        "severities": severity_choices(),
        # Offered as the service field's suggestions; any other service is typed as free text.
        "services": sorted(console_of(request).service.services.services.values(), key=lambda s: s.name.casefold()),
        "key": key or secrets.token_urlsafe(24),
    }
    return await render(request, "new_incident.html", context, status=status)
