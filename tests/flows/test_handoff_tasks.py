"""Follow-up Tasks: one per newly linked person, for the owner Salesforce's assignment rule picked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

HOT = {"hubspotscore": 90}

TASK_KEY = "Revloop_Task_Key__c"


def use_mapping(env, tmp_path, old: str, new: str) -> None:
    shipped = env.config.flow("handoff").mapping
    variant = tmp_path / "variant.toml"
    text = shipped.read_text(encoding="utf-8")
    assert old in text
    variant.write_text(text.replace(old, new), encoding="utf-8")
    config = env.config_path.read_text(encoding="utf-8")
    env.config_path.write_text(config.replace(str(shipped), str(variant)), encoding="utf-8")


def test_a_new_lead_gets_one_task_for_the_owner_the_assignment_rule_picked(env) -> None:
    contact = env.contact(email="task@example.com", lastname="Tanaka", company="T", **HOT)

    outcome = env.run()

    assert outcome.counts["tasks"] == 1, outcome
    (lead,) = env.sf_by_ma_id("Lead", contact)
    (task,) = env.sf_rows("Task")
    assert lead["OwnerId"] in env.rep_ids  # chosen by the fake's active assignment rule
    assert (task["WhoId"], task["OwnerId"]) == (lead["Id"], lead["OwnerId"])
    assert task["Subject"] == "Follow up: new MQL Tanaka"
    assert (task["Priority"], task["Status"]) == ("High", "Not Started")
    assert task["Description"].startswith("Why: score 90 ≥ 80")
    due = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    assert task["ActivityDate"] == due
    assert task[TASK_KEY] == f"handoff:{contact}"

    env.hs.touch("contacts", contact, {"jobtitle": "CTO"})
    later = env.run()

    assert later.counts["updated"] == 1, later
    assert "tasks" not in later.counts  # an update is no new handoff
    assert env.sf.creates_by_key("Task", TASK_KEY) == {f"handoff:{contact}": 1}


def test_on_created_skips_people_linked_to_an_existing_lead(env, tmp_path) -> None:
    use_mapping(env, tmp_path, 'on = "both"', 'on = "created"')
    existing = env.sf_seed(
        "Lead",
        {"LastName": "Old", "Company": "O", "Email": "old@old-co.example.com", "OwnerId": env.rep_ids[0]},
    )[0]
    linked = env.contact(email="old@old-co.example.com", lastname="Old", company="O", **HOT)
    new = env.contact(email="new@example.com", lastname="New", company="N", **HOT)

    outcome = env.run()

    assert (outcome.counts["linked"], outcome.counts["created"], outcome.counts["tasks"]) == (1, 1, 1)
    (task,) = env.sf_rows("Task")
    assert task[TASK_KEY] == f"handoff:{new}"
    assert task["WhoId"] != existing
    assert env.sf_by_ma_id("Lead", linked) == []  # linked by Id: the old Lead keeps its own key
