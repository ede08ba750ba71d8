from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.views.audit import audit_line, audit_text, describe_event
from bot.views.escaping import ELLIPSIS, WORD_JOINER, slack_len
from domain import commands as cmd
from domain import events as ev
from domain.lifecycle import Status
from domain.pinned import PinnedBy
from domain.postmortem import PostmortemField, PostmortemText
from domain.severity import Severity
from domain.sla import ClockKind
from tests.bot.views.samples import COMMANDER, HOSTILE_SHOWN, HOSTILE_TEXT, RAW_PINGS
from tests.builders import REPORTER, RESOLVED, T0, Story, alert, declared, record_alerts

LATER = T0 + timedelta(minutes=3)
U1 = "<@U0REPORTER>"


def only_line(story: Story, command: cmd.AnyCommand) -> str | None:
    events = story.do(command, LATER)
    assert len(events) == 1
    return audit_line(events[0], story.incident)


def test_declared_gets_no_audit_line_but_describes_itself() -> None:
    story = declared(severity=Severity.SEV2)
    event = story.events[0]
    assert audit_line(event, story.incident) is None
    assert describe_event(event, story.incident) == f"{U1} declared INC-42 (SEV2): Checkout is failing"


def test_acknowledged_is_one_line_though_it_also_moves_the_status() -> None:
    story = declared()
    events = story.do(cmd.Acknowledge(actor=REPORTER), LATER)
    assert [type(event) for event in events] == [ev.Acknowledged, ev.StatusChanged]
    assert audit_line(events[0], story.incident) == f"{U1} acknowledged INC-42"
    # The status move is said with its cause, in the same line (SPEC §2).
    assert audit_text(events, story.incident) == f"{U1} acknowledged INC-42 (status → investigating)"


def test_severity_changed() -> None:
    story = declared(severity=Severity.SEV3)
    assert only_line(story, cmd.ChangeSeverity(actor=REPORTER, severity=Severity.SEV1)) == (
        f"{U1} changed severity SEV3 → SEV1"
    )


def test_assigned() -> None:
    story = declared()
    assert only_line(story, cmd.Assign(actor=REPORTER, commander=COMMANDER)) == (
        f"{U1} assigned <@{COMMANDER}> as commander"
    )
    assert only_line(story, cmd.Assign(actor=REPORTER, commander="U0OTHER")) == (
        f"{U1} assigned <@U0OTHER> as commander (was <@{COMMANDER}>)"
    )
    assert only_line(story, cmd.Assign(actor="U0SELF", commander="U0SELF")) == "<@U0SELF> took command from <@U0OTHER>"


def test_status_changed_after_acknowledgement() -> None:
    story = declared()
    story.do(cmd.Acknowledge(actor=REPORTER), T0)
    assert only_line(story, cmd.ChangeStatus(actor=REPORTER, status=Status.IDENTIFIED)) == (
        f"{U1} changed status investigating → identified"
    )


def test_note_is_escaped_folded_and_truncated() -> None:
    story = declared()
    line = only_line(story, cmd.AddNote(actor=REPORTER, text=HOSTILE_TEXT + "\nsecond line"))
    assert line is not None
    assert line == f"{U1} added a note: {HOSTILE_SHOWN} second line"
    assert line.endswith(f"@{WORD_JOINER}channel @{WORD_JOINER}everyone second line")
    for raw in RAW_PINGS:
        assert raw not in line
    assert "\n" not in line
    long_line = only_line(story, cmd.AddNote(actor=REPORTER, text="&" * 2000))
    assert long_line is not None
    assert long_line.endswith(ELLIPSIS)
    assert slack_len(long_line) < 400


def test_stakeholder_update_posted() -> None:
    story = declared(severity=Severity.SEV2)
    line = only_line(story, cmd.PostStakeholderUpdate(actor=REPORTER, text="All good"))
    due = int((LATER + timedelta(hours=1)).timestamp())
    date = f"<!date^{due}^{{date_short_pretty}} {{time}}|2026-11-23 04:03 UTC>"
    assert line == f"{U1} posted a stakeholder update (next one due {date}): All good"
    approved = only_line(story, cmd.PostStakeholderUpdate(actor=REPORTER, text="Draft", model="claude-haiku-4-5"))
    assert approved is not None
    assert approved.startswith(f"{U1} posted a stakeholder update drafted by Firebreak")
    assert approved.endswith("): Draft")


