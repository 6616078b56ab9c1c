"""The identity index behind the engine, on SQLite and PostgreSQL: new columns, lookups, switchboards."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import insert, inspect, select

from connector.flows.identity_mirror import (
    MIRROR_FLOW,
    account_entry,
    candidate_of,
    entries_for,
    person_entry,
)
from connector.matching import Outcome, decide_identity, lookup_keys, person
from connector.records import Record
from connector.state import identity, open_store, runs
from connector.state.db import MIGRATIONS, current_revision, head_revision, open_engine, utcnow
from connector.state.tables import cursors, identity_index

PEOPLE = ("Lead", "Contact")


@pytest.fixture
def engine(store_url):
    engine = open_store(store_url)
    yield engine
    engine.dispose()


def lead(record_id: str, **fields) -> identity.IndexEntry:
    values = {"Email": fields.get("email"), "FirstName": fields.get("first"), "LastName": fields.get("last"),
              "Phone": fields.get("phone")}  # fmt: skip
    return person_entry("salesforce", "Lead", record_id, values, region="JP", company=fields.get("company"))


def test_the_mirror_fills_the_evidence_columns():
    company = "株式会社さくら商事 東京支店"
    entry = lead("00Q1", email=" K.Sato+x@Sakura.co.jp", first="健", last="髙橋", company=company)
    assert (entry.email, entry.mailbox, entry.person_name) == ("k.sato+x@sakura.co.jp", "ksato", "髙橋 健")
    assert entry.company_form == "株式会社:pre" and entry.company_name_key == f"さくら商事|{entry.name_key}"
    assert entry.name_key == person(first_name="Ken", last_name="Takahashi").name_key
    assert entry.company_name == "さくら商事東京支店|髙橋健"  # the rule-order key is unchanged


def test_a_contact_takes_its_accounts_name_as_typed(engine):
    with engine.begin() as connection:
        identity.save(connection, [account_entry("salesforce", "0011", {"Name": "さくら商事株式会社"})])
        record = Record("0031", {"Email": "k.sato@sakura.co.jp", "LastName": "佐藤", "AccountId": "0011"})
        (entry,) = entries_for(connection, "salesforce", "Contact", [record], ["Email"], "JP")
    assert (entry.company, entry.company_form) == ("さくら商事", "株式会社:post")


def test_lookups_by_the_new_keys(engine):
    entries = [
        lead("00Q1", email="k.sato@sakura.co.jp", first="健", last="佐藤", company="株式会社さくら商事"),
        lead("00Q2", email="k.sato@sakura-hd.co.jp", first="Ken", last="Sato"),
    ]
    source = person(email="k.sato@gmial.com", first_name="健", last_name="佐藤", company="(株)さくら商事")
    keys = lookup_keys(source)
    with engine.begin() as connection:
        identity.save(connection, entries)
        by_mailbox, by_company, by_name = (
            identity.lookup(connection, "salesforce", column, [keys[column]], PEOPLE)
            for column in ("mailbox", "company_name_key", "name_key")
        )
    assert sorted(e.record_id for e in by_mailbox["ksato"]) == ["00Q1", "00Q2"]
    assert [e.record_id for e in by_company[keys["company_name_key"]]] == ["00Q1"]
    assert sorted(e.record_id for e in by_name[keys["name_key"]]) == ["00Q1", "00Q2"]
    decision = decide_identity(source, [candidate_of(e) for e in by_mailbox["ksato"]])
    assert decision.kind is Outcome.REVIEW  # nearly the same address, never a link


def test_find_gives_each_person_its_entries_once(engine):
    entries = [
        lead("00Q1", email="k.sato@sakura.co.jp", first="健", last="佐藤", phone="090-1111-2201"),
        lead("00Q2", email="h.tanaka@sakura.co.jp", first="花子", last="田中"),
    ]
    sato = lookup_keys(person(email="k.sato@sakura.co.jp", last_name="佐藤 健", phone="09011112201"))
    nobody = lookup_keys(person(email="nobody.here@sakura.co.jp"))
    with engine.begin() as connection:
        identity.save(connection, entries)
        found = identity.find(connection, "salesforce", {"a": sato, "b": nobody, "c": {}}, PEOPLE, cap=10)
    assert {who: [e.record_id for e in found[who]] for who in found} == {"a": ["00Q1"], "b": [], "c": []}


def test_unknown_lookup_columns_are_refused(engine):
    with engine.begin() as connection, pytest.raises(ValueError, match="cannot look up by 'fields'"):
        identity.lookup(connection, "salesforce", "fields", ["x"], PEOPLE)


def test_a_value_on_more_records_than_the_cap_finds_nobody(engine):
    colleagues = [lead(f"00Q{i}", last=f"社員{i}", phone="03-5210-3000") for i in range(4)]
    with engine.begin() as connection:
        identity.save(connection, [*colleagues, lead("00Q9", last="佐藤", phone="090-1111-2201")])
        phones = ["+81352103000", "+819011112201"]
        found = identity.lookup(connection, "salesforce", "phone", phones, PEOPLE, cap=3)
        assert list(found) == ["+819011112201"]
        found = identity.lookup(connection, "salesforce", "phone", phones, PEOPLE, cap=4)
        assert len(found["+81352103000"]) == 4


def test_shared_phones_are_those_under_several_names(engine):
    entries = [
        lead("00Q1", last="佐藤", first="健", phone="03-5210-3000"),
        lead("00Q2", last="鈴木", first="一郎", phone="03-5210-3000"),
        lead("00Q3", last="佐藤", first="健", phone="090-1111-2201"),
        lead("00Q4", last="髙橋", first="健", phone="090-2222-3333"),
        lead("00Q5", last="高橋", first="健", phone="090-2222-3333"),  # one person twice: 異体字
    ]
    with engine.begin() as connection:
        identity.save(connection, entries)
        phones = ["+81352103000", "+819011112201", "+819022223333", "+819099999999"]
        assert identity.shared_phones(connection, "salesforce", phones, PEOPLE) == {"+81352103000"}


def alembic_config(connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def test_rows_from_revision_0001_survive_the_upgrade(store_url):
    engine = open_engine(store_url)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), "0001")
            cursor = {"stream": "salesforce:Lead", "value": {"since": "2026-01-01"}, "updated_at": utcnow()}
            flows = (MIRROR_FLOW, "handoff")
            connection.execute(insert(cursors), [{**cursor, "flow": flow} for flow in flows])
            connection.execute(
                insert(identity_index),
                [{"system": "salesforce", "object": "Lead", "record_id": "00Q1", "email": "a@sakura.co.jp",
                  "company": "さくら商事", "is_converted": False, "is_customer": False, "fields": {}}],
            )  # fmt: skip
        open_store(store_url).dispose()
        assert current_revision(engine) == head_revision()  # 0002 and every later revision
        columns = {c["name"] for c in inspect(engine).get_columns("identity_index")}
        assert {"mailbox", "name_key", "company_name_key", "person_name", "company_form"} <= columns
        with engine.connect() as connection:
            row = connection.execute(select(identity_index)).one()
        old = candidate_of(identity.IndexEntry(**row._mapping))
        assert (old.person.email, old.person.company) == ("a@sakura.co.jp", "さくら商事")
        assert not old.person.name  # until the mirror reads the record again, which it does from the start:
        with engine.connect() as connection:
            assert runs.get_cursor(connection, MIRROR_FLOW, "salesforce:Lead") is None
            assert runs.get_cursor(connection, "handoff", "salesforce:Lead") == {"since": "2026-01-01"}
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "0001")
        assert "mailbox" not in {c["name"] for c in inspect(engine).get_columns("identity_index")}
    finally:
        engine.dispose()
