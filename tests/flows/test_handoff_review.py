"""The review queue end to end: a doubtful match waits unwritten, an admin's decision is written on the
next run, a rejected record is never proposed again, and a record revloop linked keeps sales' identity
fields (so a wrong link cannot corrupt them)."""

from __future__ import annotations

import json

from sqlalchemy import select

from connector.state.tables import review_cases, review_rejections

HOT = {"hubspotscore": 90}
MARKETO = "marketo_handoff"
LEAD_DEFAULTS = {"Status": "Open - Not Contacted"}


def lead(env, **fields) -> str:
    return env.sf_seed("Lead", {**LEAD_DEFAULTS, "OwnerId": env.rep_ids[0], **fields})[0]


def cases(env, status: str | None = None) -> list[dict]:
    query = select(review_cases).order_by(review_cases.c.id)
    if status:
        query = query.where(review_cases.c.status == status)
    with env.engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]


def typo_world(env) -> tuple[str, str]:
    """A Lead, and a contact of the same name and company whose email has one letter dropped."""
    lead_id = lead(env, FirstName="美穂", LastName="佐々木", Email="miho.sasaki@hokuto.example.jp",
                   Company="株式会社北斗")  # fmt: skip
    contact = env.contact(email="miho.sasak@hokuto.example.jp", firstname="美穂", lastname="佐々木",
                          company="(株)北斗", **HOT)  # fmt: skip
    return lead_id, contact


def test_a_doubtful_match_waits_unwritten_and_shows_in_status_and_the_run_summary(env) -> None:
    lead_id, contact = typo_world(env)
    before = env.sf_row("Lead", lead_id)
    env.reset_calls()

    outcome = env.run()

    assert (outcome.status, outcome.counts["review"]) == ("ok", 1), outcome
    assert env.sf.calls.get("collections_upsert", 0) == 0 and env.sf_row("Lead", lead_id) == before
    (case,) = cases(env)
    assert (case["status"], case["code"], case["source_key"]) == ("open", "email_near", contact)
    assert contact not in case["reason"] and "sasak" not in json.dumps(case["candidates"])  # no personal data
    (row,) = env.waiting()
    assert (row["state"], row["attempt"]) == ("review", 0)  # waiting, no write spent

    again = env.run()  # nothing new: the row is not due, no write, no second case

    assert "review" not in again.counts and env.sf.calls.get("collections_upsert", 0) == 0
    assert len(cases(env)) == 1
    status = env.cli("status")
    assert status.code == 0 and "review" in status.stdout
    assert [line.split("│")[7].strip() for line in status.stdout.splitlines() if "│ handoff " in line] == [
        "1"
    ]


def test_link_is_written_on_the_next_run_and_the_case_says_so(env) -> None:
    lead_id, contact = typo_world(env)
    env.run()
    (case,) = cases(env)

    result = env.cli("review", "link", str(case["id"]), lead_id, "--yes")

    assert result.code == 0, result
    assert "the next run of handoff writes it" in result.stdout
    (row,) = env.waiting()
    assert row["state"] == "pending"  # due again
    outcome = env.run()
    assert outcome.counts["linked"] == 1, outcome
    properties = env.contact_properties(contact)
    assert (properties["revloop_salesforce_id"], properties["revloop_sync_status"]) == (lead_id, "linked")
    assert env.sf_row("Lead", lead_id)["Email"] == "miho.sasaki@hokuto.example.jp"  # sales' value kept
    (decided,) = cases(env)
    assert (decided["status"], decided["target_id"], decided["applied_at"] is not None) == (
        "linked", lead_id, True,
    )  # fmt: skip
    assert env.waiting() == []


def test_create_makes_a_new_record_on_the_next_run(env) -> None:
    lead_id, contact = typo_world(env)
    env.run()
    (case,) = cases(env)

    assert env.cli("review", "create", str(case["id"]), "--yes").code == 0
    outcome = env.run()

    assert outcome.counts["created"] == 1, outcome
    (new,) = env.sf_by_ma_id("Lead", contact)
    assert new["Id"] != lead_id and new["Email"] == "miho.sasak@hokuto.example.jp"
    assert cases(env)[0]["status"] == "created" and cases(env)[0]["applied_at"] is not None


