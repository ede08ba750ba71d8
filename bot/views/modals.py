"""The declare and resolve modals, and reading what people submitted in them.

Parsers return errors keyed by block_id, ready for ``{"response_action": "errors", "errors": …}``,
so a bad field is pointed out inline and the modal stays open with what was typed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.views import action_ids as ids
from bot.views.blocks import Block, option, plain
from bot.views.formatting import severity_choice
from domain.errors import InvalidValue
from domain.incident import IncidentRef
from domain.severity import Severity
from domain.text import DESCRIPTION_MAX, SERVICE_MAX, SUMMARY_MAX, TITLE_MAX, clean_line, clean_optional

DEFAULT_SEVERITY = Severity.SEV3

_T = TypeVar("_T")


@dataclass(frozen=True)
class DeclareForm:
    """A valid declare submission, cleaned the way the domain will store it."""

    title: str
    severity: Severity
    description: str
    service: str | None


def declare_modal(channel_id: str) -> Block:
    severities = {s: option(severity_choice(s), s.name) for s in Severity}
    blocks = [
        _input(ids.DECLARE_TITLE_BLOCK, "Title", _text_input(TITLE_MAX, "What is broken, in a few words")),
        _input(
            ids.DECLARE_SEVERITY_BLOCK,
            "Severity",
            {
                "type": "static_select",
                "action_id": ids.INPUT,
                "options": list(severities.values()),
                "initial_option": severities[DEFAULT_SEVERITY],
            },
        ),
        _input(
            ids.DECLARE_DESCRIPTION_BLOCK,
            "Description",
            _text_input(DESCRIPTION_MAX, "Impact, symptoms, links", multiline=True),
            optional=True,
        ),
        _input(ids.DECLARE_SERVICE_BLOCK, "Service", _text_input(SERVICE_MAX, "e.g. checkout-api"), optional=True),
    ]
    return _modal(ids.DECLARE_MODAL, "Declare incident", "Declare", {"channel_id": channel_id}, blocks)


def declare_channel(private_metadata: str) -> str:
    """The channel the declare modal was opened from."""
    channel = _metadata(private_metadata).get("channel_id")
    if not isinstance(channel, str) or not channel:
        raise ValueError("declare modal metadata has no channel_id")
    return channel


def parse_declare_submission(values: Mapping[str, Any]) -> tuple[DeclareForm | None, dict[str, str]]:
    """Read ``view.state.values``: the form when every field is valid, else the errors by block."""
    errors: dict[str, str] = {}
    title = _checked(
        errors,
        ids.DECLARE_TITLE_BLOCK,
        lambda: clean_line(_text(values, ids.DECLARE_TITLE_BLOCK), "title", TITLE_MAX),
    )
    description = _checked(
        errors,
        ids.DECLARE_DESCRIPTION_BLOCK,
        lambda: clean_optional(_text(values, ids.DECLARE_DESCRIPTION_BLOCK), "description", DESCRIPTION_MAX),
    )
    service = _checked(
        errors,
        ids.DECLARE_SERVICE_BLOCK,
        lambda: clean_optional(_text(values, ids.DECLARE_SERVICE_BLOCK), "service", SERVICE_MAX, multiline=False),
    )
    severity = _severity(values)
    if severity is None:
        errors[ids.DECLARE_SEVERITY_BLOCK] = "Choose a severity: SEV1 (critical) to SEV4 (minor)."
    if errors or title is None or severity is None:
        return None, errors
    return DeclareForm(title=title, severity=severity, description=description or "", service=service), {}


def resolve_modal(ref: IncidentRef) -> Block:
    summary = _text_input(SUMMARY_MAX, "What fixed it, in one line")
    blocks = [_input(ids.RESOLVE_SUMMARY_BLOCK, "Summary", summary, optional=True)]
    return _modal(ids.RESOLVE_MODAL, f"Resolve {ref}", "Resolve", {"ref": ids.encode_ref(ref)}, blocks)


def resolve_ref(private_metadata: str) -> IncidentRef:
    """The incident the resolve modal was opened for."""
    value = _metadata(private_metadata).get("ref")
    if not isinstance(value, str):
        raise ValueError("resolve modal metadata has no ref")
    return ids.decode_ref(value)


def parse_resolve_submission(values: Mapping[str, Any]) -> tuple[str | None, dict[str, str]]:
    """The optional summary (None when left empty) and any error by block."""
    errors: dict[str, str] = {}
    summary = _checked(
        errors,
        ids.RESOLVE_SUMMARY_BLOCK,
        lambda: clean_optional(_text(values, ids.RESOLVE_SUMMARY_BLOCK), "summary", SUMMARY_MAX, multiline=False),
    )
    return summary, errors


def _modal(callback_id: str, title: str, submit: str, metadata: dict[str, str], blocks: list[Block]) -> Block:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, 24),
        "submit": plain(submit, 24),
        "close": plain("Cancel", 24),
        "private_metadata": json.dumps(metadata, separators=(",", ":")),
        "blocks": blocks,
    }


def _input(block_id: str, label: str, element: Block, *, optional: bool = False) -> Block:
    return {"type": "input", "block_id": block_id, "label": plain(label), "element": element, "optional": optional}


def _text_input(max_length: int, placeholder: str, *, multiline: bool = False) -> Block:
    element: Block = {
        "type": "plain_text_input",
        "action_id": ids.INPUT,
        "max_length": max_length,
        "placeholder": plain(placeholder, 150),
    }
    if multiline:
        element["multiline"] = True
    return element


def _metadata(private_metadata: str) -> dict[str, Any]:
    try:
        data = json.loads(private_metadata)
    except (TypeError, json.JSONDecodeError) as error:
        raise ValueError("modal private_metadata is not JSON") from error
    if not isinstance(data, dict):
        raise ValueError("modal private_metadata is not a JSON object")
    return data


def _element(values: Mapping[str, Any], block_id: str) -> Mapping[str, Any]:
    block = values.get(block_id)
    element = block.get(ids.INPUT) if isinstance(block, Mapping) else None
    return element if isinstance(element, Mapping) else {}


def _text(values: Mapping[str, Any], block_id: str) -> str:
    # Slack sends ``"value": null`` for an input left empty.
    value = _element(values, block_id).get("value")
    return value if isinstance(value, str) else ""


def _severity(values: Mapping[str, Any]) -> Severity | None:
    chosen = _element(values, ids.DECLARE_SEVERITY_BLOCK).get("selected_option")
    name = chosen.get("value") if isinstance(chosen, Mapping) else None
    if isinstance(name, str) and name in Severity.__members__:
        return Severity[name]
    return None


def _checked(errors: dict[str, str], block_id: str, read: Callable[[], _T]) -> _T | None:
    try:
        return read()
    except InvalidValue as error:
        errors[block_id] = error.message
        return None
