"""SLA reminders (SPEC §5) with a frozen clock: each fires once at its due time, in the thread."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from bot.local_slack import LocalSlack, Message
from bot.runtime.clock import MutableClock
from bot.views import action_ids as ids
from bot.views.formatting import slack_date
from domain.severity import Severity
from domain.sla import ClockKind
from tests.builders import T0, card_field, controls
from tests.e2e.harness import BOB, CHANNEL, BotUnderTest


@pytest.fixture
def clock() -> MutableClock:
    return MutableClock(T0)


@pytest.fixture
async def sla_bot(
    slack: LocalSlack, database_url: str, workspace: str, clock: MutableClock
) -> AsyncIterator[BotUnderTest]:
    started = await BotUnderTest(slack, database_url, workspace, clock=clock).start()
    yield started
    await started.stop()


async def declare(bot: BotUnderTest, text: str) -> Message:
    response, _ = await bot.mention(text)
    assert response.status == 200
    card = await bot.card(1)
    await bot.settle()
    return card


def thread_replies(slack: LocalSlack, card: Message) -> list[Message]:
    assert card.thread_ts is not None
    return [m for m in slack.thread(CHANNEL, card.thread_ts)[1:] if m.ts != card.ts and m.bot_id]


async def tick_at(bot: BotUnderTest, clock: MutableClock, when: datetime) -> int:
    clock.set(when)
    reminded = await bot.tick()
    await bot.settle()
    return reminded


async def test_ack_reminder_fires_once_at_its_due_time_and_repeats_each_window(
    sla_bot: BotUnderTest, slack: LocalSlack, clock: MutableClock
) -> None:
    card = await declare(sla_bot, "database is down sev1")
    assert await tick_at(sla_bot, clock, T0 + timedelta(minutes=4, seconds=59)) == 0
    assert thread_replies(slack, card) == []

    assert await tick_at(sla_bot, clock, T0 + timedelta(minutes=5)) == 1
    replies = thread_replies(slack, card)
    assert len(replies) == 1
    assert "<!here>" in replies[0].text or "<!here>" in str(replies[0].blocks), "SEV1 without a commander pings here"
    assert "not acknowledged" in str(replies[0].blocks)
    assert controls(replies[0]) == [ids.ACK, ids.SNOOZE]

    assert await tick_at(sla_bot, clock, T0 + timedelta(minutes=6)) == 0, "once per due time"
    assert len(thread_replies(slack, card)) == 1
    assert await tick_at(sla_bot, clock, T0 + timedelta(minutes=10)) == 1, "repeats every ack window"
    assert len(thread_replies(slack, card)) == 2
    incident = await sla_bot.incident(1)
    assert incident.clocks.ack_due_at == T0 + timedelta(minutes=15)


async def test_ack_reminder_mentions_the_commander(
    sla_bot: BotUnderTest, slack: LocalSlack, clock: MutableClock
) -> None:
    card = await declare(sla_bot, "queue backlog sev2")
    await sla_bot.slash(f"assign <@{BOB}|bob>")
    await sla_bot.settle()
    before = len(thread_replies(slack, card))
    await tick_at(sla_bot, clock, T0 + timedelta(minutes=15))
    reminder = thread_replies(slack, card)[before]
    assert f"<@{BOB}>" in str(reminder.blocks)
    assert "<!here>" not in str(reminder.blocks)


async def test_acknowledged_incident_gets_no_ack_reminder(
    sla_bot: BotUnderTest, slack: LocalSlack, clock: MutableClock
) -> None:
    card = await declare(sla_bot, "checkout errors sev1")
    await sla_bot.click(card, ids.ACK)
    await sla_bot.settle()
    before = len(thread_replies(slack, card))
    assert await tick_at(sla_bot, clock, T0 + timedelta(minutes=29)) == 0
    assert len(thread_replies(slack, card)) == before


async def test_update_due_reminder_carries_a_draft_and_posting_it_restarts_the_clock(
    sla_bot: BotUnderTest, slack: LocalSlack, clock: MutableClock
) -> None:
    card = await declare(sla_bot, "login failures sev1")
    await sla_bot.click(card, ids.ACK)
    await sla_bot.slash("note rolled back the auth deploy")
    await sla_bot.settle()
    before = len(thread_replies(slack, card))
    assert await tick_at(sla_bot, clock, T0 + timedelta(minutes=30)) == 1
    reminder = thread_replies(slack, card)[before]
    assert "stakeholder update" in str(reminder.blocks)
    assert "not AI-written" in str(reminder.blocks)
    assert "rolled back the auth deploy" in str(reminder.blocks), "the draft is built from the incident's facts"
    assert controls(reminder) == [ids.POST_UPDATE, ids.SNOOZE]

    clock.set(T0 + timedelta(minutes=32))
    assert (await sla_bot.click(reminder, ids.POST_UPDATE)).status == 200
    await sla_bot.settle()
    incident = await sla_bot.incident(1)
    assert incident.last_update_at == T0 + timedelta(minutes=32)
    assert incident.clocks.update_due_at == T0 + timedelta(minutes=62), "publishing restarts the update clock"
    assert await tick_at(sla_bot, clock, T0 + timedelta(minutes=61)) == 0


async def test_severity_change_recomputes_every_clock(sla_bot: BotUnderTest, clock: MutableClock) -> None:
    await declare(sla_bot, "slow search sev4")
    sev4 = (await sla_bot.incident(1)).clocks
    assert sev4.update_due_at is None  # SEV4 has no update clock
    clock.set(T0 + timedelta(minutes=10))
    await sla_bot.slash("sev 1")
    clocks = (await sla_bot.incident(1)).clocks
    assert clocks.ack_due_at == T0 + timedelta(minutes=5), "SEV1's ack window, from the declaration"
    assert clocks.update_due_at == T0 + timedelta(minutes=30)
    assert clocks.resolve_due_at == T0 + timedelta(hours=4)
    assert await tick_at(sla_bot, clock, T0 + timedelta(minutes=10)) == 1, "already overdue: reminded at once"


async def test_snooze_postpones_the_next_reminder_once(
    sla_bot: BotUnderTest, slack: LocalSlack, clock: MutableClock
) -> None:
    card = await declare(sla_bot, "cdn errors sev1")
    await tick_at(sla_bot, clock, T0 + timedelta(minutes=5))
    reminder = thread_replies(slack, card)[-1]
    assert (await sla_bot.click(reminder, ids.SNOOZE)).status == 200
    await sla_bot.settle()
    assert (await sla_bot.incident(1)).clocks.ack_due_at == T0 + timedelta(minutes=35)
    assert await tick_at(sla_bot, clock, T0 + timedelta(minutes=34)) == 0
    assert await tick_at(sla_bot, clock, T0 + timedelta(minutes=35)) == 1, "after the snooze, reminders resume"
    assert (await sla_bot.incident(1)).clocks.ack_due_at == T0 + timedelta(minutes=40)


async def test_snooze_command_postpones_reminders(sla_bot: BotUnderTest, clock: MutableClock) -> None:
    await declare(sla_bot, "disk filling sev2")
    response = await sla_bot.slash("snooze 1h")
    assert response.status == 200
    assert (await sla_bot.incident(1)).clocks.ack_due_at == T0 + timedelta(hours=1)
    assert await tick_at(sla_bot, clock, T0 + timedelta(minutes=59)) == 0


async def test_resolve_target_breach_is_noticed_once(
    sla_bot: BotUnderTest, slack: LocalSlack, clock: MutableClock
) -> None:
    card = await declare(sla_bot, "batch jobs late sev3")
    await sla_bot.click(card, ids.ACK)
    await sla_bot.slash("update customers see delayed reports")
    await sla_bot.settle()
    clock.set(T0 + timedelta(days=3))
    await sla_bot.slash("update still working on it")
    await sla_bot.settle()
    before = len(thread_replies(slack, card))
    assert await tick_at(sla_bot, clock, T0 + timedelta(days=3, minutes=1)) == 1
    notice = thread_replies(slack, card)[before]
    assert "resolve target" in str(notice.blocks)
    assert (await sla_bot.incident(1)).clocks.resolve_due_at is None
    # Until the next update falls due (4 h after the last one) nothing more comes: no second notice.
    assert await tick_at(sla_bot, clock, T0 + timedelta(days=3, hours=3, minutes=59)) == 0
    history = await sla_bot.firebreak.service.history((await sla_bot.stored(1)).id)
    resolve_breaches = [i for i in history if i.event.type == "sla_breached" and i.event.kind is ClockKind.RESOLVE]  # type: ignore[attr-defined]
    assert len(resolve_breaches) == 1


async def test_resolved_and_closed_incidents_are_silent(
    sla_bot: BotUnderTest, slack: LocalSlack, clock: MutableClock
) -> None:
    card = await declare(sla_bot, "api 500s sev1")
    await sla_bot.slash("resolve bad config reverted")
    await sla_bot.settle()
    before = len(thread_replies(slack, card))
    assert await tick_at(sla_bot, clock, T0 + timedelta(days=10)) == 0
    assert len(thread_replies(slack, card)) == before
    incident = await sla_bot.incident(1)
    assert incident.clocks.next_due_at is None


async def test_reopen_restarts_the_clocks(sla_bot: BotUnderTest, clock: MutableClock) -> None:
    await declare(sla_bot, "api 500s sev2")
    await sla_bot.slash("resolve")
    clock.set(T0 + timedelta(hours=2))
    await sla_bot.slash("reopen errors are back")
    incident = await sla_bot.incident(1)
    assert incident.clocks.update_due_at == T0 + timedelta(hours=3)
    assert incident.clocks.resolve_due_at == T0 + timedelta(hours=10)
    assert incident.clocks.ack_due_at is None, "it was acknowledged before"
    assert incident.severity is Severity.SEV2
    kinds = [kind for kind, _ in incident.clocks.running()]
    assert kinds == [ClockKind.UPDATE, ClockKind.RESOLVE]


def _at(when: datetime) -> str:
    return f"<!date^{int(when.timestamp())}^{{time}}|{when:%H:%M} UTC>"


async def test_the_card_names_its_deadline_and_is_edited_when_it_passes_during_a_snooze(
    sla_bot: BotUnderTest, slack: LocalSlack, clock: MutableClock
) -> None:
    await declare(sla_bot, "payments down sev1")
    ack, update, until = T0 + timedelta(minutes=5), T0 + timedelta(minutes=30), T0 + timedelta(minutes=31)
    clock.set(T0 + timedelta(minutes=1))
    assert (await sla_bot.slash("snooze 30m")).status == 200
    await sla_bot.settle()
    card = await sla_bot.card(1)
    assert card_field(card, "SLA") == f"ack by {_at(ack)} · reminder snoozed until {_at(until)}", "the deadline stays"
    edits, replies = len(slack.calls_to("chat.update")), len(thread_replies(slack, card))

    assert await tick_at(sla_bot, clock, ack + timedelta(seconds=1)) == 0, "the reminder waits for the snooze"
    assert len(thread_replies(slack, card)) == replies, "nothing is said in the thread"
    assert len(slack.calls_to("chat.update")) == edits + 1, "the card is edited as the deadline passes"
    overdue = f"ack overdue since {_at(ack)} · update by {_at(update)} · reminder snoozed until {_at(until)}"
    assert card_field(await sla_bot.card(1), "SLA") == overdue
    assert await tick_at(sla_bot, clock, ack + timedelta(minutes=1)) == 0
    assert len(slack.calls_to("chat.update")) == edits + 1, "once per passing"

    assert await tick_at(sla_bot, clock, until) == 1, "after the snooze, the reminder"
    assert "snoozed" not in card_field(await sla_bot.card(1), "SLA")
    ack_reminder = next(m for m in thread_replies(slack, card) if "not acknowledged" in str(m.blocks))
    assert f"acknowledged by {slack_date(ack)}" in str(ack_reminder.blocks), "it names the deadline, not the snooze"
