"""The console's actions on an incident (SPEC §9): which of them its state allows, with their
choices, and each one's form read into the same domain command Slack's card and verbs produce.

Values are checked here with the domain's own rules (domain.text, parse_severity…), so a bad one
is said beside its field; whether the change is allowed is the domain's call, made in the command's
transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypedDict

from bot.views.formatting import status_label
from domain import commands as cmd
from domain.errors import InvalidValue
from domain.followup_rules import FOLLOWUP_MAX, due_from, parse_due
from domain.incident import ConsoleSource, Incident
from domain.lifecycle import OPEN_STATUSES, Status, allowed_next, parse_status
from domain.severity import Severity, parse_severity
from domain.text import (
    NOTE_MAX,
    REASON_MAX,
    SUMMARY_MAX,
    TITLE_MAX,
    UPDATE_MAX,
    as_typed_in_slack,
    clean_line,
    clean_text,
)

Form = Mapping[str, str]
VIA_CONSOLE = ConsoleSource()


class FieldError(Exception):
    """A form value that cannot be used: ``message`` is shown beside the ``field``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class ActionForms:
    """Which forms an incident's page shows: only those its state allows."""

    acknowledge: bool
    change: bool  # severity, status and commander
    severities: tuple[Choice, ...]  # the other severities
    statuses: tuple[Choice, ...]  # the open statuses it may move to (resolve and close have forms of their own)
    write: bool  # a note, a stakeholder update
    resolve: bool
    reopen: bool
    close: bool


def severity_choices(*, leaving_out: Severity | None = None) -> tuple[Choice, ...]:
    return tuple(Choice(s.label, f"{s.label} ({s.meaning})") for s in Severity if s is not leaving_out)


def action_forms(incident: Incident) -> ActionForms:
    is_open = incident.is_open
    resolved = incident.status is Status.RESOLVED
    return ActionForms(
        acknowledge=is_open and incident.acknowledged_at is None,
        change=is_open,
        severities=severity_choices(leaving_out=incident.severity),
        statuses=tuple(
            Choice(status.value, status_label(status))
            for status in allowed_next(incident.status)
            if status in OPEN_STATUSES
        ),
        write=incident.status is not Status.CLOSED,
        resolve=is_open,
        reopen=resolved,
        close=resolved,
    )


class _Stamp(TypedDict):
    actor: str
    source: ConsoleSource
    expected_version: int


@dataclass(frozen=True)
class Asked:
    """One form as sent: who sent it, about which incident as they saw it (``version``)."""

    actor: str
    version: int
    form: Form
    members: frozenset[str]  # who may lead an incident or own a follow-up: the workspace's people
    now: datetime

    def stamp(self) -> _Stamp:
        """What every console command carries: its author, that it came from the console, and
        the version they saw (the domain refuses it once the incident has moved on)."""
        return {"actor": self.actor, "source": VIA_CONSOLE, "expected_version": self.version}


def required_text(form: Form, field: str, name: str, limit: int, *, multiline: bool = True) -> str:
    """A text that must be given (``name`` is how messages call it), as if typed in Slack (and
    measured so: the domain's limits hold for the text as Slack sends it)."""
    typed = as_typed_in_slack(form.get(field, ""))
    try:
        return clean_text(typed, name, limit) if multiline else clean_line(typed, name, limit)
    except InvalidValue as invalid:
        raise FieldError(field, invalid.message) from invalid


def optional_text(form: Form, field: str, name: str, limit: int, *, multiline: bool = True) -> str | None:
    return required_text(form, field, name, limit, multiline=multiline) if form.get(field, "").strip() else None


def severity_in(form: Form, field: str = "severity") -> Severity:
    try:
        return parse_severity(form.get(field, ""))
    except InvalidValue as invalid:
        raise FieldError(field, invalid.message) from invalid


def _acknowledge(asked: Asked) -> cmd.IncidentCommand:
    return cmd.Acknowledge(**asked.stamp())


def _severity(asked: Asked) -> cmd.IncidentCommand:
    return cmd.ChangeSeverity(**asked.stamp(), severity=severity_in(asked.form))


def _status(asked: Asked) -> cmd.IncidentCommand:
    try:
        status = parse_status(asked.form.get("status", ""))
    except InvalidValue as invalid:
        raise FieldError("status", invalid.message) from invalid
    return cmd.ChangeStatus(**asked.stamp(), status=status)


def _commander(asked: Asked) -> cmd.IncidentCommand:
    commander = asked.form.get("commander", "")
    if commander not in asked.members:
        raise FieldError("commander", "Pick who should lead the incident from this workspace's people.")
    return cmd.Assign(**asked.stamp(), commander=commander)


