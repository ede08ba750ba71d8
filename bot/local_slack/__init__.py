"""A local Slack: a workspace model and the Web API methods the bot uses, served over HTTP.

One implementation for two users: the tests' fake Slack (``tests/fake_slack`` adds scripted faults)
and the playground (``bot/playground``), where a browser page plays the people in the workspace.

Layers: ``models``/``state`` (pure workspace model), ``methods`` (Web API methods over the state),
``blocks`` (Block Kit limit checks), ``records`` (call log), ``responses`` (response_url replies),
``payloads``/``signing`` (what Slack sends to an app) and ``server`` (:class:`LocalSlack`).
"""

from .models import DEFAULT_USERS, Ephemeral, Message, SlackError, View
from .records import Call, ResponseUrlPost
from .responses import ResponseTarget
from .server import LocalSlack, Reply
from .state import SlackState

__all__ = [
    "DEFAULT_USERS",
    "Call",
    "Ephemeral",
    "LocalSlack",
    "Message",
    "Reply",
    "ResponseTarget",
    "ResponseUrlPost",
    "SlackError",
    "SlackState",
    "View",
]
