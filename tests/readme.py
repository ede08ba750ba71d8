"""The README's snippets, as tests use them: what a newcomer copies is what the tests ran."""

from __future__ import annotations

from pathlib import Path

from markdown_it import MarkdownIt

README = Path(__file__).resolve().parents[1] / "README.md"


def fenced_block(heading: str, info: str, readme: Path = README) -> str:
    """The first ``info`` code block (e.g. ``yaml``) in the README's section titled ``heading``."""
    tokens = MarkdownIt().parse(readme.read_text())
    level: str | None = None
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            if level is not None and token.tag <= level:
                break
            if tokens[index + 1].content == heading:  # a heading's text is the inline token after it
                level = token.tag
        elif level is not None and token.type == "fence" and token.info.strip() == info:
            return token.content
    raise AssertionError(f"{readme.name} has no {info} block in a section titled {heading!r}")
