"""`revloop review`: list and show cases, and decide them without ever acting on more than named.

A typo'd command, flow, id or target is a usage error (exit 2) that changes nothing; an empty queue is
said so; decisions list what they change, then go on only with --yes or a "y" at a terminal, and
--dry-run changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from connector.cli import main as revloop_main
from connector.state.tables import outbox, review_cases, review_rejections

FlowEnv = Any  # tests/flows/conftest.py's FlowEnv
HOT = {"hubspotscore": 90}


@pytest.fixture
def world(sqlite_env: FlowEnv) -> FlowEnv:
    """One open case: a contact whose email is one letter off an existing Lead's (ids on env.case)."""
    env = sqlite_env
    env.lead_id = env.sf_seed(
        "Lead", {"FirstName": "美穂", "LastName": "佐々木", "Email": "miho.sasaki@hokuto.example.jp",
                 "Company": "株式会社北斗", "Status": "Open - Not Contacted"},
    )[0]  # fmt: skip
    env.other_lead = env.sf_seed("Lead", {"LastName": "Other", "Company": "X", "Email": "o@x.example.jp"})[0]
    env.contact_id = env.contact(email="miho.sasak@hokuto.example.jp", firstname="美穂", lastname="佐々木",
                                 company="(株)北斗", **HOT)  # fmt: skip
    env.run()
    env.case = str(snapshot(env)["cases"][0][0])
    return env


def snapshot(env: FlowEnv) -> dict[str, Any]:
    """Everything a review decision could change."""
    with env.engine.connect() as connection:
        return {
            "cases": connection.execute(
                select(review_cases.c.id, review_cases.c.status, review_cases.c.target_id)
            ).all(),
            "rejections": connection.execute(select(review_rejections)).all(),
            "outbox": connection.execute(select(outbox.c.record_key, outbox.c.state)).all(),
        }


def at_terminal(env: FlowEnv, monkeypatch, answer: str, *args: str):
    monkeypatch.setattr("connector.cli.confirm.stdin_is_terminal", lambda: True)
    with CliRunner().isolation(input=answer, env={"COLUMNS": "200"}) as (stdout, stderr, _):
        try:
            revloop_main(["--config", str(env.config_path), *args])
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        return code, stdout.getvalue().decode(), stderr.getvalue().decode()


def decisions(env: FlowEnv) -> dict[str, list[str]]:
    return {
        "link": ["review", "link", env.case, env.lead_id],
        "create": ["review", "create", env.case],
        "reject": ["review", "reject", env.case],
    }


def test_list_shows_the_case_and_json_lines_carry_it(world) -> None:
    table = world.cli("review", "list")
    lines = world.cli("review", "list", "--json")

    assert table.code == 0 and "email_near" in table.stdout and world.lead_id in table.stdout, table
    (case,) = [json.loads(line) for line in lines.stdout.splitlines()]
    assert (str(case["id"]), case["source_key"], case["status"]) == (world.case, world.contact_id, "open")
    assert [c["record_id"] for c in case["candidates"]] == [world.lead_id]


def test_show_prints_the_evidence_and_json(world) -> None:
    shown = world.cli("review", "show", world.case)
    as_json = world.cli("review", "show", world.case, "--json")

    assert shown.code == 0 and "email nearly the same" in shown.stdout and world.lead_id in shown.stdout
    assert json.loads(as_json.stdout)["code"] == "email_near"


def test_an_empty_queue_says_so(sqlite_env) -> None:
    result = sqlite_env.cli("review", "list")
    as_json = sqlite_env.cli("review", "list", "--json", "--flow", "marketo_handoff")

    assert (result.code, result.stdout.strip()) == (0, "no open review cases")
    assert (as_json.code, as_json.stdout) == (0, "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("review", "lst"), "No such command 'lst'"),
        (("review", "list", "--flow", "handof"), "flows.handof: no such flow (configured: "),
        (("review", "show", "999999"), "no review case with id 999999"),
        (("review", "show", "one"), "'one' is not a valid integer"),
        (("review", "link", "999999", "00Q1", "--yes"), "no review case with id 999999"),
        (("review", "create", "999999", "--yes"), "no review case with id 999999"),
        (("review", "reject", "999999", "--yes"), "no review case with id 999999"),
        (("review", "link", "{case}", "--yes"), "Missing argument 'TARGET_ID'"),
        (("review", "link", "{case}", "00Q_TYPO", "--yes"), "00Q_TYPO is not a record case"),
        (("review", "link", "{case}", "{other}", "--yes"), "pass --force"),
        (
            ("review", "link", "{case}", "00Q_NOWHERE", "--force", "--yes"),
            "no Lead or Contact with id 00Q_NOWHERE",
        ),
    ],
)
def test_a_typo_or_an_unknown_id_is_a_usage_error_that_changes_nothing(world, args, message) -> None:
    before = snapshot(world)

    result = world.cli(*(arg.format(case=world.case, other=world.other_lead) for arg in args))

    assert result.code == 2, result
    assert message in " ".join((result.stderr + result.stdout).split())
    assert snapshot(world) == before


@pytest.mark.parametrize("name", ["link", "create", "reject"])
def test_without_a_terminal_or_yes_nothing_changes(world, name) -> None:
    before = snapshot(world)

    result = world.cli(*decisions(world)[name])

    assert result.code == 2, result
    assert "pass --yes" in " ".join(result.stderr.split())
    assert f"case {world.case}" in result.stdout  # what it would change is listed first
    assert snapshot(world) == before


@pytest.mark.parametrize("name", ["link", "create", "reject"])
def test_dry_run_lists_and_changes_nothing(world, name) -> None:
    before = snapshot(world)

    result = world.cli(*decisions(world)[name], "--dry-run")

    assert result.code == 0 and "dry run: nothing changed" in result.stdout, result
    assert snapshot(world) == before


@pytest.mark.parametrize("name", ["link", "create", "reject"])
def test_no_at_the_terminal_changes_nothing_and_yes_decides(world, monkeypatch, name) -> None:
    before = snapshot(world)

    refused = at_terminal(world, monkeypatch, "n\n", *decisions(world)[name])
    assert refused[0] != 0 and snapshot(world) == before

    code, stdout, _ = at_terminal(world, monkeypatch, "y\n", *decisions(world)[name])
    assert code == 0, stdout
    status = {"link": "linked", "create": "created", "reject": "rejected"}[name]
    assert snapshot(world)["cases"][0][1] == status
    assert snapshot(world)["outbox"] == [(world.contact_id, "pending")]  # due: the next run writes it


def test_a_decided_case_cannot_be_decided_again(world) -> None:
    assert world.cli("review", "create", world.case, "--yes").code == 0
    before = snapshot(world)

    result = world.cli("review", "reject", world.case, "--yes")

    assert result.code == 2 and "already created" in result.stderr, result
    assert snapshot(world) == before
    listed = world.cli("review", "list", "--all")
    assert "created by" in listed.stdout and "the next run writes it" in listed.stdout


def test_force_links_to_a_record_the_case_does_not_propose(world) -> None:
    result = world.cli("review", "link", world.case, world.other_lead, "--force", "--yes")

    assert result.code == 0, result
    world.run()
    assert world.contact_properties(world.contact_id)["revloop_salesforce_id"] == world.other_lead
