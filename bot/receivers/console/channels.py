"""The channels the bot is in, for declaring from the console (its card can be posted only there):
``conversations.list``, read a page at a time and kept for a while, so the form costs no Slack call."""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

# The bot joins channels rarely; a new one shows in the form within a minute.
CHANNELS_TTL_SECONDS = 60.0
PAGE_SIZE = 200


@dataclass(frozen=True)
class BotChannel:
    channel_id: str
    name: str


class BotChannels:
    def __init__(self, client: AsyncWebClient, ttl: float = CHANNELS_TTL_SECONDS) -> None:
        self._client = client
        self._ttl = ttl
        self._channels: tuple[BotChannel, ...] = ()
        self._fresh_until = 0.0
        self._lock = asyncio.Lock()

    async def all(self) -> tuple[BotChannel, ...]:
        """By name; the last list Slack gave while it cannot be asked (empty before it ever answered)."""
        if time.monotonic() >= self._fresh_until:
            async with self._lock:  # one refresh at a time; the others get its result
                if time.monotonic() >= self._fresh_until:
                    await self._refresh()
        return self._channels

    async def _refresh(self) -> None:
        try:
            found: list[BotChannel] = []
            pages = await self._client.conversations_list(
                types="public_channel,private_channel", exclude_archived=True, limit=PAGE_SIZE
            )
            async for listed in pages:  # slack_sdk follows next_cursor
                found.extend(channel for raw in listed.get("channels") or [] if (channel := _channel(raw)))
        except (SlackApiError, TimeoutError, OSError) as error:
            log.warning("could not list the bot's channels (conversations.list)", extra={"error": type(error).__name__})
            # The last list serves a while before Slack is asked again.
            self._fresh_until = time.monotonic() + self._ttl
            return
        self._channels = tuple(sorted(found, key=lambda channel: channel.name.casefold()))
        self._fresh_until = time.monotonic() + self._ttl


def _channel(raw: Any) -> BotChannel | None:
    if not isinstance(raw, dict) or not raw.get("is_member") or raw.get("is_archived"):
        return None
    channel_id, name = raw.get("id"), raw.get("name")
    if not isinstance(channel_id, str) or not isinstance(name, str):
        return None
    return BotChannel(channel_id, name)


# One list per bot client (so per running bot), for as long as the client lives.
_LISTS: weakref.WeakKeyDictionary[AsyncWebClient, BotChannels] = weakref.WeakKeyDictionary()


def channels_of(client: AsyncWebClient) -> BotChannels:
    return _LISTS.setdefault(client, BotChannels(client))
