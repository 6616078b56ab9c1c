"""Identity (名寄せ): existing Salesforce people are found and linked, never duplicated, never guessed:
a match that is plausible but not conclusive waits in the review queue."""

from __future__ import annotations

from sqlalchemy import select

from connector.state.tables import review_cases

HOT = {"hubspotscore": 90}


def open_cases(env) -> list[dict]:
    with env.engine.connect() as connection:
        query = select(review_cases).where(review_cases.c.status == "open").order_by(review_cases.c.id)
        return [dict(row._mapping) for row in connection.execute(query)]


def existing_lead(env, **fields) -> str:
    values = {"Status": "Open - Not Contacted", "OwnerId": env.rep_ids[0], **fields}
    return env.sf_seed("Lead", values)[0]


def assert_linked(env, contact: str, lead_id: str, *, leads_before: int) -> None:
    assert len(env.sf_rows("Lead")) == leads_before
    assert env.creates() == {}
    properties = env.contact_properties(contact)
    assert properties["revloop_salesforce_id"] == lead_id
    assert properties["revloop_sync_status"] == "linked"


def test_an_upper_case_email_links_the_existing_lead(env) -> None:
    lead_id = existing_lead(
        env, FirstName="Olivia", LastName="Brown", Email="OLIVIA.BROWN@GLOBEX.EXAMPLE.COM", Company="Globex"
    )
    contact = env.contact(
        email="olivia.brown@globex.example.com",
        lastname="Brown",
        company="Globex Inc.",
        jobtitle="CIO",
        **HOT,
    )

    outcome = env.run()

    assert outcome.counts["linked"] == 1
    assert_linked(env, contact, lead_id, leads_before=1)
    lead = env.sf_row("Lead", lead_id)
    assert lead["Revloop_Qualification__c"] == "score 90 ≥ 80"  # updated by Id
    assert lead["Title"] is None  # target_wins: revloop never wrote this Lead's title, so it is Salesforce's
    assert lead["OwnerId"] == env.rep_ids[0]  # an update never runs the assignment rule


def test_a_full_width_email_links_the_existing_lead(env) -> None:
    lead_id = existing_lead(
        env, LastName="田中", Email="hanako.tanaka@sakura.example.jp", Company="さくら物産"
    )
    contact = env.contact(email="ｈａｎａｋｏ.ｔａｎａｋａ@sakura.example.jp", lastname="田中", **HOT)

    env.run()

    assert_linked(env, contact, lead_id, leads_before=1)


def test_the_same_name_at_one_company_with_another_personal_email_is_another_person(env) -> None:
    """Was: linked by company + name (the bug). (株) and 株式会社 are one company and "山田 太郎" and
    "山田太郎" one name, but a large company has several 山田 太郎: with clearly different personal
    emails they are two people, and the existing Lead is left alone."""
    lead_id = existing_lead(
        env,
        FirstName="太郎",
        LastName="山田",
        Email="taro.yamada@mirai.example.jp",
        Company="株式会社 未来テック",
    )
    before = env.sf_row("Lead", lead_id)
    contact = env.contact(
        email="t-yamada@mirai-tech.example.jp",
        firstname="",
        lastname="山田　太郎",
        company="(株)未来テック",
        **HOT,
    )

    outcome = env.run()

    assert (outcome.counts["created"], outcome.counts.get("linked", 0), outcome.counts.get("review", 0)) == (
        1, 0, 0,
    ), outcome  # fmt: skip
    (new,) = env.sf_by_ma_id("Lead", contact)
    assert new["Id"] != lead_id and new["Email"] == "t-yamada@mirai-tech.example.jp"
    assert env.sf_row("Lead", lead_id) == before
    assert env.contact_properties(contact)["revloop_sync_status"] == "created"


