"""Match decisions: rule order, converted-lead collapsing, ambiguity, account routing."""

from __future__ import annotations

import pytest

from connector.matching import (
    AccountCandidate,
    AccountKind,
    Candidate,
    MatchKind,
    decide,
    identity_keys,
    match_account,
    normalize_company,
)

ORDER = ("email", "company_name", "phone")
PERSON = identity_keys(
    email="Taro@Example.com", company="（株）ABC", first_name="太郎", last_name="山田", phone="03-1234-5678"
)
LEAD = Candidate("Lead", "00Q000000000001")
OTHER_LEAD = Candidate("Lead", "00Q000000000002")
CONTACT = Candidate("Contact", "003000000000001", account_id="001000000000001")
CONVERTED = Candidate(
    "Lead",
    "00Q000000000009",
    is_converted=True,
    converted_contact_id="003000000000001",
    account_id="001000000000001",
)


def lookup_by_normalised_keys(person, records):
    """What a flow does: compute each target record's keys and group the ones equal to the person's."""
    found: dict[str, list[Candidate]] = {}
    for candidate, raw in records:
        keys = identity_keys(**raw)
        for rule in ORDER:
            if keys.key(rule) is not None and keys.key(rule) == person.key(rule):
                found.setdefault(rule, []).append(candidate)
    return found


def test_email_matches_whatever_the_case_or_width():
    records = [(LEAD, {"email": "ＴＡＲＯ＠ＥＸＡＭＰＬＥ．ＣＯＭ"})]
    decision = decide(PERSON, lookup_by_normalised_keys(PERSON, records), ORDER)
    assert (decision.kind, decision.rule, decision.candidate) == (MatchKind.LINK, "email", LEAD)
    assert decision.explanation == "email matches Lead 00Q000000000001"


def test_company_and_name_fallback_equates_kabushiki_kaisha_spellings():
    records = [(LEAD, {"email": "other@example.com", "company": "株式会社ＡＢＣ", "last_name": "山田 太郎"})]
    decision = decide(PERSON, lookup_by_normalised_keys(PERSON, records), ORDER)
    assert (decision.kind, decision.rule) == (MatchKind.LINK, "company_name")


def test_phone_formats_match():
    records = [(LEAD, {"phone": "+81312345678"})]
    decision = decide(PERSON, lookup_by_normalised_keys(PERSON, records), ORDER)
    assert (decision.kind, decision.rule) == (MatchKind.LINK, "phone")


def test_the_first_rule_with_candidates_decides():
    by_rule = {"email": [LEAD], "phone": [OTHER_LEAD, CONTACT]}
    assert decide(PERSON, by_rule, ORDER).candidate == LEAD
    decision = decide(PERSON, by_rule, ("phone", "email"))
    assert (decision.kind, decision.rule) == (MatchKind.AMBIGUOUS, "phone")


def test_rules_the_person_has_no_key_for_are_skipped():
    no_email = identity_keys(phone="03-1234-5678")
    decision = decide(no_email, {"email": [LEAD], "phone": [CONTACT]}, ORDER)
    assert (decision.rule, decision.candidate) == ("phone", CONTACT)


def test_no_candidates_means_create():
    decision = decide(PERSON, {"email": [], "phone": ()}, ORDER)
    assert (decision.kind, decision.candidate, decision.rule) == (MatchKind.CREATE, None, None)
    assert decision.explanation == "no match by email, company_name, phone: create"


def test_a_converted_lead_and_its_contact_are_one_person():
    decision = decide(PERSON, {"email": [CONVERTED, CONTACT]}, ORDER)
    assert (decision.kind, decision.candidate) == (MatchKind.LINK, CONTACT)
    assert decision.matched == (CONVERTED, CONTACT)
    assert decision.explanation == (
        "email matches Lead 00Q000000000009 (converted to Contact 003000000000001), Contact 003000000000001"
    )


def test_a_converted_lead_alone_links_to_its_contact():
    decision = decide(PERSON, {"email": [CONVERTED]}, ORDER)
    assert decision.kind is MatchKind.LINK
    assert decision.candidate == Candidate("Contact", "003000000000001", account_id="001000000000001")


def test_the_same_record_found_twice_is_one_person():
    assert decide(PERSON, {"email": [LEAD, LEAD]}, ORDER).kind is MatchKind.LINK


def test_several_people_are_ambiguous_and_never_guessed():
    decision = decide(PERSON, {"email": [LEAD, CONVERTED, OTHER_LEAD, CONTACT]}, ORDER)
    assert decision.kind is MatchKind.AMBIGUOUS and decision.candidate is None
    assert decision.candidates == (LEAD, CONTACT, OTHER_LEAD)
    assert decision.explanation == (
        "email matches 3 different people: Lead 00Q000000000001; "
        "Lead 00Q000000000009 (converted to Contact 003000000000001), Contact 003000000000001; "
        "Lead 00Q000000000002"
    )


def test_explanations_carry_ids_not_personal_data():
    decision = decide(PERSON, {"email": [LEAD, OTHER_LEAD]}, ORDER)
    assert "example.com" not in decision.explanation and "山田" not in decision.explanation


def test_unknown_rules_are_refused():
    with pytest.raises(ValueError, match="unknown match rule 'fax'"):
        decide(PERSON, {}, ("fax",))


# ---- routing to a customer Account

ACME = AccountCandidate("001A", "ACME株式会社", is_customer=True)


def test_one_customer_account_with_the_name_routes():
    decision = match_account(
        normalize_company("(株)ＡＣＭＥ"), [ACME, AccountCandidate("001B", "Other", True)]
    )
    assert (decision.kind, decision.account) == (AccountKind.ROUTE, ACME)
    assert decision.explanation == "company matches customer Account 001A"


def test_prospect_accounts_and_unknown_names_mean_a_lead():
    prospect = AccountCandidate("001C", "ACME Inc.", is_customer=False)
    assert match_account("acme", [prospect]).kind is AccountKind.LEAD
    assert match_account("acme", []).kind is AccountKind.LEAD
    assert match_account("", [ACME]).kind is AccountKind.LEAD


def test_several_customer_accounts_are_ambiguous():
    twin = AccountCandidate("001D", "ACME Co., Ltd.", is_customer=True)
    decision = match_account("acme", [ACME, twin, ACME])
    assert (decision.kind, decision.account, decision.accounts) == (AccountKind.AMBIGUOUS, None, (ACME, twin))
    assert decision.explanation == "company matches 2 customer Accounts: 001A, 001D"
