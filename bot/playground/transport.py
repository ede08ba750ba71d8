"""How the local Slack delivers what people do on the page to the bot, as Slack delivers to an app
either way: **HTTP** (the Events API: a signed request POSTed to the bot's ``/slack/events``) or
**Socket Mode** (an envelope on the WebSocket the bot opened through ``apps.connections.open`` with
its app-level token, answered by an ack). The person chooses on the page; the choice is kept beside
the workspace, so a restarted playground reconnects the way it was left."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import aiohttp

from bot.local_slack import LocalSlack
from bot.local_slack.models import JSON
from bot.local_slack.payloads import FORM_TYPE, JSON_TYPE, interaction_form
from bot.local_slack.resends import resend_headers, send_until_taken
from bot.local_slack.signing import signature_headers
from bot.local_slack.socket_mode import EVENTS_API, SLASH_COMMANDS, NotAcked

log = logging.getLogger(__name__)

HTTP = "http"
SOCKET_MODE = "socket_mode"
REQUEST_TIMEOUT_SECONDS = 10
_LISTENING_POLL_SECONDS = 0.05


def new_app_token() -> str:
    """A fresh app-level token for the local Slack to accept in apps.connections.open."""
    return f"xapp-playground-{secrets.token_hex(12)}"


class BotSocket(Protocol):
    """The bot's end of a Socket Mode connection (Bolt's socket mode handler)."""

    async def close_async(self) -> None: ...


ConnectBot = Callable[[str], Awaitable[BotSocket]]
"""Connects the bot to Slack in Socket Mode with the given app-level token, as SLACK_APP_TOKEN does."""


class BotUnreachable(Exception):
    """What the page did did not reach the bot; the message says why."""


class TransportRefused(Exception):
    """The page asked for a transport that is not one, or not offered here."""


@dataclass(frozen=True)
class AppReply:
    """The app's answer: its HTTP response, or in Socket Mode its ack (the ``payload`` as the body)."""

    status: int
    body: JSON

    @property
    def ok(self) -> bool:
        return self.status == 200

    def outcome(self) -> JSON:
        """For the page: whether the app took it, and if not, what it answered."""
        if self.ok:
            return {"ok": True, "status": self.status}
        return {"ok": False, "status": self.status, "error": f"the bot answered HTTP {self.status}"}


