"""Group commit: commands submitted together share transactions, and each still gets its own answer.

Every test runs on Postgres and on SQLite (see the ``engine`` fixture), except where a mechanism
exists on Postgres only. The instruments are in :mod:`tests.storage.group_commit_support`.
"""

from __future__ import annotations

import asyncio
from itertools import pairwise

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handler.runner import MAX_BATCH, Change, CommandRunner, Duplicate
from domain.commands import ChangeSeverity, IncidentCommand, Reopen, Resolve
from domain.errors import InvalidTransition, NothingToChange, UnknownIncident
from domain.incident import Incident, IncidentRef
from domain.severity import Severity
from storage.unit_of_work import UnitOfWork
from tests.builders import at
from tests.storage.group_commit_support import (
    Boom,
    HeldLock,
    NoSingleIncident,
    change_of,
    consistent_timeline,
    counting_statements,
    counting_transactions,
    declare_in,
    declare_many,
    exploding_effect,
    finder,
    incident_reads,
    note,
    notes_in,
    outbox_seqs,
    queue_behind,
    timeline,
    together,
)
from tests.storage.helpers import card_effect, count_rows, declare

# --- batching ----------------------------------------------------------------------------------


async def test_concurrent_commands_on_different_incidents_share_transactions(
    engine: AsyncEngine, workspace: str
) -> None:
    runner = CommandRunner(engine)
    declared = await declare_many(runner, workspace, 10)
    jobs = [(declared[i % 10], f"note {i}") for i in range(40)]

    with counting_transactions(engine) as transactions:
        results = await together(
            *(
                runner.execute(target.after.ref, note(text), now=at(1 + i / 100), effects=card_effect)
                for i, (target, text) in enumerate(jobs)
            )
        )

    # Four notes on each of ten incidents: one transaction, not forty.
    assert (transactions.begun, transactions.committed) == (1, 1)
    changes = [change_of(result) for result in results]
    for target in declared:
        history = await consistent_timeline(engine, target)
        # Every note applied exactly once, in the order it was submitted.
        assert notes_in(history) == [text for incident, text in jobs if incident is target]
        answered = sorted(item.seq for c in changes if c.incident_id == target.incident_id for item in c.events)
        assert answered == [item.seq for item in history[1:]]


async def test_commands_arriving_during_a_transaction_share_the_next_one(engine: AsyncEngine, workspace: str) -> None:
    runner = CommandRunner(engine)
    first, *others = await declare_many(runner, workspace, 6)

    async with HeldLock(engine, first.incident_id) as held:
        with counting_transactions(engine) as transactions:
            in_flight = asyncio.ensure_future(runner.execute(first.after.ref, note("held"), now=at(1)))
            await held.reached()
            waiting = await queue_behind(*(runner.execute(d.after.ref, note("waiting"), now=at(2)) for d in others))
            assert transactions.committed == 0
            await held.release()
            results = await together(in_flight, *waiting)

    # The command in flight alone, then the five that queued behind it, together.
    assert (transactions.begun, transactions.committed) == (2, 2)
    for target, result in zip([first, *others], results, strict=True):
        assert change_of(result).incident_id == target.incident_id
        assert len(notes_in(await timeline(engine, target.incident_id))) == 1


async def test_a_burst_larger_than_a_batch_is_split(engine: AsyncEngine, workspace: str) -> None:
    runner = CommandRunner(engine)
    declared = await declare_many(runner, workspace, MAX_BATCH + 6)

    with counting_transactions(engine) as transactions:
        results = await together(*(runner.execute(d.after.ref, note("burst"), now=at(1)) for d in declared))

    assert (transactions.begun, transactions.committed) == (2, 2)
    assert all(isinstance(result, Change) for result in results)


# --- finding the incident ----------------------------------------------------------------------


