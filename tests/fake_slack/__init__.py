"""The tests' fake Slack Web API: :mod:`bot.local_slack` (the same implementation the playground
serves) plus scripted faults and rate limits (``faults``). The submodules ``models``, ``state`` and
``records`` re-export the package's, so older imports keep working.
"""

from bot.local_slack import DEFAULT_USERS, Call, Ephemeral, Message, ResponseUrlPost, SlackError, SlackState, View

from .faults import ChannelRateLimiter, Fault, FaultPlan
from .server import FakeSlack

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
