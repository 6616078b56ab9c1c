"""Won deals end to end (SFA → CRM) on the fakes with the real client libraries: a won opportunity becomes
a deal with its company, line items, products and people, once; changes after winning follow it; a
reversal moves the deal; a rerun with nothing changed writes nothing."""

from __future__ import annotations

import pytest
from won_world import ACME, FLOW, GLOBEX, OPEN, by, crm_writes, deals, linked, records, seed

from connector.demo.sales import Person, Sale


def test_a_won_opportunity_becomes_a_deal_with_company_line_items_and_customers(env):
    ids = seed(env, ACME, GLOBEX, OPEN)

    outcome = env.run(FLOW)

    assert outcome.status == "ok", outcome
    acme, globex, _still_open = ids["Opportunity"]
    found = deals(env)
    assert set(found) == {acme, globex}  # the open opportunity stays in Salesforce
    deal = found[acme]
    assert (deal["dealname"], deal["amount"], deal["deal_currency_code"]) == ("Acme - Pro", "330000", "JPY")
    assert (deal["pipeline"], deal["dealstage"]) == ("default", "closedwon")
    assert deal["closedate"] == "2026-11-30T00:00:00.000Z"
    globex_deal = found[globex]
    assert (globex_deal["amount"], globex_deal["deal_currency_code"]) == ("150000", "USD")  # its own currency

    company = by(env, "companies", "revloop_salesforce_account_id")[ids["Account"][0]]
    assert (company["name"], company["domain"]) == ("株式会社アクメ", "acme.example.jp")
    assert linked(env, "deals", deal["hs_object_id"], "companies") == {company["hs_object_id"]}

    products = by(env, "products", "hs_sku")
    assert set(products) == {"RL-PRO", "RL-OPT-JA", "RL-BASIC"}  # created once, shared by both deals
    lines = by(env, "line_items", "revloop_salesforce_line_id")
    acme_lines = {line["hs_object_id"] for line in lines.values() if line["hs_product_id"] in
                  {products["RL-PRO"]["hs_object_id"], products["RL-OPT-JA"]["hs_object_id"]}}  # fmt: skip
    assert linked(env, "deals", deal["hs_object_id"], "line_items") == acme_lines
    pro = lines[ids["OpportunityLineItem"][0]]
    assert (pro["name"], pro["quantity"], pro["price"], pro["hs_line_item_currency_code"]) == (
        "revloop Pro", "2", "150000", "JPY",
    )  # fmt: skip

    people = by(env, "contacts", "email")
    taro = people["taro@acme.example.jp"]
    assert (taro["firstname"], taro["lastname"], taro["lifecyclestage"]) == ("太郎", "山田", "customer")
    assert linked(env, "deals", deal["hs_object_id"], "contacts") == {taro["hs_object_id"]}
    assert outcome.counts["deals_created"] == 2 and outcome.counts["people"] == 2


def test_a_rerun_with_nothing_changed_writes_nothing_and_reads_each_stream_once(env):
    seed(env, ACME, GLOBEX, modified="2026-11-01T00:00:00.000+0000")
    assert env.run(FLOW).status == "ok"
    env.reset_calls()

    outcome = env.run(FLOW)

    assert outcome.status == "ok" and crm_writes(env) == 0
    # opportunities and line items: one query each; contact roles: one queryAll (deletions too)
    assert (env.sf.calls["query"], env.sf.calls["query_all"]) == (2, 1)
    assert outcome.api_calls.get("hubspot", {}) == {}


def test_a_deal_changed_after_winning_follows_and_a_removed_line_item_is_archived(env):
    ids = seed(env, ACME)
    env.run(FLOW)
    acme = ids["Opportunity"][0]
    removed, kept = ids["OpportunityLineItem"]
    before = by(env, "line_items", "revloop_salesforce_line_id")
    env.sf.advance_clock(5)
    env.sf.delete("OpportunityLineItem", removed)
    env.sf.touch("OpportunityLineItem", kept, {"Quantity": 4})
    added = env.sf.seed({"OpportunityLineItem": [{"OpportunityId": acme, "Product2Id": ids["Product2"][0],
                                                   "Quantity": 1, "UnitPrice": 50000}]})  # fmt: skip

    outcome = env.run(FLOW)

    assert outcome.status == "ok", outcome
    deal = deals(env)[acme]
    assert deal["amount"] == "120000"  # 4 × 30,000: Salesforce rolled the Amount up; the new line is not yet
    lines = by(env, "line_items", "revloop_salesforce_line_id")
    assert removed not in lines  # archived in HubSpot
    assert lines[kept]["quantity"] == "4" and lines[kept]["hs_object_id"] == before[kept]["hs_object_id"]
    assert added["OpportunityLineItem"][0] in lines
    assert linked(env, "deals", deal["hs_object_id"], "line_items") == {
        lines[kept]["hs_object_id"],
        lines[added["OpportunityLineItem"][0]]["hs_object_id"],
    }
    assert outcome.counts["line_items_removed"] == 1 and outcome.counts["deals_updated"] == 1


