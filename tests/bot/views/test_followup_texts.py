"""Follow-ups in Slack: their audit lines, the ``followups`` list and the overdue reminder."""

from __future__ import annotations

from datetime import date, timedelta

from bot.views.audit import audit_line, describe_event
from bot.views.escaping import slack_len
from bot.views.followup_texts import followup_reminder
from bot.views.formatting import slack_date
from bot.views.listings import followup_list
from domain import commands as cmd
from domain.followup_rules import MAX_FOLLOWUPS
from tests.bot.views.samples import COMMANDER, HOSTILE_SHOWN, HOSTILE_TEXT, RAW_PINGS
from tests.bot.views.slack_limits import check_blocks
from tests.builders import REPORTER, T0, Story, declared

U1 = "<@U0REPORTER>"
LEAD = f"<@{COMMANDER}>"
# T0 is 2026-11-23 03:00 UTC; a day due is shown as the day, a duration's end in each reader's zone.
DAY = date(2026, 11, 30)
SPAN = timedelta(days=2)


def _story() -> Story:
    story = declared()
    story.do(cmd.Resolve(actor=REPORTER), T0 + timedelta(minutes=1))
    return story


def _line(story: Story, command: cmd.IncidentCommand) -> str | None:
    (event,) = story.do(command, T0 + timedelta(minutes=2))
    return audit_line(event, story.incident)


def test_adding_one_says_its_number_owner_due_date_and_text() -> None:
    story = _story()
    assert _line(story, cmd.AddFollowUp(actor=REPORTER, text="Alert on queue depth")) == (
        f"{U1} added follow-up #1: Alert on queue depth"
    )
    assert _line(story, cmd.AddFollowUp(actor=REPORTER, text="Retry budget", owner=COMMANDER, due=DAY)) == (
        f"{U1} added follow-up #2 (owner {LEAD}, due 2026-11-30): Retry budget"
    )
    assert _line(story, cmd.AddFollowUp(actor=REPORTER, text="Runbook", due=SPAN)) == (
        f"{U1} added follow-up #3 (due {slack_date(T0 + timedelta(minutes=2) + SPAN)}): Runbook"
    )


def test_done_says_which_and_what_it_was() -> None:
    story = _story()
    story.do(cmd.AddFollowUp(actor=REPORTER, text="Alert on queue depth"), T0 + timedelta(minutes=2))
    assert _line(story, cmd.CompleteFollowUp(actor=COMMANDER, number=1)) == (
        f"{LEAD} marked follow-up #1 done: Alert on queue depth"
    )


def test_user_text_in_a_follow_up_never_pings() -> None:
    story = _story()
    line = _line(story, cmd.AddFollowUp(actor=REPORTER, text=HOSTILE_TEXT))
    assert line == f"{U1} added follow-up #1: {HOSTILE_SHOWN}"
    listed = followup_list(story.incident, story.at)
    reminder = str(followup_reminder(story.incident, story.incident.followups[0]))
    assert not any(ping in text for ping in RAW_PINGS for text in (line, listed, reminder))


def test_the_reminder_mentions_the_owner_and_gets_its_own_message_not_an_audit_line() -> None:
    story = _story()
    story.do(cmd.AddFollowUp(actor=REPORTER, text="Retry budget", owner=COMMANDER, due=DAY), T0)
    due = story.incident.followups[0].due
    assert due is not None
    (reminded,) = story.do(cmd.RemindFollowUp(actor="system", number=1, due_at=due.at), due.at)
    assert audit_line(reminded, story.incident) is None
    assert describe_event(reminded, story.incident) == (
        f"Firebreak reminded the owner of follow-up #1, due {slack_date(due.at)}: Retry budget"
    )
    fallback, blocks = followup_reminder(story.incident, story.incident.followups[0])
    assert fallback == "Follow-up #1 of INC-42 is overdue"
    check_blocks(blocks)
    assert blocks[0]["text"]["text"] == (
        f"⏰ {LEAD} *Follow-up #1 of INC-42 is overdue* (due 2026-11-30): Retry budget\n"
        "When it is done: `/incident followup INC-42 done 1`"
    )


def test_the_list_shows_owner_due_date_done_and_overdue() -> None:
    story = _story()
    story.do(cmd.AddFollowUp(actor=REPORTER, text="Alert on queue depth", due=SPAN), T0)
    story.do(cmd.AddFollowUp(actor=REPORTER, text="Retry budget", owner=COMMANDER, due=DAY), T0)
    story.do(cmd.AddFollowUp(actor=REPORTER, text="Runbook"), T0)
    story.do(cmd.CompleteFollowUp(actor=COMMANDER, number=3), T0 + timedelta(hours=1))
    assert followup_list(story.incident, T0 + timedelta(days=3)).splitlines() == [
        "*Follow-ups of INC-42* · Checkout is failing — 3 (2 open, 1 overdue)",
        f"`#1` Alert on queue depth — {U1} · due {slack_date(T0 + SPAN)} · *overdue*",
        f"`#2` Retry budget — {LEAD} · due 2026-11-30",
        f"`#3` Runbook — {U1} · ✅ done {slack_date(T0 + timedelta(hours=1))} by {LEAD}",
        "Mark one done: `/incident followup INC-42 done 1`. Days end at midnight UTC.",
    ]


def test_an_empty_list_says_how_to_add_one_with_its_placeholders_shown() -> None:
    assert followup_list(_story().incident, T0) == (
        "INC-42 has no follow-ups yet. Add one: `/incident followup INC-42 &lt;what&gt; [@owner] [due 2026-12-20 | 2w]`"
    )


def test_the_longest_list_fits_one_message() -> None:
    story = _story()
    for _ in range(MAX_FOLLOWUPS):
        story.do(cmd.AddFollowUp(actor=REPORTER, text="x" * 300, owner=COMMANDER, due=timedelta(days=1)), T0)
    listed = followup_list(story.incident, T0)
    assert slack_len(listed) <= 3000
    assert "… and " in listed
    assert listed.endswith("Days end at midnight UTC.")