def test_a_rejected_record_is_never_proposed_again(env) -> None:
    lead_id, contact = typo_world(env)
    env.run()
    (case,) = cases(env)

    assert env.cli("review", "reject", str(case["id"]), "--yes").code == 0
    outcome = env.run()  # decided again without the rejected Lead: nothing plausible is left

    assert outcome.counts["created"] == 1, outcome
    with env.engine.connect() as connection:
        pairs = connection.execute(
            select(review_rejections.c.source_key, review_rejections.c.target_id)
        ).all()
    assert [tuple(pair) for pair in pairs] == [(contact, lead_id)]
    env.hs.touch("contacts", contact, {"jobtitle": "CTO"})
    env.run()
    assert [c["status"] for c in cases(env)] == ["rejected"]  # no new case proposing the rejected Lead


def test_a_changed_record_is_decided_again_and_a_conclusive_change_closes_its_case(env) -> None:
    lead_id, contact = typo_world(env)
    env.run()

    env.hs.touch("contacts", contact, {"email": "miho.sasaki@hokuto.example.jp"})  # the typo fixed
    outcome = env.run()

    assert outcome.counts["linked"] == 1, outcome
    assert env.contact_properties(contact)["revloop_salesforce_id"] == lead_id
    (case,) = cases(env)
    assert (case["status"], case["decided_by"]) == ("linked", "revloop")


def test_a_record_already_linked_to_another_ma_record_is_a_review_case(env) -> None:
    """Marketo keeps duplicates: the second record of one address would share the first one's Lead."""
    first = env.lead(
        email="aoi.mori@kita.example.jp", firstName="葵", lastName="森", company="北", leadScore=90
    )
    env.run(MARKETO)
    (created,) = env.sf_by_ma_id("Lead", f"mkto-{first}")
    second = env.lead(
        email=" Aoi.Mori@KITA.example.jp", firstName="葵", lastName="森", company="北", leadScore=90
    )

    outcome = env.run(MARKETO)

    assert outcome.counts["review"] == 1, outcome
    (case,) = cases(env)
    assert (case["flow"], case["source_key"], case["code"]) == (MARKETO, str(second), "linked_elsewhere")
    assert [c["record_id"] for c in case["candidates"]] == [created["Id"]]
    assert not env.marketo_lead(second).get("revloopSalesforceId")


def test_a_role_address_with_the_same_name_waits_and_with_another_name_is_a_new_person(env) -> None:
    lead(env, FirstName="翔太", LastName="伊藤", Email="info@sakura.example.jp", Company="さくら物産")
    same = env.lead(email="INFO@sakura.example.jp", firstName="翔太", lastName="伊藤", company="さくら物産",
                    leadScore=90)  # fmt: skip
    other = env.lead(email="info@sakura.example.jp", firstName="花子", lastName="田中", company="さくら物産",
                     leadScore=90)  # fmt: skip

    outcome = env.run(MARKETO)

    assert outcome.counts["review"] == 1, outcome
    assert [(c["source_key"], c["code"]) for c in cases(env)] == [(str(same), "role_address")]
    # Another name: another person, so a new Lead, which this org's duplicate rule (one Lead per email)
    # refuses: an error for an admin, never a link.
    (error,) = env.errors()
    assert (error["record_key"], error["code"]) == (str(other), "DUPLICATES_DETECTED")
    assert not env.marketo_lead(other).get("revloopSalesforceId")


