"""One rendering of a public document, as it goes out: compressed once, named by its digest.

During an outage the status page is what everyone refreshes, often from a page left open that asks
again and again. Each version is compressed once (not per request), a reader that already has it
gets 304 Not Modified, and the 90 days of history (most of the page: 700 kB of HTML with a
thousand incidents) travel compressed.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web

# zlib's usual balance: the page with a thousand incidents in ~6 ms on the event loop, once a
# version (level 9 takes twice that for 7% less).
COMPRESSION_LEVEL = 6


@dataclass(frozen=True)
class Encoded:
    body: bytes
    gzipped: bytes
    etag: str
    """A strong validator: the digest of ``body``, so replicas and restarts agree on it."""


def encoded(body: bytes) -> Encoded:
    # mtime=0: the same body compresses to the same bytes, whenever and wherever.
    gzipped = gzip.compress(body, COMPRESSION_LEVEL, mtime=0)
    return Encoded(body, gzipped, f'"{hashlib.sha256(body).hexdigest()[:32]}"')


def respond(request: web.Request, document: Encoded, content_type: str, headers: Mapping[str, str]) -> web.Response:
    """``document`` as ``request`` can take it: 304 if it has this version already, gzipped if it
    accepts that, else as it is."""
    shared = {**headers, "ETag": document.etag, "Vary": "Accept-Encoding"}
    if _holds(request.headers.get("If-None-Match", ""), document.etag):
        return web.Response(status=304, headers=shared)
    body = document.body
    if _accepts_gzip(request.headers.get("Accept-Encoding", "")):
        body, shared = document.gzipped, shared | {"Content-Encoding": "gzip"}
    return web.Response(body=body, content_type=content_type, charset="utf-8", headers=shared)


def _holds(if_none_match: str, etag: str) -> bool:
    """Whether the reader says it holds ``etag`` (RFC 9110 §13.1.2: weak comparison, or ``*``)."""
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in tags or "*" in tags


def _accepts_gzip(accept_encoding: str) -> bool:
    for coding in accept_encoding.split(","):
        name, _, parameters = coding.partition(";")
        if name.strip().lower() in ("gzip", "x-gzip"):
            return _quality(parameters) > 0
    return False


def _quality(parameters: str) -> float:
    for parameter in parameters.split(";"):
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0
