"""The card's SLA field (SPEC §4): absolute deadlines, so what it says stays true between edits.

A relative "due in 4 min" is stale a minute after it is rendered; a deadline in Slack's date
formatting is shown in each reader's time zone and is true until the deadline passes, when the
scheduler has the card edited (see Incident.card_due_at).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.views.formatting import DATE_AND_TIME, SLACK, TIME_ONLY, Wording
from domain.incident import Incident
from domain.sla import format_duration

# Beyond this, a time alone could be read as today's: the date is shown with it.
TIME_ALONE_WITHIN = timedelta(hours=12)


def sla_field(incident: Incident, now: datetime, wording: Wording = SLACK) -> str:
    """``ack overdue since 03:15 · reminder snoozed until 03:45``, then what is known of the
    response: ``acknowledged by @bob after 6 min``, ``resolved after 2 h 14 min``."""
    lines = [deadline_line(incident, now, wording)] if incident.is_open else []
    if incident.time_to_ack is not None:
        who = f" by {wording.actor(incident.acknowledged_by)}" if incident.acknowledged_by else ""
        lines.append(f"acknowledged{who} after {format_duration(incident.time_to_ack)}")
    if incident.time_to_resolve is not None:
        lines.append(f"resolved after {format_duration(incident.time_to_resolve)}")
    return "\n".join(lines) or "stopped"


def deadline_line(incident: Incident, now: datetime, wording: Wording = SLACK) -> str:
    """What is overdue, the next deadline, and any snooze, on one line (``list`` shows it too)."""

    def when(moment: datetime) -> str:
        near = abs(moment - now) < TIME_ALONE_WITHIN
        return wording.moment(moment, TIME_ONLY if near else DATE_AND_TIME)

    running = incident.deadlines.running()
    parts = [f"{kind.value} overdue since {when(due)}" for kind, due in running if due <= now]
    ahead = next(((kind, due) for kind, due in running if due > now), None)
    if ahead is not None:
        parts.append(f"{ahead[0].value} by {when(ahead[1])}")
    if not parts:
        parts.append("no deadline ahead")
    if incident.snoozed_until is not None and incident.snoozed_until > now:
        # Beside the deadline, which a snooze does not move: only the reminder waits.
        parts.append(f"reminder snoozed until {when(incident.snoozed_until)}")
    return " · ".join(parts)
