"""Fixtures for the alert tests: the bot in-process with the alert endpoints on and a default
alert channel, its own database per test, and a real Alertmanager that delivers to it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.local_slack import LocalSlack
from tests.alerts.alertmanager import alertmanager_for
from tests.alerts.sending import alerts_bot_on
from tests.e2e.conftest import bot, database_url, migrated_template
from tests.e2e.harness import BotUnderTest
from tests.reliability.conftest import captured_logs, throwaway_cluster

__all__ = ["alertmanager_for", "bot", "captured_logs", "database_url", "migrated_template", "throwaway_cluster"]


@pytest.fixture
async def alerts_bot(slack: LocalSlack, database_url: str) -> AsyncIterator[BotUnderTest]:
    started = await alerts_bot_on(slack, database_url).start()
    yield started
    await started.stop()
