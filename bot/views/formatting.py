"""Small pieces of wording shared by the card, audit lines and ephemeral replies."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.views.escaping import channel_link, escape_within, mention, readable_plain
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
_SECONDS = "%Y-%m-%d %H:%M:%S UTC"
_FALLBACKS = {TIME_ONLY: "%H:%M UTC", DATE_AND_SECONDS: _SECONDS}


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
    return SLACK.actor(actor)


def commander_label(incident: Incident) -> str:
    return SLACK.commander(incident)


def slack_date(when: datetime, token: str = DATE_AND_TIME) -> str:
    """A time each reader sees in their own timezone; the UTC fallback is for old clients."""
    aware = _aware(when)
    # The fallback says as much as the token does: a time alone stays a time alone.
    fallback = aware.astimezone(UTC).strftime(_FALLBACKS.get(token, "%Y-%m-%d %H:%M UTC"))
    return f"<!date^{int(aware.timestamp())}^{token}|{fallback}>"


def utc_text(when: datetime) -> str:
    """``2026-12-07 01:19:05 UTC``: a time for a page, which has no reader's time zone to show it in."""
    return _aware(when).astimezone(UTC).strftime(_SECONDS)


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Wording:
    """How a view names people and times and quotes what people wrote: in mrkdwn for Slack
    (:data:`SLACK`), or as plain text for a web page, whose templates escape it (:func:`plain_wording`).
    The card, the SLA field and the timeline's lines are worded once, for both."""

    person: Callable[[str], str]
    # A time, and the Slack date token that says how precisely a message shows it.
    moment: Callable[[datetime, str], str]
    # User text, within the slot's limit where the slot has one.
    quote: Callable[[str, int], str]
    channel: Callable[[str], str]
    nobody: str  # who commands an unassigned incident

    def actor(self, actor: str) -> str:
        return BOT_NAME if actor == SYSTEM_ACTOR else self.person(actor)

    def commander(self, incident: Incident) -> str:
        return self.person(incident.commander) if incident.commander else self.nobody


SLACK = Wording(person=mention, moment=slack_date, quote=escape_within, channel=channel_link, nobody="_unassigned_")


def plain_wording(names: Mapping[str, str]) -> Wording:
    """Plain text for a page: people by their ``names`` (user id → name), times in UTC to the second,
    user text whole and read as in Slack (``<!here>`` is the word ``@here``, a link its address)."""
    return Wording(
        person=lambda user_id: names.get(user_id, user_id),
        moment=lambda when, _precision: utc_text(when),
        quote=lambda text, _limit: readable_plain(text),
        channel=lambda channel_id: f"#{channel_id}",
        nobody="unassigned",
    )


def title_line(incident: Incident) -> str:
    """``INC-42 · title`` before escaping; callers escape it for the slot it goes into."""
    return f"{incident.ref} · {incident.title}"
