"""What was done in the web console says so in the thread's audit line (and the timeline's),
after what was done and before any text it carried."""

from __future__ import annotations

from datetime import timedelta

from bot.views.audit import audit_text, describe_event
from bot.views.formatting import plain_wording
from domain import commands as cmd
from domain.incident import ConsoleSource
from tests.builders import T0, declared

LATER = T0 + timedelta(minutes=3)
CAROL = "U0CAROL"
CONSOLE = ConsoleSource()


def test_an_acknowledgement_in_the_console_says_so_before_its_status_move() -> None:
    story = declared()
    events = story.do(cmd.Acknowledge(actor=CAROL, source=CONSOLE), LATER)
    assert audit_text(events, story.incident) == (
        "<@U0CAROL> acknowledged INC-42 via the console (status → investigating)"
    )


def test_the_console_is_named_before_the_text_a_change_carried() -> None:
    story = declared()
    (note,) = story.do(cmd.AddNote(actor=CAROL, text="db failover started", source=CONSOLE), LATER)
    assert describe_event(note, story.incident) == "<@U0CAROL> added a note via the console: db failover started"
    *_, resolved = story.do(cmd.Resolve(actor=CAROL, summary="Rolled back", source=CONSOLE), LATER)
    assert describe_event(resolved, story.incident) == "<@U0CAROL> resolved INC-42 via the console: Rolled back"
    page = plain_wording({CAROL: "Carol Chen"})
    assert describe_event(resolved, story.incident, page) == "Carol Chen resolved INC-42 via the console: Rolled back"


def test_a_change_made_in_slack_names_no_console() -> None:
    story = declared()
    (assigned,) = story.do(cmd.Assign(actor=CAROL, commander=CAROL), LATER)
    assert describe_event(assigned, story.incident) == "<@U0CAROL> took command"
