"""Email subscriptions to the status page (SPEC §14): double opt-in, one-click unsubscribe.

``POST /status/subscribe`` answers the same whatever the address's standing (new, waiting for
confirmation, confirmed), and sends the same confirmation email in each case, so neither the page
nor its timing tells anyone who is subscribed. Attempts are limited per client address (5 an hour,
counted in the database so every replica counts the same). The confirm and unsubscribe links open
a page whose button POSTs: a mail scanner that fetches every link changes nothing. Mail clients
unsubscribe with one POST to the same link (RFC 8058).
"""

from __future__ import annotations

import ipaddress
import re
from datetime import timedelta

from aiohttp import web

from bot.delivery.outbox_messages import status_email
from bot.receivers.status_page.pages import render
from bot.receivers.status_page.status_context import StatusPage, status_page_of
from bot.runtime.signed_links import Purpose
from bot.views.status_emails import confirmation_email
from storage.unit_of_work import UnitOfWork

routes = web.RouteTableDef()

ATTEMPTS_PER_WINDOW = 5
WINDOW = timedelta(hours=1)
ADDRESS_MAX = 254
# One address, as people type them: no display name, no comments, a dotted domain.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_ADDRESS = re.compile(rf"^[a-z0-9.!#$%&'*+/=?^_`{{|}}~-]{{1,64}}@{_LABEL}(?:\.{_LABEL})+$")
SENT = (
    "Check your inbox: if that address can receive email, a link to confirm your subscription is on its way. "
    "Nothing is sent until you confirm."
)


def client_address(request: web.Request) -> str:
    """Who is asking, for the rate limit. A request from a private address came through a load
    balancer or proxy: the client is the address it saw, the last it added to X-Forwarded-For
    (earlier ones are the client's own word). From a public address, X-Forwarded-For is the
    client's word alone and is ignored, so nobody escapes the limit by making one up."""
    remote = request.remote or "unknown"
    forwarded = request.headers.get("X-Forwarded-For", "").rsplit(",", 1)[-1].strip()
    return (forwarded if forwarded and _private(remote) else remote)[:64]


def _private(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_private
    except ValueError:
        return False


@routes.post("/status/subscribe")
async def subscribe(request: web.Request) -> web.Response:
    page = status_page_of(request)
    if not page.email_on:
        return _message(request, 404, "Email subscriptions are not offered here.")
    form = await request.post()
    raw = form.get("email")
    address = raw.strip().lower() if isinstance(raw, str) else ""
    if len(address) > ADDRESS_MAX or not _ADDRESS.match(address):
        return _message(request, 400, "That is not an email address. Type one like name@example.com.")
    now = page.clock.now()
    async with UnitOfWork(page.engine) as uow:
        retry_at = await uow.subscribers.attempt(client_address(request), now, WINDOW, ATTEMPTS_PER_WINDOW)
        if retry_at is None:
            subscriber = await uow.subscribers.add(address, now)
            link = page.signer.link(page.base_url, Purpose.CONFIRM, subscriber.id, subscriber.address)
            mail = confirmation_email(page.title, link)
            await uow.outbox.add([status_email(subscriber.address, mail.subject, mail.body)], None, now)
    if retry_at is not None:
        wait = max(1, int((retry_at - now).total_seconds() // 60) + 1)
        text = f"Too many attempts from your network. Try again in {wait} minutes, after {retry_at:%H:%M} UTC."
        response = _message(request, 429, text)
        response.headers["Retry-After"] = str(int((retry_at - now).total_seconds()) + 1)
        return response
    page.wake()
    return _message(request, 200, SENT)


@routes.get(r"/status/{purpose:confirm|unsubscribe}/{id:[0-9]{1,18}}/{token:[0-9a-f]{64}}")
async def link_page(request: web.Request) -> web.Response:
    """The page an emailed link opens: one button, which POSTs."""
    purpose = Purpose(request.match_info["purpose"])
    if await _subscriber_of(request, status_page_of(request), purpose) is None:
        return _message(request, 404, _GONE[purpose])
    return render(request, "status_link.html", {"purpose": purpose.value, "action": request.path})


@routes.post(r"/status/{purpose:confirm|unsubscribe}/{id:[0-9]{1,18}}/{token:[0-9a-f]{64}}")
async def follow_link(request: web.Request) -> web.Response:
    page = status_page_of(request)
    purpose = Purpose(request.match_info["purpose"])
    subscriber_id = await _subscriber_of(request, page, purpose)
    if subscriber_id is None:
        return _message(request, 404, _GONE[purpose])
    async with UnitOfWork(page.engine) as uow:
        if purpose is Purpose.CONFIRM:
            await uow.subscribers.confirm(subscriber_id, page.clock.now())
        else:
            await uow.subscribers.remove(subscriber_id)
    return _message(request, 200, _DONE[purpose].format(title=page.title))


_DONE = {
    Purpose.CONFIRM: "Subscribed: you will get an email for each update on an incident on {title}.",
    Purpose.UNSUBSCRIBE: "Unsubscribed: you will get no more emails from {title}.",
}
# An unsubscribe link followed twice finds nobody: by then the address is gone, as asked.
_GONE = {
    Purpose.CONFIRM: "This confirmation link is not valid (any more). Subscribe again from the status page.",
    Purpose.UNSUBSCRIBE: "This address is not subscribed (any more): you will get no emails.",
}


async def _subscriber_of(request: web.Request, page: StatusPage, purpose: Purpose) -> int | None:
    """The subscriber the link is for, if its signature holds for them and this purpose."""
    subscriber_id = int(request.match_info["id"])
    async with UnitOfWork(page.engine, autocommit=True) as uow:
        subscriber = await uow.subscribers.get(subscriber_id)
    token = request.match_info["token"]
    if subscriber is None or not page.signer.valid(token, purpose, subscriber.id, subscriber.address):
        return None
    return subscriber.id


def _message(request: web.Request, status: int, text: str) -> web.Response:
    return render(request, "status_message.html", {"message": text}, status=status)