def test_a_posted_update_shows_what_it_said_but_not_the_drafts_guess_at_the_next_one() -> None:
    story = declared(severity=Severity.SEV2)
    text = "*Impact:* checkout <!here> down\n*Current status:* investigating\n*Next update:* by 01:46 UTC."
    line = only_line(story, cmd.PostStakeholderUpdate(actor=REPORTER, text=text))
    assert line is not None
    assert line.endswith(f"): *Impact:* checkout @{WORD_JOINER}here down *Current status:* investigating")
    assert "01:46" not in line


def test_snoozed() -> None:
    story = declared()
    line = only_line(story, cmd.Snooze(actor=REPORTER, duration=timedelta(minutes=30)))
    until = int((LATER + timedelta(minutes=30)).timestamp())
    date = f"<!date^{until}^{{date_short_pretty}} {{time}}|2026-11-23 03:33 UTC>"
    assert line == f"{U1} snoozed reminders until {date}"


def test_resolved_with_and_without_summary() -> None:
    story = declared()
    story.do(cmd.Acknowledge(actor=REPORTER), T0)
    assert only_line(story, cmd.Resolve(actor=REPORTER, summary="<!here> rolled back")) == (
        f"{U1} resolved INC-42: @{WORD_JOINER}here rolled back"
    )
    story.do(cmd.Reopen(actor=REPORTER), LATER)
    assert only_line(story, cmd.Resolve(actor=REPORTER)) == f"{U1} resolved INC-42"


def test_reopened_and_closed() -> None:
    story = declared()
    story.do(cmd.Resolve(actor=REPORTER), T0)
    assert only_line(story, cmd.Reopen(actor=REPORTER, reason="came back @here")) == (
        f"{U1} reopened INC-42: came back @{WORD_JOINER}here"
    )
    story.do(cmd.Resolve(actor=REPORTER), LATER)
    assert only_line(story, cmd.Close(actor=REPORTER)) == f"{U1} closed INC-42"


def test_a_postmortem_save_names_the_fields_it_changed_not_their_text() -> None:
    story = declared()
    story.do(cmd.Resolve(actor=REPORTER), T0)
    texts = (
        PostmortemText(PostmortemField.CORRECTIVE_ACTIONS, "<!channel> canary deploys"),
        PostmortemText(PostmortemField.ROOT_CAUSE, "a config push"),
    )
    assert only_line(story, cmd.EditPostmortem(actor=COMMANDER, texts=texts)) == (
        f"<@{COMMANDER}> updated the postmortem of INC-42: root cause, corrective actions"
    )


def test_system_events_get_their_own_messages() -> None:
    story = declared(severity=Severity.SEV1)
    due = story.incident.clocks.ack_due_at
    assert due is not None
    breach_events = story.do(cmd.RecordSlaBreach(actor="system", kind=ClockKind.ACK, due_at=due), due)
    draft = story.do(
        cmd.RecordAiDraft(actor="system", text="Update", model="claude-haiku-4-5", based_on=(1,), ai_written=True), due
    )
    for event in [*breach_events, *draft]:
        assert audit_line(event, story.incident) is None
    assert audit_text([*breach_events, *draft], story.incident) is None
    described = [describe_event(event, story.incident) for event in [*breach_events, *draft]]
    assert described[0].startswith("Firebreak recorded a missed ack target (due <!date^")
    assert described[1].startswith("Firebreak sent a reminder: ack was due <!date^")
    assert described[2] == "Firebreak drafted a stakeholder update (with claude-haiku-4-5)"


def test_template_draft_is_labelled() -> None:
    event = ev.AiDraftCreated(actor="system", at=T0, text="t", model=None, based_on=(), ai_written=False)
    assert describe_event(event, declared().incident) == "Firebreak drafted a stakeholder update (from the template)"


def test_system_actor_renders_as_firebreak() -> None:
    story = declared()
    line = only_line(story, cmd.AddNote(actor="system", text="auto"))
    assert line == "Firebreak added a note: auto"


def test_unknown_actor_is_escaped_not_mentioned() -> None:
    story = declared()
    assert only_line(story, cmd.AddNote(actor="<!channel>", text="x")) == "&lt;!channel&gt; added a note: x"


def test_audit_text_joins_one_command() -> None:
    story = declared()
    events = story.do(cmd.ChangeStatus(actor=REPORTER, status=Status.MONITORING), LATER)
    assert audit_text(events, story.incident) == (
        f"{U1} acknowledged INC-42\n{U1} changed status declared → monitoring"
    )


