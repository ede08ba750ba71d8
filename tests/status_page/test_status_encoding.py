"""What the status page's documents look like on the wire (SPEC §14): compressed for a reader that
accepts it, the same bytes once decompressed, and 304 Not Modified for a reader that has the
version already; a published update is a new version."""

from __future__ import annotations

import gzip

import aiohttp
import pytest
from multidict import CIMultiDict

from tests.e2e.harness import BotUnderTest
from tests.waiting import poll

DOCUMENTS = ["/status", "/status.json", "/status/feed.atom"]


async def _get(bot: BotUnderTest, path: str, headers: dict[str, str]) -> tuple[int, CIMultiDict[str], bytes]:
    """Status, headers and the body exactly as sent (not decompressed)."""
    async with (
        aiohttp.ClientSession(auto_decompress=False) as session,
        session.get(bot.url + path, headers=headers) as answer,
    ):
        return answer.status, CIMultiDict(answer.headers), await answer.read()


async def _public_incident(bot: BotUnderTest) -> None:
    await bot.slash("declare Checkout is failing sev2")
    await bot.slash("public INC-1 on")
    await bot.slash("update INC-1 Checkout is failing for some customers; we are rolling back.")
    await _shown(bot, b"rolling back")


async def _shown(bot: BotUnderTest, text: bytes) -> None:
    """Until the page's one view of the public incidents has read ``text`` (it reads again on a
    change, and a request meanwhile gets the page of a moment before)."""

    async def showing() -> bool:
        return text in (await _get(bot, "/status.json", {"Accept-Encoding": "identity"}))[2]

    await poll(showing, 5, f"{text!r} on the status page")


@pytest.mark.parametrize("path", DOCUMENTS)
async def test_a_reader_that_accepts_gzip_gets_it_and_the_same_document(bot: BotUnderTest, path: str) -> None:
    await _public_incident(bot)

    status, plain_headers, plain = await _get(bot, path, {"Accept-Encoding": "identity"})
    assert status == 200
    assert "Content-Encoding" not in plain_headers
    assert b"rolling back" in plain

    status, headers, sent = await _get(bot, path, {"Accept-Encoding": "br, gzip;q=0.8, deflate"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert headers["Vary"] == "Accept-Encoding"
    assert headers["ETag"] == plain_headers["ETag"], "one version, one validator, however it travels"
    assert headers["Content-Type"] == plain_headers["Content-Type"]
    assert gzip.decompress(sent) == plain
    assert len(sent) < len(plain)


@pytest.mark.parametrize("accept", ["gzip;q=0", "identity", "", "deflate, br"])
async def test_a_reader_that_refuses_gzip_gets_the_document_as_it_is(bot: BotUnderTest, accept: str) -> None:
    await _public_incident(bot)
    status, headers, body = await _get(bot, "/status", {"Accept-Encoding": accept})
    assert status == 200
    assert "Content-Encoding" not in headers
    assert b"rolling back" in body


@pytest.mark.parametrize("path", DOCUMENTS)
async def test_a_reader_with_this_version_gets_304_until_an_update_is_published(bot: BotUnderTest, path: str) -> None:
    await _public_incident(bot)
    _, first, _ = await _get(bot, path, {})
    etag = first["ETag"]

    for held in (etag, f"W/{etag}", f'"someone-else", {etag}', "*"):
        status, headers, body = await _get(bot, path, {"If-None-Match": held})
        assert (status, body) == (304, b""), held
        assert headers["ETag"] == etag
        assert headers["Cache-Control"] == "no-cache", "still asked again every time"
    status, _, _ = await _get(bot, path, {"If-None-Match": '"someone-else"'})
    assert status == 200

    await bot.slash("update INC-1 The rollback is done and checkout works again.")
    await _shown(bot, b"checkout works again")
    status, after, body = await _get(bot, path, {"If-None-Match": etag, "Accept-Encoding": "identity"})
    assert status == 200, "a published update is a new version"
    assert after["ETag"] != etag
    assert b"checkout works again" in body
