"""One question to Claude, answered through a tool call, or a reason it was not (SPEC §6).

Every AI feature asks through here, so they share one circuit breaker and one timeout: whatever
happens (no key, timeout, an error status, an answer without the tool call, an open breaker) the
caller gets :class:`Unanswered` promptly and falls back to its template.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from bot.ai.breaker import CircuitBreaker
from bot.ai.output import MalformedOutput, tool_input
from bot.runtime.metrics import AI_CALLS, AI_FALLBACKS

if TYPE_CHECKING:  # imported at run time only with a key (see bot.composition): it is heavy
    import anthropic
    from anthropic.types import MessageParam, ToolChoiceToolParam, ToolParam

log = logging.getLogger(__name__)

AI_TIMEOUT_SECONDS = 20.0
MAX_OUTPUT_TOKENS = 1024


class Unanswered(Exception):
    """The model could not be asked, or did not answer usably; ``reason`` is said with the fallback."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ModelAsker:
    def __init__(
        self,
        client: anthropic.AsyncAnthropic | None,
        model: str,
        breaker: CircuitBreaker,
        *,
        timeout: float = AI_TIMEOUT_SECONDS,
    ) -> None:
        self._client = client
        self.model = model
        self._breaker = breaker
        self._timeout = timeout

    @property
    def enabled(self) -> bool:
        return self._client is not None

    async def ask(
        self, system: str, user: str, tool: ToolParam, *, about: str, max_tokens: int = MAX_OUTPUT_TOKENS
    ) -> object:
        """The input the model gave ``tool``; :class:`Unanswered` when there is none to give."""
        if self._client is None:
            raise _fallback("no_key", "no ANTHROPIC_API_KEY")
        if not self._breaker.allows_request():
            raise _fallback("paused", "AI paused after repeated failures")
        forced: ToolChoiceToolParam = {"type": "tool", "name": tool["name"]}
        message: MessageParam = {"role": "user", "content": user}
        try:
            async with asyncio.timeout(self._timeout):
                response = await self._client.messages.create(
                    model=self.model,
                    max_tokens=max_tokens,
                    system=system,
                    messages=[message],
                    tools=[tool],
                    tool_choice=forced,
                )
            answer = tool_input(response.content, tool["name"])
        except Exception as error:
            AI_CALLS.labels(result="timeout" if isinstance(error, TimeoutError) else "error").inc()
            self._failed(error, about)
            raise _fallback("failed", type(error).__name__) from error
        AI_CALLS.labels(result="answered").inc()
        self._breaker.record_success()
        return answer

    def reject(self, error: MalformedOutput, *, about: str) -> Unanswered:
        """An answer the caller found unusable counts as a failure, as an error status does."""
        self._failed(error, about)
        return _fallback("unusable", type(error).__name__)

    def _failed(self, error: Exception, about: str) -> None:
        self._breaker.record_failure()
        context = {"incident": about, "error": f"{type(error).__name__}: {error}"[:300]}
        if _expected(error):
            log.warning("AI request failed; using the template", extra=context)
        else:
            log.exception("AI request failed unexpectedly; using the template", extra=context)


def _fallback(reason: str, said: str) -> Unanswered:
    AI_FALLBACKS.labels(reason=reason).inc()
    return Unanswered(said)


def _expected(error: Exception) -> bool:
    """Failures the fallback exists for; anything else is also a bug worth a traceback."""
    import anthropic

    return isinstance(error, (anthropic.APIError, TimeoutError, MalformedOutput))
