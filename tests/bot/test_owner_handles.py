"""A service owner's handle, looked up once in Slack for cards that must not page them (SPEC §13)."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.delivery.owner_handles import OwnerHandles
from bot.local_slack import LocalSlack
from domain.services import Service
from tests.e2e.harness import BOB


async def test_a_group_or_a_person_is_looked_up_once_and_kept(slack: LocalSlack) -> None:
    slack.state.usergroups.append({"id": "S0PAY", "handle": "payments-oncall", "name": "Payments"})
    handles = OwnerHandles(AsyncWebClient(token=slack.token, base_url=slack.base_url))
    group, person = Service(key="a", name="A", owner="S0PAY"), Service(key="b", name="B", owner=BOB)
    for _ in range(2):
        assert await handles.handle(group) == "@payments-oncall"
        assert await handles.handle(person) == "@bob"
    assert [call.method for call in slack.calls if call.method.startswith(("usergroups", "users"))] == [
        "usergroups.list",
        "users.info",
    ]
    assert await handles.handle(Service(key="c", name="C")) is None


async def test_an_owner_slack_cannot_name_is_shown_by_id_and_asked_again(slack: LocalSlack) -> None:
    handles = OwnerHandles(AsyncWebClient(token=slack.token, base_url=slack.base_url))
    unknown = Service(key="a", name="A", owner="S0GONE")
    assert await handles.handle(unknown) == "S0GONE"
    slack.state.usergroups.append({"id": "S0GONE", "handle": "back", "name": "Back"})
    assert await handles.handle(unknown) == "@back"
