"""load_checked_config on real files: valid configs load, every problem is reported at once with file, key,
value and expectation, secrets are referenced and never shown, and nothing but ConfigError escapes."""

from __future__ import annotations

import copy
import itertools
import json
import string
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector.config import FlowSettings
from connector.errors import ConfigError, ExitCode
from connector.flows.checks import load_checked_config
from connector.systems import SYSTEMS

ENV = {
    "TEST_SF_CLIENT_ID": "sf-client-id-0001",
    "TEST_SF_CLIENT_SECRET": "sf-client-secret-value-0002",
    "TEST_HUBSPOT_TOKEN": "pat-na1-hubspot-token-0003",
    "TEST_MARKETO_ID": "marketo-id-0004",
    "TEST_MARKETO_SECRET": "marketo-secret-value-0005",
}

SHIPPED = Path(__file__).resolve().parents[2] / "mappings" / "handoff"
MAPPING = (SHIPPED / "hubspot__salesforce.toml").read_text(encoding="utf-8")
"""A valid mapping: config loading checks every flow's mapping offline."""

SALESFORCE = """
[salesforce]
instance_url = "https://acme.my.salesforce.com"
client_id_env = "TEST_SF_CLIENT_ID"
client_secret_env = "TEST_SF_CLIENT_SECRET"
"""
HUBSPOT = """
[hubspot]
access_token_env = "TEST_HUBSPOT_TOKEN"
"""
MARKETO = """
[marketo]
base_url = "https://123-abc-456.mktorest.com/rest"
identity_url = "https://123-abc-456.mktorest.com/identity"
client_id_env = "TEST_MARKETO_ID"
client_secret_env = "TEST_MARKETO_SECRET"
"""
HANDOFF = """
[flows.handoff]
source = "hubspot"
target = "salesforce"
mapping = "mappings/handoff.toml"
"""
BASE = SALESFORCE + HUBSPOT + HANDOFF


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config folder with the mapping the flows refer to and every test secret in the environment."""
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "handoff.toml").write_text(MAPPING)
    return tmp_path


def write(folder: Path, text: str, name: str = "config.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        load_checked_config(path)
    assert raised.value.exit_code == ExitCode.USAGE
    assert str(raised.value) == "\n".join(raised.value.problems)
    return raised.value.problems


def edit(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new)


# --- valid configs -------------------------------------------------------------------------------

VALID = {
    "minimal": BASE,
    "cron schedule": BASE + 'schedule = "*/15 * * * *"\n',
    "interval schedule": BASE + 'schedule = "every 5m"\n',
    "disabled flow": BASE + "enabled = false\n",
    "explicit kind": BASE + 'kind = "handoff"\n',
    "json logs and postgres": BASE
    + '[state]\nurl = "postgresql+psycopg://revloop@db/revloop"\n'
    + '[logging]\nlevel = "DEBUG"\nformat = "json"\n',
    "limits": edit(
        BASE,
        "[hubspot]\n",
        "[hubspot]\ndaily_budget = 200000\nquota_reserve = 5000\ntimeout_s = 30\n"
        "rate_limit = { calls = 150, per_seconds = 10 }\n"
        "search_rate_limit = { calls = 4, per_seconds = 1 }\n",
    ),
    "loopback allowed explicitly": edit(
        BASE,
        'instance_url = "https://acme.my.salesforce.com"',
        'instance_url = "https://127.0.0.1:8443"\nallow_private_network = true',
    ),
    "salesforce access token": edit(
        BASE,
        'client_id_env = "TEST_SF_CLIENT_ID"\nclient_secret_env = "TEST_SF_CLIENT_SECRET"',
        'auth = "access_token"\naccess_token_env = "TEST_SF_CLIENT_SECRET"',
    ),
    "marketo to salesforce": SALESFORCE
    + MARKETO
    + '[flows.marketo_handoff]\nkind = "handoff"\nsource = "marketo"\ntarget = "salesforce"\n'
    'mapping = "mappings/handoff.toml"\n',
}


@pytest.mark.parametrize("text", VALID.values(), ids=VALID.keys())
def test_valid_configs_load(folder: Path, text: str) -> None:
    config = load_checked_config(write(folder, text))

    assert config.path == folder / "config.toml"
    for flow in config.flows.values():
        assert flow.mapping == folder / "mappings" / "handoff.toml"
        assert config.system(flow.source) is getattr(config, flow.source)


def test_defaults_of_a_minimal_config(folder: Path) -> None:
    config = load_checked_config(write(folder, BASE))

    assert config.state.url == "sqlite:///revloop.db"
    assert (config.logging.level, config.logging.format) == ("INFO", "text")
    flow = config.flow("handoff")
    assert (flow.enabled, flow.schedule, flow.kind) == (True, "every 10m", None)
    assert config.salesforce.api_version == "62.0"
    assert config.salesforce.timeout_s == 60.0
    assert config.hubspot.base_url == "https://api.hubapi.com"
    assert config.hubspot.daily_budget is None
    assert config.hubspot.quota_reserve == 0


def test_relative_paths_are_resolved_against_the_config_folder(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = folder / "etc"
    conf.mkdir()
    (conf / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    secret = conf / "secrets" / "hubspot-token"
    secret.parent.mkdir()
    secret.write_text("pat-from-a-file\n")
    secret.chmod(0o600)
    text = edit(
        BASE, 'access_token_env = "TEST_HUBSPOT_TOKEN"', 'access_token_file = "secrets/hubspot-token"'
    )
    text = edit(text, 'mapping = "mappings/handoff.toml"', 'mapping = "../mappings/handoff.toml"')
    text = edit(text, "[salesforce]\n", '[salesforce]\nca_bundle = "ca.pem"\n')
    path = write(conf, text)
    elsewhere = folder / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    config = load_checked_config(path)

    assert config.flow("handoff").mapping == conf / "../mappings/handoff.toml"
    assert config.salesforce.ca_bundle == conf / "ca.pem"
    assert config.hubspot.access_token_file == secret
    assert config.hubspot.secret("access_token") == "pat-from-a-file"


def test_absolute_paths_are_kept(folder: Path) -> None:
    mapping = folder / "mappings" / "handoff.toml"
    config = load_checked_config(
        write(folder, edit(BASE, '"mappings/handoff.toml"', json.dumps(str(mapping))))
    )
    assert config.flow("handoff").mapping == mapping


# --- invalid configs: one problem each, with file, key path, value and expectation ----------------

INVALID = {
    "http url": (
        edit(BASE, '"https://acme.my.salesforce.com"', '"http://acme.my.salesforce.com"'),
        "salesforce.instance_url",
        ["'http://acme.my.salesforce.com'", "https://"],
    ),
    "typo in a key": (
        edit(BASE, "instance_url =", "instanceurl ="),
        "salesforce.instanceurl",
        ["unknown key", "did you mean 'instance_url'"],
    ),
    "typo in a table": (
        edit(BASE, "[hubspot]", "[hubspto]"),
        "hubspto",
        ["unknown key", "did you mean 'hubspot'"],
    ),
    "typo in a flow key": (
        edit(BASE, "mapping =", "maping ="),
        "flows.handoff.maping",
        ["unknown key", "'mapping'"],
    ),
    "unrelated unknown key": (
        BASE + "colour = 'blue'\n",
        "flows.handoff.colour",
        ["unknown key", "expected one of:", "schedule", "mapping"],
    ),
    "private address": (
        edit(BASE, '"https://acme.my.salesforce.com"', '"https://10.1.2.3"'),
        "salesforce.instance_url",
        ["'https://10.1.2.3'", "private", "allow_private_network"],
    ),
    "loopback token url": (
        edit(BASE, "[salesforce]\n", '[salesforce]\ntoken_url = "https://127.0.0.1/services/oauth2/token"\n'),
        "salesforce.token_url",
        ["127.0.0.1", "allow_private_network"],
    ),
    "localhost with a dot": (
        edit(BASE, "[hubspot]\n", '[hubspot]\nbase_url = "https://localhost.:8443"\n'),
        "hubspot.base_url",
        ["localhost.", "allow_private_network"],
    ),
    "ipv6 loopback": (
        edit(BASE, "[hubspot]\n", '[hubspot]\nbase_url = "https://[::1]:8443"\n'),
        "hubspot.base_url",
        ["[::1]", "allow_private_network"],
    ),
    "cloud metadata address": (
        edit(BASE, "[hubspot]\n", '[hubspot]\nbase_url = "https://169.254.169.254"\n'),
        "hubspot.base_url",
        ["169.254.169.254", "allow_private_network"],
    ),
    "not a url": (
        edit(BASE, "[hubspot]\n", '[hubspot]\nbase_url = "api.hubapi.com"\n'),
        "hubspot.base_url",
        ["'api.hubapi.com'", "https://"],
    ),
    "zero timeout": (
        edit(BASE, "[hubspot]\n", "[hubspot]\ntimeout_s = 0\n"),
        "hubspot.timeout_s",
        ["greater than 0", "got 0"],
    ),
    "infinite timeout": (
        edit(BASE, "[hubspot]\n", "[hubspot]\ntimeout_s = inf\n"),
        "hubspot.timeout_s",
        ["finite", "got inf"],
    ),
    "negative rate": (
        edit(BASE, "[hubspot]\n", "[hubspot]\nrate_limit = { calls = -5, per_seconds = 10 }\n"),
        "hubspot.rate_limit.calls",
        ["greater than 0", "got -5"],
    ),
    "zero budget": (
        edit(BASE, "[hubspot]\n", "[hubspot]\ndaily_budget = 0\n"),
        "hubspot.daily_budget",
        ["greater than 0", "got 0"],
    ),
    "api version": (
        edit(BASE, "[salesforce]\n", '[salesforce]\napi_version = "v62"\n'),
        "salesforce.api_version",
        ["'v62'", "pattern"],
    ),
    "log level": (
        BASE + '[logging]\nlevel = "LOUD"\n',
        "logging.level",
        ["'LOUD'", "'DEBUG'", "'INFO'"],
    ),
    "garbage schedule": (
        BASE + 'schedule = "whenever you like"\n',
        "flows.handoff.schedule",
        ["'whenever you like'", "every <N>s|m|h", "cron"],
    ),
    "too short an interval": (
        BASE + 'schedule = "every 5s"\n',
        "flows.handoff.schedule",
        ["'every 5s'", "shortest interval is 10 seconds"],
    ),
    "absurd interval": (
        BASE + 'schedule = "every 99999999999999999999h"\n',
        "flows.handoff.schedule",
        ["longest interval"],
    ),
    "bad cron field": (
        BASE + 'schedule = "61 * * * *"\n',
        "flows.handoff.schedule",
        ["'61 * * * *'", "59"],
    ),
    "unknown system": (
        edit(BASE, 'source = "hubspot"', 'source = "zoho"'),
        "flows.handoff.source",
        ["'zoho'", "'salesforce'", "'hubspot'", "'marketo'"],
    ),
    "missing required key": (
        BASE + edit(MARKETO, 'base_url = "https://123-abc-456.mktorest.com/rest"\n', ""),
        "marketo.base_url",
        ["required key is missing"],
    ),
    "wrong type": (
        BASE + "enabled = 'sometimes'\n",
        "flows.handoff.enabled",
        ["'sometimes'", "boolean"],
    ),
    "secret env and file": (
        edit(BASE, "[hubspot]\n", '[hubspot]\naccess_token_file = "token.txt"\n'),
        "hubspot",
        ["access_token_env", "access_token_file", "both", "'TEST_HUBSPOT_TOKEN'"],
    ),
    "secret neither": (
        edit(BASE, 'client_secret_env = "TEST_SF_CLIENT_SECRET"\n', ""),
        "salesforce",
        ["client_secret_env", "client_secret_file", "neither"],
    ),
    "access token auth needs its token": (
        edit(BASE, "[salesforce]\n", '[salesforce]\nauth = "access_token"\n'),
        "salesforce",
        ["access_token_env", "access_token_file"],
    ),
    "unknown flow kind": (
        BASE + 'kind = "teleport"\n',
        "flows.handoff.kind",
        ["'teleport'", "handoff"],
    ),
    "mapping missing": (
        edit(BASE, '"mappings/handoff.toml"', '"mappings/nope.toml"'),
        "flows.handoff.mapping",
        ["mappings/nope.toml does not exist"],
    ),
    "system not configured": (
        SALESFORCE + HANDOFF,
        "flows.handoff.source",
        ["'hubspot'", "no [hubspot] table"],
    ),
    "ca bundle missing": (
        edit(BASE, "[salesforce]\n", '[salesforce]\nca_bundle = "missing-ca.pem"\n'),
        "salesforce.ca_bundle",
        ["missing-ca.pem does not exist"],
    ),
}


@pytest.mark.parametrize(("text", "key", "fragments"), INVALID.values(), ids=INVALID.keys())
def test_invalid_configs_name_file_key_value_and_expectation(
    folder: Path, text: str, key: str, fragments: list[str]
) -> None:
    path = write(folder, text)

    problems = problems_of(path)

    assert all(problem.startswith(f"{path}: ") for problem in problems)
    about_key = [problem for problem in problems if problem.startswith(f"{path}: {key}: ")]
    assert len(about_key) == 1, problems
    for fragment in fragments:
        assert fragment in about_key[0], (fragment, about_key[0])


def test_every_schema_problem_is_reported_at_once(folder: Path) -> None:
    text = edit(BASE, "instance_url =", "instanceurl =")
    text = edit(text, "[hubspot]\n", '[hubspot]\ntimeout_s = -1\nbase_url = "http://api.hubapi.com"\n')
    text += 'schedule = "sometimes"\n[logging]\nlevel = "LOUD"\n'
    path = write(folder, text)

    problems = problems_of(path)

    keys = sorted(problem.removeprefix(f"{path}: ").split(":")[0] for problem in problems)
    assert keys == [
        "flows.handoff.schedule",
        "hubspot.base_url",
        "hubspot.timeout_s",
        "logging.level",
        "salesforce.instance_url",  # missing now that it is misspelt
        "salesforce.instanceurl",
    ]


def test_every_reference_problem_is_reported_at_once(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEST_HUBSPOT_TOKEN")
    text = edit(BASE, '"mappings/handoff.toml"', '"mappings/nope.toml"')
    text += (
        '[flows.upsell]\nkind = "handoff"\nsource = "marketo"\ntarget = "salesforce"\nmapping = "x.toml"\n'
    )
    path = write(folder, text)

    problems = problems_of(path)

    keys = sorted(problem.removeprefix(f"{path}: ").split(":")[0] for problem in problems)
    assert keys == [
        "flows.handoff.mapping",
        "flows.upsell.mapping",
        "flows.upsell.source",
        "hubspot.access_token_env",
    ]


# --- secrets ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "", "   \n"], ids=["unset", "empty", "blank"])
def test_a_missing_secret_names_the_environment_variable(
    folder: Path, monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv("TEST_SF_CLIENT_SECRET")
    else:
        monkeypatch.setenv("TEST_SF_CLIENT_SECRET", value)
    path = write(folder, BASE)

    problems = problems_of(path)

    assert problems == [
        f"{path}: salesforce.client_secret_env: environment variable TEST_SF_CLIENT_SECRET is not set"
    ]


def test_reading_a_missing_secret_names_the_variable_and_no_value(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_checked_config(write(folder, BASE))
    monkeypatch.delenv("TEST_SF_CLIENT_SECRET")

    with pytest.raises(ConfigError) as raised:
        config.salesforce.secret("client_secret")

    assert "TEST_SF_CLIENT_SECRET" in str(raised.value)
    assert config.salesforce.secret("client_id") == ENV["TEST_SF_CLIENT_ID"]
    assert all(value not in str(raised.value) for value in ENV.values())


def secret_file_config(folder: Path, content: str, mode: int) -> Path:
    secret = folder / "hubspot.token"
    secret.write_text(content)
    secret.chmod(mode)
    return write(
        folder, edit(BASE, 'access_token_env = "TEST_HUBSPOT_TOKEN"', 'access_token_file = "hubspot.token"')
    )


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_secret_file_readable_by_others_is_refused(folder: Path, mode: int) -> None:
    path = secret_file_config(folder, "pat-file-secret-0006", mode)

    problems = problems_of(path)

    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: hubspot.access_token_file: {folder / 'hubspot.token'}")
    assert "chmod 600" in problems[0]
    assert "pat-file-secret-0006" not in problems[0]


@pytest.mark.parametrize(("content", "expected"), [("", "is empty"), (b"\xff\xfe\x00", "UTF-8")])
def test_an_unusable_secret_file_is_a_config_problem(
    folder: Path, content: str | bytes, expected: str
) -> None:
    path = secret_file_config(folder, "", 0o600)
    (folder / "hubspot.token").write_bytes(content.encode() if isinstance(content, str) else content)

    problems = problems_of(path)

    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: hubspot.access_token_file: ")
    assert expected in problems[0]


def test_a_secret_file_that_is_a_folder_is_a_config_problem(folder: Path) -> None:
    path = secret_file_config(folder, "", 0o600)
    (folder / "hubspot.token").unlink()
    (folder / "hubspot.token").mkdir(mode=0o700)

    assert problems_of(path)[0].startswith(f"{path}: hubspot.access_token_file: ")


def test_a_private_secret_file_is_read_and_stripped(folder: Path) -> None:
    config = load_checked_config(secret_file_config(folder, "pat-file-secret-0007\n", 0o600))
    assert config.hubspot.secret("access_token") == "pat-file-secret-0007"


# --- the file itself -------------------------------------------------------------------------------


def test_a_missing_file(tmp_path: Path) -> None:
    assert problems_of(tmp_path / "nope.toml") == [f"{tmp_path / 'nope.toml'}: file not found"]


@pytest.mark.parametrize("content", [b"[salesforce\n", b"a = \xff\n", b"key = 'unterminated\n"])
def test_a_file_that_is_not_toml(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(content)
    problems = problems_of(path)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: ")


def test_a_folder_instead_of_a_file(tmp_path: Path) -> None:
    assert problems_of(tmp_path)[0].startswith(f"{tmp_path}: ")


def test_asking_for_an_unconfigured_flow_or_system(folder: Path) -> None:
    config = load_checked_config(write(folder, BASE))
    with pytest.raises(ConfigError, match=r"flows\.nope: no such flow \(configured: handoff\)"):
        config.flow("nope")
    with pytest.raises(ConfigError, match=r"\[marketo\]"):
        config.system("marketo")


# --- fuzz: only ConfigError may escape -------------------------------------------------------------

TABLE_KEYS = {
    "state": ["url"],
    "logging": ["level", "format"],
    **{kind: list(spec.settings.model_fields) for kind, spec in SYSTEMS.items()},
}
FLOW_KEYS = list(FlowSettings.model_fields)
INTERESTING_STRINGS = [
    "https://acme.my.salesforce.com",
    "https://127.0.0.1:1",
    "https://[::1",
    "http://x",
    "https://",
    "every 5m",
    "every 0s",
    "every 99999999999999999999h",
    "*/0 * * * *",
    "0 0 31 2 *",
    "mappings/handoff.toml",
    "/",
    "mappings",
    "private_folder",
    "binary_secret",
    ".",
    "a\x00b",
    "TEST_HUBSPOT_TOKEN",
    "salesforce",
    "hubspot",
    "marketo",
    "handoff",
    "access_token",
    "json",
    "INFO",
    "62.0",
]
junk_keys = st.text(alphabet=string.ascii_letters + "_-. ", min_size=1, max_size=6)
scalars = (
    st.sampled_from(INTERESTING_STRINGS)
    | st.text(max_size=8)
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.booleans()
)
values = (
    scalars
    | st.lists(scalars, max_size=2)
    | st.dictionaries(junk_keys | st.sampled_from(["calls", "per_seconds"]), scalars, max_size=3)
)


def table(keys: list[str]) -> st.SearchStrategy[dict]:
    return st.dictionaries(st.sampled_from(keys) | junk_keys, values, max_size=6)


flows = st.dictionaries(
    st.sampled_from(["handoff", "other"]) | junk_keys, table(FLOW_KEYS) | scalars, max_size=2
)
random_documents = st.fixed_dictionaries(
    {},
    optional={**{name: table(keys) | scalars for name, keys in TABLE_KEYS.items()}, "flows": flows},
)

VALID_DOCUMENT = tomllib.loads(BASE + MARKETO)
DELETE = object()
SECRET_SLOTS = [("hubspot", "access_token"), ("salesforce", "client_secret"), ("marketo", "client_id")]
key_changes = st.one_of(
    *(
        st.tuples(st.just((name,)), st.sampled_from(keys) | junk_keys, values | st.just(DELETE))
        for name, keys in TABLE_KEYS.items()
    ),
    st.tuples(
        st.just(("flows", "handoff")), st.sampled_from(FLOW_KEYS) | junk_keys, values | st.just(DELETE)
    ),
    st.tuples(st.just(()), st.sampled_from([*TABLE_KEYS, "flows"]) | junk_keys, values | st.just(DELETE)),
)
secret_moves = st.builds(
    lambda slot, value: [((slot[0],), f"{slot[1]}_env", DELETE), ((slot[0],), f"{slot[1]}_file", value)],
    st.sampled_from(SECRET_SLOTS),
    st.sampled_from(["a\x00b", "mappings", "private_folder", "binary_secret", "access_token", "", "/"])
    | scalars,
)
"""Moves a secret from its environment variable to a (fuzzed) file, so the file checks are reached."""


def mutate(changes: list[list[tuple[tuple[str, ...], str, object]]]) -> dict:
    """The valid document with a few keys set to odd values or removed: reaches the reference checks."""
    document = copy.deepcopy(VALID_DOCUMENT)
    for where, key, value in itertools.chain.from_iterable(changes):
        node = document
        for part in where:
            node = node.setdefault(part, {}) if isinstance(node, dict) else {}
        if isinstance(node, dict):
            if value is DELETE:
                node.pop(key, None)
            else:
                node[key] = value
    return document


documents = random_documents | st.lists(
    key_changes.map(lambda change: [change]) | secret_moves, max_size=3
).map(mutate)


def to_toml(table: dict) -> str:
    """TOML of one top-level table of inline values (JSON string escapes are valid TOML escapes)."""
    return "".join(f"{json.dumps(key)} = {_inline(value)}\n" for key, value in table.items())


def _inline(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(str(value), repr(value))
    if isinstance(value, int | str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_inline(item) for item in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_inline(v)}" for k, v in value.items()) + "}"


@pytest.fixture(scope="module")
def fuzz_folder() -> Iterator[Path]:
    """Files a fuzzed config may name (mapping, unusable secret files); the test secrets are set."""
    with tempfile.TemporaryDirectory() as name, pytest.MonkeyPatch.context() as patch:
        for variable, value in ENV.items():
            patch.setenv(variable, value)
        folder = Path(name)
        (folder / "mappings").mkdir()
        (folder / "mappings" / "handoff.toml").write_text(MAPPING)
        (folder / "access_token").write_text("readable by all\n")
        (folder / "private_folder").mkdir(mode=0o700)
        (folder / "binary_secret").write_bytes(b"\xff\xfe")
        (folder / "binary_secret").chmod(0o600)
        yield folder


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=documents)
def test_fuzzed_configs_only_ever_raise_config_error(fuzz_folder: Path, document: dict) -> None:
    path = fuzz_folder / "config.toml"
    path.write_text(to_toml(document), encoding="utf-8")
    try:
        load_checked_config(path)
    except ConfigError as exc:
        assert exc.problems
        assert all(problem.startswith(str(path)) for problem in exc.problems)
        assert all(value not in str(exc) for value in ENV.values())


def test_two_mas_upserting_one_key_without_a_prefix_are_refused(folder: Path) -> None:
    hubspot = (SHIPPED / "hubspot__salesforce.toml").read_text(encoding="utf-8")
    marketo = (SHIPPED / "marketo__salesforce.toml").read_text(encoding="utf-8")
    (folder / "mappings" / "hubspot.toml").write_text(hubspot, encoding="utf-8")
    (folder / "mappings" / "marketo.toml").write_text(
        edit(marketo, 'key_prefix = "mkto-"', ""), encoding="utf-8"
    )
    flows = """
