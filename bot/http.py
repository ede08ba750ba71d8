"""The HTTP surface: ``POST /slack/events`` for everything Slack sends, ``GET /healthz``."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

# Slack's largest payloads (a modal's full state) stay far below this; anything bigger is not Slack.
MAX_BODY_BYTES = 512 * 1024
HEALTH_TIMEOUT_SECONDS = 2.0

SLACK_APP = web.AppKey("slack_app", AsyncApp)
ENGINE = web.AppKey("engine", AsyncEngine)


async def slack_events(request: web.Request) -> web.StreamResponse:
    if not _timestamp_is_a_number(request.headers.get("X-Slack-Request-Timestamp")):
        # Bolt's verifier crashes on such a header (a 500 here); it is simply not a request from Slack.
        return web.Response(status=401, text="")
    response = await request.app[SLACK_APP].async_dispatch(await to_bolt_request(request))
    if response.status >= 500:
        # Listeners answer people themselves; a 5xx would only make Slack resend the request.
        log.error("Slack request failed inside Bolt", extra={"status": response.status, "path": request.path})
        return web.Response(status=200, text="")
    return await to_aiohttp_response(response)


def _timestamp_is_a_number(value: str | None) -> bool:
    """A missing timestamp is Bolt's to refuse (401); an unparseable one would make it raise."""
    if value is None:
        return True
    try:
        int(value)
    except ValueError:
        return False
    return True


async def health(request: web.Request) -> web.StreamResponse:
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS), request.app[ENGINE].connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as error:
        log.warning("health check: database unreachable", extra={"error": type(error).__name__})
        return web.json_response({"status": "unavailable", "database": "unreachable"}, status=503)
    return web.json_response({"status": "ok", "database": "ok"})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/slack/events", slack_events)
    app.router.add_get("/healthz", health)
