"""The state store on SQLite and PostgreSQL: migrations, outbox leases, links, errors, cursors, locks."""

from __future__ import annotations

import multiprocessing
from datetime import timedelta

import pytest
from sqlalchemy import inspect, select

from connector.errors import FlowLockedError
from connector.state import activity, identity, links, open_store, outbox, runs, sync_errors
from connector.state.db import current_revision, flow_lock, head_revision, utcnow
from connector.state.links import RecordRef
from connector.state.sync_errors import ErrorReport
from connector.state.tables import metadata
from connector.state.tables import sync_errors as sync_errors_table


@pytest.fixture
def engine(store_url):
    engine = open_store(store_url)
    yield engine
    engine.dispose()


def test_migrations_create_every_table_and_are_idempotent(store_url):
    engine = open_store(store_url)
    assert current_revision(engine) == head_revision()
    assert set(metadata.tables) <= set(inspect(engine).get_table_names())
    open_store(store_url)  # a second upgrade is a no-op
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_cursor_round_trip_and_reset(engine):
    with engine.begin() as connection:
        assert runs.get_cursor(connection, "handoff", "source") is None
        runs.set_cursor(connection, "handoff", "source", {"since": 1, "after": "9"})
        runs.set_cursor(connection, "handoff", "source", {"since": 2})
    with engine.begin() as connection:
        assert runs.get_cursor(connection, "handoff", "source") == {"since": 2}
        assert runs.reset_cursors(connection, "handoff") == 1
        assert runs.get_cursor(connection, "handoff", "source") is None


def test_run_window_is_claimed_once(engine):
    first = runs.start_run(engine, "handoff", "2026-11-25T10:00", owner="a")
    assert first is not None
    assert runs.start_run(engine, "handoff", "2026-11-25T10:00", owner="b") is None
    runs.finish_run(
        engine, first, status="ok", counts={"created": 3}, api_calls={"hubspot": {"objects.search": 2}}
    )
    [row] = runs.recent_runs(engine, "handoff")
    assert (row["status"], row["counts"], row["api_calls"]) == (
        "ok",
        {"created": 3},
        {"hubspot": {"objects.search": 2}},
    )
    with engine.begin() as connection:
        runs.add_api_usage(connection, "hubspot", 5)
        assert runs.calls_today(connection, "hubspot") == 7


def test_outbox_claim_complete_and_stale_owner_changes_nothing(engine):
    with engine.begin() as connection:
        outbox.enqueue(connection, "handoff", "write", [("c1", {"a": 1}, "h1"), ("c2", {"a": 2}, "h2")])
    claimed = outbox.claim(engine, "handoff", "write", limit=10, owner="me")
    assert [(row.record_key, row.attempt) for row in claimed] == [("c1", 1), ("c2", 1)]
    assert outbox.claim(engine, "handoff", "write", limit=10, owner="other") == []
    with engine.begin() as connection:
        assert outbox.done(connection, claimed, "someone-else") == 0
        assert outbox.done(connection, claimed[:1], "me") == 1
        outbox.release(connection, claimed[1:], "me", retry_at=utcnow() + timedelta(hours=1))
    assert outbox.claim(engine, "handoff", "write", limit=10, owner="me") == []
    with engine.begin() as connection:
        assert outbox.counts(connection, "handoff") == {"write": 1}
        assert outbox.make_due(connection, "handoff", "write", ["c2"]) == 1
    [again] = outbox.claim(engine, "handoff", "write", limit=10, owner="me")
    assert (again.record_key, again.attempt) == ("c2", 2)


def test_reenqueue_replaces_payload_and_voids_the_old_lease(engine):
    with engine.begin() as connection:
        outbox.enqueue(connection, "handoff", "write", [("c1", {"v": 1}, "h1")])
    [stale] = outbox.claim(engine, "handoff", "write", limit=1, owner="me")
    with engine.begin() as connection:
        outbox.enqueue(connection, "handoff", "write", [("c1", {"v": 2}, "h2")])
        assert outbox.done(connection, [stale], "me") == 0  # the newer payload survives
        assert outbox.pending_hashes(connection, "handoff", "write", ["c1", "zz"]) == {"c1": "h2"}
    [fresh] = outbox.claim(engine, "handoff", "write", limit=1, owner="me")
    assert fresh.payload == {"v": 2}


def test_recover_orphans_returns_in_flight_rows(engine):
    with engine.begin() as connection:
        outbox.enqueue(connection, "handoff", "write", [("c1", {}, "h")])
    outbox.claim(engine, "handoff", "write", limit=1, owner="crashed")
    with engine.begin() as connection:
        assert outbox.recover_orphans(connection, "handoff") == 1
    assert [row.record_key for row in outbox.claim(engine, "handoff", "write", limit=5, owner="me")] == ["c1"]


def test_links_connect_reuse_and_follow_conversion(engine):
    contact_a = RecordRef("hubspot", "contacts", "1")
    contact_b = RecordRef("hubspot", "contacts", "2")
    lead = RecordRef("salesforce", "Lead", "00Q1")
    with engine.begin() as connection:
        ids = links.connect(connection, [(contact_a, lead), (contact_b, lead)], entity="person")
        assert ids["1"] == ids["2"]  # the same person twice in the MA joins one link
        found = links.targets_of(connection, "hubspot", "contacts", ["1", "2", "3"], "salesforce")
        assert {key: target.record_id for key, target in found.items()} == {"1": "00Q1", "2": "00Q1"}
        links.follow_conversion(connection, lead, RecordRef("salesforce", "Contact", "0031"))
        found = links.targets_of(connection, "hubspot", "contacts", ["1"], "salesforce")
        assert (found["1"].object, found["1"].record_id, found["1"].status) == (
            "Contact",
            "0031",
            "converted",
        )


