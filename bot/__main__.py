"""``python -m bot``: serve Slack on $PORT until SIGTERM or Ctrl-C; without Slack credentials, the
playground (a local Slack and its page) on $PORT, on this machine only."""

from __future__ import annotations

import gc
import logging
import os
import sys

from aiohttp import web

from bot.composition import web_application
from bot.playground import playground_banner
from bot.runtime.config_file import load_config
from bot.runtime.logs import configure_logging, redact
from bot.runtime.settings import ConfigError, Settings

# SIGTERM stops taking requests and finishes the ones in flight; past this, they are cut off.
SHUTDOWN_TIMEOUT_SECONDS = 8.0


async def _freeze_what_startup_built(_app: web.Application) -> None:
    """What startup built (modules, the Bolt app, compiled statements) lives as long as the process:
    out of the collector's sight, it is not traversed again by each full collection under load."""
    gc.freeze()


def main() -> int:
    try:
        settings = Settings.from_env(os.environ)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    try:
        config = load_config(settings.config_path)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    if settings.playground:
        # A person reads this, not a log collector: plain words on stderr, beside the JSON log.
        print(playground_banner(settings), file=sys.stderr)
    try:
        app = web_application(settings, config=config)
    except ConfigError as error:  # the playground's saved workspace is unreadable
        print(error, file=sys.stderr)
        return 2
    app.on_startup.append(_freeze_what_startup_built)
    try:
        web.run_app(
            app,
            # The playground acts as anyone in its workspace for whoever loads the page: local only.
            host="127.0.0.1" if settings.playground else None,
            port=settings.port,
            print=None,
            shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS,
            access_log=None,
        )
    except Exception as error:
        # Typically the database is unreachable or the port is taken: say so in one line (the
        # traceback goes to the JSON log), not in eighty lines of asyncpg internals.
        logging.getLogger("bot").critical("Firebreak could not start", exc_info=True)
        print(f"Firebreak could not start: {type(error).__name__}: {redact(str(error))}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
