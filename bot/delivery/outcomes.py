"""How a sender reports a delivery that did not succeed."""

from __future__ import annotations


class RetryLater(Exception):
    """Slack could not take it now (429, 5xx, timeout): try again, after ``delay`` if it said so."""

    def __init__(self, error: str, delay: float | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.delay = delay


class PermanentFailure(Exception):
    """Slack refused it for good (channel gone, bot removed…): retrying cannot help.

    ``code`` is Slack's own word for it (``not_in_channel``) when Slack gave one.
    """

    def __init__(self, error: str, code: str | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.code = code
