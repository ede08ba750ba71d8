"""Errors the domain raises when it refuses a command.

Every error carries a sentence meant for the person who typed the command: the Slack layer shows
``message`` as it is, so it must name the incident and say what *is* possible.
"""

from __future__ import annotations


class DomainError(Exception):
    """A command was refused; nothing changed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidValue(DomainError):
    """A value in the command is malformed or out of range (bad severity, empty title…)."""


class InvalidTransition(DomainError):
    """The lifecycle does not allow this move from the incident's current state."""


class NothingToChange(DomainError):
    """The command asks for the state the incident is already in."""


class UnknownIncident(DomainError):
    """The command names an incident that does not exist."""


class StaleClock(DomainError):
    """An SLA breach was reported for a clock that has since moved or stopped.

    This is how a second scheduler replica (or a retry after a crash) learns that the reminder it
    was about to record has already been handled: the clock it saw is no longer the clock in force.
    """


class ChangedMeanwhile(DomainError):
    """The incident changed after its author last saw it (``expected_version``): nothing is applied
    over a change they have not seen."""
