"""Who may send alerts: the bearer token (``ALERTS_TOKEN``), or, for Grafana, its HMAC signature
(``GRAFANA_WEBHOOK_SECRET``). Every comparison takes constant time, so a wrong guess tells its
sender nothing of how close it came."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

SIGNATURE_HEADER = "X-Grafana-Alerting-Signature"
TIMESTAMP_HEADER = "X-Grafana-Alerting-Timestamp"
# As for Slack's signatures: a signed request captured on the way is worthless after this.
MAX_SIGNATURE_AGE_SECONDS = 5 * 60
# Digits enough for any Unix time; a longer "timestamp" would only make int() work hard.
_TIMESTAMP_MAX_DIGITS = 12


def bearer_matches(authorization: str | None, token: str) -> bool:
    """``Authorization: Bearer <token>`` carries this very token."""
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(credentials.strip().encode(errors="replace"), token.encode())


def grafana_signature_problem(headers: Mapping[str, str], body: bytes, secret: str, now: float) -> str | None:
    """What is wrong with Grafana's HMAC on ``body`` (hex HMAC-SHA256 of the body, or of
    ``timestamp:body`` when Grafana sends a timestamp), or None when it is good and fresh."""
    signature = headers.get(SIGNATURE_HEADER)
    if not signature:
        return f"no bearer token and no {SIGNATURE_HEADER}"
    signed = body
    timestamp = headers.get(TIMESTAMP_HEADER)
    if timestamp is not None:
        if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > _TIMESTAMP_MAX_DIGITS:
            return f"{TIMESTAMP_HEADER} is not a Unix time in seconds"
        if abs(now - int(timestamp)) > MAX_SIGNATURE_AGE_SECONDS:
            return f"{TIMESTAMP_HEADER} is more than 5 minutes away from now: a stale or replayed request"
        signed = f"{timestamp}:".encode() + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest().encode()
    if not hmac.compare_digest(expected, signature.strip().lower().encode(errors="replace")):
        return f"{SIGNATURE_HEADER} does not match the body (check GRAFANA_WEBHOOK_SECRET)"
    return None
