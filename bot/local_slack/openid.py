"""Sign in with Slack (OpenID Connect) as the local Slack offers it: the authorize page, where a
person picks who they are instead of typing a password, and the Web API methods
``openid.connect.token`` and ``openid.connect.userInfo`` with the shapes Slack answers them in.

A client (the console) is registered with :meth:`SignInWithSlack.register`. Besides the workspace's
people, the page offers a person of another workspace, so that the refusal of outsiders can be seen.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import html
import json
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from aiohttp import web

from .models import JSON, SlackError
from .state import SlackState

AUTHORIZE_PATH = "/openid/connect/authorize"
TOKEN_METHOD = "openid.connect.token"  # noqa: S105  # a method name, not a secret
USER_INFO_METHOD = "openid.connect.userInfo"
SIGN_IN_METHODS = frozenset({TOKEN_METHOD, USER_INFO_METHOD})
ISSUER = "https://slack.com"
CODE_SECONDS = 600
ID_TOKEN_SECONDS = 3600
OUTSIDER: JSON = {
    "id": "U0MALLORY",
    "name": "mallory",
    "real_name": "Mallory Moss",
    "team_id": "T0ELSEWHERE",
    "team_name": "Elsewhere Inc",
    "team_domain": "elsewhere",
}
_AUTHORIZE_FIELDS = ("client_id", "redirect_uri", "state", "nonce", "scope", "response_type", "team")


@dataclass(frozen=True)
class Grant:
    """Who signed in, for which client, and what the client asked to be echoed back."""

    client_id: str
    redirect_uri: str
    nonce: str | None
    person: JSON
    expires: float


class SignInWithSlack:
    def __init__(self, state: SlackState) -> None:
        self._state = state
        self._clients: dict[str, str] = {}
        self._codes: dict[str, Grant] = {}
        self._tokens: dict[str, Grant] = {}

    def register(self, client_id: str, client_secret: str) -> None:
        """Let a client (an app's Sign in with Slack credentials) use the authorize page."""
        self._clients[client_id] = client_secret

    def people(self) -> list[JSON]:
        """Who may sign in: the workspace's people, then one person of another workspace."""
        state = self._state
        members = [
            {**user, "team_name": "Firebreak Test", "team_domain": state.team_domain}
            for user in state.users.values()
            if not user.get("is_bot") and not user.get("deleted")
        ]
        return [*members, OUTSIDER]

    # ------------------------------------------------------------------ the authorize page
    async def page(self, request: web.Request) -> web.Response:
        asked = {key: value for key, value in request.query.items() if key in _AUTHORIZE_FIELDS}
        if (problem := self._problem(asked)) is not None:
            return _refusal(problem)
        hidden = "".join(
            f'<input type="hidden" name="{key}" value="{html.escape(value)}">' for key, value in asked.items()
        )
        choices = "".join(
            f'<li><button type="submit" name="user" value="{html.escape(p["id"])}" data-user="{html.escape(p["id"])}">'
            f"{html.escape(p['real_name'])} <small>@{html.escape(p['name'])} · {html.escape(p['team_name'])}</small>"
            "</button></li>"
            for p in self.people()
        )
        body = (
            "<h1>Sign in with Slack</h1>"
            "<p>This is the local Slack: instead of a password, pick who you are.</p>"
            f'<form method="post" action="{html.escape(request.path)}">{hidden}<ul>{choices}</ul>'
            '<p><button type="submit" name="deny" value="1" class="deny">Cancel</button></p></form>'
        )
        return _html(body)

    async def choose(self, request: web.Request) -> web.Response:
        form = await request.post()
        asked = {key: value for key, value in form.items() if key in _AUTHORIZE_FIELDS and isinstance(value, str)}
        if (problem := self._problem(asked)) is not None:
            return _refusal(problem)
        answer: dict[str, str] = {}
        if form.get("deny"):
            answer["error"] = "access_denied"
        else:
            person = next((p for p in self.people() if p["id"] == form.get("user")), None)
            if person is None:
                return _refusal("Pick one of the people on the page.")
            code = f"{secrets.token_hex(4)}.{secrets.token_urlsafe(24)}"
            expires = time.time() + CODE_SECONDS
            self._codes[code] = Grant(asked["client_id"], asked["redirect_uri"], asked.get("nonce"), person, expires)
            answer["code"] = code
        if "state" in asked:
            answer["state"] = asked["state"]
        redirect = asked["redirect_uri"]
        raise web.HTTPFound(f"{redirect}{'&' if '?' in redirect else '?'}{urlencode(answer)}")

    def _problem(self, asked: dict[str, str]) -> str | None:
        """What is wrong with an authorize request, in the words Slack's page would use."""
        if asked.get("client_id") not in self._clients:
            return "Invalid client_id parameter: no app with this client id may use Sign in with Slack here."
        if asked.get("response_type") != "code":
            return "response_type must be code."
        if "openid" not in asked.get("scope", "").replace(",", " ").split():
            return "The scope must include openid."
        redirect = urlsplit(asked.get("redirect_uri", ""))
        if redirect.scheme not in ("http", "https") or not redirect.netloc or redirect.fragment:
            return "redirect_uri must be an http(s) URL."
        return None

    # ------------------------------------------------------------------ the Web API methods
    def call(self, method: str, args: JSON, authorization: str) -> JSON:
        try:
            if method == TOKEN_METHOD:
                return {"ok": True, **self._token(args, authorization)}
            return {"ok": True, **self._user_info(authorization)}
        except SlackError as error:
            return error.body()

    def _token(self, args: JSON, authorization: str) -> JSON:
        client_id, client_secret = _client_credentials(args, authorization)
        if client_id not in self._clients:
            raise SlackError("invalid_client_id")
        if not hmac.compare_digest(self._clients[client_id], client_secret):
            raise SlackError("bad_client_secret")
        if args.get("grant_type", "authorization_code") != "authorization_code":
            raise SlackError("invalid_grant_type")
        grant = self._codes.pop(str(args.get("code") or ""), None)
        if grant is None or grant.client_id != client_id or grant.expires < time.time():
            raise SlackError("invalid_code")
        if args.get("redirect_uri") != grant.redirect_uri:
            raise SlackError("bad_redirect_uri")
        access_token = f"xoxp-{secrets.token_hex(16)}"
        self._tokens[access_token] = grant
        return {
            "access_token": access_token,
            "token_type": "Bearer",
            "id_token": _id_token(self._claims(grant), client_id, grant.nonce, self._clients[client_id]),
        }

    def _user_info(self, authorization: str) -> JSON:
        token = authorization.removeprefix("Bearer ").strip() if authorization.startswith("Bearer ") else ""
        grant = self._tokens.get(token)
        if grant is None:
            raise SlackError("invalid_auth")
        return self._claims(grant)

    def _claims(self, grant: Grant) -> JSON:
        person = grant.person
        first, _, last = str(person["real_name"]).partition(" ")
        return {
            "sub": person["id"],
            "https://slack.com/user_id": person["id"],
            "https://slack.com/team_id": person["team_id"],
            "email": f"{person['name']}@example.com",
            "email_verified": True,
            "date_email_verified": 1700000000,
            "name": person["real_name"],
            "picture": "https://secure.gravatar.com/avatar/local.png",
            "given_name": first,
            "family_name": last,
            "locale": "en-US",
            "https://slack.com/team_name": person["team_name"],
            "https://slack.com/team_domain": person["team_domain"],
        }


def _client_credentials(args: JSON, authorization: str) -> tuple[str, str]:
    """HTTP Basic (as slack_sdk sends them) or form fields, as Slack accepts either."""
    if authorization.startswith("Basic "):
        try:
            decoded = base64.b64decode(authorization[len("Basic ") :], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise SlackError("invalid_client_id") from None
        client_id, _, client_secret = decoded.partition(":")
        return client_id, client_secret
    return str(args.get("client_id") or ""), str(args.get("client_secret") or "")


def _id_token(claims: JSON, client_id: str, nonce: str | None, secret: str) -> str:
    """A JWT as Slack issues one (signed here with the client secret, not Slack's RS256 key)."""
    now = int(time.time())
    payload = {"iss": ISSUER, "aud": client_id, "iat": now, "exp": now + ID_TOKEN_SECONDS, "auth_time": now}
    payload |= claims | ({"nonce": nonce} if nonce else {})
    header = _segment({"typ": "JWT", "alg": "HS256"})
    signed = f"{header}.{_segment(payload)}"
    signature = hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest()
    return f"{signed}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def _segment(value: JSON) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def _refusal(problem: str) -> web.Response:
    return _html(f"<h1>Sign in with Slack</h1><p class='problem'>{html.escape(problem)}</p>", status=400)


def _html(body: str, status: int = 200) -> web.Response:
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">'
        "<title>Sign in with Slack · local Slack</title><style>"
        "body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1d1c1d}"
        "ul{list-style:none;padding:0}li{margin:.5rem 0}"
        "button{width:100%;text-align:left;padding:.75rem 1rem;font:inherit;border:1px solid #ccc;"
        "border-radius:6px;background:#fff;cursor:pointer}button:hover,button:focus{border-color:#4a154b}"
        "small{color:#616061}.deny{text-align:center}.problem{color:#a00}"
        f"</style></head><body>{body}</body></html>"
    )
    return web.Response(text=page, content_type="text/html", status=status)
