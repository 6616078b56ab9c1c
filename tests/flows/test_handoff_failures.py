"""Failures: refused records wait with back-off and heal; drift pauses; quota stops; no fault duplicates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from connector.sandbox.framework import Fault
from connector.state.tables import outbox, sync_errors

HOT = {"hubspotscore": 90}


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def make_due(env, record_key: str) -> None:
    """Move a waiting record's back-off into the past, as if its time had come."""
    past = now() - timedelta(seconds=1)
    env.execute(update(outbox).where(outbox.c.record_key == record_key).values(next_attempt_at=past))
    env.execute(
        update(sync_errors).where(sync_errors.c.record_key == record_key).values(next_attempt_at=past)
    )


def test_a_refused_record_is_an_error_row_and_the_rest_of_its_batch_is_written(env) -> None:
    good = env.contact(email="good@example.com", lastname="Good", company="G", **HOT)
    bad = env.contact(email="grace,lewis@acme.example.com", lastname="Lewis", company="Acme", **HOT)
    before = now()

    outcome = env.run()

    assert outcome.status == "record_errors"
    assert outcome.exit_code == 1
    assert (outcome.counts["created"], outcome.counts["failed"]) == (1, 1)
    assert len(env.sf_by_ma_id("Lead", good)) == 1
    (error,) = env.errors()
    assert error["record_key"] == bad
    assert (error["category"], error["code"], error["stage"]) == (
        "record_reject",
        "INVALID_EMAIL_ADDRESS",
        "write",
    )
    assert "grace,lewis@acme.example.com" in error["message"]
    assert error["payload"]["Email"] == "grace,lewis@acme.example.com"
    assert error["payload"]["LastName"] == "Lewis"
    assert (error["status"], error["attempts"]) == ("open", 1)
    assert error["next_attempt_at"] >= before + timedelta(minutes=4)
    (waiting,) = env.waiting()
    assert waiting["record_key"] == bad
    assert waiting["state"] == "pending"
    assert waiting["next_attempt_at"] == error["next_attempt_at"]
    assert "revloop_salesforce_id" not in env.contact_properties(bad)


def test_a_refused_record_waits_for_its_back_off_then_heals_when_the_source_is_fixed(env, cli) -> None:
    bad = env.contact(email="grace,lewis@acme.example.com", lastname="Lewis", company="Acme", **HOT)
    env.run()
    env.reset_calls()

    waiting = env.run()  # not due yet: nothing is sent

    assert waiting.status == "ok"
    assert env.sf.total_calls == 0
    assert env.errors()[0]["attempts"] == 1

    (error,) = env.errors()
    retry = env.cli("errors", "retry", str(error["id"]))
    assert retry.code == 0, retry
    again = env.run()  # due now: tried again, refused again, waits longer

    assert again.counts["failed"] == 1
    (error,) = env.errors()
    assert (error["status"], error["attempts"]) == ("open", 2)
    assert error["next_attempt_at"] >= now() + timedelta(minutes=9)

    env.hs.touch("contacts", bad, {"email": "grace.lewis@acme.example.com"})
    fixed = env.run()  # a new source version is due at once

    assert fixed.status == "ok", fixed
    assert fixed.counts["created"] == 1
    (error,) = env.errors()
    assert error["status"] == "resolved"
    assert env.waiting() == []
    assert env.contact_properties(bad)["revloop_sync_status"] == "created"


def test_a_mapping_failure_is_an_error_row_retried_after_back_off_and_healed(env) -> None:
    bad = env.contact(
        email="misaki@osaka.example.jp", lastname="中村", company="大阪", phone="電話番号なし", **HOT
    )
    good = env.contact(email="ok@osaka.example.jp", lastname="Ok", company="大阪", **HOT)

    first = env.run()

    assert first.status == "record_errors"
    assert len(env.sf_by_ma_id("Lead", good)) == 1
    (error,) = env.errors()
    assert (error["record_key"], error["category"]) == (bad, "mapping")
    assert "Phone" in error["message"] and "phone_e164" in error["message"]
    assert error["payload"]["phone"] == "電話番号なし"
    assert error["next_attempt_at"] > now() + timedelta(minutes=4)
    env.reset_calls()

    assert env.run().status == "ok"  # still waiting
    assert env.sf.total_calls == 0

    make_due(env, bad)
    retried = env.run()

    assert retried.counts["failed"] == 1
    assert env.errors()[0]["attempts"] == 2

    env.hs.touch("contacts", bad, {"phone": "06-1234-5678"})
    healed = env.run()

    assert healed.counts["created"] == 1
    assert env.sf_by_ma_id("Lead", bad)[0]["Phone"] == "+81612345678"
    assert env.errors()[0]["status"] == "resolved"


