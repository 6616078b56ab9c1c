"""Redaction of secrets and credentials, the logging filter, JSON log lines, and secret-free reprs."""

from __future__ import annotations

import base64
import io
import json
import logging
import re
import urllib.parse
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connector.config import load_config
from connector.logs import MASK, RedactingFilter, redact, register_secret, setup_logging


def new_secret() -> str:
    """A unique secret with characters that URL-encoding changes, so every form differs."""
    return f"s3cr3t/+={uuid.uuid4().hex}&ü"


# --- registered secrets --------------------------------------------------------------------------


def test_a_registered_secret_is_masked_in_plain_text() -> None:
    secret = new_secret()
    register_secret(secret)

    assert redact(f"login failed for token {secret}.") == f"login failed for token {MASK}."


@pytest.mark.parametrize(
    "encode",
    [
        lambda s: urllib.parse.quote(s, safe=""),
        urllib.parse.quote_plus,
        lambda s: base64.b64encode(s.encode()).decode(),
        lambda s: base64.b64encode(s.encode()).decode().rstrip("="),
    ],
    ids=["url-quoted", "url-quoted-plus", "base64", "base64-unpadded"],
)
def test_a_registered_secret_is_masked_when_encoded(encode) -> None:
    secret = new_secret()
    register_secret(secret)
    encoded = encode(secret)

    redacted = redact(f"GET /oauth/token?x={encoded}&y=1 failed")

    assert encoded not in redacted
    assert MASK in redacted
    assert redacted.startswith("GET /oauth/token?x=")
    assert redacted.endswith("&y=1 failed")


@pytest.mark.parametrize("prefix", ["", "a", "ab", "client-id:"])
def test_a_registered_secret_is_masked_inside_a_longer_base64_blob(prefix: str) -> None:
    """HTTP Basic auth sends base64("client_id:client_secret"): the secret sits at any byte offset."""
    secret = new_secret()
    register_secret(secret)
    blob = base64.b64encode(f"{prefix}{secret}:tail".encode()).decode()

    redacted = redact(f"sent {blob}")

    first, last = -(-len(prefix.encode()) * 4 // 3), (len(prefix.encode()) + len(secret.encode())) * 4 // 3
    secret_part = blob[first:last]  # the base64 characters made only of the secret's bits
    assert MASK in redacted
    assert not any(secret_part[i : i + 8] in redacted for i in range(len(secret_part) - 8))


def test_short_or_empty_values_are_not_registered() -> None:
    register_secret("")
    register_secret(None)
    register_secret("abc")

    assert redact("abc abc") == "abc abc"


def test_redact_accepts_any_object() -> None:
    secret = new_secret()
    register_secret(secret)

    assert redact(ValueError(f"bad {secret}")) == f"bad {MASK}"
    assert redact({"token": secret}) == "{'token': '" + MASK + "'}"


# --- credential patterns -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("POST /token?access_token=abc123XYZ&next=1", "POST /token?access_token=***&next=1"),
        (
            "grant_type=client_credentials&client_secret=zz9-top",
            "grant_type=client_credentials&client_secret=***",
        ),
        ("refresh_token=5Aep861.x&client_id=3MVG9", "refresh_token=***&client_id=***"),
        ("password=hunter22 user=ann", "password=*** user=ann"),
        ("callback?code=auth-code-123&state=s", "callback?code=***&state=s"),
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOjF9.sig", "Authorization: Bearer ***"),
        ("authorization: bearer 00D5g000004Sxyz!AQ0AQHx", "authorization: bearer ***"),
        ("Authorization: Basic Y2xpZW50OnNlY3JldA==", "Authorization: Basic ***"),
        (
            '{"access_token": "tok-123", "instance_url": "https://x"}',
            '{"access_token": "***", "instance_url": "https://x"}',
        ),
        ('{"refresh_token":"r-1","token_type":"Bearer"}', '{"refresh_token":"***","token_type":"Bearer"}'),
        ("{'access_token': 'tok-456', 'expires_in': 3599}", "{'access_token': '***', 'expires_in': 3599}"),
    ],
)
def test_credential_patterns_are_masked(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "errorCode=INVALID_FIELD message=No such column",
        "Marketo error code 1004: Lead not found",
        "[{'message': 'Email: invalid email address', 'errorCode': 'INVALID_EMAIL_ADDRESS'}]",
        "usid=42 bearer of bad news",
        "contacts.batch_upsert still failing after retries: 503",
    ],
)
def test_ordinary_error_text_is_left_alone(text: str) -> None:
    assert redact(text) == text


# --- the logging filter --------------------------------------------------------------------------


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger(f"test_logs.{uuid.uuid4().hex}")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def test_filter_masks_message_args_and_exception_text(captured) -> None:
    logger, stream = captured
    secret = new_secret()
    register_secret(secret)

    logger.info("token %s sent", secret)
    logger.warning("body: %(body)s", {"body": f"client_secret={uuid.uuid4().hex}"})
    try:
        raise RuntimeError(f"login failed: Authorization: Bearer {secret}")
    except RuntimeError:
        logger.exception("request failed for %s", secret)

    output = stream.getvalue()
    assert secret not in output
    assert "client_secret=***" in output
    assert "Traceback" in output and "RuntimeError: login failed: Authorization: Bearer ***" in output
    assert output.count(MASK) >= 4


