"""The status page's configuration (SPEC §14, §15): ``[status_page]`` branding, and SMTP_URL with
STATUS_EMAIL_FROM, which go together; a mistake stops start-up with what to set, never a secret."""

from __future__ import annotations

import pytest

from bot.runtime.config_file import StatusBranding, parse_config
from bot.runtime.settings import ConfigError, Settings

SLACK = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}


def test_branding_is_read_and_defaults_to_a_plain_title() -> None:
    assert parse_config({}, source="f").status_page == StatusBranding("Status", None)
    read = parse_config({"status_page": {"title": " Acme status ", "url": "https://status.acme.test/"}}, source="f")
    assert read.status_page == StatusBranding("Acme status", "https://status.acme.test")


@pytest.mark.parametrize(
    ("table", "said"),
    [
        ({"title": ""}, "[status_page] title must be"),
        ({"url": "status.acme.test"}, "[status_page] url must be"),
        ({"colour": "red"}, "[status_page] colour is not a setting"),
    ],
)
def test_bad_branding_is_refused_by_name(table: dict[str, str], said: str) -> None:
    with pytest.raises(ConfigError, match=said.replace("[", r"\[").replace("]", r"\]")):
        parse_config({"status_page": table}, source="f")


def test_email_is_on_with_both_smtp_settings() -> None:
    settings = Settings.from_env(SLACK | {"SMTP_URL": "smtps://u:p%40ss@mail.test", "STATUS_EMAIL_FROM": "s@acme.test"})
    assert settings.status_email_on
    assert not Settings.from_env(SLACK).status_email_on


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"SMTP_URL": "smtp://mail.test"}, "need both SMTP_URL"),
        ({"STATUS_EMAIL_FROM": "s@acme.test"}, "need both SMTP_URL"),
        ({"SMTP_URL": "http://u:hunter2@mail.test", "STATUS_EMAIL_FROM": "s@acme.test"}, "SMTP_URL must be like"),
    ],
)
def test_half_or_wrong_smtp_settings_stop_start_up_without_the_password(env: dict[str, str], said: str) -> None:
    with pytest.raises(ConfigError, match=said) as refused:
        Settings.from_env(SLACK | env)
    assert "hunter2" not in str(refused.value)
