"""Acting on an incident from its console page over HTTP: open the page (the version its forms
carry), send one of its forms, and read what Slack and the timeline made of it."""

from __future__ import annotations

import html
import re

from bot.local_slack import Message
from domain import events as ev
from domain.incident import ConsoleSource
from tests.console.support import ConsoleClient, Reply
from tests.e2e.card_support import card_updates, thread_replies, timeline
from tests.e2e.harness import BotUnderTest

_VERSION = re.compile(r'name="version" value="(\d+)"')
_TAG = re.compile(r"<[^>]+>")


async def opened(client: ConsoleClient, number: int = 1) -> int:
    """Open INC-``number``'s page; the version its forms carry."""
    page = await client.get(f"/incidents/INC-{number}")
    assert page.status == 200, page.text[:500]
    found = _VERSION.search(page.text)
    assert found is not None, "the page has no action form"
    return int(found.group(1))


async def act(
    client: ConsoleClient, action: str, fields: dict[str, str] | None = None, *, version: int | None = None
) -> Reply:
    """Send ``action``'s form of INC-1's page, as rendered now unless ``version`` says otherwise."""
    seen = await opened(client) if version is None else version
    return await client.post_form(f"/incidents/INC-1/{action}", {"version": str(seen), **(fields or {})})


def shown(page: str, element_id: str, tag: str = "") -> str | None:
    """The text of the element with ``element_id`` as a reader sees it, or None if it is absent;
    with its ``tag`` ("tr"), all of it, else up to the first element closed inside it."""
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</{tag}', page, re.DOTALL)
    return None if found is None else " ".join(html.unescape(_TAG.sub(" ", found.group(1))).split())


async def console_events(bot: BotUnderTest) -> list[ev.Event]:
    return [event for event in await timeline(bot) if isinstance(event.source, ConsoleSource)]


def audit_lines(bot: BotUnderTest, card: Message) -> list[str]:
    """The bot's plain lines in the incident's thread (not what people typed there)."""
    bot_user = bot.slack.state.bot_user_id
    return [m.text for m in thread_replies(bot.slack, card) if m.user == bot_user and not m.blocks]


def edits(bot: BotUnderTest, card: Message) -> int:
    return len(card_updates(bot.slack, card))
