"""Reaching the status page as the public does: plain HTTP, no session, from a client address of
the test's choosing (as a load balancer in front would say it in X-Forwarded-For)."""

from __future__ import annotations

import re
from email.message import EmailMessage

import aiohttp
from sqlalchemy import func, select

from storage.schema import status_subscribers
from tests.e2e.harness import BotUnderTest, Response

LINK = re.compile(r"https?://\S+/status/(?:confirm|unsubscribe)/[0-9]+/[0-9a-f]{64}")


async def request(
    bot: BotUnderTest, method: str, path: str, *, form: dict[str, str] | None = None, client: str = "198.51.100.7"
) -> tuple[Response, dict[str, str]]:
    """The answer and its headers; ``path`` may be a whole URL whose host is the bot's."""
    url = bot.url + path[path.index("/status") :] if path.startswith("http") else bot.url + path
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, url, data=form, headers={"X-Forwarded-For": client}) as answer,
    ):
        return Response(answer.status, await answer.text()), dict(answer.headers)


async def subscribe(bot: BotUnderTest, address: str, client: str = "198.51.100.7") -> Response:
    answer, _ = await request(bot, "POST", "/status/subscribe", form={"email": address}, client=client)
    return answer


def link_in(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    found = LINK.search(body.get_content())
    assert found is not None, f"no confirm or unsubscribe link in {body.get_content()!r}"
    return found.group(0)


async def confirmed_subscribers(bot: BotUnderTest) -> int:
    async with bot.observer.connect() as connection:
        query = (
            select(func.count()).select_from(status_subscribers).where(status_subscribers.c.confirmed_at.is_not(None))
        )
        return int((await connection.execute(query)).scalar_one())
