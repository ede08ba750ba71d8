from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

from tests.e2e.bot_process import BotProcess
from tests.playground.browser import chromium, open_page, playground_environment
from tests.playground.server_support import Server, serve


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    async with serve() as running:
        yield running


@pytest.fixture(scope="module")
async def playground() -> AsyncIterator[BotProcess]:
    """``python -m bot`` without Slack credentials, one per test module (a workspace of its own)."""
    with tempfile.TemporaryDirectory(prefix="firebreak-playground-") as directory:
        async with BotProcess(playground_environment(Path(directory))).running() as bot:
            yield bot


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as launched:
        yield launched


@pytest.fixture
async def page(browser: Browser, playground: BotProcess) -> AsyncIterator[Page]:
    async with open_page(browser, playground.url) as opened:
        yield opened
