"""Which start is which: no Slack app at all is the playground; half of one is a misconfiguration."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.playground import Kept
from bot.runtime.settings import ConfigError, Settings


def test_no_slack_credentials_means_playground_mode_wired_to_itself() -> None:
    settings = Settings.from_env({"PORT": "4100"})

    assert settings.playground
    assert settings.slack_api_url == "http://127.0.0.1:4100/local-slack/api/"
    assert settings.slack_bot_token.startswith("xoxb-playground-")
    assert len(settings.slack_signing_secret) == 32
    assert not settings.socket_mode
    assert settings.slack_signing_secret not in repr(settings)
    assert Settings.from_env({}).slack_signing_secret != settings.slack_signing_secret, "fresh each start"


def test_blank_credentials_count_as_none() -> None:
    assert Settings.from_env({"SLACK_BOT_TOKEN": "  ", "SLACK_SIGNING_SECRET": ""}).playground


def test_the_playground_ignores_a_slack_api_url_but_keeps_the_rest() -> None:
    settings = Settings.from_env(
        {
            "SLACK_API_URL": "https://slack.example/api/",
            "DATABASE_URL": "sqlite+aiosqlite:///x.db",
            "LOG_LEVEL": "debug",
        }
    )
    assert settings.slack_api_url == "http://127.0.0.1:3000/local-slack/api/"
    assert (settings.database_url, settings.log_level) == ("sqlite+aiosqlite:///x.db", "DEBUG")


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET is not set"),
        ({"SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN is not set"),
        ({"SLACK_APP_TOKEN": "xapp-1"}, "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are not set"),
    ],
)
def test_part_of_a_slack_app_is_still_refused(env: dict[str, str], missing: str) -> None:
    with pytest.raises(ConfigError, match=missing) as refused:
        Settings.from_env(env)
    assert "playground" in str(refused.value)


def test_with_credentials_it_is_not_the_playground() -> None:
    settings = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"})
    assert not settings.playground
    assert settings.slack_api_url == "https://slack.com/api/"


def test_the_playground_keeps_its_database_and_workspace_file_together(tmp_path: Path) -> None:
    database = tmp_path / "firebreak-playground.db"
    kept = Kept.for_database(f"sqlite+aiosqlite:///{database}")
    assert kept == Kept(tmp_path / "firebreak-playground.db.slack.json", database)
    assert kept.page()["reset"] is True

    kept.slack.write_text("cards of incidents that are gone")
    kept.keep_together(own_database=True)
    assert list(tmp_path.iterdir()) == [], "a workspace without its database is dropped"

    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").write_text("an earlier run's, which kept no cards")
    kept.keep_together(own_database=False)
    assert len(list(tmp_path.iterdir())) == 3, "a database someone named is never deleted"
    kept.keep_together(own_database=True)
    assert list(tmp_path.iterdir()) == []

    database.write_text("incidents")
    kept.slack.write_text("their cards")
    kept.keep_together(own_database=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == [database.name, kept.slack.name]


def test_reset_never_erases_a_postgres_database() -> None:
    kept = Kept.for_database("postgresql://db/firebreak")
    assert kept.database is None
    assert kept.page() == {
        "where": f"the Postgres database in DATABASE_URL and {kept.slack}",
        "reset": False,
        "refusal": "Reset erases only a SQLite database; this one is Postgres.",
    }
