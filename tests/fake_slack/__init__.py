"""A fake Slack Web API for tests (and, later, a local playground Slack).

Layers: ``models``/``state`` (pure workspace model), ``methods`` (Web API methods over the state),
``blocks`` (Block Kit limit checks), ``faults`` (scripted failures, rate limits), ``records``
(call log) and ``server`` (:class:`FakeSlack`, the aiohttp server tying them together).
"""

from .faults import ChannelRateLimiter, Fault, FaultPlan
from .models import DEFAULT_USERS, Ephemeral, Message, SlackError, View
from .records import Call, ResponseUrlPost
from .server import FakeSlack
from .state import SlackState

__all__ = [
    "DEFAULT_USERS",
    "Call",
    "ChannelRateLimiter",
    "Ephemeral",
    "FakeSlack",
    "Fault",
    "FaultPlan",
    "Message",
    "ResponseUrlPost",
    "SlackError",
    "SlackState",
    "View",
]
