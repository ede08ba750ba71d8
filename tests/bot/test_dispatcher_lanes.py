"""Delivery that is prompt under load (SPEC §2 "Card updates come first", §7): an incident's card
edit goes out while its thread messages are still going, and one incident's stuck send holds up
no other incident. Order within a thread is kept."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.delivery import outbox_messages as kinds
from bot.delivery.dispatcher import PARALLEL_LANES
from storage.stored import PendingDelivery
from tests.bot.dispatcher_support import Clock, RecordingSender, declare, dispatcher, note, write


def _thread_messages(delivery: PendingDelivery) -> bool:
    return delivery.kind == kinds.THREAD_MESSAGE


async def _posted_card(engine: AsyncEngine, workspace: str, clock: Clock) -> int:
    incident = await declare(engine, workspace, clock)
    await write(engine, clock, incident, kinds.post_card(incident))
    await dispatcher(engine, RecordingSender(), clock).deliver_due()
    return incident


async def test_a_card_edit_overtakes_the_thread_messages_queued_before_it(
    engine: AsyncEngine, workspace: str, clock: Clock
) -> None:
    incident = await _posted_card(engine, workspace, clock)
    slack_answers = asyncio.Event()
    sender = RecordingSender(gate=slack_answers, held=_thread_messages)
    running = dispatcher(engine, sender, clock)
    running.start()
    try:
        [first] = await write(engine, clock, incident, note(incident, "first"))
        running.wake()
        await sender.wait_for(1)  # the thread's first message is under way, and Slack is slow
        second, edit = await write(engine, clock, incident, note(incident, "second"), kinds.refresh_card(incident))
        running.wake()
        await sender.wait_for(2)

        assert sender.sent_ids == [first, edit], "the edit went out; the second line waits its turn"
        slack_answers.set()
        await sender.wait_for(3)
    finally:
        await running.stop()
    assert sender.sent_ids == [first, edit, second]


async def test_a_card_edit_waits_for_the_card_it_edits(engine: AsyncEngine, workspace: str, clock: Clock) -> None:
    incident = await declare(engine, workspace, clock)
    slack_answers = asyncio.Event()
    sender = RecordingSender(gate=slack_answers, held=lambda delivery: delivery.kind == kinds.POST_CARD)
    running = dispatcher(engine, sender, clock)
    running.start()
    try:
        [post] = await write(engine, clock, incident, kinds.post_card(incident))
        running.wake()
        await sender.wait_for(1)
        [edit] = await write(engine, clock, incident, kinds.refresh_card(incident))
        running.wake()
        await asyncio.sleep(0.3)
        assert sender.sent_ids == [post], "nothing to edit until the card is in Slack"
        slack_answers.set()
        await sender.wait_for(2)
    finally:
        await running.stop()
    assert sender.sent_ids == [post, edit]


async def test_one_incidents_stuck_send_holds_up_no_other_incident(
    engine: AsyncEngine, workspace: str, clock: Clock
) -> None:
    stuck, other = await declare(engine, workspace, clock), await declare(engine, workspace, clock)
    slack_answers = asyncio.Event()
    sender = RecordingSender(gate=slack_answers, held=lambda delivery: delivery.incident_id == stuck)
    running = dispatcher(engine, sender, clock)
    running.start()
    try:
        [hung] = await write(engine, clock, stuck, kinds.post_card(stuck))
        running.wake()
        await sender.wait_for(1)  # Slack does not answer this one
        card, line = await write(engine, clock, other, kinds.post_card(other), note(other, "acked"))
        running.wake()
        await sender.wait_for(3)

        assert sender.sent_ids == [hung, card, line], "the other incident went out meanwhile"
        slack_answers.set()
    finally:
        await running.stop()


async def test_more_stuck_threads_than_card_edit_places_hold_up_no_other_thread(
    engine: AsyncEngine, workspace: str, clock: Clock
) -> None:
    """A thread waiting for Slack (its channel's pace, or a call that hangs) holds no place another
    channel's message needs: only card edits, which hold a database connection, are counted."""
    stuck = {await declare(engine, workspace, clock) for _ in range(PARALLEL_LANES + 1)}
    other = await declare(engine, workspace, clock)
    slack_answers = asyncio.Event()
    sender = RecordingSender(gate=slack_answers, held=lambda delivery: delivery.incident_id in stuck)
    running = dispatcher(engine, sender, clock)
    running.start()
    try:
        for incident in stuck:
            await write(engine, clock, incident, note(incident, "waiting for Slack"))
        running.wake()
        await sender.wait_for(len(stuck))
        [line] = await write(engine, clock, other, note(other, "acked"))
        running.wake()
        await sender.wait_for(len(stuck) + 1)

        assert sender.sent_ids[-1] == line
        slack_answers.set()
    finally:
        await running.stop()


async def test_a_card_edited_again_within_the_spacing_waits_and_is_rendered_afresh(
    engine: AsyncEngine, workspace: str, clock: Clock
) -> None:
    """Twenty clicks in a second are not twenty chat.update calls: an edit asked for soon after the
    last one waits out the spacing, then shows the incident as it is by then."""
    spacing = 0.4
    incident, other = await _posted_card(engine, workspace, clock), await _posted_card(engine, workspace, clock)
    sender = RecordingSender()
    running = dispatcher(engine, sender, clock, card_edit_spacing=spacing)
    running.start()
    try:
        await write(engine, clock, incident, kinds.refresh_card(incident))
        running.wake()
        await sender.wait_for(1)
        first_sent = time.monotonic()
        await write(engine, clock, incident, kinds.refresh_card(incident))
        await write(engine, clock, other, kinds.refresh_card(other))
        running.wake()
        await sender.wait_for(2)
        other_sent = time.monotonic()
        await sender.wait_for(3)
        again_sent = time.monotonic()
    finally:
        await running.stop()

    first, other_edit, again = sender.sent
    assert (first.incident_id, other_edit.incident_id, again.incident_id) == (incident, other, incident)
    assert other_sent - first_sent < spacing, "another card's edit is not held up"
    assert again_sent - first_sent >= spacing * 0.9
    assert first.incident is not None
    assert again.incident is None, "the late edit reads the incident afresh"
