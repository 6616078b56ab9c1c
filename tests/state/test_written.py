"""What revloop itself last wrote to each record, field by field: merged across flows, latest write wins."""

from __future__ import annotations

import pytest

from connector.state import links, open_store
from connector.state.links import RecordRef
from connector.state.written import Written, remember_written, values_written


@pytest.fixture
def engine(store_url):
    engine = open_store(store_url)
    yield engine
    engine.dispose()


def link(connection, ma_id: str, lead_id: str) -> int:
    pairs = [(RecordRef("hubspot", "contacts", ma_id), RecordRef("salesforce", "Lead", lead_id))]
    return links.connect(connection, pairs, "person")[ma_id]


def test_writes_merge_per_record_and_the_latest_value_of_a_field_wins(engine):
    with engine.begin() as connection:
        link_id = link(connection, "501", "00Q1")
        remember_written(
            connection, "hubspot", "contacts", [Written("501", link_id, {"a": 1, "b": "x"})], run_id=1
        )
        remember_written(connection, "hubspot", "contacts", [Written("501", link_id, {"b": "y"})], run_id=2)
        remember_written(connection, "hubspot", "contacts", [Written("501", link_id, {})], run_id=3)
        remember_written(
            connection, "salesforce", "Lead", [Written("00Q1", link_id, {"Title": "CTO"})], run_id=3
        )

    with engine.connect() as connection:
        assert values_written(connection, "hubspot", "contacts", ["501", "502"]) == {
            "501": {"a": 1, "b": "y"}
        }
        assert values_written(connection, "salesforce", "Lead", ["00Q1"]) == {"00Q1": {"Title": "CTO"}}
        assert values_written(connection, "salesforce", "Contact", ["00Q1"]) == {}


def test_two_writes_of_one_record_in_one_call_merge(engine):
    with engine.begin() as connection:
        link_id = link(connection, "7", "00Q7")
        writes = [Written("7", link_id, {"a": 1}), Written("7", link_id, {"a": 2, "c": 3})]
        remember_written(connection, "hubspot", "contacts", writes, run_id=1)
        assert values_written(connection, "hubspot", "contacts", ["7"]) == {"7": {"a": 2, "c": 3}}
