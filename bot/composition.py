"""The composition root: settings in, a running bot out. Nothing is built at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.ai.asking import AI_TIMEOUT_SECONDS, ModelAsker
from bot.ai.breaker import CircuitBreaker
from bot.ai.catchup_writer import CatchUpWriter
from bot.ai.drafting import CatchUpSender, DraftingSender, PostmortemDraftingSender
from bot.ai.postmortem_writer import PostmortemWriter
from bot.ai.writer import StakeholderWriter
from bot.commands.verbs import Verbs
from bot.delivery.card_refusals import CardRefusals
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.effects import SlackEffects
from bot.delivery.outbox_messages import (
    AI_CATCH_UP,
    AI_DRAFT_POSTMORTEM,
    AI_DRAFT_UPDATE,
    FETCH_PINNED_MESSAGE,
    STATUS_EMAIL,
    STATUS_MAIL_FANOUT,
)
from bot.delivery.pinned_fetch import PinnedMessageFetcher
from bot.delivery.routing import SenderRouter
from bot.delivery.slack_sender import SlackSender, pooled_client
from bot.delivery.status_mail import MailOff, SmtpSender, StatusMailFanout
from bot.handler.alert_intake import ALERT_INTAKE, AlertIntake
from bot.handler.runner import CommandRunner
from bot.handler.service import IncidentService
from bot.playground import PLAYGROUND_SQLITE_PATH, Kept, add_playground, playground_banner
from bot.playground.mailbox import PLAYGROUND_FROM, PlaygroundMailbox
from bot.receivers.alerts.alert_routes import add_alerts
from bot.receivers.console import add_console
from bot.receivers.console.context import CONSOLE, Console
from bot.receivers.console.members import Members
from bot.receivers.metrics import add_metrics
from bot.receivers.slack.app import build_slack_app
from bot.receivers.slack.block_actions import ActionReceiver
from bot.receivers.slack.endpoint import ENGINE, MAX_BODY_BYTES, SLACK_APP, VERIFIER, add_routes
from bot.receivers.slack.identity import SlackIdentity
from bot.receivers.slack.mentions import MentionReceiver
from bot.receivers.slack.modal_opener import ViewOpener
from bot.receivers.slack.pins import PinReceiver
from bot.receivers.slack.replies import Replies
from bot.receivers.slack.slash import SlashReceiver
from bot.receivers.slack.submissions import ViewReceiver
from bot.receivers.status_page import STATUS_PAGE, StatusPage, add_status_page
from bot.receivers.status_page.board import StatusBoard
from bot.runtime.clock import Clock, SystemClock
from bot.runtime.config_file import FirebreakConfig, load_config
from bot.runtime.settings import ConfigError, Settings
from bot.runtime.signed_links import LinkSigner
from bot.sla.scheduler import SlaScheduler
from storage.change_feed import PostgresListener
from storage.database import DEFAULT_SQLITE_PATH, create_engine, database_config
from storage.migrate import upgrade

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic

log = logging.getLogger(__name__)

SLACK_TIMEOUT_SECONDS = 10
# How long startup waits for Slack to say who the bot is; past it the bot serves anyway, and the
# identity arrives in the background (see bot.receivers.slack.identity).
IDENTITY_WAIT_SECONDS = 3.0
# The playground's local Slack is this very server, which listens only once startup is over: asking
# it at once would fail (a warning in a new user's terminal) and hold startup for the whole wait.
PLAYGROUND_IDENTITY_DELAY_SECONDS = 0.3


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
    alerts: AlertIntake

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
    runner = CommandRunner(engine, config.policy, config.postmortem)
    # Every AI feature asks through one asker: one circuit breaker for the one API.
    asker = ModelAsker(_anthropic(settings), config.ai_model, CircuitBreaker(clock))
    effects = SlackEffects(
        settings.stakeholder_channel,
        ai_drafts=asker.enabled,
        status_mail=settings.status_email_on,
        services=config.services,
    )
    signer = LinkSigner(settings.link_secret)
    page_title = config.status_page.title
    senders = SenderRouter(
        # Cards link to the console where it is served (a CONSOLE_URL alone would lead to a page saying it is off).
        SlackSender(
            client,
            engine,
            clock,
            http,
            console_url=settings.console_url if settings.console_on else None,
            services=config.services,
        ),
        {
            AI_DRAFT_UPDATE: DraftingSender(runner, effects, StakeholderWriter(asker), clock),
            AI_DRAFT_POSTMORTEM: PostmortemDraftingSender(runner, effects, PostmortemWriter(asker), clock),
            AI_CATCH_UP: CatchUpSender(runner, CatchUpWriter(asker), clock),
            FETCH_PINNED_MESSAGE: PinnedMessageFetcher(pooled_client(client, http), runner, effects, clock),
            STATUS_MAIL_FANOUT: StatusMailFanout(engine, clock, signer, page_title, status_page_url(settings, config)),
            STATUS_EMAIL: (
                SmtpSender(settings.smtp_url, settings.status_email_from)
                if settings.smtp_url and settings.status_email_from
                else MailOff()
            ),
        },
    )
    dispatcher = Dispatcher(
        engine,
        senders,
        clock,
        background_kinds=frozenset({AI_DRAFT_UPDATE, AI_DRAFT_POSTMORTEM, AI_CATCH_UP, FETCH_PINNED_MESSAGE}),
        on_failure=CardRefusals(runner, clock),
    )
    service = IncidentService(runner, effects, clock, dispatcher, config.services)
    scheduler = SlaScheduler(runner, effects, clock, dispatcher, tick=config.tick)
    verbs = Verbs(service, console_on=settings.console_on, console_url=settings.console_url)
    replies = Replies(service, client)
    view_opener = ViewOpener(pooled_client(client, http))
    identity = SlackIdentity(client)
    # Alerts declare in the bot's workspace, known once Slack has answered auth.test.
    alerts = AlertIntake(
        runner,
        effects,
        clock,
        dispatcher,
        routing=config.alerts,
        workspace=lambda: identity.known.team_id if identity.known else None,
    )
    slack_app = build_slack_app(
        client,
        identity,
        mentions=MentionReceiver(service, verbs, replies),
        slash=SlashReceiver(service, verbs, view_opener),
        actions=ActionReceiver(service, verbs, replies, view_opener),
        views=ViewReceiver(service),
        pins=PinReceiver(service),
    )
    # Whatever a previous run committed but did not deliver goes out now.
    dispatcher.start()
    scheduler.start()
    if settings.playground:
        await identity.start(wait=0, after=PLAYGROUND_IDENTITY_DELAY_SECONDS)
    else:
        await identity.start(wait=IDENTITY_WAIT_SECONDS)
    return Firebreak(engine, client, http, dispatcher, scheduler, service, slack_app, identity, alerts)


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


def status_page_url(settings: Settings, config: FirebreakConfig) -> str:
    """Where people reach the status page: emailed links start there (SPEC §14)."""
    return config.status_page.url or settings.console_url or f"http://localhost:{settings.port}"


def _status_page(settings: Settings, config: FirebreakConfig, firebreak: Firebreak, clock: Clock) -> StatusPage:
    return StatusPage(
        engine=firebreak.engine,
        clock=clock,
        board=StatusBoard(firebreak.engine, clock, config.status_page.title),
        title=config.status_page.title,
        base_url=status_page_url(settings, config),
        signer=LinkSigner(settings.link_secret),
        email_on=settings.status_email_on,
        wake=firebreak.dispatcher.wake,
    )


def _listen_for_changes(engine: AsyncEngine) -> PostgresListener | None:
    """The console's live pages and the status page follow changes made by any replica
    (storage.change_feed); on SQLite, this process's own changes are all there are."""
    if engine.dialect.name != "postgresql":
        return None
    listener = PostgresListener(engine)
    listener.start()
    return listener


