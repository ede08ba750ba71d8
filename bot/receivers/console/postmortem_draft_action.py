"""``POST /incidents/INC-42/postmortem/draft``: ask for a postmortem draft from the console (SPEC §10),
the same job ``/incident postmortem draft`` queues. It is written off the request path, posted in the
incident's thread, and fills the empty fields of the postmortem page for a person to review."""

from __future__ import annotations

from aiohttp import web

from bot.delivery.outbox_messages import postmortem_draft_job
from bot.receivers.console.action_forms import form_key
from bot.receivers.console.action_panel import confirm
from bot.receivers.console.context import console_of, requested_ref
from bot.receivers.console.rendering import error_page, unknown_incident
from bot.receivers.console.signed_in import SIGNED_IN, checked_form, page
from domain.errors import DomainError
from domain.postmortem_rules import refuse_while_open
from storage.unit_of_work import UnitOfWork

routes = web.RouteTableDef()


@routes.post(r"/incidents/{ref:INC-[0-9]{1,9}}/postmortem/draft")
@page
async def draft_postmortem(request: web.Request) -> web.StreamResponse:
    form = await checked_form(request)
    console = console_of(request)
    who = request[SIGNED_IN]
    ref = requested_ref(request)
    async with UnitOfWork(console.engine) as uow:
        stored = await uow.incidents.get(ref)
    if stored is None:
        return await unknown_incident(request, ref)
    try:
        refuse_while_open(stored.incident)
    except DomainError as still_open:
        return await error_page(request, 409, still_open.message)
    job = postmortem_draft_job(stored.id, who.user_id)
    if await console.service.queue([job], form_key(who.user_id, request.path, form)):
        await confirm(request, f"Drafting the postmortem of {ref} from its timeline; it fills the empty fields soon.")
    else:
        await confirm(request, "Already asked: this form was sent twice, and one draft is on its way.")
    raise web.HTTPSeeOther(f"/incidents/{ref}/postmortem")
