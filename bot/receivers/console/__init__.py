"""The web console: server-rendered pages over the same handler as Slack (SPEC §9).

Each page module has its own ``routes = web.RouteTableDef()``; :func:`add_console` serves them all
behind Sign in with Slack. The parts every page uses: :mod:`.context` (``console_of``),
:mod:`.signed_in` (``page``, ``api``, ``checked_form``) and :mod:`.rendering` (``render``,
``error_page``).
"""

from __future__ import annotations

from pathlib import Path

import aiohttp_session
from aiohttp import web

from bot.receivers.console import (
    actions,
    detail_page,
    insights_page,
    list_page,
    live_updates,
    new_incident,
    postmortem_draft_action,
    postmortem_page,
    report_page,
    sign_in,
)
from bot.receivers.console.rendering import error_page, setup_templates
from bot.receivers.console.sessions import session_storage
from bot.runtime.settings import Settings

STATIC = Path(__file__).resolve().parent / "static"

# Each page module's routes: page owners add one line each.
ROUTE_TABLES: tuple[web.RouteTableDef, ...] = (
    sign_in.routes,
    postmortem_page.routes,  # before actions': its POST /incidents/INC-n/{action} would take the postmortem's
    detail_page.routes,
    list_page.routes,
    actions.routes,
    new_incident.routes,
    insights_page.routes,
    live_updates.routes,
    report_page.routes,
    postmortem_draft_action.routes,
)

TURN_ON = (
    "The console is off. To turn it on, add Sign in with Slack to the Slack app (the OpenID scopes "
    "openid, email and profile and the redirect URL <CONSOLE_URL>/auth/callback, as in slack-manifest.yml), "
    "then set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (Basic Information → App Credentials), CONSOLE_URL and "
    "SESSION_SECRET (see README, 'Console'), and restart Firebreak."
)


def add_console(app: web.Application, settings: Settings) -> None:
    """Serve the console in ``app`` (the bot's); with the console off, only a /login that says how to
    turn it on. The Console itself (``CONSOLE``) is set when the bot has started."""
    setup_templates(app)
    if not settings.console_on:
        app.router.add_get("/login", _console_off)
        return
    aiohttp_session.setup(app, session_storage(settings))
    if not settings.playground:  # there, / is the playground's page (it links to the console)
        app.router.add_get("/", _home)
    app.router.add_static("/console/static/", STATIC)
    app.on_shutdown.append(live_updates.end_streams)
    for table in ROUTE_TABLES:
        app.router.add_routes(table)


async def _home(_request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/incidents")


async def _console_off(request: web.Request) -> web.StreamResponse:
    return await error_page(request, 404, TURN_ON)
