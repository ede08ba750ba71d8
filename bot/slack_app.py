"""The Bolt app: which receiver answers which Slack request."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.receivers.actions import ActionReceiver
from bot.receivers.mentions import MentionReceiver
from bot.receivers.slash import SlashReceiver
from bot.receivers.views import ViewReceiver
from bot.requests_in_flight import RequestsInFlight
from bot.views import action_ids as ids

SLASH_COMMAND = "/incident"
_CARD_ACTION = re.compile(r"^incident\.")


def build_slack_app(
    client: AsyncWebClient,
    signing_secret: str,
    *,
    mentions: MentionReceiver,
    slash: SlashReceiver,
    actions: ActionReceiver,
    views: ViewReceiver,
    in_flight: RequestsInFlight,
) -> AsyncApp:
    # process_before_response: a listener commits before Slack gets its 200 (SPEC §7), so the 200
    # means "stored"; listeners only parse and commit, which keeps them well inside the 3 s.
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret,
        process_before_response=True,
        raise_error_for_unhandled_request=False,
    )
    # Each listener counts as a request in flight while it runs, over HTTP or Socket Mode alike
    # (Bolt runs listeners after its middleware has returned, so middleware cannot do this).
    counted = in_flight.track

    @app.event("app_mention")
    async def on_mention(body: dict[str, Any], event: dict[str, Any], context: dict[str, Any]) -> None:
        with counted():
            await mentions(body, event, context)

    @app.command(SLASH_COMMAND)
    async def on_slash(ack: AsyncAck, command: dict[str, Any], context: dict[str, Any]) -> None:
        with counted():
            await slash(ack, command, context)

    @app.action(_CARD_ACTION)
    async def on_action(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        with counted():
            await actions(ack, body, action)

    @app.view(ids.DECLARE_MODAL)
    async def on_declare(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        with counted():
            await views.declare(ack, body, view)

    @app.view(ids.RESOLVE_MODAL)
    async def on_resolve(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        with counted():
            await views.resolve(ack, body, view)

    return app
