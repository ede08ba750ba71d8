"""The declare, resolve and postmortem modals, and reading what people submitted in them.

Parsers return errors keyed by block_id, ready for ``{"response_action": "errors", "errors": …}``,
so a bad field is pointed out inline and the modal stays open with what was typed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from bot.views import action_ids as ids
from bot.views.blocks import Block, context, option, plain
from bot.views.drafted_postmortem import prefilled
from bot.views.formatting import severity_choice
from bot.views.postmortem_form import FIELD_WORDING, shown_digest
from domain.errors import InvalidValue
from domain.events import PostmortemDrafted
from domain.incident import Incident, IncidentRef
from domain.postmortem import POSTMORTEM_FIELD_MAX, PostmortemField, PostmortemText
from domain.services import NO_SERVICES, ServiceCatalog
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


def declare_modal(channel_id: str, catalog: ServiceCatalog = NO_SERVICES) -> Block:
    """With a service catalog, its services to pick from, beside the free-text service (one not listed)."""
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
        *_catalog_select(catalog),
        _input(
            ids.DECLARE_SERVICE_BLOCK,
            "Other service (not listed)" if catalog else "Service",
            _text_input(SERVICE_MAX, "e.g. checkout-api"),
            optional=True,
        ),
    ]
    return _modal(ids.DECLARE_MODAL, "Declare incident", "Declare", {"channel_id": channel_id}, blocks)


def _catalog_select(catalog: ServiceCatalog) -> list[Block]:
    if not catalog:
        return []
    # Slack shows at most 100 options in a static select; a bigger catalog is typed as free text.
    listed = sorted(catalog.services.values(), key=lambda service: service.name.casefold())[:100]
    choices = [option(f"{service.name} ({service.key})", service.key) for service in listed]
    select = {"type": "static_select", "action_id": ids.INPUT, "options": choices}
    return [_input(ids.DECLARE_CATALOG_BLOCK, "Service", select, optional=True)]


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
    chosen = _element(values, ids.DECLARE_CATALOG_BLOCK).get("selected_option")
    if isinstance(chosen, Mapping) and isinstance(chosen.get("value"), str):
        # A catalog service, over anything typed beside it.
        service = _checked(
            errors, ids.DECLARE_CATALOG_BLOCK, lambda: clean_optional(chosen["value"], "service", SERVICE_MAX)
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


@dataclass(frozen=True)
class PostmortemForm:
    """A postmortem submission: its incident, and the fields its author changed in the form."""

    ref: IncidentRef
    texts: tuple[PostmortemText, ...]


def postmortem_block(field: PostmortemField) -> str:
    return f"{ids.POSTMORTEM_BLOCK_PREFIX}{field.value}"


def postmortem_modal(incident: Incident, draft: PostmortemDrafted | None = None) -> Block:
    """The seven fields, prefilled with the current text (an empty one with ``draft``'s); the
    metadata keeps a fingerprint of each as saved, so only the fields its author changed are saved,
    and a draft's text kept as it was is saved too."""
    blocks = []
    shown = {"ref": ids.encode_ref(incident.ref)}
    initial = prefilled(incident.postmortem, draft)
    for field in PostmortemField:
        text = initial[field]
        wording = FIELD_WORDING[field]
        element = _text_input(POSTMORTEM_FIELD_MAX, wording.hint, multiline=True)
        if text:
            element["initial_value"] = text
        blocks.append(_input(postmortem_block(field), wording.label, element, optional=True))
        shown[field.value] = shown_digest(incident.postmortem.text(field))
    if any(initial[field] != incident.postmortem.text(field) for field in PostmortemField):
        blocks.insert(0, context("Empty fields are filled from the latest draft: review them before you save."))
    return _modal(ids.POSTMORTEM_MODAL, f"Postmortem {incident.ref}", "Save", shown, blocks)


def parse_postmortem_submission(
    values: Mapping[str, Any], private_metadata: str
) -> tuple[PostmortemForm | None, dict[str, str]]:
    """The fields changed from what the modal showed, or the errors by block; ValueError for
    metadata the modal never had."""
    shown = _metadata(private_metadata)
    ref = ids.decode_ref(str(shown.get("ref")))
    errors: dict[str, str] = {}
    texts = []
    for field in PostmortemField:
        typed = _text(values, postmortem_block(field))
        if shown_digest(typed) != shown.get(field.value):
            _checked(errors, postmortem_block(field), partial(clean_optional, typed, field.label, POSTMORTEM_FIELD_MAX))
            texts.append(PostmortemText(field, typed))
    return (None, errors) if errors else (PostmortemForm(ref, tuple(texts)), {})


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
