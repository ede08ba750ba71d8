"""Reading the model's answer: the tool call's four parts, validated, as one update text."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PART_MAX = 700


class MalformedOutput(ValueError):
    """The model did not answer with a usable update."""


@dataclass(frozen=True)
class UpdateParts:
    impact: str
    current_status: str
    actions: str
    next_update: str

    def text(self) -> str:
        return (
            f"*Impact:* {self.impact}\n"
            f"*Current status:* {self.current_status}\n"
            f"*What is being done:* {self.actions}\n"
            f"*Next update:* {self.next_update}"
        )


def parse_tool_input(value: object) -> UpdateParts:
    if not isinstance(value, Mapping):
        raise MalformedOutput("the tool input is not an object")
    parts: dict[str, str] = {}
    for name in ("impact", "current_status", "actions", "next_update"):
        part = value.get(name)
        if not isinstance(part, str) or not part.strip():
            raise MalformedOutput(f"the update has no {name}")
        if len(part) > PART_MAX:
            raise MalformedOutput(f"the update's {name} is {len(part)} characters long")
        parts[name] = " ".join(part.split())
    return UpdateParts(**parts)


def tool_input(content: list[Any], tool_name: str) -> object:
    """The input of the first call to ``tool_name`` among a response's content blocks."""
    for block in content:
        if getattr(block, "type", None) == "tool_use" and getattr(block, "name", None) == tool_name:
            return block.input
    raise MalformedOutput(f"the model did not call {tool_name}")
