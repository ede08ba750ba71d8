"""Follow-ups (SPEC §10): numbered within the incident, owned, maybe due; done once; one reminder."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain import events as ev
from domain.commands import SYSTEM_ACTOR, AddFollowUp, CompleteFollowUp, RemindFollowUp
from domain.errors import InvalidValue, StaleClock
from domain.evolve import replay
from domain.followup import FollowUpDue, next_reminder
from domain.followup_rules import MAX_FOLLOWUPS, FollowUpAlreadyDone, parse_due
from domain.incident import Undeclared
from domain.lifecycle import Status
from tests.builders import REF, REPORTER, at
from tests.domain.paths import ALICE, BOB, in_status


def _add(
    text: str = "Alert on queue depth", *, owner: str | None = None, due: date | timedelta | None = None
) -> AddFollowUp:
    return AddFollowUp(actor=ALICE, text=text, owner=owner, due=due)


def test_follow_ups_are_numbered_within_the_incident_and_owned_by_who_adds_them_unless_named() -> None:
    story = in_status(Status.RESOLVED)
    story.do(_add("Alert on queue depth"), at(minutes=10))
    story.do(_add("Retry budget for the payments client", owner=BOB), at(minutes=11))

    first, second = story.incident.followups
    assert (first.number, first.text, first.owner, first.created_by, first.created_at) == (
        1,
        "Alert on queue depth",
        ALICE,
        ALICE,
        at(minutes=10),
    )
    assert (second.number, second.owner, second.due) == (2, BOB, None)
    added = story.events[-1]
    assert isinstance(added, ev.FollowUpAdded)
    assert (added.number, added.owner, added.actor) == (2, BOB, ALICE)


def test_a_closed_incident_takes_follow_ups_and_marks_them_done() -> None:
    story = in_status(Status.CLOSED)
    story.do(_add(), at(minutes=10))
    story.do(CompleteFollowUp(actor=BOB, number=1), at(minutes=20))
    (followup,) = story.incident.followups
    assert (followup.done_at, followup.done_by, followup.is_done) == (at(minutes=20), BOB, True)
    assert story.incident.status is Status.CLOSED


def test_a_day_is_due_at_its_end_in_utc_and_a_duration_from_now() -> None:
    story = in_status(Status.RESOLVED)  # T0 is 2026-11-23 03:00 UTC
    story.do(_add(due=date(2026, 11, 25)), at(minutes=10))
    story.do(_add(due=timedelta(hours=36)), at(minutes=10))
    story.do(_add(due=date(2026, 11, 23)), at(minutes=10))  # today is still ahead of us

    by_day, by_span, today = (f.due for f in story.incident.followups)
    assert by_day == FollowUpDue(datetime(2026, 11, 26, tzinfo=UTC), whole_day=True)
    assert by_day.day == date(2026, 11, 25)
    assert by_span == FollowUpDue(at(minutes=10) + timedelta(hours=36))
    assert today == FollowUpDue(datetime(2026, 11, 24, tzinfo=UTC), whole_day=True)


@pytest.mark.parametrize(
    ("due", "words"),
    [
        (date(2026, 11, 22), "2026-11-22 is in the past (today is 2026-11-23 in UTC)"),
        (timedelta(days=800), "at most two years ahead"),
        (date(2030, 1, 1), "at most two years ahead"),
    ],
)
def test_a_due_date_in_the_past_or_too_far_is_refused_naming_the_problem(due: date | timedelta, words: str) -> None:
    story = in_status(Status.RESOLVED)
    refused = story.refuse(_add(due=due), at(minutes=10), InvalidValue)
    assert words in refused.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-20", date(2026, 12, 20)),
        ("3d", timedelta(days=3)),
        ("2w", timedelta(weeks=2)),
        ("36h", timedelta(hours=36)),
    ],
)
def test_due_dates_read_as_days_or_durations(text: str, expected: date | timedelta) -> None:
    assert parse_due(text) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("friday", "“friday” is not a due date: give a date like 2026-12-20 or a duration like 3d, 2w or 36h"),
        ("2026-02-30", "“2026-02-30” is not a day on the calendar"),
        ("20/12/2026", "“20/12/2026” is not a due date"),
        ("0d", "“0d” is not a due date"),
    ],
)
def test_an_unparseable_due_date_is_refused_naming_it(text: str, words: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        parse_due(text)
    assert words in refused.value.message


def test_empty_text_and_too_many_follow_ups_are_refused() -> None:
    story = in_status(Status.RESOLVED)
    assert "cannot be empty" in story.refuse(_add("  \n "), at(minutes=10), InvalidValue).message
    for _ in range(MAX_FOLLOWUPS):
        story.do(_add())
    refused = story.refuse(_add(), story.at, InvalidValue)
    assert refused.message == f"{REF} has {MAX_FOLLOWUPS} follow-ups, the most one incident keeps."


def test_an_unknown_number_is_refused_saying_which_there_are() -> None:
    story = in_status(Status.RESOLVED)
    assert story.refuse(CompleteFollowUp(actor=ALICE, number=1), at(minutes=5), InvalidValue).message == (
        f"{REF} has no follow-ups yet, so there is no #1."
    )
    story.do(_add(), at(minutes=6))
    story.do(_add(), at(minutes=7))
    assert story.refuse(CompleteFollowUp(actor=ALICE, number=3), at(minutes=8), InvalidValue).message == (
        f"{REF} has no follow-up #3; its follow-ups are #1 to #2."
    )


def test_done_twice_is_nothing_to_change_not_a_failure() -> None:
    story = in_status(Status.RESOLVED)
    story.do(_add(), at(minutes=6))
    story.do(CompleteFollowUp(actor=ALICE, number=1), at(minutes=7))
    again = story.refuse(CompleteFollowUp(actor=BOB, number=1), at(minutes=8), FollowUpAlreadyDone)
    assert again.message == f"Follow-up #1 of {REF} is already done; nothing changed."
    assert story.incident.followups[0].done_by == ALICE


def test_an_overdue_open_follow_up_is_reminded_once() -> None:
    story = in_status(Status.CLOSED)
    story.do(_add(due=timedelta(days=3)), at(minutes=10))
    due = at(minutes=10, days=3)
    assert next_reminder(story.incident.followups) == due
    remind = RemindFollowUp(actor=SYSTEM_ACTOR, number=1, due_at=due)

    story.refuse(remind, due - timedelta(seconds=1), StaleClock)
    (reminded,) = story.do(remind, due + timedelta(seconds=5))
    assert isinstance(reminded, ev.FollowUpReminded)
    assert (reminded.number, reminded.due_at, reminded.actor) == (1, due, SYSTEM_ACTOR)
    assert next_reminder(story.incident.followups) is None
    story.refuse(remind, due + timedelta(minutes=1), StaleClock)  # a second replica, too late


def test_a_done_follow_up_and_one_without_a_due_date_get_no_reminder() -> None:
    story = in_status(Status.RESOLVED)
    story.do(_add(due=timedelta(days=1)), at(minutes=10))
    story.do(_add(), at(minutes=11))
    story.do(CompleteFollowUp(actor=ALICE, number=1), at(minutes=12))
    assert next_reminder(story.incident.followups) is None
    due = at(minutes=10, days=1)
    story.refuse(RemindFollowUp(actor=SYSTEM_ACTOR, number=1, due_at=due), due, StaleClock)
    story.refuse(RemindFollowUp(actor=SYSTEM_ACTOR, number=2, due_at=due), due, StaleClock)


def test_overdue_is_open_and_past_due() -> None:
    story = in_status(Status.RESOLVED)
    story.do(_add(due=timedelta(hours=1)), at(minutes=10))
    (followup,) = story.incident.followups
    assert not followup.is_overdue(at(minutes=69))
    assert followup.is_overdue(at(minutes=70))
    story.do(CompleteFollowUp(actor=ALICE, number=1), at(minutes=80))
    assert not story.incident.followups[0].is_overdue(at(minutes=90))


def test_follow_ups_replay_from_the_timeline() -> None:
    story = in_status(Status.RESOLVED)
    story.do(_add(due=date(2026, 11, 30), owner=REPORTER), at(minutes=10))
    story.do(CompleteFollowUp(actor=ALICE, number=1), at(minutes=12))
    assert replay(Undeclared(REF), story.events) == story.state
