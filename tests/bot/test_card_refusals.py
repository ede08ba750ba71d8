"""The dispatcher and a refused card: the refusal is recorded through the command runner before the
row is settled, whoever asked for the card is told, and nothing is lost or repeated when recording
fails or the row is refused twice. A real database (both stores), the real Slack sender and the
fake Slack, as in test_dispatcher."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.delivery import outbox_messages as kinds
from bot.delivery.card_refusals import CardRefusals
from bot.delivery.outcomes import PermanentFailure, RetryLater
from bot.delivery.slack_sender import SlackSender
from bot.handler.origin import Origin
from bot.handler.runner import CommandRunner
from bot.local_slack import LocalSlack
from domain import events as ev
from storage.stored import PendingDelivery
from storage.unit_of_work import UnitOfWork
from tests.bot.dispatcher_support import CHANNEL, Clock, declare, dispatcher, note, row, write

ALICE = "U0ALICE"
LEASE = timedelta(seconds=60)


def declarer(workspace: str, response_url: str | None = None) -> Origin:
    return Origin(workspace, ALICE, CHANNEL, response_url=response_url)


async def refusals(engine: AsyncEngine, incident_id: int) -> list[ev.Event]:
    async with UnitOfWork(engine) as uow:
        return [item.event for item in await uow.events.history(incident_id) if item.event.type == "card_post_failed"]


async def test_a_refused_card_is_recorded_and_its_requester_told_before_the_row_settles(
    engine: AsyncEngine, workspace: str, clock: Clock, slack: LocalSlack, slack_sender: SlackSender
) -> None:
    slack.error("chat.postMessage", "not_in_channel", times=1)
    incident = await declare(engine, workspace, clock)
    url = slack.response_url("declare")
    [post] = await write(engine, clock, incident, kinds.post_card(incident, declarer(workspace, url)))
    deliver = dispatcher(engine, slack_sender, clock, on_failure=CardRefusals(CommandRunner(engine), clock))

    await deliver.deliver_due()  # the card, refused
    await deliver.deliver_due()  # the notice the refusal queued

    failed = await row(engine, post)
    assert (failed.failed_at, failed.attempts) == (clock.now(), 1)
    [refused] = await refusals(engine, incident)
    assert isinstance(refused, ev.CardPostFailed)
    assert (refused.error, refused.channel_id, refused.at) == ("not_in_channel", CHANNEL, clock.now())
    [notice] = slack.response_url_posts("declare")
    assert "Slack said `not_in_channel`" in notice.body["text"]


async def test_a_refusal_that_cannot_be_recorded_is_retried_not_settled(
    engine: AsyncEngine, workspace: str, clock: Clock, slack: LocalSlack, slack_sender: SlackSender
) -> None:
    slack.error("chat.postMessage", "channel_not_found", times=2)
    incident = await declare(engine, workspace, clock)
    [post] = await write(engine, clock, incident, kinds.post_card(incident, declarer(workspace)))

    async def unrecordable(_row: PendingDelivery, _failure: PermanentFailure) -> None:
        raise ConnectionResetError("the database went away")

    await dispatcher(engine, slack_sender, clock, on_failure=unrecordable).deliver_due()

    waiting = await row(engine, post)
    assert (waiting.failed_at, waiting.delivered_at) == (None, None), "settling it would lose the refusal"
    assert "not recorded: ConnectionResetError" in (waiting.last_error or "")
    assert await refusals(engine, incident) == []

    clock.current = waiting.next_attempt_at
    deliver = dispatcher(engine, slack_sender, clock, on_failure=CardRefusals(CommandRunner(engine), clock))
    await deliver.deliver_due()
    await deliver.deliver_due()

    assert (await row(engine, post)).failed_at is not None
    assert len(await refusals(engine, incident)) == 1
    [told] = slack.direct_messages(ALICE)
    assert "Slack said `channel_not_found`" in told.text


async def test_a_row_refused_again_after_a_crash_is_recorded_and_told_once(
    engine: AsyncEngine, workspace: str, clock: Clock
) -> None:
    incident = await declare(engine, workspace, clock)
    [post] = await write(engine, clock, incident, kinds.post_card(incident, declarer(workspace)))
    async with UnitOfWork(engine) as uow:
        [claimed] = await uow.outbox.claim_due(clock.now(), limit=10, lease=LEASE)
        stored = await uow.incidents.get_by_id(incident)
    assert claimed.id == post
    refused = PermanentFailure("slack 200 not_in_channel", code="not_in_channel")
    record = CardRefusals(CommandRunner(engine), clock)

    await record(replace(claimed, incident=stored), refused)
    clock.advance(LEASE.total_seconds())  # the bot died before settling the row; Slack refuses it again
    await record(replace(claimed, incident=stored), refused)

    assert len(await refusals(engine, incident)) == 1
    async with UnitOfWork(engine) as uow:
        queued = [
            r for r in await uow.outbox.claim_due(clock.now(), limit=10, lease=LEASE) if r.kind != kinds.POST_CARD
        ]
    assert [(r.kind, r.payload["user"]) for r in queued] == [(kinds.DIRECT_MESSAGE, ALICE)]


async def test_only_a_cards_refusal_is_recorded(engine: AsyncEngine, workspace: str, clock: Clock) -> None:
    incident = await declare(engine, workspace, clock)
    async with UnitOfWork(engine) as uow:
        stored = await uow.incidents.get_by_id(incident)
    line = PendingDelivery(0, incident, kinds.THREAD_MESSAGE, {"incident_id": incident}, None, 1, clock.now(), stored)

    await CardRefusals(CommandRunner(engine), clock)(line, PermanentFailure("slack 200 is_archived", "is_archived"))

    assert await refusals(engine, incident) == []


async def test_a_line_queued_while_the_card_was_refused_does_not_hold_back_the_card_asked_for_after_it(
    engine: AsyncEngine, workspace: str, clock: Clock, slack: LocalSlack, slack_sender: SlackSender
) -> None:
    slack.error("chat.postMessage", "not_in_channel", times=1)
    incident = await declare(engine, workspace, clock)
    await write(engine, clock, incident, kinds.post_card(incident))
    deliver = dispatcher(engine, slack_sender, clock, on_failure=CardRefusals(CommandRunner(engine), clock))
    await deliver.deliver_due()  # refused
    # A line from a change made meanwhile, then the card asked for again (the bot now invited).
    line, card = await write(engine, clock, incident, note(incident, "meanwhile"), kinds.post_card(incident))

    await deliver.deliver_due()

    settled = await row(engine, line)
    assert settled.failed_at is not None, "it has no thread to go to, and waiting would hold the card back"
    assert "no thread" in (settled.last_error or "")
    assert (await row(engine, card)).delivered_at is not None
    assert [m.text for m in slack.messages(CHANNEL)] == ["SEV2 INC-1 · Checkout is down (declared)"]


async def test_a_line_sent_while_another_replica_posts_the_card_waits_for_it(
    engine: AsyncEngine, workspace: str, clock: Clock, slack_sender: SlackSender
) -> None:
    incident = await declare(engine, workspace, clock)
    [post, line] = await write(engine, clock, incident, kinds.post_card(incident), note(incident, "ack"))
    async with UnitOfWork(engine) as uow:
        [leased] = await uow.outbox.claim_due(clock.now(), limit=1, lease=LEASE)  # the other replica
    assert leased.id == post
    claimed_meanwhile = PendingDelivery(
        line, incident, kinds.THREAD_MESSAGE, note(incident, "ack").payload, None, 1, clock.now()
    )

    with pytest.raises(RetryLater):
        await slack_sender.send(claimed_meanwhile)


async def test_audit_lines_merged_into_one_that_has_no_thread_fail_with_it(
    engine: AsyncEngine, workspace: str, clock: Clock, slack: LocalSlack, slack_sender: SlackSender
) -> None:
    slack.error("chat.postMessage", "not_in_channel", times=1)
    incident = await declare(engine, workspace, clock)
    post, *lines = await write(
        engine, clock, incident, kinds.post_card(incident), *(kinds.audit_line(incident, t) for t in ("a", "b", "c"))
    )

    await dispatcher(engine, slack_sender, clock).deliver_due()

    settled = [await row(engine, line) for line in lines]
    assert [(r.failed_at is not None, r.delivered_at, r.superseded_by) for r in settled] == [(True, None, None)] * 3
    assert all("no thread" in (r.last_error or "") for r in settled), "none of them went out"
    assert (await row(engine, post)).last_error == "slack 200 not_in_channel"
