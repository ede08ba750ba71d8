"""The outbox dispatcher against a real database (Postgres and SQLite, via the ``engine`` fixture),
with a recording sender standing in for Slack (the real sender's faults: test_slack_sender.py).

The databases are shared by the whole session, and the dispatcher claims every due row, so each
test runs on a clock of its own (see tests.bot.dispatcher_support.own_clock).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.delivery import outbox_messages as kinds
from bot.delivery.dispatcher import MAX_BACKOFF_SECONDS, backoff
from bot.delivery.outcomes import PermanentFailure, RetryLater
from storage.unit_of_work import UnitOfWork
from tests.bot.dispatcher_support import (
    Clock,
    RecordingSender,
    declare,
    dispatcher,
    note,
    row,
    rows,
    write,
)


# ---------------------------------------------------------------------- waking and sweeping
async def test_wake_delivers_without_waiting_for_the_sweep(engine: AsyncEngine, workspace: str, clock: Clock) -> None:
    sender = RecordingSender()
    running = dispatcher(engine, sender, clock)
    running.start()
    try:
        await running.swept()  # the start-up sweep has run; the next is an hour away
        incident = await declare(engine, workspace, clock)
        [delivery_id] = await write(engine, clock, incident, kinds.post_card(incident))

        running.wake()
        await sender.wait_for(1, timeout=2.0)
    finally:
        await running.stop()

    assert sender.sent_ids == [delivery_id]
    assert (await row(engine, delivery_id)).delivered_at == clock.now()


async def test_without_a_wake_nothing_goes_out_before_the_sweep(
    engine: AsyncEngine, workspace: str, clock: Clock
) -> None:
    """The control for the wake test: the row really was waiting for the wake."""
    sender = RecordingSender()
    running = dispatcher(engine, sender, clock)
    running.start()
    try:
        await running.swept()
        incident = await declare(engine, workspace, clock)
        await write(engine, clock, incident, kinds.post_card(incident))
        await asyncio.sleep(0.5)
        assert sender.sent == []
        assert running.sweeps == 1
    finally:
        await running.stop()


async def test_start_delivers_what_was_written_while_stopped(engine: AsyncEngine, workspace: str, clock: Clock) -> None:
    incident = await declare(engine, workspace, clock)
    written = await write(engine, clock, incident, kinds.post_card(incident), note(incident, "acked"))
    sender = RecordingSender()
    running = dispatcher(engine, sender, clock)

    running.start()  # no wake: the start-up sweep finds them
    try:
        await sender.wait_for(2)
    finally:
        await running.stop()

    assert sender.sent_ids == written


async def test_the_periodic_sweep_picks_up_rows_nobody_woke_it_for(
    engine: AsyncEngine, workspace: str, clock: Clock
) -> None:
    sender = RecordingSender()
    running = dispatcher(engine, sender, clock, sweep_interval=0.05)
    running.start()
    try:
        await running.swept()
        incident = await declare(engine, workspace, clock)
        written = await write(engine, clock, incident, kinds.post_card(incident))
        await sender.wait_for(1)
    finally:
        await running.stop()
    assert sender.sent_ids == written
    assert running.sweeps >= 2, "found by a later sweep, not the start-up one"


async def test_stop_leaves_undelivered_rows_for_the_next_start(
    engine: AsyncEngine, workspace: str, clock: Clock
) -> None:
    sender = RecordingSender()
    running = dispatcher(engine, sender, clock)
    running.start()
    await running.stop()
    incident = await declare(engine, workspace, clock)
    written = await write(engine, clock, incident, kinds.post_card(incident))
    running.wake()  # stopped: nothing happens
    await asyncio.sleep(0.1)
    assert sender.sent == []

    running.start()
    try:
        await sender.wait_for(1)
    finally:
        await running.stop()
    assert sender.sent_ids == written


async def test_stop_cuts_off_a_send_stuck_on_slack(engine: AsyncEngine, workspace: str, clock: Clock) -> None:
    sender = RecordingSender(gate=asyncio.Event())
    running = dispatcher(engine, sender, clock)
    running.start()
    incident = await declare(engine, workspace, clock)
    [delivery_id] = await write(engine, clock, incident, kinds.post_card(incident))
    running.wake()
    await sender.wait_for(1)

    started = asyncio.get_running_loop().time()
    await running.stop(timeout=0.2)

    assert asyncio.get_running_loop().time() - started < 1.0
    stuck = await row(engine, delivery_id)
    assert (stuck.delivered_at, stuck.failed_at) == (None, None), "left in the outbox for the next start"
    assert stuck.next_attempt_at > clock.now(), "still leased: a send may be under way in Slack"


# ---------------------------------------------------------------------- order and coalescing
async def test_an_incidents_rows_go_out_in_the_order_written(engine: AsyncEngine, workspace: str, clock: Clock) -> None:
    first, second = await declare(engine, workspace, clock), await declare(engine, workspace, clock)
    a = await write(engine, clock, first, kinds.post_card(first), note(first, "a1"), note(first, "a2"))
    b = await write(engine, clock, second, kinds.post_card(second), note(second, "b1"))
    sender = RecordingSender()

    assert await dispatcher(engine, sender, clock).deliver_due() == 5

    sent = sender.sent_ids
    assert sorted(sent) == sorted(a + b)
    assert [i for i in sent if i in a] == a
    assert [i for i in sent if i in b] == b
    assert sender.locked in ([first, second], [second, first]), "card sends hold the card lock"


async def test_pending_refreshes_of_one_card_coalesce_into_one_send(
    engine: AsyncEngine, workspace: str, clock: Clock
) -> None:
    incident = await declare(engine, workspace, clock)
    [post] = await write(engine, clock, incident, kinds.post_card(incident))
    refreshes = [(await write(engine, clock, incident, kinds.refresh_card(incident)))[0] for _ in range(4)]
    sender = RecordingSender()

    await dispatcher(engine, sender, clock).deliver_due()

    assert sender.sent_ids == [post, refreshes[-1]], "the card is posted, then refreshed once"
    settled = await rows(engine, refreshes)
    assert [r.superseded_by for r in settled] == [refreshes[-1]] * 3 + [None]
    assert all(r.delivered_at is not None for r in settled)
    assert (await row(engine, post)).superseded_by is None


async def test_a_refresh_never_supersedes_the_card_post(engine: AsyncEngine, workspace: str, clock: Clock) -> None:
    """The post fails for now; the refresh queued behind it must wait, not settle the post."""
    incident = await declare(engine, workspace, clock)
    post, refresh = await write(engine, clock, incident, kinds.post_card(incident), kinds.refresh_card(incident))
    sender = RecordingSender(script={post: [RetryLater("slack 500", delay=5)]})
    deliver = dispatcher(engine, sender, clock)

    await deliver.deliver_due()
    assert sender.sent_ids == [post]
    assert (await row(engine, post)).delivered_at is None
    assert (await row(engine, refresh)).delivered_at is None

    clock.advance(5)
    await deliver.deliver_due()
    assert sender.sent_ids == [post, post, refresh]


async def test_a_delivered_row_is_never_sent_again(engine: AsyncEngine, workspace: str, clock: Clock) -> None:
    incident = await declare(engine, workspace, clock)
    [delivery_id] = await write(engine, clock, incident, note(incident, "posted once"))
    sender = RecordingSender()
    deliver = dispatcher(engine, sender, clock, lease=timedelta(seconds=60))

    await deliver.deliver_due()
    clock.advance(3600)  # long past any lease
    await deliver.deliver_due()

    assert sender.sent_ids == [delivery_id]
    async with UnitOfWork(engine) as uow:
        assert await uow.outbox.mark_delivered(delivery_id, clock.now(), {"again": True}) is False
        assert await uow.outbox.claim_due(clock.now(), limit=100, lease=timedelta(seconds=60)) == []
    delivered = await row(engine, delivery_id)
    assert delivered.result == {"ok": True, "id": delivery_id}, "the first result stands"
    assert delivered.attempts == 1


async def test_mark_delivered_settles_a_row_exactly_once(engine: AsyncEngine, workspace: str, clock: Clock) -> None:
    incident = await declare(engine, workspace, clock)
    [delivery_id] = await write(engine, clock, incident, note(incident, "x"))
    async with UnitOfWork(engine) as uow:
        assert await uow.outbox.mark_delivered(delivery_id, clock.now(), {"ts": "1"}) is True
    async with UnitOfWork(engine) as uow:
        assert await uow.outbox.mark_delivered(delivery_id, clock.now(), {"ts": "2"}) is False
    assert (await row(engine, delivery_id)).result == {"ts": "1"}


async def test_a_crashed_claim_is_delivered_after_its_lease(engine: AsyncEngine, workspace: str, clock: Clock) -> None:
    """A replica that claimed a row and died: the row goes out once the lease runs out, not before."""
    incident = await declare(engine, workspace, clock)
    [delivery_id] = await write(engine, clock, incident, note(incident, "x"))
    async with UnitOfWork(engine) as uow:
        [claimed] = await uow.outbox.claim_due(clock.now(), limit=10, lease=timedelta(seconds=30))
    assert claimed.id == delivery_id
    sender = RecordingSender()
    deliver = dispatcher(engine, sender, clock)

    clock.advance(29)
    await deliver.deliver_due()
    assert sender.sent == []
    clock.advance(1)
    await deliver.deliver_due()
    assert sender.sent_ids == [delivery_id]
    assert (await row(engine, delivery_id)).attempts == 2


# ---------------------------------------------------------------------- failures
async def test_retry_later_holds_the_incidents_later_rows_only(
    engine: AsyncEngine, workspace: str, clock: Clock
) -> None:
    held, other = await declare(engine, workspace, clock), await declare(engine, workspace, clock)
    a = await write(engine, clock, held, kinds.post_card(held), note(held, "a1"), note(held, "a2"))
    b = await write(engine, clock, other, kinds.post_card(other), note(other, "b1"))
    sender = RecordingSender(script={a[0]: [RetryLater("slack 429 ratelimited", delay=30)]})
    deliver = dispatcher(engine, sender, clock)

    await deliver.deliver_due()

    assert [i for i in sender.sent_ids if i in a] == [a[0]], "nothing of the held incident after the failure"
    assert [i for i in sender.sent_ids if i in b] == b, "the other incident is not held"
    failed, *behind = await rows(engine, a)
    assert failed.attempts == 1
    assert failed.last_error == "slack 429 ratelimited"
    assert failed.next_attempt_at == clock.now() + timedelta(seconds=30)
    assert [r.attempts for r in behind] == [0, 0], "claimed but never tried: not counted as attempts"

    # Rows written for the held incident meanwhile wait behind it too.
    [late] = await write(engine, clock, held, note(held, "a3"))
    clock.advance(29)
    sender.sent.clear()
    await deliver.deliver_due()
    assert sender.sent == []

    clock.advance(1)
    await deliver.deliver_due()
    assert sender.sent_ids == [*a, late]
    assert all(r.delivered_at is not None for r in await rows(engine, [*a, late]))


async def test_retry_without_retry_after_backs_off(engine: AsyncEngine, workspace: str, clock: Clock) -> None:
    incident = await declare(engine, workspace, clock)
    [delivery_id] = await write(engine, clock, incident, note(incident, "x"))
    sender = RecordingSender(script={delivery_id: [RetryLater("slack 500 internal_error")] * 4})
    deliver = dispatcher(engine, sender, clock)

    waits = []
    for _ in range(4):
        await deliver.deliver_due()
        pending = await row(engine, delivery_id)
        waits.append((pending.next_attempt_at - clock.now()).total_seconds())
        assert pending.last_error == "slack 500 internal_error"
        clock.current = pending.next_attempt_at

    for attempt, wait in enumerate(waits, start=1):
        assert 0.8 * 2 ** (attempt - 1) <= wait <= 1.2 * 2 ** (attempt - 1), waits
    await deliver.deliver_due()
    done = await row(engine, delivery_id)
    assert done.delivered_at is not None
    assert done.attempts == 5
    assert done.last_error is None


async def test_a_sender_bug_is_retried_not_lost(engine: AsyncEngine, workspace: str, clock: Clock) -> None:
    incident = await declare(engine, workspace, clock)
    first, second = await write(engine, clock, incident, note(incident, "x"), note(incident, "y"))
    sender = RecordingSender(script={first: [KeyError("incident_id")]})
    deliver = dispatcher(engine, sender, clock)

    await deliver.deliver_due()
    broken = await row(engine, first)
    assert broken.delivered_at is None
    assert broken.failed_at is None
    assert broken.last_error is not None
    assert "KeyError" in broken.last_error

    clock.current = broken.next_attempt_at
    await deliver.deliver_due()
    assert sender.sent_ids == [first, first, second]


async def test_permanent_failure_marks_the_row_failed_and_delivery_goes_on(
    engine: AsyncEngine, workspace: str, clock: Clock
) -> None:
    gone, other = await declare(engine, workspace, clock), await declare(engine, workspace, clock)
    a = await write(engine, clock, gone, kinds.post_card(gone), note(gone, "a1"))
    b = await write(engine, clock, other, kinds.post_card(other))
    sender = RecordingSender(script={a[0]: [PermanentFailure("slack 200 channel_not_found")]})
    deliver = dispatcher(engine, sender, clock)

    await deliver.deliver_due()

    failed = await row(engine, a[0])
    assert failed.failed_at == clock.now()
    assert failed.delivered_at is None
    assert failed.last_error == "slack 200 channel_not_found"
    assert sorted(sender.sent_ids) == sorted(a + b), "a row that failed for good does not hold anything back"

    clock.advance(3600)
    sender.sent.clear()
    await deliver.deliver_due()
    assert sender.sent == [], "a failed row is never retried"


def test_backoff_grows_and_is_capped() -> None:
    for attempts in range(1, 9):
        low, high = 0.8 * 2 ** (attempts - 1), 1.2 * 2 ** (attempts - 1)
        samples = [backoff(attempts) for _ in range(50)]
        assert all(low <= s <= high for s in samples), (attempts, min(samples), max(samples))
    assert min(backoff(9) for _ in range(50)) > max(backoff(3) for _ in range(50))
    for attempts in (10, 20, 100, 10_000):
        samples = [backoff(attempts) for _ in range(50)]
        assert all(0.8 * MAX_BACKOFF_SECONDS <= s <= 1.2 * MAX_BACKOFF_SECONDS for s in samples)
    assert 0.8 <= backoff(0) <= 1.2, "a row never claimed still waits a moment"
    assert len({round(backoff(5), 6) for _ in range(20)}) > 1, "jittered, so replicas do not retry in step"
