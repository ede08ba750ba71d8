"""IncidentService: what a request does to the store (events, outbox rows, request keys), which
incident it finds, how refusals reach people, and that the dispatcher is woken for what it queued."""

from __future__ import annotations

from typing import Any

import pytest

from bot.delivery import outbox_messages as out
from bot.handler.origin import UserError
from bot.handler.runner import Change, CommandRunner, Duplicate
from bot.handler.service import IncidentService
from domain import commands as cmd
from domain.incident import IncidentRef
from domain.lifecycle import Status
from domain.severity import Severity
from storage.lock_waits import Busy
from tests.bot.middle.support import ALICE, BOB, WORKSPACE, Wired, origin
from tests.builders import CHANNEL, declare_command
from tests.storage.helpers import applied

INC_1 = IncidentRef(WORKSPACE, 1)


async def test_declare_stores_the_incident_queues_its_card_for_the_requester_and_wakes_delivery(
    wired: Wired,
) -> None:
    change = await wired.declare("Checkout is down", Severity.SEV1)

    assert change.after.ref == INC_1
    stored = await wired.incident(1)
    assert (stored.title, stored.severity, stored.status) == ("Checkout is down", Severity.SEV1, Status.DECLARED)
    assert await wired.event_types(1) == ["declared"]
    [card] = await wired.queued()
    assert (card.kind, card.incident_id, card.payload["requested_by"]) == (out.POST_CARD, change.incident_id, ALICE)
    assert wired.waker.wakes == 1


async def test_a_declaration_sent_twice_is_stored_once(wired: Wired) -> None:
    command = declare_command(actor=ALICE, thread_ts=None)

    first = await wired.service.declare(origin(key="event:Ev1"), command)
    again = await wired.service.declare(origin(key="event:Ev1"), command)

    assert isinstance(first, Change)
    assert again == Duplicate("event:Ev1")
    assert await wired.service.open_incidents(WORKSPACE) == [await wired.service.target(origin(), 1)]
    assert await wired.queued_kinds() == [out.POST_CARD]


async def test_declaring_in_a_thread_that_is_already_an_incident_is_refused_for_people(wired: Wired) -> None:
    await wired.declare(thread_ts="1700000000.000100")

    with pytest.raises(UserError, match=r"This thread is already INC-1"):
        await wired.declare("Same thing again", thread_ts="1700000000.000100")

    assert [stored.incident.ref.number for stored in await wired.service.open_incidents(WORKSPACE)] == [1]


async def test_apply_records_the_change_and_queues_a_card_refresh_and_an_audit_line(wired: Wired) -> None:
    await wired.declare()
    wired.clock.advance(minutes=3)

    change = applied(await wired.service.apply(origin(BOB), INC_1, cmd.Acknowledge(actor=BOB)))

    assert change.after.status is Status.INVESTIGATING
    assert change.after.acknowledged_at == wired.clock.now()
    assert await wired.event_types(1) == ["declared", "acknowledged", "status_changed"]
    [_, refresh, audit] = await wired.queued()
    assert refresh.kind == out.REFRESH_CARD
    assert (audit.kind, audit.payload["text"]) == (
        out.THREAD_MESSAGE,
        f"<@{BOB}> acknowledged INC-1 (status → investigating)",
    )
    assert wired.waker.wakes == 2


async def test_a_change_sent_twice_is_applied_once(wired: Wired) -> None:
    await wired.declare()
    note = cmd.AddNote(actor=BOB, text="db failover started")

    await wired.service.apply(origin(BOB, key="slash:trigger-1"), INC_1, note)
    again = await wired.service.apply(origin(BOB, key="slash:trigger-1"), INC_1, note)

    assert again == Duplicate("slash:trigger-1")
    assert await wired.event_types(1) == ["declared", "note_added"]


async def test_a_domain_refusal_becomes_a_user_error_and_leaves_no_trace(wired: Wired) -> None:
    await wired.declare()
    await wired.service.apply(origin(), INC_1, cmd.Acknowledge(actor=ALICE))
    before = await wired.queued()

    with pytest.raises(UserError, match=r"^INC-1 is already acknowledged\.$"):
        await wired.service.apply(origin(key="action:2"), INC_1, cmd.Acknowledge(actor=BOB))

    assert await wired.queued() == before
    assert await wired.event_types(1) == ["declared", "acknowledged", "status_changed"]
    # The key was not claimed: the same request may be sent again once the refusal no longer holds.
    assert isinstance(
        await wired.service.apply(origin(key="action:2"), INC_1, cmd.AddNote(actor=BOB, text="x")), Change
    )


