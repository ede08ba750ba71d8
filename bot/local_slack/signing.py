"""Slack's request signing (v0, HMAC-SHA256 over ``v0:timestamp:body``), as Slack signs what it
sends to an app: the local Slack signs its payloads exactly so."""

from __future__ import annotations

import hashlib
import hmac
import time


def signature_headers(secret: str, body: str, *, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}
