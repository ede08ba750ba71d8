"""The bot under test: the real aiohttp app on a free port, driven over HTTP with signed Slack
payloads, talking to the fake Slack Web API and the real Postgres."""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import func, select

from bot.composition import FIREBREAK, Firebreak, web_application
from bot.local_slack import LocalSlack, Message
from bot.local_slack.payloads import (
    FORM_TYPE,
    JSON_TYPE,
    click,
    event_envelope,
    interaction_form,
    mention_event,
    slash_form,
    view_submission,
)
from bot.local_slack.signing import signature_headers
from bot.runtime.clock import Clock
from bot.runtime.config_file import FirebreakConfig
from bot.runtime.settings import Settings
from domain.incident import Incident, IncidentRef
from storage.schema import outbox
from storage.stored import StoredIncident
from storage.unit_of_work import UnitOfWork

SIGNING_SECRET = "test-signing-secret"
ANTHROPIC_TEST_URL = "http://anthropic.test"
CHANNEL = "C0INCIDENT"
ALICE, BOB, CAROL = "U0ALICE", "U0BOB", "U0CAROL"
_ids = itertools.count(1)


@dataclass(frozen=True)
class Response:
    status: int
    text: str

    def json(self) -> Any:
        return json.loads(self.text) if self.text else None


class BotUnderTest:
    def __init__(
        self,
        slack: LocalSlack,
        database_url: str,
        workspace: str,
        *,
        clock: Clock | None = None,
        config: FirebreakConfig | None = None,
        anthropic_api_key: str | None = None,
        stakeholder_channel: str | None = None,
    ) -> None:
        self.slack = slack
        self.workspace = workspace
        self.clock = clock
        # The scheduler ticks only when a test says so, unless the test asks for real ticks.
        self.config = config or FirebreakConfig(tick=timedelta(hours=1))
        self.settings = Settings(
            slack_bot_token=slack.token,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=slack.base_url,
            database_url=database_url,
            anthropic_api_key=anthropic_api_key,
            # Never the real API: tests that give a key intercept this host with respx.
            anthropic_base_url=ANTHROPIC_TEST_URL,
            stakeholder_channel=stakeholder_channel,
            port=0,
        )
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.url = ""

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> BotUnderTest:
        app = web_application(self.settings, self.clock, self.config)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        self._session = aiohttp.ClientSession()
        return self

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = self._session = None

    @property
    def firebreak(self) -> Firebreak:
        assert self._runner is not None
        return self._runner.app[FIREBREAK]

    # ------------------------------------------------------------------ raw HTTP
    async def post(
        self, body: str, content_type: str, *, headers: dict[str, str] | None = None, signed: bool = True
    ) -> Response:
        assert self._session is not None
        all_headers = {"Content-Type": content_type, **(headers or {})}
        if signed:
            all_headers = signature_headers(SIGNING_SECRET, body) | all_headers
        async with self._session.post(f"{self.url}/slack/events", data=body.encode(), headers=all_headers) as resp:
            return Response(resp.status, await resp.text())

    async def get(self, path: str) -> Response:
        assert self._session is not None
        async with self._session.get(f"{self.url}{path}") as resp:
            return Response(resp.status, await resp.text())

    # ------------------------------------------------------------------ Slack payloads
    async def send_event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry: int | None = None
    ) -> Response:
        envelope = event_envelope(self.slack.state, event, team_id=self.workspace, event_id=event_id)
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else None
        return await self.post(json.dumps(envelope), JSON_TYPE, headers=headers)

    async def mention(
        self,
        text: str,
        *,
        user: str = ALICE,
        channel: str = CHANNEL,
        thread_ts: str | None = None,
        event_id: str | None = None,
    ) -> tuple[Response, Message]:
        """A person types ``@firebreak <text>``: the message exists in Slack, then the event arrives."""
        event, message = mention_event(self.slack.state, user=user, channel=channel, text=text, thread_ts=thread_ts)
        return await self.send_event(event, event_id=event_id), message

    async def slash(self, text: str, *, user: str = ALICE, channel: str = CHANNEL) -> Response:
        response_url = self.slack.response_url(f"slash-{next(_ids)}")
        form = slash_form(self.slack.state, user, channel, text, response_url=response_url, team_id=self.workspace)
        return await self.post(form, FORM_TYPE)

    async def interact(self, payload: dict[str, Any]) -> Response:
        return await self.post(interaction_form(payload), FORM_TYPE)

    async def click(
        self,
        card: Message,
        action_id: str,
        *,
        user: str = ALICE,
        option_value: str | None = None,
        selected_user: str | None = None,
    ) -> Response:
        """Use a control of a posted message exactly as Slack reports it: the element from the
        message's own blocks, plus what was chosen (an option's value, or a user)."""
        url, choice = self.slack.response_url(f"action-{next(_ids)}"), option_value or selected_user
        payload = click(
            self.slack.state, user, card, action_id, response_url=url, choice=choice, team_id=self.workspace
        )
        return await self.interact(payload)

    async def submit_view(
        self, view: dict[str, Any], values: dict[str, dict[str, Any]], *, user: str = ALICE, view_id: str | None = None
    ) -> Response:
        """Submit a modal the bot opened, with ``values`` as ``view.state.values``."""
        view_id = view_id or f"V{next(_ids):08d}"
        state = self.slack.state
        return await self.interact(view_submission(state, user, view, values, team_id=self.workspace, view_id=view_id))

    # ------------------------------------------------------------------ looking inside
    async def incident(self, number: int) -> Incident:
        stored = await self.stored(number)
        return stored.incident

    async def stored(self, number: int) -> StoredIncident:
        async with UnitOfWork(self.firebreak.engine) as uow:
            stored = await uow.incidents.get(IncidentRef(self.workspace, number))
        assert stored is not None, f"INC-{number} was not declared in {self.workspace}"
        return stored

    async def pending_deliveries(self) -> int:
        async with self.firebreak.engine.connect() as connection:
            query = (
                select(func.count())
                .select_from(outbox)
                .where(outbox.c.delivered_at.is_(None), outbox.c.failed_at.is_(None))
            )
            return int((await connection.execute(query)).scalar_one())

    async def card(self, number: int, within: float = 5.0) -> Message:
        """The incident's card as Slack shows it now (waits until it has been posted)."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            stored = await self.stored(number)
            if stored.card_ts is not None:
                message = self.slack.message(stored.incident.channel_id, stored.card_ts)
                assert message is not None, f"INC-{number}'s card {stored.card_ts} is not in Slack"
                return message
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"INC-{number}'s card was not posted within {within}s\n{self.slack.summary()}")
            await asyncio.sleep(0.02)

    async def tick(self) -> int:
        """One scheduler tick, now, as APScheduler would run it; returns incidents reminded."""
        return await self.firebreak.scheduler.tick()

    async def settle(self, within: float = 5.0) -> None:
        """Wait until everything committed so far has been delivered (or given up on)."""
        deadline = asyncio.get_running_loop().time() + within
        while await self.pending_deliveries():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"outbox not drained within {within}s\n{self.slack.summary()}")
            await asyncio.sleep(0.02)
