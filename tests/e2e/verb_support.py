"""Shared steps for the verb tests: declare an incident, then watch exactly what one command did —
in Postgres (the incident, its timeline, the outbox) and in Slack (card edits, thread lines,
ephemerals) — so every test can say "this changed, and nothing else did"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from bot.local_slack import Call, Ephemeral, LocalSlack, Message
from domain import events as ev
from domain.incident import Incident
from storage.schema import outbox
from tests.e2e.card_support import timeline
from tests.e2e.harness import ALICE, CHANNEL, BotUnderTest, Response


@dataclass(frozen=True)
class Home:
    """Where an incident lives in Slack."""

    number: int
    channel: str
    thread_ts: str
    card_ts: str


async def declare_by_mention(
    bot: BotUnderTest, text: str = "checkout is failing sev3", *, number: int = 1, channel: str = CHANNEL
) -> Home:
    """``@firebreak <title>`` at the top of ``channel``: the incident's thread is that message's."""
    response, message = await bot.mention(text, user=ALICE, channel=channel)
    assert response.status == 200
    return await _home(bot, number, channel, message.ts)


async def declare_by_slash(
    bot: BotUnderTest, text: str = "declare payments API latency sev3", *, number: int = 1, channel: str = CHANNEL
) -> Home:
    """``/incident declare …``: the card is at the top level and its own thread is the incident's."""
    response = await bot.slash(text, user=ALICE, channel=channel)
    assert response.status == 200
    assert f"Declared INC-{number}" in response.json()["text"]
    card = await bot.card(number)
    return await _home(bot, number, channel, card.ts)


async def _home(bot: BotUnderTest, number: int, channel: str, thread_ts: str) -> Home:
    card = await bot.card(number)
    await bot.settle()
    stored = await bot.stored(number)
    assert stored.home_ts == thread_ts
    return Home(number, channel, thread_ts, card.ts)


async def outbox_kinds(bot: BotUnderTest) -> list[str]:
    """Every outbox row ever written, oldest first, by kind."""
    async with bot.observer.connect() as connection:
        rows = await connection.execute(select(outbox.c.kind).order_by(outbox.c.id))
        return [str(kind) for kind in rows.scalars()]


