"""The middle layer wired as bot.composition wires it, on a store of the test's own, with fakes only
at the edges: a waker that counts, and a Slack Web API client that records the few calls receivers
make directly (forms, and replies while the database is down)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.commands.verbs import Verbs
from bot.delivery.effects import SlackEffects
from bot.handler.origin import Origin
from bot.handler.runner import Change, CommandRunner
from bot.handler.service import IncidentService
from bot.receivers.slack.modal_opener import ViewOpener
from bot.receivers.slack.replies import Replies
from bot.runtime.clock import MutableClock
from domain.events import Event
from domain.incident import Incident, IncidentRef
from domain.severity import Severity
from storage.schema import outbox
from storage.stored import StoredIncident
from storage.unit_of_work import UnitOfWork
from tests.builders import CHANNEL, declare_command
from tests.storage.helpers import applied

WORKSPACE = "T0MIDDLE"
ALICE = "U0ALICE"
BOB = "U0BOB"
STAKEHOLDERS = "C0STAKEHOLDERS"


class CountingWaker:
    """Stands in for the dispatcher: the service only tells it that there is something to send."""

    def __init__(self) -> None:
        self.wakes = 0

    def wake(self) -> None:
        self.wakes += 1


class RecordingSlackClient(AsyncWebClient):
    """The Web API calls receivers make themselves, recorded and never sent. ``refuse_views``
    makes ``views.open`` fail with that error, as Slack does for an expired trigger."""

    def __init__(self) -> None:
        super().__init__(token="xoxb-test", base_url="http://127.0.0.1:9/api/")  # nothing listens there
        self.opened: list[dict[str, Any]] = []
        self.direct: list[dict[str, Any]] = []
        self.refuse_views: str | None = None

    async def views_open(self, **kwargs: Any) -> AsyncSlackResponse:
        if self.refuse_views is not None:
            refusal = self._answer({"ok": False, "error": self.refuse_views})
            raise SlackApiError("refused", refusal)  # type: ignore[no-untyped-call]  # slack_sdk leaves it untyped
        self.opened.append(kwargs)
        return self._answer({"ok": True})

    async def chat_postEphemeral(self, **kwargs: Any) -> AsyncSlackResponse:
        self.direct.append(kwargs)
        return self._answer({"ok": True, "message_ts": "1.000001"})

    def _answer(self, data: dict[str, Any]) -> AsyncSlackResponse:
        return AsyncSlackResponse(
            client=self, http_verb="POST", api_url="", req_args={}, data=data, headers={}, status_code=200
        )


@dataclass(frozen=True)
class Queued:
    """One outbox row as the dispatcher will find it."""

    incident_id: int | None
    kind: str
    payload: dict[str, Any]


@dataclass
class Wired:
    """The service, its verbs and the receivers' helpers, sharing one store, clock and waker."""

    engine: AsyncEngine
    clock: MutableClock
    effects: SlackEffects
    waker: CountingWaker = field(default_factory=CountingWaker)
    slack: RecordingSlackClient = field(default_factory=RecordingSlackClient)

    def __post_init__(self) -> None:
        self.runner = CommandRunner(self.engine)
        self.service = IncidentService(self.runner, self.effects, self.clock, self.waker)
        self.verbs = Verbs(self.service)
        self.replies = Replies(self.service, self.slack)
        self.view_opener = ViewOpener(self.slack)

    async def declare(
        self, title: str = "Checkout is down", severity: Severity = Severity.SEV2, *, thread_ts: str | None = None
    ) -> Change:
        """An incident declared by Alice in the incidents channel (in ``thread_ts`` if given)."""
        command = declare_command(title=title, severity=severity, actor=ALICE, thread_ts=thread_ts)
        return applied(await self.service.declare(origin(), command))

    async def incident(self, number: int) -> Incident:
        async with self.runner.unit_of_work() as uow:
            return (await _stored(uow, number)).incident

    async def events(self, number: int) -> list[Event]:
        async with self.runner.unit_of_work() as uow:
            return [item.event for item in await uow.events.history((await _stored(uow, number)).id)]

    async def event_types(self, number: int) -> list[str]:
        return [event.type for event in await self.events(number)]

    async def queued(self) -> list[Queued]:
        """Every outbox row, oldest first (the store is the test's own)."""
        async with self.engine.connect() as connection:
            found = await connection.execute(
                select(outbox.c.incident_id, outbox.c.kind, outbox.c.payload).order_by(outbox.c.id)
            )
            return [Queued(row.incident_id, row.kind, dict(row.payload)) for row in found]

    async def queued_kinds(self) -> list[str]:
        return [row.kind for row in await self.queued()]


async def _stored(uow: UnitOfWork, number: int) -> StoredIncident:
    stored = await uow.incidents.get(IncidentRef(WORKSPACE, number))
    assert stored is not None, f"INC-{number} was not stored"
    return stored


def origin(
    user: str = ALICE,
    *,
    thread_ts: str | None = None,
    message_ts: str | None = None,
    key: str | None = None,
    response_url: str | None = None,
) -> Origin:
    """A request from the incidents channel of the test workspace."""
    return Origin(WORKSPACE, user, CHANNEL, thread_ts, message_ts, key, response_url)


def new_ack() -> AsyncAck:
    return AsyncAck()  # type: ignore[no-untyped-call]  # Bolt leaves it untyped


def acked(ack: AsyncAck) -> dict[str, Any]:
    """What a receiver acknowledged with, as Slack gets it: ``{}`` for a bare ack."""
    assert ack.response is not None, "the request was never acknowledged"
    body = ack.response.body
    if not body:
        return {}
    try:
        found = json.loads(body)  # an ack with more than a text is sent as JSON; a text alone as it is
    except json.JSONDecodeError:
        return {"text": body}
    assert isinstance(found, dict), body
    return found
