"""``GET/POST /incidents/INC-42/postmortem``: the postmortem of a resolved or closed incident (SPEC
§10), saved as the same EditPostmortem Slack's form sends, through the one handler: the timeline
holds the fields each save changed, and the thread says who changed which, via the console.

The form carries the incident's version it was rendered at, as the actions do: once the incident
has moved on, a save is refused with the form sent back as typed, never applied over a change its
author has not seen. The same form sent twice is saved once (action_forms.form_key)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web

from bot.handler.origin import Origin, UserError
from bot.handler.runner import Duplicate
from bot.receivers.console.action_forms import VIA_CONSOLE, Form, form_key, read_version
from bot.receivers.console.action_panel import confirm, take_confirmation
from bot.receivers.console.context import console_of, requested_ref
from bot.receivers.console.rendering import error_page, render, unknown_incident
from bot.receivers.console.signed_in import SIGNED_IN, checked_form, page
from bot.views.drafted_postmortem import latest_postmortem_draft, prefilled
from bot.views.escaping import readable_plain
from bot.views.formatting import title_line
from bot.views.postmortem_form import FIELD_WORDING, close_requirement
from domain import commands as cmd
from domain.errors import DomainError, InvalidValue, NothingToChange
from domain.incident import Incident
from domain.postmortem import POSTMORTEM_FIELD_MAX, PostmortemField, PostmortemText
from domain.postmortem_rules import refuse_while_open
from domain.text import clean_optional
from storage.stored import StoredIncident
from storage.unit_of_work import UnitOfWork

routes = web.RouteTableDef()

PATH = r"/incidents/{ref:INC-[0-9]{1,9}}/postmortem"


@dataclass(frozen=True)
class FieldView:
    name: str
    label: str
    hint: str
    value: str
    error: str | None = None


@dataclass(frozen=True)
class PostmortemSummary:
    """What the incident's own page shows of its postmortem: the fields written, in order."""

    written: tuple[tuple[str, str], ...]
    writable: bool
    link: str


def postmortem_summary(incident: Incident) -> PostmortemSummary:
    # Kept as typed (a form's text is not Slack message text): the template escapes it.
    written = tuple(
        (FIELD_WORDING[field].label, text) for field in PostmortemField if (text := incident.postmortem.text(field))
    )
    return PostmortemSummary(written, writable=not incident.is_open, link=f"/incidents/{incident.ref}/postmortem")


@routes.get(PATH)
@page
async def postmortem_form(request: web.Request) -> web.StreamResponse:
    stored = await _stored(request)
    if stored is None:
        return await _unknown(request)
    # Empty fields show the latest draft's text (bot.views.drafted_postmortem), saved only when saved.
    draft = latest_postmortem_draft(item.event for item in await console_of(request).service.history(stored.id))
    shown = {field.value: text for field, text in prefilled(stored.incident.postmortem, draft).items()}
    return await _page(request, stored, shown, {}, confirmation=await take_confirmation(request))


@routes.post(PATH)
@page
async def save_postmortem(request: web.Request) -> web.StreamResponse:
    form = await checked_form(request)
    console = console_of(request)
    who = request[SIGNED_IN]
    stored = await _stored(request)
    if stored is None:
        return await _unknown(request)
    ref = stored.incident.ref
    version = read_version(form)
    if version is None:
        unsaid = f"This form did not say which version of {ref} it was sent from; reload the page and try again."
        return await error_page(request, 400, unsaid)
    # A browser sends a textarea's line breaks as CRLF; Slack's form, and so the text stored, as LF.
    typed = {field.value: form.get(field.value, "").replace("\r\n", "\n") for field in PostmortemField}
    errors = _field_errors(typed)
    if errors:
        return await _page(request, stored, typed, errors, status=400)
    texts = tuple(PostmortemText(field, typed[field.value]) for field in PostmortemField if field.value in form)
    command = cmd.EditPostmortem(actor=who.user_id, source=VIA_CONSOLE, expected_version=version, texts=texts)
    key = form_key(who.user_id, request.path, form)
    origin = Origin(ref.workspace_id, who.user_id, stored.incident.channel_id, key=key, via_console=True)
    try:
        result = await console.service.apply(origin, ref, command)
    except UserError as refused:
        if not isinstance(refused.__cause__, NothingToChange):
            return await _page(request, stored, typed, {}, refusal=refused.message, status=409)
        await confirm(request, refused.message)
    else:
        if isinstance(result, Duplicate):
            await confirm(request, "Already done: this form was sent twice, and it was saved once.")
        else:
            await confirm(request, f"The postmortem of {ref} is saved.")
    raise web.HTTPSeeOther(f"/incidents/{ref}/postmortem")


def _field_errors(typed: Mapping[str, str]) -> dict[str, str]:
    """A field too long is said beside it, with the rest of the form kept as typed."""
    errors = {}
    for field in PostmortemField:
        try:
            clean_optional(typed[field.value], field.label, POSTMORTEM_FIELD_MAX)
        except InvalidValue as invalid:
            errors[field.value] = invalid.message
    return errors


async def _stored(request: web.Request) -> StoredIncident | None:
    console = console_of(request)
    ref = requested_ref(request)
    async with UnitOfWork(console.engine) as uow:
        return await uow.incidents.get(ref)


async def _unknown(request: web.Request) -> web.StreamResponse:
    return await unknown_incident(request, request.match_info["ref"])


async def _page(
    request: web.Request,
    stored: StoredIncident,
    values: Form,
    errors: Mapping[str, str],
    *,
    confirmation: str | None = None,
    refusal: str | None = None,
    status: int = 200,
) -> web.StreamResponse:
    incident = stored.incident
    try:
        refuse_while_open(incident)
        not_yet = None
    except DomainError as open_still:
        not_yet = open_still.message
    required = console_of(request).service.runner.postmortem.requires(incident.severity)
    context = {
        "incident": stored,
        "ref": str(incident.ref),
        "heading": readable_plain(title_line(incident)),
        "version": incident.version,
        "fields": [
            FieldView(field.value, wording.label, wording.hint, values.get(field.value, ""), errors.get(field.value))
            for field, wording in FIELD_WORDING.items()
        ],
        "max_length": POSTMORTEM_FIELD_MAX,
        "requirement": close_requirement(incident.postmortem, incident.severity, required),
        "not_yet": not_yet,
        "confirmation": confirmation,
        "refusal": refusal,
    }
    return await render(request, "postmortem.html", context, status=status)
