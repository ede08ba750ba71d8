"""The HTTP surface: ``POST /slack/events`` for everything Slack sends, ``GET /healthz``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import answers

log = logging.getLogger(__name__)

# Slack's largest payloads (a modal's full state) stay far below this; anything bigger is not Slack.
MAX_BODY_BYTES = 512 * 1024
HEALTH_TIMEOUT_SECONDS = 2.0

SLACK_APP = web.AppKey("slack_app", AsyncApp)
VERIFIER = web.AppKey("verifier", SignatureVerifier)
ENGINE = web.AppKey("engine", AsyncEngine)


async def slack_events(request: web.Request) -> web.StreamResponse:
    """Every Slack request: its signature checked before anything is parsed, then the body shaped
    like a Slack payload, then Bolt. What is refused is said in the log once, without a traceback."""
    try:
        # Slack sends UTF-8 and signs those bytes; the verifier needs them as text.
        body = (await request.read()).decode("utf-8")
    except UnicodeDecodeError:
        log.info("refused a request whose body is not UTF-8", extra={"path": request.path})
        return web.Response(status=400, text="the body is not UTF-8")
    if not _signed(request.app[VERIFIER], body, request.headers):
        log.info("refused a request with a missing, wrong or stale signature", extra={"path": request.path})
        return web.Response(status=401, text="")
    bolt_request, problem = _bolt_request(request, body)
    if bolt_request is None:
        # Signed, so from someone with the secret, yet Slack never sends it.
        log.warning("refused a signed body that is no Slack payload", extra={"problem": problem, "path": request.path})
        return web.Response(status=400, text=f"not a Slack payload: {problem}")
    response = await request.app[SLACK_APP].async_dispatch(bolt_request)
    if response.status == 503:
        log.info("asked Slack to send a request again: it was not recorded", extra={"path": request.path})
    elif response.status >= 500:
        # Listeners answer people themselves; a 5xx would only make Slack resend the request.
        log.error("Slack request failed inside Bolt", extra={"status": response.status, "path": request.path})
        return web.Response(status=200, text="")
    return await to_aiohttp_response(response)


# Digits enough for any Unix time; a longer "timestamp" would only make int() work hard.
_TIMESTAMP_MAX_DIGITS = 12


def _signed(verifier: SignatureVerifier, body: str, headers: Mapping[str, str]) -> bool:
    timestamp = headers.get("X-Slack-Request-Timestamp")
    if timestamp is None or not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > _TIMESTAMP_MAX_DIGITS:
        return False  # the verifier would raise on it: simply not a request from Slack
    return verifier.is_valid(body, timestamp, headers.get("X-Slack-Signature"))


def _bolt_request(request: web.Request, body: str) -> tuple[AsyncBoltRequest | None, str]:
    """The request for Bolt, or why there is none: Bolt raises (a 500, and an error logged) on a
    body that is not shaped like a Slack payload."""
    charset = (request.charset or "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        return None, f"charset {charset[:40]!r} (Slack sends UTF-8)"
    try:
        bolt_request = AsyncBoltRequest(body=body, query=request.query_string, headers=dict(request.headers))
    except RecursionError:  # json refuses nesting deeper than the interpreter's recursion limit
        return None, "nested too deeply"
    except (ValueError, TypeError, AttributeError, KeyError, IndexError) as error:
        return None, f"unparseable ({type(error).__name__})"
    problem = _malformed(bolt_request.body)
    return (None, problem) if problem else (bolt_request, "")


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
        if not isinstance(view.get("type"), str):
            return "view without a type"
    return None


async def health(request: web.Request) -> web.StreamResponse:
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS):
            await answers(request.app[ENGINE])
    except Exception as error:
        log.warning("health check: database unreachable", extra={"error": type(error).__name__})
        return web.json_response({"status": "unavailable", "database": "unreachable"}, status=503)
    return web.json_response({"status": "ok", "database": "ok"})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/slack/events", slack_events)
    app.router.add_get("/healthz", health)
