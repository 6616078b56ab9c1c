"""`revloop config check` (and its alias `revloop check`) load every flow's mapping offline: a broken
mapping fails the check in CI before any run, naming the file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

SHIPPED = Path(__file__).resolve().parents[2] / "mappings" / "handoff" / "hubspot__salesforce.toml"

BROKEN = {
    "broken TOML": (lambda text: text + "\n[fields.Title\n", ["TOML syntax error"]),
    "misspelt key": (
        lambda text: text.replace("upsert_key =", "upsert_keys =", 1),
        ["target.upsert_keys: unknown key; did you mean 'upsert_key'?"],
    ),
    "CEL syntax error": (
        lambda text: text.replace("rule = 'pricing_views >= 2 &&", "rule = 'pricing_views >= 2 &&&", 1),
        ["qualify.rule: syntax error"],
    ),
    "unknown name in a rule": (
        lambda text: text.replace("rule = 'pricing_views", "rule = 'pricing_viewz", 1),
        ["qualify.rule: unknown name 'pricing_viewz'"],
    ),
    "unknown name in a template": (
        lambda text: text.replace("{qualification}", "{qualificaton}", 1),
        ["template: unknown name {qualificaton}"],
    ),
    "unknown transform": (
        lambda text: text.replace('"collapse_spaces"', '"collapse_space"', 1),
        ["unknown transform 'collapse_space'"],
    ),
}


@pytest.mark.parametrize("command", [("config", "check"), ("check",)], ids=["config check", "check"])
@pytest.mark.parametrize(("edit", "fragments"), BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_mapping_fails_the_offline_check(sqlite_env, tmp_path, command, edit, fragments) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text(edit(SHIPPED.read_text(encoding="utf-8")), encoding="utf-8")
    config = sqlite_env.config_path.read_text(encoding="utf-8")
    sqlite_env.config_path.write_text(config.replace(str(SHIPPED), str(broken)), encoding="utf-8")

    result = sqlite_env.cli(*command)

    assert result.code == 2, result
    for fragment in fragments:
        assert f"{broken}: " in result.stderr and fragment in result.stderr, result.stderr


def test_the_shipped_mappings_pass_it(sqlite_env) -> None:
    result = sqlite_env.cli("check")

    assert result.code == 0, result
    assert f"{sqlite_env.config_path}: ok" in result.stdout


def test_status_and_errors_still_work_while_a_mapping_is_broken(sqlite_env, tmp_path) -> None:
    """An admin must see what is going on while one flow's mapping is broken; its runs fail alone."""
    broken = tmp_path / "broken.toml"
    broken.write_text("version = 2\nkind = [\n", encoding="utf-8")
    config = sqlite_env.config_path.read_text(encoding="utf-8")
    sqlite_env.config_path.write_text(config.replace(str(SHIPPED), str(broken)), encoding="utf-8")

    assert sqlite_env.cli("status").code == 0
    assert sqlite_env.cli("errors", "list").code == 0
    assert sqlite_env.cli("check").code == 2