def test_a_reopened_deal_moves_to_the_reversal_stage_and_back_when_won_again(env):
    ids = seed(env, ACME)
    env.run(FLOW)
    acme = ids["Opportunity"][0]

    env.sf.touch("Opportunity", acme, {"StageName": "Negotiation/Review"})
    outcome = env.run(FLOW)

    assert outcome.counts["reversed"] == 1
    deal = deals(env)[acme]
    assert (deal["dealstage"], deal["amount"]) == ("closedlost", "330000")  # only the stage moved
    env.sf.touch("Opportunity", acme, {"StageName": "Closed Won"})
    env.run(FLOW)
    assert deals(env)[acme]["dealstage"] == "closedwon"
    assert len(records(env, "deals")) == 1


def test_a_reversal_can_be_an_error_row_instead(env, tmp_path):
    from won_world import use_mapping

    use_mapping(env, tmp_path, [('on_reversal = "move_to_stage"', 'on_reversal = "error"')])
    ids = seed(env, ACME)
    env.run(FLOW)
    env.sf.touch("Opportunity", ids["Opportunity"][0], {"StageName": "Closed Lost"})

    outcome = env.run(FLOW)

    assert outcome.status == "record_errors"
    [row] = env.errors(status="open")
    assert (row["stage"], row["code"]) == ("deals", "WON_DEAL_REVERSED")
    assert row["record_key"] == ids["Opportunity"][0]
    assert "was left as it is" in row["message"]
    assert deals(env)[ids["Opportunity"][0]]["dealstage"] == "closedwon"


def test_an_unmapped_won_stage_is_an_error_row(env, tmp_path):
    from won_world import use_mapping

    partner_only = 'map = { "Won - Partner" = "closedwon" }'
    use_mapping(env, tmp_path, [('map = { "Closed Won" = "closedwon" }', partner_only)])
    ids = seed(env, ACME)

    outcome = env.run(FLOW)

    assert outcome.status == "record_errors" and deals(env) == {}
    [row] = env.errors()
    assert (row["code"], row["category"]) == ("UNMAPPED_STAGE", "mapping")
    assert "'Closed Won' is not in [stages] map" in row["message"]
    assert row["record_key"] == ids["Opportunity"][0]


def test_a_currency_the_crm_lacks_is_an_error_row_not_a_converted_amount(env):
    yen_only = [{"label": "Yen", "value": "JPY", "displayOrder": 0, "hidden": False}]
    currency = {"name": "deal_currency_code", "type": "enumeration", "label": "Currency", "options": yen_only}
    env.hs.seed({"properties": {"deals": [currency]}})
    ids = seed(env, GLOBEX)

    outcome = env.run(FLOW)

    assert outcome.status == "record_errors" and deals(env) == {}
    [row] = env.errors()
    assert (row["code"], row["record_key"]) == ("INVALID_OPTION", ids["Opportunity"][0])
    assert "USD" in row["message"]


