"""Slack misbehaving while the bot delivers: retries of the same event, 5xx, 429 with Retry-After,
permanent errors, and the order of an incident's messages (SPEC §7).

The dispatcher's own timing (backoff, sweeps) is real here, so these tests wait real seconds;
the timeout path is exercised with a short client timeout in tests/bot/test_dispatcher.py.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.delivery import outbox_messages as kinds
from bot.delivery.dispatcher import backoff
from bot.local_slack import Call, LocalSlack, payloads
from domain.lifecycle import Status
from storage.schema import incidents, outbox
from tests.e2e.harness import ALICE, BOB, CHANNEL, BotUnderTest

OTHER_CHANNEL = "C0OTHER"


@dataclass(frozen=True)
class OutboxRow:
    id: int
    incident_id: int | None
    kind: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime
    delivered_at: datetime | None
    failed_at: datetime | None
    superseded_by: int | None


async def outbox_rows(bot: BotUnderTest, kind: str | None = None) -> list[OutboxRow]:
    query = select(outbox).order_by(outbox.c.id)
    if kind is not None:
        query = query.where(outbox.c.kind == kind)
    async with bot.observer.connect() as connection:
        rows = (await connection.execute(query)).mappings().all()
    return [
        OutboxRow(
            r["id"],
            r["incident_id"],
            r["kind"],
            r["attempts"],
            r["last_error"],
            r["next_attempt_at"],
            r["delivered_at"],
            r["failed_at"],
            r["superseded_by"],
        )
        for r in rows
    ]


async def wait_for_row(bot: BotUnderTest, kind: str, check: Any, timeout: float = 5.0, what: str = "") -> OutboxRow:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while True:
        rows = [row for row in await outbox_rows(bot, kind) if check(row)]
        if rows:
            return rows[0]
        if time.monotonic() > deadline:
            raise AssertionError(
                f"no {kind} row {what} within {timeout}s: {await outbox_rows(bot)}\n{bot.slack.summary()}"
            )
        await asyncio.sleep(0.02)


def card_posts(slack: LocalSlack) -> list[Call]:
    """Every chat.postMessage that carried an incident card (blocks with the header)."""
    return [
        call
        for call in slack.calls_to("chat.postMessage")
        if isinstance(call.args.get("blocks"), list | str)
        and "INC-" in str(call.args.get("blocks"))
        and "header" in str(call.args.get("blocks"))
    ]


def mention_event(bot: BotUnderTest, text: str, *, thread_ts: str | None = None) -> dict[str, Any]:
    event, _ = payloads.mention_event(bot.slack.state, user=ALICE, channel=CHANNEL, text=text, thread_ts=thread_ts)
    return event


async def incident_count(bot: BotUnderTest) -> int:
    async with bot.observer.connect() as connection:
        query = select(func.count()).select_from(incidents).where(incidents.c.workspace_id == bot.workspace)
        return int((await connection.execute(query)).scalar_one())


# ---------------------------------------------------------------------- Slack's own retries
async def test_a_slack_retry_of_the_same_event_applies_once(bot: BotUnderTest, slack: LocalSlack) -> None:
    event = mention_event(bot, "checkout is failing sev1")
    event_id = payloads.new_event_id()

    first = await bot.send_event(event, event_id=event_id)
    retry = await bot.send_event(event, event_id=event_id, retry=1)
    second_retry = await bot.send_event(event, event_id=event_id, retry=2)

    assert (first.status, retry.status, second_retry.status) == (200, 200, 200)
    await bot.card(1)
    await bot.settle()
    assert await incident_count(bot) == 1
    assert len(card_posts(slack)) == 1, slack.summary()
    assert [c.method for c in slack.calls if c.method != "auth.test"] == ["chat.postMessage"], slack.summary()


async def test_a_retry_arriving_while_the_original_is_in_flight_applies_once(
    bot: BotUnderTest, slack: LocalSlack
) -> None:
    """Slack retries after 3 s without an ack: the retry can overlap the original request."""
    event = mention_event(bot, "payments are timing out sev2")
    event_id = payloads.new_event_id()

    responses = await asyncio.gather(
        bot.send_event(event, event_id=event_id),
        bot.send_event(event, event_id=event_id, retry=1),
        bot.send_event(event, event_id=event_id, retry=2),
    )

    assert [r.status for r in responses] == [200, 200, 200]
    await bot.card(1)
    await bot.settle()
    assert await incident_count(bot) == 1
    assert len(card_posts(slack)) == 1, slack.summary()


# ---------------------------------------------------------------------- 5xx
@pytest.mark.slow
async def test_slack_5xx_delays_the_card_but_does_not_lose_it(bot: BotUnderTest, slack: LocalSlack) -> None:
    slack.fail("chat.postMessage", status=500, times=3)

    started = time.monotonic()
    response, _ = await bot.mention("search results are empty sev2")
    assert response.status == 200
    assert time.monotonic() - started < 3.0, "Slack's trouble must not hold up the ack"
    assert await incident_count(bot) == 1, "committed before the ack, whatever Slack does"

    # While Slack fails, the row says so: how many attempts, and what went wrong.
    failing = await wait_for_row(bot, kinds.POST_CARD, lambda r: r.attempts >= 1 and r.last_error, what="failing")
    assert failing.delivered_at is None
    assert failing.failed_at is None
    assert "500" in (failing.last_error or "")

    card = await bot.card(1, within=15.0)
    await bot.settle()
    attempts = slack.calls_to("chat.postMessage")
    assert [c.status for c in attempts] == [500, 500, 500, 200], slack.summary()
    assert card.ts == attempts[-1].response["ts"]
    # Backoff: 1 s, 2 s, 4 s (each ±20 %), never sooner.
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(attempts)]
    for n, gap in enumerate(gaps, start=1):
        assert gap >= 0.8 * 2 ** (n - 1), f"attempt {n + 1} came {gap:.2f}s after attempt {n}"
    [row] = await outbox_rows(bot, kinds.POST_CARD)
    assert row.attempts == 4
    assert row.delivered_at is not None
    assert len([m for m in slack.thread(CHANNEL, card.thread_ts or "") if m.blocks]) == 1


async def test_a_brief_5xx_is_retried_promptly(bot: BotUnderTest, slack: LocalSlack) -> None:
    slack.fail("chat.postMessage", status=503, times=1)
    await bot.mention("grafana is down sev3")
    card = await bot.card(1, within=5.0)
    attempts = slack.calls_to("chat.postMessage")
    assert [c.status for c in attempts] == [503, 200]
    assert 0.8 <= attempts[1].at - attempts[0].at < 3.5
    assert card.ts == attempts[1].response["ts"]


# ---------------------------------------------------------------------- 429
async def test_rate_limited_delivery_waits_for_retry_after(bot: BotUnderTest, slack: LocalSlack) -> None:
    # 2 s: longer than the first backoff step (≤1.2 s), so only honouring Retry-After passes.
    slack.rate_limit("chat.postMessage", retry_after=2, times=1)

    await bot.mention("api latency sev2")

    limited = await wait_for_row(bot, kinds.POST_CARD, lambda r: r.last_error, what="rate limited")
    assert limited.attempts == 1
    assert "429" in (limited.last_error or "")
    assert "ratelimited" in (limited.last_error or "")
    card = await bot.card(1, within=6.0)
    first, second = slack.calls_to("chat.postMessage")
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 2.0, f"retried {second.at - first.at:.2f}s after a Retry-After of 2 s"
    assert card.ts == second.response["ts"]


async def test_a_rate_limited_card_update_is_retried_after_retry_after(bot: BotUnderTest, slack: LocalSlack) -> None:
    await bot.mention("queue backlog growing sev3")
    card = await bot.card(1)
    await bot.settle()
    slack.rate_limit("chat.update", retry_after=1, times=1)

    response = await bot.click(card, "incident.ack", user=BOB)
    assert response.status == 200

    await slack.wait_for(lambda s: [c for c in s.calls_to("chat.update") if c.ok], timeout=5.0)
    first, second = slack.calls_to("chat.update")
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 1.0
    await bot.settle()
    assert (await bot.incident(1)).status is Status.INVESTIGATING
    updated = slack.message(card.channel, card.ts)
    assert updated is not None
    assert updated.edited_ts is not None


# ---------------------------------------------------------------------- permanent errors
async def test_a_permanent_error_fails_the_row_and_later_incidents_still_go_out(
    bot: BotUnderTest, slack: LocalSlack
) -> None:
    slack.error("chat.postMessage", "channel_not_found", times=1)

    await bot.mention("db failover sev1")
    failed = await wait_for_row(bot, kinds.POST_CARD, lambda r: r.failed_at is not None, what="failed")
    assert failed.attempts == 1, "a permanent error is not retried"
    assert "channel_not_found" in (failed.last_error or "")

    await bot.mention("cdn errors sev2", channel=OTHER_CHANNEL)
    second = await bot.card(2)
    assert second.channel == OTHER_CHANNEL
    await bot.settle()
    await asyncio.sleep(1.5)  # a sweep or two: the failed row stays failed
    posts = slack.calls_to("chat.postMessage")
    assert [c.args["channel"] for c in posts] == [CHANNEL, ALICE, OTHER_CHANNEL], slack.summary()
    assert "channel_not_found" in posts[1].args["text"], "the declarer is told, directly, why"
    assert (await bot.stored(1)).card_ts is None
    [first_row, second_row] = await outbox_rows(bot, kinds.POST_CARD)
    assert first_row.failed_at is not None
    assert first_row.attempts == 1
    assert second_row.delivered_at is not None


# ---------------------------------------------------------------------- ordering
async def test_an_audit_line_never_overtakes_its_card(bot: BotUnderTest, slack: LocalSlack) -> None:
    """The card fails once; meanwhile someone acks in the thread. The ack's audit line is queued
    after the card and must reach the thread after it, however the retries fall."""
    slack.fail("chat.postMessage", status=500, times=1)
    response, root = await bot.mention("orders stuck in pending sev2")
    assert response.status == 200
    await slack.wait_for(lambda s: s.calls_to("chat.postMessage"), what="the first (failing) card post")

    ack, _ = await bot.mention("ack", user=BOB, thread_ts=root.ts)
    assert ack.status == 200
    assert (await bot.incident(1)).status is Status.INVESTIGATING

    card = await bot.card(1, within=6.0)
    await bot.settle(within=6.0)
    posted = [c for c in slack.calls_to("chat.postMessage") if c.ok]
    assert len(posted) == 2, slack.summary()
    assert posted[0].response["ts"] == card.ts, f"the card went out first\n{slack.summary()}"
    thread = [m for m in slack.thread(CHANNEL, root.ts) if m.bot_id]
    assert next(m.ts for m in thread) == card.ts, "the card is the bot's first message in the thread"
    assert "acknowledged" in thread[1].text.lower() or "investigating" in thread[1].text.lower(), thread[1].text
    # The card shows the state after the ack, whether posted that way or edited since.
    shown = slack.message(CHANNEL, card.ts)
    assert shown is not None
    assert "Investigating" in str(shown.blocks)


async def test_an_incident_held_by_retries_does_not_hold_other_incidents(bot: BotUnderTest, slack: LocalSlack) -> None:
    slack.rate_limit("chat.postMessage", retry_after=3, times=1)
    await bot.mention("first incident sev2")
    await slack.wait_for(lambda s: s.calls_to("chat.postMessage"), what="the rate-limited card post")

    started = time.monotonic()
    await bot.mention("second incident sev2", channel=OTHER_CHANNEL)
    await bot.card(2, within=2.0)
    assert time.monotonic() - started < 2.0, "the second incident did not wait for the first one's retry"
    assert (await bot.stored(1)).card_ts is None, "the first one is still waiting for its Retry-After"
    await bot.card(1, within=5.0)
    assert backoff(1) <= 1.2  # sanity: the 3 s wait above came from Retry-After, not from backoff
