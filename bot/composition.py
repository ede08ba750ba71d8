"""The composition root: settings in, a running bot out. Nothing is built at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.ai.breaker import CircuitBreaker
from bot.ai.drafting import DraftingSender
from bot.ai.writer import AI_TIMEOUT_SECONDS, StakeholderWriter
from bot.commands.verbs import Verbs
from bot.delivery.card_refusals import CardRefusals
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.effects import SlackEffects
from bot.delivery.outbox_messages import AI_DRAFT_UPDATE
from bot.delivery.routing import SenderRouter
from bot.delivery.slack_sender import SlackSender, pooled_client
from bot.handler.runner import CommandRunner
from bot.handler.service import IncidentService
from bot.playground import PLAYGROUND_SQLITE_PATH, Kept, add_playground, playground_banner
from bot.receivers.slack.app import build_slack_app
from bot.receivers.slack.block_actions import ActionReceiver
from bot.receivers.slack.endpoint import ENGINE, MAX_BODY_BYTES, SLACK_APP, VERIFIER, add_routes
from bot.receivers.slack.identity import SlackIdentity
from bot.receivers.slack.mentions import MentionReceiver
from bot.receivers.slack.modal_opener import ViewOpener
from bot.receivers.slack.replies import Replies
from bot.receivers.slack.slash import SlashReceiver
from bot.receivers.slack.submissions import ViewReceiver
from bot.runtime.clock import Clock, SystemClock
from bot.runtime.config_file import FirebreakConfig, load_config
from bot.runtime.settings import Settings
from bot.sla.scheduler import SlaScheduler
from storage.database import DEFAULT_SQLITE_PATH, create_engine, database_config
from storage.migrate import upgrade

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic

log = logging.getLogger(__name__)

SLACK_TIMEOUT_SECONDS = 10
# How long startup waits for Slack to say who the bot is; past it the bot serves anyway, and the
# identity arrives in the background (see bot.receivers.slack.identity).
IDENTITY_WAIT_SECONDS = 3.0


@dataclass
class Firebreak:
    """The running bot's parts, for the web app and for tests that look inside."""

    engine: AsyncEngine
    client: AsyncWebClient
    http: aiohttp.ClientSession
    dispatcher: Dispatcher
    scheduler: SlaScheduler
    service: IncidentService
    slack_app: AsyncApp
    identity: SlackIdentity

    async def close(self) -> None:
        await self.identity.stop()
        await self.scheduler.stop()
        await self.dispatcher.stop()
        await self.http.close()
        await self.engine.dispose()


async def assemble(settings: Settings, clock: Clock, config: FirebreakConfig) -> Firebreak:
    sqlite_path = PLAYGROUND_SQLITE_PATH if settings.playground else DEFAULT_SQLITE_PATH
    engine = create_engine(database_config(settings.database_url, sqlite_path, deployment=not settings.playground))
    await upgrade(engine)
    # Retries belong to the dispatcher, which records each attempt; the client must not retry too.
    client = AsyncWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=SLACK_TIMEOUT_SECONDS,
        retry_handlers=[],
    )
    http = aiohttp.ClientSession()
    runner = CommandRunner(engine, config.policy)
    writer = StakeholderWriter(_anthropic(settings), config.ai_model, CircuitBreaker(clock))
    effects = SlackEffects(settings.stakeholder_channel, ai_drafts=writer.enabled)
    senders = SenderRouter(
        SlackSender(client, engine, clock, http),
        {AI_DRAFT_UPDATE: DraftingSender(runner, effects, writer, clock)},
    )
    dispatcher = Dispatcher(
        engine,
        senders,
        clock,
        background_kinds=frozenset({AI_DRAFT_UPDATE}),
        on_failure=CardRefusals(runner, clock),
    )
    service = IncidentService(runner, effects, clock, dispatcher)
    scheduler = SlaScheduler(runner, effects, clock, dispatcher, tick=config.tick)
    verbs = Verbs(service)
    replies = Replies(service, client)
    view_opener = ViewOpener(pooled_client(client, http))
    identity = SlackIdentity(client)
    slack_app = build_slack_app(
        client,
        identity,
        mentions=MentionReceiver(service, verbs, replies),
        slash=SlashReceiver(service, verbs, view_opener),
        actions=ActionReceiver(service, verbs, replies, view_opener),
        views=ViewReceiver(service),
    )
    # Whatever a previous run committed but did not deliver goes out now.
    dispatcher.start()
    scheduler.start()
    await identity.start(wait=IDENTITY_WAIT_SECONDS)
    return Firebreak(engine, client, http, dispatcher, scheduler, service, slack_app, identity)


def _anthropic(settings: Settings) -> AsyncAnthropic | None:
    if not settings.anthropic_api_key:
        log.info("ANTHROPIC_API_KEY is not set: stakeholder updates are drafted from the template")
        return None
    # One quick retry inside the SDK; past that the draft falls back to the template at once.
    from anthropic import AsyncAnthropic  # only with a key: the SDK is a third of the bot's memory

    return AsyncAnthropic(
        api_key=settings.anthropic_api_key,
        base_url=settings.anthropic_base_url,
        max_retries=1,
        timeout=AI_TIMEOUT_SECONDS,
    )


FIREBREAK = web.AppKey("firebreak", Firebreak)


def web_application(
    settings: Settings, clock: Clock | None = None, config: FirebreakConfig | None = None
) -> web.Application:
    """The bot as an aiohttp app; ``config`` defaults to the file named by FIREBREAK_CONFIG."""
    config = config or load_config(settings.config_path)
    app = web.Application(client_max_size=MAX_BODY_BYTES)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        firebreak = await assemble(settings, clock or SystemClock(), config)
        app[FIREBREAK] = firebreak
        app[SLACK_APP] = firebreak.slack_app
        app[VERIFIER] = SignatureVerifier(settings.slack_signing_secret)
        app[ENGINE] = firebreak.engine
        socket_mode = None
        if settings.slack_app_token:
            socket_mode = AsyncSocketModeHandler(firebreak.slack_app, settings.slack_app_token)
            await socket_mode.connect_async()  # type: ignore[no-untyped-call]  # Bolt leaves it untyped
            log.info("connected to Slack in Socket Mode")
        log.info("Firebreak is up", extra={"port": settings.port, "socket_mode": settings.socket_mode})
        if settings.playground:
            log.info(playground_banner(settings))
        yield
        if socket_mode is not None:
            await socket_mode.close_async()  # type: ignore[no-untyped-call]
        await firebreak.close()
        log.info("Firebreak stopped")

    app.cleanup_ctx.append(lifecycle)
    add_routes(app)
    if settings.playground:
        # The incidents and the local Slack's cards of them are kept, and dropped, together.
        Kept.for_database(settings.database_url).keep_together(own_database=not settings.database_url)
        add_playground(app, settings, engine=lambda: app[FIREBREAK].engine)
    return app
