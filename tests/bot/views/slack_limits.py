"""A checker for the Block Kit limits the views promise to stay within.

slack_sdk's own validators look at top-level blocks only, so elements, options and confirm
dialogs are checked here; lengths use UTF-16 units like the views do.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from slack_sdk.models.blocks import Block as SdkBlock

from bot.views.escaping import slack_len

Json = dict[str, Any]


def check_text(obj: Json, limit: int, *, kind: str | None = None) -> None:
    assert obj["type"] in ("plain_text", "mrkdwn"), obj
    if kind is not None:
        assert obj["type"] == kind, obj
    assert isinstance(obj["text"], str)
    assert 1 <= slack_len(obj["text"]) <= limit, (limit, obj["text"])


def check_confirm(dialog: Json) -> None:
    check_text(dialog["title"], 100, kind="plain_text")
    check_text(dialog["text"], 300)
    check_text(dialog["confirm"], 30, kind="plain_text")
    check_text(dialog["deny"], 30, kind="plain_text")


def check_element(element: Json) -> None:
    assert 1 <= len(element["action_id"]) <= 255
    if "placeholder" in element:
        check_text(element["placeholder"], 150, kind="plain_text")
    if "confirm" in element:
        check_confirm(element["confirm"])
    kind = element["type"]
    if kind == "button":
        check_text(element["text"], 75, kind="plain_text")
        # A button carries a value for the app, or is a link that the browser follows (or both).
        assert "value" in element or "url" in element
        assert len(element.get("value", "")) <= 2000
        assert len(element.get("url", "")) <= 3000
        assert element.get("style") in (None, "primary", "danger")
    elif kind == "static_select":
        options = element["options"]
        assert 1 <= len(options) <= 100
        for option in options:
            check_text(option["text"], 75, kind="plain_text")
            assert 1 <= len(option["value"]) <= 150
        assert len({option["value"] for option in options}) == len(options)
        if "initial_option" in element:
            assert element["initial_option"] in options
    elif kind == "users_select":
        assert element.get("initial_user", "U").startswith(("U", "W"))
    elif kind == "plain_text_input":
        assert element.get("max_length", 1) <= 3000
    else:
        raise AssertionError(f"unexpected element type {kind}")


def check_block(block: Json) -> None:
    assert len(block.get("block_id", "")) <= 255
    kind = block["type"]
    if kind == "header":
        check_text(block["text"], 150, kind="plain_text")
    elif kind == "section":
        assert "text" in block or "fields" in block
        if "text" in block:
            check_text(block["text"], 3000)
        fields = block.get("fields", [])
        assert len(fields) <= 10
        for text in fields:
            check_text(text, 2000)
    elif kind == "context":
        assert 1 <= len(block["elements"]) <= 10
        for text in block["elements"]:
            check_text(text, 3000)
    elif kind == "actions":
        assert 1 <= len(block["elements"]) <= 25
        for element in block["elements"]:
            check_element(element)
    elif kind == "input":
        check_text(block["label"], 2000, kind="plain_text")
        check_element(block["element"])
    elif kind != "divider":
        raise AssertionError(f"unexpected block type {kind}")
    SdkBlock.parse(block).validate_json()  # type: ignore[union-attr]


def check_blocks(blocks: list[Json]) -> None:
    assert 1 <= len(blocks) <= 50
    for block in blocks:
        check_block(block)
    action_ids = [element["action_id"] for element in elements(blocks)]
    assert len(action_ids) == len(set(action_ids)), action_ids
    block_ids = [block["block_id"] for block in blocks if "block_id" in block]
    assert len(block_ids) == len(set(block_ids))


def check_modal(view: Json) -> None:
    assert view["type"] == "modal"
    for key in ("title", "submit", "close"):
        check_text(view[key], 24, kind="plain_text")
    assert len(view["private_metadata"]) <= 3000
    assert len(view["callback_id"]) <= 255
    assert 1 <= len(view["blocks"]) <= 100
    for block in view["blocks"]:
        check_block(block)


def elements(blocks: list[Json]) -> Iterator[Json]:
    for block in blocks:
        if block["type"] == "actions":
            yield from block["elements"]
        elif block["type"] == "input":
            yield block["element"]


def strings(value: Any) -> Iterator[str]:
    """Every string anywhere in a Block Kit structure."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def mrkdwn_texts(value: Any) -> Iterator[str]:
    """The text of every mrkdwn object: the only places Slack turns markup into pings and links."""
    if isinstance(value, dict):
        if value.get("type") == "mrkdwn":
            yield value["text"]
        for item in value.values():
            yield from mrkdwn_texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from mrkdwn_texts(item)


def plain_texts(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if value.get("type") == "plain_text":
            yield value["text"]
        for item in value.values():
            yield from plain_texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from plain_texts(item)
