"""The status page's email subscriptions end to end (SPEC §14), with a real SMTP server (aiosmtpd):
double opt-in, an email per published update on a public incident and one on its resolution,
one-click unsubscribe, an SMTP outage that delays mail without losing or doubling any, the rate
limit, and answers that never tell whether an address was subscribed."""

from __future__ import annotations

from sqlalchemy import select

from storage.schema import outbox
from tests.e2e.harness import BotUnderTest
from tests.status_page.conftest import STATUS_FROM
from tests.status_page.mailbox import Mailbox
from tests.status_page.reading import confirmed_subscribers, link_in, request, subscribe
from tests.waiting import poll

READER = "reader@example.com"


async def _subscribed(bot: BotUnderTest, mailbox: Mailbox, typed: str) -> None:
    answer = await subscribe(bot, typed)
    assert answer.status == 200
    (confirmation,) = await mailbox.wait_for(1, to=READER)
    assert confirmation["From"] == STATUS_FROM
    assert "List-Unsubscribe" not in confirmation  # nothing to unsubscribe from yet
    link = link_in(confirmation)
    # A mail scanner fetches every link: the page it gets only offers the button.
    shown, _ = await request(bot, "GET", link)
    assert shown.status == 200
    assert '<form method="post"' in shown.text
    assert await confirmed_subscribers(bot) == 0
    confirmed, _ = await request(bot, "POST", link)
    assert confirmed.status == 200
    assert "Subscribed" in confirmed.text
    assert await confirmed_subscribers(bot) == 1


async def _update_failed_once(bot: BotUnderTest) -> bool:
    async with bot.observer.connect() as connection:
        query = select(outbox.c.attempts).where(outbox.c.kind == "email.status", outbox.c.delivered_at.is_(None))
        return any(attempts >= 1 for (attempts,) in await connection.execute(query))


async def test_a_subscriber_gets_each_public_update_and_the_resolution_once_even_through_an_smtp_outage(
    bot: BotUnderTest, mailbox: Mailbox
) -> None:
    await _subscribed(bot, mailbox, "  Reader@Example.COM ")

    await bot.slash("declare checkout is down sev2")
    await bot.slash("declare internal tooling slow sev3")
    await bot.slash("update INC-2 tooling is being looked at")  # INC-2 is not public: no email
    await bot.slash("public INC-1 on Checkout is slow")
    await bot.slash("update INC-1 We are looking into slow checkouts.")
    first = await mailbox.wait_for(2, to=READER)
    update = first[1]
    assert update["Subject"] == "[Status] INC-1 update: Checkout is slow"
    assert "We are looking into slow checkouts." in update.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    unsubscribe = update["List-Unsubscribe"].strip("<>")
    assert update["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe == link_in(update)

    # The mail server goes away while an update is published; it is sent once the server is back.
    mailbox.stop()
    await bot.slash("update INC-1 A fix is being deployed.")
    await poll(lambda: _update_failed_once(bot), 10, "the update's email failing once")
    mailbox.start()
    await mailbox.wait_for(3, to=READER)
    await bot.slash("resolve INC-1 rolled back")
    received = await mailbox.wait_for(4, to=READER)
    await bot.settle(within=10)
    assert [message["Subject"] for message in mailbox.to(READER)] == [
        "Confirm your subscription to Status",
        "[Status] INC-1 update: Checkout is slow",
        "[Status] INC-1 update: Checkout is slow",
        "[Status] INC-1 resolved: Checkout is slow",
    ]
    assert "A fix is being deployed." in received[2].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "rolled back" not in received[3].as_string()  # the resolve summary was not published

    # One click in the mail client (RFC 8058): no more emails.
    gone, _ = await request(bot, "POST", unsubscribe, form={"List-Unsubscribe": "One-Click"})
    assert gone.status == 200
    assert "Unsubscribed" in gone.text
    await bot.slash("reopen INC-1 errors are back")
    await bot.slash("update INC-1 Errors are back; we are on it.")
    await bot.settle(within=10)
    assert len(mailbox.to(READER)) == 4
    again, _ = await request(bot, "POST", unsubscribe)
    assert again.status == 404


async def test_subscribing_answers_alike_for_any_address_and_is_rate_limited_per_client(
    bot: BotUnderTest, mailbox: Mailbox
) -> None:
    fresh = await subscribe(bot, "new@example.com", client="203.0.113.1")
    await _confirm(bot, mailbox, "known@example.com")
    known = await subscribe(bot, "known@example.com", client="203.0.113.1")
    pending = await subscribe(bot, "new@example.com", client="203.0.113.1")
    assert fresh == known == pending  # same status, same page, word for word
    assert fresh.status == 200

    refused = await subscribe(bot, "not an address", client="203.0.113.1")
    assert refused.status == 400
    assert "not an email address" in refused.text

    await subscribe(bot, "third@example.com", client="203.0.113.1")
    await subscribe(bot, "fourth@example.com", client="203.0.113.1")
    limited, headers = await request(
        bot, "POST", "/status/subscribe", form={"email": "fifth@example.com"}, client="203.0.113.1"
    )
    assert limited.status == 429
    assert "Try again in" in limited.text
    assert 0 < int(headers["Retry-After"]) <= 3600
    # Another client is not held back by the first.
    assert (await subscribe(bot, "fifth@example.com", client="203.0.113.2")).status == 200
    await bot.settle(within=10)
    assert not mailbox.to("fifth@example.com")[1:]  # the refused attempt sent nothing
    assert await confirmed_subscribers(bot) == 1


async def _confirm(bot: BotUnderTest, mailbox: Mailbox, address: str) -> None:
    await subscribe(bot, address, client="192.0.2.50")
    (confirmation,) = await mailbox.wait_for(1, to=address)
    answer, _ = await request(bot, "POST", link_in(confirmation))
    assert answer.status == 200


async def test_a_link_works_only_for_its_own_purpose_and_subscriber(bot: BotUnderTest, mailbox: Mailbox) -> None:
    await subscribe(bot, READER)
    (confirmation,) = await mailbox.wait_for(1, to=READER)
    link = link_in(confirmation)
    tampered = link[:-1] + ("0" if link[-1] != "0" else "1")
    as_unsubscribe = link.replace("/status/confirm/", "/status/unsubscribe/")
    for wrong in (tampered, as_unsubscribe):
        for method in ("GET", "POST"):
            answer, _ = await request(bot, method, wrong)
            assert answer.status == 404, (method, wrong)
    assert await confirmed_subscribers(bot) == 0