def test_a_lead_without_email_whose_name_and_phone_agree_waits_for_review(env) -> None:
    """Was: linked by the phone rule. A phone is weak evidence: the same name and number on a Lead with
    no email is plausible, not conclusive, so it goes to an admin and nothing is written."""
    lead_id = existing_lead(
        env, FirstName="直樹", LastName="伊藤", Company="Somewhere", Phone="+81 3-5555-0002"
    )
    before = env.sf_row("Lead", lead_id)
    contact = env.contact(
        email="naoki@elsewhere.example.jp", firstname="直樹", lastname="伊藤", company="Elsewhere",
        phone="03-5555-0002", **HOT,
    )  # fmt: skip
    env.reset_calls()

    outcome = env.run()

    assert outcome.status == "ok" and outcome.counts["review"] == 1, outcome
    assert "composite.sobjects" not in outcome.api_calls.get("salesforce", {})
    assert env.sf_row("Lead", lead_id) == before and env.creates() == {}
    ((case_id, proposed),) = [(c["id"], c["candidates"]) for c in open_cases(env)]
    assert [(p["object"], p["record_id"], p["code"]) for p in proposed] == [("Lead", lead_id, "no_email")]
    assert [row["state"] for row in env.waiting()] == ["review"]
    assert "revloop_salesforce_id" not in env.contact_properties(contact)

    assert env.cli("review", "link", str(case_id), lead_id, "--yes").code == 0
    outcome = env.run()

    assert outcome.counts["linked"] == 1, outcome
    assert_linked(env, contact, lead_id, leads_before=1)
    lead = env.sf_row("Lead", lead_id)
    assert lead["Phone"] == "+81 3-5555-0002"  # target_wins_unless_blank
    assert lead["Email"] == "naoki@elsewhere.example.jp"  # an identity field Salesforce had blank: filled


def test_two_leads_sharing_the_email_are_a_review_case_for_an_admin(env) -> None:
    """Was: an ambiguous_match error. Two records holding one email go to the review queue instead."""
    first = existing_lead(env, LastName="Clark", Email="ethan.clark@initech.example.com", Company="Initech")
    second = existing_lead(
        env, LastName="Clark", Email="Ethan.Clark@initech.example.com", Company="Initech LLC"
    )
    contact = env.contact(email="ethan.clark@initech.example.com", lastname="Clark", company="Initech", **HOT)
    before = {row["Id"]: row for row in env.sf_rows("Lead")}
    env.reset_calls()

    outcome = env.run()

    assert outcome.status == "ok" and outcome.counts["review"] == 1, outcome
    assert env.errors() == []
    (case,) = open_cases(env)
    assert (case["source_key"], case["code"]) == (contact, "several_people")
    assert {p["record_id"] for p in case["candidates"]} == {first, second}
    assert {row["Id"]: row for row in env.sf_rows("Lead")} == before
    assert "composite.sobjects" not in outcome.api_calls["salesforce"]
    assert "revloop_salesforce_id" not in env.contact_properties(contact)


def test_a_customer_accounts_person_becomes_a_contact_on_that_account(env) -> None:
    (account,) = env.sf_seed("Account", {"Name": "東京データ株式会社", "Type": "Customer"})
    env.sf_seed("Account", {"Name": "さくら物産株式会社", "Type": "Prospect"})
    customer = env.contact(
        email="naoki.ito@tokyo-data.example.jp", lastname="伊藤", company="㈱東京データ", **HOT
    )
    prospect = env.contact(email="hana@sakura.example.jp", lastname="花", company="さくら物産(株)", **HOT)

    outcome = env.run()

    assert outcome.status == "ok", outcome
    (contact_row,) = env.sf_by_ma_id("Contact", customer)
    assert contact_row["AccountId"] == account
    assert env.sf_by_ma_id("Lead", customer) == []
    assert len(env.sf_by_ma_id("Lead", prospect)) == 1  # a prospect Account does not route
    properties = env.contact_properties(customer)
    assert properties["revloop_salesforce_id"] == contact_row["Id"]
    assert properties["revloop_sync_status"] == "created"


def test_a_converted_lead_is_followed_to_its_contact_and_never_written_again(env) -> None:
    contact = env.contact(email="conv@example.com", lastname="Convert", company="Conv Co", **HOT)
    env.run()
    (lead,) = env.sf_by_ma_id("Lead", contact)
    converted = env.sf.convert_lead(lead["Id"])
    lead_after_conversion = env.sf_row("Lead", lead["Id"])

    env.hs.touch("contacts", contact, {"jobtitle": "Director", "lastname": "Converted"})
    outcome = env.run()

    assert outcome.status == "ok", outcome
    person = env.sf_row("Contact", converted["contactId"])
    assert (person["Title"], person["LastName"]) == ("Director", "Converted")
    assert env.sf_row("Lead", lead["Id"]) == lead_after_conversion
    properties = env.contact_properties(contact)
    assert properties["revloop_salesforce_id"] == converted["contactId"]
    assert properties["revloop_sync_status"] == "converted"

    env.hs.touch("contacts", contact, {"jobtitle": "VP"})
    env.run()

    assert env.sf_row("Contact", converted["contactId"])["Title"] == "VP"
    assert env.sf_row("Lead", lead["Id"]) == lead_after_conversion
    assert env.creates() == {contact: 1}
    assert env.errors() == []


