"""`revloop mappings check` and `revloop mappings preview` against the sandbox."""

from __future__ import annotations

from sqlalchemy import func, select

from connector.state.tables import metadata

HOT = {"hubspotscore": 90}


def table_counts(env) -> dict[str, int]:
    with env.engine.connect() as connection:
        return {
            name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in metadata.tables.items()
            if name != "identity_index"  # preview refreshes this cache of Salesforce (documented)
        }


def use_mapping(env, flow: str, text: str, tmp_path) -> str:
    """Point ``flow`` at a mapping file with ``text``; returns its path."""
    shipped = env.config.flow(flow).mapping
    path = tmp_path / f"{flow}.toml"
    path.write_text(text, encoding="utf-8")
    config = env.config_path.read_text(encoding="utf-8")
    env.config_path.write_text(config.replace(str(shipped), str(path)), encoding="utf-8")
    return str(path)


def test_check_passes_for_the_shipped_mappings(sqlite_env) -> None:
    result = sqlite_env.cli("mappings", "check")

    assert result.code == 0, result
    assert "handoff:" in result.stdout and "marketo_handoff:" in result.stdout
    assert result.stdout.count(": ok") == len(sqlite_env.config.flows)  # every flow of the sandbox config


def test_check_lists_every_problem_with_file_and_key(sqlite_env, tmp_path) -> None:
    env = sqlite_env
    shipped = env.config.flow("handoff").mapping.read_text(encoding="utf-8")
    broken = shipped.replace('value = "Web"', 'value = "Podcast"') + (
        '\n[fields.Nickname__c]\nfrom = "firstname"\n\n[fields.Industry]\nfrom = "no_such_property"\n'
    )
    path = use_mapping(env, "handoff", broken, tmp_path)

    result = env.cli("mappings", "check", "handoff", columns=80)

    assert result.code == 2, result
    lines = [line.strip() for line in result.stdout.splitlines()]  # one problem a line, never wrapped
    problems = [line for line in lines if line.startswith(path)]
    assert any("fields.Nickname__c" in line for line in problems), result.stdout
    assert any("fields.LeadSource" in line and "Podcast" in line for line in problems), result.stdout
    assert any("no_such_property" in line for line in problems), result.stdout


def test_check_reports_a_mapping_file_that_does_not_load(sqlite_env, tmp_path) -> None:
    env = sqlite_env
    shipped = env.config.flow("handoff").mapping.read_text(encoding="utf-8")
    path = use_mapping(env, "handoff", shipped.replace("threshold = 80", "threshold = 'high'"), tmp_path)

    result = env.cli("mappings", "check", "handoff", columns=80)

    assert result.code == 2, result
    assert any(
        line.strip().startswith(path) and "qualify.threshold" in line for line in result.stdout.splitlines()
    )


def test_preview_shows_creates_and_updates_and_writes_nothing(sqlite_env) -> None:
    env = sqlite_env
    existing = env.contact(email="known@example.com", lastname="Known", company="K", jobtitle="CTO", **HOT)
    env.run()
    env.hs.touch("contacts", existing, {"lastname": "Renamed"})
    env.contacts(
        [{"email": f"new{i}@example.com", "lastname": f"New{i}", "company": "N", **HOT} for i in range(6)]
    )
    (lead,) = env.sf_by_ma_id("Lead", existing)
    before_store = table_counts(env)
    before_leads = env.sf_rows("Lead")
    env.reset_calls()

    result = env.cli("mappings", "preview", "handoff", "--limit", "5")

    assert result.code == 0, result
    text = " ".join(result.stdout.split())
    assert f"update Lead {lead['Id']}" in text
    assert "LastName: 'Known' → 'Renamed'" in text
    assert text.count("create Lead") == 4
    assert "Email: None → 'new0@example.com'" in text
    assert "Phone: None → None" not in text  # a blank field of a new record is no change
    assert "more changes than --limit 5" in text
    # It read once and mirrored Salesforce (token, Lead and Contact describes, three queries); the run
    # would add one upsert for the creates, one update by Id and one writeback batch.
    assert "API calls for these records: hubspot 2, salesforce 8" in text
    assert "(the preview itself used hubspot 1, salesforce 6)" in text
    assert env.sf.calls.get("collections_upsert", 0) == 0
    assert env.hs.calls.get("batch_update", 0) == 0
    assert env.sf_rows("Lead") == before_leads
    assert table_counts(env) == before_store

    outcome = env.run()  # the preview moved no cursor: the run still sees every change

    assert (outcome.counts["created"], outcome.counts["updated"]) == (6, 1)
