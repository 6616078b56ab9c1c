"""Identity (名寄せ): existing Salesforce people are found and linked, never duplicated, never guessed."""

from __future__ import annotations

HOT = {"hubspotscore": 90}


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


def test_company_and_name_link_when_the_email_differs(env) -> None:
    """(株) and 株式会社 are one company; "山田 太郎" and "山田太郎" one person."""
    lead_id = existing_lead(
        env,
        FirstName="太郎",
        LastName="山田",
        Email="taro.yamada@mirai.example.jp",
        Company="株式会社 未来テック",
    )
    contact = env.contact(
        email="t-yamada@mirai-tech.example.jp",
        firstname="",
        lastname="山田　太郎",
        company="(株)未来テック",
        **HOT,
    )

    outcome = env.run()

    assert outcome.counts["linked"] == 1, outcome
    assert_linked(env, contact, lead_id, leads_before=1)


def test_the_phone_number_links_when_nothing_else_matches(env, tmp_path) -> None:
    shipped = env.config.flow("handoff").mapping
    with_phone = tmp_path / "with_phone.toml"
    with_phone.write_text(
        shipped.read_text(encoding="utf-8").replace(
            'order = ["email", "company_name"]', 'order = ["email", "company_name", "phone"]'
        ),
        encoding="utf-8",
    )
    text = env.config_path.read_text(encoding="utf-8")
    env.config_path.write_text(text.replace(str(shipped), str(with_phone)), encoding="utf-8")
    lead_id = existing_lead(env, LastName="Ito", Company="Somewhere", Phone="+81 3-5555-0002")
    contact = env.contact(
        email="naoki@elsewhere.example.jp", lastname="伊藤", company="Elsewhere", phone="03-5555-0002", **HOT
    )

    env.run()

    assert_linked(env, contact, lead_id, leads_before=1)
    assert env.sf_row("Lead", lead_id)["Phone"] == "+81 3-5555-0002"  # target_wins_unless_blank


def test_two_leads_sharing_the_email_are_an_ambiguous_match_for_an_admin(env) -> None:
    first = existing_lead(env, LastName="Clark", Email="ethan.clark@initech.example.com", Company="Initech")
    second = existing_lead(
        env, LastName="Clark", Email="Ethan.Clark@initech.example.com", Company="Initech LLC"
    )
    contact = env.contact(email="ethan.clark@initech.example.com", lastname="Clark", company="Initech", **HOT)
    before = {row["Id"]: row for row in env.sf_rows("Lead")}
    env.reset_calls()

    outcome = env.run()

    assert outcome.status == "record_errors"
    (error,) = env.errors()
    assert (error["category"], error["code"], error["record_key"]) == (
        "ambiguous_match",
        "AMBIGUOUS_MATCH",
        contact,
    )
    assert first in error["message"] and second in error["message"]
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


def test_the_same_person_twice_in_one_batch_is_written_once(env) -> None:
    first = env.contact(
        email="kenta@ex1.example.jp", firstname="健太", lastname="佐藤", company="株式会社ミライ", **HOT
    )
    second = env.contact(
        email="k.sato@ex2.example.jp", firstname="健太", lastname="佐藤 ", company="ミライ(株)", **HOT
    )

    outcome = env.run()

    assert outcome.status == "ok", outcome
    (lead,) = env.sf_rows("Lead")
    assert lead["Revloop_MA_Id__c"] == first
    assert env.creates() == {first: 1}
    assert env.contact_properties(second)["revloop_salesforce_id"] == lead["Id"]
    assert env.contact_properties(second)["revloop_sync_status"] == "linked"


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
    lead_id = existing_lead(env, LastName="Early", Email="early@example.com", Company="Early Co")
    converted = env.sf.convert_lead(lead_id)
    lead_after = env.sf_row("Lead", lead_id)
    contact = env.contact(email="early@example.com", lastname="Early", company="Early Co", **HOT)

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