async def test_a_batch_finds_each_commands_incident_with_one_read(engine: AsyncEngine, workspace: str) -> None:
    """Lookups by channel, by thread, by resolved state and by number, all answered from one read of
    the incidents; a lookup with no single answer fails its own command, and only that one."""
    runner = CommandRunner(engine)
    only_open = await declare_in(runner, workspace, "CONE")
    resolved = await declare_in(runner, workspace, "CONE")
    change_of(await runner.execute(resolved.after.ref, Resolve(actor="U1"), now=at(1)))
    left = await declare_in(runner, workspace, "CTWO")
    right = await declare_in(runner, workspace, "CTWO", thread_ts="1700000000.2")

    with counting_transactions(engine) as transactions, counting_statements(engine) as statements:
        results = await together(
            runner.execute(finder(workspace, "CONE"), note("the only open one"), now=at(2)),
            runner.execute(finder(workspace, "CTWO"), note("which?"), now=at(2), idempotency_key="find:ambiguous"),
            runner.execute(finder(workspace, "CTWO", thread_ts="1700000000.2"), note("in its thread"), now=at(2)),
            runner.execute(finder(workspace, "CONE", resolved=True), Reopen(actor="U1"), now=at(2)),
            runner.execute(finder(workspace, "CTWO", number=left.after.ref.number), note("named"), now=at(2)),
            runner.execute(finder(workspace, "CNONE"), note("nowhere"), now=at(2), idempotency_key="find:none"),
        )

    assert (transactions.begun, transactions.committed) == (1, 1)
    assert incident_reads(statements) == 1
    in_channel, ambiguous, in_thread, reopened, named, nowhere = results
    assert change_of(in_channel).incident_id == only_open.incident_id
    assert isinstance(ambiguous, NoSingleIncident)
    assert str(ambiguous) == f"open incidents in CTWO: {left.after.ref}, {right.after.ref}"
    assert change_of(in_thread).incident_id == right.incident_id
    assert change_of(reopened).incident_id == resolved.incident_id
    assert change_of(reopened).after.is_open
    assert change_of(named).incident_id == left.incident_id
    assert isinstance(nowhere, NoSingleIncident)
    assert str(nowhere) == "open incidents in CNONE: none"
    assert notes_in(await timeline(engine, only_open.incident_id)) == ["the only open one"]
    assert notes_in(await timeline(engine, right.incident_id)) == ["in its thread"]
    assert notes_in(await timeline(engine, left.incident_id)) == ["named"]
    for key in ("find:ambiguous", "find:none"):
        assert (await count_rows(engine, key=key))["keys"] == 0


async def test_a_command_found_by_a_status_an_earlier_one_moved_is_found_again(
    engine: AsyncEngine, workspace: str
) -> None:
    """As if one after another: once the channel's only open incident is resolved, a note for "the
    channel's open incident" submitted with the Resolve finds none, instead of landing on it."""
    runner = CommandRunner(engine)
    incident = await declare_in(runner, workspace, "CONE")

    with counting_transactions(engine) as transactions:
        resolved, noted = await together(
            runner.execute(finder(workspace, "CONE"), Resolve(actor="U1"), now=at(1), effects=card_effect),
            runner.execute(
                finder(workspace, "CONE"), note("too late"), now=at(2), idempotency_key="late", effects=card_effect
            ),
        )

    assert (transactions.begun, transactions.committed) == (2, 2)
    assert change_of(resolved).incident_id == incident.incident_id
    assert isinstance(noted, NoSingleIncident)
    assert str(noted) == "open incidents in CONE: none"
    assert notes_in(await consistent_timeline(engine, incident)) == []
    assert (await count_rows(engine, key="late"))["keys"] == 0


async def test_a_crowd_on_one_incident_shares_one_transaction(engine: AsyncEngine, workspace: str) -> None:
    runner = CommandRunner(engine)
    declared = await declare(runner, workspace)
    texts = [f"note {i}" for i in range(MAX_BATCH)]

    with counting_transactions(engine) as transactions:
        results = await together(
            *(runner.execute(declared.after.ref, note(text), now=at(1), effects=card_effect) for text in texts)
        )

    assert (transactions.begun, transactions.committed) == (1, 1)
    assert all(isinstance(result, Change) for result in results)
    assert notes_in(await consistent_timeline(engine, declared)) == texts
    # One outbox row per note, written in the order the notes were decided.
    assert await outbox_seqs(engine, declared.incident_id) == list(range(2, len(texts) + 2))


# --- one command's failure is its own ----------------------------------------------------------


