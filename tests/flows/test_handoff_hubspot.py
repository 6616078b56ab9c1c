"""HubSpot → Salesforce handoff, first run: who qualifies, how fields map, who owns it, what goes back."""

from __future__ import annotations

MA_ID = "Revloop_MA_Id__c"


def test_only_qualifying_contacts_become_leads(env) -> None:
    by_score = env.contact(email="score@example.com", lastname="Score", company="A", hubspotscore=80)
    by_rule = env.contact(
        email="rule@example.com",
        lastname="Rule",
        company="B",
        hubspotscore=5,
        revloop_pricing_page_views=2,
        revloop_case_study_downloads=1,
        revloop_contact_form_visits=1,
    )
    almost_by_rule = env.contact(  # the contact form was never reached
        email="almost@example.com",
        lastname="Almost",
        company="C",
        hubspotscore=5,
        revloop_pricing_page_views=9,
        revloop_case_study_downloads=3,
    )
    below = env.contact(email="cold@example.com", lastname="Cold", company="D", hubspotscore=79)

    outcome = env.run()

    assert outcome.status == "ok", outcome
    assert outcome.counts["created"] == 2
    assert outcome.counts["not_qualified"] == 2
    assert sorted(row[MA_ID] for row in env.sf_rows("Lead")) == sorted([by_score, by_rule])
    for contact in (almost_by_rule, below):
        assert env.sf_by_ma_id("Lead", contact) == []
        assert "revloop_salesforce_id" not in env.contact_properties(contact)
    (rule_lead,) = env.sf_by_ma_id("Lead", by_rule)
    assert rule_lead["Revloop_Qualification__c"].startswith("rule: pricing_views >= 2")
    (score_lead,) = env.sf_by_ma_id("Lead", by_score)
    assert score_lead["Revloop_Qualification__c"] == "score 80 ≥ 80"


def test_fields_are_normalised_defaulted_and_given_context(env) -> None:
    full = env.contact(
        email="ｈａｎａｋｏ.ｔａｎａｋａ@sakura.example.jp",
        firstname=" Ｈａｎａｋｏ ",
        lastname="Ｔａｎａｋａ",
        company="さくら物産　 株式会社",
        phone="03-1234-5678",
        jobtitle="  Head   of  Sales ",
        hs_lead_status="IN_PROGRESS",
        hubspotscore=91,
        revloop_pricing_page_views=3,
        hs_analytics_source_data_1="2026-webinar-revops",
    )
    bare = env.contact(email="info@hokuto.example.jp", hubspotscore=95)

    assert env.run().status == "ok"

    (lead,) = env.sf_by_ma_id("Lead", full)
    assert lead["FirstName"] == "Hanako"
    assert lead["LastName"] == "Tanaka"
    assert lead["Email"] == "hanako.tanaka@sakura.example.jp"
    assert lead["Company"] == "さくら物産 株式会社"
    assert lead["Phone"] == "+81312345678"
    assert lead["Title"] == "Head of Sales"
    assert lead["Rating"] == "Hot"
    assert lead["LeadSource"] == "Web"
    assert lead["Description"].splitlines() == [
        "Qualified: score 91 ≥ 80",
        "Engaged with: pricing_views 3",
        "Campaign: 2026-webinar-revops",
    ]
    (defaults,) = env.sf_by_ma_id("Lead", bare)
    assert defaults["LastName"] == "(unknown)"
    assert defaults["Company"] == "(not provided)"
    assert defaults["Email"] == "info@hokuto.example.jp"


def test_the_assignment_rule_picks_the_owner(env) -> None:
    ids = env.contacts(
        [{"email": f"p{i}@example.com", "lastname": f"P{i}", "company": "X", **{"hubspotscore": 90}}
         for i in range(4)]
    )  # fmt: skip

    assert env.run().status == "ok"

    owners = {env.sf_by_ma_id("Lead", contact)[0]["OwnerId"] for contact in ids}
    assert owners == set(env.rep_ids)  # round robin over the active reps, never the integration user


def test_writeback_tells_hubspot_the_salesforce_id_status_and_stage(env) -> None:
    contact = env.contact(email="wb@example.com", lastname="Back", company="W", hubspotscore=88)

    outcome = env.run()

    (lead,) = env.sf_by_ma_id("Lead", contact)
    properties = env.contact_properties(contact)
    assert properties["revloop_salesforce_id"] == lead["Id"]
    assert properties["revloop_sync_status"] == "created"
    assert properties["lifecyclestage"] == "salesqualifiedlead"
    assert outcome.counts["written_back"] == 1
    assert outcome.api_calls["hubspot"]["batch.update"] == 1


def test_lifecycle_stage_moved_on_in_hubspot_is_not_set_back(env) -> None:
    """lifecyclestage is source_wins in [writeback]: set once, then HubSpot's own value is kept."""
    contact = env.contact(email="stage@example.com", lastname="Stage", company="S", hubspotscore=88)
    env.run()
    env.hs.touch("contacts", contact, {"lifecyclestage": "opportunity", "jobtitle": "CFO"})

    env.run()

    properties = env.contact_properties(contact)
    assert properties["lifecyclestage"] == "opportunity"
    assert env.sf_by_ma_id("Lead", contact)[0]["Title"] == "CFO"


def test_a_named_system_keys_its_state_apart_from_the_kinds_table(env) -> None:
    """A second HubSpot portal as [systems.portal2]: its links, cursors and API usage carry its name, so
    two portals of one kind (whose record ids overlap) never share state."""
    text = env.config_path.read_text(encoding="utf-8")
    hubspot = text[text.index("[hubspot]") :].split("\n\n")[0]
    portal2 = hubspot.replace("[hubspot]", '[systems.portal2]\nkind = "hubspot"')
    text = text.replace('source = "hubspot"', 'source = "portal2"') + "\n" + portal2 + "\n"
    env.config_path.write_text(text, encoding="utf-8")
    contact = env.contact(email="named@example.com", lastname="Named", company="A", hubspotscore=90)

    outcome = env.run()

    assert outcome.status == "ok", outcome
    assert set(outcome.api_calls) == {"portal2", "salesforce"}
    (lead,) = env.sf_by_ma_id("Lead", contact)
    keys = env.link_keys()
    assert ("portal2", "contacts", contact) in keys
    assert ("salesforce", "Lead", lead["Id"]) in keys
    assert not [key for key in keys if key[0] == "hubspot"]
