"""A local Slack: a workspace model and the Web API methods the bot uses, served over HTTP.

One implementation for three users: the tests, the benchmark (both script faults: ``faults``) and
the playground (``bot/playground``), where a browser page plays the people in the workspace.

Layers: ``models``/``state`` (pure workspace model), ``methods`` (Web API methods over the state),
``blocks`` (Block Kit limit checks), ``records`` (call log), ``responses`` (response_url replies),
``faults`` (failures on request), ``payloads``/``message_events``/``signing`` (what Slack sends to an app),
``socket_mode`` (Slack's Socket Mode: the WebSocket, its envelopes and acks) and ``server``
(:class:`LocalSlack`).
"""

from .faults import Fault, Reply
from .models import DEFAULT_USERS, Ephemeral, Message, SlackError, View
from .records import Call, ResponseUrlPost
from .responses import ResponseTarget
from .server import LocalSlack
from .state import SlackState

__all__ = [
    "DEFAULT_USERS",
    "Call",
    "Ephemeral",
    "Fault",
    "LocalSlack",
    "Message",
    "Reply",
    "ResponseTarget",
    "ResponseUrlPost",
    "SlackError",
    "SlackState",
    "View",
]
