"""``POST /incidents/INC-42/<action>``: the actions of an incident's page (SPEC §9), each run as the
same domain command Slack's card and verbs produce, through the one handler, so the timeline, the
card and the thread change exactly as if it was done in Slack (the timeline and the thread say it
was done via the console).

A form carries the incident's version it was rendered at: once the incident has moved on, the
change is refused with what it is now, never applied over a change its author has not seen. The
same form sent twice (a double click, a browser resending it) is applied once (see form_key).
Whatever is refused comes back as the page again, with the reason beside the field or above the
forms, and nothing changed; a change done goes back to the page (303) with its confirmation.
"""

from __future__ import annotations

from dataclasses import replace

from aiohttp import web

from bot.delivery import outbox_messages as kinds
from bot.handler.origin import Origin, UserError, draft_publication_key
from bot.handler.runner import Duplicate
from bot.receivers.console.action_forms import ACTIONS, Asked, FieldError, form_key, read_version
from bot.receivers.console.action_panel import FEEDBACK, Feedback, confirm
from bot.receivers.console.context import Console, console_of, requested_ref
from bot.receivers.console.detail_page import incident_page
from bot.receivers.console.rendering import error_page
from bot.receivers.console.runbook_section import RUNBOOK_DONE, runbook_done
from bot.receivers.console.signed_in import SIGNED_IN, checked_form, page
from bot.views.formatting import status_label
from domain import commands as cmd
from domain import events as ev
from domain.followup_rules import FollowUpAlreadyDone
from domain.incident import IncidentRef, SlackSource
from domain.postmortem_rules import PostmortemNeeded
from storage.stored import StoredIncident
from storage.unit_of_work import UnitOfWork

routes = web.RouteTableDef()

# Publishing the latest draft as it is: the form says which draft it saw, so a newer one is not
# published unseen.
PUBLISH_DRAFT = "publish-draft"
DUPLICATE = "Already done: this form was sent twice, and it was applied once."
# Form fields that are not what the person typed, so they are not shown back to them.
_NOT_TYPED = frozenset({"csrf_token", "version"})


@routes.post(r"/incidents/{ref:INC-[0-9]{1,9}}/{action}")
@page
async def act(request: web.Request) -> web.StreamResponse:
    form = await checked_form(request)
    console = console_of(request)
    who = request[SIGNED_IN]
    name = request.match_info["action"]
    if name not in ACTIONS and name not in (PUBLISH_DRAFT, RUNBOOK_DONE):
        return await error_page(request, 404, f"There is no “{name[:40]}” action on an incident.")
    ref = requested_ref(request)
    version = read_version(form)
    if version is None:
        unsaid = f"This form did not say which version of {ref} it was sent from; reload the page and try again."
        return await error_page(request, 400, unsaid)
    stored = await _stored(console, ref)
    if stored is None:
        return await incident_page(request)  # its 404 page
    typed = {key: value for key, value in form.items() if key not in _NOT_TYPED}
    members = frozenset(member.user_id for member in await console.members.all())
    asked = Asked(who.user_id, version, form, members, console.clock.now())
    origin = Origin(
        ref.workspace_id,
        who.user_id,
        stored.incident.channel_id,
        key=form_key(who.user_id, request.path, form),
        via_console=True,
    )
    try:
        if name == PUBLISH_DRAFT:
            command, origin = await _published_draft(console, stored, asked, origin)
            done = duplicate = f"The draft was published as {ref}'s stakeholder update."
        elif name == RUNBOOK_DONE:
            command = await runbook_done(console, stored, asked, origin)
            done = duplicate = f"Runbook step marked done on {ref}."
        else:
            command, done, duplicate = ACTIONS[name].build(asked), ACTIONS[name].done.format(ref=ref), DUPLICATE
        result = await console.service.apply(origin, ref, command)
    except FieldError as wrong:
        feedback = Feedback(name, field_name=wrong.field, field_message=wrong.message, values=typed)
        return await _sent_back(request, feedback, 400)
    except UserError as refused:
        if isinstance(refused.__cause__, FollowUpAlreadyDone):  # done twice: what was asked holds already
            await confirm(request, refused.message)
            raise web.HTTPSeeOther(f"/incidents/{ref}") from None
        if isinstance(refused.__cause__, PostmortemNeeded):  # said with where to write it here
            refused = UserError(f"{refused.__cause__.why} Write them on the postmortem page, then close it.")
        message = await _refusal(console, ref, version, refused.message)
        return await _sent_back(request, Feedback(name, message=message, values=typed), 409)
    await confirm(request, duplicate if isinstance(result, Duplicate) else done)
    raise web.HTTPSeeOther(f"/incidents/{ref}")


async def _stored(console: Console, ref: IncidentRef) -> StoredIncident | None:
    async with UnitOfWork(console.engine) as uow:
        return await uow.incidents.get(ref)


async def _published_draft(
    console: Console, stored: StoredIncident, asked: Asked, origin: Origin
) -> tuple[cmd.IncidentCommand, Origin]:
    """The draft the form names, published as it is and keyed by the draft, as its button in
    Slack does: published from either place, a draft is posted once."""
    seq = asked.form.get("draft", "")
    history = await console.service.history(stored.id)
    draft = next((item for item in history if str(item.seq) == seq), None)
    if draft is None or not isinstance(draft.event, ev.AiDraftCreated):
        raise UserError(f"That draft is not part of {stored.incident.ref}'s timeline; nothing was published.")
    command = cmd.PostStakeholderUpdate(
        **asked.stamp(),
        text=draft.event.text,
        model=draft.event.model if draft.event.ai_written else None,
        draft_seq=draft.seq,
        draft_message=await _draft_message(console, stored, draft.seq),
    )
    return command, replace(origin, key=draft_publication_key(stored.incident.ref, draft.seq))


async def _draft_message(console: Console, stored: StoredIncident, seq: int) -> SlackSource | None:
    """The message in the incident's thread that shows the draft with its Post button (which then
    says it was posted, as when the button is used); None while it has not reached Slack."""
    async with UnitOfWork(console.engine) as uow:
        sent = await uow.outbox.delivered(stored.id, kinds.THREAD_MESSAGE)
    shown = [result.get("ts") for payload, result in sent if kinds.shows_draft(payload, seq)]
    ts = shown[-1] if shown else None
    return SlackSource(stored.incident.channel_id, ts) if isinstance(ts, str) else None


async def _refusal(console: Console, ref: IncidentRef, version: int, message: str) -> str:
    """Why nothing was changed: if the incident moved on since the page was rendered, that (and
    what it is now), whatever else the domain said; else the domain's own reason."""
    current = await _stored(console, ref)
    if current is None or current.incident.version == version:
        return message
    incident = current.incident
    commander = f"commander {await console.members.name(incident.commander)}" if incident.commander else "no commander"
    now = f"{incident.severity.label}, {status_label(incident.status)}, {commander}"
    return f"{ref} changed since you opened this page (now: {now}). Nothing was changed — review and try again."


async def _sent_back(request: web.Request, feedback: Feedback, status: int) -> web.StreamResponse:
    """The incident's page as it is now, with the form sent back and why."""
    request[FEEDBACK] = feedback
    response = await incident_page(request)
    if isinstance(response, web.Response) and response.status == 200:
        response.set_status(status)
    return response
