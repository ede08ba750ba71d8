"""Ephemeral replies: ``show``, ``timeline``, ``list``, ``followups`` and errors, seen only by who asked.

Texts stay within one section's 3000 characters, so callers may send them as ``text`` or wrap
them in a block; long lists keep the most useful end and say how much was left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.views.audit import describe_event
from bot.views.blocks import MESSAGE_TEXT_MAX, Block, context, fields_section, header, section
from bot.views.card import card_fields, outcome_line
from bot.views.card_refusal import card_refused_line
from bot.views.escaping import channel_link, clip_mrkdwn, escape_mrkdwn, escape_within, mention, slack_len
from bot.views.followup_texts import due_words
from bot.views.formatting import (
    DATE_AND_SECONDS,
    SLACK,
    SLASH_PREFIX,
    commander_label,
    severity_marker,
    slack_date,
    title_line,
)
from bot.views.sla_field import deadline_line
from domain.events import Event
from domain.followup import FollowUp
from domain.incident import Incident
from domain.sla import format_duration

LIST_TITLE_MAX = 80
DESCRIPTION_SHOWN_MAX = 2500
# Room kept for the "… N earlier events" line a truncated list ends or starts with.
_OMISSION_RESERVE = 40


def incident_summary(incident: Incident, now: datetime) -> list[Block]:
    """The ``show`` verb: everything the card says, plus the milestones it leaves out."""
    blocks = [
        header(f"{severity_marker(incident.severity)} · {title_line(incident)}"),
        fields_section(card_fields(incident, now)),
        section("\n".join(_milestones(incident))),
    ]
    if incident.description:
        blocks.append(section(f"*Description*\n{escape_within(incident.description, DESCRIPTION_SHOWN_MAX)}"))
    outcome = outcome_line(incident)
    if outcome:
        blocks.append(context(outcome))
    if incident.card_refused is not None:
        blocks.append(context(card_refused_line(incident, incident.card_refused)))
    blocks.append(context(f"Thread in {channel_link(incident.channel_id)}"))
    return blocks


def milestones(incident: Incident) -> list[tuple[str, datetime]]:
    """When each step of the response was reached: what the card leaves out (``show``, the console)."""
    stamps = [
        ("Acknowledged", incident.acknowledged_at),
        ("Identified", incident.identified_at),
        ("Mitigated", incident.mitigated_at),
        ("Reopened", incident.reopened_at),
        ("Resolved", incident.resolved_at),
        ("Closed", incident.closed_at),
    ]
    return [(name, at) for name, at in stamps if at is not None]


def _milestones(incident: Incident) -> list[str]:
    lines = [f"*{name}:* {slack_date(at)}" for name, at in milestones(incident)]
    if not lines:
        lines.append("*Acknowledged:* not yet")
    last = incident.last_update_at
    lines.append(f"*Last stakeholder update:* {slack_date(last) if last else 'none yet'}")
    return lines


def timeline_text(incident: Incident, events: Sequence[tuple[int, Event]], now: datetime) -> str:
    """The ``timeline`` verb: one line per event, newest last; the oldest give way when too long."""
    heading = f"*Timeline of {incident.ref}* · {escape_within(incident.title, LIST_TITLE_MAX)}"
    if not events:
        return f"{heading}\nNo events recorded yet."
    ordered = sorted(events, key=lambda pair: pair[0])
    latest = ordered[-1][1].at
    heading += f" · {len(ordered)} events, latest {format_duration(max(now - latest, timedelta(0)))} ago"
    lines = [
        f"`#{seq}` {slack_date(event.at, DATE_AND_SECONDS)} · {describe_event(event, incident)}"
        for seq, event in ordered
    ]
    kept = _fit(heading, lines, keep_last=True)
    omitted = len(lines) - len(kept)
    parts = [heading]
    if omitted:
        parts.append(f"… {omitted} earlier event{'s' if omitted != 1 else ''}")
    return "\n".join(parts + kept)


def incident_list(incidents: Sequence[Incident], now: datetime, *, all: bool) -> str:
    """The ``list`` verb: open incidents worst first, or with ``all`` every incident, newest first."""
    if all:
        shown = sorted(incidents, key=lambda i: (i.declared_at, i.ref.number), reverse=True)
        heading, empty = "*Recent incidents*", "No incidents yet."
    else:
        shown = sorted((i for i in incidents if i.is_open), key=lambda i: (i.severity, i.declared_at, i.ref.number))
        heading, empty = "*Open incidents*", "No open incidents."
    if not shown:
        return empty
    heading = f"{heading} ({len(shown)})"
    lines = [_list_line(incident, now) for incident in shown]
    kept = _fit(heading, lines, keep_last=False)
    omitted = len(lines) - len(kept)
    parts = [heading, *kept]
    if omitted:
        parts.append(f"… and {omitted} more")
    return "\n".join(parts)


def _list_line(incident: Incident, now: datetime) -> str:
    title = escape_within(incident.title, LIST_TITLE_MAX)
    facts = [incident.status.value]
    if incident.is_open:
        facts += [f"commander {commander_label(incident)}", deadline_line(incident, now)]
    elif incident.resolved_at is not None:
        facts.append(f"resolved {slack_date(incident.resolved_at)}")
    facts.append(channel_link(incident.channel_id))
    return f"{severity_marker(incident.severity)} *{incident.ref}* · {title} — {' · '.join(facts)}"


def followup_list(incident: Incident, now: datetime) -> str:
    """The ``followups`` verb: every follow-up in order, with its owner and whether it is done or overdue."""
    ref, followups = incident.ref, incident.followups
    if not followups:
        add = escape_mrkdwn(f"{SLASH_PREFIX} followup {ref} <what> [@owner] [due 2026-12-20 | 2w]")
        return f"{ref} has no follow-ups yet. Add one: `{add}`"
    still_open = [f for f in followups if not f.is_done]
    overdue = sum(1 for f in still_open if f.is_overdue(now))
    heading = (
        f"*Follow-ups of {ref}* · {escape_within(incident.title, LIST_TITLE_MAX)} — "
        f"{len(followups)} ({len(still_open)} open, {overdue} overdue)"
    )
    footer = "Days end at midnight UTC."
    if still_open:
        footer = f"Mark one done: `{SLASH_PREFIX} followup {ref} done {still_open[0].number}`. {footer}"
    lines = [_followup_line(f, now) for f in followups]
    kept = _fit(f"{heading}\n{footer}", lines, keep_last=False)
    omitted = len(lines) - len(kept)
    return "\n".join([heading, *kept, *([f"… and {omitted} more"] if omitted else []), footer])


def _followup_line(followup: FollowUp, now: datetime) -> str:
    facts = [mention(followup.owner)]
    if followup.done_at is not None:
        facts.append(f"✅ done {slack_date(followup.done_at)} by {mention(followup.done_by or '')}")
    elif followup.due is None:
        facts.append("no due date")
    else:
        facts.append(f"due {due_words(followup.due, SLACK)}" + (" · *overdue*" if followup.is_overdue(now) else ""))
    return f"`#{followup.number}` {escape_within(followup.text, LIST_TITLE_MAX * 2)} — {' · '.join(facts)}"


def _fit(heading: str, lines: list[str], *, keep_last: bool) -> list[str]:
    """As many whole lines as fit beside the heading, from the end that matters most."""
    budget = MESSAGE_TEXT_MAX - slack_len(heading) - _OMISSION_RESERVE
    ordered = reversed(lines) if keep_last else iter(lines)
    kept: list[str] = []
    for line in ordered:
        cost = slack_len(line) + 1
        if cost > budget:
            break
        kept.append(line)
        budget -= cost
    return list(reversed(kept)) if keep_last else kept


def error_text(message: str, usage: str | None = None) -> str:
    """A refusal: the domain's sentence (it may quote what was typed, so it is escaped) and usage."""
    text = f"⚠️ {escape_mrkdwn(message)}"
    if usage:
        shown = escape_mrkdwn(usage)
        if "`" in usage:
            # The grammar's usage lines carry their own code spans; wrapping them again would
            # break every span and show stray backticks.
            text += f"\nUsage:\n{shown}" if "\n" in usage else f"\nUsage: {shown}"
        else:
            text += f"\nUsage:\n```{shown}```" if "\n" in usage else f"\nUsage: `{shown}`"
    return clip_mrkdwn(text, MESSAGE_TEXT_MAX)


def unexpected_error_text(error_id: str) -> str:
    return (
        f"Sorry, something went wrong on our side (error id {escape_within(error_id, 64)}). "
        "Nothing was changed; please try again."
    )


UNAVAILABLE_TEXT = "⏳ I can't reach my database right now, so nothing was changed. Please try again in a moment."


# A mention Slack will send again (its event was answered 503): nothing to do yet.
RESENT_LATER_TEXT = (
    "⏳ I can't reach my database right now, so this isn't recorded yet. Slack will send it to me again "
    "within a few minutes and it will go through then; there is no need to repeat it."
)


def unavailable_text() -> str:
    """The answer to a command that arrived while the database was down: it was not recorded."""
    return UNAVAILABLE_TEXT
