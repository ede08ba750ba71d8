"""The baseline: a bare Bolt ``AsyncApp`` that only acknowledges what the bot is sent.

    SLACK_BOT_TOKEN=… SLACK_SIGNING_SECRET=… SLACK_API_URL=… PORT=… python -m bench.bare_bolt

Same framework, same settings as the bot (``process_before_response=True``, a bot token checked
once with ``auth.test``, signature verification), served by aiohttp on the same route, with
listeners for the same ``/incident`` command, card actions and ``app_mention`` that do nothing but
ack. Whatever the bot costs beyond this is the bot's own.
"""

from __future__ import annotations

import os
import re

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

BOLT = web.AppKey("bolt", AsyncApp)


def bare_app(token: str, signing_secret: str, api_url: str) -> AsyncApp:
    app = AsyncApp(
        client=AsyncWebClient(token=token, base_url=api_url),
        signing_secret=signing_secret,
        process_before_response=True,
        raise_error_for_unhandled_request=False,
    )

    @app.event("app_mention")
    async def on_mention() -> None:
        """Events are acknowledged by Bolt once the listener returns."""

    @app.command("/incident")
    async def on_slash(ack: AsyncAck) -> None:
        await ack()

    @app.action(re.compile(r"^incident\."))
    async def on_action(ack: AsyncAck) -> None:
        await ack()

    return app


async def slack_events(request: web.Request) -> web.StreamResponse:
    response = await request.app[BOLT].async_dispatch(await to_bolt_request(request))
    return await to_aiohttp_response(response)


async def health(_request: web.Request) -> web.StreamResponse:
    return web.json_response({"status": "ok"})


def web_application(token: str, signing_secret: str, api_url: str) -> web.Application:
    app = web.Application()
    app[BOLT] = bare_app(token, signing_secret, api_url)
    app.router.add_post("/slack/events", slack_events)
    app.router.add_get("/healthz", health)
    return app


def main() -> None:
    env = os.environ
    app = web_application(env["SLACK_BOT_TOKEN"], env["SLACK_SIGNING_SECRET"], env["SLACK_API_URL"])
    web.run_app(app, port=int(env["PORT"]), print=None, access_log=None)


if __name__ == "__main__":
    main()
