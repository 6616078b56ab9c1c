"""A state store that cannot be used is a clear error, never a traceback: exit 2 when [state] url names
a folder that does not exist, exit 3 when the store cannot be opened or written or its server refuses.
And --config/-c is accepted after the command; a missing config says how to name one."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from connector.cli import main as revloop_main
from connector.errors import StoreLocationError, StoreUnavailableError
from connector.state import open_store

COMMANDS = [
    ("status",),
    ("runs",),
    ("errors", "list"),
    ("run", "handoff"),
    ("db", "status"),
    ("db", "upgrade"),
]


def with_state_url(env, url: str) -> None:
    text = env.config_path.read_text(encoding="utf-8")
    env.config_path.write_text(re.sub(r'(?m)^url = ".*"$', f'url = "{url}"', text, count=1), encoding="utf-8")


@pytest.mark.parametrize("args", COMMANDS)
def test_a_sqlite_store_in_a_missing_folder_is_a_config_error(sqlite_env, tmp_path, args) -> None:
    folder = tmp_path / "no" / "such" / "folder"
    with_state_url(sqlite_env, f"sqlite:///{folder}/revloop.db")

    result = sqlite_env.cli(*args)

    assert result.code == 2, result
    message = " ".join(result.stderr.split())
    assert "state.url" in message and "[state] url" in message and str(folder) in message
    assert "Traceback" not in result.stderr
    assert not folder.exists()


def test_config_check_reports_the_missing_folder(sqlite_env, tmp_path) -> None:
    with_state_url(sqlite_env, f"sqlite:///{tmp_path}/missing/revloop.db")

    result = sqlite_env.cli("config", "check")

    assert result.code == 2, result
    assert f"state.url: the folder {tmp_path}/missing of the SQLite store does not exist" in " ".join(
        result.stderr.split()
    )


def unusable_stores(tmp_path: Path) -> dict[str, tuple[str, str]]:
    """URL and what the error must name, per way a store can be unusable."""
    garbage = tmp_path / "garbage.db"
    garbage.write_text("this is not a SQLite database " * 100)
    read_only = tmp_path / "read-only"
    read_only.mkdir()
    read_only.chmod(0o555)
    return {
        "not a database": (f"sqlite:///{garbage}", str(garbage)),
        "read-only folder": (f"sqlite:///{read_only}/revloop.db", f"{read_only}/revloop.db"),
        "a file system nobody writes": ("sqlite:////proc/revloop.db", "/proc/revloop.db"),
        "server refuses": ("postgresql+psycopg://revloop:s3cret-pw@127.0.0.1:1/revloop", "127.0.0.1:1"),
    }


@pytest.mark.parametrize("kind", ["not a database", "read-only folder", "a file system nobody writes"])
@pytest.mark.parametrize("args", [("status",), ("run", "handoff")])
def test_a_store_that_cannot_be_opened_or_written_exits_3(sqlite_env, tmp_path, kind, args) -> None:
    if kind == "read-only folder" and os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    url, named = unusable_stores(tmp_path)[kind]
    with_state_url(sqlite_env, url)

    result = sqlite_env.cli(*args)

    assert result.code == 3, result
    assert named in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("args", COMMANDS)
def test_a_refusing_server_exits_3_naming_host_and_port_never_the_password(
    sqlite_env, tmp_path, args
) -> None:
    url, named = unusable_stores(tmp_path)["server refuses"]
    with_state_url(sqlite_env, url)

    result = sqlite_env.cli(*args)

    assert result.code == 3, result
    assert named in result.stderr
    assert "s3cret-pw" not in result.stdout + result.stderr


def test_the_store_raises_typed_errors_without_any_config(tmp_path) -> None:
    with pytest.raises(StoreLocationError) as missing:
        open_store(f"sqlite:///{tmp_path}/missing/revloop.db")
    (tmp_path / "garbage.db").write_text("not a database " * 100)
    with pytest.raises(StoreUnavailableError) as garbage:
        open_store(f"sqlite:///{tmp_path}/garbage.db")

    assert (missing.value.exit_code, garbage.value.exit_code) == (2, 3)


AFTER_THE_COMMAND = [
    ("status", "-c", "{config}"),
    ("errors", "list", "-c", "{config}"),
    ("runs", "--config", "{config}", "--limit", "1"),
    ("errors", "list", "--log-level", "debug", "--config", "{config}"),
]


@pytest.mark.parametrize("args", AFTER_THE_COMMAND)
def test_config_and_log_level_after_the_command(sqlite_env, tmp_path, monkeypatch, args) -> None:
    monkeypatch.delenv("REVLOOP_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path / "..")  # no config.toml here: only the option names one
    filled = [part.format(config=sqlite_env.config_path) for part in args]

    with pytest.raises(SystemExit) as exit_:
        revloop_main(filled)

    assert exit_.value.code == 0


def test_a_config_after_the_command_wins(sqlite_env) -> None:
    result = sqlite_env.cli("status", "-c", "elsewhere.toml")

    assert result.code == 2 and "elsewhere.toml: file not found" in result.stderr, result


def test_a_missing_default_config_says_how_to_name_one(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("REVLOOP_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    with runner.isolation(env={"COLUMNS": "300"}) as (_stdout, stderr, _):
        with pytest.raises(SystemExit) as exit_:
            revloop_main(["status"])
        message = stderr.getvalue().decode()

    assert exit_.value.code == 2
    assert "config.toml: file not found" in message
    assert "--config" in message and "REVLOOP_CONFIG" in message