class Watch:
    """Everything one command did, from the moment :meth:`start` returns."""

    def __init__(self, bot: BotUnderTest, slack: LocalSlack, home: Home) -> None:
        self.bot, self.slack, self.home = bot, slack, home
        self._calls = 0
        self._ephemerals = 0
        self._outbox: list[str] = []
        self._events = 0
        self.before: Incident | None = None
        self.command: Message | None = None  # the message that carried the command, if any

    @classmethod
    async def start(cls, bot: BotUnderTest, slack: LocalSlack, home: Home) -> Watch:
        watch = cls(bot, slack, home)
        await bot.settle()
        watch._calls = len(slack.calls)
        watch._ephemerals = len(slack.ephemerals())
        watch._outbox = await outbox_kinds(bot)
        watch._events = len(await timeline(bot, home.number))
        watch.before = await bot.incident(home.number)
        return watch

    # ------------------------------------------------------------------ what happened
    def calls(self, method: str) -> list[Call]:
        return [call for call in self.slack.calls[self._calls :] if call.method == method]

    def methods(self) -> list[str]:
        """The Web API methods called since the start (``auth.test`` aside)."""
        return [call.method for call in self.slack.calls[self._calls :] if call.method != "auth.test"]

    def card_edits(self) -> list[Call]:
        return self.calls("chat.update")

    def thread_posts(self) -> list[Call]:
        """Messages the bot posted (anywhere) since the start; they all belong in the thread."""
        return self.calls("chat.postMessage")

    def posted(self) -> Message:
        """The one message the bot posted since the start, as Slack shows it now."""
        posts = self.thread_posts()
        assert len(posts) == 1, self.slack.summary()
        message = self.slack.message(self.home.channel, str(posts[0].response["ts"]))
        assert message is not None
        return message

    def ephemerals(self, user: str | None = None) -> list[Ephemeral]:
        return [e for e in self.slack.ephemerals()[self._ephemerals :] if user is None or e.user == user]

    async def new_outbox(self) -> list[str]:
        return (await outbox_kinds(self.bot))[len(self._outbox) :]

    async def new_events(self) -> list[ev.Event]:
        return (await timeline(self.bot, self.home.number))[self._events :]

    # ------------------------------------------------------------------ expectations
    async def changed(self, posted: str, *, card_edited: bool = True) -> tuple[Incident, Message]:
        """The command changed the incident: the card was edited in place (once, unless the change
        does not show on it) and the incident's thread got exactly one message, ``posted`` (the audit
        line, or the fallback text of a draft or update). Returns the incident and the card."""
        await self.bot.settle()
        edits = self.card_edits()
        if card_edited:
            assert len(edits) == 1, f"expected one card edit\n{self.slack.summary()}"
            assert (edits[0].args["channel"], edits[0].args["ts"]) == (self.home.channel, self.home.card_ts)
            assert edits[0].ok
        else:
            assert edits == [], f"the card should not have been edited\n{self.slack.summary()}"
        card = await self.bot.card(self.home.number)
        assert card.ts == self.home.card_ts, "the card is edited in place, never reposted"
        posts = self.thread_posts()
        assert [post.args.get("text") for post in posts] == [posted], self.slack.summary()
        assert posts[0].args["channel"] == self.home.channel
        assert posts[0].args["thread_ts"] == self.home.thread_ts, "it goes in the incident's thread"
        incident = await self.bot.incident(self.home.number)
        assert self.before is not None
        assert incident.version > self.before.version
        return incident, card

    async def unchanged(self) -> None:
        """Nothing about the incident changed: same state, same timeline, no card edit, no thread
        message, nothing queued for the incident."""
        await self.bot.settle()
        assert await self.bot.incident(self.home.number) == self.before
        assert await self.new_events() == []
        assert self.card_edits() == [], self.slack.summary()
        assert self.thread_posts() == [], self.slack.summary()
        assert not {"slack.refresh_card", "slack.thread_message", "slack.post_card"} & set(await self.new_outbox())

    async def replied_in_thread(self, user: str) -> Ephemeral:
        """A mention that changed nothing: its only effect is one ephemeral to its author, in the
        thread it was typed in."""
        await self.unchanged()
        replies = self.ephemerals()
        assert [(e.user, e.channel, e.thread_ts) for e in replies] == [(user, self.home.channel, self.home.thread_ts)]
        assert await self.new_outbox() == ["slack.ephemeral"]
        return replies[0]

    async def refused_in_thread(self, user: str) -> str:
        """A mention that was refused: one ephemeral error to its author; returns its text."""
        reply = await self.replied_in_thread(user)
        assert reply.text.startswith("⚠️"), reply.text
        assert_inert_once(reply.text)
        return reply.text

    async def replied_in_ack(self, response: Response) -> dict[str, Any]:
        """A slash command that changed nothing: the answer is the ack itself, and nothing else
        reached Slack or the outbox."""
        assert response.status == 200
        body: dict[str, Any] = response.json()
        assert body["response_type"] == "ephemeral"
        await self.unchanged()
        assert await self.new_outbox() == []
        assert self.methods() == []
        return body

    async def refused_in_ack(self, response: Response) -> str:
        """A slash command that was refused: the ack says why; returns its text."""
        text = str((await self.replied_in_ack(response))["text"])
        assert text.startswith("⚠️"), text
        assert_inert_once(text)
        return text


def assert_inert_once(text: str) -> None:
    """What people typed is quoted back escaped exactly once: it cannot ping or link anyone, and
    Slack shows it as typed (escaped twice, people would read ``&lt;`` for ``<``)."""
    for raw in ("<!", "<#", "&amp;lt;", "&amp;gt;"):
        assert raw not in text, text


# ---------------------------------------------------------------------- reading messages
def block_texts(blocks: list[dict[str, Any]] | None) -> str:
    """All the text in some blocks, one piece per line, to look for words in."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("text"), str):
                found.append(value["text"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(blocks or [])
    return "\n".join(found)
