"""Sign in with Slack (OpenID Connect, through slack_sdk): ``GET /login`` → Slack's authorize page →
``GET /auth/callback`` (``openid.connect.token``, then ``openid.connect.userInfo``); ``POST /logout``.

``state`` (against a forged callback) and ``nonce`` (against a replayed id_token) are made per
sign-in, kept in the session cookie and both checked on return. The id_token comes straight from
Slack's token endpoint over TLS, which OpenID Connect Core (3.1.3.7, item 6) accepts in place of
checking its signature; its audience, issuer, expiry and nonce are checked, and the identity itself
is taken from userInfo. Only members of the bot's own workspace get a session.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import secrets
import time
from typing import Any
from urllib.parse import quote

from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth import OpenIDConnectAuthorizeUrlGenerator
from slack_sdk.web.async_client import AsyncWebClient

from bot.receivers.console.context import Console, console_of
from bot.receivers.console.rendering import render
from bot.receivers.console.sessions import SignedIn, begin, csrf_token, end, session_of
from bot.receivers.console.signed_in import SIGNED_IN, api, checked_form, safe_next, signed_in

log = logging.getLogger(__name__)

routes = web.RouteTableDef()

SCOPES = ("openid", "email", "profile")
CALLBACK_PATH = "/auth/callback"
ISSUER = "https://slack.com"
USER_ID_CLAIM = "https://slack.com/user_id"
TEAM_ID_CLAIM = "https://slack.com/team_id"
TEAM_NAME_CLAIM = "https://slack.com/team_name"
_PENDING = "sign_in"
# A sign-in started and not finished within this is started again.
PENDING_SECONDS = 600


@routes.get("/login")
async def login(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    next_path = safe_next(request.query.get("next"))
    if await signed_in(request) is not None:
        raise web.HTTPFound(next_path)
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    session = await session_of(request)
    assert session is not None, "the console's routes are served only with its session storage"
    session[_PENDING] = {"state": state, "nonce": nonce, "next": next_path, "at": int(time.time())}
    known = console.workspace()
    authorize = OpenIDConnectAuthorizeUrlGenerator(
        client_id=quote(_client_id(console), safe=""),
        # The generator puts values in the URL as they are: the redirect URI must be encoded here.
        redirect_uri=quote(_redirect_uri(request, console), safe=""),
        scopes=list(SCOPES),
        authorization_url=console.settings.slack_oauth_url,
    )
    # team: Slack offers the bot's own workspace first (an outsider can still pick another).
    raise web.HTTPFound(authorize.generate(state=state, nonce=nonce, team=known.team_id if known else None))


@routes.get(CALLBACK_PATH)
async def callback(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    session = await session_of(request)
    pending = session.pop(_PENDING, None) if session is not None else None  # one use, whatever happens
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return await _restart(request, "This sign-in was not started here, or took too long.")
    if not hmac.compare_digest(str(pending["state"]), request.query.get("state", "")):
        log.warning("console sign-in refused: state does not match")
        return await _restart(request, "This sign-in answer does not belong to the sign-in started here (state).")
    if "error" in request.query or not request.query.get("code"):
        return await _restart(request, "Slack did not sign you in (the sign-in was cancelled).", status=403)
    try:
        who, team_name = await _identity(console, request, request.query["code"], str(pending["nonce"]))
    except SignInRefused as refused:
        log.warning("console sign-in refused", extra={"reason": refused.reason})
        return await _restart(request, f"Slack's answer could not be accepted: {refused.reason}.")
    if who.team_id != console.workspace_id():
        log.info("console sign-in refused: another workspace", extra={"user_id": who.user_id, "team_id": who.team_id})
        return await _restart(
            request,
            f"The console is for members of this bot's Slack workspace; {who.name} signed in as a member of "
            f"{team_name or who.team_id}. Sign in with an account of the bot's workspace.",
            status=403,
        )
    await begin(request, who)
    log.info("console sign-in", extra={"user_id": who.user_id})
    raise web.HTTPFound(safe_next(str(pending["next"])))


@routes.post("/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    await checked_form(request)
    who = await signed_in(request)
    await end(request)
    log.info("console sign-out", extra={"user_id": who.user_id if who else None})
    raise web.HTTPSeeOther("/signed-out")


@routes.get("/signed-out")
async def signed_out(request: web.Request) -> web.StreamResponse:
    return await render(request, "signed_out.html", {})


@routes.get("/auth/session")
@api
async def who_am_i(request: web.Request) -> web.StreamResponse:
    """Who is signed in and the session's CSRF token, for scripts (same-origin only: no CORS)."""
    who = request[SIGNED_IN]
    return web.json_response(
        {"user_id": who.user_id, "team_id": who.team_id, "name": who.name, "csrf_token": await csrf_token(request)},
        headers={"Cache-Control": "no-store"},
    )


class SignInRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def _identity(console: Console, request: web.Request, code: str, nonce: str) -> tuple[SignedIn, str | None]:
    settings = console.settings
    try:
        tokens = await console.client.openid_connect_token(
            client_id=_client_id(console),
            client_secret=settings.slack_client_secret or "",
            code=code,
            redirect_uri=_redirect_uri(request, console),
        )
        claims = _id_token_claims(tokens.get("id_token"))
        if claims.get("aud") != _client_id(console) or claims.get("iss") != ISSUER:
            raise SignInRefused("the id_token was issued for another app")
        if not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
            raise SignInRefused("the id_token's nonce is not this sign-in's")
        if not isinstance(claims.get("exp"), int) or claims["exp"] < time.time():
            raise SignInRefused("the id_token has expired")
        user_client = AsyncWebClient(
            token=str(tokens.get("access_token") or ""),
            base_url=console.client.base_url,
            timeout=console.client.timeout,
        )
        info = (await user_client.openid_connect_userInfo()).data
    except SlackApiError as error:
        raise SignInRefused(f"Slack answered {error.response.get('error') or error.response.status_code}") from None
    except (TimeoutError, OSError):
        raise SignInRefused("Slack could not be reached") from None
    if not isinstance(info, dict):
        raise SignInRefused("userInfo answered no identity")
    user_id, team_id = info.get(USER_ID_CLAIM) or info.get("sub"), info.get(TEAM_ID_CLAIM)
    if not isinstance(user_id, str) or not isinstance(team_id, str) or user_id != claims.get("sub"):
        raise SignInRefused("userInfo and the id_token disagree on who signed in")
    name = info.get("name") or info.get("given_name") or user_id
    team_name = info.get(TEAM_NAME_CLAIM)
    return SignedIn(user_id=user_id, team_id=team_id, name=str(name)), team_name if isinstance(team_name, str) else None


def _id_token_claims(token: Any) -> dict[str, Any]:
    try:
        payload = str(token).split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        raise SignInRefused("the id_token is unreadable") from None
    if not isinstance(claims, dict):
        raise SignInRefused("the id_token is unreadable")
    return claims


def _client_id(console: Console) -> str:
    return console.settings.slack_client_id or ""


def _redirect_uri(request: web.Request, console: Console) -> str:
    """CONSOLE_URL's callback, the same on every replica; in the playground (or without CONSOLE_URL)
    the address this browser used, so the session cookie it holds comes back with the answer."""
    base = console.settings.console_url
    if console.settings.playground or not base:
        base = str(request.url.origin())
    return f"{base}{CALLBACK_PATH}"


async def _restart(request: web.Request, problem: str, *, status: int = 400) -> web.Response:
    return await render(request, "sign_in_failed.html", {"problem": problem}, status=status)
