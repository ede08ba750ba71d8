"""When the console is on, and what it refuses to start with (SPEC §9, §15)."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from bot.local_slack import LocalSlack
from bot.runtime.child_environment import clean_environment, free_port
from bot.runtime.settings import ConfigError, Settings
from tests.e2e.bot_process import BotProcess
from tests.e2e.harness import BotUnderTest

SLACK_APP = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s3cr3t"}
SIGN_IN = {"SLACK_CLIENT_ID": "123.456", "SLACK_CLIENT_SECRET": "client-s3cr3t"}


def test_without_sign_in_credentials_the_console_is_off() -> None:
    assert not Settings.from_env(SLACK_APP).console_on


def test_with_sign_in_credentials_and_a_fernet_key_the_console_is_on() -> None:
    key = Fernet.generate_key().decode()
    settings = Settings.from_env(SLACK_APP | SIGN_IN | {"SESSION_SECRET": key, "CONSOLE_URL": "https://fb.example/"})

    assert settings.console_on
    assert (settings.slack_client_id, settings.slack_client_secret) == ("123.456", "client-s3cr3t")
    assert settings.console_url == "https://fb.example"
    assert settings.slack_oauth_url == "https://slack.com/openid/connect/authorize"
    assert key not in repr(settings)
    assert "client-s3cr3t" not in repr(settings)


def test_the_console_needs_a_session_secret() -> None:
    with pytest.raises(ConfigError, match="SESSION_SECRET is not set") as refused:
        Settings.from_env(SLACK_APP | SIGN_IN)
    assert "Fernet.generate_key()" in str(refused.value)


@pytest.mark.parametrize(
    "secret",
    [
        "correct horse battery staple",
        "c2hvcnQ=",  # base64, 5 bytes
        Fernet.generate_key().decode()[:-2],  # cut
        Fernet.generate_key().decode() + "AAAA",  # 35 bytes
        "!" * 44,
    ],
)
def test_a_session_secret_that_is_not_32_bytes_of_urlsafe_base64_is_refused(secret: str) -> None:
    with pytest.raises(ConfigError, match="SESSION_SECRET must be 32 bytes in urlsafe base64") as refused:
        Settings.from_env(SLACK_APP | SIGN_IN | {"SESSION_SECRET": secret})
    assert "Fernet.generate_key()" in str(refused.value)
    assert secret not in str(refused.value)


def test_half_of_the_sign_in_credentials_is_refused() -> None:
    with pytest.raises(ConfigError, match="needs both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET"):
        Settings.from_env(SLACK_APP | {"SLACK_CLIENT_ID": "123.456"})


@pytest.mark.parametrize("url", ["fb.example", "ftp://fb.example", "https://", "https://fb.example/?x=1"])
def test_a_console_url_that_is_not_a_base_url_is_refused(url: str) -> None:
    with pytest.raises(ConfigError, match="CONSOLE_URL must be the console's base URL"):
        Settings.from_env(SLACK_APP | {"CONSOLE_URL": url})


def test_the_playground_signs_in_through_its_own_local_slack() -> None:
    settings = Settings.from_env({"PORT": "4100"} | SIGN_IN)

    assert settings.console_on
    assert settings.slack_oauth_url == "http://127.0.0.1:4100/local-slack/openid/connect/authorize"
    assert settings.slack_client_id != "123.456", "its own credentials, not a real app's"
    assert settings.console_url == "http://localhost:4100"
    assert settings.session_secret is not None
    Fernet(settings.session_secret.encode())  # a key Fernet takes


async def test_python_m_bot_refuses_a_bad_session_secret_in_one_paragraph() -> None:
    bot = BotProcess(clean_environment(PORT=str(free_port()), SESSION_SECRET="hunter2-hunter2", **SLACK_APP, **SIGN_IN))

    assert await bot.run_to_exit(timeout=15) == 2

    message = "\n".join(bot.stderr).strip()
    assert len(message.splitlines()) == 1, message
    assert "SESSION_SECRET must be 32 bytes in urlsafe base64" in message
    assert "Fernet.generate_key()" in message
    assert "hunter2" not in message
    assert "client-s3cr3t" not in message


async def test_with_the_console_off_login_says_how_to_turn_it_on(
    slack: LocalSlack, database_url: str, workspace: str
) -> None:
    bot = await BotUnderTest(slack, database_url, workspace).start()
    try:
        login = await bot.get("/login")
        incidents = await bot.get("/incidents")
    finally:
        await bot.stop()

    assert login.status == 404
    assert "The console is off" in login.text
    for needed in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SESSION_SECRET", "openid, email and profile"):
        assert needed in login.text
    assert incidents.status == 404
