"""``GET /status``, ``/status.json``, ``/status/feed.atom`` and ``/status/events`` (SPEC §14): no
sign-in, all from the board's one view of the public incidents (bot.views.public_status)."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from markupsafe import Markup

from bot.receivers.status_page.board import Snapshot
from bot.receivers.status_page.encoding import encoded, respond
from bot.receivers.status_page.status_context import status_page_of
from bot.views.public_status import HISTORY_DAYS, atom_feed

routes = web.RouteTableDef()

TEMPLATES_KEY = web.AppKey("status_page_templates", jinja2.Environment)
# Public, the same for everyone, and changing during an outage: revalidated on every read.
HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'self'"
    ),
}
KEEPALIVE_SECONDS = 15.0
RETRY_MILLISECONDS = 1000


def render(request: web.Request, template: str, context: dict[str, Any], *, status: int = 200) -> web.Response:
    return web.Response(
        text=_rendered(request, template, context), status=status, content_type="text/html", headers=HEADERS
    )


@routes.get("/status")
async def status(request: web.Request) -> web.Response:
    page = status_page_of(request)
    snapshot = await page.board.current()
    # Rendered once a version, during an outage everyone asks for the same page; its history
    # (most of it) only when that changed.
    if page.rendered is None or page.rendered[0] != snapshot.version:
        history = snapshot.view.history
        if page.history is None or page.history[0] != history:
            context = {"history": history, "history_days": HISTORY_DAYS}
            rendered = _rendered(request, "status_history.html", context)
            page.history = (history, Markup(rendered))  # noqa: S704 - what an autoescaping template made
        context = {"view": snapshot.view, "version": snapshot.version, "history_html": page.history[1]}
        page.rendered = (snapshot.version, encoded(_rendered(request, "status.html", context).encode()))
    return respond(request, page.rendered[1], "text/html", HEADERS)


def _rendered(request: web.Request, template: str, context: dict[str, Any]) -> str:
    page = status_page_of(request)
    full = {"page_title": page.title, "email_on": page.email_on, **context}
    return aiohttp_jinja2.render_string(template, request, full, app_key=TEMPLATES_KEY)


@routes.get("/status.json")
async def status_json(request: web.Request) -> web.Response:
    page = status_page_of(request)
    snapshot = await page.board.current()
    if page.document is None or page.document[0] != snapshot.version:
        page.document = (snapshot.version, encoded(snapshot.document.encode()))
    return respond(request, page.document[1], "application/json", HEADERS)


@routes.get("/status/feed.atom")
async def feed(request: web.Request) -> web.Response:
    page = status_page_of(request)
    snapshot = await page.board.current()
    if page.feed is None or page.feed[0] != snapshot.version:  # built once a version, as the page
        page.feed = (snapshot.version, encoded(atom_feed(snapshot.view, f"{page.base_url}/status", snapshot.read_at)))
    return respond(request, page.feed[1], "application/atom+xml", HEADERS)


@routes.get("/status/events")
async def events(request: web.Request) -> web.StreamResponse:
    """Server-sent events: ``status`` whenever the page changes, with its state and open incidents."""
    board = status_page_of(request).board
    # Reconnecting, a browser sends the version it last had (each event's id).
    shown = request.headers.get("Last-Event-ID") or request.query.get("version")
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )
    await response.prepare(request)
    await response.write(f"retry: {RETRY_MILLISECONDS}\n\n".encode())
    # The page passes the version it was rendered from: a change between the two is not missed,
    # and an unchanged page is not sent again.
    with suppress(ConnectionResetError):  # the reader left
        async for snapshot in board.changes(shown, KEEPALIVE_SECONDS):
            await response.write(b": keepalive\n\n" if snapshot is None else _frame(snapshot))
        await response.write_eof()
    return response


def _frame(snapshot: Snapshot) -> bytes:
    return f"id: {snapshot.version}\nevent: status\ndata: {snapshot.live}\n\n".encode()
