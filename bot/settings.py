"""Settings from environment variables (12-factor). Read once, by the composition root."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_PORT = 3000


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

    def __repr__(self) -> str:
        # Settings get logged and printed in tracebacks; secrets must not be.
        return f"Settings(slack_api_url={self.slack_api_url!r}, port={self.port}, socket_mode={self.socket_mode})"

    @property
    def socket_mode(self) -> bool:
        return bool(self.slack_app_token)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        missing = [name for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET") if not get(name)]
        if missing:
            raise ConfigError(
                f"Firebreak cannot start: {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set. "
                "Create the Slack app from slack-manifest.yml (see README, 'Installing the Slack app'), then "
                "export SLACK_BOT_TOKEN (the xoxb- bot token from 'OAuth & Permissions') and "
                "SLACK_SIGNING_SECRET (from 'Basic Information'); set SLACK_APP_TOKEN (xapp-) too for Socket Mode."
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
        return cls(
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