def test_a_value_the_restricted_picklist_refuses_is_caught_before_sending(env) -> None:
    """The described schema lists the picklist's values: a refused value costs no call and fails only
    its record (category mapping), until the mapping maps it or the source changes."""
    flow = "marketo_handoff"
    odd = env.lead(email="pod@example.jp", lastName="Pod", company="P", leadScore=90, leadSource="Podcast")
    fine = env.lead(email="fine@example.jp", lastName="Fine", company="F", leadScore=90, leadSource="Website")

    outcome = env.run(flow)

    assert outcome.status == "record_errors", outcome
    assert len(env.sf_by_ma_id("Lead", f"mkto-{fine}")) == 1
    assert env.sf_by_ma_id("Lead", f"mkto-{odd}") == []
    (error,) = env.errors()
    assert (error["category"], error["record_key"], error["fields"]) == ("mapping", str(odd), ["LeadSource"])
    assert "restricted picklist without 'Podcast'" in error["message"]
    assert [row["record_key"] for row in env.waiting()] == [str(odd)]

    env.mk.touch(odd, {"leadSource": "Webinar"})
    healed = env.run(flow)

    assert healed.status == "ok", healed
    assert env.sf_by_ma_id("Lead", f"mkto-{odd}")[0]["LeadSource"] == "Seminar - Internal"
    assert env.errors()[0]["status"] == "resolved"


def test_a_constant_the_restricted_picklist_no_longer_offers_pauses_the_flow(env, tmp_path) -> None:
    """A value the mapping itself produces that the target refuses is schema drift: every record would
    fail, so the flow pauses with its records pending instead of filling the error list."""
    shipped = env.config.flow("handoff").mapping
    drifted = tmp_path / "drifted.toml"
    drifted.write_text(
        shipped.read_text(encoding="utf-8").replace('value = "Web"', 'value = "Website"'), encoding="utf-8"
    )
    env.config_path.write_text(
        env.config_path.read_text(encoding="utf-8").replace(str(shipped), str(drifted)), encoding="utf-8"
    )
    contact = env.contact(email="pick@example.com", lastname="Pick", company="P", **HOT)

    outcome = env.run()

    assert outcome.status == "paused", outcome
    assert "LeadSource" in outcome.message and "Website" in outcome.message
    assert env.sf_rows("Lead") == []
    assert [row["record_key"] for row in env.waiting()] == [contact]
    (error,) = env.errors()
    assert (error["category"], error["code"]) == ("schema_drift", "PICKLIST_VALUE_MISSING")


def test_an_unknown_target_field_pauses_the_flow_until_the_mapping_is_fixed(env, tmp_path) -> None:
    shipped = env.config.flow("handoff").mapping
    broken = tmp_path / "broken.toml"
    broken.write_text(
        shipped.read_text(encoding="utf-8") + '\n[fields.Nickname__c]\nfrom = "firstname"\n', encoding="utf-8"
    )
    text = env.config_path.read_text(encoding="utf-8")
    env.config_path.write_text(text.replace(str(shipped), str(broken)), encoding="utf-8")
    contact = env.contact(email="drift@example.com", firstname="Dee", lastname="Drift", company="D", **HOT)

    outcome = env.run()

    assert outcome.status == "paused", outcome
    assert "Nickname__c" in outcome.message
    assert env.sf_rows("Lead") == []
    assert [row["record_key"] for row in env.waiting()] == [contact]

    env.config_path.write_text(text, encoding="utf-8")
    assert env.run().status == "paused"  # fixing the mapping is not enough: an admin resumes
    assert env.cli("flows", "resume", "handoff", "--yes").code == 0

    resumed = env.run()

    assert resumed.status == "ok", resumed
    assert len(env.sf_by_ma_id("Lead", contact)) == 1


