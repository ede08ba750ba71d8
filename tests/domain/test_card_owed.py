"""A card Slack refused: the refusal is a fact on the timeline, the incident owes its card until it
is asked for again, and any change to it asks first (so it comes back by itself)."""

from __future__ import annotations

import pytest

from domain import commands as cmd
from domain import events as ev
from domain.errors import InvalidTransition, InvalidValue, NothingToChange
from domain.lifecycle import Status
from domain.sla import ClockKind
from domain.text import SLACK_ERROR_MAX
from tests.builders import CHANNEL, Story, at, declared
from tests.domain.paths import ALICE, BOB, in_status

REFUSAL = cmd.RecordCardRefusal(actor=cmd.SYSTEM_ACTOR, error="not_in_channel")


def refused() -> Story:
    run = declared()
    run.do(REFUSAL, at(seconds=1))
    return run


def test_a_refusal_is_recorded_with_what_slack_said_and_where() -> None:
    run = declared()

    [event] = run.do(REFUSAL, at(seconds=1))

    assert event == ev.CardPostFailed(
        actor=cmd.SYSTEM_ACTOR, at=at(seconds=1), error="not_in_channel", channel_id=CHANNEL
    )
    assert run.incident.card_refused == "not_in_channel"
    assert run.incident.version == 2


@pytest.mark.parametrize("error", ["", "  ", "x" * (SLACK_ERROR_MAX + 1)])
def test_a_refusal_needs_slacks_word_for_it(error: str) -> None:
    declared().refuse(cmd.RecordCardRefusal(actor=cmd.SYSTEM_ACTOR, error=error), at(seconds=1), InvalidValue)


def test_repost_asks_for_the_card_again() -> None:
    run = refused()

    [event] = run.do(cmd.RepostCard(actor=ALICE), at(minutes=5))

    assert event == ev.CardRepostRequested(actor=ALICE, at=at(minutes=5))
    assert run.incident.card_refused is None


def test_repost_of_a_card_slack_did_not_refuse_changes_nothing() -> None:
    error = declared().refuse(cmd.RepostCard(actor=ALICE), at(minutes=5), NothingToChange)
    assert error.message == "Slack has not refused INC-42's card, so there is nothing to post again."


def test_a_second_repost_after_the_first_changes_nothing() -> None:
    run = refused()
    run.do(cmd.RepostCard(actor=ALICE), at(minutes=5))
    run.refuse(cmd.RepostCard(actor=BOB), at(minutes=6), NothingToChange)


def test_any_change_to_an_incident_whose_card_was_refused_asks_for_the_card_first() -> None:
    run = refused()

    events = run.do(cmd.Acknowledge(actor=BOB), at(minutes=2))

    assert [type(event) for event in events] == [ev.CardRepostRequested, ev.Acknowledged, ev.StatusChanged]
    assert events[0].actor == BOB
    assert run.incident.card_refused is None
    assert run.incident.status is Status.INVESTIGATING
    # Asked for once: the next change finds the card on its way.
    assert [type(e) for e in run.do(cmd.AddNote(actor=BOB, text="x"), at(minutes=3))] == [ev.NoteAdded]


def test_a_reminder_asks_for_the_card_too() -> None:
    run = refused()
    due = run.incident.clocks.due(ClockKind.ACK)
    assert due is not None

    events = run.do(cmd.RecordSlaBreach(actor=cmd.SYSTEM_ACTOR, kind=ClockKind.ACK, due_at=due), due)

    assert [type(event) for event in events] == [ev.CardRepostRequested, ev.SlaBreached, ev.ReminderSent]


def test_a_refused_command_does_not_ask_for_the_card() -> None:
    run = in_status(Status.CLOSED)
    run.do(REFUSAL, at(minutes=3))

    run.refuse(cmd.AddNote(actor=ALICE, text="late"), at(minutes=4), InvalidTransition)

    assert run.incident.card_refused == "not_in_channel"


def test_a_closed_incident_can_still_have_its_card_posted() -> None:
    run = in_status(Status.CLOSED)
    run.do(REFUSAL, at(minutes=3))
    assert [type(e) for e in run.do(cmd.RepostCard(actor=ALICE), at(minutes=4))] == [ev.CardRepostRequested]


def test_a_refusal_while_one_is_recorded_is_recorded_again_without_asking_for_the_card() -> None:
    run = refused()
    [event] = run.do(cmd.RecordCardRefusal(actor=cmd.SYSTEM_ACTOR, error="is_archived"), at(minutes=1))
    assert isinstance(event, ev.CardPostFailed)
    assert run.incident.card_refused == "is_archived"