async def test_a_refused_command_is_answered_alone_and_leaves_no_trace(engine: AsyncEngine, workspace: str) -> None:
    runner = CommandRunner(engine)
    sev2, resolved, other = await declare_many(runner, workspace, 3)
    change_of(await runner.execute(resolved.after.ref, Resolve(actor="U1"), now=at(1)))
    resolved_before = await count_rows(engine, resolved.incident_id, "sev:resolved")

    with counting_transactions(engine) as transactions:
        refused_same, refused_resolved, other_note, after_refusal = await together(
            runner.execute(
                sev2.after.ref,
                ChangeSeverity(actor="U1", severity=Severity.SEV2),  # already in force
                now=at(2),
                idempotency_key="sev:same",
                effects=card_effect,
            ),
            runner.execute(
                resolved.after.ref,
                ChangeSeverity(actor="U1", severity=Severity.SEV1),
                now=at(2),
                idempotency_key="sev:resolved",
                effects=card_effect,
            ),
            runner.execute(other.after.ref, note("other"), now=at(2), idempotency_key="n:other", effects=card_effect),
            # On the refused command's incident, behind it: the refusal changed nothing, so this is
            # decided in the same batch.
            runner.execute(sev2.after.ref, note("after"), now=at(2), idempotency_key="n:after", effects=card_effect),
        )

    assert (transactions.begun, transactions.committed) == (1, 1)
    assert isinstance(refused_same, NothingToChange)
    assert str(refused_same) == f"{sev2.after.ref} is already {Severity.SEV2.label}."
    assert isinstance(refused_resolved, InvalidTransition)
    assert str(refused_resolved) == f"{resolved.after.ref} is resolved; you can reopen or close it."
    assert change_of(other_note).events[0].seq == 2
    assert change_of(after_refusal).before == sev2.after
    # Of the refused commands nothing is written: no event, no outbox row, no key.
    assert [item.event.type for item in await consistent_timeline(engine, sev2)] == ["declared", "note_added"]
    assert await count_rows(engine, sev2.incident_id, "sev:same") == {"events": 2, "outbox": 1, "keys": 0}
    assert await count_rows(engine, resolved.incident_id, "sev:resolved") == resolved_before
    assert resolved_before["keys"] == 0
    assert await count_rows(engine, other.incident_id, "n:other") == {"events": 2, "outbox": 1, "keys": 1}

    # Once the refusal no longer holds, the same request (same key) applies, once.
    change_of(await runner.execute(sev2.after.ref, ChangeSeverity(actor="U2", severity=Severity.SEV1), now=at(3)))
    retry = ChangeSeverity(actor="U1", severity=Severity.SEV2)
    retried = await runner.execute(sev2.after.ref, retry, now=at(4), idempotency_key="sev:same", effects=card_effect)
    assert change_of(retried).after.severity is Severity.SEV2
    again = await runner.execute(sev2.after.ref, retry, now=at(5), idempotency_key="sev:same", effects=card_effect)
    assert again == Duplicate("sev:same")


async def test_effects_that_raise_fail_their_command_only(engine: AsyncEngine, workspace: str) -> None:
    runner = CommandRunner(engine)
    first, failing, last = await declare_many(runner, workspace, 3)

    with counting_transactions(engine) as transactions:
        results = await together(
            runner.execute(first.after.ref, note("a"), now=at(1), idempotency_key="fx:a", effects=card_effect),
            runner.execute(failing.after.ref, note("b"), now=at(1), idempotency_key="fx:b", effects=exploding_effect),
            runner.execute(last.after.ref, note("c"), now=at(1), idempotency_key="fx:c", effects=card_effect),
        )

    assert (transactions.begun, transactions.committed) == (1, 1)
    assert [type(result) for result in results] == [Change, Boom, Change]
    assert notes_in(await consistent_timeline(engine, first)) == ["a"]
    assert notes_in(await consistent_timeline(engine, last)) == ["c"]
    assert await count_rows(engine, failing.incident_id, "fx:b") == {"events": 1, "outbox": 0, "keys": 0}
    assert await count_rows(engine, first.incident_id, "fx:a") == {"events": 2, "outbox": 1, "keys": 1}
    # The failed request can be retried, and takes the next seq: nothing was left behind.
    retried = await runner.execute(failing.after.ref, note("b"), now=at(2), idempotency_key="fx:b", effects=card_effect)
    assert [item.seq for item in change_of(retried).events] == [2]
    assert notes_in(await consistent_timeline(engine, failing)) == ["b"]


