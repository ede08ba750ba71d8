"""Marking a runbook step done (SPEC §13): once per step, whoever clicks and however often."""

from __future__ import annotations

from typing import Any

from domain import commands as cmd
from domain import events as ev
from domain.errors import InvalidValue
from domain.incident import Incident
from domain.lifecycle import Status
from domain.services import mark_of
from domain.text import NOTE_MAX, clean_line


def done(state: Incident, command: cmd.CompleteRunbookStep, stamp: dict[str, Any]) -> list[ev.Event]:
    """A step already done stays as it was done, by whom and when: a second click (a double click,
    the same step from Slack and the console, two replicas at once) records nothing and is no error."""
    if state.status is Status.CLOSED:
        raise InvalidValue(f"{state.ref} is closed; its runbook can no longer change.")
    if command.step < 1:
        raise InvalidValue("Runbook steps are numbered from 1.")
    if mark_of(state.runbook, command.step) is not None:
        return []
    text = clean_line(command.text, "runbook step", NOTE_MAX)
    return [ev.RunbookStepDone(**stamp, step=command.step, text=text, message=command.message)]