def test_different_people_with_one_name_at_one_company_never_share_a_lead(env) -> None:
    """The bug the review queue replaces: 佐藤 健 ×3 at one company, each with their own email."""
    existing = lead(env, FirstName="健", LastName="佐藤", Email="k.sato@sakura-shoji.example.jp",
                    Company="株式会社さくら商事", Phone="03-5210-3000")  # fmt: skip
    person = {"firstname": "健", "lastname": "佐藤", "company": "さくら商事", "phone": "03-5210-3000", **HOT}
    mailboxes = ["k.sato2", "ken.sato", "kensato"]
    contacts = env.contacts([{**person, "email": f"{box}@sakura-shoji.example.jp"} for box in mailboxes])

    outcome = env.run()
    env.run()

    assert outcome.counts.get("linked", 0) == 0, outcome
    owners = [env.contact_properties(c).get("revloop_salesforce_id") for c in contacts]
    assert existing not in owners
    assert len({owner for owner in owners if owner}) == len([owner for owner in owners if owner])
    assert env.sf_row("Lead", existing)["Email"] == "k.sato@sakura-shoji.example.jp"


def test_a_linked_leads_identity_fields_never_flip(env) -> None:
    lead_id = lead(env, LastName="森", Email="aoi.mori@kita.example.jp", Company="北商事")
    contact = env.contact(
        email="aoi.mori@kita.example.jp", firstname="葵", lastname="森", company="北", **HOT
    )
    env.run()
    assert env.contact_properties(contact)["revloop_salesforce_id"] == lead_id

    env.hs.touch(
        "contacts", contact, {"email": "aoi@other.example.jp", "lastname": "森田", "jobtitle": "CTO"}
    )
    env.run()

    row = env.sf_row("Lead", lead_id)
    assert (row["Email"], row["LastName"], row["Company"]) == ("aoi.mori@kita.example.jp", "森", "北商事")
    assert row["FirstName"] == "葵"  # blank in Salesforce: filled
    assert row["Revloop_Qualification__c"] == "score 90 ≥ 80"  # other fields sync as before


def test_explicit_source_wins_writes_a_linked_records_identity_field(env, tmp_path) -> None:
    shipped = env.config.flow("handoff").mapping
    mapping = tmp_path / "email_source_wins.toml"
    text = shipped.read_text(encoding="utf-8")
    mapping.write_text(
        text.replace('from = "email"\n', 'from = "email"\nconflict = "source_wins"\n'), encoding="utf-8"
    )
    config = env.config_path.read_text(encoding="utf-8")
    env.config_path.write_text(config.replace(str(shipped), str(mapping)), encoding="utf-8")
    lead_id = lead(env, LastName="森", Email="aoi.mori@kita.example.jp", Company="北商事")
    contact = env.contact(email="aoi.mori@kita.example.jp", lastname="森", company="北", **HOT)
    env.run()

    env.hs.touch("contacts", contact, {"email": "aoi@other.example.jp"})
    env.run()

    row = env.sf_row("Lead", lead_id)
    assert (row["Email"], row["Company"]) == ("aoi@other.example.jp", "北商事")


def test_records_revloop_created_keep_syncing_their_identity_fields(env) -> None:
    contact = env.contact(email="new@kita.example.jp", lastname="新", company="北", **HOT)
    env.run()

    env.hs.touch("contacts", contact, {"email": "new2@kita.example.jp", "lastname": "新井"})
    env.run()

    (row,) = env.sf_by_ma_id("Lead", contact)
    assert (row["Email"], row["LastName"]) == ("new2@kita.example.jp", "新井")


def test_phone_evidence_off_leaves_the_phone_out(env, tmp_path) -> None:
    shipped = env.config.flow("handoff").mapping
    mapping = tmp_path / "no_phone.toml"
    text = shipped.read_text(encoding="utf-8")
    mapping.write_text(text.replace("phone_evidence = true", "phone_evidence = false"), encoding="utf-8")
    config = env.config_path.read_text(encoding="utf-8")
    env.config_path.write_text(config.replace(str(shipped), str(mapping)), encoding="utf-8")
    lead(env, FirstName="直樹", LastName="伊藤", Company="Somewhere", Phone="+81 3-5555-0002")
    contact = env.contact(email="naoki@elsewhere.example.jp", firstname="直樹", lastname="伊藤",
                          company="Elsewhere", phone="03-5555-0002", **HOT)  # fmt: skip

    outcome = env.run()

    assert (outcome.counts["created"], outcome.counts.get("review", 0)) == (1, 0), outcome
    assert len(env.sf_by_ma_id("Lead", contact)) == 1
