"""``[alerts]`` in FIREBREAK_CONFIG (SPEC §11): the README's example loads as it reads, defaults
hold without it, and each mistake stops start-up with a message naming the file, key and value."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.runtime.config_file import load_config
from bot.runtime.settings import ConfigError
from domain.alerts import DEFAULT_ALERT_ROUTING, DEFAULT_SEVERITY_MAPPING, AlertRoute, SeverityMapping, route
from domain.severity import Severity
from tests.bot.test_config_file import write
from tests.builders import alert, alert_notification
from tests.readme import fenced_block

# The README's example, as it reads there.
README_EXAMPLE = fenced_block("Where alerts go", "toml")


def test_without_alerts_the_spec_defaults_hold() -> None:
    routing = load_config(None).alerts
    assert routing == DEFAULT_ALERT_ROUTING
    assert (routing.channel, routing.window, routing.auto_resolve, routing.escalate_at) == (
        None,
        timedelta(minutes=30),
        False,
        20,
    )


def test_the_readme_example_loads_as_it_reads(tmp_path: Path) -> None:
    routing = load_config(write(tmp_path, README_EXAMPLE)).alerts
    assert (routing.channel, routing.window, routing.auto_resolve, routing.escalate_at) == (
        "C0ALERTS",
        timedelta(minutes=30),
        False,
        20,
    )
    assert routing.severity == DEFAULT_SEVERITY_MAPPING
    assert routing.routes[0] == AlertRoute(match=(("team", "payments"),), service="payments", channel="C0PAYMENTS")
    search = routing.routes[1]
    assert (search.match, search.service, search.channel) == ((("env", "prod"), ("team", "search")), "search", None)
    paged = alert_notification(alert("fp1", team="search", env="prod", priority="P1"))
    assert (route(routing, paged).severity, route(routing, paged).channel) == (Severity.SEV1, "C0ALERTS")
    still_read = alert_notification(alert("fp1", team="search", env="prod", priority="warning"))
    assert route(routing, still_read).severity is Severity.SEV3


def test_a_fixed_severity_and_the_default_label_mapping(tmp_path: Path) -> None:
    text = '[alerts]\nseverity = { page = "1" }\n\n[[alerts.routes]]\nmatch = { team = "ads" }\nseverity = "SEV-2"\n'
    routing = load_config(write(tmp_path, text)).alerts
    assert routing.routes[0].severity == SeverityMapping(fixed=Severity.SEV2)
    assert dict(routing.severity.values)["page"] is Severity.SEV1
    assert dict(routing.severity.values)["critical"] is Severity.SEV1


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('[alerts]\nchannel = "#alerts"\n', "[alerts] channel = '#alerts' must be a Slack channel id"),
        ('[alerts]\nwindow = "soon"\n', "[alerts] window = 'soon' is not a duration"),
        ("[alerts]\nwindow = 30\n", "[alerts] window = 30 is not a duration"),
        ('[alerts]\nauto_resolve = "yes"\n', "[alerts] auto_resolve = 'yes' must be true or false"),
        ("[alerts]\nescalate_at = 0\n", "[alerts] escalate_at = 0 must be a whole number"),
        ("[alerts]\nescalate_at = true\n", "[alerts] escalate_at = True must be a whole number"),
        ('[alerts]\nseverity = "sev9"\n', "[alerts] severity = 'sev9' is not a severity"),
        ('[alerts]\nseverity = { page = "urgent" }\n', "[alerts] severity.page = 'urgent' is not a severity"),
        ("[alerts]\nseverity = 3\n", "[alerts] severity = 3 must be a severity"),
        ("[alerts]\nsilence = true\n", "[alerts] silence is not a setting Firebreak knows"),
        ("[alerts]\nroutes = 3\n", "[[alerts.routes]] must be tables"),
        ('[[alerts.routes]]\nservice = "x"\n', "[[alerts.routes]] #1 match = None must be a table of labels"),
        ("[[alerts.routes]]\nmatch = { team = 1 }\n", "[[alerts.routes]] #1 match = {'team': 1} must be a table"),
        ('[[alerts.routes]]\nmatch = { a = "b" }\nchanel = "C1"\n', "[[alerts.routes]] #1 chanel is not a setting"),
        ('[[alerts.routes]]\nmatch = { a = "b" }\nservice = " "\n', "[[alerts.routes]] #1 service = ' ' must be"),
    ],
)
def test_a_mistake_names_the_file_key_and_value(tmp_path: Path, text: str, said: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    assert str(refused.value).startswith(f"{path}: ")
    assert said in str(refused.value)
