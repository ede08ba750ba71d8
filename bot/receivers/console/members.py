"""The workspace's people for the console (the commander picker, names on pages): ``users.list``,
read a page at a time and kept for a while, so a page view costs no Slack call."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

# People join and change names rarely; a quarter of an hour is fresh enough for a picker.
MEMBERS_TTL_SECONDS = 900.0
# After a failed refresh, the last list serves this long before Slack is asked again.
RETRY_AFTER_SECONDS = 60.0
PAGE_SIZE = 200


@dataclass(frozen=True)
class WorkspaceMember:
    user_id: str
    name: str
    """What the console shows: the person's real name, else their display name, else their handle."""
    handle: str


class Members:
    def __init__(self, client: AsyncWebClient, ttl: float = MEMBERS_TTL_SECONDS) -> None:
        self._client = client
        self._ttl = ttl
        self._members: dict[str, WorkspaceMember] = {}
        self._fresh_until = 0.0
        self._lock = asyncio.Lock()

    async def all(self) -> list[WorkspaceMember]:
        """The workspace's people (no bots, no deactivated accounts), by name."""
        members = await self._current()
        return sorted(members.values(), key=lambda member: member.name.casefold())

    async def name(self, user_id: str) -> str:
        """The person's name, or their id when Slack does not know them (or cannot be asked)."""
        member = (await self._current()).get(user_id)
        return member.name if member else user_id

    async def _current(self) -> dict[str, WorkspaceMember]:
        if time.monotonic() < self._fresh_until:
            return self._members
        async with self._lock:  # one refresh at a time; the others get its result
            if time.monotonic() >= self._fresh_until:
                await self._refresh()
        return self._members

    async def _refresh(self) -> None:
        try:
            members: dict[str, WorkspaceMember] = {}
            cursor: str | None = None
            while True:
                response = await self._client.users_list(cursor=cursor, limit=PAGE_SIZE)
                for user in response.get("members") or []:
                    if (member := _member(user)) is not None:
                        members[member.user_id] = member
                cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
                if cursor is None:
                    break
        except (SlackApiError, TimeoutError, OSError) as error:
            log.warning("could not list the workspace's members (users.list)", extra={"error": type(error).__name__})
            self._fresh_until = time.monotonic() + RETRY_AFTER_SECONDS
            return
        self._members = members
        self._fresh_until = time.monotonic() + self._ttl


def _member(user: Any) -> WorkspaceMember | None:
    if not isinstance(user, dict) or user.get("is_bot") or user.get("deleted") or not isinstance(user.get("id"), str):
        return None
    profile = user.get("profile")
    profile = profile if isinstance(profile, dict) else {}
    handle = str(user.get("name") or user["id"])
    name = profile.get("real_name") or user.get("real_name") or profile.get("display_name") or handle
    return WorkspaceMember(user_id=user["id"], name=str(name), handle=handle)