class _LockedRunner(CommandRunner):
    """A runner whose incident another replica keeps locked for longer than a request may wait."""

    async def execute(self, *args: Any, **kwargs: Any) -> Change | Duplicate:
        raise Busy("INC-1 is being changed by another request that has not finished; nothing was changed.")


async def test_a_busy_incident_becomes_a_user_error_saying_nothing_changed(wired: Wired) -> None:
    service = IncidentService(_LockedRunner(wired.engine), wired.effects, wired.clock, wired.waker)

    with pytest.raises(UserError, match=r"being changed by another request .* nothing was changed"):
        await service.apply(origin(), INC_1, cmd.Acknowledge(actor=ALICE))


async def test_apply_to_without_a_number_finds_the_channels_only_open_incident(wired: Wired) -> None:
    await wired.declare("Resolved already")
    await wired.service.apply(origin(), INC_1, cmd.Resolve(actor=ALICE))
    await wired.declare("Still burning")

    change = applied(await wired.service.apply_to(origin(), None, cmd.AddNote(actor=ALICE, text="looking")))

    assert change.after.ref.number == 2
    assert await wired.event_types(2) == ["declared", "note_added"]


async def test_apply_to_in_an_incident_thread_acts_on_that_thread_s_incident(wired: Wired) -> None:
    await wired.declare("First", thread_ts="1700000000.000100")
    await wired.declare("Second", thread_ts="1700000000.000200")

    in_thread = origin(thread_ts="1700000000.000100")
    change = applied(await wired.service.apply_to(in_thread, None, cmd.AddNote(actor=ALICE, text="here")))

    assert change.after.ref.number == 1


@pytest.mark.parametrize(
    ("number", "thread_ts", "refusal"),
    [
        pytest.param(None, None, r"This channel has 2 open incidents \(INC-1, INC-2\): say which one", id="two-open"),
        pytest.param(9, None, r"INC-9 doesn't exist in this workspace", id="unknown-number"),
        pytest.param(2, "1700000000.000100", r"This thread is INC-1, but you named INC-2", id="thread-mismatch"),
    ],
)
async def test_apply_to_refuses_when_the_request_does_not_say_which_incident(
    wired: Wired, number: int | None, thread_ts: str | None, refusal: str
) -> None:
    await wired.declare("First", thread_ts="1700000000.000100")
    await wired.declare("Second")

    with pytest.raises(UserError, match=refusal):
        await wired.service.apply_to(origin(thread_ts=thread_ts), number, cmd.AddNote(actor=ALICE, text="?"))

    assert await wired.event_types(1) == ["declared"]
    assert await wired.event_types(2) == ["declared"]


async def test_target_of_a_channel_without_incidents_says_how_to_declare_one(wired: Wired) -> None:
    with pytest.raises(UserError, match=r"There is no open incident in this channel.*`/incident declare <title>`"):
        await wired.service.target(origin(), None)


async def test_target_resolved_finds_the_resolved_incident_beside_an_open_one(wired: Wired) -> None:
    await wired.declare("Fixed")
    await wired.service.apply(origin(), INC_1, cmd.Resolve(actor=ALICE, summary="rolled back"))
    await wired.declare("Still open")

    assert (await wired.service.target(origin(), None, resolved=True)).incident.ref == INC_1
    reopened = applied(await wired.service.apply_to(origin(), None, cmd.Reopen(actor=BOB), resolved=True))
    assert reopened.after.status is Status.INVESTIGATING


async def test_queue_sends_a_reply_once_per_key(wired: Wired) -> None:
    reply = out.ephemeral(CHANNEL, ALICE, "Open incidents (0)")

    assert await wired.service.queue([reply], "event:Ev7:reply")
    assert not await wired.service.queue([reply], "event:Ev7:reply")

    assert await wired.queued_kinds() == [out.EPHEMERAL]
    assert wired.waker.wakes == 2


async def test_is_incident_thread_knows_incident_threads_only(wired: Wired) -> None:
    await wired.declare(thread_ts="1700000000.000100")

    assert await wired.service.is_incident_thread(origin(thread_ts="1700000000.000100"))
    assert not await wired.service.is_incident_thread(origin(thread_ts="1700000000.000999"))
    assert not await wired.service.is_incident_thread(origin())


async def test_history_and_listings_read_what_was_stored(wired: Wired) -> None:
    first = await wired.declare("First")
    await wired.service.apply(origin(), INC_1, cmd.Resolve(actor=ALICE))
    await wired.declare("Second")

    assert [item.seq for item in await wired.service.history(first.incident_id)] == [1, 2, 3]
    assert [s.incident.title for s in await wired.service.open_incidents(WORKSPACE)] == ["Second"]
    assert sorted(s.incident.title for s in await wired.service.recent_incidents(WORKSPACE)) == ["First", "Second"]
