"""CLI output stays readable piped to a file and on a narrow terminal: no word is folded mid-way."""

from __future__ import annotations

from click.testing import CliRunner

from connector.cli import main as revloop_main
from connector.state import outbox, runs, sync_errors
from connector.state.sync_errors import ErrorReport

MESSAGE = (
    "fields.Phone: phone_e164: not a phone number: '電話番号なし' "
    "((1) The string supplied did not seem to be a phone number.)"
)


def seed_error(env) -> None:
    """One error with a long message, its record waiting, and a finished run."""
    report = ErrorReport(
        "handoff", "write", "1247", "hubspot", "contacts", "mapping", "MAPPING_FAILED", MESSAGE
    )
    with env.engine.begin() as connection:
        outbox.enqueue(connection, "handoff", "write", [("1247", {"id": "1247"}, "hash")])
        sync_errors.record(connection, report, run_id=None)
    run_id = runs.start_run(env.engine, "handoff", "manual:1", "test")
    counts = {"failed": 1}
    runs.finish_run(env.engine, run_id, status="record_errors", counts=counts, api_calls={}, message=MESSAGE)


def piped(env, *args: str) -> str:
    """``revloop ARGS`` with stdout a pipe and no COLUMNS, as in ``revloop errors list | cat``."""
    with CliRunner().isolation(env={"COLUMNS": None}) as (stdout, _stderr, _output):
        try:
            revloop_main(["--config", str(env.config_path), *args])
        except SystemExit as exit_:
            assert exit_.code in (0, None)
        return stdout.getvalue().decode()


def test_piped_output_keeps_each_error_on_one_line(sqlite_env) -> None:
    seed_error(sqlite_env)

    text = piped(sqlite_env, "errors", "list")

    assert any(MESSAGE in line and "hubspot contacts 1247" in line for line in text.splitlines()), text


def test_a_narrow_terminal_breaks_lines_between_words_only(sqlite_env) -> None:
    seed_error(sqlite_env)

    for args in (("errors", "list"), ("status",), ("runs",)):
        result = sqlite_env.cli(*args, columns=80)
        assert result.code == 0, result
        assert all(len(line.rstrip()) <= 80 for line in result.stdout.splitlines())
        if args == ("errors", "list"):
            for word in [*MESSAGE.split(), "MAPPING_FAILED", "handoff", "contacts"]:
                assert word in result.stdout, (word, result.stdout)
        assert "handoff" in result.stdout and "hando\n" not in result.stdout


def test_status_and_runs_show_a_run_whose_process_died_as_crashed(sqlite_env) -> None:
    runs.start_run(sqlite_env.engine, "handoff", "manual:killed", "a process that was SIGKILLed")

    status = sqlite_env.cli("status")
    recent = sqlite_env.cli("runs")

    line = next(line for line in status.stdout.splitlines() if "│ handoff " in line)
    assert "crashed at" in line and "UTC" in status.stdout
    assert "crashed" in recent.stdout and "running" not in recent.stdout