def test_a_quota_stop_keeps_every_record_pending_and_a_later_run_finishes(env) -> None:
    contacts = env.contacts(
        [{"email": f"quota{i}@example.com", "lastname": f"Q{i}", "company": "Q", **HOT} for i in range(3)]
    )
    env.sf.set_knobs(daily_quota=6)  # token, two describes and three queries: no call left for the upsert

    outcome = env.run()

    assert outcome.status == "stopped", outcome
    assert outcome.exit_code == 3
    assert "quota" in outcome.message
    assert env.sf_rows("Lead") == []
    assert sorted(row["record_key"] for row in env.waiting()) == sorted(contacts)
    assert all(row["state"] == "pending" for row in env.waiting())
    assert env.errors() == []
    assert env.runs()[-1]["status"] == "stopped"

    env.sf.set_knobs(daily_quota=100_000)
    later = env.run()

    assert later.status == "ok", later
    assert later.counts["created"] == 3
    assert env.creates() == dict.fromkeys(contacts, 1)
    assert env.waiting() == []


def test_a_hubspot_quota_stop_during_the_writeback_keeps_the_writebacks_pending(env) -> None:
    contact = env.contact(email="hsq@example.com", lastname="Quota", company="Q", **HOT)
    env.hs.set_knobs(daily_quota=1)  # the search passes, the writeback is refused

    outcome = env.run()

    assert outcome.status == "stopped", outcome
    assert outcome.exit_code == 3
    (lead,) = env.sf_by_ma_id("Lead", contact)
    assert [row["record_key"] for row in env.waiting("writeback")] == [contact]
    assert "revloop_salesforce_id" not in env.contact_properties(contact)
    assert env.errors() == []

    env.hs.set_knobs(daily_quota=None)
    later = env.run()

    assert later.status == "ok", later
    assert env.contact_properties(contact)["revloop_salesforce_id"] == lead["Id"]
    assert env.waiting("writeback") == []
    assert env.sf_row("Lead", lead["Id"]) == lead  # the Lead is not written again
    assert env.creates() == {contact: 1}


def test_a_server_error_on_the_upsert_is_retried_without_duplicates(env) -> None:
    contacts = env.contacts(
        [{"email": f"f{i}@example.com", "lastname": f"F{i}", "company": "F", **HOT} for i in range(2)]
    )
    env.sf.set_knobs(faults=[Fault(nth=1, kind="500", endpoint="collections_upsert")])

    outcome = env.run()

    assert outcome.status == "ok", outcome
    assert env.sf.knobs.faults == []  # the first upsert got the 500 ...
    assert outcome.counts["created"] == 2  # ... and its retry wrote both
    assert env.creates() == dict.fromkeys(contacts, 1)
    assert env.errors() == []


def test_a_connection_dropped_after_the_upsert_applied_is_retried_without_duplicates(env) -> None:
    contacts = env.contacts(
        [{"email": f"d{i}@example.com", "lastname": f"D{i}", "company": "D", **HOT} for i in range(2)]
    )
    env.sf.set_knobs(faults=[Fault(nth=1, kind="drop", endpoint="collections_upsert")])

    outcome = env.run()

    assert outcome.status == "ok", outcome
    assert env.sf.knobs.faults == []  # the first upsert was applied and its answer lost
    assert env.creates() == dict.fromkeys(contacts, 1)
    assert outcome.counts["created"] == 2  # the retry found them created by the first, lost answer
    for contact in contacts:
        assert env.contact_properties(contact)["revloop_sync_status"] == "created"


def test_a_connection_reset_on_the_writeback_is_retried(env) -> None:
    contact = env.contact(email="wbr@example.com", lastname="Reset", company="R", **HOT)
    env.hs.set_knobs(faults=[Fault(nth=1, kind="reset", endpoint="batch_update")])

    outcome = env.run()

    assert outcome.status == "ok", outcome
    assert env.contact_properties(contact)["revloop_sync_status"] == "created"
    assert env.waiting("writeback") == []


