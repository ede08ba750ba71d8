"""Who the bot is in Slack: learned with ``auth.test`` when the bot starts, then kept.

Bolt's single-workspace authorization calls ``auth.test`` on every request until one succeeds, and
while Slack's Web API fails it answers the request itself, 200 with "please reinstall this app".
For an event that 200 tells Slack the event was handled, so a deploy during a Slack API incident
silently dropped declarations. Here the identity is learned at start and retried in the background
until Slack answers; every request is then authorized from memory, with no Web API call between a
request and its ack. A request that needs the identity before it is known is answered so that Slack
sends it again (see :mod:`bot.receivers.slack.mentions`).
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

# auth.test is retried after 1 s, 2 s, 4 s … and then every half minute until Slack answers.
FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 30.0
# Each attempt is bounded on its own, whatever the client's timeout for deliveries.
ATTEMPT_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class BotIdentity:
    bot_user_id: str
    bot_id: str | None
    team_id: str | None
    enterprise_id: str | None
    url: str | None = None
    """The workspace's address (``https://acme.slack.com/``): links to its messages start with it."""


class SlackIdentity:
    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self.known: BotIdentity | None = None
        self._learned = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self, wait: float, after: float = 0.0) -> None:
        """Start learning who the bot is, first asking ``after`` seconds from now, and wait up to
        ``wait`` seconds for Slack's answer (the bot serves either way: only requests that need the
        identity wait for it)."""
        if self._task is None:
            self._task = asyncio.create_task(self._learn(after), name="slack-identity")
        if wait > 0:
            with suppress(TimeoutError):
                await asyncio.wait_for(self._learned.wait(), timeout=wait)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _learn(self, after: float) -> None:
        await asyncio.sleep(after)
        delay = FIRST_RETRY_SECONDS
        attempt = 1
        while self.known is None:
            try:
                response = await asyncio.wait_for(self._client.auth_test(), timeout=ATTEMPT_TIMEOUT_SECONDS)
                self.known = _identity(response.data)
            except (SlackApiError, TimeoutError, OSError, ValueError) as error:
                # Not an ERROR while Slack is merely unreachable: requests that need the identity
                # are answered "send it again" meanwhile, and nothing is lost.
                level = logging.ERROR if _refused_token(error) else logging.WARNING
                log.log(
                    level,
                    "could not learn the bot's identity from Slack (auth.test); retrying",
                    extra={"attempt": attempt, "retry_in_s": delay, "error": _describe(error)},
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_RETRY_SECONDS)
                attempt += 1
        log.info(
            "learned the bot's identity from Slack",
            extra={"bot_user_id": self.known.bot_user_id, "team_id": self.known.team_id, "attempts": attempt},
        )
        self._learned.set()

    def authorization(self, enterprise_id: str | None, team_id: str | None, user_id: str | None) -> AuthorizeResult:
        """What Bolt's ``authorize`` answers: the request's own ids and the bot's token, with the
        bot's user id once it is known (None before: see the module's docstring)."""
        known = self.known
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            bot_token=self._client.token,
            bot_user_id=known.bot_user_id if known else None,
            bot_id=known.bot_id if known else None,
        )


def _identity(data: Any) -> BotIdentity:
    if not isinstance(data, dict) or not isinstance(data.get("user_id"), str) or not data["user_id"]:
        raise ValueError("auth.test answered without the bot's user id")
    return BotIdentity(
        bot_user_id=data["user_id"],
        bot_id=_text(data.get("bot_id")),
        team_id=_text(data.get("team_id")),
        enterprise_id=_text(data.get("enterprise_id")),
        url=_text(data.get("url")),
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _refused_token(error: BaseException) -> bool:
    """The token itself is refused: retrying cannot help until the operator fixes it."""
    return isinstance(error, SlackApiError) and _code(error) in ("invalid_auth", "account_inactive")


def _code(error: SlackApiError) -> str | None:
    data = error.response.data
    return _text(data.get("error")) if isinstance(data, dict) else None


def _describe(error: BaseException) -> str:
    if isinstance(error, SlackApiError):
        return f"slack {error.response.status_code} {_code(error) or 'error'}"
    return f"{type(error).__name__}: {error}"[:200]
