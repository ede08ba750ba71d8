"""SlackEffects: the outbox messages each committed change produces. Changes are made by the real
command runner (with no effects of its own), then handed to the effects as the runner would."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.delivery import outbox_messages as out
from bot.delivery.effects import SlackEffects
from bot.handler.runner import Change, no_effects
from bot.sla.planning import plan_reminders
from domain import commands as cmd
from domain.incident import IncidentRef
from domain.severity import Severity
from domain.sla import ClockKind
from storage.stored import OutboxMessage
from tests.bot.middle.support import ALICE, BOB, STAKEHOLDERS, WORKSPACE, Wired, origin
from tests.builders import CHANNEL, T0, declare_command
from tests.storage.helpers import applied

INC_1 = IncidentRef(WORKSPACE, 1)


async def declared(wired: Wired) -> Change:
    return applied(
        await wired.runner.declare(
            WORKSPACE,
            declare_command(actor=ALICE, thread_ts=None),
            now=T0,
        )
    )


async def changed(wired: Wired, command: cmd.IncidentCommand, at: datetime = T0) -> Change:
    return applied(await wired.runner.execute(INC_1, command, now=at))


async def swept(wired: Wired, at: datetime) -> Change:
    """What the scheduler records for INC-1 at ``at``."""
    [change] = await wired.runner.sweep_due(now=at, limit=10, plan=plan_reminders, effects=no_effects)
    return change


def kinds(messages: Sequence[OutboxMessage]) -> list[str]:
    return [message.kind for message in messages]


async def test_a_declaration_posts_the_card_and_nothing_else(wired: Wired) -> None:
    change = await declared(wired)

    assert SlackEffects(STAKEHOLDERS)(change) == [out.post_card(change.incident_id)]


async def test_a_requested_card_names_who_to_tell_should_slack_refuse_it(wired: Wired) -> None:
    change = await declared(wired)
    asked = origin(BOB, response_url="https://hooks.slack.com/commands/T0/1")

    [card] = SlackEffects().answering(asked)(change)

    assert card.kind == out.POST_CARD
    assert card.payload == {
        "incident_id": change.incident_id,
        "requested_by": BOB,
        "response_url": "https://hooks.slack.com/commands/T0/1",
    }


async def test_a_change_the_card_shows_refreshes_it_and_adds_one_audit_line(wired: Wired) -> None:
    base = await declared(wired)
    change = await changed(wired, cmd.Acknowledge(actor=BOB))

    messages = SlackEffects()(change)

    # Acknowledging also moves the status; the audit line says it once, with its cause.
    assert messages == [
        out.refresh_card(base.incident_id),
        out.audit_line(base.incident_id, f"<@{BOB}> acknowledged INC-1 (status → investigating)"),
    ]
    assert messages[0].coalesce_key == f"card:{base.incident_id}"


async def test_a_note_leaves_the_card_alone(wired: Wired) -> None:
    base = await declared(wired)
    change = await changed(wired, cmd.AddNote(actor=BOB, text="db failover started"))

    assert SlackEffects()(change) == [out.audit_line(base.incident_id, f"<@{BOB}> added a note: db failover started")]


async def test_a_note_typed_in_the_incidents_thread_gets_a_reaction_instead_of_an_echo(wired: Wired) -> None:
    home = "1700000000.000100"
    base = applied(await wired.runner.declare(WORKSPACE, declare_command(actor=ALICE, thread_ts=home), now=T0))
    typed = origin(BOB, thread_ts=home, message_ts="1700000000.000200")
    note = cmd.AddNote(actor=BOB, text="db failover started", source=typed.source)
    change = applied(await wired.runner.execute(INC_1, note, now=T0))
    assert change.home_ts == home

    assert SlackEffects().answering(typed)(change) == [out.reaction(CHANNEL, "1700000000.000200", "memo")]
    # Typed in another thread, or by slash command (no thread): the thread has not seen it.
    elsewhere = origin(BOB, thread_ts="1700000000.000900", message_ts="1700000000.000200")
    line = out.audit_line(base.incident_id, f"<@{BOB}> added a note: db failover started")
    assert SlackEffects().answering(elsewhere)(change) == [line]
    assert SlackEffects().answering(origin(BOB))(change) == [line]


async def test_a_stakeholder_update_goes_to_the_thread_and_to_the_stakeholder_channel_when_there_is_one(
    wired: Wired,
) -> None:
    await declared(wired)
    change = await changed(wired, cmd.PostStakeholderUpdate(actor=BOB, text="Checkout is degraded"))

    with_channel = SlackEffects(STAKEHOLDERS)(change)
    without = SlackEffects()(change)

    # No audit line: the published update is its own message.
    assert kinds(with_channel) == [out.REFRESH_CARD, out.THREAD_MESSAGE, out.CHANNEL_MESSAGE]
    assert with_channel[-1].payload["channel"] == STAKEHOLDERS
    assert with_channel[-1].payload["text"] == "Stakeholder update for INC-1"
    assert with_channel[-2].payload["blocks"] == with_channel[-1].payload["blocks"]
    assert without == with_channel[:-1]


async def test_an_ack_breach_reminds_in_the_thread_without_an_audit_line(wired: Wired) -> None:
    await declared(wired)
    change = await swept(wired, T0 + timedelta(minutes=15))

    messages = SlackEffects(ai_drafts=True)(change)

    assert [event.type for event in (item.event for item in change.events)] == ["sla_breached", "reminder_sent"]
    [reminder] = [message for message in messages if message.kind == out.THREAD_MESSAGE]
    assert reminder.payload["text"] == "INC-1 is not acknowledged yet"
    assert "audit" not in reminder.payload
    assert out.AI_DRAFT_UPDATE not in kinds(messages)  # only an update reminder is drafted for


async def test_an_update_reminder_carries_its_template_draft_instead_of_posting_it_apart(wired: Wired) -> None:
    await declared(wired)
    await changed(wired, cmd.Acknowledge(actor=BOB))
    change = await swept(wired, T0 + timedelta(hours=1))
    assert [item.event.type for item in change.events] == ["sla_breached", "reminder_sent", "ai_draft_created"]

    messages = SlackEffects()(change)

    threads = [message for message in messages if message.kind == out.THREAD_MESSAGE]
    assert [message.payload["text"] for message in threads] == ["A stakeholder update for INC-1 is due"]
    assert any(block.get("type") == "actions" for block in threads[0].payload["blocks"])
    assert out.AI_DRAFT_UPDATE not in kinds(messages)


async def test_with_an_ai_an_update_reminder_also_asks_for_an_ai_draft(wired: Wired) -> None:
    base = await declared(wired)
    await changed(wired, cmd.Acknowledge(actor=BOB))
    change = await swept(wired, T0 + timedelta(hours=1))

    messages = SlackEffects(ai_drafts=True)(change)

    assert messages[-1] == out.draft_job(base.incident_id, cmd.SYSTEM_ACTOR)
    assert messages[-1].detached


async def test_a_draft_recorded_by_a_job_is_posted_with_its_button(wired: Wired) -> None:
    await declared(wired)
    draft = cmd.RecordAiDraft(actor=BOB, text="All good now", model="claude", based_on=(1,), ai_written=True)
    change = await changed(wired, draft)

    [message] = SlackEffects()(change)

    assert message.payload["text"] == "Draft stakeholder update for INC-1"
    assert "All good now" in str(message.payload["blocks"])


async def test_after_slack_refused_the_card_the_next_change_posts_it_again_first(wired: Wired) -> None:
    base = await declared(wired)
    await changed(wired, cmd.RecordCardRefusal(actor=cmd.SYSTEM_ACTOR, error="not_in_channel"))
    change = await changed(wired, cmd.ChangeSeverity(actor=BOB, severity=Severity.SEV1))

    messages = SlackEffects().answering(origin(BOB))(change)

    assert kinds(messages) == [out.POST_CARD, out.THREAD_MESSAGE]
    assert messages[0].payload == {"incident_id": base.incident_id, "requested_by": BOB}
    assert messages[1].payload["text"] == f"<@{BOB}> changed severity SEV2 → SEV1"


async def test_a_sweep_that_finds_several_clocks_due_sends_one_reminder_for_each(wired: Wired) -> None:
    await declared(wired)
    await changed(wired, cmd.Acknowledge(actor=BOB))
    change = await swept(wired, T0 + timedelta(hours=8))

    threads = [message for message in SlackEffects()(change) if message.kind == out.THREAD_MESSAGE]

    breached = [getattr(item.event, "kind", None) for item in change.events if item.event.type == "sla_breached"]
    assert breached == [ClockKind.UPDATE, ClockKind.RESOLVE]
    assert [message.payload["text"] for message in threads] == [
        "A stakeholder update for INC-1 is due",
        "INC-1 has passed its resolve target",
    ]
