"""What every console page needs, built once at startup from the running bot's parts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote

from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handler.service import IncidentService
from bot.receivers.console.members import Members
from bot.runtime.clock import Clock
from bot.runtime.settings import Settings
from domain.incident import IncidentRef


class KnownWorkspace(Protocol):
    """What ``auth.test`` said about the bot's workspace (bot.receivers.slack.identity learns it)."""

    @property
    def team_id(self) -> str | None: ...

    @property
    def url(self) -> str | None: ...


@dataclass
class Console:
    settings: Settings
    engine: AsyncEngine
    service: IncidentService
    clock: Clock
    client: AsyncWebClient
    members: Members
    workspace: Callable[[], KnownWorkspace | None]
    """The bot's workspace as far as it is known yet (None until Slack has answered auth.test)."""

    def workspace_id(self) -> str:
        """The bot's team id: who may sign in, and whose incidents the console shows."""
        known = self.workspace()
        if known is None or not known.team_id:
            # Slack has not answered yet (bot.receivers.slack.identity keeps asking).
            raise web.HTTPServiceUnavailable(
                text="The console is waiting for Slack to say which workspace this bot is in; try again in a minute.",
                headers={"Retry-After": "30"},
            )
        return known.team_id

    def thread_url(self, channel_id: str, ts: str | None) -> str | None:
        """A link to a message (an incident's card: its thread) in Slack; in the playground, to the
        playground's page with that thread open."""
        if ts is None:
            return None
        if self.settings.playground:
            return f"/#thread={quote(channel_id, safe='')}/{quote(ts, safe='')}"
        known = self.workspace()
        if known is None or not known.url:
            return None
        return f"{known.url.rstrip('/')}/archives/{quote(channel_id, safe='')}/p{ts.replace('.', '')}"


CONSOLE = web.AppKey("console", Console)


def console_of(request: web.Request) -> Console:
    return request.app[CONSOLE]


def requested_ref(request: web.Request) -> IncidentRef:
    """The incident a route's ``{ref:INC-[0-9]{1,9}}`` names, in the bot's workspace."""
    return IncidentRef(console_of(request).workspace_id(), int(request.match_info["ref"].removeprefix("INC-")))
