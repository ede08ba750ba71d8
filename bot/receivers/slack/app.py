"""The Bolt app: which receiver answers which Slack request."""

from __future__ import annotations

import os
import re
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
        try:
            await mentions(body, event, context, retry_num=_retry_num(request))
        except SlackShouldResend as resend:
            # Never a 200 for an event that was not stored: Slack takes a 200 as handled.
            return BoltResponse(status=503, body=f"not recorded: {resend}; send it again")
        return None

    # Bolt passes a listener what its parameters name, so each receiver is wrapped in a function.
    @app.command(SLASH_COMMAND)
    async def on_slash(ack: AsyncAck, command: dict[str, Any], context: dict[str, Any]) -> None:
        await slash(ack, command, context)

    @app.action(_CARD_ACTION)
    async def on_action(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await actions(ack, body, action)

    @app.view(ids.DECLARE_MODAL)
    async def on_declare(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        await views.declare(ack, body, view)

    @app.view(ids.RESOLVE_MODAL)
    async def on_resolve(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        await views.resolve(ack, body, view)

    return app


def _bolt_app(**options: Any) -> AsyncApp:
    """Bolt takes a token from SLACK_BOT_TOKEN when it is given none, and then warns on every start
    that the token is unused beside ``client`` (it is: ``authorize`` supplies it). Bolt has no way
    to not read it, so the variable is out of its sight while the app is built; nothing else runs
    at that moment of startup."""
    hidden = os.environ.pop("SLACK_BOT_TOKEN", None)
    try:
        return AsyncApp(**options)
    finally:
        if hidden is not None:
            os.environ["SLACK_BOT_TOKEN"] = hidden


def _retry_num(request: AsyncBoltRequest) -> int:
    """Which of Slack's resends this is (0: the first delivery)."""
    values = request.headers.get("x-slack-retry-num") or ["0"]
    try:
        return max(0, int(values[0]))
    except ValueError:
        return 0
