"""Socket Mode, as Slack serves it: ``apps.connections.open`` (called with the app-level ``xapp-``
token) hands out a one-use WebSocket URL; on that socket Slack first says ``hello``, then sends each
event, slash command and interaction as an envelope, which the app acks by sending back its
``envelope_id`` (with a ``payload`` when the envelope accepts one: a slash command's reply, a
modal's ``response_action``). ``disconnect`` asks the app to open a new connection.

As in Slack, an event whose ack never came is sent again, with ``retry_attempt`` and
``retry_reason``: on the same connection when the ack is not back within :data:`ACK_SECONDS`
(three more times, then Slack gives up), on the next connection when its connection went first. A
slash command or interaction is not sent again (Slack shows the person an error instead), so its
:attr:`Envelope.ack` fails.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web

from .models import JSON

EVENTS_API = "events_api"
SLASH_COMMANDS = "slash_commands"
INTERACTIVE = "interactive"
REFRESH_REQUESTED = "refresh_requested"
# Why Slack sends an event again; the SDK passes it on to the app as ``X-Slack-Retry-Reason``.
RETRY_REASON = "timeout"
ACK_SECONDS = 3.0
"""Slack's deadline for an ack; past it, an event is sent again."""
RETRIES = 3
"""How many more times Slack sends an event that is not acked."""


class NotAcked(Exception):
    """No ack came: the envelope's connection went first (a slash command or interaction, which
    Slack does not send again), or an event went unacked through all of Slack's retries."""


@dataclass
class Envelope:
    envelope_id: str
    type: str
    payload: JSON
    accepts_response_payload: bool
    attempts: int = 0
    """How many times it was sent."""
    answer: asyncio.Future[JSON] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    deadline: asyncio.TimerHandle | None = None
    """When the current sending of an event is overdue, if its ack is not back by then."""
    late_ack: JSON | None = None
    """An ack held back by :meth:`SocketMode.delay_next_acks`, until the event was sent again."""

    def message(self) -> JSON:
        """What goes on the socket for this sending of it."""
        body: JSON = {
            "envelope_id": self.envelope_id,
            "type": self.type,
            "payload": self.payload,
            "accepts_response_payload": self.accepts_response_payload,
        }
        if self.type == EVENTS_API:
            retry = self.attempts - 1
            body |= {"retry_attempt": retry, "retry_reason": RETRY_REASON if retry else ""}
        return body

    async def ack(self, timeout: float = 5.0) -> JSON:  # noqa: ASYNC109
        """The app's ack, ``{"envelope_id", "payload"?}``; raises :class:`NotAcked` or ``TimeoutError``."""
        async with asyncio.timeout(timeout):
            return await asyncio.shield(self.answer)


