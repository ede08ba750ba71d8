"""An event the bot answers 503 ("not recorded, send it again") comes again from the playground as
from Slack: the same event, with X-Slack-Retry-Num 1–3 (bot.local_slack.resends). A slash command
or a click never comes again (Slack does not resend them), nor an event answered otherwise."""

from __future__ import annotations

from tests.playground.server_support import INCIDENTS, Server


async def test_an_event_answered_503_comes_again_until_the_bot_takes_it(server: Server) -> None:
    server.app.failures = [503, 503]
    status, reply = await server.post("/playground/message", channel=INCIDENTS, text="@firebreak hi")

    assert (status, reply["ok"]) == (200, True)
    assert server.app.resends == [None, "1", "2"]
    assert len({body for _, body in server.app.received}) == 1, "the same event each time"


async def test_an_event_the_bot_never_takes_is_given_up_after_three_resends_and_said(server: Server) -> None:
    server.app.failures = [503] * 4
    status, reply = await server.post("/playground/message", channel=INCIDENTS, text="@firebreak hi")

    assert status == 200
    assert (reply["ok"], reply["error"]) == (False, "the bot answered HTTP 503")
    assert server.app.resends == [None, "1", "2", "3"]


async def test_a_slash_command_and_an_event_answered_500_are_sent_once(server: Server) -> None:
    server.app.failures = [503]
    _, slash = await server.post("/playground/slash", channel=INCIDENTS, text="help")
    server.app.failures = [500]
    _, mention = await server.post("/playground/message", channel=INCIDENTS, text="@firebreak hi")

    assert (slash["ok"], slash["status"], mention["ok"], mention["status"]) == (False, 503, False, 500)
    assert server.app.resends == [None, None]
