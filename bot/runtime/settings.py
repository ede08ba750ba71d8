"""Settings from environment variables (12-factor). Read once, by the composition root."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_PORT = 3000
LOCAL_SLACK_PATH = "/local-slack/"


class ConfigError(Exception):
    """Start-up configuration is missing or wrong; the message is a paragraph for the operator."""


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str
    slack_signing_secret: str
    slack_app_token: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    database_url: str | None = None
    anthropic_api_key: str | None = None
    anthropic_base_url: str | None = None
    stakeholder_channel: str | None = None
    config_path: str | None = None
    port: int = DEFAULT_PORT
    log_level: str = "INFO"
    playground: bool = False
    """No Slack credentials: the bot talks to the built-in local Slack it serves itself (bot/playground)."""

    def __repr__(self) -> str:
        # Settings get logged and printed in tracebacks; secrets must not be.
        return (
            f"Settings(slack_api_url={self.slack_api_url!r}, port={self.port}, socket_mode={self.socket_mode}, "
            f"playground={self.playground})"
        )

    @property
    def socket_mode(self) -> bool:
        return bool(self.slack_app_token)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        missing = [name for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET") if not get(name)]
        # No Slack app at all is a newcomer: the playground. Half a Slack app is a misconfiguration.
        playground = len(missing) == 2 and not get("SLACK_APP_TOKEN")
        if missing and not playground:
            raise ConfigError(
                f"Firebreak cannot start: {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set. "
                "Create the Slack app from slack-manifest.yml (see README, 'Installing the Slack app'), then "
                "export SLACK_BOT_TOKEN (the xoxb- bot token from 'OAuth & Permissions') and "
                "SLACK_SIGNING_SECRET (from 'Basic Information'); set SLACK_APP_TOKEN (xapp-) too for Socket Mode. "
                "To try the bot without Slack, unset all of them: it then starts in playground mode."
            )
        port_text = get("PORT") or str(DEFAULT_PORT)
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ConfigError(f"Firebreak cannot start: PORT must be a TCP port number, not {port_text!r}.")
        log_level = (get("LOG_LEVEL") or "INFO").upper()
        if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ConfigError(
                f"Firebreak cannot start: LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {log_level!r}."
            )
        api_url = get("SLACK_API_URL") or DEFAULT_SLACK_API_URL
        settings = cls(
            slack_bot_token=get("SLACK_BOT_TOKEN") or "",
            slack_signing_secret=get("SLACK_SIGNING_SECRET") or "",
            slack_app_token=get("SLACK_APP_TOKEN"),
            slack_api_url=api_url if api_url.endswith("/") else api_url + "/",
            database_url=get("DATABASE_URL"),
            anthropic_api_key=get("ANTHROPIC_API_KEY"),
            anthropic_base_url=get("ANTHROPIC_BASE_URL"),
            stakeholder_channel=get("STAKEHOLDER_CHANNEL"),
            config_path=get("FIREBREAK_CONFIG"),
            port=int(port_text),
            log_level=log_level,
        )
        return settings.as_playground() if playground else settings

    def as_playground(self) -> Settings:
        """These settings wired to the local Slack this process serves, with fresh credentials."""
        return replace(
            self,
            playground=True,
            slack_bot_token=f"xoxb-playground-{secrets.token_hex(12)}",
            slack_signing_secret=secrets.token_hex(16),
            slack_app_token=None,
            slack_api_url=f"{self.local_url}{LOCAL_SLACK_PATH.lstrip('/')}api/",
        )

    @property
    def local_url(self) -> str:
        """This process's own HTTP address, as it calls itself (the playground does)."""
        return f"http://127.0.0.1:{self.port}/"
