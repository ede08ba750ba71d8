"""The real slack_sdk client pointed at the fake Slack (the `slack` fixture: tests/conftest.py)."""

from __future__ import annotations

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.local_slack import LocalSlack

TOKEN = "xoxb-test"
CHANNEL = "C0INCIDENTS"


@pytest.fixture
def client(slack: LocalSlack) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=slack.base_url, retry_handlers=[])