[flows.handoff]
source = "hubspot"
target = "salesforce"
mapping = "mappings/hubspot.toml"

[flows.marketo_handoff]
kind = "handoff"
source = "marketo"
target = "salesforce"
mapping = "mappings/marketo.toml"
"""
    path = write(folder, SALESFORCE + HUBSPOT + MARKETO + flows)
    problems = problems_of(path)
    assert any(
        "flows.marketo_handoff" in p and "Lead on Revloop_MA_Id__c" in p and "key_prefix" in p
        for p in problems
    )
    (folder / "mappings" / "marketo.toml").write_text(marketo, encoding="utf-8")
    assert load_checked_config(path).flow("marketo_handoff").source == "marketo"


# --- more systems of one kind: [systems.<name>] ---------------------------------------------------------

CRM = """
[systems.crm]
kind = "hubspot"
access_token_env = "TEST_HUBSPOT_TOKEN"
base_url = "https://crm.example.com"
"""


def test_a_named_system_of_a_registered_kind_can_be_a_flows_system(folder: Path) -> None:
    text = SALESFORCE + CRM + HANDOFF.replace('source = "hubspot"', 'source = "crm"')
    config = load_checked_config(write(folder, text))

    assert config.system_kind("crm") == "hubspot"
    assert config.system("crm").base_url == "https://crm.example.com"
    assert set(config.systems_configured()) == {"salesforce", "crm"}
    assert config.flow("handoff").source == "crm"
    assert config.redacted()["systems"]["crm"]["base_url"] == "https://crm.example.com"


@pytest.mark.parametrize(
    ("table", "key", "fragments"),
    [
        ('[systems.crm]\nkind = "zoho"\n', "systems.crm.kind", ["'zoho'", "salesforce, hubspot, marketo"]),
        ("[systems.crm]\naccess_token_env = 'X'\n", "systems.crm.kind", ["None"]),
        (CRM.replace("base_url", "base_uri"), "systems.crm.base_uri", ["unknown key", "'base_url'"]),
        (CRM.replace("https://crm", "http://crm"), "systems.crm.base_url", ["https://"]),
        (CRM.replace("systems.crm", "systems.hubspot"), "systems.hubspot", ["another name"]),
    ],
    ids=["unknown kind", "no kind", "misspelt key", "not https", "shadows a kind table"],
)
def test_a_bad_named_system_is_reported_with_its_key_path(
    folder: Path, table: str, key: str, fragments: list[str]
) -> None:
    path = write(folder, BASE + table)

    about_key = [p for p in problems_of(path) if p.startswith(f"{path}: {key}: ")]

    assert len(about_key) == 1, problems_of(path)
    for fragment in fragments:
        assert fragment in about_key[0]


def test_a_flow_naming_an_unconfigured_system_lists_the_configured_ones(folder: Path) -> None:
    path = write(folder, BASE.replace('target = "salesforce"', 'target = "crm"'))

    (problem,) = [p for p in problems_of(path) if "flows.handoff.target" in p]

    assert "'crm' is not a configured system" in problem
    assert "'salesforce', 'hubspot'" in problem
    assert "[systems.crm]" in problem
