"""Conflict rules per field: what sales typed in Salesforce survives where the mapping says it should."""

from __future__ import annotations

HOT = {"hubspotscore": 90}


def synced_lead(env, **properties) -> tuple[str, str]:
    """A contact whose Lead revloop created; returns (contact id, Lead id)."""
    contact = env.contact(email="conf@example.com", lastname="Conflict", company="C", **HOT, **properties)
    env.run()
    (lead,) = env.sf_by_ma_id("Lead", contact)
    return contact, lead["Id"]


def test_target_wins_unless_blank_keeps_a_phone_sales_entered(env) -> None:
    contact, lead_id = synced_lead(env, phone="03-1111-1111")
    env.sf.touch("Lead", lead_id, {"Phone": "+81 3-2222-2222 (direct)"})

    env.hs.touch("contacts", contact, {"phone": "03-3333-3333", "lastname": "Changed"})
    outcome = env.run()

    assert outcome.counts["updated"] == 1
    lead = env.sf_row("Lead", lead_id)
    assert lead["LastName"] == "Changed"
    assert lead["Phone"] == "+81 3-2222-2222 (direct)"


def test_target_wins_unless_blank_fills_a_phone_sales_cleared(env) -> None:
    contact, lead_id = synced_lead(env, phone="03-1111-1111")
    env.sf.touch("Lead", lead_id, {"Phone": None})

    env.hs.touch("contacts", contact, {"phone": "03-4444-4444"})
    env.run()

    assert env.sf_row("Lead", lead_id)["Phone"] == "+81344444444"


def test_target_wins_keeps_a_title_sales_changed(env) -> None:
    contact, lead_id = synced_lead(env, jobtitle="Engineer")
    env.sf.touch("Lead", lead_id, {"Title": "Head of Platform"})

    env.hs.touch("contacts", contact, {"jobtitle": "Senior Engineer", "company": "C2"})
    env.run()

    lead = env.sf_row("Lead", lead_id)
    assert lead["Title"] == "Head of Platform"
    assert lead["Company"] == "C2"


def test_target_wins_updates_a_title_sales_left_alone(env) -> None:
    contact, lead_id = synced_lead(env, jobtitle="Engineer")

    env.hs.touch("contacts", contact, {"jobtitle": "Senior Engineer"})
    env.run()

    assert env.sf_row("Lead", lead_id)["Title"] == "Senior Engineer"


def test_source_wins_fields_overwrite_what_sales_typed(env) -> None:
    contact, lead_id = synced_lead(env, firstname="Ken", jobtitle="Engineer")
    env.sf.touch("Lead", lead_id, {"FirstName": "Kenneth", "Company": "Typed by sales"})

    env.hs.touch("contacts", contact, {"company": "C3"})
    outcome = env.run()

    assert outcome.counts["updated"] == 1
    lead = env.sf_row("Lead", lead_id)
    assert lead["Company"] == "C3"
    assert lead["FirstName"] == "Ken"
