"""config.example.toml is the documented reference: it validates, and it names every config key."""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import pytest
from pydantic import BaseModel

from connector.config import Config, DaemonSettings, FlowSettings, LoggingSettings, StateSettings, load_config
from connector.errors import ConfigError
from connector.settings import RateLimitSettings
from connector.systems import SYSTEMS

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "config.example.toml"
SECRETS = {
    "SALESFORCE_CLIENT_ID": "example-sf-client-id",
    "SALESFORCE_CLIENT_SECRET": "example-sf-client-secret",
    "HUBSPOT_TOKEN": "pat-na1-example-token",
    "HUBSPOT_CRM_TOKEN": "pat-na1-example-crm-token",
    "MARKETO_CLIENT_ID": "example-marketo-id",
    "MARKETO_CLIENT_SECRET": "example-marketo-secret",
}
SECTION_MODELS: dict[str, type[BaseModel]] = {
    "state": StateSettings,
    "logging": LoggingSettings,
    "daemon": DaemonSettings,
    **{kind: spec.settings for kind, spec in SYSTEMS.items()},  # every registered system is documented
}
HEADER = re.compile(r"^\[([\w.]+)\]", re.MULTILINE)
KEY_LINE = re.compile(r"^#?\s*([a-z_]+)\s*=", re.MULTILINE)


@pytest.fixture
def secrets_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)


def sections() -> dict[str, str]:
    """The example's text per [table], comments included (commented-out keys document optional ones)."""
    text = EXAMPLE.read_text(encoding="utf-8")
    headers = list(HEADER.finditer(text))
    return {
        match.group(1): text[match.end() : headers[i + 1].start() if i + 1 < len(headers) else len(text)]
        for i, match in enumerate(headers)
    }


def documented_keys(section: str) -> set[str]:
    return set(KEY_LINE.findall(section))


def test_the_example_validates(secrets_in_environment) -> None:
    config = load_config(EXAMPLE)

    assert set(config.flows) == {"handoff", "marketo_handoff", "feedback", "marketo_feedback", "won_deals"}
    handoff = config.flow("handoff")
    assert (handoff.kind, handoff.source, handoff.target) == ("handoff", "hubspot", "salesforce")
    assert handoff.mapping == REPO / "mappings" / "handoff" / "hubspot__salesforce.toml"
    assert (handoff.schedule, handoff.enabled) == ("every 10m", True)
    marketo = config.flow("marketo_handoff")
    assert (marketo.kind, marketo.source, marketo.target) == ("handoff", "marketo", "salesforce")
    assert marketo.mapping == REPO / "mappings" / "handoff" / "marketo__salesforce.toml"
    assert marketo.enabled is False
    feedback = config.flow("feedback")
    assert (feedback.kind, feedback.source, feedback.target) == ("feedback", "salesforce", "hubspot")
    assert feedback.mapping == REPO / "mappings" / "feedback" / "salesforce__hubspot.toml"
    marketo_feedback = config.flow("marketo_feedback")
    assert (marketo_feedback.source, marketo_feedback.target) == ("salesforce", "marketo")
    assert marketo_feedback.enabled is False
    won = config.flow("won_deals")
    assert (won.kind, won.source, won.target) == ("won_deals", "salesforce", "crm")
    assert won.mapping == REPO / "mappings" / "won_deals" / "salesforce__hubspot.toml"
    assert {config.salesforce.secret(n) for n in ("client_id", "client_secret")} == {
        SECRETS["SALESFORCE_CLIENT_ID"],
        SECRETS["SALESFORCE_CLIENT_SECRET"],
    }
    assert config.hubspot.secret("access_token") == SECRETS["HUBSPOT_TOKEN"]
    assert config.system_kind("crm") == "hubspot"
    assert config.system("crm").secret("access_token") == SECRETS["HUBSPOT_CRM_TOKEN"]
    assert config.marketo.secret("client_secret") == SECRETS["MARKETO_CLIENT_SECRET"]


def test_the_example_validates_anywhere_with_its_mappings_beside_it(
    secrets_in_environment, tmp_path: Path
) -> None:
    """Copied elsewhere with its mappings, as a deployment would: paths follow the file."""
    for flow in tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))["flows"].values():
        (tmp_path / flow["mapping"]).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / flow["mapping"], tmp_path / flow["mapping"])
    copy = tmp_path / "config.toml"
    copy.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")

    config = load_config(copy)

    assert all(flow.mapping.is_relative_to(tmp_path) for flow in config.flows.values())


def test_the_example_names_the_environment_variables_it_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SECRETS:
        monkeypatch.delenv(name, raising=False)

    with pytest.raises(ConfigError) as raised:
        load_config(EXAMPLE)

    for name in SECRETS:
        assert f"environment variable {name} is not set" in str(raised.value)


def test_every_table_of_the_config_is_in_the_example() -> None:
    tables = {name.split(".")[0] for name in sections()}
    assert tables == set(Config.model_fields) - {"path"}


@pytest.mark.parametrize("table", SECTION_MODELS)
def test_every_key_of_a_table_is_documented(table: str) -> None:
    missing = set(SECTION_MODELS[table].model_fields) - documented_keys(sections()[table])
    assert not missing, f"config.example.toml [{table}] does not document {sorted(missing)}"


def test_every_flow_key_is_documented() -> None:
    flow_sections = [text for name, text in sections().items() if name.startswith("flows.")]
    missing = set(FlowSettings.model_fields) - set().union(*map(documented_keys, flow_sections))
    assert not missing, f"config.example.toml [flows.*] does not document {sorted(missing)}"


def test_rate_limit_keys_are_documented() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    limits = re.findall(r"^#?\s*\w*rate_limit\s*=\s*\{(.*)\}", text, re.MULTILINE)
    assert limits
    for limit in limits:
        assert set(re.findall(r"(\w+)\s*=", limit)) == set(RateLimitSettings.model_fields)