class Transport:
    """Delivers a request of a Socket Mode ``kind`` (events_api, slash_commands, interactive) to the
    bot by the chosen transport, and keeps the bot's socket connected while Socket Mode is chosen."""

    def __init__(
        self, slack: LocalSlack, events_url: str, signing_secret: str, kept: Path, connect_bot: ConnectBot | None
    ) -> None:
        self._slack = slack
        self._events_url = events_url
        self._secret = signing_secret
        self._kept = kept
        self._connect_bot = connect_bot
        self.chosen = _read_choice(kept) if connect_bot is not None else HTTP
        self.acked = 0
        """Envelopes the bot acked since this process started (the page shows it)."""
        self._socket: BotSocket | None = None
        self._connecting: asyncio.Task[None] | None = None
        self._switching = asyncio.Lock()
        self._http: aiohttp.ClientSession | None = None

    def page(self) -> JSON:
        return {
            "chosen": self.chosen,
            "available": self._connect_bot is not None,
            "connected": self._slack.socket_mode.connected > 0,
            "acked": self.acked,
        }

    # ------------------------------------------------------------------ the choice
    def start(self) -> None:
        """At start-up: in Socket Mode, connect the bot once this process's server listens."""
        if self.chosen == SOCKET_MODE:
            self._connecting = asyncio.create_task(self._connect_when_listening())

    async def choose(self, transport: str) -> None:
        if transport not in (HTTP, SOCKET_MODE):
            raise TransportRefused(f"transport must be {HTTP!r} or {SOCKET_MODE!r}")
        if self._connect_bot is None and transport == SOCKET_MODE:
            raise TransportRefused("Socket Mode is not offered here: no bot to connect")
        async with self._switching:
            if transport == SOCKET_MODE:
                await self._connect()
            else:
                await self.disconnect()
            self.chosen = transport
            _write_choice(self._kept, transport)
        log.info("the playground delivers to the bot by a new transport", extra={"transport": transport})
        self._slack.notify_change("transport")

    async def disconnect(self) -> None:
        """Close the bot's socket (before the local Slack's end closes, so the bot does not reconnect)."""
        if self._connecting is not None:
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connecting
            self._connecting = None
        if self._socket is not None:
            socket, self._socket = self._socket, None
            await socket.close_async()

    async def shutdown(self) -> None:
        """While shutting down the server reads nothing more, so the bot's socket cannot close by
        handshake: the bot's end closes (and will not reconnect) as the local Slack cuts its own."""
        await asyncio.gather(self.disconnect(), self._slack.socket_mode.close())

    async def close(self) -> None:
        await self.disconnect()
        if self._http is not None:
            await self._http.close()

    async def _connect(self) -> None:
        if self._socket is None and self._connect_bot is not None:
            self._socket = await self._connect_bot(str(self._slack.app_token))

    async def _connect_when_listening(self) -> None:
        parts = urllib.parse.urlsplit(self._events_url)
        while True:
            try:
                _, writer = await asyncio.open_connection(parts.hostname, parts.port)
            except OSError:
                await asyncio.sleep(_LISTENING_POLL_SECONDS)
                continue
            writer.close()
            await writer.wait_closed()
            break
        async with self._switching:
            await self._connect()

    # ------------------------------------------------------------------ delivering
    async def send(self, kind: str, payload: JSON) -> AppReply:
        """``payload`` as Slack delivers a request of ``kind``; a slash command's is its form fields."""
        if self.chosen == SOCKET_MODE:
            return await self._over_socket(kind, payload)
        if kind == EVENTS_API:
            # An event the bot did not take comes again, as from Slack; commands and clicks never do.
            body = json.dumps(payload)
            return await send_until_taken(lambda retry: self._post(body, JSON_TYPE, retry), lambda r: r.status)
        if kind == SLASH_COMMANDS:
            return await self._post(urllib.parse.urlencode(payload), FORM_TYPE)
        return await self._post(interaction_form(payload), FORM_TYPE)

    async def _over_socket(self, kind: str, payload: JSON) -> AppReply:
        if not self._slack.socket_mode.connected:
            raise BotUnreachable("the bot is not connected in Socket Mode")
        envelope = await self._slack.socket_mode.send(kind, payload)
        try:
            ack = await envelope.ack(timeout=REQUEST_TIMEOUT_SECONDS)
        except NotAcked:
            raise BotUnreachable("the bot's socket closed before it acked") from None
        self.acked += 1
        answer = ack.get("payload")
        return AppReply(200, answer if isinstance(answer, dict) else {})

    async def _post(self, body: str, content_type: str, retry: int = 0) -> AppReply:
        """POST ``body`` to the app, signed with its signing secret, as Slack would (``retry``: as
        Slack's resend of that number)."""
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS))
        headers = {"Content-Type": content_type, **signature_headers(self._secret, body)}
        if retry:
            headers |= resend_headers(retry)
        async with self._http.post(self._events_url, data=body.encode(), headers=headers) as response:
            text = await response.text()
        try:
            parsed = json.loads(text) if text.strip() else {}
        except ValueError:
            parsed = {"text": text}
        if response.status != 200:
            log.warning("the app refused a playground request", extra={"status": response.status, "retry": retry})
        return AppReply(response.status, parsed if isinstance(parsed, dict) else {})


def _read_choice(path: Path) -> str:
    """The kept choice; HTTP when none was kept or the file is not one this module wrote."""
    try:
        chosen = json.loads(path.read_text(encoding="utf-8")).get("transport")
    except (OSError, ValueError, AttributeError):
        return HTTP
    return SOCKET_MODE if chosen == SOCKET_MODE else HTTP


def _write_choice(path: Path, transport: str) -> None:
    try:
        path.write_text(json.dumps({"transport": transport}), encoding="utf-8")
    except OSError as error:
        log.warning("the playground could not keep its transport choice", extra={"error": str(error)})