def test_a_quota_stop_between_batches_keeps_only_the_unwritten_records_pending(env) -> None:
    contacts = env.contacts(
        [{"email": f"mid{i}@example.com", "lastname": f"M{i}", "company": "M", **HOT} for i in range(300)]
    )
    env.sf.set_knobs(daily_quota=7)  # token, two describes, three queries and one upsert

    outcome = env.run()

    assert outcome.status == "stopped", outcome
    assert outcome.counts["created"] == 200
    written = {row["Revloop_MA_Id__c"] for row in env.sf_rows("Lead")}
    waiting = {row["record_key"] for row in env.waiting()}  # read but not written (or not read yet)
    assert len(written) == 200
    assert waiting <= set(contacts) - written

    env.sf.set_knobs(daily_quota=100_000)
    later = env.run()

    assert later.status == "ok", later
    assert later.counts["created"] == 100
    assert env.creates() == dict.fromkeys(contacts, 1)
    assert all(env.contact_properties(c).get("revloop_salesforce_id") for c in contacts)


def test_a_rule_that_cannot_be_decided_is_an_error_until_the_record_decides_it(env, tmp_path) -> None:
    shipped = env.config.flow("handoff").mapping
    custom = tmp_path / "ratio.toml"
    rule = "rule = 'pricing_views / (contact_form_visits - 1) >= 2'"  # undecidable at exactly one visit
    custom.write_text(
        "\n".join(rule if line.startswith("rule = ") else line for line in shipped.read_text().splitlines()),
        encoding="utf-8",
    )
    env.config_path.write_text(env.config_path.read_text().replace(str(shipped), str(custom)))
    contact = env.contact(
        email="ratio@example.com",
        lastname="Ratio",
        company="R",
        revloop_pricing_page_views=4,
        revloop_contact_form_visits=1,
    )

    first = env.run()

    assert first.status == "record_errors", first
    (error,) = env.errors()
    assert (error["stage"], error["code"], error["record_key"]) == ("qualify", "RULE_NOT_DECIDABLE", contact)

    env.hs.touch("contacts", contact, {"revloop_contact_form_visits": "2"})
    second = env.run()

    assert second.status == "ok", second
    assert len(env.sf_by_ma_id("Lead", contact)) == 1
    assert env.errors()[0]["status"] == "resolved"


def test_a_locked_row_is_tried_once_per_run_and_again_soon(env) -> None:
    """UNABLE_TO_LOCK_ROW is transient for one record: no hot loop within the run, a retry soon after."""
    contact = env.contact(email="locked@example.com", lastname="Locked", company="L", **HOT)
    env.run()
    (lead,) = env.sf_by_ma_id("Lead", contact)
    env.sf.lock_record(lead["Id"], failures=20)
    env.hs.touch("contacts", contact, {"jobtitle": "Buyer"})
    env.reset_calls()

    outcome = env.run()

    assert outcome.status == "record_errors", outcome
    assert env.sf.calls["collections_update"] == 1
    (error,) = env.errors()
    assert (error["category"], error["code"]) == ("transient", "UNABLE_TO_LOCK_ROW")
    (waiting,) = env.waiting()
    assert now() < waiting["next_attempt_at"] <= now() + timedelta(minutes=2)

    env.sf.unlock_record(lead["Id"])
    make_due(env, contact)
    later = env.run()

    assert later.counts["updated"] == 1
    assert env.sf_row("Lead", lead["Id"])["Title"] == "Buyer"
    assert env.errors()[0]["status"] == "resolved"


def test_a_record_that_fails_again_after_healing_starts_a_new_back_off(env) -> None:
    contact = env.contact(email="again,bad@example.com", lastname="Again", company="A", **HOT)
    env.run()
    make_due(env, contact)
    env.run()
    assert env.errors()[0]["attempts"] == 2
    env.hs.touch("contacts", contact, {"email": "again@example.com"})
    env.run()
    assert env.errors()[0]["status"] == "resolved"

    env.hs.touch("contacts", contact, {"email": "again,worse@example.com"})
    before = now()
    env.run()

    (error,) = env.errors()
    assert (error["status"], error["attempts"]) == ("open", 1)
    assert error["first_seen"] >= before
    assert error["next_attempt_at"] <= now() + timedelta(minutes=5)
