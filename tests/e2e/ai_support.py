"""Shared by the AI update tests: the Messages API as the bot reaches it (mocked with httpx2 +
respx: no request leaves the process), and reading drafts back from Slack and the timeline."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from bot.local_slack import LocalSlack, Message
from bot.views import action_ids as ids
from domain import events as ev
from tests.bot.ai import GOOD_ANSWER, MODEL, tool_answer
from tests.builders import controls
from tests.e2e.card_support import post_update_messages
from tests.e2e.harness import ANTHROPIC_TEST_URL, BotUnderTest
from tests.e2e.verb_support import block_texts

MESSAGES_URL = f"{ANTHROPIC_TEST_URL}/v1/messages"
STAKEHOLDERS = "C0STAKEHOLDERS"


class FakeClaude:
    """What the API was asked, and its answer (``status``, ``body``) after ``delay`` seconds.

    ``asked`` counts requests as they arrive, ``answered`` as they are answered: a request the bot
    gave up on is asked but never answered.
    """

    def __init__(self, router: Any, *, delay: float = 0.0) -> None:
        self.asked: list[dict[str, Any]] = []
        self.answered = 0
        self.delay = delay
        self.status = 200
        self.body: dict[str, Any] = tool_answer()
        router.post(MESSAGES_URL).mock(side_effect=self._answer)

    async def _answer(self, request: httpx.Request) -> httpx.Response:
        self.asked.append(json.loads(request.content))
        await asyncio.sleep(self.delay)
        self.answered += 1
        return httpx.Response(self.status, json=self.body)

    def user_text(self, index: int = -1) -> str:
        return str(self.asked[index]["messages"][0]["content"])


async def history(bot: BotUnderTest, number: int = 1) -> list[tuple[int, ev.Event]]:
    stored = await bot.stored(number)
    return [(item.seq, item.event) for item in await bot.firebreak.service.history(stored.id)]


async def last_draft(bot: BotUnderTest) -> tuple[int, ev.AiDraftCreated]:
    drafts = [(seq, event) for seq, event in await history(bot) if isinstance(event, ev.AiDraftCreated)]
    assert drafts, "no draft was recorded"
    return drafts[-1]


async def published(bot: BotUnderTest) -> list[ev.StakeholderUpdatePosted]:
    return [event for _, event in await history(bot) if isinstance(event, ev.StakeholderUpdatePosted)]


def only_draft(slack: LocalSlack, card: Message) -> Message:
    drafts = post_update_messages(slack, card)
    assert len(drafts) == 1, slack.summary()
    return drafts[0]


def ai_drafts(slack: LocalSlack, card: Message) -> list[Message]:
    return [m for m in post_update_messages(slack, card) if f"AI draft ({MODEL})" in block_texts(m.blocks)]


def assert_ai_draft(draft: Message) -> None:
    """Labelled as an AI draft with its model, the model's four parts, and the button to post it."""
    shown = block_texts(draft.blocks)
    assert f"AI draft ({MODEL})" in shown, shown
    for part in GOOD_ANSWER.values():
        assert part in shown
    assert controls(draft) == [ids.POST_UPDATE]
    assert draft.blocks is not None
    assert draft.blocks[-1]["elements"][0]["text"]["text"] == "Post this update"