class SocketMode:
    """The Socket Mode end of a local Slack: its tickets, open sockets and envelopes in flight."""

    def __init__(self, app_id: str, notify: Callable[[str], None], *, ack_seconds: float = ACK_SECONDS) -> None:
        self._app_id = app_id
        self.ack_seconds = ack_seconds
        """How long an event's ack may take before the event is sent again (tests shorten it)."""
        self._notify = notify
        self._tickets: set[str] = set()
        self._sockets: list[web.WebSocketResponse] = []
        self._in_flight: dict[str, tuple[Envelope, web.WebSocketResponse | None]] = {}
        self.connections_opened = 0
        """How many sockets an app has connected (a reconnection counts anew)."""
        self.received: list[JSON] = []
        """Every message the app sent on a socket, in order (acks, as JSON objects)."""
        self._acks_to_lose = 0
        self._acks_to_delay = 0
        self._resending: set[asyncio.Task[None]] = set()

    @property
    def connected(self) -> int:
        return len(self._sockets)

    def open_connection(self, url: str) -> JSON:
        """``apps.connections.open``: a URL for one connection (``url``: the server's own)."""
        ticket = secrets.token_urlsafe(12)
        self._tickets.add(ticket)
        ws_url = "ws" + url.removeprefix("http") + f"socket-mode/link/?ticket={ticket}&app_id={self._app_id}"
        return {"url": ws_url}

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets:
            # Slack's tickets are good for one connection: an app must call apps.connections.open again.
            raise web.HTTPUnauthorized(text="unknown or used Socket Mode ticket")
        self._tickets.discard(ticket)
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self._sockets.append(socket)
        self.connections_opened += 1
        try:
            await socket.send_json(self._hello())
            await self._send_waiting(socket)
            self._notify("socket_mode.connected")
            async for frame in socket:
                # A socket cut by disconnect(lose_acks=True) is lost: nothing more arrives on it.
                if frame.type == WSMsgType.TEXT and socket in self._sockets:
                    await self._on_text(str(frame.data), socket)
        finally:
            await self._lost(socket)
        return socket

    async def send(self, kind: str, payload: JSON, *, accepts_response_payload: bool | None = None) -> Envelope:
        """Send ``payload`` as an envelope of ``kind`` on an open connection (the newest), or on the
        next one to open; await :meth:`Envelope.ack` for the app's answer."""
        if kind not in (EVENTS_API, SLASH_COMMANDS, INTERACTIVE):
            raise ValueError(f"not a Socket Mode envelope type: {kind!r}")
        if accepts_response_payload is None:
            # Slack takes an answer in the ack where HTTP would take one in the response body.
            accepts_response_payload = kind == SLASH_COMMANDS or payload.get("type") == "view_submission"
        envelope = Envelope(str(uuid.uuid4()), kind, payload, accepts_response_payload)
        self._in_flight[envelope.envelope_id] = (envelope, None)
        if self._sockets:
            await self._send(envelope, self._sockets[-1])
        return envelope

    async def disconnect(self, reason: str = REFRESH_REQUESTED, *, lose_acks: bool = False) -> None:
        """Ask every connected app to reconnect; with ``lose_acks`` the sockets are also cut at
        once, so acks still on their way are lost (the events they answer are sent again)."""
        for socket in list(self._sockets):
            if lose_acks:
                await self._lost(socket)  # first: from now on nothing arriving on it counts
            await socket.send_json({"type": "disconnect", "reason": reason, "debug_info": {"host": "local-slack"}})
            if lose_acks:
                await socket.close()

    def lose_next_acks(self, count: int = 1) -> None:
        """The connection breaks while each of the next ``count`` acks is on its way: the app did
        its work and acked, the ack is lost, and the socket is cut (the app must reconnect)."""
        self._acks_to_lose += count

    def delay_next_acks(self, count: int = 1) -> None:
        """Each of the next ``count`` acks of an event arrives late: only after the event's ack
        deadline passed and Slack sent it again on the same connection."""
        self._acks_to_delay += count

    async def close(self) -> None:
        for socket in list(self._sockets):
            await socket.close()

    # ------------------------------------------------------------------ internals
    def _hello(self) -> JSON:
        return {
            "type": "hello",
            "num_connections": len(self._sockets),
            "debug_info": {"host": "local-slack", "approximate_connection_time": 18060},
            "connection_info": {"app_id": self._app_id},
        }

    async def _send(self, envelope: Envelope, socket: web.WebSocketResponse) -> None:
        envelope.attempts += 1
        self._in_flight[envelope.envelope_id] = (envelope, socket)
        if envelope.type == EVENTS_API:
            _stop_clock(envelope)
            envelope.deadline = asyncio.get_running_loop().call_later(self.ack_seconds, self._overdue, envelope)
        await socket.send_json(envelope.message())

    def _overdue(self, envelope: Envelope) -> None:
        task = asyncio.create_task(self._send_again(envelope))
        self._resending.add(task)
        task.add_done_callback(self._resending.discard)

    async def _send_again(self, envelope: Envelope) -> None:
        """No ack in time: the event goes out again on the newest connection, or, past Slack's
        retries, is given up."""
        entry = self._in_flight.get(envelope.envelope_id)
        if entry is None or entry[1] is None or not self._sockets:
            return  # acked meanwhile, or waiting for a connection
        if envelope.attempts > RETRIES:
            self._give_up(envelope)
            return
        await self._send(envelope, self._sockets[-1])
        if envelope.late_ack is not None:
            late, envelope.late_ack = envelope.late_ack, None
            self._acked(late)

    async def _send_waiting(self, socket: web.WebSocketResponse) -> None:
        for envelope, on in list(self._in_flight.values()):
            if on is None:
                await self._send(envelope, socket)

    async def _on_text(self, text: str, socket: web.WebSocketResponse) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            # Slack ignores what it cannot read; kept so that a test can see the app sent it.
            self.received.append({"unreadable": text[:200]})
            return
        if self._acks_to_lose and "envelope_id" in message:
            self._acks_to_lose -= 1
            await self._lost(socket)
            await socket.close()
            return
        entry = self._in_flight.get(str(message.get("envelope_id")))
        if self._acks_to_delay and entry is not None and entry[0].type == EVENTS_API and entry[0].late_ack is None:
            self._acks_to_delay -= 1
            entry[0].late_ack = message
            return
        self._acked(message)

    def _acked(self, message: JSON) -> None:
        self.received.append(message)
        entry = self._in_flight.pop(str(message.get("envelope_id")), None)
        if entry is not None:
            _stop_clock(entry[0])
            if not entry[0].answer.done():
                entry[0].answer.set_result(message)
        self._notify("socket_mode.ack")

    async def _lost(self, socket: web.WebSocketResponse) -> None:
        """``socket`` is gone: what was sent on it and not acked is sent again (events) on the
        newest connection, now or when one opens, or fails (the rest)."""
        if socket not in self._sockets:
            return
        self._sockets.remove(socket)
        for envelope, on in list(self._in_flight.values()):
            if on is not socket:
                continue
            if envelope.type == EVENTS_API:
                _stop_clock(envelope)
                self._in_flight[envelope.envelope_id] = (envelope, None)
            else:
                self._give_up(envelope)
        self._notify("socket_mode.closed")
        if self._sockets:
            await self._send_waiting(self._sockets[-1])

    def _give_up(self, envelope: Envelope) -> None:
        del self._in_flight[envelope.envelope_id]
        _stop_clock(envelope)
        envelope.answer.set_exception(NotAcked(f"{envelope.type} {envelope.envelope_id} was not acked"))
        envelope.answer.exception()  # retrieved here: a test need not await every failure


def _stop_clock(envelope: Envelope) -> None:
    if envelope.deadline is not None:
        envelope.deadline.cancel()
        envelope.deadline = None
