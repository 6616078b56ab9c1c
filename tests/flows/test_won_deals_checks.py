"""Won deals through the Flow protocol: `mappings check` against live schemas, `mappings preview`, the
offline config checks, and the bulk first load."""

from __future__ import annotations

from won_world import ACME, FLOW, GLOBEX, OPEN, deals, seed, use_mapping


def test_mappings_check_passes_for_the_shipped_mapping(sqlite_env):
    result = sqlite_env.cli("mappings", "check", FLOW)

    assert result.code == 0, result
    assert "won_deals:" in result.stdout and result.stdout.count(": ok") == 1


def test_mappings_check_names_every_problem_with_its_key(sqlite_env, tmp_path):
    use_mapping(sqlite_env, tmp_path, [
        ('"Closed Won" = "closedwon" }', '"Closed Won" = "wonwon", "Won Big" = "closedwon" }'),
        ('reversal_stage = "closedlost"', 'reversal_stage = "lostlost"'),
        ('from = "Account.Website"', 'from = "Account.Webiste"'),
        ('[line_items.fields.quantity]\nfrom = "Quantity"', '[line_items.fields.quantity]\nfrom = "Qty"'),
        ('upsert_key = "revloop_salesforce_line_id"', 'upsert_key = "name"'),
        ('value = "customer"', 'value = "client"'),
    ])  # fmt: skip

    result = sqlite_env.cli("mappings", "check", FLOW)

    assert result.code == 2
    out = result.stdout
    assert "stages.map.Closed Won: 'wonwon' is not an option of deals.dealstage" in out
    assert "stages.map: 'Won Big' is not a value of Opportunity.StageName" in out
    assert "won.reversal_stage: 'lostlost' is not an option of deals.dealstage" in out
    assert "source: Opportunity has no field 'Account.Webiste'" in out
    assert "line_items: OpportunityLineItem has no field 'Qty'" in out
    assert "line_items.upsert_key: line_items.name is not an external-id field" in out
    assert "people.fields.lifecyclestage.value" in out and "client" in out


def test_a_broken_mapping_is_a_config_problem_offline(sqlite_env, tmp_path):
    use_mapping(
        sqlite_env, tmp_path, [('on_reversal = "move_to_stage"', 'on_reversal = "move_to_stage"\nhue = 1')]
    )

    result = sqlite_env.cli("config", "check")

    assert result.code == 2
    assert "won_deals.toml: won.hue: unknown key" in result.stderr
    assert sqlite_env.cli("status").code == 0  # a broken mapping does not block the admin commands


def test_preview_shows_what_a_run_would_do_and_writes_nothing(sqlite_env):
    env = sqlite_env
    ids = seed(env, ACME, GLOBEX, OPEN)
    env.reset_calls()

    result = env.cli("mappings", "preview", FLOW)

    assert result.code == 0, result
    assert result.stdout.count("create deal") == 2 and ids["Opportunity"][2] not in result.stdout
    assert "create company" in result.stdout and "2 line items" in result.stdout
    assert "dealname: None → 'Acme - Pro'" in result.stdout
    assert deals(env) == {} and env.waiting("deals") == []
    assert not any(name.startswith(("batch_upsert", "batch_update", "associations")) for name in env.hs.calls)
    assert env.run(FLOW).counts["deals_created"] == 2  # the cursor did not move


def test_a_large_first_load_reads_opportunities_with_a_bulk_job(sqlite_env, tmp_path):
    """More opportunities than one page and than bulk_above: one Bulk API 2.0 query job reads them."""
    env = sqlite_env
    use_mapping(env, tmp_path, [("bulk_above = 20000", "bulk_above = 2000")])
    seed(env, ACME, GLOBEX, *[OPEN] * 2001)

    first = env.run(FLOW)

    assert first.status == "ok" and len(deals(env)) == 2
    assert env.sf.calls["bulk_query_create"] == 1
    env.reset_calls()
    second = env.run(FLOW)  # from the bulk read's cursor: changes only
    assert env.sf.calls.get("bulk_query_create") is None and second.counts.get("deals_created") is None


def test_a_small_first_load_reads_pages_of_a_query(sqlite_env):
    env = sqlite_env
    seed(env, ACME)

    outcome = env.run(FLOW)

    assert outcome.status == "ok" and env.sf.calls.get("bulk_query_create") is None
    assert env.sf.calls["query"] >= 1 and len(deals(env)) == 1


def test_a_property_the_crm_lacks_pauses_the_flow_with_the_records_waiting(sqlite_env, tmp_path):
    env = sqlite_env
    use_mapping(env, tmp_path, [("[fields.amount]", '[fields.deal_rating]\nvalue = "A"\n\n[fields.amount]')])
    seed(env, ACME)

    outcome = env.run(FLOW)

    assert outcome.status == "paused" and deals(env) == {}
    assert "PROPERTY_DOESNT_EXIST" in outcome.message and "deal_rating" in outcome.message
    assert [row["state"] for row in env.waiting("deals")] == ["pending"]  # nothing lost: it waits for the fix
    assert env.run(FLOW).status == "paused"  # until `revloop flows resume won_deals`


def test_two_flows_sharing_one_crms_deals_need_a_key_prefix(sqlite_env):
    env = sqlite_env
    text = env.config_path.read_text(encoding="utf-8")
    salesforce = text[text.index("[salesforce]") :].split("\n\n")[0]
    second = salesforce.replace("[salesforce]", '[systems.sf2]\nkind = "salesforce"')
    flow = text[text.index("[flows.won_deals]") :].split("\n\n")[0]
    other = flow.replace("[flows.won_deals]", '[flows.won_deals_jp]\nkind = "won_deals"').replace(
        'source = "salesforce"', 'source = "sf2"'
    )
    env.config_path.write_text(f"{text}\n{second}\n\n{other}\n", encoding="utf-8")

    result = env.cli("config", "check")

    assert result.code == 2
    assert "flows.won_deals_jp: upserts hubspot deals on revloop_salesforce_opportunity_id" in result.stderr
    assert "key_prefix" in result.stderr
