"""The HTTP surface: ``POST /slack/events`` for everything Slack sends, ``GET /healthz``."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
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
    response = await request.app[SLACK_APP].async_dispatch(await _bolt_request(request))
    if response.status == 401:
        log.info("refused a request with a missing, wrong or stale signature", extra={"path": request.path})
    if response.status >= 500:
        # Listeners answer people themselves; a 5xx would only make Slack resend the request.
        log.error("Slack request failed inside Bolt", extra={"status": response.status, "path": request.path})
        return web.Response(status=200, text="")
    return await to_aiohttp_response(response)


async def _bolt_request(request: web.Request) -> AsyncBoltRequest:
    """The request for Bolt. Bolt reads the body before it checks the signature, and raises on one
    that is not shaped like a Slack payload (a 500, and an error logged). Such a body goes on as an
    empty payload, its signature still checked over what was sent: a forgery gets 401, and a
    correctly signed request with a body Slack would never send gets 404 (unhandled)."""
    problem = None
    try:
        bolt_request = await to_bolt_request(request)
        problem = _malformed(bolt_request.body)
    except (ValueError, TypeError, AttributeError, KeyError, IndexError) as error:
        problem = f"unparseable ({type(error).__name__})"
    if problem is None:
        return bolt_request
    log.warning("a request body that is no Slack payload", extra={"problem": problem, "path": request.path})
    blank = AsyncBoltRequest(body="", query=request.query_string, headers=dict(request.headers))
    blank.raw_body = (await request.read()).decode("utf-8", errors="replace")
    return blank


# Where Slack sends an id or an object, Bolt reads it as either; anything else makes it raise.
_ID_OR_OBJECT = ("team", "user", "channel", "enterprise")
_LISTS_OF_OBJECTS = ("authorizations", "response_urls")


def _malformed(body: object) -> str | None:  # noqa: PLR0911 - one reason per shape Bolt relies on
    """What, in a parsed body, Bolt's middleware and matchers would trip over; None if nothing."""
    if not isinstance(body, dict):
        return "not a JSON object"
    for key in _ID_OR_OBJECT:
        if not isinstance(body.get(key), str | dict | None):
            return f"{key} is neither an id nor an object"
    for key in _LISTS_OF_OBJECTS:
        value = body.get(key)
        if value is not None and not (isinstance(value, list) and all(isinstance(item, dict) for item in value)):
            return f"{key} is not a list of objects"
    if "event" in body and not (isinstance(body["event"], dict) and isinstance(body["event"].get("type"), str)):
        return "event is not an object with a type"
    kind = body.get("type")
    if kind == "block_actions" and "actions" in body:
        actions = body["actions"]
        if not (isinstance(actions, list) and actions and isinstance(actions[0], dict)):
            return "actions is not a list of objects"
        if not isinstance(actions[0].get("action_id"), str):
            return "an action without an action_id"
    if kind in ("view_submission", "view_closed") and "view" in body:
        view = body["view"]
        if not isinstance(view, dict) or not isinstance(view.get("callback_id", ""), str):
            return "view is not an object with a callback_id"
    return None


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


class _WithoutSignatureDetails(logging.Filter):
    """Bolt logs a refused request's signature header and whole body at INFO: a stale request's
    signature is a genuine one, and a body may be half a megabyte. The refusal is logged above,
    without them."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Invalid request signature detected")


_SIGNATURE_DETAILS = _WithoutSignatureDetails()


def add_routes(app: web.Application) -> None:
    verification = logging.getLogger("slack_bolt.RequestVerification")
    if _SIGNATURE_DETAILS not in verification.filters:
        verification.addFilter(_SIGNATURE_DETAILS)
    app.router.add_post("/slack/events", slack_events)
    app.router.add_get("/healthz", health)
