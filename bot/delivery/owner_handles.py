"""A catalog owner's handle as plain text (``@payments-oncall``), for a card that must not notify
them (SPEC §13): looked up once with ``usergroups.list`` or ``users.info`` and kept."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from domain.services import Service

log = logging.getLogger(__name__)


class OwnerHandles:
    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self._handles: dict[str, str] = {}
        self._lock = asyncio.Lock()

    async def handle(self, service: Service) -> str | None:
        """``@handle`` of the service's owner; their id when Slack cannot say (asked again next
        time); None for a service without an owner."""
        owner = service.owner
        if owner is None:
            return None
        if owner in self._handles:
            return self._handles[owner]
        async with self._lock:
            if owner not in self._handles:
                found = await self._look_up(owner, group=service.owner_is_group)
                if found is None:
                    return owner
                self._handles[owner] = f"@{found}"
        return self._handles[owner]

    async def _look_up(self, owner: str, *, group: bool) -> str | None:
        try:
            if group:
                response = await self._client.usergroups_list()
                groups: list[Any] = response.get("usergroups") or []
                return next((str(g["handle"]) for g in groups if isinstance(g, dict) and g.get("id") == owner), None)
            user = (await self._client.users_info(user=owner)).get("user") or {}
            return str(user["name"]) if isinstance(user, dict) and user.get("name") else None
        except (SlackApiError, TimeoutError, OSError) as error:
            # Without usergroups:read (or Slack down) the card shows the id: it notifies nobody either.
            log.warning("could not look up a service owner's handle", extra={"error": type(error).__name__})
            return None
