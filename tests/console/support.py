"""The console under test: the real bot (BotUnderTest) with the console on, signing in through the
local Slack's Sign in with Slack over real HTTP (or in Chromium), on a fresh Postgres database."""

from __future__ import annotations

import html
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit

import aiohttp
import aiohttp.abc
from playwright.async_api import Browser, Page

from bot.local_slack import LocalSlack
from tests.e2e.harness import BotUnderTest

CLIENT_ID = "1234567890.0987654321"
CLIENT_SECRET = "console-test-client-secret"
# Fixed, so a test can make a cookie the bot accepts; a key as Fernet.generate_key() makes one.
SESSION_SECRET = "yF4lbS2mZPq3nQ1m0Gv0oQ6b8a2s9WcJx7K5uTg3dEw="
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
_open_clients: list[ConsoleClient] = []


@dataclass(frozen=True)
class Reply:
    """What the console answered: status, body, headers (a redirect is not followed)."""

    status: int
    text: str
    headers: dict[str, str]
    set_cookies: tuple[str, ...] = ()

    def json(self) -> Any:
        return json.loads(self.text)

    @property
    def location(self) -> str | None:
        return self.headers.get("Location")


def with_console(bot: BotUnderTest, **changes: Any) -> BotUnderTest:
    """``bot`` (not started) with the console on: the local Slack is its Sign in with Slack."""
    bot.slack.sign_in.register(CLIENT_ID, CLIENT_SECRET)
    bot.settings = replace(
        bot.settings,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_oauth_url=bot.slack.authorize_url,
        session_secret=SESSION_SECRET,
        **changes,
    )
    return bot


async def start_console_bot(slack: LocalSlack, database_url: str, workspace: str, **options: Any) -> BotUnderTest:
    """The bot with the console on. ``slack``'s team must be ``workspace`` (the bot's workspace is
    what auth.test says, and only its members may sign in): see tests/console/conftest.py."""
    assert slack.state.team_id == workspace, "the console shows the incidents of auth.test's team"
    return await with_console(BotUnderTest(slack, database_url, workspace, **options)).start()


class Served(Protocol):
    """The bot in this process (BotUnderTest) or as ``python -m bot`` (BotProcess)."""

    @property
    def url(self) -> str: ...


class ConsoleClient:
    """One browser's worth of cookies over plain HTTP; redirects are not followed (``follow=True`` does)."""

    def __init__(self, bot: Served) -> None:
        self.bot = bot
        self.csrf_token: str | None = None
        self._session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        _open_clients.append(self)

    async def get(self, path: str, *, follow: bool = False) -> Reply:
        return await self._send("GET", self._url(path), follow=follow)

    async def post_form(self, path: str, fields: dict[str, str] | None = None, *, follow: bool = False) -> Reply:
        """POST a form with the session's CSRF token added (unless ``fields`` has one of its own)."""
        form = dict(fields or {})
        if "csrf_token" not in form:
            assert self.csrf_token is not None, "not signed in: no CSRF token to send"
            form["csrf_token"] = self.csrf_token
        return await self._send("POST", self._url(path), data=form, follow=follow)

    async def post_without_token(self, path: str, fields: dict[str, str] | None = None) -> Reply:
        return await self._send("POST", self._url(path), data=dict(fields or {}))

    async def sign_in(self, user_id: str, next_path: str = "/incidents") -> Reply:
        """/login → the local Slack's authorize page → pick ``user_id`` → /auth/callback; the callback's reply."""
        return await self.finish_sign_in(await self.choose(await self.start_sign_in(next_path), user_id))

    async def start_sign_in(self, next_path: str = "/incidents") -> str:
        """GET /login; the authorize URL it sends the browser to."""
        login = await self.get(f"/login?{urlencode({'next': next_path})}")
        assert login.status == 302, f"/login answered {login.status}: {login.text[:300]}"
        assert login.location is not None
        return login.location

    async def choose(self, authorize_url: str, user_id: str) -> str:
        """On the local Slack's authorize page, pick ``user_id``; the callback URL Slack redirects to."""
        page = await self._send("GET", authorize_url)
        assert page.status == 200, f"the authorize page answered {page.status}: {page.text[:300]}"
        assert f'value="{user_id}"' in page.text, f"{user_id} is not offered on the authorize page"
        return await self._answer(authorize_url, {"user": user_id})

    async def cancel(self, authorize_url: str) -> str:
        """Press Cancel on the authorize page; the callback URL Slack redirects to."""
        return await self._answer(authorize_url, {"deny": "1"})

    async def _answer(self, authorize_url: str, choice: dict[str, str]) -> str:
        fields = dict(parse_qsl(urlsplit(authorize_url).query)) | choice
        chosen = await self._send("POST", authorize_url.split("?", maxsplit=1)[0], data=fields)
        assert chosen.status == 302, f"the authorize page answered {chosen.status}"
        assert chosen.location is not None
        return chosen.location

    async def finish_sign_in(self, callback_url: str) -> Reply:
        """GET the callback Slack redirected to; once signed in, the session's CSRF token is known."""
        reply = await self._send("GET", callback_url)
        if reply.status == 302:
            self.csrf_token = (await self.get("/auth/session")).json()["csrf_token"]
        return reply

    @property
    def cookies(self) -> aiohttp.abc.AbstractCookieJar:
        return self._session.cookie_jar

    async def close(self) -> None:
        await self._session.close()

    def _url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.bot.url}{path}"

    async def _send(self, method: str, url: str, *, data: dict[str, str] | None = None, follow: bool = False) -> Reply:
        async with self._session.request(method, url, data=data, allow_redirects=follow) as response:
            reply = Reply(
                response.status,
                await response.text(),
                dict(response.headers),
                tuple(response.headers.getall("Set-Cookie", ())),
            )
        if (found := CSRF_META.search(reply.text)) is not None:
            self.csrf_token = html.unescape(found.group(1))
        return reply


async def signed_in_client(bot: Served, user_id: str) -> ConsoleClient:
    """A client signed in as ``user_id`` through the real sign-in over HTTP (closed after the test)."""
    client = ConsoleClient(bot)
    reply = await client.sign_in(user_id)
    assert reply.status == 302, f"sign-in as {user_id} answered {reply.status}: {reply.text[:300]}"
    return client


async def close_clients() -> None:
    while _open_clients:
        await _open_clients.pop().close()


@asynccontextmanager
async def console_page(browser: Browser, width: int = 1280) -> AsyncIterator[Page]:
    """A fresh browser (own cookies) at ``width`` px; an error a page raised fails the test."""
    context = await browser.new_context(viewport={"width": width, "height": 900})
    opened = await context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    await context.close()
    assert errors == [], f"the page raised: {errors}"


async def scrolls_sideways(page: Page) -> bool:
    """The page is wider than the window (the console must never be, from a phone up)."""
    return bool(await page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth"))


async def sign_in_browser(page: Page, bot: Served, user_id: str, next_path: str = "/incidents") -> None:
    """Sign ``page`` in as ``user_id`` the way a person does: /login, then their name on Slack's page."""
    await page.goto(f"{bot.url}/login?{urlencode({'next': next_path})}")
    await page.locator(f'button[data-user="{user_id}"]').click()
    await page.wait_for_url(f"{bot.url}{next_path}*")
