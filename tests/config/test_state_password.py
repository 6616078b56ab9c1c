"""The state store's password: masked in `config check`, errors, logs and repr; read from [state]
password_env or password_file like other secrets; an inline password still works, with a warning."""

from __future__ import annotations

import logging
import os
import urllib.parse
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from connector.cli import main as revloop_main
from connector.config import StateSettings, load_config
from connector.errors import ConfigError
from connector.logs import redact
from connector.state import open_store

PASSWORD = "Sup3r-S3cret!db-0x51"
ENCODED = urllib.parse.quote(PASSWORD, safe="")
PASSWORD_ENV = "REVLOOP_TEST_STATE_PASSWORD"
POSTGRES_URL = os.environ.get("REVLOOP_TEST_POSTGRES_URL")


def write_config(folder: Path, state: str) -> Path:
    (folder / "config.toml").write_text(f"[state]\n{state}\n", encoding="utf-8")
    return folder / "config.toml"


def cli(*args: str) -> tuple[int, str]:
    with CliRunner().isolation() as (stdout, stderr, _):
        try:
            revloop_main(list(args))
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        return code, stdout.getvalue().decode() + stderr.getvalue().decode()


def leaked(text: str) -> bool:
    return PASSWORD in text or ENCODED in text


def test_config_check_masks_an_inline_password_and_warns(tmp_path: Path) -> None:
    config = write_config(tmp_path, f'url = "postgresql+psycopg://revloop:{ENCODED}@db.example:5432/revloop"')

    code, output = cli("--config", str(config), "config", "check")

    assert code == 0, output
    assert not leaked(output)
    assert "postgresql+psycopg://revloop:***@db.example:5432/revloop" in output
    assert "warning:" in output and "state.url holds a password" in output
    assert "password_env" in output and "PGPASSWORD" in output


def test_a_missing_driver_error_masks_the_password(tmp_path: Path) -> None:
    config = write_config(tmp_path, f'url = "mysql+pymysql://revloop:{ENCODED}@db.example/revloop"')

    code, output = cli("--config", str(config), "status")

    assert code == 2, output
    assert "state.url" in output and "pymysql" in output
    assert not leaked(output)


def test_repr_dump_and_messages_never_show_it(tmp_path: Path) -> None:
    state = StateSettings(url=f"postgresql+psycopg://revloop:{ENCODED}@db.example/revloop")

    texts = [
        repr(state),
        str(state),
        str(state.model_dump()),
        str(state.engine_url()),
        repr(state.engine_url()),
    ]

    assert not any(leaked(text) for text in texts), texts
    assert state.engine_url().password == PASSWORD  # what the driver gets


def test_redact_masks_the_password_of_any_url_in_a_text() -> None:
    line = f"could not open postgresql://revloop:{ENCODED}@db.example/revloop (timeout)"
    assert redact(line) == "could not open postgresql://revloop:***@db.example/revloop (timeout)"


def test_a_malformed_url_never_echoes_its_password(tmp_path: Path) -> None:
    config = write_config(tmp_path, f'url = "postgresql+psycopg://revloop:{ENCODED}@db.example:port/x"')

    code, output = cli("--config", str(config), "config", "check")

    assert code == 2 and "state.url" in output
    assert not leaked(output)


def test_password_env_is_read_on_use_and_masked(tmp_path: Path, monkeypatch, caplog) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    config = load_config(
        write_config(
            tmp_path,
            f'url = "postgresql+psycopg://revloop@db.example/revloop"\npassword_env = "{PASSWORD_ENV}"',
        )
    )

    url = config.state.engine_url()

    assert url.password == PASSWORD
    assert not leaked(str(url))
    logging.getLogger("test").warning("connecting with %s and %s", url, PASSWORD)
    assert not leaked(redact(caplog.records[-1].getMessage()))  # registered for redaction once read


def test_password_file_is_read_like_other_secret_files(tmp_path: Path) -> None:
    (tmp_path / "db-password").write_text(PASSWORD + "\n")
    (tmp_path / "db-password").chmod(0o600)
    config = load_config(
        write_config(
            tmp_path, 'url = "postgresql+psycopg://revloop@db.example/revloop"\npassword_file = "db-password"'
        )
    )

    assert config.state.password_file == tmp_path / "db-password"  # relative to the config's folder
    assert config.state.engine_url().password == PASSWORD


def test_a_readable_password_file_is_a_config_problem(tmp_path: Path) -> None:
    (tmp_path / "db-password").write_text(PASSWORD)
    (tmp_path / "db-password").chmod(0o644)
    path = write_config(
        tmp_path, 'url = "postgresql+psycopg://revloop@db/revloop"\npassword_file = "db-password"'
    )

    with pytest.raises(ConfigError, match=r"state\.password_file: .*readable by other users"):
        load_config(path)


def test_an_unset_password_env_is_a_config_problem(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    path = write_config(
        tmp_path, f'url = "postgresql+psycopg://revloop@db/revloop"\npassword_env = "{PASSWORD_ENV}"'
    )

    with pytest.raises(
        ConfigError, match=rf"state\.password_env: environment variable {PASSWORD_ENV} is not set"
    ):
        load_config(path)


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ('url = "postgresql://u@db/x"\npassword_env = "A"\npassword_file = "b"', "not both"),
        (f'url = "postgresql://u:{ENCODED}@db/x"\npassword_env = "A"', "already holds a password"),
        ('url = "sqlite:///x.db"\npassword_env = "A"', "SQLite"),
    ],
)
def test_contradictory_password_settings_are_refused(state: str, expected: str) -> None:
    import tomllib

    with pytest.raises(ValidationError, match=expected) as raised:
        StateSettings(**tomllib.loads(state))
    assert not leaked(str(raised.value))


@pytest.mark.postgres
def test_postgres_opens_with_the_password_from_password_env(tmp_path: Path, monkeypatch) -> None:
    """The test server trusts local connections, so any password works: this proves the URL revloop
    builds (password added, nothing else changed) reaches the driver."""
    if not POSTGRES_URL:
        pytest.skip("REVLOOP_TEST_POSTGRES_URL is not set (.ci/run sets it)")
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    config = load_config(write_config(tmp_path, f'url = "{POSTGRES_URL}"\npassword_env = "{PASSWORD_ENV}"'))

    engine = open_store(config.state.engine_url(), migrate=False)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("select 1").scalar() == 1
    assert engine.url.password == PASSWORD and not leaked(str(engine.url))
    engine.dispose()
