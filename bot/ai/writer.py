"""Drafts a stakeholder update with Claude, or from the template when the AI cannot help.

Whatever happens (no key, timeout, an error status, a malformed answer, an open breaker) the
caller gets a draft, labelled for what it is; nobody waits longer than the timeout for one.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.ai.breaker import CircuitBreaker
from bot.ai.facts import IncidentFacts
from bot.ai.output import MalformedOutput, parse_tool_input, tool_input
from bot.ai.prompt import TOOL_NAME, UPDATE_TOOL, build_prompt
from bot.ai.sanitise import allowed_links, sanitise
from bot.views.stakeholder import template_update

if TYPE_CHECKING:  # imported at run time only with a key (see bot.composition): it is heavy
    import anthropic
    from anthropic.types import MessageParam, ToolChoiceToolParam

log = logging.getLogger(__name__)

AI_TIMEOUT_SECONDS = 20.0
MAX_OUTPUT_TOKENS = 1024


@dataclass(frozen=True)
class Draft:
    text: str
    model: str | None
    ai_written: bool
    based_on: tuple[int, ...]
    fallback_reason: str | None = None


class StakeholderWriter:
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

    async def draft(self, facts: IncidentFacts) -> Draft:
        if self._client is None:
            return _template(facts, "no ANTHROPIC_API_KEY")
        if not self._breaker.allows_request():
            return _template(facts, "AI paused after repeated failures")
        prompt = build_prompt(facts)
        try:
            async with asyncio.timeout(self._timeout):
                response = await self._client.messages.create(
                    model=self.model,
                    max_tokens=MAX_OUTPUT_TOKENS,
                    system=prompt.system,
                    messages=[_user_message(prompt.user)],
                    tools=[UPDATE_TOOL],
                    tool_choice=_FORCED_TOOL,
                )
            parts = parse_tool_input(tool_input(response.content, TOOL_NAME))
        except Exception as error:
            self._breaker.record_failure()
            context = {"incident": str(facts.incident.ref), "error": f"{type(error).__name__}: {error}"[:300]}
            if _expected(error):
                log.warning("AI draft failed; using the template", extra=context)
            else:
                log.exception("AI draft failed unexpectedly; using the template", extra=context)
            return _template(facts, type(error).__name__)
        self._breaker.record_success()
        links = allowed_links([facts.incident.title, facts.incident.description, *(e.text for e in facts.timeline)])
        text = sanitise(parts.text(), commander=facts.incident.commander, links=links)
        return Draft(text, self.model, True, prompt.based_on)


_FORCED_TOOL: ToolChoiceToolParam = {"type": "tool", "name": TOOL_NAME}


def _expected(error: Exception) -> bool:
    """Failures the fallback exists for; anything else is also a bug worth a traceback."""
    import anthropic

    return isinstance(error, (anthropic.APIError, TimeoutError, MalformedOutput))


def _user_message(text: str) -> MessageParam:
    return {"role": "user", "content": text}


def _template(facts: IncidentFacts, reason: str) -> Draft:
    text = template_update(facts.incident, facts.latest_note, facts.now)
    return Draft(text, None, False, facts.based_on, reason)
