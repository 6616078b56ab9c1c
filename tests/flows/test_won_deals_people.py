"""The people of won deals: the MA's own contact when the CRM is the MA's portal (through the handoff's
link), found or created by email in a CRM that is another portal, never twice."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from won_world import FLOW, by, deals, linked, records

from connector.sandbox.server import start_sandbox

HOT = {"hubspotscore": "90"}


def won_opportunity(env, account_id: str, contact_id: str) -> str:
    [opportunity] = env.sf_seed(
        "Opportunity",
        {
            "Name": "Conv Co - Pro",
            "StageName": "Closed Won",
            "CloseDate": "2026-11-30",
            "AccountId": account_id,
        },
    )
    product = env.sf_seed("Product2", {"Name": "revloop Pro", "ProductCode": "RL-PRO"})[0]
    env.sf_seed("OpportunityLineItem", {"OpportunityId": opportunity, "Product2Id": product, "Quantity": 1,
                                        "UnitPrice": 150000, "TotalPrice": 150000})  # fmt: skip
    env.sf_seed("OpportunityContactRole", {"OpportunityId": opportunity, "ContactId": contact_id,
                                           "Role": "Decision Maker"})  # fmt: skip
    return opportunity


def won_by_two(env, company: str, *people: tuple[str, str, str]) -> tuple[str, list[str]]:
    """A won opportunity of ``company`` whose contact roles are two people (last, first name, email)."""
    [account] = env.sf_seed("Account", {"Name": company})
    rows = [{"LastName": last, "FirstName": first, "Email": email, "AccountId": account}
            for last, first, email in people]  # fmt: skip
    ids = env.sf_seed("Contact", *rows)
    opportunity = won_opportunity(env, account, ids[0])
    env.sf_seed("OpportunityContactRole", {"OpportunityId": opportunity, "ContactId": ids[1], "Role": "User"})
    return opportunity, ids


def test_the_handoffs_person_becomes_the_customer_when_the_crm_is_the_mas_portal(env):
    """Form fill → MQL → Salesforce Lead → converted → won: the same HubSpot contact becomes a customer,
    found through the handoff's link even after sales changed the Contact's email."""
    contact = env.contact(
        email="conv@example.com", firstname="Kei", lastname="Convert", company="Conv Co", **HOT
    )
    env.run("handoff")
    (lead,) = env.sf_by_ma_id("Lead", contact)
    converted = env.sf.convert_lead(lead["Id"])
    env.hs.touch("contacts", contact, {"jobtitle": "Director"})
    env.run("handoff")  # follows the conversion: the link now holds the Contact
    env.sf.touch("Contact", converted["contactId"], {"Email": "kei@conv.example.com"})
    opportunity = won_opportunity(env, converted["accountId"], converted["contactId"])

    outcome = env.run(FLOW)

    assert outcome.status == "ok", outcome
    people = records(env, "contacts")
    assert [person["hs_object_id"] for person in people] == [contact]  # no second contact
    assert people[0]["lifecyclestage"] == "customer"
    deal = deals(env)[opportunity]
    assert linked(env, "deals", deal["hs_object_id"], "contacts") == {contact}


def test_an_unlinked_salesforce_contact_is_found_by_email_in_the_mas_portal(env):
    """A person sales added in Salesforce, whom marketing also knows: found by email, linked, not doubled."""
    known = env.contact(email="known@example.com", firstname="Marketing", lastname="Spelling")
    [account] = env.sf_seed("Account", {"Name": "Known Co"})
    sales_typed = {"LastName": "Sales", "FirstName": "Given", "Email": "KNOWN@example.com"}
    sales_typed["AccountId"] = account
    [person] = env.sf_seed("Contact", sales_typed)
    won_opportunity(env, account, person)

    env.run(FLOW)

    [contact] = records(env, "contacts")
    assert contact["hs_object_id"] == known
    assert (contact["firstname"], contact["lastname"], contact["lifecyclestage"]) == (
        "Marketing", "Spelling", "customer",
    )  # marketing's names stay (target_wins_unless_blank)  # fmt: skip
    assert ("hubspot", "contacts", known) in env.link_keys() and (
        "salesforce",
        "Contact",
        person,
    ) in env.link_keys()


@pytest.fixture
def crm_portal(tmp_path) -> Iterator:
    """A second HubSpot portal, the CRM, in a sandbox of its own."""
    with start_sandbox(tmp_path / "crm", systems=["hubspot"]) as sandbox:
        yield sandbox


def use_crm_portal(env, sandbox) -> None:
    """[systems.crm] pointing at the other portal, and the won_deals flow writing to it."""
    fake = sandbox.service("hubspot")
    token = fake.issue_credentials()["access_token"]
    secret = env.config_path.parent / "secrets" / "crm-token"
    secret.write_text(token + "\n", encoding="utf-8")
    secret.chmod(0o600)
    table = (
        f'\n[systems.crm]\nkind = "hubspot"\nbase_url = "{sandbox.url("hubspot")}"\n'
        f'ca_bundle = "{sandbox.ca_bundle}"\nallow_private_network = true\naccess_token_file = "{secret}"\n'
        "read_lag_s = 0\n"
    )
    text = env.config_path.read_text(encoding="utf-8")
    start = text.index("[flows.won_deals]")
    flow = text[start:].replace('target = "hubspot"', 'target = "crm"', 1)
    env.config_path.write_text(text[:start] + flow + table, encoding="utf-8")


def test_a_crm_that_is_another_portal_gets_its_own_contacts_by_email_once(env, crm_portal, tmp_path):
    use_crm_portal(env, crm_portal)
    crm = crm_portal.service("hubspot")
    ma_contact = env.contact(email="dual@example.com", firstname="Dual", lastname="Portal", **HOT)
    [account] = env.sf_seed("Account", {"Name": "Dual Co", "Website": "dual.example.com"})
    [person] = env.sf_seed("Contact", {"LastName": "Portal", "FirstName": "Dual", "Email": "dual@example.com",
                                       "AccountId": account})  # fmt: skip
    opportunity = won_opportunity(env, account, person)

    outcome = env.run(FLOW)
    env.sf.touch(
        "OpportunityContactRole", env.sf_rows("OpportunityContactRole")[0]["Id"], {"Role": "Evaluator"}
    )
    again = env.run(FLOW)

    assert outcome.status == again.status == "ok", (outcome, again)
    assert set(outcome.api_calls) == {"salesforce", "crm"}
    with crm.lock:
        people = [dict(r.properties) for r in crm.portal.table("contacts").scan()]
        deal = [dict(r.properties) for r in crm.portal.table("deals").scan()]
    assert [(p["email"], p["lifecyclestage"]) for p in people] == [("dual@example.com", "customer")]
    assert crm.creates_per_key("contacts", "email") == {"dual@example.com": 1}
    assert deal[0]["revloop_salesforce_opportunity_id"] == opportunity
    assert (
        env.contact_properties(ma_contact).get("lifecyclestage") != "customer"
    )  # the MA portal is not the CRM
    assert ("crm", "contacts", people[0]["hs_object_id"]) in env.link_keys()
    assert by(env, "deals", "revloop_salesforce_opportunity_id") == {}


def test_an_evangelist_stays_one_and_a_lead_becomes_a_customer(env):
    """lifecyclestage is ordered in the shipped mapping: a won deal moves people forward, never back."""
    fan = env.contact(
        email="fan@example.jp", firstname="Fan", lastname="Evangelist", lifecyclestage="evangelist"
    )
    newcomer = env.contact(email="new@example.jp", firstname="New", lastname="Buyer", lifecyclestage="lead")
    opportunity, _ = won_by_two(env, "Order Co", ("Evangelist", "Fan", "fan@example.jp"),
                                     ("Buyer", "New", "new@example.jp"))  # fmt: skip

    outcome = env.run(FLOW)

    assert outcome.status == "ok", outcome
    assert env.contact_properties(fan)["lifecyclestage"] == "evangelist"
    assert env.contact_properties(newcomer)["lifecyclestage"] == "customer"
    assert linked(env, "deals", deals(env)[opportunity]["hs_object_id"], "contacts") == {fan, newcomer}


def test_a_contact_won_deals_created_is_not_handed_back_to_salesforce(env):
    """Sales' own buyer becomes a HubSpot contact through won deals; the handoff, which never handed her
    off, leaves her alone (no Lead, no write with "Qualified: rule not met")."""
    [account] = env.sf_seed("Account", {"Name": "Direct Co"})
    buyer = {"LastName": "Direct", "FirstName": "Buyer", "Email": "buyer@direct.example"}
    [person] = env.sf_seed("Contact", {**buyer, "AccountId": account})
    won_opportunity(env, account, person)
    assert env.run(FLOW).status == "ok"
    [created] = records(env, "contacts")
    before = env.sf_row("Contact", person)
    env.reset_calls()

    outcome = env.run("handoff")

    assert outcome.status == "ok" and outcome.counts.get("not_qualified") == 1, outcome
    assert env.sf.calls.get("collections_upsert", 0) == 0 and env.creates() == {}
    assert env.sf_row("Contact", person) == before and created["lifecyclestage"] == "customer"


def test_a_contact_role_removed_in_salesforce_leaves_the_deal_and_can_come_back(env):
    """Deleting a role does not change its opportunity: the roles stream reads deletions (queryAll)."""
    opportunity, people = won_by_two(env, "Roles Co", ("Stays", "Buyer", "stays@roles.example"),
                                     ("Leaves", "User", "leaves@roles.example"))  # fmt: skip
    [role] = [r["Id"] for r in env.sf_rows("OpportunityContactRole") if r["ContactId"] == people[1]]
    assert env.run(FLOW).status == "ok"
    deal = deals(env)[opportunity]["hs_object_id"]
    stays, leaves = (by(env, "contacts", "email")[f"{name}@roles.example"] for name in ("stays", "leaves"))
    assert linked(env, "deals", deal, "contacts") == {stays["hs_object_id"], leaves["hs_object_id"]}
    stamp = env.sf_row("Opportunity", opportunity)["SystemModstamp"]
    env.sf.advance_clock(5)

    env.sf.delete("OpportunityContactRole", role)
    assert env.sf_row("Opportunity", opportunity)["SystemModstamp"] == stamp  # the opportunity is as it was
    outcome = env.run(FLOW)

    assert outcome.status == "ok" and outcome.counts["people_removed"] == 1, outcome
    assert linked(env, "deals", deal, "contacts") == {stays["hs_object_id"]}
    assert env.contact_properties(leaves["hs_object_id"])["lifecyclestage"] == "customer"  # a buyer still
    assert env.run(FLOW).counts.get("people_removed") is None  # done once

    env.sf.advance_clock(5)
    env.sf_seed("OpportunityContactRole", {"OpportunityId": opportunity, "ContactId": people[1]})
    assert env.run(FLOW).status == "ok"
    assert linked(env, "deals", deal, "contacts") == {stays["hs_object_id"], leaves["hs_object_id"]}


def test_a_buyer_typed_full_width_or_with_a_display_name_finds_marketings_contact(env):
    known = env.contact(email="taro.yamada@acme.example.jp", firstname="太郎", lastname="山田")
    typed_by_sales = ("山田", "太郎", "ＴＡＲＯ．ＹＡＭＡＤＡ＠acme.example.jp")
    opportunity, _ = won_by_two(env, "株式会社アクメ", typed_by_sales,
                                ("佐藤", "花子", "佐藤 花子 <hanako.sato@acme.example.jp>"))  # fmt: skip

    assert env.run(FLOW).status == "ok"

    people = by(env, "contacts", "email")
    assert people["taro.yamada@acme.example.jp"]["hs_object_id"] == known  # no second 山田 太郎
    assert set(people) == {"taro.yamada@acme.example.jp", "hanako.sato@acme.example.jp"}
    deal = deals(env)[opportunity]["hs_object_id"]
    assert linked(env, "deals", deal, "contacts") == {p["hs_object_id"] for p in people.values()}


def test_a_removed_role_keeps_a_person_another_role_of_the_deal_still_holds(env):
    """Two Salesforce Contacts on one department inbox are one CRM contact: removing one's role leaves it."""
    opportunity, contacts = won_by_two(env, "Shared Co", ("Sales", "Dept", "info@shared.example"),
                                       ("Sales", "Team", "info@shared.example"))  # fmt: skip
    assert env.run(FLOW).status == "ok"
    (person,) = records(env, "contacts")
    deal = deals(env)[opportunity]["hs_object_id"]
    assert linked(env, "deals", deal, "contacts") == {person["hs_object_id"]}
    [role] = [r["Id"] for r in env.sf_rows("OpportunityContactRole") if r["ContactId"] == contacts[1]]
    env.sf.advance_clock(5)

    env.sf.delete("OpportunityContactRole", role)
    outcome = env.run(FLOW)

    assert outcome.status == "ok" and outcome.counts.get("people_removed", 0) == 0, outcome
    assert linked(env, "deals", deal, "contacts") == {person["hs_object_id"]}