def test_filter_leaves_a_record_safe_for_every_later_handler() -> None:
    secret = new_secret()
    register_secret(secret)
    try:
        raise ValueError(secret)
    except ValueError as exc:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "got %s", (secret,), (type(exc), exc, None)
        )

    assert RedactingFilter().filter(record) is True

    assert record.getMessage() == f"got {MASK}"
    assert record.args is None
    assert record.exc_info is None
    assert secret not in record.exc_text
    assert secret not in logging.Formatter().format(record)


# --- setup_logging -------------------------------------------------------------------------------


@pytest.fixture
def restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    urllib3_level = logging.getLogger("urllib3").level
    yield
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)
    logging.getLogger("urllib3").setLevel(urllib3_level)


def test_json_logs_are_one_object_per_line_with_run_context(restore_root_logger, capsys) -> None:
    secret = new_secret()
    register_secret(secret)
    setup_logging("debug", json_format=True)
    log = logging.getLogger("connector.test")
    run_id = uuid.uuid4()

    log.info("run finished: %d written", 7, extra={"run_id": run_id, "flow": "handoff", "system": "hubspot"})
    log.debug("plain line with %s", secret)
    try:
        raise ConnectionError(f"access_token={secret}")
    except ConnectionError:
        log.exception("call failed", extra={"system": "marketo"})

    lines = capsys.readouterr().err.splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["level"] for r in records] == ["INFO", "DEBUG", "ERROR"]
    first = records[0]
    assert first["message"] == "run finished: 7 written"
    assert (first["run_id"], first["flow"], first["system"]) == (str(run_id), "handoff", "hubspot")
    assert first["logger"] == "connector.test"
    assert "run_id" not in records[1]
    assert records[2]["system"] == "marketo"
    assert "ConnectionError: access_token=***" in records[2]["exception"]
    assert secret not in "\n".join(lines)


def test_text_logs_are_redacted_and_urllib3_is_quieted(restore_root_logger, capsys) -> None:
    secret = new_secret()
    register_secret(secret)
    setup_logging("DEBUG")

    logging.getLogger("connector.test").debug("token %s", secret)
    logging.getLogger("urllib3.connectionpool").debug("https://x:443 GET /?access_token=%s", secret)

    err = capsys.readouterr().err
    assert "DEBUG connector.test: token ***" in err
    assert "urllib3" not in err
    assert secret not in err
    assert len(logging.getLogger().handlers) == 1


# --- settings objects never hold secret values ---------------------------------------------------

SECRETS = {
    "REPR_SF_ID": "repr-sf-client-id-value",
    "REPR_SF_SECRET": "repr-sf-client-secret-value",
    "REPR_HS_TOKEN": "repr-hubspot-token-value",
    "REPR_MK_ID": "repr-marketo-id-value",
}
CONFIG = """
[salesforce]
instance_url = "https://acme.my.salesforce.com"
client_id_env = "REPR_SF_ID"
client_secret_env = "REPR_SF_SECRET"

[hubspot]
access_token_env = "REPR_HS_TOKEN"

[marketo]
base_url = "https://123-abc-456.mktorest.com/rest"
identity_url = "https://123-abc-456.mktorest.com/identity"
client_id_env = "REPR_MK_ID"
client_secret_file = "marketo.secret"
"""


def test_settings_reprs_never_contain_secret_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "marketo.secret").write_text("repr-marketo-secret-from-file\n")
    (tmp_path / "marketo.secret").chmod(0o600)
    (tmp_path / "config.toml").write_text(CONFIG)
    config = load_config(tmp_path / "config.toml")
    systems = [
        (config.salesforce, ("client_id", "client_secret")),
        (config.hubspot, ("access_token",)),
        (config.marketo, ("client_id", "client_secret")),
    ]

    values = [settings.secret(name) for settings, names in systems for name in names]

    assert sorted(values) == sorted([*SECRETS.values(), "repr-marketo-secret-from-file"])
    texts = [repr(config), str(config), json.dumps(config.redacted()), str(config.model_dump())]
    for settings, _ in systems:
        texts += [repr(settings), str(settings), settings.model_dump_json()]
    for value in values:
        assert all(value not in text for text in texts), value
        assert redact(f"x {value} y") == f"x {MASK} y"  # reading a secret registers it
    assert "REPR_SF_SECRET" in repr(config.salesforce)  # the reference is shown, the value never


@pytest.mark.parametrize("json_format", [False, True])
def test_log_times_are_utc_and_say_so(restore_root_logger, capsys, json_format: bool) -> None:
    setup_logging("INFO", json_format=json_format)
    logging.getLogger("revloop.test").info("tick")

    line = capsys.readouterr().err.strip()
    stamp = json.loads(line)["time"] if json_format else line.split()[0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", stamp), line
    logged = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert abs(logged - datetime.now(UTC)) < timedelta(minutes=1)