@pytest.mark.parametrize("create", [True, False])
def test_products_are_found_by_sku_and_created_only_when_the_mapping_allows(env, tmp_path, create):
    from won_world import use_mapping

    existing = env.hs.seed({"products": [{"properties": {"name": "Pro (CRM name)", "hs_sku": "RL-PRO"}}]})
    if not create:
        products = "create = true                                 # no product"
        use_mapping(env, tmp_path, [(products, "create = false # no product")])
    ids = seed(env, ACME)

    outcome = env.run(FLOW)

    products = by(env, "products", "hs_sku")
    assert products["RL-PRO"]["name"] == "Pro (CRM name)"  # found by SKU, never changed
    assert products["RL-PRO"]["hs_object_id"] == existing["products"][0]
    if create:
        assert outcome.status == "ok" and "RL-OPT-JA" in products
        assert outcome.counts["products_linked"] == 1 and outcome.counts["products_created"] == 1
    else:
        assert outcome.status == "record_errors" and "RL-OPT-JA" not in products and deals(env) == {}
        [row] = env.errors()
        assert (row["code"], row["record_key"]) == ("PRODUCT_NOT_FOUND", ids["Opportunity"][0])
        assert "'RL-OPT-JA'" in row["message"]


def test_companies_are_matched_by_domain_or_normalised_name_and_never_guessed(env):
    crm = env.hs.seed({"companies": [
        {"properties": {"name": "ACME Holdings", "domain": "acme.example.jp"}},
        {"properties": {"name": "グローベックス株式会社"}},
        {"properties": {"name": "Initech"}}, {"properties": {"name": "INITECH LLC"}},
    ]})["companies"]  # fmt: skip
    globex = Sale("Globex JP", "(株)グローベックス", lines=(("RL-BASIC", 1),))
    initech = Sale("Initech", "Initech, Inc.", lines=(("RL-BASIC", 1),))
    ids = seed(env, ACME, globex, initech)

    outcome = env.run(FLOW)

    acme, globex_id, initech_id = ids["Opportunity"]
    found = deals(env)
    assert linked(env, "deals", found[acme]["hs_object_id"], "companies") == {crm[0]}  # by domain
    by_name = linked(env, "deals", found[globex_id]["hs_object_id"], "companies")
    assert by_name == {crm[1]}  # (株)グローベックス is グローベックス株式会社
    assert initech_id not in found
    [row] = env.errors()
    assert (row["code"], row["category"]) == ("AMBIGUOUS_MATCH", "ambiguous_match")
    assert crm[2] in row["message"] and crm[3] in row["message"]
    assert "ACME Holdings" in by(env, "companies", "name")  # the CRM's name stays
    assert len(records(env, "companies")) == 4 and outcome.counts["companies_linked"] == 2


def test_two_opportunities_of_one_new_company_create_it_once(env):
    second = Sale("Acme - Option", ACME.account, ACME.website, lines=(("RL-OPT-JA", 2),))
    ids = seed(env, ACME, second)

    env.run(FLOW)

    assert len(records(env, "companies")) == 1
    company = records(env, "companies")[0]["hs_object_id"]
    assert {d["hs_object_id"] for d in deals(env).values()} == linked(env, "companies", company, "deals")
    assert len(ids["Opportunity"]) == 2 == len(deals(env))


def test_two_accounts_that_are_one_new_company_create_it_once(env):
    twin = Sale("Acme JP - Pro", "アクメ(株)", "acme.example.jp", lines=(("RL-PRO", 1),))

    seed(env, ACME, twin)
    outcome = env.run(FLOW)

    assert outcome.status == "ok" and len(deals(env)) == 2
    assert len(records(env, "companies")) == 1  # the second Account waited a batch and found it


def test_a_person_without_email_or_link_is_an_error_row(env):
    nobody = Person("名無し", "権兵衛", "")
    nameless = Sale("Acme - Pro", ACME.account, lines=(("RL-PRO", 1),), people=(nobody,))
    ids = seed(env, nameless)

    outcome = env.run(FLOW)

    assert outcome.status == "record_errors" and len(deals(env)) == 1  # the deal itself is written
    [row] = env.errors()
    assert (row["stage"], row["code"]) == ("people", "PERSON_WITHOUT_EMAIL")
    assert row["record_key"] == f"{ids['Contact'][0]}:{ids['Opportunity'][0]}"
    listed = env.cli("errors", "list")
    assert listed.code == 0 and "won_deals" in listed.stdout and "PERSON_WITHOUT_EMAIL" in listed.stdout


def test_the_crm_runs_and_errors_show_the_flow(env):
    seed(env, ACME)
    env.run(FLOW)

    status, runs = env.cli("status"), env.cli("runs")

    assert status.code == 0 and "won_deals" in status.stdout
    assert runs.code == 0 and "won_deals" in runs.stdout and "deals_created" in runs.stdout
