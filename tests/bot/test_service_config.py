"""``[services.<key>]``: the service catalog as the README documents it, and every mistake named."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.runtime.config_file import load_config
from bot.runtime.settings import ConfigError
from domain.services import RunbookStep
from domain.severity import Severity
from domain.sla import DEFAULT_POLICY
from tests.readme import fenced_block

SECTION = "Services and runbooks"


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "firebreak.toml"
    path.write_text(text)
    return str(path)


def test_the_readme_catalog_loads_as_documented(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[sla.sev2]\nresolve = "6h"\n' + fenced_block(SECTION, "toml")))
    checkout = config.services.get("checkout")
    assert checkout is not None
    assert (checkout.name, checkout.owner, checkout.channel) == ("Checkout", "S0PAYMENTS", "C0CHECKOUT")
    assert checkout.owner_mention == "<!subteam^S0PAYMENTS>"
    assert checkout.runbook[0] == RunbookStep("Check the payments dashboard", "https://grafana.example.com/d/payments")
    assert checkout.runbook[1] == RunbookStep("Fail over to the replica")
    sev1 = config.policy.for_severity(Severity.SEV1, "checkout")
    assert (sev1.ack, sev1.update, sev1.resolve) == (timedelta(minutes=2), timedelta(minutes=15), timedelta(hours=4))
    # Over the file's own [sla], window by window.
    assert config.policy.for_severity(Severity.SEV2, "checkout").resolve == timedelta(hours=4)
    assert config.policy.for_severity(Severity.SEV2, "checkout").ack == timedelta(minutes=15)
    assert config.policy.for_severity(Severity.SEV2).resolve == timedelta(hours=6)
    assert config.policy.for_severity(Severity.SEV1, "search") == DEFAULT_POLICY.for_severity(Severity.SEV1)
    search = config.services.get("search")
    assert search is not None
    assert (search.owner_mention, search.runbook) == ("<@U0SEARCHLEAD>", ())


def test_no_catalog_is_no_service() -> None:
    assert not load_config(None).services


def test_off_turns_a_services_clock_off(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[services.batch.sla.sev3]\nupdate = "off"\n'))
    assert config.policy.for_severity(Severity.SEV3, "batch").update is None
    assert config.services.get("batch") is not None
    assert config.services.get("batch").name == "batch"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("toml", "names"),
    [
        ('[services.Checkout]\nname = "C"\n', ["[services.Checkout]", "lower-case"]),
        ('[services.checkout]\nowner_id = "S1"\n', ["[services.checkout] owner_id", "expected one of"]),
        ('[services.checkout]\nname = ""\n', ["[services.checkout] name", "service's name"]),
        ("[services.checkout]\nname = 3\n", ["[services.checkout] name = 3"]),
        ('[services.checkout]\nowner = "payments-oncall"\n', ["[services.checkout] owner = 'payments-oncall'", "(U…)"]),
        ('[services.checkout]\nowner = "<!subteam^S1>"\n', ["[services.checkout] owner", "user group (S…) id"]),
        ('[services.checkout]\nchannel = "#checkout"\n', ["[services.checkout] channel = '#checkout'", "(C…)"]),
        ('[services.checkout]\nrunbook = "restart it"\n', ["[services.checkout] runbook", "list of steps"]),
        ('[services.checkout]\nrunbook = [{ link = "https://x" }]\n', ["runbook step 1 text", "say what to do"]),
        ('[services.checkout]\nrunbook = [{ text = "a" }, { text = "b", url = "x" }]\n', ["runbook step 2 url"]),
        ('[services.checkout]\nrunbook = [{ text = "a", link = "ftp://x" }]\n', ["runbook step 1 link = 'ftp://x'"]),
        ('[services.checkout.sla.sev5]\nack = "1m"\n', ["[services.checkout.sla] sev5", "sev1, sev2"]),
        ('[services.checkout.sla.sev1]\nack = "soon"\n', ["[services.checkout.sla.sev1] ack = 'soon'", "duration"]),
        ("[services.checkout.sla.sev1]\nack = 5\n", ["[services.checkout.sla.sev1] ack", "in quotes"]),
        ('[services.checkout.sla.sev1]\nacknowledge = "5m"\n', ["[services.checkout.sla.sev1] acknowledge"]),
        ('[services.checkout]\nsla = "fast"\n', ["[services.checkout.sla]", "table of severities"]),
        ('services = "checkout"\n', ["[services]", "table"]),
        ('[services]\ncheckout = "Checkout"\n', ["[services.checkout]", "table of settings"]),
    ],
)
def test_a_mistake_names_the_file_the_service_and_the_field(tmp_path: Path, toml: str, names: list[str]) -> None:
    path = write(tmp_path, toml)
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    message = refused.value.args[0]
    assert message.startswith(f"{path}: ")
    for name in names:
        assert name in message


def test_an_alert_route_names_a_catalog_service_by_key(tmp_path: Path) -> None:
    catalog = '[services.checkout]\nchannel = "C0CHECKOUT"\n'
    route = '[alerts]\nchannel = "C0ALERTS"\n[[alerts.routes]]\nmatch = { team = "pay" }\nservice = "{}"\n'
    config = load_config(write(tmp_path, catalog + route.replace("{}", "checkout")))
    assert (config.alerts.routes[0].service, config.alerts.routes[0].channel) == ("checkout", "C0CHECKOUT")
    path = write(tmp_path, catalog + route.replace("{}", "checkuot"))
    with pytest.raises(ConfigError, match=r"\[\[alerts.routes\]\] #1 service = 'checkuot' is not in the catalog"):
        load_config(path)
