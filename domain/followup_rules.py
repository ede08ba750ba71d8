"""Follow-ups' rules: reading a due date, adding one, marking one done, its one reminder, and
what each of those events makes of the incident's follow-ups.

Follow-ups are written mostly once an incident is resolved or closed, so they are accepted in any
status; nothing else changes a closed incident.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from domain import commands as cmd
from domain import events as ev
from domain.durations import parse_duration
from domain.errors import InvalidValue, NothingToChange, StaleClock
from domain.followup import FollowUp, FollowUpDue
from domain.incident import Incident
from domain.text import clean_line

FOLLOWUP_MAX = 300
# One incident's follow-ups live in its row and its list fits one reply.
MAX_FOLLOWUPS = 50
# A promise further out than this is a typo (2062 for 2026) more often than a plan.
MAX_DUE_AHEAD = timedelta(days=730)

_DUE_EXAMPLES = "give a date like 2026-12-20 or a duration like 3d, 2w or 36h"
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


class FollowUpAlreadyDone(NothingToChange):
    """Marking a done follow-up done again: nothing to change, and nothing wrong either."""


def parse_due(text: str) -> date | timedelta:
    """``2026-12-20`` (a day) or a duration from now (``3d``, ``2w``, ``36h``)."""
    word = text.strip()
    shown = word if len(word) <= 40 else word[:39] + "…"
    if _DATE.fullmatch(word):
        try:
            return date.fromisoformat(word)
        except ValueError:
            raise InvalidValue(f"“{shown}” is not a day on the calendar: {_DUE_EXAMPLES}.") from None
    try:
        return parse_duration(word)
    except InvalidValue:
        raise InvalidValue(f"“{shown}” is not a due date: {_DUE_EXAMPLES}.") from None


def add(state: Incident, command: cmd.AddFollowUp, now: datetime, stamp: Mapping[str, Any]) -> ev.FollowUpAdded:
    if len(state.followups) >= MAX_FOLLOWUPS:
        raise InvalidValue(f"{state.ref} has {MAX_FOLLOWUPS} follow-ups, the most one incident keeps.")
    owner = command.actor if command.owner is None else command.owner.strip()
    if not owner:
        raise InvalidValue("Say who owns the follow-up: mention them, or leave it out to own it yourself.")
    return ev.FollowUpAdded(
        **stamp,
        number=len(state.followups) + 1,
        text=clean_line(command.text, "follow-up", FOLLOWUP_MAX),
        owner=owner,
        due=None if command.due is None else due_from(command.due, now),
    )


def due_from(given: date | timedelta, now: datetime) -> FollowUpDue:
    """When a follow-up given ``given`` at ``now`` is due; refused if that is past or too far ahead."""
    if isinstance(given, timedelta):
        if given <= timedelta(0):
            raise InvalidValue(f"A follow-up is due in the future: {_DUE_EXAMPLES}.")
        if given > MAX_DUE_AHEAD:
            raise InvalidValue("A follow-up can be due at most two years ahead.")
        return FollowUpDue(now + given)
    today = now.astimezone(UTC).date()
    if given < today:
        raise InvalidValue(
            f"{given.isoformat()} is in the past (today is {today.isoformat()} in UTC): give today or a later day."
        )
    if given - today > MAX_DUE_AHEAD:
        raise InvalidValue("A follow-up can be due at most two years ahead.")
    return FollowUpDue(datetime.combine(given + timedelta(days=1), time(0), UTC), whole_day=True)


def complete(state: Incident, command: cmd.CompleteFollowUp, stamp: Mapping[str, Any]) -> ev.FollowUpDone:
    followup = _numbered(state, command.number)
    if followup.is_done:
        raise FollowUpAlreadyDone(f"Follow-up #{followup.number} of {state.ref} is already done; nothing changed.")
    return ev.FollowUpDone(**stamp, number=followup.number)


def _numbered(state: Incident, number: int) -> FollowUp:
    count = len(state.followups)
    if 1 <= number <= count:
        return state.followups[number - 1]
    if count == 0:
        raise InvalidValue(f"{state.ref} has no follow-ups yet, so there is no #{number}.")
    numbers = "#1" if count == 1 else f"#1 to #{count}"
    raise InvalidValue(f"{state.ref} has no follow-up #{number}; its follow-ups are {numbers}.")


def remind(
    state: Incident, command: cmd.RemindFollowUp, now: datetime, stamp: Mapping[str, Any]
) -> ev.FollowUpReminded:
    """Refused as a stale clock once reminded or done: how a second replica learns it came too late."""
    due = next((f.reminder_due_at for f in state.followups if f.number == command.number), None)
    if due is None or due != command.due_at:
        raise StaleClock(f"{state.ref}'s follow-up #{command.number} is no longer due a reminder.")
    if now < due:
        raise StaleClock(f"{state.ref}'s follow-up #{command.number} is not overdue until {due.isoformat()}.")
    return ev.FollowUpReminded(**stamp, number=command.number, due_at=due)


def followups_after(followups: tuple[FollowUp, ...], event: ev.Event) -> tuple[FollowUp, ...]:
    match event:
        case ev.FollowUpAdded():
            added = FollowUp(
                number=event.number,
                text=event.text,
                owner=event.owner,
                created_by=event.actor,
                created_at=event.at,
                due=event.due,
            )
            return (*followups, added)
        case ev.FollowUpDone():
            return _changed(followups, event.number, done_at=event.at, done_by=event.actor)
        case ev.FollowUpReminded():
            return _changed(followups, event.number, reminded_at=event.at)
    raise ValueError(f"{event.type} is not a follow-up event")


def _changed(followups: tuple[FollowUp, ...], number: int, **changes: Any) -> tuple[FollowUp, ...]:
    return tuple(replace(f, **changes) if f.number == number else f for f in followups)