def _console(settings: Settings, firebreak: Firebreak, clock: Clock) -> Console:
    return Console(
        settings=settings,
        engine=firebreak.engine,
        service=firebreak.service,
        clock=clock,
        client=firebreak.client,
        members=Members(firebreak.client),
        workspace=lambda: firebreak.identity.known,
    )


async def _connect_socket_mode(slack_app: AsyncApp, app_token: str) -> AsyncSocketModeHandler:
    """The bot's Socket Mode connection (to Slack, or to the playground's local Slack)."""
    handler = AsyncSocketModeHandler(slack_app, app_token)
    await handler.connect_async()  # type: ignore[no-untyped-call]  # Bolt leaves it untyped
    log.info("connected to Slack in Socket Mode")
    return handler


def web_application(
    settings: Settings, clock: Clock | None = None, config: FirebreakConfig | None = None
) -> web.Application:
    """The bot as an aiohttp app; ``config`` defaults to the file named by FIREBREAK_CONFIG."""
    config = config or load_config(settings.config_path)
    if settings.alerts_token and config.alerts.channel is None:
        # An alert no route sends anywhere would be answered 200 and go nowhere: a silent loss.
        raise ConfigError(
            "Firebreak cannot start: ALERTS_TOKEN is set, but [alerts] channel is not, so an alert that "
            'matches no route would have no channel to declare its incident in. Set `channel = "C…"` '
            "under [alerts] in the FIREBREAK_CONFIG file (see README, 'Alerts in'), or unset ALERTS_TOKEN."
        )
    mailbox = None
    if settings.playground and not settings.status_email_on:
        # The status page's emails go to a mailbox the playground reads (bot.playground.mailbox).
        mailbox = PlaygroundMailbox()
        settings = replace(settings, smtp_url=mailbox.url, status_email_from=PLAYGROUND_FROM)
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    running_clock = clock or SystemClock()

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        firebreak = await assemble(settings, running_clock, config)
        app[FIREBREAK] = firebreak
        if settings.console_on:
            app[CONSOLE] = _console(settings, firebreak, running_clock)
        app[SLACK_APP] = firebreak.slack_app
        app[VERIFIER] = SignatureVerifier(settings.slack_signing_secret)
        app[ENGINE] = firebreak.engine
        app[ALERT_INTAKE] = firebreak.alerts
        app[STATUS_PAGE] = _status_page(settings, config, firebreak, running_clock)
        listener = _listen_for_changes(firebreak.engine)
        socket_mode = None
        if settings.slack_app_token:
            socket_mode = await _connect_socket_mode(firebreak.slack_app, settings.slack_app_token)
        log.info("Firebreak is up", extra={"port": settings.port, "socket_mode": settings.socket_mode})
        if settings.playground:
            log.info(playground_banner(settings))
        yield
        if socket_mode is not None:
            await socket_mode.close_async()  # type: ignore[no-untyped-call]
        if listener is not None:
            await listener.stop()
        await firebreak.close()
        log.info("Firebreak stopped")

    app.cleanup_ctx.append(lifecycle)
    # First: its middleware times every request, the console's session handling included.
    add_metrics(app, settings.metrics_token, engine=lambda: app[FIREBREAK].engine, clock=running_clock)
    add_routes(app)
    add_alerts(app, settings)
    add_console(app, settings)
    add_status_page(app)
    if settings.playground:
        # The incidents and the local Slack's cards of them are kept, and dropped, together.
        Kept.for_database(settings.database_url).keep_together(own_database=not settings.database_url)
        add_playground(
            app,
            settings,
            engine=lambda: app[FIREBREAK].engine,
            connect_bot=lambda app_token: _connect_socket_mode(app[FIREBREAK].slack_app, app_token),
            mailbox=mailbox,
        )
    return app
