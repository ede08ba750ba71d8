"""The real Slack sender under the dispatcher, against the fake Slack with a short client timeout:
timeouts, rate limits, server errors and refusals become retries or failures, recorded on the row."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.delivery import outbox_messages as kinds
from bot.delivery.slack_sender import SlackSender
from bot.local_slack import LocalSlack
from storage.unit_of_work import UnitOfWork
from tests.bot.dispatcher_support import CHANNEL, SHORT_TIMEOUT, Clock, declare, dispatcher, note, row, write


async def test_a_slack_timeout_is_retried_and_recorded(
    engine: AsyncEngine, workspace: str, clock: Clock, slack: LocalSlack, slack_sender: SlackSender
) -> None:
    slack.hang("chat.postMessage", seconds=SHORT_TIMEOUT + 1.0, times=1)
    incident = await declare(engine, workspace, clock)
    [post] = await write(engine, clock, incident, kinds.post_card(incident))
    deliver = dispatcher(engine, slack_sender, clock)

    async with asyncio.timeout(SHORT_TIMEOUT * 3):
        await deliver.deliver_due()  # gives up after the client timeout, not after Slack answers

    timed_out = await row(engine, post)
    assert timed_out.delivered_at is None
    assert timed_out.failed_at is None
    assert timed_out.attempts == 1
    assert "Timeout" in (timed_out.last_error or ""), timed_out.last_error
    assert 0.8 <= (timed_out.next_attempt_at - clock.now()).total_seconds() <= 1.2

    clock.current = timed_out.next_attempt_at
    await deliver.deliver_due()
    posted = await row(engine, post)
    assert posted.delivered_at is not None
    assert posted.attempts == 2
    await slack.wait_for(lambda s: len(s.calls_to("chat.postMessage")) == 2, timeout=SHORT_TIMEOUT * 4)
    # Calls are recorded when answered: the hung one shows up late, so order them by arrival.
    arrived = sorted(slack.calls_to("chat.postMessage"), key=lambda call: call.at)
    assert [c.status for c in arrived] == [504, 200]
    cards = [m for m in slack.messages(CHANNEL) if m.blocks]
    assert len(cards) == 1
    async with UnitOfWork(engine) as uow:
        stored = await uow.incidents.get_by_id(incident)
    assert stored is not None
    assert stored.card_ts == cards[0].ts


async def test_slack_rate_limit_becomes_retry_after(
    engine: AsyncEngine, workspace: str, clock: Clock, slack: LocalSlack, slack_sender: SlackSender
) -> None:
    slack.rate_limit("chat.postMessage", retry_after=7, times=1)
    incident = await declare(engine, workspace, clock)
    [post] = await write(engine, clock, incident, kinds.post_card(incident))
    deliver = dispatcher(engine, slack_sender, clock)

    await deliver.deliver_due()

    limited = await row(engine, post)
    assert limited.next_attempt_at == clock.now() + timedelta(seconds=7)
    assert limited.last_error == "slack 429 ratelimited"
    clock.advance(6.9)
    await deliver.deliver_due()
    assert len(slack.calls_to("chat.postMessage")) == 1
    clock.advance(0.1)
    await deliver.deliver_due()
    assert (await row(engine, post)).delivered_at is not None


@pytest.mark.parametrize(("status", "expected"), [(500, "slack 500 internal_error"), (503, "slack 503 internal_error")])
async def test_slack_5xx_is_retried(  # noqa: PLR0917 - fixtures
    engine: AsyncEngine,
    workspace: str,
    clock: Clock,
    slack: LocalSlack,
    slack_sender: SlackSender,
    status: int,
    expected: str,
) -> None:
    slack.fail("chat.postMessage", status=status, times=1)
    incident = await declare(engine, workspace, clock)
    [post] = await write(engine, clock, incident, kinds.post_card(incident))

    await dispatcher(engine, slack_sender, clock).deliver_due()

    retrying = await row(engine, post)
    assert (retrying.attempts, retrying.last_error, retrying.failed_at) == (1, expected, None)


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "is_archived", "invalid_auth"])
async def test_slack_refusals_fail_for_good(  # noqa: PLR0917 - fixtures
    engine: AsyncEngine,
    workspace: str,
    clock: Clock,
    slack: LocalSlack,
    slack_sender: SlackSender,
    error: str,
) -> None:
    slack.error("chat.postMessage", error, times=1)
    incident = await declare(engine, workspace, clock)
    post, audit = await write(engine, clock, incident, kinds.post_card(incident), note(incident, "after"))

    await dispatcher(engine, slack_sender, clock).deliver_due()

    failed = await row(engine, post)
    assert failed.failed_at is not None
    assert failed.last_error is not None
    assert error in failed.last_error
    # The card never made it, so the incident has no thread for its audit line: waiting for one
    # that may never come would retry forever, so it is settled too, saying why.
    settled = await row(engine, audit)
    assert settled.delivered_at is None
    assert settled.failed_at is not None
    assert "no thread" in (settled.last_error or "")
    assert len(slack.calls_to("chat.postMessage")) == 1
