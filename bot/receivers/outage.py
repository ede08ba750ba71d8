"""What a receiver says when the database could not record a request (see storage.availability)."""

from __future__ import annotations

import logging
from typing import Any

from storage.availability import summary

log = logging.getLogger(__name__)


def log_unavailable(what: str, error: BaseException, ids: dict[str, Any]) -> None:
    log.warning(
        f"database unavailable while handling {what}; the request was not recorded",
        extra=ids | {"error": summary(error)},
    )
