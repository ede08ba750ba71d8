"""Block Kit building blocks and the Slack limits they must respect.

Builders clip their text to the limit of the slot it goes into; callers still clip user text
first so the ellipsis lands in the user's words rather than in the bot's.
"""

from __future__ import annotations

from typing import Any

from bot.views.escaping import clip_mrkdwn, plain_text

Block = dict[str, Any]
"""A Block Kit JSON object: a block, an element or a composition object."""

MAX_BLOCKS = 50
HEADER_TEXT_MAX = 150
SECTION_TEXT_MAX = 3000
FIELD_TEXT_MAX = 2000
MAX_FIELDS = 10
CONTEXT_TEXT_MAX = 2000
BUTTON_TEXT_MAX = 75
ACTION_ELEMENTS_MAX = 25
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
PLACEHOLDER_MAX = 150
CONFIRM_TITLE_MAX = 100
CONFIRM_TEXT_MAX = 300
CONFIRM_BUTTON_MAX = 30
MODAL_TITLE_MAX = 24
MODAL_BUTTON_MAX = 24
INPUT_LABEL_MAX = 2000
PRIVATE_METADATA_MAX = 3000
MESSAGE_TEXT_MAX = 3000
"""Message texts are kept to a section's size, so any of them can also be shown as a block."""


def plain(text: str, limit: int = SECTION_TEXT_MAX) -> Block:
    return {"type": "plain_text", "text": plain_text(text, limit), "emoji": True}


def mrkdwn(text: str, limit: int = SECTION_TEXT_MAX) -> Block:
    return {"type": "mrkdwn", "text": clip_mrkdwn(text, limit)}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, HEADER_TEXT_MAX)}


def section(text: str) -> Block:
    return {"type": "section", "text": mrkdwn(text, SECTION_TEXT_MAX)}


def fields_section(fields: list[str]) -> Block:
    if not 1 <= len(fields) <= MAX_FIELDS:
        raise ValueError(f"a section holds 1 to {MAX_FIELDS} fields, not {len(fields)}")
    return {"type": "section", "fields": [mrkdwn(field, FIELD_TEXT_MAX) for field in fields]}


def context(text: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(text, CONTEXT_TEXT_MAX)]}


def divider() -> Block:
    return {"type": "divider"}


def button(label: str, action_id: str, value: str, *, style: str | None = None) -> Block:
    element: Block = {
        "type": "button",
        "action_id": action_id,
        "text": plain(label, BUTTON_TEXT_MAX),
        "value": value,
    }
    if style is not None:
        element["style"] = style
    return element


def link_button(label: str, action_id: str, url: str) -> Block:
    """A button that opens ``url`` in the browser; Slack still reports the click to the app."""
    return {"type": "button", "action_id": action_id, "text": plain(label, BUTTON_TEXT_MAX), "url": url}


def option(label: str, value: str) -> Block:
    if len(value) > OPTION_VALUE_MAX:
        raise ValueError(f"option value is longer than {OPTION_VALUE_MAX} characters")
    return {"text": plain(label, OPTION_TEXT_MAX), "value": value}


def confirm(title: str, text: str, *, yes: str, no: str = "Cancel") -> Block:
    return {
        "title": plain(title, CONFIRM_TITLE_MAX),
        "text": plain(text, CONFIRM_TEXT_MAX),
        "confirm": plain(yes, CONFIRM_BUTTON_MAX),
        "deny": plain(no, CONFIRM_BUTTON_MAX),
        "style": "danger",
    }


def actions(block_id: str, elements: list[Block]) -> Block:
    if not 1 <= len(elements) <= ACTION_ELEMENTS_MAX:
        raise ValueError(f"an actions block holds 1 to {ACTION_ELEMENTS_MAX} elements, not {len(elements)}")
    return {"type": "actions", "block_id": block_id, "elements": elements}
