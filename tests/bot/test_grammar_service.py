"""``declare … service:<key>`` (SPEC §13): the word names the service and leaves the title."""

from __future__ import annotations

import pytest

from bot.commands.grammar import ParseError, declare_command, parse
from domain.severity import Severity


@pytest.mark.parametrize(
    ("text", "title", "severity", "service"),
    [
        ("declare checkout down sev1 service:checkout", "checkout down", Severity.SEV1, "checkout"),
        ("declare service:Checkout payments failing", "payments failing", None, "Checkout"),
        ("declare payments failing", "payments failing", None, None),
        ("declare the service: is down", "the service: is down", None, None),
    ],
)
def test_the_service_word_names_the_service(text: str, title: str, severity: Severity | None, service: str) -> None:
    for slash in (True, False):
        parsed = parse(text, slash=slash, in_incident_thread=False)
        assert (parsed.title, parsed.severity, parsed.service) == (title, severity, service)
    command = declare_command(parsed, actor="U1", source=None, channel_id="C1", thread_ts=None)
    assert command.service == service


def test_a_mention_outside_a_thread_declares_with_its_service() -> None:
    parsed = parse("checkout is down sev2 service:checkout", slash=False, in_incident_thread=False)
    assert (parsed.title, parsed.service) == ("checkout is down", "checkout")


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("declare checkout down service:!!", "Name the service right after `service:`"),
        ("declare checkout down service:a service:b", "Give one service, not a and b."),
    ],
)
def test_a_service_word_without_one_service_is_refused(text: str, said: str) -> None:
    with pytest.raises(ParseError) as refused:
        parse(text, slash=True, in_incident_thread=False)
    assert said in refused.value.message
