"""Console pages from Jinja2 templates (aiohttp-jinja2, autoescaped): ``render`` gives every page
who is signed in, the CSRF token for its forms and the navigation; ``error_page`` is the one way a
page says no."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from markupsafe import Markup, escape

from bot.receivers.console.context import CONSOLE
from bot.receivers.console.sessions import csrf_token, signed_in
from storage.change_feed import hub_of

TEMPLATES = Path(__file__).resolve().parent / "templates"
NAV = (("/incidents", "Incidents"), ("/incidents/new", "New incident"), ("/insights", "Insights"))
# Pages are per person and change under them: never cached, never framed by another site.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
}


def setup_templates(app: web.Application) -> None:
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["utc"] = utc
    env.filters["duration"] = duration
    env.filters["emphasis"] = emphasis


async def render(request: web.Request, template: str, context: dict[str, Any], *, status: int = 200) -> web.Response:
    console = request.app.get(CONSOLE)  # absent while the console is off: its /login page says so
    full = {
        "signed_in": await signed_in(request),
        "csrf_token": await csrf_token(request),
        "console_url": (console.settings.console_url if console else None) or "",
        "nav": [{"href": href, "label": label, "current": _current(request.path, href)} for href, label in NAV],
        "live_after": hub_of(console.engine).mark if console else "",
        **context,
    }
    response = aiohttp_jinja2.render_template(template, request, full, status=status)
    response.headers.update(PAGE_HEADERS)
    return response


async def error_page(request: web.Request, status: int, message: str) -> web.Response:
    return await render(request, "error.html", {"status": status, "message": message}, status=status)


async def unknown_incident(request: web.Request, shown: object) -> web.Response:
    return await error_page(request, 404, f"No incident {shown} in this workspace.")


def utc(moment: datetime | None) -> str:
    """``2026-12-07 01:19:05 UTC`` (a naive time is taken as UTC already)."""
    if moment is None:
        return ""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


# Slack's *bold*, as a stakeholder update's labels (*Impact:*) are written: a pair of stars around
# text on one line, not inside a word.
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")


def emphasis(text: str) -> Markup:
    """Text written for Slack as Slack shows it: *bold* in bold, not between stars; all else escaped."""
    shown = Markup()
    # split() with the pattern's one group alternates: text, bold, text, bold, …
    for index, part in enumerate(_BOLD.split(text)):
        shown += Markup("<strong>{}</strong>").format(part) if index % 2 else escape(part)
    return shown


def duration(span: timedelta | None) -> str:
    """``1 d 2 h 5 min``; under a minute, seconds (``45 s``)."""
    if span is None:
        return ""
    seconds = max(0, int(span.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    return " ".join(part for part in parts if part)


def _current(path: str, href: str) -> bool:
    if href == "/incidents":
        return path == href or (path.startswith("/incidents/") and not path.startswith("/incidents/new"))
    return path == href
