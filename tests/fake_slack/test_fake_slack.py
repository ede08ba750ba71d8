"""The fake Slack server, driven by the real slack_sdk AsyncWebClient."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.local_slack import LocalSlack
from tests.fake_slack.conftest import CHANNEL, TOKEN


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


# ---------------------------------------------------------------------- shapes


async def test_base_url_and_auth_test(slack: LocalSlack, client: AsyncWebClient) -> None:
    assert slack.base_url.startswith("http://127.0.0.1:")
    assert slack.base_url.endswith("/api/")
    resp = await client.auth_test()
    assert resp["ok"] is True
    assert (resp["team_id"], resp["user_id"], resp["bot_id"]) == ("T0FIREBRK", "U0FIREBOT", "B0FIREBOT")


async def test_post_message_shape_and_increasing_unique_ts(slack: LocalSlack, client: AsyncWebClient) -> None:
    first = await client.chat_postMessage(channel=CHANNEL, text="hello", blocks=[section("*hello*")])
    second = await client.chat_postMessage(channel=CHANNEL, text="again")
    assert first["channel"] == CHANNEL
    assert first["ts"] == "1700000000.000100"
    message = first["message"]
    assert message["text"] == "hello"
    assert message["blocks"] == [section("*hello*")]
    assert message["ts"] == first["ts"]
    assert message["bot_id"] == "B0FIREBOT"
    assert message["user"] == "U0FIREBOT"
    assert "thread_ts" not in message
    assert float(second["ts"]) > float(first["ts"])
    assert [m.text for m in slack.messages(CHANNEL)] == ["hello", "again"]
    assert slack.messages("C0OTHER") == []


async def test_threads(slack: LocalSlack, client: AsyncWebClient) -> None:
    root = (await client.chat_postMessage(channel=CHANNEL, text="card"))["ts"]
    r1 = await client.chat_postMessage(channel=CHANNEL, text="audit 1", thread_ts=root)
    await client.chat_postMessage(channel=CHANNEL, text="unrelated")
    await client.chat_postMessage(channel=CHANNEL, text="audit 2", thread_ts=root)
    assert r1["message"]["thread_ts"] == root
    assert [m.text for m in slack.messages(CHANNEL, thread_ts=root)] == ["audit 1", "audit 2"]
    assert [m.text for m in slack.thread(CHANNEL, root)] == ["card", "audit 1", "audit 2"]
    assert [m.text for m in slack.messages(CHANNEL)] == ["card", "audit 1", "unrelated", "audit 2"]
    assert all(m.is_reply for m in slack.messages(CHANNEL, root))
    parent = await client.chat_update(channel=CHANNEL, ts=root, text="card v2")
    assert parent["message"]["reply_count"] == 2
    assert parent["message"]["thread_ts"] == root


async def test_update_edits_in_place(slack: LocalSlack, client: AsyncWebClient) -> None:
    ts = (await client.chat_postMessage(channel=CHANNEL, text="SEV3", blocks=[section("SEV3")]))["ts"]
    resp = await client.chat_update(channel=CHANNEL, ts=ts, text="SEV1", blocks=[section("SEV1")])
    assert (resp["channel"], resp["ts"], resp["text"]) == (CHANNEL, ts, "SEV1")
    assert resp["message"]["blocks"] == [section("SEV1")]
    assert "edited" in resp["message"]
    (msg,) = slack.messages(CHANNEL)
    assert (msg.ts, msg.text, msg.blocks) == (ts, "SEV1", [section("SEV1")])
    assert msg.revisions == [{"text": "SEV3", "blocks": [section("SEV3")], "attachments": None}]
    await client.chat_update(channel=CHANNEL, ts=ts, text="text only")  # blocks are kept
    assert slack.messages(CHANNEL)[0].blocks == [section("SEV1")]
    with pytest.raises(SlackApiError) as err:
        await client.chat_update(channel=CHANNEL, ts="1600000000.000001", text="x")
    assert err.value.response["error"] == "message_not_found"


async def test_post_ephemeral_is_stored_separately(slack: LocalSlack, client: AsyncWebClient) -> None:
    resp = await client.chat_postEphemeral(channel=CHANNEL, user="U0ALICE", text="only you", thread_ts="1.2")
    assert resp["ok"] is True
    assert isinstance(resp["message_ts"], str)
    assert "." in resp["message_ts"]
    await client.chat_postEphemeral(channel=CHANNEL, user="U0BOB", text="bob's")
    assert slack.messages(CHANNEL) == []
    assert [(e.user, e.text, e.thread_ts) for e in slack.ephemerals("U0ALICE")] == [("U0ALICE", "only you", "1.2")]
    assert len(slack.ephemerals()) == 2
    with pytest.raises(SlackApiError) as err:
        await client.chat_postEphemeral(channel=CHANNEL, user="U0NOBODY", text="x")
    assert err.value.response["error"] == "user_not_found"


async def test_views_open_update_publish(slack: LocalSlack, client: AsyncWebClient) -> None:
    modal = {
        "type": "modal",
        "callback_id": "declare",
        "title": {"type": "plain_text", "text": "Declare incident"},
        "submit": {"type": "plain_text", "text": "Declare"},
        "blocks": [section("Title?")],
    }
    with pytest.raises(SlackApiError) as err:
        await client.api_call("views.open", json={"view": modal})
    assert err.value.response["error"] == "invalid_arguments"
    opened = await client.views_open(trigger_id="trig-1", view=modal)
    view = opened["view"]
    assert view["id"].startswith("V")
    assert (view["type"], view["callback_id"], view["title"]["text"]) == ("modal", "declare", "Declare incident")
    assert view["state"] == {"values": {}}
    assert slack.views()[0].trigger_id == "trig-1"

    updated = await client.views_update(view_id=view["id"], view=modal | {"callback_id": "v2"}, hash=view["hash"])
    assert updated["view"]["id"] == view["id"]
    assert updated["view"]["callback_id"] == "v2"
    with pytest.raises(SlackApiError) as err:
        await client.views_update(view_id=view["id"], view=modal, hash=view["hash"])  # stale hash
    assert err.value.response["error"] == "hash_conflict"
    with pytest.raises(SlackApiError) as err:
        await client.views_update(view_id="V404", view=modal)
    assert err.value.response["error"] == "not_found"

    home = await client.views_publish(user_id="U0ALICE", view={"type": "home", "blocks": [section("hi")]})
    assert home["view"]["type"] == "home"


async def test_users_info_and_permalink(client: AsyncWebClient) -> None:
    alice = await client.users_info(user="U0ALICE")
    assert alice["user"]["name"] == "alice"
    assert alice["user"]["profile"]["display_name"] == "alice"
    with pytest.raises(SlackApiError) as err:
        await client.users_info(user="U0NOBODY")
    assert err.value.response["error"] == "user_not_found"

    root = (await client.chat_postMessage(channel=CHANNEL, text="card"))["ts"]
    reply = (await client.chat_postMessage(channel=CHANNEL, text="r", thread_ts=root))["ts"]
    link = await client.chat_getPermalink(channel=CHANNEL, message_ts=root)
    assert link["permalink"] == f"https://firebreak-test.slack.com/archives/{CHANNEL}/p{root.replace('.', '')}"
    reply_link = await client.chat_getPermalink(channel=CHANNEL, message_ts=reply)
    assert reply_link["permalink"].endswith(f"?thread_ts={root}&cid={CHANNEL}")
    with pytest.raises(SlackApiError) as err:
        await client.chat_getPermalink(channel=CHANNEL, message_ts="1.1")
    assert err.value.response["error"] == "message_not_found"


async def test_form_encoded_bodies_are_accepted(slack: LocalSlack, client: AsyncWebClient) -> None:
    data = {"channel": CHANNEL, "text": "form", "blocks": json.dumps([section("form")])}
    resp = await client.api_call("chat.postMessage", data=data)
    assert resp["message"]["blocks"] == [section("form")]
    assert slack.messages(CHANNEL)[0].blocks == [section("form")]
    # a legacy token-in-body client
    async with aiohttp.ClientSession() as session:
        form = {"token": TOKEN, "channel": CHANNEL, "text": "legacy"}
        async with session.post(slack.base_url + "chat.postMessage", data=form) as raw:
            assert (await raw.json())["ok"] is True
    assert [m.text for m in slack.messages(CHANNEL)] == ["form", "legacy"]


async def test_unknown_method_and_argument_errors(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        await client.api_call("incidents.declare", json={})
    assert err.value.response["error"] == "unknown_method"
    with pytest.raises(SlackApiError) as err:
        await client.api_call("chat.postMessage", json={"channel": CHANNEL})
    assert err.value.response["error"] == "no_text"


async def test_block_kit_limits_are_enforced(slack: LocalSlack, client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel=CHANNEL, text="x", blocks=[section("b")] * 51)
    assert err.value.response["error"] == "invalid_blocks"
    button = {"type": "button", "action_id": "ack", "text": {"type": "plain_text", "text": "A" * 76}}
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel=CHANNEL, text="x", blocks=[{"type": "actions", "elements": [button]}])
    assert err.value.response["errors"] == [
        "must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]"
    ]
    assert slack.messages(CHANNEL) == []
    async with LocalSlack("xoxb-test", validate_blocks=False) as lax:
        lax_client = AsyncWebClient(token=TOKEN, base_url=lax.base_url)
        await lax_client.chat_postMessage(channel=CHANNEL, text="x", blocks=[section("b")] * 51)
        assert len(lax.messages(CHANNEL)) == 1


async def test_bad_and_missing_token(slack: LocalSlack) -> None:
    for token in ("xoxb-wrong", None):
        bad = AsyncWebClient(token=token, base_url=slack.base_url)
        with pytest.raises(SlackApiError) as err:
            await bad.chat_postMessage(channel=CHANNEL, text="nope")
        assert err.value.response.status_code == 200
        assert err.value.response["error"] == "invalid_auth"
    assert slack.messages(CHANNEL) == []
    assert [c.error for c in slack.calls_to("chat.postMessage")] == ["invalid_auth", "invalid_auth"]


async def test_custom_token() -> None:
    async with LocalSlack(token="xoxb-custom") as fake:
        resp = await AsyncWebClient(token="xoxb-custom", base_url=fake.base_url).auth_test()
        assert resp["ok"] is True


# ---------------------------------------------------------------------- recording


async def test_calls_are_recorded(slack: LocalSlack, client: AsyncWebClient) -> None:
    await client.auth_test()
    await client.chat_postMessage(channel=CHANNEL, text="hi")
    with pytest.raises(SlackApiError):
        await client.chat_update(channel=CHANNEL, ts="9.9", text="x")
    assert [c.method for c in slack.calls] == ["auth.test", "chat.postMessage", "chat.update"]
    post = slack.calls_to("chat.postMessage")[0]
    assert post.args == {"channel": CHANNEL, "text": "hi"}
    assert (post.status, post.ok, post.response["ts"]) == (200, True, slack.messages(CHANNEL)[0].ts)
    update = slack.calls_to("chat.update")[0]
    assert (update.status, update.ok, update.error) == (200, False, "message_not_found")
    assert slack.calls[0].at <= post.at <= update.at
    assert "chat.update" in slack.summary()


async def test_reset(slack: LocalSlack, client: AsyncWebClient) -> None:
    first = (await client.chat_postMessage(channel=CHANNEL, text="a"))["ts"]
    await client.chat_postEphemeral(channel=CHANNEL, user="U0ALICE", text="e")
    slack.fail("chat.postMessage", times=None)
    slack.reset()
    assert (slack.calls, slack.messages(CHANNEL), slack.ephemerals(), slack.faults.pending) == ([], [], [], [])
    second = (await client.chat_postMessage(channel=CHANNEL, text="b"))["ts"]
    assert float(second) > float(first)  # ts never repeat, even across resets


# ---------------------------------------------------------------------- failure modes


async def test_fail_500_changes_nothing_then_recovers(slack: LocalSlack, client: AsyncWebClient) -> None:
    slack.fail("chat.postMessage", status=500, times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as err:
            await client.chat_postMessage(channel=CHANNEL, text="lost?")
        assert err.value.response.status_code == 500
    assert slack.messages(CHANNEL) == []
    await client.auth_test()  # other methods are unaffected
    await client.chat_postMessage(channel=CHANNEL, text="delivered")
    assert [m.text for m in slack.messages(CHANNEL)] == ["delivered"]
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [500, 500, 200]


async def test_fail_503_for_every_method(slack: LocalSlack, client: AsyncWebClient) -> None:
    slack.fail("*", status=503, times=2)
    for call in (client.auth_test(), client.users_info(user="U0BOB")):
        with pytest.raises(SlackApiError) as err:
            await call
        assert err.value.response.status_code == 503
    assert (await client.auth_test())["ok"] is True


async def test_rate_limit_429_with_retry_after(slack: LocalSlack, client: AsyncWebClient) -> None:
    slack.rate_limit("chat.update", retry_after=7, times=1)
    ts = (await client.chat_postMessage(channel=CHANNEL, text="v1"))["ts"]
    with pytest.raises(SlackApiError) as err:
        await client.chat_update(channel=CHANNEL, ts=ts, text="v2")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "7"
    assert err.value.response["error"] == "ratelimited"
    assert slack.messages(CHANNEL)[0].text == "v1"
    await client.chat_update(channel=CHANNEL, ts=ts, text="v2")
    assert slack.messages(CHANNEL)[0].text == "v2"
    assert [c.status for c in slack.calls_to("chat.update")] == [429, 200]


async def test_hang_makes_client_time_out(slack: LocalSlack) -> None:
    impatient = AsyncWebClient(token=TOKEN, base_url=slack.base_url, timeout=0.2, retry_handlers=[])  # type: ignore[arg-type]  # float works
    slack.hang("chat.postMessage", seconds=0.6, times=1)
    with pytest.raises(TimeoutError):
        await impatient.chat_postMessage(channel=CHANNEL, text="slow")
    ok = await impatient.chat_postMessage(channel=CHANNEL, text="fast")  # times=1: recovered
    assert ok["ok"] is True
    hung = await slack.wait_for(lambda s: [c for c in s.calls_to("chat.postMessage") if c.status == 504])
    assert hung[0].error == "request_timeout"
    assert [m.text for m in slack.messages(CHANNEL)] == ["fast"]  # the hung call changed nothing


async def test_hang_with_process_is_a_lost_response(slack: LocalSlack) -> None:
    impatient = AsyncWebClient(token=TOKEN, base_url=slack.base_url, timeout=0.1, retry_handlers=[])  # type: ignore[arg-type]  # float works
    slack.hang("chat.postMessage", seconds=0.3, process=True)
    with pytest.raises(TimeoutError):
        await impatient.chat_postMessage(channel=CHANNEL, text="did it post?")
    msgs = await slack.wait_for(lambda s: s.messages(CHANNEL))
    assert [m.text for m in msgs] == ["did it post?"]


async def test_error_injection(slack: LocalSlack, client: AsyncWebClient) -> None:
    slack.error("chat.postMessage", "channel_not_found", times=1)
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel=CHANNEL, text="x")
    assert err.value.response.status_code == 200
    assert err.value.response["error"] == "channel_not_found"
    assert slack.messages(CHANNEL) == []
    await client.chat_postMessage(channel=CHANNEL, text="x")
    assert len(slack.messages(CHANNEL)) == 1


async def test_faults_apply_in_scripted_order(slack: LocalSlack, client: AsyncWebClient) -> None:
    slack.fail("chat.postMessage")
    slack.rate_limit("*", retry_after=1)
    statuses = []
    for _ in range(3):
        try:
            statuses.append((await client.chat_postMessage(channel=CHANNEL, text="x")).status_code)
        except SlackApiError as exc:
            statuses.append(exc.response.status_code)
    assert statuses == [500, 429, 200]


async def test_per_channel_rate_limit(slack: LocalSlack, client: AsyncWebClient) -> None:
    for i in range(5):  # off by default
        await client.chat_postMessage(channel=CHANNEL, text=str(i))
    slack.per_channel_limit(per_second=1, burst=1)
    await client.chat_postMessage(channel="C0A", text="first")
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C0A", text="too fast")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "1"
    await client.chat_postMessage(channel="C0B", text="other channel is fine")
    assert [m.text for m in slack.messages("C0A")] == ["first"]
    slack.per_channel_limit(None)
    await client.chat_postMessage(channel="C0A", text="limit off")


# ---------------------------------------------------------------------- response_url


async def test_response_url_posts_are_recorded(slack: LocalSlack) -> None:
    url = slack.response_url("cmd-1")
    assert url.startswith(slack.url)
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json={"response_type": "ephemeral", "text": "Declared INC-1"}) as resp:
            assert resp.status == 200
            assert await resp.json() == {"ok": True}
        slack.fail("response_url", status=500)
        async with session.post(slack.response_url("cmd-2"), json={"text": "lost"}) as resp:
            assert resp.status == 500
        async with session.post(slack.response_url("cmd-2"), json={"replace_original": True, "text": "x"}) as resp:
            assert resp.status == 200
    assert [p.body["text"] for p in slack.response_url_posts()] == ["Declared INC-1", "x"]
    assert [p.name for p in slack.response_url_posts("cmd-2")] == ["cmd-2"]
    assert [(c.args["name"], c.status) for c in slack.calls_to("response_url")] == [
        ("cmd-1", 200),
        ("cmd-2", 500),
        ("cmd-2", 200),
    ]


# ---------------------------------------------------------------------- wait_for


async def test_wait_for_returns_once_predicate_holds(slack: LocalSlack, client: AsyncWebClient) -> None:
    async def later() -> None:
        await asyncio.sleep(0.05)
        await client.chat_postMessage(channel=CHANNEL, text="one")
        await client.chat_postMessage(channel=CHANNEL, text="two")

    task = asyncio.create_task(later())
    msgs = await slack.wait_for(lambda s: s.messages(CHANNEL) if len(s.messages(CHANNEL)) == 2 else None)
    assert [m.text for m in msgs] == ["one", "two"]
    last = await slack.wait_for(lambda s: s.messages(CHANNEL)[1])  # IndexError would mean "not yet"
    assert last.text == "two"
    await task


async def test_wait_for_times_out_with_summary(slack: LocalSlack, client: AsyncWebClient) -> None:
    await client.chat_postMessage(channel=CHANNEL, text="only one")
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(AssertionError) as err:
        await slack.wait_for(lambda s: len(s.messages(CHANNEL)) == 2, timeout=0.2)
    assert 0.2 <= loop.time() - started < 1.0
    report = str(err.value)
    assert "timed out after 0.2s" in report
    assert "len(s.messages(CHANNEL)) == 2" in report
    assert "chat.postMessage" in report
    assert "'only one'" in report
    assert f"{CHANNEL}: 1" in report


async def test_stop_is_idempotent_and_prompt_with_hung_requests() -> None:
    fake = LocalSlack("xoxb-test")
    await fake.start()
    fake.hang("auth.test", seconds=30)
    request = asyncio.create_task(AsyncWebClient(token=TOKEN, base_url=fake.base_url).auth_test())
    await asyncio.sleep(0.1)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await fake.stop()
    await fake.stop()
    assert loop.time() - started < 2.0
    with pytest.raises(SlackApiError):
        await request  # answered 504 when the server shut down
    with pytest.raises(RuntimeError):
        _ = fake.base_url
