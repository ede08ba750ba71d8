"""The Bolt app: which receiver answers which Slack request."""

from __future__ import annotations

import os
import re
from collections.abc import Awaitable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.receivers.slack.block_actions import ActionReceiver
from bot.receivers.slack.identity import SlackIdentity
from bot.receivers.slack.mentions import MentionReceiver, SlackShouldResend
from bot.receivers.slack.pins import PIN_EVENTS, PinReceiver
from bot.receivers.slack.slash import SlashReceiver
from bot.receivers.slack.submissions import ViewReceiver
from bot.views import action_ids as ids

SLASH_COMMAND = "/incident"
_CARD_ACTION = re.compile(r"^incident\.")


def build_slack_app(
    client: AsyncWebClient,
    identity: SlackIdentity,
    *,
    mentions: MentionReceiver,
    slash: SlashReceiver,
    actions: ActionReceiver,
    views: ViewReceiver,
    pins: PinReceiver,
) -> AsyncApp:
    # process_before_response: a listener commits before Slack gets its 200 (SPEC §7), so the 200
    # means "stored"; listeners only parse and commit, which keeps them well inside the 3 s.
    # Requests are authorized from the identity learned at start, never by a Web API call on the
    # way to the ack; Bolt's own client carries no token, or Bolt would authorize with auth.test.
    # Signatures are verified by bot.receivers.slack.endpoint before the body is parsed, so Bolt need not again.
    async def authorize(enterprise_id: str | None, team_id: str | None, user_id: str | None) -> AuthorizeResult:
        return identity.authorization(enterprise_id, team_id, user_id)

    app = _bolt_app(
        client=AsyncWebClient(base_url=client.base_url, timeout=client.timeout, retry_handlers=[]),
        authorize=authorize,
        request_verification_enabled=False,
        process_before_response=True,
        raise_error_for_unhandled_request=False,
    )

    @app.event("app_mention")
    async def on_mention(
        body: dict[str, Any], event: dict[str, Any], context: dict[str, Any], request: AsyncBoltRequest
    ) -> BoltResponse | None:
        return await _stored(mentions(body, event, context, retry_num=_retry_num(request)))

    # The timeline from Slack (SPEC §10). "message" is every message in the bot's channels: the
    # receiver lets all but edits and deletions go at once.
    @app.event(PIN_EVENTS)
    async def on_pin(body: dict[str, Any], event: dict[str, Any], context: dict[str, Any]) -> BoltResponse | None:
        return await _stored(pins(body, event, context))

    # Bolt passes a listener what its parameters name, so each receiver is wrapped in a function.
    @app.command(SLASH_COMMAND)
    async def on_slash(ack: AsyncAck, command: dict[str, Any], context: dict[str, Any]) -> None:
        await slash(ack, command, context)

    @app.action(_CARD_ACTION)
    async def on_action(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await actions(ack, body, action)

    @app.action(ids.OPEN_IN_CONSOLE)
    async def on_console_link(ack: AsyncAck) -> None:
        await ack()  # the browser opened the console; there is nothing to do, nor to say

    @app.view(ids.DECLARE_MODAL)
    async def on_declare(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        await views.declare(ack, body, view)

    @app.view(ids.RESOLVE_MODAL)
    async def on_resolve(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        await views.resolve(ack, body, view)

    @app.view(ids.POSTMORTEM_MODAL)
    async def on_postmortem(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        await views.postmortem(ack, body, view)

    return app


# Bolt reads these from the environment when it is not given them. SLACK_BOT_TOKEN: it then warns
# on every start that the token is unused beside ``client`` (it is: ``authorize`` supplies it).
# SLACK_CLIENT_ID and SLACK_CLIENT_SECRET: it then turns itself into an OAuth-install app, with
# file-based installation and state stores and an install page, and an app without an ``authorize``
# of its own then refuses every request of a workspace not installed through that page, which is
# all of them. Here they are the console's Sign in with Slack credentials: never an install.
_HIDDEN_FROM_BOLT = ("SLACK_BOT_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")


def _bolt_app(**options: Any) -> AsyncApp:
    """Bolt has no way to not read the variables above, so they are out of its sight while the app
    is built (it reads them only then); nothing else runs at that moment of startup."""
    hidden = {name: os.environ.pop(name) for name in _HIDDEN_FROM_BOLT if name in os.environ}
    try:
        return AsyncApp(**options)
    finally:
        os.environ.update(hidden)


async def _stored(handling: Awaitable[None]) -> BoltResponse | None:
    """An event's answer: Bolt's 200 once it is stored (or let go), never for one that was not."""
    try:
        await handling
    except SlackShouldResend as resend:
        # Slack takes a 200 as handled: a 503 makes it send the event again.
        return BoltResponse(status=503, body=f"not recorded: {resend}; send it again")
    return None


def _retry_num(request: AsyncBoltRequest) -> int:
    """Which of Slack's resends this is (0: the first delivery)."""
    values = request.headers.get("x-slack-retry-num") or ["0"]
    try:
        return max(0, int(values[0]))
    except ValueError:
        return 0
