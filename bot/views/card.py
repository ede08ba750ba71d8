"""The incident card (SPEC §4): one message per incident, edited in place on every change."""

from __future__ import annotations

from datetime import datetime

from bot.views import action_ids as ids
from bot.views.alert_lines import alerts_fact
from bot.views.blocks import (
    FIELD_TEXT_MAX,
    Block,
    actions,
    button,
    confirm,
    context,
    fields_section,
    header,
    link_button,
    option,
    section,
)
from bot.views.escaping import escape_within
from bot.views.formatting import (
    DATE_AND_TIME,
    SLACK,
    Wording,
    severity_choice,
    severity_label,
    severity_marker,
    status_label,
    title_line,
)
from bot.views.service_fact import ServiceFact
from bot.views.sla_field import sla_field
from domain.incident import Incident
from domain.lifecycle import Status, allowed_next
from domain.severity import Severity

DESCRIPTION_SHOWN_MAX = 2500
FALLBACK_TEXT_MAX = 300


def incident_card(
    incident: Incident, now: datetime, console_url: str | None = None, service: ServiceFact | None = None
) -> list[Block]:
    """The card's blocks for ``incident`` as of ``now`` (which deadlines have passed); with the web
    console's ``console_url``, a button that opens the incident there; with its catalog ``service``,
    that service's name and owner, and a Runbook button when it has one."""
    blocks = [
        header(f"{card_marker(incident)} · {title_line(incident)}"),
        fields_section(card_fields(incident, now, service)),
    ]
    if incident.description:
        described = escape_within(incident.description, DESCRIPTION_SHOWN_MAX)
        blocks.append(section(f"*Description*\n{described}"))
    outcome = outcome_line(incident)
    if outcome:
        blocks.append(context(outcome))
    controls = _controls(incident)
    if service is not None and service.runbook and incident.status is not Status.CLOSED:
        controls.append(button("Runbook", ids.RUNBOOK, ids.encode_ref(incident.ref)))
    if console_url:
        controls.append(link_button("Open in console", ids.OPEN_IN_CONSOLE, f"{console_url}/incidents/{incident.ref}"))
    if controls:
        blocks.append(actions(ids.actions_block_id(incident.ref, incident.version), controls))
    return blocks


def card_marker(incident: Incident) -> str:
    """A finished incident stops showing its alarm colour; its severity stays in the fields."""
    if incident.status is Status.RESOLVED:
        return "✅"
    if incident.status is Status.CLOSED:
        return "⚫"
    return severity_marker(incident.severity)


def card_fallback_text(incident: Incident) -> str:
    """The message's ``text``: what notifications and screen readers show instead of the blocks."""
    words = f"{incident.severity.label} {title_line(incident)} ({incident.status.value})"
    return escape_within(words, FALLBACK_TEXT_MAX)


def card_fields(incident: Incident, now: datetime, service: ServiceFact | None = None) -> list[str]:
    """The card's facts as section fields; ``show`` repeats them so both read the same."""
    return [f"*{label}*\n{value}" for label, value in card_facts(incident, now, SLACK, service)]


def card_facts(
    incident: Incident, now: datetime, wording: Wording, service: ServiceFact | None = None
) -> list[tuple[str, str]]:
    """The card's facts as (label, value), worded for Slack or for the console's page."""
    facts = [
        ("Severity", severity_label(incident.severity)),
        ("Status", status_label(incident.status)),
        ("Commander", wording.commander(incident)),
        ("Reporter", wording.actor(incident.reporter)),
        ("Declared", wording.moment(incident.declared_at, DATE_AND_TIME)),
        ("SLA", sla_field(incident, now, wording)),
    ]
    if service is not None:
        facts.append(("Service", service.shown(wording)))
    elif incident.service:
        facts.append(("Service", wording.quote(incident.service, FIELD_TEXT_MAX - 20)))
    alerts = alerts_fact(incident)
    if alerts:
        facts.append(("Alerts", alerts))
    return facts


def outcome_line(incident: Incident, wording: Wording = SLACK) -> str | None:
    """How a finished incident ended, for a context line; None while it is open."""
    if incident.status is Status.CLOSED:
        closed = f"🔒 Closed {wording.moment(incident.closed_at, DATE_AND_TIME)}" if incident.closed_at else "🔒 Closed"
        return f"{closed}{_summary(incident, wording)}"
    if incident.status is Status.RESOLVED:
        resolved = "✅ Resolved"
        if incident.resolved_at:
            resolved += f" {wording.moment(incident.resolved_at, DATE_AND_TIME)}"
        return f"{resolved}{_summary(incident, wording)}"
    return None


def _summary(incident: Incident, wording: Wording) -> str:
    if not incident.resolution_summary:
        return ""
    return f": {wording.quote(incident.resolution_summary, 1500)}"


def _controls(incident: Incident) -> list[Block]:
    if incident.is_open:
        return _open_controls(incident)
    value = ids.encode_ref(incident.ref)
    # Written once the incident is over, and still after it is closed (SPEC §4, §10).
    postmortem = button("Postmortem", ids.POSTMORTEM, value)
    if incident.status is Status.RESOLVED:
        close_confirm = confirm(
            f"Close {incident.ref}?",
            "Closing is final: the incident can no longer be reopened or changed.",
            yes="Close",
        )
        return [
            button("Reopen", ids.REOPEN, value),
            {**button("Close", ids.CLOSE, value, style="danger"), "confirm": close_confirm},
            postmortem,
        ]
    return [postmortem]


def _open_controls(incident: Incident) -> list[Block]:
    value = ids.encode_ref(incident.ref)
    controls: list[Block] = []
    if incident.acknowledged_at is None:
        controls.append(button("Acknowledge", ids.ACK, value, style="primary"))
    controls.append(_severity_select(incident))
    status_select = _status_select(incident)
    if status_select is not None:
        controls.append(status_select)
    controls.append(_commander_select(incident))
    controls.append(button("Stakeholder update", ids.STAKEHOLDER_UPDATE, value))
    # The resolve modal (optional summary, Cancel) is the confirmation; a dialog before it would
    # ask the same question twice (SPEC §4).
    controls.append(button("Resolve", ids.RESOLVE, value, style="danger"))
    return controls


def _severity_select(incident: Incident) -> Block:
    options = {
        severity: option(severity_choice(severity), ids.encode_choice(incident.ref, severity.name))
        for severity in Severity
    }
    return {
        "type": "static_select",
        "action_id": ids.SEVERITY,
        "placeholder": {"type": "plain_text", "text": "Severity"},
        "options": list(options.values()),
        "initial_option": options[incident.severity],
    }


def _status_select(incident: Incident) -> Block | None:
    """Moves the lifecycle allows, except resolving, which goes through Resolve and its confirm.

    The current state is never an option (choosing it could only be refused), so the menu shows
    it in its placeholder instead of as a selection.
    """
    targets = [s for s in allowed_next(incident.status) if s not in (Status.RESOLVED, Status.CLOSED)]
    if not targets:
        return None
    return {
        "type": "static_select",
        "action_id": ids.STATUS,
        "placeholder": {"type": "plain_text", "text": f"Status: {incident.status.value}"},
        "options": [option(status_label(s), ids.encode_choice(incident.ref, s.value)) for s in targets],
    }


def _commander_select(incident: Incident) -> Block:
    element: Block = {
        "type": "users_select",
        "action_id": ids.COMMANDER,
        "placeholder": {"type": "plain_text", "text": "Assign commander"},
    }
    if incident.commander:
        element["initial_user"] = incident.commander
    return element
