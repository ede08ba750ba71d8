"""What every status page route needs, built once the bot has started."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.receivers.status_page.board import StatusBoard
from bot.receivers.status_page.encoding import Encoded
from bot.runtime.clock import Clock
from bot.runtime.signed_links import LinkSigner
from bot.views.public_status import PublicEntry


@dataclass
class StatusPage:
    engine: AsyncEngine
    clock: Clock
    board: StatusBoard
    title: str
    base_url: str
    """Where the page is reached, without a trailing slash: emailed links start here."""
    signer: LinkSigner
    email_on: bool
    wake: Callable[[], None]
    """Deliver the outbox now: a confirmation email was queued."""
    rendered: tuple[str, Encoded] | None = None
    """The board's version last rendered, and the page."""
    document: tuple[str, Encoded] | None = None
    """The board's version last sent as JSON, and the document."""
    history: tuple[tuple[PublicEntry, ...], Markup] | None = None
    """The history last rendered, and its part of the page."""
    feed: tuple[str, Encoded] | None = None
    """The board's version last made an Atom feed, and the feed."""


STATUS_PAGE = web.AppKey("status_page", StatusPage)


def status_page_of(request: web.Request) -> StatusPage:
    return request.app[STATUS_PAGE]
