from __future__ import annotations

from tests.console.conftest import bot, slack
from tests.e2e.conftest import claude, database_url, migrated_template

# The bot with the console on (its routes have templates such as /incidents/{ref}), on a database of its own.
__all__ = ["bot", "claude", "database_url", "migrated_template", "slack"]
