"""Shared helpers for the card-control, modal and click-concurrency tests: declaring, the messages
around the card, the incident's timeline, and what the harness sent to the bot (the card's own
readers are in :mod:`tests.builders`)."""

from __future__ import annotations

import copy
import json
import urllib.parse
from typing import Any

import pytest

from bot.local_slack import LocalSlack, Message
from bot.views import action_ids as ids
from domain import events as ev
from domain.incident import IncidentRef
from storage.unit_of_work import UnitOfWork
from tests.builders import controls
from tests.e2e.harness import BotUnderTest, Response


async def declare(bot: BotUnderTest, text: str = "declare Payments API latency sev3") -> Message:
    """Declare INC-n with ``/incident declare …`` and return its card, delivered and settled."""
    response = await bot.slash(text)
    assert response.status == 200, response.text
    await bot.settle()
    number = int(response.json()["text"].split("INC-", 1)[1].split(" ", 1)[0])
    return await bot.card(number)


def snapshot(message: Message) -> Message:
    """The message as it is now: the fake edits its messages in place, a client's copy stays put."""
    return copy.deepcopy(message)


def card_updates(slack: LocalSlack, card: Message) -> list[dict[str, Any]]:
    """The ``chat.update`` calls that edited ``card``."""
    return [call.args for call in slack.calls_to("chat.update") if call.args.get("ts") == card.ts and call.ok]


async def timeline(bot: BotUnderTest, number: int = 1) -> list[ev.Event]:
    stored = await bot.stored(number)
    return [item.event for item in await bot.firebreak.service.history(stored.id)]


def of_type(events: list[ev.Event], kind: type[ev.Event]) -> list[ev.Event]:
    return [event for event in events if isinstance(event, kind)]


async def declared_count(bot: BotUnderTest) -> int:
    """How many incidents the bot's workspace has (numbers are never reused, so the first gap)."""
    number = 0
    async with UnitOfWork(bot.observer) as uow:
        while await uow.incidents.get(IncidentRef(bot.workspace, number + 1)) is not None:
            number += 1
    return number


def ephemeral_texts(slack: LocalSlack, user: str) -> list[str]:
    return [e.text for e in slack.ephemerals(user)]


def thread_replies(slack: LocalSlack, card: Message) -> list[Message]:
    """The incident thread's messages after the card (the card is the root for a top-level card)."""
    root = card.thread_ts or card.ts
    return [m for m in slack.messages(card.channel, root) if m.ts != card.ts]


def top_level(slack: LocalSlack, channel: str) -> list[Message]:
    return [m for m in slack.messages(channel) if not m.is_reply]


def post_update_messages(slack: LocalSlack, card: Message) -> list[Message]:
    """Drafts in the incident's thread: the messages with a Post this update button."""
    return [m for m in thread_replies(slack, card) if ids.POST_UPDATE in controls(m)]


def published_updates(slack: LocalSlack, card: Message) -> list[Message]:
    return [
        m for m in thread_replies(slack, card) if "📣 *Stakeholder update" in json.dumps(m.blocks, ensure_ascii=False)
    ]


class Sent:
    """What the harness posted to the bot: form fields (slash commands) or payloads (interactions)."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    @property
    def trigger_ids(self) -> list[str]:
        return [str(body["trigger_id"]) for body in self.bodies if "trigger_id" in body]


def record_requests(bot: BotUnderTest, monkeypatch: pytest.MonkeyPatch) -> Sent:
    """Record every request body the harness sends, decoded, without changing what is sent."""
    sent = Sent()
    original = bot.post

    async def post(
        body: str, content_type: str, *, headers: dict[str, str] | None = None, signed: bool = True
    ) -> Response:
        if content_type == "application/x-www-form-urlencoded":
            form = dict(urllib.parse.parse_qsl(body))
            sent.bodies.append(json.loads(form["payload"]) if "payload" in form else form)
        else:
            sent.bodies.append(json.loads(body))
        return await original(body, content_type, headers=headers, signed=signed)

    monkeypatch.setattr(bot, "post", post)
    return sent
