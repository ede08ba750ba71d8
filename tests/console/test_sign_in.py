"""Sign in with Slack through the local Slack over real HTTP: who gets in, who does not, and what a
forged or replayed answer gets."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.console.support import ConsoleClient, signed_in_client
from tests.e2e.harness import ALICE, BotUnderTest

OUTSIDER = "U0MALLORY"


async def test_a_member_signs_in_and_lands_where_they_were_going(bot: BotUnderTest) -> None:
    client = ConsoleClient(bot)
    landing = await client.sign_in(ALICE, next_path="/incidents?status=open")

    assert landing.status == 302
    assert landing.location == "/incidents?status=open"
    who = (await client.get("/auth/session")).json()
    assert (who["user_id"], who["team_id"], who["name"]) == (ALICE, bot.workspace, "Alice Archer")
    assert who["csrf_token"]


async def test_login_sends_the_browser_to_slack_with_state_nonce_and_the_openid_scopes(bot: BotUnderTest) -> None:
    authorize = await ConsoleClient(bot).start_sign_in()

    parts = urlsplit(authorize)
    asked = {key: values[0] for key, values in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == bot.slack.authorize_url
    assert asked["response_type"] == "code"
    assert set(asked["scope"].split(",")) == {"openid", "email", "profile"}
    assert asked["redirect_uri"] == f"{bot.url}/auth/callback"
    assert asked["team"] == bot.workspace
    assert len(asked["state"]) >= 32
    assert len(asked["nonce"]) >= 32
    assert asked["state"] != asked["nonce"]


async def test_someone_of_another_workspace_is_refused_with_a_403_page(bot: BotUnderTest) -> None:
    client = ConsoleClient(bot)
    refused = await client.sign_in(OUTSIDER)

    assert refused.status == 403
    assert "The console is for members of this bot&#39;s Slack workspace" in refused.text
    assert "Elsewhere Inc" in refused.text
    assert (await client.get("/auth/session")).status == 401


async def test_an_answer_for_another_sign_in_is_refused(bot: BotUnderTest) -> None:
    """The callback carries the state of a sign-in this browser never started (a forged link)."""
    victim, attacker = ConsoleClient(bot), ConsoleClient(bot)
    await victim.start_sign_in()
    callback = await attacker.choose(await attacker.start_sign_in(), ALICE)

    refused = await victim.finish_sign_in(callback)

    assert refused.status == 400
    assert "state" in refused.text
    assert (await victim.get("/auth/session")).status == 401


async def test_a_callback_is_good_once(bot: BotUnderTest) -> None:
    client = ConsoleClient(bot)
    callback = await client.choose(await client.start_sign_in(), ALICE)
    assert (await client.finish_sign_in(callback)).status == 302
    await client.post_form("/logout")

    again = await client.finish_sign_in(callback)

    assert again.status == 400
    assert (await client.get("/auth/session")).status == 401


async def test_logout_ends_the_session(bot: BotUnderTest) -> None:
    client = await signed_in_client(bot, ALICE)

    out = await client.post_form("/logout")

    assert (out.status, out.location) == (303, "/signed-out")
    assert (await client.get("/auth/session")).status == 401
    assert "You are signed out" in (await client.get("/signed-out")).text


async def test_an_id_token_issued_for_another_nonce_is_refused(bot: BotUnderTest) -> None:
    """A code obtained in another sign-in (another nonce), slipped into this one's callback."""
    client = ConsoleClient(bot)
    authorize = await client.start_sign_in()
    nonce = parse_qs(urlsplit(authorize).query)["nonce"][0]
    callback = await client.choose(authorize.replace(f"nonce={nonce}", "nonce=another-sign-ins-nonce"), ALICE)

    refused = await client.finish_sign_in(callback)

    assert refused.status == 400
    assert "nonce" in refused.text
    assert (await client.get("/auth/session")).status == 401


async def test_cancelling_on_slacks_page_signs_nobody_in(bot: BotUnderTest) -> None:
    client = ConsoleClient(bot)
    authorize = await client.start_sign_in()
    callback = await client.cancel(authorize)
    assert "error=access_denied" in callback

    refused = await client.finish_sign_in(callback)

    assert refused.status == 403
    assert "cancelled" in refused.text
