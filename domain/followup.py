"""Follow-ups (SPEC §10): what an incident's review says will change, each owned and maybe due."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta


@dataclass(frozen=True)
class FollowUpDue:
    """When a follow-up becomes overdue. A date given as a day (``2026-12-20``) is due at the end of
    that day in UTC, so ``at`` is the next midnight and ``whole_day`` says to show the day itself."""

    at: datetime
    whole_day: bool = False

    @property
    def day(self) -> date:
        """The last day it is on time, in UTC."""
        return (self.at - timedelta(microseconds=1)).date() if self.whole_day else self.at.date()


@dataclass(frozen=True)
class FollowUp:
    number: int
    text: str
    owner: str
    created_by: str
    created_at: datetime
    due: FollowUpDue | None = None
    done_at: datetime | None = None
    done_by: str | None = None
    # A follow-up is reminded once: the grammar has no way to move its due date.
    reminded_at: datetime | None = None

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    def is_overdue(self, now: datetime) -> bool:
        return not self.is_done and self.due is not None and self.due.at <= now

    @property
    def reminder_due_at(self) -> datetime | None:
        """When its one reminder is due: while it is open, has a due date and was not reminded."""
        if self.is_done or self.due is None or self.reminded_at is not None:
            return None
        return self.due.at


def next_reminder(followups: Iterable[FollowUp]) -> datetime | None:
    return min((when for f in followups if (when := f.reminder_due_at) is not None), default=None)
