"""An alert-declared incident in Slack (SPEC §11), through the running bot's AlertIntake and the
local Slack: the card with its Alerts field and running SLA clock, one summarising thread line per
notification that changed something (none for a resend), the all-resolved question whose Resolve
button opens the card's resolve modal, and the one escalation suggestion whose menu raises the
severity."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.handler.alert_intake import ALERT_INTAKE, IntakeResult
from bot.local_slack import LocalSlack, Message
from bot.runtime.config_file import FirebreakConfig
from bot.views import action_ids as ids
from domain.alerts import AlertNotification, AlertRouting, AlertStatus
from domain.severity import Severity
from tests.builders import FIRING, RESOLVED, alert, alert_notification, card_field, controls
from tests.e2e.harness import CHANNEL, BotUnderTest

ESCALATE_AT = 4


@pytest.fixture
async def alerted(slack: LocalSlack, database_url: str) -> AsyncIterator[BotUnderTest]:
    """The bot in the local Slack's own workspace (alerts name none: they go to the bot's)."""
    routing = AlertRouting(channel=CHANNEL, escalate_at=ESCALATE_AT)
    config = FirebreakConfig(tick=timedelta(hours=1), alerts=routing)
    started = await BotUnderTest(slack, database_url, slack.state.team_id, config=config).start()
    yield started
    await started.stop()


async def take(bot: BotUnderTest, notification: AlertNotification, key: str) -> IntakeResult:
    result = await bot.app[ALERT_INTAKE].take(notification, key=key)
    await bot.settle()
    return result


def replies(slack: LocalSlack, card: Message) -> list[Message]:
    return slack.thread(CHANNEL, card.ts)[1:]


def latency(*fingerprints: str, status: AlertStatus = FIRING) -> AlertNotification:
    signals = (alert(fp, status, service="checkout", severity="warning") for fp in fingerprints)
    return alert_notification(*signals, group_key="checkout-latency")


async def test_an_alert_declared_incident_has_its_card_thread_and_resolve_question(
    alerted: BotUnderTest, slack: LocalSlack
) -> None:
    assert await take(alerted, latency("fp1", "fp2", "fp3"), "n1") == IntakeResult(declared=(1,))
    card = await alerted.card(1)
    assert card_field(card, "Alerts") == "3 firing · 0 resolved"
    assert card_field(card, "Reporter") == "alertmanager"
    assert card_field(card, "Severity").startswith("SEV3")
    assert card_field(card, "SLA").startswith("ack by <!date^")
    assert [m.text for m in replies(slack, card)] == ["🔔 3 alerts firing: HighLatency ×3"]

    # Alertmanager's resend and an HA pair's twin: nothing is said or edited.
    edits = len(slack.calls_to("chat.update"))
    assert await take(alerted, latency("fp1", "fp2", "fp3"), "n1-resent") == IntakeResult()
    assert len(slack.calls_to("chat.update")) == edits
    assert len(replies(slack, card)) == 1

    await take(alerted, latency("fp1", "fp2", status=RESOLVED), "n2")
    card = await alerted.card(1)
    assert card_field(card, "Alerts") == "1 firing · 2 resolved"
    await take(alerted, latency("fp3", status=RESOLVED), "n3")
    await take(alerted, latency("fp3", status=RESOLVED), "n3-resent")

    lines = [m.text for m in replies(slack, card)]
    assert lines[1:] == [
        "✅ 2 alerts resolved: HighLatency ×2",
        "✅ 1 alert resolved: HighLatency",
        "All alerts resolved — resolve INC-1?",
    ]
    question = replies(slack, card)[-1]
    assert controls(question) == [ids.RESOLVE]
    assert card_field(await alerted.card(1), "Status") == "Declared", "a person decides"

    opened = len(slack.views())
    assert (await alerted.click(question, ids.RESOLVE)).status == 200
    await alerted.settle()
    assert len(slack.views()) == opened + 1
    assert slack.views()[-1].payload["callback_id"] == ids.RESOLVE_MODAL


async def test_many_firing_alerts_suggest_a_higher_severity_once(alerted: BotUnderTest, slack: LocalSlack) -> None:
    await take(alerted, latency("fp1", "fp2"), "n1")
    await take(alerted, latency("fp3", "fp4"), "n2")
    await take(alerted, latency("fp5"), "n3")
    card = await alerted.card(1)
    suggestions = [m for m in replies(slack, card) if ids.SEVERITY in controls(m)]
    assert len(suggestions) == 1
    assert suggestions[0].text == "4 alerts are firing on INC-1 (SEV3) — raise its severity?"

    chosen = ids.encode_choice((await alerted.incident(1)).ref, Severity.SEV1.name)
    assert (await alerted.click(suggestions[0], ids.SEVERITY, option_value=chosen)).status == 200
    await alerted.settle()
    assert (await alerted.incident(1)).severity is Severity.SEV1
    assert card_field(await alerted.card(1), "Alerts") == "5 firing · 0 resolved"
