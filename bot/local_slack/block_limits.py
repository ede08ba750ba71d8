"""A light Block Kit validator: the size limits Slack enforces and the bot is likely to hit.

Only limits are checked (never "unknown" types), so valid payloads are never rejected. Messages
read like Slack's: ``must be less than 3001 characters [json-pointer:/blocks/0/text/text]``.
"""

from __future__ import annotations

from typing import Any

MAX_BLOCKS = {"message": 50, "modal": 100, "home": 100}
MAX_MESSAGE_TEXT = 40_000


class _Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, problem: str, pointer: str) -> None:
        self.errors.append(f"{problem} [json-pointer:{pointer}]")

    def text(self, obj: Any, pointer: str, limit: int, *, plain_only: bool = False) -> None:
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            self.fail("must provide an object with a string `text`", pointer)
            return
        if plain_only and obj.get("type") != "plain_text":
            self.fail("must be a plain_text object", f"{pointer}/type")
        if obj.get("type") not in ("plain_text", "mrkdwn"):
            self.fail("must be one of plain_text, mrkdwn", f"{pointer}/type")
        length = len(obj["text"])
        if length == 0:
            self.fail("must be more than 0 characters", f"{pointer}/text")
        elif length > limit:
            self.fail(f"must be less than {limit + 1} characters", f"{pointer}/text")

    def string(self, value: Any, pointer: str, limit: int) -> None:
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            self.fail(f"must be a string of less than {limit + 1} characters", pointer)

    def element(self, el: Any, pointer: str) -> None:
        if not isinstance(el, dict):
            self.fail("must be an object", pointer)
            return
        self.string(el.get("action_id"), f"{pointer}/action_id", 255)
        kind = el.get("type")
        if kind == "button":
            self.text(el.get("text"), f"{pointer}/text", 75, plain_only=True)
            self.string(el.get("value"), f"{pointer}/value", 2000)
            self.string(el.get("url"), f"{pointer}/url", 3000)
        elif kind in ("static_select", "multi_static_select", "overflow", "radio_buttons", "checkboxes"):
            options = el.get("options")
            groups = el.get("option_groups")
            if options is None and groups is None:
                self.fail("must provide `options` or `option_groups`", pointer)
            for i, opt in enumerate(options or []):
                self.option(opt, f"{pointer}/options/{i}")
            if options is not None and len(options) > 100:
                self.fail("must be less than 101 items", f"{pointer}/options")
        elif kind == "plain_text_input":
            limit = el.get("max_length", 3000)
            if not isinstance(limit, int) or not 0 < limit <= 3000:
                self.fail("must be an integer from 1 to 3000", f"{pointer}/max_length")
                limit = 3000
            self.string(el.get("initial_value"), f"{pointer}/initial_value", limit)
        if "placeholder" in el:
            self.text(el["placeholder"], f"{pointer}/placeholder", 150, plain_only=True)

    def option(self, opt: Any, pointer: str) -> None:
        if not isinstance(opt, dict):
            self.fail("must be an object", pointer)
            return
        self.text(opt.get("text"), f"{pointer}/text", 75)
        self.string(opt.get("value"), f"{pointer}/value", 150)

    def block(self, block: Any, pointer: str) -> None:
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            self.fail("must provide an object with a string `type`", pointer)
            return
        self.string(block.get("block_id"), f"{pointer}/block_id", 255)
        kind = block["type"]
        if kind == "section":
            self.section(block, pointer)
        elif kind == "header":
            self.text(block.get("text"), f"{pointer}/text", 150, plain_only=True)
        elif kind == "actions":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 0 < len(elements) <= 25:
                self.fail("must provide 1 to 25 elements", f"{pointer}/elements")
                return
            for i, el in enumerate(elements):
                self.element(el, f"{pointer}/elements/{i}")
        elif kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 0 < len(elements) <= 10:
                self.fail("must provide 1 to 10 elements", f"{pointer}/elements")
        elif kind == "input":
            self.text(block.get("label"), f"{pointer}/label", 2000, plain_only=True)
            self.element(block.get("element"), f"{pointer}/element")

    def section(self, block: dict[str, Any], pointer: str) -> None:
        if "text" not in block and "fields" not in block:
            self.fail("must provide `text` or `fields`", pointer)
        if "text" in block:
            self.text(block["text"], f"{pointer}/text", 3000)
        fields = block.get("fields")
        if fields is not None:
            if not isinstance(fields, list) or len(fields) > 10:
                self.fail("must be a list of at most 10 items", f"{pointer}/fields")
            else:
                for i, f in enumerate(fields):
                    self.text(f, f"{pointer}/fields/{i}", 2000)
        if "accessory" in block:
            self.element(block["accessory"], f"{pointer}/accessory")


def block_errors(blocks: Any, *, surface: str = "message", pointer: str = "/blocks") -> list[str]:
    """Problems Slack would report for ``blocks`` (empty list = valid)."""
    check = _Checker()
    if not isinstance(blocks, list):
        check.fail("must be an array", pointer)
        return check.errors
    limit = MAX_BLOCKS[surface]
    if len(blocks) > limit:
        check.fail(f"must be less than {limit + 1} items", pointer)
    seen: set[str] = set()
    for i, block in enumerate(blocks):
        check.block(block, f"{pointer}/{i}")
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if isinstance(block_id, str):
            if block_id in seen:
                check.fail("duplicate block_id", f"{pointer}/{i}/block_id")
            seen.add(block_id)
    return check.errors


def view_errors(view: Any) -> list[str]:
    """Problems Slack would report for a modal/home ``view`` payload."""
    check = _Checker()
    if not isinstance(view, dict) or view.get("type") not in ("modal", "home"):
        check.fail("must be an object with type modal or home", "/view")
        return check.errors
    if view["type"] == "modal":
        check.text(view.get("title"), "/view/title", 24, plain_only=True)
        for key in ("submit", "close"):
            if key in view:
                check.text(view[key], f"/view/{key}", 24, plain_only=True)
    check.string(view.get("callback_id"), "/view/callback_id", 255)
    check.string(view.get("private_metadata"), "/view/private_metadata", 3000)
    check.string(view.get("external_id"), "/view/external_id", 255)
    return check.errors + block_errors(view.get("blocks", []), surface=view["type"], pointer="/view/blocks")
