"""A bot with a service catalog, and Done clicked on one step of a posted runbook."""

from __future__ import annotations

import tomllib
from datetime import timedelta
from itertools import count

from bot.local_slack import LocalSlack, Message
from bot.local_slack.payloads import block_actions, chosen_action, message_container
from bot.runtime.config_file import FirebreakConfig, parse_config
from bot.views import action_ids as ids
from tests.e2e.harness import ALICE, BotUnderTest, Response

OWNER_GROUP = "S0PAYMENTS"
OWNER_HANDLE = "payments-oncall"
CATALOG = f"""
[scheduler]
tick = "1h"

[services.checkout]
name = "Checkout"
owner = "{OWNER_GROUP}"
channel = "C0CHECKOUT"
runbook = [
  {{ text = "Check the payments dashboard", link = "https://grafana.example.com/d/payments" }},
  {{ text = "Fail over to the replica" }},
  {{ text = "Tell support" }},
]

[services.checkout.sla.sev1]
ack = "2m"
"""
_clicks = count(1)


def catalog_config() -> FirebreakConfig:
    config = parse_config(tomllib.loads(CATALOG), source="catalog.toml")
    assert config.tick == timedelta(hours=1)
    return config


def with_owner_group(slack: LocalSlack) -> None:
    slack.state.usergroups.append({"id": OWNER_GROUP, "handle": OWNER_HANDLE, "name": "Payments on-call"})


def runbook_messages(slack: LocalSlack, card: Message) -> list[Message]:
    root = card.thread_ts or card.ts
    return [m for m in slack.messages(card.channel, root) if m.text.startswith("Runbook for ")]


def open_steps(message: Message) -> list[int]:
    """The steps of a runbook message that still have their Done button."""
    buttons = [(b.get("accessory") or {}) for b in message.blocks or []]
    return [int(b["value"].rsplit(":", 1)[1]) for b in buttons if b.get("action_id") == ids.RUNBOOK_DONE]


async def click_done(bot: BotUnderTest, message: Message, step: int, *, user: str = ALICE) -> Response:
    """Done on step ``step`` of a runbook message, as Slack reports that button's click."""
    block = next(b for b in message.blocks or [] if (b.get("accessory") or {}).get("value", "").endswith(f":{step}"))
    element = block["accessory"]
    assert element["action_id"] == ids.RUNBOOK_DONE
    state = bot.slack.state
    payload = block_actions(
        state,
        user,
        channel=message.channel,
        message=state.message_dict(message),
        container=message_container(message.channel, message.ts, message.thread_ts, ephemeral=False),
        action=chosen_action(element, str(block.get("block_id")), None),
        response_url=bot.slack.response_url(f"done-{next(_clicks)}"),
        team_id=bot.workspace,
    )
    return await bot.interact(payload)
