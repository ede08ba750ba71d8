"""Console sessions: an encrypted cookie (aiohttp-session's EncryptedCookieStorage, Fernet) that
holds who signed in, when, and the session's CSRF token; nothing about a session is kept server-side.

The cookie is HttpOnly (no script reads it), SameSite=Lax (no other site's form or fetch sends it
with a POST), Secure when the console is served over https, and lasts 12 hours from sign-in: the
Fernet token's own timestamp is checked on every read, so an old cookie replayed is refused too.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass

import aiohttp_session
from aiohttp import web
from aiohttp_session.cookie_storage import EncryptedCookieStorage

from bot.receivers.console.context import CONSOLE
from bot.runtime.settings import Settings

SESSION_SECONDS = 12 * 3600
COOKIE_NAME = "firebreak_console"
_WHO = "who"
_CSRF = "csrf"
_SINCE = "since"


@dataclass(frozen=True)
class SignedIn:
    user_id: str
    team_id: str
    name: str


def session_storage(settings: Settings) -> EncryptedCookieStorage:
    assert settings.session_secret is not None, "Settings refuse a console without SESSION_SECRET"
    return EncryptedCookieStorage(
        settings.session_secret,
        cookie_name=COOKIE_NAME,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=(settings.console_url or "").startswith("https://"),
    )


async def session_of(request: web.Request) -> aiohttp_session.Session | None:
    """The request's session; None when the console is off (no session storage is installed)."""
    if request.get(aiohttp_session.STORAGE_KEY) is None:
        return None
    return await aiohttp_session.get_session(request)


async def signed_in(request: web.Request) -> SignedIn | None:
    """Who is signed in, or None (anonymous, a session past its 12 hours, or the console off)."""
    session = await session_of(request)
    if session is None:
        return None
    who, since = session.get(_WHO), session.get(_SINCE)
    if not isinstance(who, dict) or not isinstance(since, int | float) or time.time() - since > SESSION_SECONDS:
        return None
    signed = SignedIn(user_id=str(who["user_id"]), team_id=str(who["team_id"]), name=str(who["name"]))
    # A session of another workspace (the bot moved, the key stayed) is nobody here.
    console = request.app.get(CONSOLE)
    known = console.workspace() if console is not None else None
    if known is not None and known.team_id and known.team_id != signed.team_id:
        return None
    return signed


async def csrf_token(request: web.Request) -> str | None:
    """The session's CSRF token, which every form of the console sends back as ``csrf_token``."""
    session = await session_of(request)
    token = session.get(_CSRF) if session is not None else None
    return token if isinstance(token, str) else None


async def csrf_matches(request: web.Request, sent: object) -> bool:
    expected = await csrf_token(request)
    return expected is not None and isinstance(sent, str) and hmac.compare_digest(expected, sent)


async def begin(request: web.Request, who: SignedIn) -> None:
    """A new session for who just signed in: a new cookie and a new CSRF token, whatever the
    browser had before (so a session planted before sign-in is never the signed-in one)."""
    session = await aiohttp_session.new_session(request)
    session[_WHO] = {"user_id": who.user_id, "team_id": who.team_id, "name": who.name}
    session[_CSRF] = secrets.token_urlsafe(32)
    session[_SINCE] = int(time.time())


async def end(request: web.Request) -> None:
    session = await session_of(request)
    if session is not None:
        session.invalidate()
