"""The playground's HTTP surface, served by the bot's own app: the page at ``/``, the workspace as
JSON, the live event stream, the page's actions, and the local Slack Web API under /local-slack/."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.local_slack import LocalSlack, SlackError, SlackState
from bot.playground.keeping import Keeper, Kept, ResetRefused
from bot.playground.live import Live
from bot.playground.mailbox import PlaygroundMailbox
from bot.playground.page_actions import PageActions
from bot.playground.transport import BotUnreachable, ConnectBot, Transport, TransportRefused, new_app_token
from bot.playground.workspace import CHANNELS, Playground
from bot.runtime.settings import LOCAL_SLACK_PATH, Settings

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
PLAYGROUND = web.AppKey("playground", Playground)
LIVE = web.AppKey("playground_live", Live)
ACTIONS = web.AppKey("playground_actions", PageActions)
KEEPER = web.AppKey("playground_keeper", Keeper)
TRANSPORT = web.AppKey("playground_transport", Transport)

KEEP_CALLS = 500
"""The playground runs for hours; its call log (for debugging) keeps the latest calls only."""

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def add_playground(
    app: web.Application,
    settings: Settings,
    engine: Callable[[], AsyncEngine] | None = None,
    connect_bot: ConnectBot | None = None,
    mailbox: PlaygroundMailbox | None = None,
) -> Playground:
    """Serve the local Slack and the page inside ``app`` (the bot's), wired to the bot's own
    ``/slack/events`` with the signing secret the bot was given, and, with ``connect_bot``, to the
    bot in Socket Mode as well. The workspace is the one kept from the last run; ``engine`` (the
    bot's database, once started) is what Reset erases."""
    state = SlackState(team_domain="firebreak-playground", channel_names=CHANNELS, clock=time.time)
    slack = LocalSlack(settings.slack_bot_token, state=state, keep_calls=KEEP_CALLS, app_token=new_app_token())
    kept = Kept.for_database(settings.database_url)
    events_url = settings.local_url + "slack/events"
    transport = Transport(slack, events_url, settings.slack_signing_secret, kept.transport, connect_bot)
    live = Live()

    async def on_shutdown(_app: web.Application) -> None:
        await transport.shutdown()  # before the local Slack closes by itself: the bot must not reconnect
        live.close()

    app.on_shutdown.append(on_shutdown)
    slack.mount(app, settings.local_url + LOCAL_SLACK_PATH.lstrip("/"))
    if settings.slack_client_id and settings.slack_client_secret:  # the console signs in here
        slack.sign_in.register(settings.slack_client_id, settings.slack_client_secret)
    keeper = Keeper(slack, kept, engine)
    keeper.load()
    playground = Playground(slack)
    slack.add_listener(live.changed)
    slack.add_listener(keeper.changed)
    actions = PageActions(playground, transport)
    app[PLAYGROUND], app[LIVE], app[ACTIONS], app[KEEPER] = playground, live, actions, keeper
    app[TRANSPORT] = transport

    async def lifecycle(_app: web.Application) -> AsyncIterator[None]:
        transport.start()
        if mailbox is not None:
            mailbox.start()
        yield
        await transport.close()
        if mailbox is not None:
            mailbox.stop()

    async def on_cleanup(_app: web.Application) -> None:
        keeper.save()  # after every other cleanup (the bot's last deliveries included)

    app.cleanup_ctx.append(lifecycle)
    app.on_cleanup.append(on_cleanup)
    app.router.add_get("/", _index)
    app.router.add_static("/playground/static/", STATIC)
    app.router.add_get("/playground/state", _state)
    app.router.add_get("/playground/events", _events)
    app.router.add_post("/playground/message", _json(_message))
    app.router.add_post("/playground/slash", _json(_slash))
    app.router.add_post("/playground/click", _json(_click))
    app.router.add_post("/playground/submit", _json(_submit))
    app.router.add_post("/playground/close", _json(_close))
    app.router.add_post("/playground/dismiss", _json(_dismiss))
    app.router.add_post("/playground/pushpin", _json(_pushpin))
    app.router.add_post("/playground/reset", _json(_reset))
    app.router.add_post("/playground/transport", _json(_transport))
    if mailbox is not None:
        app.router.add_get("/playground/mailbox", mailbox.page)
    return playground


async def _index(_request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


async def _state(request: web.Request) -> web.StreamResponse:
    playground = request.app[PLAYGROUND]
    user = request.query.get("user") or ""
    if user not in playground.slack.state.users:
        return web.json_response({"ok": False, "error": "user_not_found"}, status=400)
    extra = {"version": request.app[LIVE].version, "kept": request.app[KEEPER].kept.page()}
    return web.json_response(playground.page(user) | extra | {"transport": request.app[TRANSPORT].page()})


async def _events(request: web.Request) -> web.StreamResponse:
    return await request.app[LIVE].stream(request)


class _BadRequest(Exception):
    pass


_Action = Callable[[web.Request, dict[str, Any]], Awaitable[dict[str, Any]]]


def _json(action: _Action) -> _Handler:
    """A JSON-in, JSON-out page action; a bad body or a Slack-style refusal is a 400 with the reason."""

    async def handler(request: web.Request) -> web.StreamResponse:
        # JSON only: a form or text/plain POST from another site's page is refused (a JSON one
        # from there needs a CORS preflight, which is never granted).
        if request.content_type != "application/json":
            return web.json_response({"ok": False, "error": "send JSON"}, status=415)
        try:
            body = await request.json()
            if not isinstance(body, dict):
                raise _BadRequest("the body must be a JSON object")
            user = body.get("user")
            if not isinstance(user, str) or user not in request.app[PLAYGROUND].slack.state.users:
                raise _BadRequest("unknown user")
            return web.json_response(await action(request, body))
        except (ValueError, _BadRequest, ResetRefused, TransportRefused) as error:
            return web.json_response({"ok": False, "error": str(error)}, status=400)
        except SlackError as error:
            return web.json_response(error.body(), status=400)
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("the playground could not reach the bot", extra={"error": type(error).__name__})
            return web.json_response({"ok": False, "error": "the bot did not answer"}, status=502)
        except BotUnreachable as error:
            log.warning("the playground could not reach the bot", extra={"error": str(error)})
            return web.json_response({"ok": False, "error": str(error)}, status=502)

    return handler


def _text(body: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    value = body.get(key)
    if value is None or value == "":
        if required:
            raise _BadRequest(f"{key} is required")
        return None
    if not isinstance(value, str):
        raise _BadRequest(f"{key} must be a string")
    return value


def _channel(body: dict[str, Any]) -> str:
    channel = _text(body, "channel") or ""
    if channel not in CHANNELS:
        raise _BadRequest("unknown channel")
    return channel


async def _message(request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
    text = _text(body, "text") or ""
    thread_ts = _text(body, "thread_ts", required=False)
    return await request.app[ACTIONS].message(body["user"], _channel(body), text, thread_ts)


async def _slash(request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
    text = _text(body, "text", required=False) or ""
    thread_ts = _text(body, "thread_ts", required=False)
    return await request.app[ACTIONS].slash(body["user"], _channel(body), text, thread_ts)


async def _click(request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
    return await request.app[ACTIONS].click(
        body["user"],
        _text(body, "channel") or "",
        message_ts=_text(body, "message_ts") or "",
        block_id=_text(body, "block_id") or "",
        action_id=_text(body, "action_id") or "",
        choice=_text(body, "choice", required=False),
        ephemeral=body.get("ephemeral") is True,
    )


async def _submit(request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
    values = body.get("values") or {}
    if not isinstance(values, dict):
        raise _BadRequest("values must be an object")
    return await request.app[ACTIONS].submit(body["user"], _text(body, "view_id") or "", values)


async def _close(request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
    return await request.app[ACTIONS].close_modal(body["user"], _text(body, "view_id") or "")


async def _dismiss(request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
    return request.app[ACTIONS].dismiss(body["user"], _text(body, "ts") or "")


async def _pushpin(request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
    return await request.app[ACTIONS].pushpin(body["user"], _channel(body), _text(body, "ts") or "")


async def _transport(request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
    transport = request.app[TRANSPORT]
    await transport.choose(_text(body, "transport") or "")
    return {"ok": True} | transport.page()


async def _reset(request: web.Request, _body: dict[str, Any]) -> dict[str, Any]:
    await request.app[KEEPER].reset(request.app[PLAYGROUND].forget)
    return {"ok": True}