def test_sync_states_keep_previous_payload(engine):
    with engine.begin() as connection:
        link_id = links.connect(
            connection,
            [(RecordRef("hubspot", "contacts", "1"), RecordRef("salesforce", "Lead", "x"))],
            "person",
        )["1"]
        row = {"record_key": "1", "link_id": link_id, "payload_hash": "h1", "source_hash": "s1"}
        links.save_states(connection, "handoff:write", [{**row, "payload": {"v": 1}}], run_id=1)
        links.save_states(
            connection, "handoff:write", [{**row, "payload": {"v": 2}, "payload_hash": "h2"}], 2
        )
        state = links.synced_states(connection, "handoff:write", ["1"])["1"]
        assert (state.payload, state.payload_hash, state.source_hash) == ({"v": 2}, "h2", "s1")
        previous = connection.execute(select(metadata.tables["sync_states"].c.previous_payload)).scalar_one()
        assert previous == {"v": 1}


def test_sync_error_lifecycle_redacts_and_backs_off(engine):
    from connector.logs import register_secret

    register_secret("tok-SECRET-123456")
    report = ErrorReport(
        flow="handoff",
        stage="write",
        record_key="c1",
        system="salesforce",
        object="Lead",
        category="record_reject",
        code="INVALID_EMAIL_ADDRESS",
        message="Email: invalid email address: x (token tok-SECRET-123456)",
        fields=("Email",),
        payload={"Email": "x", "note": "Bearer tok-SECRET-123456"},
    )
    with engine.begin() as connection:
        first_retry = sync_errors.record(connection, report, run_id=1)
        second_retry = sync_errors.record(connection, report, run_id=2)
        [row] = sync_errors.query(connection, flow="handoff")
    assert row["attempts"] == 2 and row["status"] == "open"
    assert "tok-SECRET" not in row["message"] and "tok-SECRET" not in str(row["payload"])
    assert second_retry - first_retry >= timedelta(minutes=4)
    with engine.begin() as connection:
        assert sync_errors.due_keys(connection, "handoff", ["write"]) == []
        sync_errors.set_status(connection, [row["id"]], "retrying")
        assert sync_errors.due_keys(connection, "handoff", ["write"]) == ["c1"]
        assert sync_errors.summary(connection) == [("handoff", "write", "record_reject", 1)]
        assert sync_errors.resolve(connection, "handoff", "write", ["c1"]) == 1
        status = connection.execute(select(sync_errors_table.c.status)).scalar_one()
    assert status == "resolved"


def test_identity_index_lookup(engine):
    entries = [
        identity.IndexEntry("salesforce", "Lead", "00Q1", email="a@x.jp", company_name="acme|yamadataro"),
        identity.IndexEntry("salesforce", "Contact", "0031", email="a@x.jp"),
        identity.IndexEntry("salesforce", "Account", "0011", company="acme", is_customer=True),
    ]
    with engine.begin() as connection:
        identity.save(connection, entries)
        found = identity.lookup(connection, "salesforce", "email", ["a@x.jp", "b@x.jp"], ["Lead", "Contact"])
        assert sorted(entry.record_id for entry in found["a@x.jp"]) == ["0031", "00Q1"]
        identity.save(connection, [identity.IndexEntry("salesforce", "Lead", "00Q1", email="new@x.jp")])
        assert identity.get(connection, "salesforce", "Lead", ["00Q1"])["00Q1"].email == "new@x.jp"
        accounts = identity.lookup(connection, "salesforce", "company", ["acme"], ["Account"])
        assert accounts["acme"][0].is_customer


def test_activity_tallies_accumulate(engine):
    with engine.begin() as connection:
        activity.add_counts(connection, "handoff", {("7", "pricing_views"): (2, "2026-01-01T00:00:00Z")})
        activity.add_counts(connection, "handoff", {("7", "pricing_views"): (1, "2026-01-02T00:00:00Z")})
        activity.add_engagement(connection, "handoff", {"7": ["/pricing", "/case-study.pdf"]})
        activity.add_engagement(connection, "handoff", {"7": ["/pricing"]})
        assert activity.counts_for(connection, "handoff", ["7", "8"]) == {"7": {"pricing_views": 3}}
        activity.remember_qualifications(connection, "handoff", {"7": "score 85 >= 80"})
        activity.remember_qualifications(connection, "handoff", {"7": "rule", "8": "score 90 >= 80"})
        contexts = activity.contexts_for(connection, "handoff", ["7", "8"])
        assert contexts["7"] == activity.SourceContext(("/pricing", "/case-study.pdf"), "score 85 >= 80")
        assert contexts["8"].qualification == "score 90 >= 80"


def _try_lock(url: str, flow: str, queue) -> None:
    engine = open_store(url, migrate=False)
    try:
        with flow_lock(engine, flow):
            queue.put("locked")
    except FlowLockedError:
        queue.put("refused")


def test_flow_lock_excludes_other_processes_and_dies_with_its_holder(engine, store_url):
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    with flow_lock(engine, "handoff"):
        child = context.Process(target=_try_lock, args=(store_url, "handoff", queue))
        child.start()
        child.join(30)
        assert queue.get(timeout=5) == "refused"
        other = context.Process(target=_try_lock, args=(store_url, "feedback", queue))
        other.start()
        other.join(30)
        assert queue.get(timeout=5) == "locked"
    child = context.Process(target=_try_lock, args=(store_url, "handoff", queue))
    child.start()
    child.join(30)
    assert queue.get(timeout=5) == "locked"
