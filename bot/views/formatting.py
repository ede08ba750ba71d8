"""Small pieces of wording shared by the card, audit lines and ephemeral replies."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.views.escaping import mention
from domain.commands import SYSTEM_ACTOR
from domain.incident import Incident
from domain.lifecycle import Status
from domain.severity import Severity

BOT_NAME = "Firebreak"
# How people address the bot; help, errors and notices name commands with them.
SLASH_PREFIX = "/incident"
MENTION_PREFIX = "@firebreak"

_MARKERS = {
    Severity.SEV1: "🔴",
    Severity.SEV2: "🟠",
    Severity.SEV3: "🟡",
    Severity.SEV4: "🔵",
}

DATE_AND_TIME = "{date_short_pretty} {time}"
TIME_ONLY = "{time}"
# A log's times: two events of one minute must read in their order.
DATE_AND_SECONDS = "{date_short_pretty} {time_secs}"
_FALLBACKS = {TIME_ONLY: "%H:%M UTC", DATE_AND_SECONDS: "%Y-%m-%d %H:%M:%S UTC"}


def severity_marker(severity: Severity) -> str:
    """``🔴 SEV1``: colour first so a glance at the channel finds the worst incident."""
    return f"{_MARKERS[severity]} {severity.label}"


def severity_choice(severity: Severity) -> str:
    """An option in a severity menu: ``🔴 SEV1 · critical``."""
    return f"{severity_marker(severity)} · {severity.meaning}"


def severity_label(severity: Severity) -> str:
    return f"{severity.label} · {severity.meaning}"


def status_label(status: Status) -> str:
    return status.value.capitalize()


def actor_label(actor: str) -> str:
    """Who did something: a mention for a person, the bot's name for the scheduler."""
    return BOT_NAME if actor == SYSTEM_ACTOR else mention(actor)


def commander_label(incident: Incident) -> str:
    return mention(incident.commander) if incident.commander else "_unassigned_"


def slack_date(when: datetime, token: str = DATE_AND_TIME) -> str:
    """A time each reader sees in their own timezone; the UTC fallback is for old clients."""
    aware = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    # The fallback says as much as the token does: a time alone stays a time alone.
    fallback = aware.astimezone(UTC).strftime(_FALLBACKS.get(token, "%Y-%m-%d %H:%M UTC"))
    return f"<!date^{int(aware.timestamp())}^{token}|{fallback}>"


def title_line(incident: Incident) -> str:
    """``INC-42 · title`` before escaping; callers escape it for the slot it goes into."""
    return f"{incident.ref} · {incident.title}"
