"""Sign in with Slack in the local Slack, driven by the real slack_sdk: the authorize page's answers,
``openid.connect.token`` and ``openid.connect.userInfo`` in Slack's shapes, and their refusals."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.local_slack import LocalSlack

CLIENT_ID, CLIENT_SECRET = "111.222", "the-client-secret"
REDIRECT = "http://console.test/auth/callback"
ASKED = {
    "response_type": "code",
    "client_id": CLIENT_ID,
    "scope": "openid,email,profile",
    "redirect_uri": REDIRECT,
    "state": "the-state",
    "nonce": "the-nonce",
}


async def authorize(slack: LocalSlack, user: str, **changes: str) -> tuple[int, str]:
    """Pick ``user`` on the authorize page: its status and where it sends the browser."""
    async with (
        aiohttp.ClientSession() as browser,
        browser.post(slack.authorize_url, data=ASKED | changes | {"user": user}, allow_redirects=False) as answer,
    ):
        return answer.status, answer.headers.get("Location", "")


async def code_for(slack: LocalSlack, user: str) -> str:
    status, location = await authorize(slack, user)
    assert status == 302
    answer = parse_qs(urlsplit(location).query)
    assert location.startswith(REDIRECT + "?")
    assert answer["state"] == ["the-state"]
    return answer["code"][0]


@pytest.fixture
def registered(slack: LocalSlack) -> LocalSlack:
    slack.sign_in.register(CLIENT_ID, CLIENT_SECRET)
    return slack


async def test_a_code_becomes_a_user_token_and_an_id_token_then_userinfo(registered: LocalSlack) -> None:
    api = AsyncWebClient(base_url=registered.base_url, retry_handlers=[])
    tokens = await api.openid_connect_token(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        code=await code_for(registered, "U0BOB"),
        redirect_uri=REDIRECT,
    )

    assert tokens["token_type"] == "Bearer"
    assert str(tokens["access_token"]).startswith("xoxp-")
    payload = str(tokens["id_token"]).split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert (claims["iss"], claims["aud"], claims["sub"], claims["nonce"]) == (
        "https://slack.com",
        CLIENT_ID,
        "U0BOB",
        "the-nonce",
    )
    info = await AsyncWebClient(
        token=tokens["access_token"], base_url=registered.base_url, retry_handlers=[]
    ).openid_connect_userInfo()
    assert info["sub"] == info["https://slack.com/user_id"] == "U0BOB"
    assert info["https://slack.com/team_id"] == registered.state.team_id
    assert (info["name"], info["email"], info["email_verified"]) == ("Bob Baker", "bob@example.com", True)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"client_secret": "a-guess"}, "bad_client_secret"),
        ({"client_id": "999.999"}, "invalid_client_id"),
        ({"redirect_uri": "http://elsewhere.test/callback"}, "bad_redirect_uri"),
        ({"code": "made-up"}, "invalid_code"),
    ],
)
async def test_the_token_exchange_refuses_what_slack_refuses(
    registered: LocalSlack, change: dict[str, str], error: str
) -> None:
    exchange = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uri": REDIRECT}
    exchange |= {"code": await code_for(registered, "U0ALICE")} | change

    with pytest.raises(SlackApiError) as refused:
        await AsyncWebClient(base_url=registered.base_url, retry_handlers=[]).openid_connect_token(**exchange)

    assert refused.value.response["error"] == error


async def test_a_code_is_good_once(registered: LocalSlack) -> None:
    api = AsyncWebClient(base_url=registered.base_url, retry_handlers=[])
    code = await code_for(registered, "U0ALICE")
    await api.openid_connect_token(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=code, redirect_uri=REDIRECT)

    with pytest.raises(SlackApiError) as refused:
        await api.openid_connect_token(
            client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=code, redirect_uri=REDIRECT
        )

    assert refused.value.response["error"] == "invalid_code"


async def test_userinfo_needs_a_user_token_it_issued(registered: LocalSlack) -> None:
    with pytest.raises(SlackApiError) as refused:
        await AsyncWebClient(token="xoxp-made-up", base_url=registered.base_url).openid_connect_userInfo()

    assert refused.value.response["error"] == "invalid_auth"


@pytest.mark.parametrize(
    "change",
    [{"client_id": "999.999"}, {"response_type": "token"}, {"scope": "email"}, {"redirect_uri": "javascript:alert(1)"}],
)
async def test_the_authorize_page_refuses_a_bad_request_and_redirects_nowhere(
    registered: LocalSlack, change: dict[str, str]
) -> None:
    async with aiohttp.ClientSession() as browser:
        async with browser.get(f"{registered.authorize_url}?{urlencode(ASKED | change)}") as page:
            assert page.status == 400
        assert await authorize(registered, "U0ALICE", **change) == (400, "")


async def test_users_list_pages_through_cursors(slack: LocalSlack, client: AsyncWebClient) -> None:
    first = await client.users_list(limit=2)
    second = await client.users_list(limit=2, cursor=first["response_metadata"]["next_cursor"])
    third = await client.users_list(limit=2, cursor=second["response_metadata"]["next_cursor"])

    ids = [user["id"] for page in (first, second, third) for user in page["members"]]
    assert ids == list(slack.state.users)
    assert third["response_metadata"]["next_cursor"] == ""
    with pytest.raises(SlackApiError) as refused:
        await client.users_list(cursor="not-a-cursor!")
    assert refused.value.response["error"] == "invalid_cursor"
