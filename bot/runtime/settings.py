"""Settings from environment variables (12-factor). Read once, by the composition root."""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_SLACK_OAUTH_URL = "https://slack.com/openid/connect/authorize"
DEFAULT_PORT = 3000
LOCAL_SLACK_PATH = "/local-slack/"
LOCAL_AUTHORIZE_PATH = "openid/connect/authorize"
"""Where the local Slack serves its Sign in with Slack page, under LOCAL_SLACK_PATH."""
SESSION_KEY_BYTES = 32


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
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    slack_oauth_url: str = DEFAULT_SLACK_OAUTH_URL
    console_url: str | None = None
    """The console's public base URL, without a trailing slash (links, the sign-in redirect)."""
    session_secret: str | None = None
    alerts_token: str | None = None
    """The bearer token monitoring sends to /alerts… (bot/receivers/alerts); unset, those endpoints are off."""
    grafana_webhook_secret: str | None = None
    """Grafana's HMAC secret for /alerts/grafana, instead of (or beside) the bearer token."""
    metrics_token: str | None = None
    """The bearer token Prometheus sends to GET /metrics; unset, /metrics answers anyone."""
    smtp_url: str | None = None
    """``smtp://user:password@host:587`` (STARTTLS when offered) or ``smtps://…`` (TLS): where the status
    page's emails go (SPEC §14); unset, nobody can subscribe."""
    status_email_from: str | None = None
    """The From address of the status page's emails."""

    def __post_init__(self) -> None:
        # Here rather than in from_env: a console that starts with a weak key is never built.
        if self.console_on:
            check_session_secret(self.session_secret)

    def __repr__(self) -> str:
        # Settings get logged and printed in tracebacks; secrets must not be.
        return (
            f"Settings(slack_api_url={self.slack_api_url!r}, port={self.port}, socket_mode={self.socket_mode}, "
            f"playground={self.playground})"
        )

    @property
    def socket_mode(self) -> bool:
        return bool(self.slack_app_token)

    @property
    def status_email_on(self) -> bool:
        """The status page takes email subscriptions: there is an SMTP server to send them through."""
        return bool(self.smtp_url and self.status_email_from)

    @property
    def link_secret(self) -> str:
        """The secret the status page's emailed links are signed with (no token is stored)."""
        return self.session_secret or self.slack_signing_secret

    @property
    def console_on(self) -> bool:
        """The web console (bot/receivers/console) is served: sign-in credentials, or the playground."""
        return self.playground or bool(self.slack_client_id and self.slack_client_secret)

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
        client_id, client_secret = get("SLACK_CLIENT_ID"), get("SLACK_CLIENT_SECRET")
        if not playground and bool(client_id) != bool(client_secret):
            raise ConfigError(
                "Firebreak cannot start: the console's Sign in with Slack needs both SLACK_CLIENT_ID and "
                "SLACK_CLIENT_SECRET (from 'Basic Information' → 'App Credentials'); unset both to run without "
                "the console."
            )
        smtp_url, email_from = _smtp_url(get("SMTP_URL")), get("STATUS_EMAIL_FROM")
        if bool(smtp_url) != bool(email_from):
            raise ConfigError(
                "Firebreak cannot start: the status page's emails need both SMTP_URL (like "
                "smtp://user:password@mail.example.com:587) and STATUS_EMAIL_FROM (like status@example.com); "
                "unset both to run without email subscriptions."
            )
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
            # The playground signs in through its own local Slack, with credentials of its own.
            slack_client_id=None if playground else client_id,
            slack_client_secret=None if playground else client_secret,
            slack_oauth_url=get("SLACK_OAUTH_URL") or DEFAULT_SLACK_OAUTH_URL,
            console_url=_console_url(get("CONSOLE_URL")),
            session_secret=get("SESSION_SECRET"),
            alerts_token=get("ALERTS_TOKEN"),
            grafana_webhook_secret=get("GRAFANA_WEBHOOK_SECRET"),
            metrics_token=get("METRICS_TOKEN"),
            smtp_url=smtp_url,
            status_email_from=email_from,
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
            slack_client_id=f"playground.{secrets.token_hex(6)}",
            slack_client_secret=secrets.token_hex(16),
            slack_oauth_url=f"{self.local_url}{LOCAL_SLACK_PATH.lstrip('/')}{LOCAL_AUTHORIZE_PATH}",
            # The address the banner gives; a console link in a card opens there.
            console_url=self.console_url or f"http://localhost:{self.port}",
            # A given key keeps sign-ins across restarts; else each start signs everyone out.
            session_secret=self.session_secret or new_session_secret(),
        )

    @property
    def local_url(self) -> str:
        """This process's own HTTP address, as it calls itself (the playground does)."""
        return f"http://127.0.0.1:{self.port}/"


def new_session_secret() -> str:
    """A SESSION_SECRET as ``Fernet.generate_key()`` makes one: 32 random bytes, urlsafe base64."""
    return base64.urlsafe_b64encode(secrets.token_bytes(SESSION_KEY_BYTES)).decode()


def check_session_secret(value: str | None) -> None:
    """Refuse a missing or malformed session key, saying how to make a good one."""
    advice = 'Make one with: python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
    if not value:
        raise ConfigError(
            "Firebreak cannot start: the console is on (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set) but "
            "SESSION_SECRET is not set. It encrypts the console's session cookies: 32 bytes in urlsafe base64. "
            + advice
        )
    try:
        key = base64.urlsafe_b64decode(value.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        key = b""
    if len(key) != SESSION_KEY_BYTES or len(value) != 44:
        raise ConfigError(
            "Firebreak cannot start: SESSION_SECRET must be 32 bytes in urlsafe base64 (44 characters, as "
            f"Fernet.generate_key() makes), and this one is not. {advice}"
        )


def _console_url(value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(
            f"Firebreak cannot start: CONSOLE_URL must be the console's base URL, like "
            f"https://firebreak.example.com, not {value!r}."
        )
    return value.rstrip("/")


def _smtp_url(value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        # The URL may hold a password: it is not repeated back.
        raise ConfigError(
            "Firebreak cannot start: SMTP_URL must be like smtp://user:password@mail.example.com:587 "
            "(STARTTLS when the server offers it) or smtps://… (TLS from the start)."
        )
    return value
