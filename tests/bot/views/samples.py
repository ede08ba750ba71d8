"""Incidents for the view tests: brought into each status along its usual path, and the hostile
text people could type into them."""

from __future__ import annotations

from datetime import timedelta

from domain import commands as cmd
from domain.incident import Incident
from domain.lifecycle import Status
from domain.severity import Severity
from tests.builders import REPORTER, T0, Story, declared

COMMANDER = "U0LEAD"

HOSTILE = (
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U123>",
    "<!subteam^S1>",
    "<https://evil|ok>",
    "&",
    "@here",
)
HOSTILE_TEXT = "ping " + " ".join(HOSTILE) + " @channel @everyone"
# What must never reach Slack from user text: a broadcast, a group ping or a link hiding where it
# goes. ``<@U123>`` is not here: SPEC §2 shows a user's token as that user's mention.
RAW_PINGS = ("<!channel>", "<!here>", "<!everyone>", "<!subteam^S1>", "<https://evil")
_J = "\u2060"  # the word joiner that keeps "@here" a word, not a ping
# HOSTILE_TEXT as mrkdwn shows it: tokens read as the user meant them, nothing pings.
HOSTILE_SHOWN = (
    f"ping @{_J}channel @{_J}here @{_J}everyone <@U123> @S1 ok (https://evil) &amp; "
    f"@{_J}here @{_J}channel @{_J}everyone"
)

# 120 characters: emoji (two UTF-16 units each) and mention-like text, the worst a title can be.
LONG_TITLE = ("🔥💥🚨🔥💥🚨 <!channel> <@U123> & @here down " * 6)[:120]


def story_in(
    status: Status,
    *,
    title: str = "Checkout is failing",
    severity: Severity = Severity.SEV2,
    description: str = "",
    service: str | None = None,
) -> Story:
    """A story whose incident has reached ``status`` through its usual path."""
    story = declared(title=title, severity=severity, description=description, service=service)
    at = T0 + timedelta(minutes=2)
    if status is Status.DECLARED:
        return story
    story.do(cmd.Assign(actor=REPORTER, commander=COMMANDER), at)
    if status in (Status.IDENTIFIED, Status.MONITORING):
        story.do(cmd.ChangeStatus(actor=COMMANDER, status=status), at)
    elif status is not Status.INVESTIGATING:
        story.do(cmd.Acknowledge(actor=COMMANDER), at)
        story.do(cmd.Resolve(actor=COMMANDER, summary="Rolled back <!here> & restarted"), at)
    else:
        story.do(cmd.Acknowledge(actor=COMMANDER), at)
    if status is Status.CLOSED:
        story.do(cmd.Close(actor=COMMANDER), at)
    assert story.incident.status is status
    return story


def incident_in(status: Status, *, title: str = "Checkout is failing", severity: Severity = Severity.SEV2) -> Incident:
    return story_in(status, title=title, severity=severity).incident
