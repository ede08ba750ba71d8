"""The dispatcher gives way to requests being acknowledged: before each round of deliveries it waits
(for a bounded time) until no Slack request is in flight, and the audit lines queued meanwhile go
out merged. A real database, the real Slack sender and the fake Slack, as in test_dispatcher.

A request is "in flight" while the test holds ``in_flight.track()`` open, exactly as the
``/slack/events`` handler does around each request.
"""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.delivery import messages as kinds
from bot.delivery.dispatcher import GIVE_WAY_SECONDS
from bot.delivery.senders import SlackSender
from bot.requests_in_flight import RequestsInFlight
from tests.bot import test_dispatcher as dispatcher_tests
from tests.bot.test_dispatcher import CHANNEL, LONG, Clock, declare, dispatcher, row, rows, write
from tests.fake_slack import FakeSlack

# The dispatcher tests' fixtures: a clock of the test's own far in the past, the fake Slack, and the
# real Slack sender pointed at it.
clock = dispatcher_tests.clock
slack = dispatcher_tests.slack
slack_sender = dispatcher_tests.slack_sender

GENEROUS = 5.0  # how long a test waits for something that should happen promptly
POST = "chat.postMessage"


class GivingWay:
    """What the dispatcher awaits before each round: ``in_flight.quiet``, as composition wires it,
    but bounded by ``bound`` instead of the seconds the dispatcher asks for. With an hour, only the
    request ending lets a held round go ahead, so a test need not race the real bound.

    It tells the test when a round is being held by a request in flight (``held``)."""

    def __init__(self, in_flight: RequestsInFlight, bound: float) -> None:
        self._in_flight = in_flight
        self._bound = bound
        self._held = asyncio.Event()
        self.asked: list[float] = []

    async def __call__(self, within: float) -> None:
        self.asked.append(within)
        if self._in_flight.count:
            self._held.set()
        await self._in_flight.quiet(self._bound)

    async def held(self) -> None:
        try:
            async with asyncio.timeout(GENEROUS):
                await self._held.wait()
        except TimeoutError:
            raise AssertionError("no round of deliveries gave way to the request in flight") from None


async def posts_within(slack: FakeSlack, count: int, seconds: float) -> bool:
    """Whether Slack has received ``count`` chat.postMessage calls within ``seconds``."""
    try:
        await slack.wait_for(lambda s: len(s.calls_to(POST)) >= count, timeout=seconds)
    except AssertionError:
        return False
    return True


async def test_rows_wait_while_a_request_is_in_flight_and_go_out_when_it_ends(
    engine: AsyncEngine, workspace: str, clock: Clock, slack: FakeSlack, slack_sender: SlackSender
) -> None:
    in_flight = RequestsInFlight()
    giving_way = GivingWay(in_flight, bound=LONG)
    running = dispatcher(engine, slack_sender, clock, give_way=giving_way)
    running.start()
    try:
        await running.swept()  # the start-up round: nothing in flight, nothing due
        with in_flight.track():  # a request is being acknowledged
            incident = await declare(engine, workspace, clock)
            [post] = await write(engine, clock, incident, kinds.post_card(incident))
            running.wake()  # as after any commit that wrote outbox rows
            await giving_way.held()

            # Well past the real bound, and still nothing: the round waits for the request.
            assert not await posts_within(slack, 1, seconds=2 * GIVE_WAY_SECONDS)
            assert (await row(engine, post)).delivered_at is None
            assert running.sweeps == 1
        assert in_flight.count == 0

        # The bound is an hour: only the request ending can have let the round go ahead.
        assert await posts_within(slack, 1, seconds=GENEROUS)
        await running.swept(2)
    finally:
        await running.stop()

    assert (await row(engine, post)).delivered_at is not None
    assert len(slack.calls_to(POST)) == 1
    assert set(giving_way.asked) == {GIVE_WAY_SECONDS}, "every round asks for the dispatcher's bound"


async def test_audit_lines_queued_while_a_request_is_in_flight_go_out_merged(
    engine: AsyncEngine, workspace: str, clock: Clock, slack: FakeSlack, slack_sender: SlackSender
) -> None:
    in_flight = RequestsInFlight()
    giving_way = GivingWay(in_flight, bound=LONG)
    running = dispatcher(engine, slack_sender, clock, give_way=giving_way)
    incident = await declare(engine, workspace, clock)
    [post] = await write(engine, clock, incident, kinds.post_card(incident))
    running.start()
    lines = ["<@U0ALICE> acknowledged", "Severity SEV2 → SEV1", "Status: investigating"]
    try:
        await running.swept()  # the start-up round posts the card, so the incident has its thread
        [card] = slack.calls_to(POST)

        with in_flight.track():
            written: list[int] = []
            for line in lines:  # one commit each, each waking the dispatcher, as the service does
                written += await write(engine, clock, incident, kinds.audit_line(incident, line))
                running.wake()
            await giving_way.held()
            assert not await posts_within(slack, 2, seconds=2 * GIVE_WAY_SECONDS)

        assert await posts_within(slack, 2, seconds=GENEROUS)
    finally:
        await running.stop()  # finishes the round under way and records what Slack accepted

    calls = slack.calls_to(POST)
    assert len(calls) == 2, "the card, then one thread message for the three lines"
    merged = calls[1]
    assert merged.args["thread_ts"] == card.response["ts"]
    assert merged.args["text"] == "\n".join(lines)
    assert [m.text for m in slack.messages(CHANNEL, card.response["ts"])] == ["\n".join(lines)]

    lead, *absorbed = await rows(engine, written)
    assert lead.delivered_at is not None
    assert lead.superseded_by is None
    assert [(r.delivered_at is not None, r.superseded_by) for r in absorbed] == [(True, lead.id)] * 2
    assert (await row(engine, post)).delivered_at is not None


async def test_a_request_that_never_ends_holds_delivery_back_only_for_a_while(
    engine: AsyncEngine, workspace: str, clock: Clock, slack: FakeSlack, slack_sender: SlackSender
) -> None:
    in_flight = RequestsInFlight()
    running = dispatcher(engine, slack_sender, clock, give_way=in_flight.quiet)  # as composition wires it
    running.start()
    try:
        await running.swept()
        with in_flight.track():  # never answered while the test runs
            incident = await declare(engine, workspace, clock)
            [post] = await write(engine, clock, incident, kinds.post_card(incident))
            running.wake()
            assert await posts_within(slack, 1, seconds=GENEROUS)

            # Every round gives way for a while only, not just the first.
            [line] = await write(engine, clock, incident, kinds.audit_line(incident, "Status: investigating"))
            running.wake()
            assert await posts_within(slack, 2, seconds=GENEROUS)
            assert in_flight.count == 1, "delivered while the request was still in flight"
    finally:
        await running.stop()

    assert [r.delivered_at is not None for r in await rows(engine, [post, line])] == [True, True]
    assert slack.calls_to(POST)[1].args["text"] == "Status: investigating"
