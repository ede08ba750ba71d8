"""Drafts a stakeholder update with Claude, or from the template when the AI cannot help.

Whatever happens (no key, timeout, an error status, a malformed answer, an open breaker) the
caller gets a draft, labelled for what it is; nobody waits longer than the timeout for one.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.ai.asking import ModelAsker, Unanswered
from bot.ai.facts import IncidentFacts
from bot.ai.output import MalformedOutput, parse_tool_input
from bot.ai.prompt import UPDATE_TOOL, build_prompt
from bot.ai.sanitise import sanitise
from bot.views.stakeholder import template_update


@dataclass(frozen=True)
class Draft:
    text: str
    model: str | None
    ai_written: bool
    based_on: tuple[int, ...]
    fallback_reason: str | None = None


class StakeholderWriter:
    def __init__(self, asker: ModelAsker) -> None:
        self.asker = asker

    async def draft(self, facts: IncidentFacts) -> Draft:
        prompt = build_prompt(facts)
        about = str(facts.incident.ref)
        try:
            answer = await self.asker.ask(prompt.system, prompt.user, UPDATE_TOOL, about=about)
            try:
                parts = parse_tool_input(answer)
            except MalformedOutput as error:
                raise self.asker.reject(error, about=about) from error
        except Unanswered as unanswered:
            return _template(facts, unanswered.reason)
        text = sanitise(parts.text(), commander=facts.incident.commander, links=facts.links)
        return Draft(text, self.asker.model, True, prompt.based_on)


def _template(facts: IncidentFacts, reason: str) -> Draft:
    text = template_update(facts.incident, facts.latest_note, facts.now)
    return Draft(text, None, False, facts.based_on, reason)
