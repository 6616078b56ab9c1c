"""`revloop` end to end: help, config, db, run exit codes, errors, status, runs, flows, demo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from connector.cli import cli as revloop_group
from connector.demo.sandbox_config import write_sandbox_config

HOT = {"hubspotscore": 90}
REVLOOP = Path(sys.executable).parent / "revloop"


def all_commands(group: click.Group, prefix: str = "") -> dict[str, click.Command]:
    found = {}
    for name, command in group.commands.items():
        found[f"{prefix}{name}"] = command
        if isinstance(command, click.Group):
            found.update(all_commands(command, f"{prefix}{name} "))
    return found


def test_help_lists_every_command_with_its_help(cli) -> None:
    result = cli("--help")

    assert result.code == 0
    for name, command in revloop_group.commands.items():
        summary = command.get_short_help_str(limit=300)
        assert summary, f"{name} has no help"
        assert name in result.stdout
    for path, command in all_commands(revloop_group).items():
        assert (command.help or "").strip(), f"revloop {path} has no help"
        sub = cli(*path.split(), "--help")
        assert sub.code == 0, (path, sub)
        assert command.help.strip().splitlines()[0] in " ".join(sub.stdout.split())


def test_config_check_prints_the_config_without_secret_values(sqlite_env) -> None:
    env = sqlite_env
    secrets = [path.read_text().strip() for path in (env.config_path.parent / "secrets").iterdir()]

    result = env.cli("config", "check")

    assert result.code == 0, result
    assert f"{env.config_path}: ok" in result.stdout
    assert "access_token_file" in result.stdout and "hubspot-token" in result.stdout
    for secret in secrets:
        assert secret not in result.stdout + result.stderr


def test_config_check_exits_2_naming_the_file_and_keys(sqlite_env) -> None:
    env = sqlite_env
    text = env.config_path.read_text(encoding="utf-8")
    broken = text.replace("read_lag_s = 0", "read_lagg_s = 0", 1).replace(
        'schedule = "every 5m"', 'schedule = "sometimes"', 1
    )
    mapping = str(env.config.flow("handoff").mapping)
    broken = broken.replace(mapping, mapping + ".missing")
    env.config_path.write_text(broken, encoding="utf-8")

    result = env.cli("config", "check")

    assert result.code == 2, result
    output = " ".join((result.stdout + result.stderr).split())
    assert f"{env.config_path}: salesforce.read_lagg_s: unknown key" in output
    assert f"{env.config_path}: flows.handoff.schedule" in output


def test_config_check_names_a_mapping_that_does_not_exist(sqlite_env) -> None:
    env = sqlite_env
    mapping = str(env.config.flow("handoff").mapping)
    text = env.config_path.read_text(encoding="utf-8")
    env.config_path.write_text(text.replace(mapping, mapping + ".missing"), encoding="utf-8")

    result = env.cli("config", "check")

    assert result.code == 2, result
    output = " ".join((result.stdout + result.stderr).split())
    assert f"flows.handoff.mapping: {mapping}.missing does not exist" in output


def test_db_upgrade_migrates_a_new_store(flow_sandbox, tmp_path, store_url, cli) -> None:
    config = str(write_sandbox_config(flow_sandbox, tmp_path / "config.toml", state_url=store_url))

    before = cli("--config", config, "db", "status")
    upgrade = cli("--config", config, "db", "upgrade")
    after = cli("--config", config, "db", "status")

    assert before.code == 1 and "revloop db upgrade" in before.stdout
    assert upgrade.code == 0 and "state store at revision" in upgrade.stdout
    assert after.code == 0, after


def test_run_exit_codes_are_0_ok_1_record_errors_3_quota(env) -> None:
    env.contact(email="fine@example.com", lastname="Fine", company="F", **HOT)
    ok = env.cli("run", "handoff")
    assert ok.code == 0, ok
    assert "created 1" in ok.stdout

    env.contact(email="bad,address@example.com", lastname="Bad", company="B", **HOT)
    refused = env.cli("run", "handoff")
    assert refused.code == 1, refused
    assert "failed 1" in refused.stdout

    env.contact(email="later@example.com", lastname="Later", company="L", **HOT)
    env.sf.set_knobs(daily_quota=env.sf.day_calls + 1)
    stopped = env.cli("run", "handoff")
    assert stopped.code == 3, stopped
    assert "stopped" in stopped.stdout and "quota" in stopped.stdout


def test_run_exits_3_when_credentials_are_refused(sqlite_env) -> None:
    env = sqlite_env
    token_file = env.config_path.parent / "secrets" / "hubspot-token"
    token_file.write_text("sandbox-not-a-valid-token\n")

    result = env.cli("run", "handoff")

    assert result.code == 3, result
    assert "sandbox-not-a-valid-token" not in result.stdout + result.stderr


def test_run_with_no_flow_is_a_usage_error(sqlite_env) -> None:
    assert sqlite_env.cli("run").code == 2


def test_errors_list_show_retry_and_ignore(env) -> None:
    first = env.contact(email="one,bad@example.com", lastname="One", company="O", **HOT)
    second = env.contact(email="two,bad@example.com", lastname="Two", company="T", **HOT)
    env.run()

    listed = env.cli("errors", "list", "--json")
    assert listed.code == 0, listed
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert sorted(row["record_key"] for row in rows) == sorted([first, second])
    by_key = {row["record_key"]: row for row in rows}

    table = env.cli("errors", "list")
    assert table.code == 0 and "INVALID_EMAIL_ADDRESS" in table.stdout and "record_reject" in table.stdout

    shown = env.cli("errors", "show", str(by_key[first]["id"]))
    assert shown.code == 0
    detail = json.loads(shown.stdout)
    assert detail["payload"]["Email"] == "one,bad@example.com"
    assert detail["category"] == "record_reject"
    assert env.cli("errors", "show", "999999").code == 2

    retried = env.cli("errors", "retry", str(by_key[first]["id"]))
    ignored = env.cli("errors", "ignore", str(by_key[second]["id"]), "--yes")
    assert retried.code == ignored.code == 0
    assert "1 record(s) will be retried" in retried.stdout
    assert "1 record(s) ignored" in ignored.stdout
    statuses = {row["record_key"]: row["status"] for row in env.errors()}
    assert statuses == {first: "retrying", second: "ignored"}
    assert {row["record_key"]: row["state"] for row in env.waiting()} == {first: "pending", second: "ignored"}
    env.reset_calls()

    outcome = env.run()  # the retried record is due; the ignored one is re-read unchanged and left alone

    assert outcome.counts["failed"] == 1
    assert env.sf.calls["collections_upsert"] == 1
    assert {row["record_key"]: row["attempts"] for row in env.errors()} == {first: 2, second: 1}
    open_now = env.cli("errors", "list", "--json")
    assert [json.loads(line)["record_key"] for line in open_now.stdout.splitlines()] == [first]
    everything = env.cli("errors", "list", "--all", "--json")
    assert len(everything.stdout.splitlines()) == 2
    assert env.cli("errors", "retry").code == 2  # neither ids nor --flow

    env.hs.touch("contacts", second, {"email": "two@example.com"})  # the ignored record's source is fixed
    fixed = env.run()

    assert fixed.counts["created"] == 1
    assert {row["record_key"]: row["status"] for row in env.errors()}[second] == "resolved"


def test_status_runs_and_pause_resume(env) -> None:
    env.contact(email="st@example.com", lastname="Status", company="S", **HOT)
    env.contact(email="st,bad@example.com", lastname="Bad", company="S", **HOT)
    env.run()

    status = env.cli("status")
    assert status.code == 0, status
    line = next(line for line in status.stdout.splitlines() if "│ handoff " in line)
    assert "enabled" in line and "write 1" in line and "record_errors" in line

    runs = env.cli("runs")
    assert runs.code == 0
    assert "record_errors" in runs.stdout and "created 1" in runs.stdout and "failed 1" in runs.stdout

    paused = env.cli("flows", "pause", "handoff", "--reason", "maintenance window")
    assert paused.code == 0, paused
    assert "paused: maintenance window" in env.cli("status").stdout
    skipped = env.cli("run", "handoff")
    assert skipped.code == 1 and "flows resume handoff" in " ".join(skipped.stdout.split())
    assert len(env.runs()) == 1  # a paused flow records no run

    assert env.cli("flows", "resume", "handoff", "--yes").code == 0
    assert env.cli("run", "handoff").code == 0
    assert env.cli("flows", "pause", "no_such_flow").code == 2


def revloop_process(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed console script in a child process, as a user runs it."""
    return subprocess.run(
        [str(REVLOOP), *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )


@pytest.mark.slow
def test_demo_exits_0_and_leaves_a_store_the_report_commands_read(tmp_path) -> None:
    directory = tmp_path / "demo"

    demo = revloop_process("demo", "--dir", str(directory))

    assert demo.returncode == 0, demo.stderr
    assert "what moved where" in demo.stdout
    assert "record_errors" in demo.stdout  # the demo data's invalid records fail, and that is still 0
    config = str(directory / "config.toml")
    errors = revloop_process("--config", config, "errors", "list", "--json")
    assert errors.returncode == 0, errors.stderr
    categories = {json.loads(line)["category"] for line in errors.stdout.splitlines()}
    assert {"record_reject", "mapping"} <= categories  # was also ambiguous_match: now a review case
    cases = revloop_process("--config", config, "review", "list", "--json")
    assert cases.returncode == 0, cases.stderr
    codes = {json.loads(line)["code"] for line in cases.stdout.splitlines()}
    assert codes == {"several_people", "email_near", "role_address"}
    assert "review cases" in demo.stdout and "review 3" in demo.stdout
    journey = demo.stdout[demo.stdout.index("one person, form fill to customer") :]
    for step in ("1 form fill", "2 MQL", "3 Salesforce Lead", "4 won by sales", "5 feedback", "6 won deals"):
        assert step in journey
    assert "lifecycle stage customer" in journey and "180,000 JPY, 2 line items" in journey
    assert "her contact associated" in journey
    status = revloop_process("--config", config, "status")
    assert status.returncode == 0 and "review" in status.stdout
    runs = revloop_process("--config", config, "runs")
    assert runs.returncode == 0 and "marketo_handoff" in runs.stdout


def test_retrying_an_ignored_error_tries_the_record_again(sqlite_env) -> None:
    env = sqlite_env
    contact = env.contact(email="undo,ignore@example.com", lastname="Undo", company="U", **HOT)
    env.run()
    error_id = str(env.errors()[0]["id"])
    assert env.cli("errors", "ignore", error_id, "--yes").code == 0
    env.run()
    assert env.errors()[0]["attempts"] == 1  # ignored: not tried

    assert env.cli("errors", "retry", error_id).code == 0
    env.reset_calls()
    outcome = env.run()

    assert outcome.counts["failed"] == 1
    assert env.sf.calls["collections_upsert"] == 1
    assert (env.errors()[0]["status"], env.errors()[0]["attempts"]) == ("open", 2)
    assert [row["record_key"] for row in env.waiting()] == [contact]
