"""Evidence-based decisions: link, review, create; converted Leads; switchboards; what explanations show."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from connector.matching import (
    DEFAULT_SETTINGS,
    Candidate,
    Outcome,
    Person,
    PhoneEvidence,
    assess,
    decide_identity,
    index_columns,
    lookup_keys,
    person,
    stored_person,
)
from connector.matching import (
    LOOKUP_COLUMNS as MATCH_LOOKUPS,
)
from connector.state.identity import LOOKUP_COLUMNS as INDEX_LOOKUPS

SATO = person(email="k.sato@sakura.co.jp", first_name="健", last_name="佐藤", company="株式会社さくら商事")


def lead(record_id: str, **raw) -> Candidate:
    return Candidate("Lead", record_id, person=person(**raw))


def test_the_same_personal_email_links():
    decision = decide_identity(SATO, [lead("00Q1", email="K.Sato@sakura.co.jp", last_name="佐藤 健")])
    assert (decision.kind, decision.code) == (Outcome.LINK, "same_email")
    assert decision.candidate.record_id == "00Q1"
    assert decision.explanation == "link: Lead 00Q1: same email, name agrees, company missing, phone missing"


def test_a_converted_lead_links_to_its_contact():
    view = person(email=SATO.email, last_name="佐藤", first_name="健")
    converted = Candidate("Lead", "00Q9", True, "0039", "0019", person=view)
    decision = decide_identity(SATO, [converted])
    assert decision.kind is Outcome.LINK
    assert (decision.candidate.object, decision.candidate.record_id, decision.candidate.account_id) == (
        "Contact",
        "0039",
        "0019",
    )
    contact = Candidate("Contact", "0039", account_id="0019", person=converted.person)
    assert decide_identity(SATO, [converted, contact]).candidate == contact  # one person, not two


def test_a_record_linked_to_another_source_record_goes_to_review():
    decision = decide_identity(SATO, [lead("00Q1", email=SATO.email)], linked_elsewhere={"00Q1"})
    assert (decision.kind, decision.code) == (Outcome.REVIEW, "linked_elsewhere")
    assert decision.candidates[0].record_id == "00Q1"


def test_nothing_found_is_a_create():
    decision = decide_identity(SATO, [])
    assert (decision.kind, decision.code) == (Outcome.CREATE, "no_candidate")
    assert decision.explanation == "create: no candidate"


def test_candidates_without_a_person_view_are_ignored():
    assert decide_identity(SATO, [Candidate("Lead", "00Q1")]).kind is Outcome.CREATE


def test_a_contradicting_name_vetoes_the_link():
    decision = decide_identity(SATO, [lead("00Q1", email=SATO.email, last_name="鈴木", first_name="一郎")])
    assert decision.kind is Outcome.CREATE


MOBILE = "090-1111-2201"


def test_name_and_a_personal_phone_send_a_job_change_to_review():
    source = person(email="ken.sato@gmail.com", last_name="佐藤", first_name="健", phone=MOBILE)
    candidate = lead("00Q1", email="k.sato@sakura.co.jp", last_name="佐藤 健", phone=MOBILE)
    assert decide_identity(source, [candidate]).code == "job_change"
    assert decide_identity(source, [candidate], shared_phones={source.phone}).kind is Outcome.CREATE


def test_a_phone_candidates_carry_under_different_names_is_a_switchboard():
    source = person(last_name="佐藤", first_name="健", phone="03-5210-3000")
    same_name = lead("00Q1", email="k.sato@sakura.co.jp", last_name="佐藤 健", phone="03-5210-3000")
    colleague = lead("00Q2", email="i.suzuki@sakura.co.jp", last_name="鈴木 一郎", phone="03-5210-3000")
    assert decide_identity(source, [same_name]).kind is Outcome.REVIEW  # a direct line, as far as we know
    decision = decide_identity(source, [same_name, colleague])
    assert decision.kind is Outcome.CREATE
    assert {a.evidence.phone for a in decision.assessments} == {PhoneEvidence.SHARED}


def test_free_dial_and_navi_dial_numbers_are_never_personal():
    for number in ("0120-123-456", "0570-000-111", "0800-123-4567"):
        who = person(last_name="佐藤", first_name="健", phone=number)
        assert not who.phone_is_personal
        assert assess(who, who).phone is PhoneEvidence.SHARED
    assert person(phone="090-1234-5678").phone_is_personal and person(phone="050-3111-2222").phone_is_personal


def test_lookup_keys_skip_what_finds_everyone():
    keys = lookup_keys(SATO)
    assert set(keys) == {"email", "mailbox", "company_name_key", "name_key"}
    assert keys["mailbox"] == "ksato" and keys["company_name_key"].startswith("さくら商事|")
    role = person(email="info@sakura.co.jp", last_name="佐藤", phone="0120-123-456")
    assert set(lookup_keys(role)) == {"email"}  # no mailbox for a role address, no family-only name, no 0120
    assert "mailbox" not in lookup_keys(person(email="ab@sakura.co.jp"))
    assert lookup_keys(person(phone="090-1234-5678")) == {"phone": "+819012345678"}


def test_the_index_can_be_searched_by_every_lookup_key():
    assert set(MATCH_LOOKUPS) <= set(INDEX_LOOKUPS)
    everything = person(email="k.sato@sakura.co.jp", last_name="佐藤 健", company="さくら", phone=MOBILE)
    assert set(lookup_keys(everything)) == set(MATCH_LOOKUPS)


def test_the_person_view_flags_what_a_review_must_show():
    spoof = person(email="k.sаto@sakura.co.jp")  # Cyrillic а
    assert spoof.has_homoglyph and not SATO.has_homoglyph
    assert person(email="eigyo@sakura.co.jp").is_role_address and not SATO.is_role_address
    assert person(email="test@sakura.co.jp").is_role_address  # a placeholder is no one's address either


def test_a_custom_role_mailbox_never_links():
    settings = DEFAULT_SETTINGS.extended(role_mailboxes=["kikaku"])
    source = person(email="kikaku@hikari.co.jp", last_name="岡田", first_name="恵", settings=settings)
    other = person(email="kikaku@hikari.co.jp", last_name="岡田", settings=settings)
    candidate = Candidate("Lead", "00Q1", person=other)
    assert decide_identity(source, [candidate], settings=settings).kind is Outcome.CREATE  # no same name
    candidate = Candidate("Lead", "00Q1", person=source)
    assert decide_identity(source, [candidate], settings=settings).code == "role_address"


# ---- the stored view equals the typed one


EMAILS = ["", " K.Sato@Sakura.jp", "佐藤 <k.sato@sakura.jp>", "tаro@xy.jp", "info@x.jp"]
raw_people = st.fixed_dictionaries(
    {
        "email": st.sampled_from(EMAILS),
        "first_name": st.sampled_from(["", "健", "Ken", "ｹﾝ", "健 様"]),
        "last_name": st.sampled_from(["", "佐藤", "髙橋", "Sato", "山田　太郎", "不明"]),
        "company": st.sampled_from(["", "株式会社さくら商事", "さくら商事㈱ 東京支店", "(有)ひかり"]),
        "phone": st.sampled_from(["", "03-5210-3000", "090-1111-2201", "0120-123-456", "内線 12"]),
    }
)


def stored(raw: dict) -> Person:
    """The person as the planner sees a target record: through the identity-index columns."""
    typed = person(**raw)
    columns = index_columns(typed)
    return stored_person(
        email=typed.email,
        person_name=columns["person_name"],
        company=typed.company,
        company_form=columns["company_form"],
        phone=typed.phone,
    )


@given(raw_people, raw_people)
def test_a_stored_person_compares_like_the_typed_one(source, target):
    who = person(**source)
    assert assess(who, stored(target)) == assess(who, person(**target))
    assert stored(target) == person(**target)


@given(raw_people, raw_people)
def test_explanations_never_show_personal_data(source, target):
    decision = decide_identity(person(**source), [Candidate("Lead", "00Q1", person=person(**target))])
    shown = decision.explanation + " ".join(r.text for r in decision.reasons)
    for value in (*source.values(), *target.values()):
        for word in str(value).replace("<", " ").replace(">", " ").split():
            assert len(word) < 2 or word not in shown
