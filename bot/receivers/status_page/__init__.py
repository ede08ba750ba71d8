"""The public status page (SPEC §14): what responders chose to make public, for anyone, without
signing in, and email subscriptions to it. Each route module has its own ``routes``; the running
page's parts are ``STATUS_PAGE`` (bot.receivers.status_page.status_context), set once the bot has started.
"""

from __future__ import annotations

from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.receivers.status_page import pages, subscriptions
from bot.receivers.status_page.pages import TEMPLATES_KEY
from bot.receivers.status_page.status_context import STATUS_PAGE, StatusPage
from storage.change_feed import hub_of

__all__ = ["STATUS_PAGE", "StatusPage", "add_status_page"]

HERE = Path(__file__).resolve().parent


def add_status_page(app: web.Application) -> None:
    # Templates of its own (the console's are not the public's), under a key of its own.
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        app_key=TEMPLATES_KEY,
    )
    app.router.add_static("/status/static/", HERE / "static")
    app.router.add_routes(pages.routes)
    app.router.add_routes(subscriptions.routes)
    app.on_shutdown.append(_end_streams)


async def _end_streams(app: web.Application) -> None:
    """Live readers' streams end at shutdown (browsers reconnect elsewhere) instead of holding it up."""
    page = app.get(STATUS_PAGE)
    if page is not None:
        hub_of(page.engine).close()