def test_audit_text_keeps_separate_lines_for_other_moves() -> None:
    story = declared()
    events = story.do(cmd.Resolve(actor=REPORTER, summary="fixed"), LATER)
    assert audit_text(events, story.incident) == f"{U1} acknowledged INC-42\n{U1} resolved INC-42: fixed"


def test_audit_text_stays_within_a_message() -> None:
    story = declared()
    events: list[ev.Event] = []
    for _ in range(30):
        events += story.do(cmd.AddNote(actor=REPORTER, text="<" * 2000), LATER)
    text = audit_text(events, story.incident)
    assert text is not None
    assert slack_len(text) <= 3000
    assert text.endswith(ELLIPSIS)


def test_every_event_type_has_its_own_wording() -> None:
    story = declared()
    seen: dict[str, str] = {}
    story.do(cmd.RecordCardRefusal(actor="system", error="not_in_channel"), T0)
    story.do(cmd.RepostCard(actor=REPORTER), T0)
    story.do(record_alerts(alert("fp1"), escalate_at=1), T0)
    story.do(record_alerts(alert("fp1", RESOLVED)), T0)
    story.do(cmd.ChangeSeverity(actor=REPORTER, severity=Severity.SEV1), T0)
    story.do(cmd.Assign(actor=REPORTER, commander=COMMANDER), T0)
    story.do(cmd.ChangeStatus(actor=REPORTER, status=Status.IDENTIFIED), T0)
    story.do(cmd.AddNote(actor=REPORTER, text="n"), T0)
    story.do(cmd.CompleteRunbookStep(actor=REPORTER, step=1, text="r"), T0)
    story.do(cmd.PostStakeholderUpdate(actor=REPORTER, text="u"), T0)
    story.do(cmd.Snooze(actor=REPORTER, duration=timedelta(minutes=45)), T0)
    card_due = story.incident.card_due_at
    assert card_due is not None
    story.do(cmd.RecordCardClock(actor="system", due_at=card_due), card_due)
    due = story.incident.clocks.next_due_at
    assert due is not None
    kind = story.incident.clocks.running()[0][0]
    story.do(cmd.RecordSlaBreach(actor="system", kind=kind, due_at=due), due)
    story.do(cmd.RecordAiDraft(actor="system", text="d", model=None, based_on=(1,), ai_written=False), due)
    story.do(cmd.Resolve(actor=REPORTER), due)
    story.do(cmd.Reopen(actor=REPORTER), due)
    story.do(cmd.Resolve(actor=REPORTER), due)
    story.do(cmd.Close(actor=REPORTER), due)
    story.do(cmd.EditPostmortem(actor=REPORTER, texts=(PostmortemText(PostmortemField.SUMMARY, "s"),)), due)
    drafted = (PostmortemText(PostmortemField.SUMMARY, "s [#1]"),)
    story.do(cmd.RecordPostmortemDraft(actor=REPORTER, texts=drafted, model="m", based_on=(1,), ai_written=True), due)
    story.do(cmd.AddFollowUp(actor=REPORTER, text="f", due=timedelta(days=1)), due)
    story.do(cmd.RemindFollowUp(actor="system", number=1, due_at=due + timedelta(days=1)), due + timedelta(days=1))
    story.do(cmd.CompleteFollowUp(actor=REPORTER, number=1), due + timedelta(days=1))
    pinned: dict[str, Any] = {"channel_id": "C1", "ts": "1700000001.000200"}
    story.do(cmd.PinMessage(actor=REPORTER, **pinned, author=None, text=None, pinned_by=PinnedBy.PIN), due)
    story.do(cmd.PinMessage(actor=REPORTER, **pinned, author=None, text="t", pinned_by=PinnedBy.PIN), due)
    story.do(cmd.RecordMessageEdit(actor=REPORTER, **pinned, text="t2"), due)
    story.do(cmd.UnpinMessage(actor=REPORTER, **pinned), due)
    story.do(cmd.PinMessage(actor=REPORTER, **pinned, author=None, text="t2", pinned_by=PinnedBy.PIN), due)
    story.do(cmd.RecordMessageDeletion(actor="system", **pinned), due)
    story.do(cmd.SetPublic(actor=REPORTER, public=True, title="Checkout is slow"), due)
    for event in story.events:
        seen[event.type] = describe_event(event, story.incident)
    assert set(seen) == set(ev.EVENT_TYPES)
    assert not any("recorded " + name in line for name, line in seen.items())
