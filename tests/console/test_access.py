"""Who gets what from the console: anonymous pages go to sign in, anonymous JSON gets 401, a form
without the session's CSRF token is refused and changes nothing, sessions end after 12 hours, and
/login sends nobody to another site."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.fernet import Fernet
from yarl import URL

from bot.local_slack import LocalSlack
from tests.console.support import SESSION_SECRET, ConsoleClient, signed_in_client, with_console
from tests.e2e.harness import ALICE, BOB, BotUnderTest

COOKIE = "firebreak_console"


async def test_an_anonymous_page_goes_to_sign_in_and_comes_back(bot: BotUnderTest) -> None:
    client = ConsoleClient(bot)

    anonymous = await client.get("/incidents?status=open&severity=SEV1")

    assert anonymous.status == 302
    login = urlsplit(anonymous.location or "")
    assert (login.path, parse_qs(login.query)) == ("/login", {"next": ["/incidents?status=open&severity=SEV1"]})
    landing = await client.sign_in(ALICE, next_path="/incidents?status=open&severity=SEV1")
    assert landing.location == "/incidents?status=open&severity=SEV1"


async def test_the_site_root_is_the_incident_list(bot: BotUnderTest) -> None:
    assert (await ConsoleClient(bot).get("/")).location == "/incidents"


async def test_anonymous_json_gets_401(bot: BotUnderTest) -> None:
    reply = await ConsoleClient(bot).get("/auth/session")

    assert reply.status == 401
    assert reply.json() == {"error": "not signed in: sign in at /login"}


async def test_every_page_says_who_is_signed_in(bot: BotUnderTest) -> None:
    client = await signed_in_client(bot, BOB)

    page = await client.get("/incidents")

    assert page.status == 200
    assert "Signed in as <strong>Bob Baker</strong>" in page.text
    assert 'action="/logout"' in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


async def test_a_name_is_shown_as_text_never_as_markup(bot: BotUnderTest, slack: LocalSlack) -> None:
    slack.state.add_user("U0EVE", "eve", "<script>alert(1)</script> Eve")
    client = await signed_in_client(bot, "U0EVE")

    page = await client.get("/incidents")

    assert "Signed in as <strong>&lt;script&gt;alert(1)&lt;/script&gt; Eve</strong>" in page.text
    assert "<script>alert" not in page.text


@pytest.mark.parametrize("token", [None, "", "forged-token"])
async def test_a_form_without_the_sessions_csrf_token_is_refused_and_changes_nothing(
    bot: BotUnderTest, token: str | None
) -> None:
    client = await signed_in_client(bot, ALICE)

    refused = await client.post_without_token("/logout", {} if token is None else {"csrf_token": token})

    assert refused.status == 403
    assert "Nothing was changed" in refused.text
    assert refused.set_cookies == ()
    assert (await client.get("/auth/session")).status == 200, "still signed in"


async def test_another_sessions_csrf_token_is_refused(bot: BotUnderTest) -> None:
    alice, bob = await signed_in_client(bot, ALICE), await signed_in_client(bot, BOB)
    assert bob.csrf_token is not None
    assert bob.csrf_token != alice.csrf_token

    refused = await alice.post_without_token("/logout", {"csrf_token": bob.csrf_token})

    assert refused.status == 403
    assert (await alice.get("/auth/session")).status == 200


async def test_a_new_session_at_sign_in_whatever_cookie_came_before(bot: BotUnderTest) -> None:
    """A session cookie planted before sign-in (session fixation) is not the one that signs in."""
    client = ConsoleClient(bot)
    authorize = await client.start_sign_in()
    before = _cookie(client)

    await client.finish_sign_in(await client.choose(authorize, ALICE))

    assert _cookie(client) not in (None, before)


async def test_a_session_ends_after_12_hours(bot: BotUnderTest) -> None:
    client = await signed_in_client(bot, ALICE)
    session = {"who": {"user_id": ALICE, "team_id": bot.workspace, "name": "Alice Archer"}, "csrf": "t"}
    fernet = Fernet(SESSION_SECRET.encode())
    thirteen_hours_ago = int(time.time()) - 13 * 3600
    stale = {"created": thirteen_hours_ago, "session": session | {"since": thirteen_hours_ago}}
    fresh = {"created": int(time.time()), "session": session | {"since": int(time.time())}}

    _set_cookie(client, fernet.encrypt_at_time(json.dumps(stale).encode(), thirteen_hours_ago).decode())
    assert (await client.get("/auth/session")).status == 401
    _set_cookie(client, fernet.encrypt(json.dumps(fresh).encode()).decode())
    assert (await client.get("/auth/session")).status == 200, "the same cookie, fresh, is good"


async def test_a_session_of_another_workspace_is_nobody(bot: BotUnderTest) -> None:
    client = ConsoleClient(bot)
    session = {"who": {"user_id": ALICE, "team_id": "T0ELSEWHERE", "name": "A"}, "since": int(time.time())}
    _set_cookie(client, Fernet(SESSION_SECRET.encode()).encrypt(json.dumps({"session": session}).encode()).decode())

    assert (await client.get("/auth/session")).status == 401


async def test_a_cookie_made_without_the_key_is_nobody(bot: BotUnderTest) -> None:
    client = ConsoleClient(bot)
    session = {"who": {"user_id": ALICE, "team_id": bot.workspace, "name": "A"}, "since": int(time.time())}
    forged = Fernet(Fernet.generate_key()).encrypt(json.dumps({"created": 0, "session": session}).encode())
    _set_cookie(client, forged.decode())

    assert (await client.get("/auth/session")).status == 401


@pytest.mark.parametrize(
    "target",
    ["//evil.example/incidents", "https://evil.example/", "/\\evil.example", "http:evil.example", "incidents", ""],
)
async def test_login_never_sends_anyone_to_another_site(bot: BotUnderTest, target: str) -> None:
    client = ConsoleClient(bot)

    landing = await client.sign_in(ALICE, next_path=target)
    again = await client.get(f"/login?next={target}")

    assert landing.location == "/incidents"
    assert again.location == "/incidents"


async def test_over_https_the_cookie_is_secure_httponly_lax_and_12_hours(
    slack: LocalSlack, database_url: str, workspace: str
) -> None:
    bot = await with_console(
        BotUnderTest(slack, database_url, workspace), console_url="https://console.example"
    ).start()
    try:
        login = await ConsoleClient(bot).get("/login")
    finally:
        await bot.stop()

    [cookie] = login.set_cookies
    flags = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")[1:]}
    assert cookie.startswith(f"{COOKIE}=")
    assert set(flags) >= {"secure", "httponly", "samesite", "max-age", "path"}
    assert flags["samesite"] == "SameSite=Lax"
    assert flags["max-age"] == "Max-Age=43200"
    asked = parse_qs(urlsplit(login.location or "").query)
    assert asked["redirect_uri"] == ["https://console.example/auth/callback"]


async def test_over_http_the_cookie_is_not_marked_secure(bot: BotUnderTest) -> None:
    login = await ConsoleClient(bot).get("/login")

    [cookie] = login.set_cookies
    assert "Secure" not in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def _cookie(client: ConsoleClient) -> str | None:
    found = client.cookies.filter_cookies(URL(client.bot.url)).get(COOKIE)
    return found.value if found else None


def _set_cookie(client: ConsoleClient, value: str) -> None:
    client.cookies.update_cookies({COOKIE: value}, URL(client.bot.url))