def test_two_people_with_one_name_at_one_company_in_one_batch_are_two_leads(env) -> None:
    """Was: written once as one person (the bug). 佐藤 健太 at ミライ with two personal emails: two people."""
    first = env.contact(
        email="kenta@ex1.example.jp", firstname="健太", lastname="佐藤", company="株式会社ミライ", **HOT
    )
    second = env.contact(
        email="k.sato@ex2.example.jp", firstname="健太", lastname="佐藤 ", company="ミライ(株)", **HOT
    )

    outcome = env.run()

    assert outcome.status == "ok", outcome
    assert env.creates() == {first: 1, second: 1}
    assert {row["Email"] for row in env.sf_rows("Lead")} == {"kenta@ex1.example.jp", "k.sato@ex2.example.jp"}
    assert {env.contact_properties(c)["revloop_sync_status"] for c in (first, second)} == {"created"}


def test_an_existing_contact_matched_by_email_is_linked_and_updated(env) -> None:
    (account,) = env.sf_seed("Account", {"Name": "Stark Industries", "Type": "Customer"})
    (person,) = env.sf_seed(
        "Contact", {"LastName": "Stark", "Email": "tony@stark.example.com", "AccountId": account}
    )
    contact = env.contact(
        email="TONY@stark.example.com", lastname="Stark", company="Stark", jobtitle="CEO", **HOT
    )

    outcome = env.run()

    assert outcome.status == "ok", outcome
    assert outcome.counts["linked"] == 1
    assert env.sf_rows("Lead") == []
    assert len(env.sf_rows("Contact")) == 1
    row = env.sf_row("Contact", person)
    assert row["AccountId"] == account
    assert row["Description"].startswith("Qualified: score 90")
    properties = env.contact_properties(contact)
    assert (properties["revloop_salesforce_id"], properties["revloop_sync_status"]) == (person, "linked")


def test_a_lead_converted_before_revloop_saw_the_person_links_its_contact(env) -> None:
    lead_id = existing_lead(env, LastName="Early", Email="early@early-co.example.com", Company="Early Co")
    converted = env.sf.convert_lead(lead_id)
    lead_after = env.sf_row("Lead", lead_id)
    contact = env.contact(email="early@early-co.example.com", lastname="Early", company="Early Co", **HOT)

    outcome = env.run()

    assert outcome.status == "ok", outcome
    assert env.sf_row("Lead", lead_id) == lead_after
    assert env.contact_properties(contact)["revloop_salesforce_id"] == converted["contactId"]
    assert env.sf_row("Contact", converted["contactId"])["Description"].startswith("Qualified:")
    assert len(env.sf_rows("Lead")) == 1 and env.creates() == {}


def test_a_company_that_is_two_customer_accounts_is_an_ambiguous_match(env) -> None:
    env.sf_seed(
        "Account",
        {"Name": "東京データ株式会社", "Type": "Customer"},
        {"Name": "(株)東京データ", "Type": "Customer - Direct"},
    )
    contact = env.contact(email="who@tokyo-data.example.jp", lastname="誰", company="東京データ", **HOT)

    outcome = env.run()

    assert outcome.status == "record_errors", outcome
    (error,) = env.errors()
    assert (error["category"], error["record_key"]) == ("ambiguous_match", contact)
    assert env.sf_rows("Lead") == [] and env.sf_rows("Contact") == []


def test_a_shared_switchboard_number_does_not_link_different_people_by_default(env) -> None:
    lead_id = existing_lead(env, LastName="Ito", Company="Somewhere", Phone="+81 3-5555-0002")
    contact = env.contact(
        email="sato@elsewhere.example.jp", lastname="佐藤", company="Elsewhere", phone="03-5555-0002", **HOT
    )

    outcome = env.run()

    assert outcome.counts["created"] == 1, outcome
    assert [row["Id"] for row in env.sf_by_ma_id("Lead", contact)] != [lead_id]


def test_a_lead_revloop_created_keeps_syncing_its_identity_fields_after_sales_converts_it(env) -> None:
    """revloop created the Lead, so the Contact sales converted it into is revloop's to keep current (it did
    not link someone else's record): a later change of name or email reaches it, run after run."""
    contact = env.contact(email="conv@example.com", firstname="Kei", lastname="Before", company="C", **HOT)
    env.run()
    (lead,) = env.sf_by_ma_id("Lead", contact)
    converted = env.sf.convert_lead(lead["Id"])
    changes = [("Middle", "kei@conv.example.com"), ("After", "kei@conv2.example.com")]
    for run, (last, email) in enumerate(changes):
        env.hs.touch("contacts", contact, {"lastname": last, "email": email})
        assert env.run().status == "ok", run

        person = env.sf_row("Contact", converted["contactId"])
        assert (person["LastName"], person["Email"]) == (last, email), run
