"""The follow-ups of an incident's page (SPEC §10; templates/incident_followups.html): each with its
owner, its due date as Slack words it, whether it is done or overdue, and who did what to it when.
Adding one and marking one done are ACTIONS' forms ("followup", "followup-done")."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.views.escaping import readable_plain
from bot.views.followup_texts import due_words
from bot.views.formatting import plain_wording
from domain.followup import FollowUp
from domain.incident import Incident


@dataclass(frozen=True)
class FollowUpStep:
    what: str  # "Added by Alice Archer", "Owner reminded", "Done by Bob Baker"
    at: datetime


@dataclass(frozen=True)
class FollowUpRow:
    number: int
    text: str
    owner: str
    due: str | None  # a day ("2026-12-20", over at midnight UTC) or a moment in UTC
    due_at: datetime | None
    overdue: bool
    done: bool
    steps: tuple[FollowUpStep, ...]


@dataclass(frozen=True)
class FollowUps:
    rows: tuple[FollowUpRow, ...]
    still_open: int
    overdue: int


def followup_section(incident: Incident, names: Mapping[str, str], now: datetime) -> FollowUps:
    """``names``: user id → name, for everyone :func:`followup_people` names."""
    rows = tuple(_row(followup, names, now) for followup in incident.followups)
    return FollowUps(rows, sum(not row.done for row in rows), sum(row.overdue for row in rows))


def followup_people(incident: Incident) -> set[str]:
    """Who the section names: the owners, whoever added or completed one."""
    return {person for f in incident.followups for person in (f.owner, f.created_by, f.done_by) if person}


def _row(followup: FollowUp, names: Mapping[str, str], now: datetime) -> FollowUpRow:
    wording = plain_wording(names)
    return FollowUpRow(
        number=followup.number,
        text=readable_plain(followup.text),
        owner=wording.person(followup.owner),
        due=due_words(followup.due, wording) if followup.due else None,
        due_at=followup.due.at if followup.due else None,
        overdue=followup.is_overdue(now),
        done=followup.is_done,
        steps=tuple(_steps(followup, wording.person)),
    )


def _steps(followup: FollowUp, person: Callable[[str], str]) -> Iterator[FollowUpStep]:
    """Who did what to it, oldest first (each change is also on the timeline)."""
    yield FollowUpStep(f"Added by {person(followup.created_by)}", followup.created_at)
    if followup.reminded_at is not None:
        yield FollowUpStep("Overdue: its owner was reminded in the thread", followup.reminded_at)
    if followup.done_at is not None:
        yield FollowUpStep(f"Done, marked by {person(followup.done_by or '')}", followup.done_at)
