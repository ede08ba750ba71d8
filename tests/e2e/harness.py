"""The bot under test: the real aiohttp app on a free port, driven over HTTP with signed Slack
payloads, talking to the fake Slack Web API and the real Postgres."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.composition import FIREBREAK, Firebreak, web_application
from bot.local_slack import LocalSlack, Message
from bot.local_slack.payloads import (
    FORM_TYPE,
    JSON_TYPE,
    click,
    event_envelope,
    interaction_form,
    mention_event,
    new_event_id,
    slash_form,
    view_submission,
)
from bot.local_slack.resends import resend_headers, send_until_taken
from bot.local_slack.signing import signature_headers
from bot.runtime.clock import Clock, MutableClock
from bot.runtime.config_file import FirebreakConfig
from bot.runtime.settings import Settings
from domain.incident import Incident, IncidentRef
from storage.schema import outbox
from storage.stored import StoredIncident
from storage.unit_of_work import UnitOfWork
from tests.observer import observer_engine

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
        alerts_token: str | None = None,
        grafana_webhook_secret: str | None = None,
    ) -> None:
        self.slack = slack
        self.database_url = database_url
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
            alerts_token=alerts_token,
            grafana_webhook_secret=grafana_webhook_secret,
        )
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._observer: AsyncEngine | None = None
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
        # What a test seeds at times of its own must not race the start-up tick at the bot's clock.
        async with asyncio.timeout(30):
            await self.firebreak.scheduler.first_tick()
        return self

    @asynccontextmanager
    async def running(self) -> AsyncIterator[BotUnderTest]:
        """Started for the block, stopped after it however it ends."""
        await self.start()
        try:
            yield self
        finally:
            await self.stop()

    async def stop(self) -> None:
        if self._observer is not None:
            await self._observer.dispose()
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = self._session = self._observer = None

    @property
    def app(self) -> web.Application:
        """The running aiohttp app (its keys hold the bot's parts: FIREBREAK, the console's CONSOLE)."""
        assert self._runner is not None
        return self._runner.app

    @property
    def firebreak(self) -> Firebreak:
        return self.app[FIREBREAK]

    @property
    def observer(self) -> AsyncEngine:
        """The test's own way into the bot's database (tests.observer): for reading what the bot
        stored and seeding what a test needs, never for what the bot itself does."""
        if self._observer is None:
            self._observer = observer_engine(self.database_url)
        return self._observer

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
        return await self.post(json.dumps(envelope), JSON_TYPE, headers=resend_headers(retry) if retry else None)

    async def mention(
        self,
        text: str,
        *,
        user: str = ALICE,
        channel: str = CHANNEL,
        thread_ts: str | None = None,
        event_id: str | None = None,
        resend: bool = True,
    ) -> tuple[Response, Message]:
        """A person types ``@firebreak <text>``: the message exists in Slack, then the event arrives.

        As from Slack, an event answered 503 (the bot could not record it in time and says "send it
        again") comes again (bot.local_slack.resends), so that a moment's stall of a shared test
        machine does not lose a test's mention; the answer is the last one. ``resend=False``: once
        only, for a test of the 503."""
        event, message = mention_event(self.slack.state, user=user, channel=channel, text=text, thread_ts=thread_ts)
        event_id = event_id or new_event_id()
        if not resend:
            return await self.send_event(event, event_id=event_id), message
        answer = await send_until_taken(
            lambda retry: self.send_event(event, event_id=event_id, retry=retry), lambda r: r.status
        )
        return answer, message

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
        async with UnitOfWork(self.observer) as uow:
            stored = await uow.incidents.get(IncidentRef(self.workspace, number))
        assert stored is not None, f"INC-{number} was not declared in {self.workspace}"
        return stored

    async def pending_deliveries(self) -> int:
        async with self.observer.connect() as connection:
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

    async def restart_after_an_undelivered_tick(self, clock: MutableClock) -> BotUnderTest:
        """Tick while Slack refuses every post, so the one reminder the tick records is committed but
        not delivered; stop; start another bot on the same database once that attempt's backoff passed."""
        self.slack.fail("chat.postMessage", status=500, times=None)
        assert await self.tick() == 1, "the tick claimed and committed a reminder"
        await self.stop()
        self.slack.clear_faults()
        clock.advance(minutes=2)
        return await BotUnderTest(self.slack, self.database_url, self.workspace, clock=clock).start()

    async def settle(self, within: float = 5.0) -> None:
        """Wait until everything committed so far has been delivered (or given up on)."""
        deadline = asyncio.get_running_loop().time() + within
        while await self.pending_deliveries():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"outbox not drained within {within}s\n{self.slack.summary()}")
            await asyncio.sleep(0.02)


@asynccontextmanager
async def two_replicas(
    slack: LocalSlack, database_url: str, workspace: str, clock: MutableClock
) -> AsyncIterator[tuple[BotUnderTest, BotUnderTest]]:
    """Two bots on one database and one clock, as two replicas; stopped after the block."""
    async with (
        BotUnderTest(slack, database_url, workspace, clock=clock).running() as first,
        BotUnderTest(slack, database_url, workspace, clock=clock).running() as second,
    ):
        yield first, second
