"""The status page's emailed links (SPEC §14): confirm a subscription, unsubscribe. Each carries the
subscriber's id and an HMAC of what it does to which address, keyed by a secret of the deployment,
so no token is stored and a link cannot be made for another subscriber or another purpose.
"""

from __future__ import annotations

import hashlib
import hmac
from enum import StrEnum

_LABEL = b"firebreak status page links"


class Purpose(StrEnum):
    CONFIRM = "confirm"
    UNSUBSCRIBE = "unsubscribe"


class LinkSigner:
    def __init__(self, secret: str) -> None:
        # A key of its own, derived from the secret, so a link's signature is nothing else's.
        self._key = hmac.new(secret.encode(), _LABEL, hashlib.sha256).digest()

    def token(self, purpose: Purpose, subscriber_id: int, address: str) -> str:
        message = f"{purpose.value}\n{subscriber_id}\n{address}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def valid(self, token: str, purpose: Purpose, subscriber_id: int, address: str) -> bool:
        return hmac.compare_digest(token, self.token(purpose, subscriber_id, address))

    def link(self, base_url: str, purpose: Purpose, subscriber_id: int, address: str) -> str:
        return f"{base_url}/status/{purpose.value}/{subscriber_id}/{self.token(purpose, subscriber_id, address)}"
