"""Requests that Slack did not sign, or signed too long ago, are refused (401) and change nothing:
no incident, no outbox row, no idempotency key taken, no Slack call (SPEC §7)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.local_slack import LocalSlack, Message
from bot.local_slack.payloads import (
    FORM_TYPE,
    JSON_TYPE,
    click,
    interaction_form,
    mention,
    new_event_id,
    slash_form,
)
from bot.local_slack.signing import signature_headers
from bot.views import action_ids as ids
from domain.lifecycle import Status
from storage.schema import incidents, outbox, processed_requests
from tests.e2e.harness import ALICE, CHANNEL, SIGNING_SECRET, BotUnderTest

STALE_SECONDS = 6 * 60  # Slack's window is five minutes


# ---------------------------------------------------------------------- forged headers
def wrong_secret(body: str) -> dict[str, str]:
    return signature_headers("not-the-signing-secret", body)


def tampered_body(body: str) -> dict[str, str]:
    """Signed by Slack, then changed on the way: the signature is of another body."""
    return signature_headers(SIGNING_SECRET, body + " ")


def stale(body: str) -> dict[str, str]:
    """Correctly signed, but six minutes ago: a replayed request."""
    return signature_headers(SIGNING_SECRET, body, timestamp=int(time.time()) - STALE_SECONDS)


def from_the_future(body: str) -> dict[str, str]:
    return signature_headers(SIGNING_SECRET, body, timestamp=int(time.time()) + STALE_SECONDS)


def unsigned(_body: str) -> dict[str, str]:
    return {}


def timestamp_only(body: str) -> dict[str, str]:
    headers = signature_headers(SIGNING_SECRET, body)
    del headers["X-Slack-Signature"]
    return headers


def signature_only(body: str) -> dict[str, str]:
    headers = signature_headers(SIGNING_SECRET, body)
    del headers["X-Slack-Request-Timestamp"]
    return headers


def garbage_timestamp(body: str) -> dict[str, str]:
    return signature_headers(SIGNING_SECRET, body) | {"X-Slack-Request-Timestamp": "yesterday"}


def unversioned_signature(body: str) -> dict[str, str]:
    headers = signature_headers(SIGNING_SECRET, body)
    headers["X-Slack-Signature"] = headers["X-Slack-Signature"].removeprefix("v0=")
    return headers


Forgery = Callable[[str], dict[str, str]]
FORGERIES: list[Forgery] = [
    wrong_secret,
    tampered_body,
    stale,
    from_the_future,
    unsigned,
    timestamp_only,
    signature_only,
    garbage_timestamp,
    unversioned_signature,
]
forgeries = pytest.mark.parametrize("forge", FORGERIES, ids=[forge.__name__ for forge in FORGERIES])


# ---------------------------------------------------------------------- payloads
def mention_envelope(bot: BotUnderTest, event_id: str, text: str = "checkout is down sev1") -> str:
    envelope, _ = mention(
        bot.slack.state, team_id=bot.workspace, user=ALICE, channel=CHANNEL, text=text, event_id=event_id
    )
    return json.dumps(envelope)


def slash_body(bot: BotUnderTest, text: str = "declare Payments API latency sev2") -> str:
    response_url = bot.slack.response_url("forged-slash")
    return slash_form(bot.slack.state, ALICE, CHANNEL, text, response_url=response_url, team_id=bot.workspace)


def declare_shortcut_form(bot: BotUnderTest) -> str:
    """An interactivity payload that, signed, would open a modal (a Slack call)."""
    card = Message(
        channel=CHANNEL,
        ts="1700000000.000100",
        text="",
        user=bot.slack.state.bot_user_id,
        bot_id="B0FIREBOT",
        blocks=[
            {"type": "actions", "block_id": "b", "elements": [{"type": "button", "action_id": ids.ACK, "value": "x"}]}
        ],
    )
    response_url = bot.slack.response_url("forged-action")
    payload = click(bot.slack.state, ALICE, card, ids.ACK, response_url=response_url, team_id=bot.workspace)
    return interaction_form(payload)


# ---------------------------------------------------------------------- what "nothing" means
async def table_counts(bot: BotUnderTest) -> dict[str, int]:
    async with bot.observer.connect() as connection:

        async def count(query: Any) -> int:
            return int((await connection.execute(query)).scalar_one())

        return {
            "incidents": await count(
                select(func.count()).select_from(incidents).where(incidents.c.workspace_id == bot.workspace)
            ),
            "outbox": await count(select(func.count()).select_from(outbox)),
            "processed_requests": await count(select(func.count()).select_from(processed_requests)),
        }


async def assert_nothing_happens(bot: BotUnderTest, slack: LocalSlack, before: dict[str, int], calls: int) -> None:
    # Give anything that (wrongly) got through the time to reach Slack through the outbox.
    await asyncio.sleep(0.3)
    assert await table_counts(bot) == before
    # auth.test is the bot learning who it is at start, not something a request caused.
    assert [c for c in slack.calls[calls:] if c.method != "auth.test"] == [], slack.summary()
    assert slack.response_url_posts() == []


# ---------------------------------------------------------------------- tests
@forgeries
async def test_forged_event_is_refused_and_changes_nothing(
    bot: BotUnderTest, slack: LocalSlack, forge: Forgery
) -> None:
    before = await table_counts(bot)
    body = mention_envelope(bot, event_id=new_event_id())

    response = await bot.post(body, JSON_TYPE, headers=forge(body), signed=False)

    assert response.status == 401
    await assert_nothing_happens(bot, slack, before, calls=0)


@forgeries
async def test_forged_slash_command_is_refused_and_changes_nothing(
    bot: BotUnderTest, slack: LocalSlack, forge: Forgery
) -> None:
    before = await table_counts(bot)
    body = slash_body(bot)

    response = await bot.post(body, FORM_TYPE, headers=forge(body), signed=False)

    assert response.status == 401
    assert "Declared" not in response.text
    await assert_nothing_happens(bot, slack, before, calls=0)


@forgeries
async def test_forged_interaction_is_refused_and_changes_nothing(
    bot: BotUnderTest, slack: LocalSlack, forge: Forgery
) -> None:
    before = await table_counts(bot)
    body = declare_shortcut_form(bot)

    response = await bot.post(body, FORM_TYPE, headers=forge(body), signed=False)

    assert response.status == 401
    await assert_nothing_happens(bot, slack, before, calls=0)


async def test_forged_click_on_a_real_card_changes_nothing(bot: BotUnderTest, slack: LocalSlack) -> None:
    """The strongest case: a well-formed Ack click on a live incident's card, signed with the
    wrong secret. The incident stays as it was and Slack hears nothing more."""
    await bot.mention("search is down sev2")
    card = await bot.card(1)
    await bot.settle()
    before, calls = await table_counts(bot), len(slack.calls)
    response_url = slack.response_url("forged-ack")
    payload = click(
        slack.state,
        ALICE,
        card,
        ids.ACK,
        response_url=response_url,
        team_id=bot.workspace,
        action_ts="1700000001.000001",
    )
    body = interaction_form(payload)

    for forge in (wrong_secret, stale, unsigned):
        response = await bot.post(body, FORM_TYPE, headers=forge(body), signed=False)
        assert response.status == 401, forge.__name__

    await assert_nothing_happens(bot, slack, before, calls)
    assert (await bot.incident(1)).status is Status.DECLARED


async def test_a_refused_replay_does_not_use_up_the_event_id(bot: BotUnderTest, slack: LocalSlack) -> None:
    """A stale copy of an event is refused without recording its event_id, so when the genuine
    (freshly signed) delivery of that event arrives, it is applied."""
    event_id = new_event_id()
    body = mention_envelope(bot, event_id=event_id, text="login is failing sev1")

    refused = await bot.post(body, JSON_TYPE, headers=stale(body), signed=False)
    assert refused.status == 401

    accepted = await bot.post(body, JSON_TYPE)
    assert accepted.status == 200
    assert (await bot.incident(1)).title == "login is failing"
    await bot.card(1)


async def test_correctly_signed_requests_are_accepted(bot: BotUnderTest) -> None:
    """The control for the tests above: the same builders, signed properly, are accepted."""
    body = mention_envelope(bot, event_id=new_event_id())
    assert (await bot.post(body, JSON_TYPE)).status == 200
    assert (await bot.post(slash_body(bot), FORM_TYPE)).status == 200
    assert (await bot.incident(1)).title == "checkout is down"
    assert (await bot.incident(2)).title == "Payments API latency"
