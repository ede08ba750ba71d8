"""Bolt turns itself into an OAuth-install app when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are in
the environment, and then refuses every Slack request of a workspace it has no installation for.
With the console on those variables are set (they are Sign in with Slack's), and Slack must not notice."""

from __future__ import annotations

import os

import pytest

from bot.local_slack import LocalSlack
from tests.console.support import CLIENT_ID, CLIENT_SECRET, start_console_bot


@pytest.fixture
def sign_in_credentials_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("SLACK_CLIENT_SECRET", CLIENT_SECRET)


@pytest.mark.usefixtures("sign_in_credentials_in_the_environment")
async def test_a_signed_mention_still_declares(slack: LocalSlack, database_url: str, workspace: str) -> None:
    bot = await start_console_bot(slack, database_url, workspace)
    try:
        # Bolt's OAuth flow (with its file-based installation and state stores) was never set up:
        # the identity learned at start authorizes every request, as without the variables.
        assert bot.firebreak.slack_app.oauth_flow is None
        response, _ = await bot.mention("checkout is down sev2")
        slash = await bot.slash("declare payments are slow sev3")

        assert response.status == 200, response.text
        assert slash.status == 200, slash.text
        assert "Declared INC-2 (SEV3)" in slash.json()["text"]
        assert (await bot.incident(1)).title == "checkout is down"
        await bot.card(1)
        # Only hidden from Bolt while it was built: the environment is as it was.
        assert (os.environ["SLACK_CLIENT_ID"], os.environ["SLACK_CLIENT_SECRET"]) == (CLIENT_ID, CLIENT_SECRET)
    finally:
        await bot.stop()
