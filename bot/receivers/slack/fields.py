"""The fields of a Slack payload that end up stored, checked before anything is.

Slack signs what it sends, but a signed payload is still only as well-formed as the code that made
it; and Postgres refuses what does not fit its columns (ids are 32 characters, keys 200, no NUL
anywhere). A field that is not what Slack sends makes the request one the bot ignores or refuses,
never one that fails halfway through.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

# Team, user and channel ids: ``T0123ABCD``; stored in 32-character columns.
_SLACK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}", re.ASCII)
# A user id alone (as picked in a users_select): ``U…`` or ``W…``.
_USER_ID = re.compile(r"[UW][A-Z0-9]{1,31}", re.ASCII)
# Message timestamps: ``1700000000.000100``.
_TS = re.compile(r"[0-9]{1,20}\.[0-9]{1,11}", re.ASCII)
# Trigger ids: ``13345224609.738474920.8088930838d88f008e0``.
_TRIGGER = re.compile(r"[A-Za-z0-9._-]{1,200}", re.ASCII)
# A response_url, ``https://hooks.slack.com/commands/T…/…``: kept in the outbox until it is used.
_URL = re.compile(r"https?://[!-~]{1,1000}", re.ASCII)
# What may appear in an idempotency key as it is; anything else is hashed into the key.
_KEY_PART = re.compile(r"[A-Za-z0-9._-]{0,100}", re.ASCII)
# The stored key is at most 200 characters; replies add a suffix (``:reply``) to a request's key.
KEY_MAX = 180
_KEEP = "\t\n"
# Text with no control character (Cc) but a tab or line feed, and no lone surrogate (Cs).
_STORABLE = re.compile("[^\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]*")


def mapping(value: object) -> Mapping[str, Any]:
    """``value`` if it is a JSON object, else an empty one: ``body.get("team")`` may be anything."""
    return value if isinstance(value, Mapping) else {}


def slack_id(value: object) -> str | None:
    return value if isinstance(value, str) and _SLACK_ID.fullmatch(value) else None


def user_id(value: object) -> str | None:
    return value if isinstance(value, str) and _USER_ID.fullmatch(value) else None


def slack_ts(value: object) -> str | None:
    return value if isinstance(value, str) and len(value) <= 32 and _TS.fullmatch(value) else None


def trigger_id(value: object) -> str | None:
    """A trigger id to open a modal with (it is stored in the outbox until then)."""
    return value if isinstance(value, str) and _TRIGGER.fullmatch(value) else None


def response_url(value: object) -> str | None:
    return value if isinstance(value, str) and _URL.fullmatch(value) else None


def request_key(kind: str, *parts: str) -> str:
    """An idempotency key ``kind:part:…``, hashed when a part is unusual or the whole too long, so
    that the same request always gets the same key and every key fits its column."""
    key = ":".join((kind, *parts))
    if len(key) <= KEY_MAX and all(_KEY_PART.fullmatch(part) for part in parts):
        return key
    digest = hashlib.sha256(key.encode("utf-8", errors="surrogatepass")).hexdigest()
    return f"{kind}:sha256:{digest}"


def user_text(value: object) -> str:
    """What a person typed, without what no stored text may hold: control characters other than
    tabs and line breaks (NUL above all), and lone surrogates. Anything not text is no text."""
    if not isinstance(value, str):
        return ""
    if _STORABLE.fullmatch(value):
        return value
    return "".join(char for char in value if char in _KEEP or unicodedata.category(char) not in ("Cc", "Cs"))
