"""The small pieces the receivers rely on to stay robust: which failures mean "the database is
down" (ask to try again, no traceback), and which payload fields may be stored as they are."""

from __future__ import annotations

import logging
import sys
import unicodedata

import asyncpg
import pytest
from sqlalchemy import exc as sa

from bot.receivers.slack.fields import KEY_MAX, request_key, slack_id, slack_ts, user_id, user_text
from storage.availability import database_unavailable, log_failure


def wrapped(orig: BaseException, *, invalidated: bool = False) -> sa.DBAPIError:
    """How SQLAlchemy hands an asyncpg error to the application."""
    return sa.DBAPIError("SELECT 1", None, orig, connection_invalidated=invalidated)


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)"),
        TimeoutError(),
        OSError("Network is unreachable"),
        sa.TimeoutError("QueuePool limit of size 10 overflow 20 reached"),
        wrapped(asyncpg.exceptions.CannotConnectNowError("the database system is starting up")),
        wrapped(asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command")),
        wrapped(asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation")),
        wrapped(asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already")),
        wrapped(RuntimeError("anything"), invalidated=True),
    ],
    ids=lambda error: type(getattr(error, "orig", None) or error).__name__,
)
def test_these_mean_the_database_is_unavailable(error: BaseException) -> None:
    assert database_unavailable(error)
    chained = RuntimeError("while handling a command")
    chained.__cause__ = error
    assert database_unavailable(chained), "found through the cause too"


@pytest.mark.parametrize(
    "error",
    [
        ValueError("a bug"),
        KeyError("payload"),
        wrapped(asyncpg.exceptions.StringDataRightTruncationError("value too long for type character varying(32)")),
        wrapped(asyncpg.exceptions.UniqueViolationError("duplicate key value")),
        sa.IntegrityError("INSERT", None, Exception("duplicate")),
    ],
    ids=lambda error: type(getattr(error, "orig", None) or error).__name__,
)
def test_these_are_bugs_not_outages(error: BaseException) -> None:
    assert not database_unavailable(error)


def test_a_retrying_loop_logs_an_outage_as_a_warning_and_a_bug_with_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The dispatcher's sweep and the scheduler's tick retry on their own: a statement Postgres
    cancelled under load is expected there, not an error; a bug still is one."""
    logger = logging.getLogger("tests.retrying_loop")
    timed_out = wrapped(asyncpg.exceptions.QueryCanceledError("canceling statement due to statement timeout"))
    with caplog.at_level(logging.DEBUG, logger=logger.name):
        log_failure(logger, "sweep failed; retrying", timed_out, {"incident": "INC-7"})
        log_failure(logger, "sweep failed; retrying", ValueError("a bug"))
    outage, bug = caplog.records
    assert (outage.levelno, outage.getMessage(), outage.exc_info) == (
        logging.WARNING,
        "sweep failed; retrying (database unavailable)",
        None,
    )
    assert outage.__dict__["incident"] == "INC-7"
    assert "statement timeout" in outage.__dict__["error"]
    assert (bug.levelno, bug.getMessage()) == (logging.ERROR, "sweep failed; retrying")
    assert bug.exc_info is not None
    assert isinstance(bug.exc_info[1], ValueError)


def test_ids_are_taken_only_as_slack_makes_them() -> None:
    assert slack_id("T0123ABCD") == "T0123ABCD"
    assert [slack_id(v) for v in ("", "T" * 33, "C0\x00", "<!channel>", 42, None, ["C1"])] == [None] * 7
    assert user_id("U0ALICE") == "U0ALICE"
    assert [user_id(v) for v in ("C0CHANNEL", "u0alice", "U" + "A" * 32, "")] == [None] * 4
    assert slack_ts("1700000000.000100") == "1700000000.000100"
    assert [slack_ts(v) for v in ("1700000000", "x.1", "1." + "0" * 40, 1700000000.0001)] == [None] * 4


def test_request_keys_fit_their_column_and_stay_stable() -> None:
    assert request_key("event", "Ev0123ABC") == "event:Ev0123ABC"
    odd = request_key("slash", "T" * 500)
    assert odd == request_key("slash", "T" * 500), "the same request, the same key"
    assert odd != request_key("slash", "T" * 499)
    assert len(odd) <= KEY_MAX
    assert request_key("view", "V1\x00") != request_key("view", "V1"), "hashed, not stripped"
    assert "\x00" not in request_key("view", "V1\x00")
    assert len(request_key("action", "\ud800" * 300)) <= KEY_MAX


def test_user_text_keeps_what_people_type_and_drops_what_cannot_be_stored() -> None:
    assert user_text("note db\tfailover\ndone 🔥 <!here>") == "note db\tfailover\ndone 🔥 <!here>"
    assert user_text("a\x00b\x07c\r\nd\ud800e") == "abc\nde"
    assert [user_text(v) for v in (None, 42, {"text": "x"})] == ["", "", ""]


def test_user_text_treats_every_code_point_as_its_category_says() -> None:
    """Text with nothing to drop is returned without a look at each character; every code point,
    alone and in ordinary text, is kept or dropped exactly as its Unicode category says."""
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        dropped = char not in "\t\n" and unicodedata.category(char) in ("Cc", "Cs")
        assert user_text(char) == ("" if dropped else char), hex(code)
        assert user_text(f"db {char} failover") == ("db  failover" if dropped else f"db {char} failover"), hex(code)