async def test_unknown_incident_fails_its_command_only(engine: AsyncEngine, workspace: str) -> None:
    runner = CommandRunner(engine)
    first, last = await declare_many(runner, workspace, 2)

    with counting_transactions(engine) as transactions:
        results = await together(
            runner.execute(first.after.ref, note("a"), now=at(1), effects=card_effect),
            runner.execute(IncidentRef(workspace, 404), note("lost"), now=at(1), idempotency_key="unknown:1"),
            runner.execute(last.after.ref, note("c"), now=at(1), effects=card_effect),
        )

    assert (transactions.begun, transactions.committed) == (1, 1)
    assert [type(result) for result in results] == [Change, UnknownIncident, Change]
    assert str(results[1]) == "INC-404 does not exist."
    assert notes_in(await consistent_timeline(engine, first)) == ["a"]
    assert notes_in(await consistent_timeline(engine, last)) == ["c"]
    assert (await count_rows(engine, key="unknown:1"))["keys"] == 0


# --- one incident, several commands ------------------------------------------------------------


async def test_commands_on_one_incident_apply_in_order_each_on_the_state_before_it(
    engine: AsyncEngine, workspace: str
) -> None:
    runner = CommandRunner(engine)
    declared = await declare(runner, workspace)  # SEV2
    commands: list[IncidentCommand] = [
        note("first"),
        ChangeSeverity(actor="U1", severity=Severity.SEV1),
        note("second"),
        # Refused if decided on the declared state (SEV2 already); applies after the change above.
        ChangeSeverity(actor="U1", severity=Severity.SEV2),
        note("third"),
        Resolve(actor="U1", summary="rolled back"),
        # Refused because the incident is resolved by then: decided after the Resolve.
        ChangeSeverity(actor="U1", severity=Severity.SEV3),
        note("fourth"),
    ]

    with counting_transactions(engine) as transactions:
        results = await together(
            *(
                runner.execute(declared.after.ref, command, now=at(1 + i), effects=card_effect)
                for i, command in enumerate(commands)
            )
        )

    # One transaction up to the Resolve. What follows it waits for the next: the Resolve moved the
    # status, by which "the channel's open incident" is found, so those commands are found again.
    assert (transactions.begun, transactions.committed) == (2, 2)
    assert isinstance(results[6], InvalidTransition)
    changes = [change_of(result) for i, result in enumerate(results) if i != 6]
    # Each decided on the state the one before it left: versions follow one another.
    assert changes[0].before == declared.after
    for previous, following in pairwise(changes):
        assert following.before == previous.after
    for change in changes:
        assert isinstance(change.before, Incident)
        assert change.after.version == change.before.version + len(change.events)
    history = await consistent_timeline(engine, declared)
    assert notes_in(history) == ["first", "second", "third", "fourth"]
    # The timeline is the accepted commands' events, one command after another in submission order.
    assert history[1:] == [item for change in changes for item in change.events]
    assert [item.event.type for item in history[1:]] == [
        "note_added",
        "severity_changed",
        "note_added",
        "severity_changed",
        "note_added",
        "acknowledged",  # resolving acknowledges an incident nobody acknowledged
        "resolved",
        "note_added",
    ]


async def test_deferred_commands_go_before_later_arrivals(engine: AsyncEngine, workspace: str) -> None:
    runner = CommandRunner(engine)
    declared = await declare(runner, workspace)

    async with HeldLock(engine, declared.incident_id) as held:
        with counting_transactions(engine) as transactions:
            # One batch: the note is deferred, as the Resolve before it moves the incident's status.
            submitted = await queue_behind(
                runner.execute(declared.after.ref, Resolve(actor="U1"), now=at(1), effects=card_effect),
                runner.execute(declared.after.ref, note("second"), now=at(2), effects=card_effect),
            )
            await held.reached()
            later = await queue_behind(
                runner.execute(declared.after.ref, note("third"), now=at(3), effects=card_effect)
            )
            await held.release()
            results = await together(*submitted, *later)

    # The deferred note and the later one share the second transaction, in that order.
    assert (transactions.begun, transactions.committed) == (2, 2)
    assert all(isinstance(result, Change) for result in results)
    assert notes_in(await consistent_timeline(engine, declared)) == ["second", "third"]


# --- idempotency keys within a batch -----------------------------------------------------------