def _note(asked: Asked) -> cmd.IncidentCommand:
    return cmd.AddNote(**asked.stamp(), text=required_text(asked.form, "text", "note", NOTE_MAX))


def _update(asked: Asked) -> cmd.IncidentCommand:
    text = required_text(asked.form, "text", "stakeholder update", UPDATE_MAX)
    return cmd.PostStakeholderUpdate(**asked.stamp(), text=text)


def _resolve(asked: Asked) -> cmd.IncidentCommand:
    summary = required_text(asked.form, "summary", "summary", SUMMARY_MAX)
    return cmd.Resolve(**asked.stamp(), summary=summary)


def _reopen(asked: Asked) -> cmd.IncidentCommand:
    reason = optional_text(asked.form, "reason", "reason", REASON_MAX)
    return cmd.Reopen(**asked.stamp(), reason=reason)


def _close(asked: Asked) -> cmd.IncidentCommand:
    return cmd.Close(**asked.stamp())


def _followup(asked: Asked) -> cmd.IncidentCommand:
    text = required_text(asked.form, "text", "follow-up", FOLLOWUP_MAX, multiline=False)
    owner = asked.form.get("owner", "")
    if owner not in asked.members:
        raise FieldError("owner", "Pick who owns the follow-up from this workspace's people.")
    return cmd.AddFollowUp(**asked.stamp(), text=text, owner=owner, due=followup_due(asked.form, asked.now))


def followup_due(form: Form, now: datetime) -> date | timedelta | None:
    """A day (``due_date``, a date input) or a duration (``due_in``: 3d, 2w, 36h), read and checked
    by the rules ``followup … due …`` is read by in Slack, so a refusal is said beside its field."""
    day, span = form.get("due_date", "").strip(), form.get("due_in", "").strip()
    if day and span:
        raise FieldError("due_in", "Give a day or a duration, not both.")
    field, typed = ("due_date", day) if day else ("due_in", span)
    if not typed:
        return None
    try:
        due = parse_due(typed)
        due_from(due, now)
    except InvalidValue as invalid:
        raise FieldError(field, invalid.message) from invalid
    return due


def _followup_done(asked: Asked) -> cmd.IncidentCommand:
    number = asked.form.get("number", "")
    if not (number.isdigit() and len(number) < 10 and int(number) > 0):
        raise FieldError("number", f"“{number[:40]}” is not a follow-up number.")
    # Not refused when the incident moved on since the page was shown: a follow-up keeps its number,
    # so marking it done overwrites nothing unseen, and one already done is answered as such.
    return cmd.CompleteFollowUp(actor=asked.actor, source=VIA_CONSOLE, number=int(number))


def _public(asked: Asked) -> cmd.IncidentCommand:
    choice = asked.form.get("public", "")
    if choice not in ("on", "off"):
        raise FieldError("public", "Choose whether the incident is shown on the status page.")
    title = optional_text(asked.form, "title", "public title", TITLE_MAX, multiline=False)
    return cmd.SetPublic(**asked.stamp(), public=choice == "on", title=title if choice == "on" else None)


@dataclass(frozen=True)
class Action:
    build: Callable[[Asked], cmd.IncidentCommand]
    done: str  # the confirmation, with {ref}


ACTIONS: Mapping[str, Action] = {
    "acknowledge": Action(_acknowledge, "{ref} acknowledged."),
    "severity": Action(_severity, "{ref}'s severity changed."),
    "status": Action(_status, "{ref}'s status changed."),
    "commander": Action(_commander, "{ref} has a new commander."),
    "note": Action(_note, "Note added to {ref}."),
    "update": Action(_update, "Stakeholder update for {ref} published."),
    "resolve": Action(_resolve, "{ref} resolved."),
    "reopen": Action(_reopen, "{ref} reopened."),
    "close": Action(_close, "{ref} closed."),
    "followup": Action(_followup, "Follow-up added to {ref}."),
    "followup-done": Action(_followup_done, "Follow-up marked done on {ref}."),
    "public": Action(_public, "{ref}'s place on the status page changed."),
}


def read_version(form: Form) -> int | None:
    """The incident's version the page showed when the form was rendered."""
    text = form.get("version", "")
    return int(text) if text.isdigit() and len(text) < 10 else None


def form_key(user_id: str, path: str, form: Form) -> str:
    """The idempotency key of one rendered form as sent: the same click sent twice (a double click,
    a browser resending it) has the same key and is applied once. The form's version and the
    session's CSRF token are in it, so the same form rendered again later has another key."""
    sent = "\x1f".join(f"{name}\x1e{value}" for name, value in sorted(form.items()))
    digest = hashlib.sha256(f"{user_id}\x1f{path}\x1f{sent}".encode()).hexdigest()
    return f"console:{digest[:40]}"
