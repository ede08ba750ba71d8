"""The real slack_sdk client pointed at the fake Slack (the `slack` fixture: tests/conftest.py)."""

from __future__ import annotations

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from tests.fake_slack import FakeSlack

TOKEN = "xoxb-test"
CHANNEL = "C0INCIDENTS"


@pytest.fixture
def client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=slack.base_url, retry_handlers=[])
