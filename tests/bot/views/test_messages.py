from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.views.escaping import WORD_JOINER, slack_len
from bot.views.listings import (
    error_text,
    incident_list,
    incident_summary,
    timeline_text,
    unexpected_error_text,
)
from domain import commands as cmd
from domain.incident import IncidentRef
from domain.lifecycle import Status
from domain.severity import Severity
from tests.bot.views.samples import HOSTILE_SHOWN, HOSTILE_TEXT, LONG_TITLE, RAW_PINGS, incident_in, story_in
from tests.bot.views.slack_limits import check_blocks, mrkdwn_texts
from tests.builders import REPORTER, T0, declared

LATER = T0 + timedelta(minutes=10)


@pytest.mark.parametrize("status", list(Status))
def test_summary_within_limits_and_escaped(status: Status) -> None:
    story = story_in(status, title=LONG_TITLE, description=(HOSTILE_TEXT * 30)[:2000], service="pay")
    blocks = incident_summary(story.incident, LATER)
    check_blocks(blocks)
    assert all(block["type"] != "actions" for block in blocks)
    for text in mrkdwn_texts(blocks):
        for raw in RAW_PINGS:
            assert raw not in text


def test_summary_lists_milestones() -> None:
    blocks = incident_summary(incident_in(Status.RESOLVED), LATER)
    milestones = blocks[2]["text"]["text"]
    assert "*Acknowledged:* <!date^" in milestones
    assert "*Resolved:* <!date^" in milestones
    assert "*Last stakeholder update:* none yet" in milestones
    fresh = incident_summary(incident_in(Status.DECLARED), LATER)[2]["text"]["text"]
    assert fresh.startswith("*Acknowledged:* not yet")


def test_timeline_lists_every_event_newest_last() -> None:
    story = declared(title="<!here> down")
    story.do(cmd.AddNote(actor=REPORTER, text="first <@U123>"), T0 + timedelta(minutes=1))
    story.do(cmd.Acknowledge(actor="U0LEAD"), T0 + timedelta(minutes=2))
    text = timeline_text(story.incident, list(reversed(story.timeline)), LATER)
    lines = text.split("\n")
    assert lines[0] == f"*Timeline of INC-42* · @{WORD_JOINER}here down · 4 events, latest 8 min ago"
    # To the second: events of one minute must read in their order.
    assert lines[1].startswith("`#1` <!date^")
    assert "^{date_short_pretty} {time_secs}|2026-11-23 03:00:00 UTC> · " in lines[1]
    assert lines[1].endswith(f"<@U0REPORTER> declared INC-42 (SEV2): @{WORD_JOINER}here down")
    assert lines[2].endswith("<@U0REPORTER> added a note: first <@U123>")
    assert lines[3].endswith("<@U0LEAD> acknowledged INC-42")
    assert lines[4].startswith("`#4` ")
    assert lines[4].endswith("<@U0LEAD> changed status declared → investigating")


def test_long_timeline_keeps_the_newest_and_counts_the_rest() -> None:
    story = declared()
    for n in range(60):
        story.do(cmd.AddNote(actor=REPORTER, text=f"note {n} " + "&" * 200), T0 + timedelta(seconds=n))
    text = timeline_text(story.incident, story.timeline, LATER)
    assert slack_len(text) <= 3000
    lines = text.split("\n")
    shown = len(lines) - 2
    assert lines[1] == f"… {61 - shown} earlier events"
    assert "note 59 " in lines[-1]
    assert lines[2].startswith(f"`#{61 - shown + 1}` ")


def test_empty_timeline() -> None:
    assert timeline_text(declared().incident, [], LATER).endswith("No events recorded yet.")


def test_list_is_empty() -> None:
    assert incident_list([], T0, all=False) == "No open incidents."
    assert incident_list([incident_in(Status.RESOLVED)], T0, all=False) == "No open incidents."
    assert incident_list([], T0, all=True) == "No incidents yet."


def test_list_open_worst_first() -> None:
    minor = replace(incident_in(Status.DECLARED, severity=Severity.SEV4), ref=IncidentRef("T123", 7))
    major = replace(
        incident_in(Status.INVESTIGATING, severity=Severity.SEV1, title=HOSTILE_TEXT), ref=IncidentRef("T123", 8)
    )
    done = replace(incident_in(Status.CLOSED), ref=IncidentRef("T123", 9))
    text = incident_list([minor, done, major], T0 + timedelta(minutes=1), all=False)
    lines = text.split("\n")
    assert lines[0] == "*Open incidents* (2)"
    assert lines[1].startswith(f"🔴 SEV1 *INC-8* · {HOSTILE_SHOWN[:40]}")
    assert "— investigating · commander <@U0LEAD> · " in lines[1]
    assert lines[1].endswith("<#C0INCIDENTS>")
    assert lines[2].startswith(
        "🔵 SEV4 *INC-7* · Checkout is failing — declared · commander _unassigned_ · ack by <!date^"
    )
    for raw in RAW_PINGS:
        assert raw not in text
    assert "@here" not in text
    assert "…" in lines[1]


def test_list_all_newest_first_including_finished() -> None:
    old = replace(incident_in(Status.CLOSED), ref=IncidentRef("T123", 1))
    new = replace(incident_in(Status.DECLARED), ref=IncidentRef("T123", 2), declared_at=T0 + timedelta(hours=1))
    lines = incident_list([old, new], T0, all=True).split("\n")
    assert lines[0] == "*Recent incidents* (2)"
    assert "*INC-2*" in lines[1]
    assert "*INC-1*" in lines[2]
    assert "— closed · resolved <!date^" in lines[2]


def test_long_list_is_truncated_with_a_count() -> None:
    base = incident_in(Status.INVESTIGATING, title=LONG_TITLE)
    incidents = [replace(base, ref=IncidentRef("T123", n)) for n in range(1, 201)]
    text = incident_list(incidents, T0, all=False)
    assert slack_len(text) <= 3000
    lines = text.split("\n")
    assert lines[0] == "*Open incidents* (200)"
    assert lines[-1] == f"… and {200 - (len(lines) - 2)} more"


def test_error_text_escapes_message_and_usage() -> None:
    assert error_text("“<!here>” is not a severity") == "⚠️ “&lt;!here&gt;” is not a severity"
    assert error_text("Bad & wrong", "sev <1-4>") == "⚠️ Bad &amp; wrong\nUsage: `sev &lt;1-4&gt;`"
    multi = error_text("Unknown verb", "ack\nsev <1-4>")
    assert multi.endswith("Usage:\n```ack\nsev &lt;1-4&gt;```")
    assert slack_len(error_text("x" * 5000)) <= 3000


def test_unexpected_error_text() -> None:
    assert unexpected_error_text("abc123") == (
        "Sorry, something went wrong on our side (error id abc123). Nothing was changed; please try again."
    )
    assert "<!here>" not in unexpected_error_text("<!here>")
