"""Who may see a console page and send a console form: the decorators every page module uses.

``page``: anonymous → 302 to /login?next=<this page>; ``api`` (JSON, server-sent events):
anonymous → 401 JSON; ``checked_form``: a POST whose ``csrf_token`` is not the session's → 403,
before anything is read from the form or changed.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode, urlsplit

from aiohttp import web
from multidict import MultiDict, MultiDictProxy

from bot.receivers.console.rendering import error_page
from bot.receivers.console.sessions import SignedIn, csrf_matches, signed_in

__all__ = ["SIGNED_IN", "SignedIn", "api", "checked_form", "login_url", "page", "safe_next", "signed_in"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
HOME = "/incidents"
# Who sent the request, set by the decorators below for the handler they guard.
SIGNED_IN = web.RequestKey("signed_in", SignedIn)


def page(handler: Handler) -> Handler:
    """For an HTML page: sets ``request[SIGNED_IN]``; anonymous GETs go to sign in and come back."""

    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        who = await signed_in(request)
        if who is None:
            if request.method in ("GET", "HEAD"):
                raise web.HTTPFound(login_url(request.path_qs))
            # A form sent after the session ended: sending it again after sign-in is the person's call.
            return await error_page(
                request, 403, "You are not signed in (or your session ended): sign in, then try again."
            )
        request[SIGNED_IN] = who
        return await handler(request)

    return guarded


def api(handler: Handler) -> Handler:
    """For JSON and event streams: sets ``request[SIGNED_IN]``; anonymous → 401."""

    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        who = await signed_in(request)
        if who is None:
            return web.json_response({"error": "not signed in: sign in at /login"}, status=401)
        request[SIGNED_IN] = who
        return await handler(request)

    return guarded


async def checked_form(request: web.Request) -> MultiDictProxy[str]:
    """The POSTed form, once its ``csrf_token`` is the session's; else a 403 page is raised."""
    form = await request.post()
    if not await csrf_matches(request, form.get("csrf_token")):
        refused = await error_page(
            request,
            403,
            "This form was refused: its security token is missing or out of date (a form from an earlier "
            "session, or from another site). Nothing was changed; reload the page and try again.",
        )
        raise web.HTTPForbidden(text=refused.text, content_type="text/html", headers=_page_headers(refused))
    # The console's forms have text fields only; an uploaded file is not one of their values.
    return MultiDictProxy(MultiDict((name, value) for name, value in form.items() if isinstance(value, str)))


def login_url(next_path: str) -> str:
    return f"/login?{urlencode({'next': safe_next(next_path)})}"


def safe_next(value: str | None) -> str:
    """Where to go after sign-in: a path of this site only (``/incidents?status=open``), never another
    site's address (``//evil.example``, ``https://…``, ``/\\evil.example``), so /login is no open redirect."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return HOME
    if any(ord(char) < 0x20 or char == "\\" for char in value):
        return HOME
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return HOME
    return value


def _page_headers(response: web.Response) -> dict[str, str]:
    return {name: value for name, value in response.headers.items() if name not in ("Content-Type", "Content-Length")}