async def test_duplicate_keys_within_a_batch_apply_once(engine: AsyncEngine, workspace: str) -> None:
    runner = CommandRunner(engine)
    first, second, third = await declare_many(runner, workspace, 3)
    change_of(await runner.execute(third.after.ref, note("old"), now=at(1), idempotency_key="dup:old"))

    with counting_transactions(engine) as transactions:
        results = await together(
            runner.execute(first.after.ref, note("once"), now=at(2), idempotency_key="dup:1", effects=card_effect),
            runner.execute(first.after.ref, note("once"), now=at(2), idempotency_key="dup:1", effects=card_effect),
            runner.execute(second.after.ref, note("once"), now=at(2), idempotency_key="dup:1", effects=card_effect),
            runner.execute(third.after.ref, note("old"), now=at(2), idempotency_key="dup:old", effects=card_effect),
            runner.execute(second.after.ref, note("fresh"), now=at(2), idempotency_key="dup:2", effects=card_effect),
        )

    # The second copy finds its key taken by the first, in the same transaction.
    assert (transactions.begun, transactions.committed) == (1, 1)
    applied_once, same_incident, other_incident, committed_before, fresh = results
    assert change_of(applied_once).incident_id == first.incident_id
    assert same_incident == other_incident == Duplicate("dup:1")
    assert committed_before == Duplicate("dup:old")
    assert change_of(fresh).incident_id == second.incident_id
    assert notes_in(await consistent_timeline(engine, first)) == ["once"]
    assert notes_in(await consistent_timeline(engine, second)) == ["fresh"]
    assert notes_in(await timeline(engine, third.incident_id)) == ["old"]
    async with UnitOfWork(engine) as uow:
        assert await uow.requests.incident_of("dup:1") == first.incident_id
        assert await uow.requests.incident_of("dup:2") == second.incident_id


async def test_a_duplicate_in_flight_elsewhere_is_waited_for_and_found_taken(
    engine: AsyncEngine, workspace: str
) -> None:
    """Another replica runs the same request: it holds the incident's lock and has claimed the key.
    The batch locks the incidents before it reads the keys taken, so it waits for that transaction,
    then finds the key taken: a Duplicate, in the batch's one transaction, with no conflict to
    re-run for."""
    runner = CommandRunner(engine)
    contended, other = await declare_many(runner, workspace, 2)

    async with HeldLock(engine, contended.incident_id) as elsewhere:
        await elsewhere.claim("twice:1", contended.incident_id)
        with counting_transactions(engine) as transactions:
            pending = await queue_behind(
                runner.execute(contended.after.ref, note("twice"), now=at(1), idempotency_key="twice:1"),
                runner.execute(other.after.ref, note("other"), now=at(1), idempotency_key="twice:2"),
            )
            await elsewhere.waiting()
            await elsewhere.release(commit=True)
            duplicate, applied = await together(*pending)

    assert duplicate == Duplicate("twice:1")
    assert change_of(applied).incident_id == other.incident_id
    # The batch's transaction, and the other replica's commit.
    assert (transactions.begun, transactions.committed) == (1, 2)
    assert notes_in(await timeline(engine, contended.incident_id)) == []
    async with UnitOfWork(engine) as uow:
        assert await uow.requests.incident_of("twice:1") == contended.incident_id


# --- callers that leave ------------------------------------------------------------------------


async def test_a_command_whose_caller_left_before_its_batch_is_never_applied(
    engine: AsyncEngine, workspace: str
) -> None:
    runner = CommandRunner(engine)
    held_incident, abandoned = await declare_many(runner, workspace, 2)

    async with HeldLock(engine, held_incident.incident_id) as held:
        with counting_transactions(engine) as transactions:
            in_flight = asyncio.ensure_future(runner.execute(held_incident.after.ref, note("held"), now=at(1)))
            await held.reached()
            [waiting] = await queue_behind(
                runner.execute(abandoned.after.ref, note("gone"), now=at(2), idempotency_key="gone:1")
            )
            waiting.cancel()
            await held.release()
            change_of(await in_flight)
            with pytest.raises(asyncio.CancelledError):
                await waiting

    # Only the batch in flight ran: the abandoned command had no transaction at all.
    assert (transactions.begun, transactions.committed) == (1, 1)
    assert await count_rows(engine, abandoned.incident_id, "gone:1") == {"events": 1, "outbox": 0, "keys": 0}
    # Its incident, and the queue, are as usable as ever.
    retried = await runner.execute(abandoned.after.ref, note("back"), now=at(3), idempotency_key="gone:1")
    assert [item.seq for item in change_of(retried).events] == [2]
