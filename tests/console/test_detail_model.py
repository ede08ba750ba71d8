"""The incident page's words: the card's facts and the thread's lines, as plain text with names and
UTC times to the second (the template escapes them)."""

from __future__ import annotations

from datetime import timedelta

from bot.receivers.console.detail_model import incident_detail, people_in
from domain import commands as cmd
from domain.incident import SlackSource
from domain.severity import Severity
from storage.incident_story import IncidentStory
from storage.stored import StoredIncident
from tests.bot.views.samples import COMMANDER
from tests.builders import CHANNEL, REPORTER, T0, THREAD_TS, Story, at, declared

NAMES = {REPORTER: "Rita Reporter", COMMANDER: "Lee Lead"}


def story_of(story: Story) -> IncidentStory:
    return IncidentStory(StoredIncident(7, story.incident, "1700000000.000200", THREAD_TS), tuple(story.history))


def link(channel: str, ts: str | None) -> str | None:
    return f"https://slack.test/archives/{channel}/p{ts}" if ts else None


def test_every_event_reads_as_the_thread_says_it_with_names_and_utc_seconds() -> None:
    story = declared(severity=Severity.SEV2, description="Checkout <!here> see <https://status.test|status>")
    source = SlackSource(CHANNEL, "1700000000.000300")
    story.do(cmd.Assign(actor=REPORTER, commander=COMMANDER), at(seconds=61))
    story.do(cmd.AddNote(actor=COMMANDER, text="rolled back <!channel> & retried", source=source), at(seconds=75))
    story.do(cmd.ChangeSeverity(actor=COMMANDER, severity=Severity.SEV1), at(minutes=2, seconds=3))

    detail = incident_detail(story_of(story), NAMES, at(minutes=3), link)

    assert [(entry.seq, entry.at) for entry in detail.timeline] == [(item.seq, item.event.at) for item in story.history]
    assert [entry.what for entry in detail.timeline] == [
        "Rita Reporter declared INC-42 (SEV2): Checkout is failing",
        "Rita Reporter assigned Lee Lead as commander",
        "Lee Lead added a note: rolled back @\u2060channel & retried",
        "Lee Lead changed severity SEV2 → SEV1",
    ]
    assert [entry.link for entry in detail.timeline][2] == "https://slack.test/archives/C0INCIDENTS/p1700000000.000300"
    assert detail.description == "Checkout @\u2060here see status (https://status.test)"
    assert people_in(story_of(story)) == {REPORTER, COMMANDER}


def test_the_facts_are_the_cards_with_times_to_the_second_and_how_long_the_response_took() -> None:
    story = declared(severity=Severity.SEV2, service="payments")
    story.do(cmd.Acknowledge(actor=COMMANDER), at(minutes=6, seconds=30))
    story.do(cmd.Resolve(actor=COMMANDER, summary="fixed"), at(hours=2, minutes=14))

    detail = incident_detail(story_of(story), NAMES, at(hours=3), link)

    assert detail.heading == "✅ · INC-42 · Checkout is failing"
    facts = dict(detail.facts)

    assert facts["Severity"] == "SEV2 · major"
    assert facts["Status"] == "Resolved"
    assert facts["Commander"] == "unassigned"
    assert facts["Reporter"] == "Rita Reporter"
    assert facts["Declared"] == "2026-11-23 03:00:00 UTC"
    assert facts["Acknowledged"] == "2026-11-23 03:06:30 UTC"
    assert facts["Resolved"] == "2026-11-23 05:14:00 UTC"
    assert facts["SLA"] == "acknowledged by Lee Lead after 6 min\nresolved after 2 h 14 min"
    assert facts["Time to acknowledge"] == "6 min"
    assert facts["Time to resolve"] == "2 h 14 min"
    assert facts["Service"] == "payments"


def test_the_sla_clocks_say_what_is_overdue_and_what_the_snooze_holds_back() -> None:
    story = declared(severity=Severity.SEV2)  # ack 15 min, update 1 h, resolve 8 h
    story.do(cmd.Snooze(actor=REPORTER, duration=timedelta(minutes=30)), at(minutes=10))
    now = at(minutes=20)

    detail = incident_detail(story_of(story), NAMES, now, link)

    clocks = {clock.name: clock for clock in detail.clocks}
    assert (clocks["Acknowledge"].deadline, clocks["Acknowledge"].state) == (at(minutes=15), "overdue")
    assert clocks["Acknowledge"].reminder_at == at(minutes=40)
    assert (clocks["Resolve"].deadline, clocks["Resolve"].state) == (at(hours=8), "running")
    assert detail.snoozed_until == at(minutes=40)
    assert dict(detail.facts)["SLA"] == (
        "ack overdue since 2026-11-23 03:15:00 UTC · update by 2026-11-23 04:00:00 UTC"
        " · reminder snoozed until 2026-11-23 03:40:00 UTC"
    )


def test_updates_say_what_they_said_and_drafts_whether_they_were_posted() -> None:
    story = declared()
    story.do(
        cmd.RecordAiDraft(actor="system", text="*Impact:* <!here> slow", model=None, based_on=(), ai_written=False)
    )
    draft_seq = story.history[-1].seq
    story.do(cmd.RecordAiDraft(actor="system", text="second", model="claude-x", based_on=(1,), ai_written=True))
    story.do(cmd.PostStakeholderUpdate(actor=COMMANDER, text="Checkout slow.\nNext update: soon", draft_seq=draft_seq))

    detail = incident_detail(story_of(story), NAMES, story.at, link)

    assert [(d.label, d.text, d.posted) for d in detail.drafts] == [
        ("Template update, not AI-written", "*Impact:* @\u2060here slow", True),
        ("AI draft (claude-x)", "second", False),
    ]
    assert [(u.author, u.text) for u in detail.updates] == [("Lee Lead", "Checkout slow.")]
    assert detail.updates[0].at > T0
