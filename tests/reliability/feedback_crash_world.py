"""A seeded feedback world for crash tests: people handed off to Salesforce, sales at work, real
`revloop run feedback` subprocesses, and a checker.

The world: a few hundred HubSpot contacts handed off by the handoff (so every Lead is linked), then sales
works them in Salesforce: statuses move on, some Leads are disqualified (they go back to nurture), some are
converted with an Opportunity (the contact becomes an open deal). The checker's oracle restates the
shipped mapping independently: what each contact must hold once the feedback has run, whatever killed it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from crash_world import run_revloop
from sqlalchemy import Engine, select

from connector.config import load_config
from connector.demo.sandbox_config import write_sandbox_config
from connector.flows.runner import run_flow
from connector.sandbox.server import Sandbox
from connector.state import open_store, runs
from connector.state.tables import outbox, sync_states

FLOW = "feedback"
NURTURE_LIST = "revloop: returned to nurture"
LEAD_STATUS = {"Open - Not Contacted": "NEW", "Working - Contacted": "IN_PROGRESS",
               "Closed - Converted": "CONNECTED", "Closed - Not Converted": "UNQUALIFIED"}  # fmt: skip
REPS = (
    {"LastName": "Mori", "Email": "kenji.mori@example.com"},
    {"LastName": "Ueda", "Email": "aiko.ueda@example.com"},
)


@dataclass
class Expected:
    """What one contact must hold once the feedback ran (the oracle)."""

    lead_status: str
    salesforce_id: str
    nurtured: bool = False


@dataclass
class FeedbackWorld:
    sandbox: Sandbox
    directory: Path
    seed: int
    people: int = 250
    expected: dict[str, Expected] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.sf, self.hs = self.sandbox.service("salesforce"), self.sandbox.service("hubspot")
        for fake in (self.sf, self.hs, self.sandbox.service("marketo")):
            fake.reset()
        self.rep_ids = self.sf.seed({"User": [dict(rep) for rep in REPS]})["User"]
        self.hs.seed({"owners": [{"email": rep["Email"], "lastName": rep["LastName"]} for rep in REPS]})
        self.state_url = f"sqlite:///{self.directory / 'state.db'}"
        self.config_path = write_sandbox_config(
            self.sandbox, self.directory / "config.toml", state_url=self.state_url
        )
        self.engine: Engine = open_store(self.state_url)
        self._hand_off()
        self._sales_at_work(random.Random(self.seed))
        self.contacts_before = len(self.hs.dump_state()["contacts"])

    def _hand_off(self) -> None:
        contacts = [
            {"properties": {"email": f"person{n}@crash{n % 5}.example.com", "lastname": f"Sato{n}",
                            "company": "Crash KK", "hubspotscore": "90"}}
            for n in range(self.people)
        ]  # fmt: skip
        self.contact_ids = self.hs.seed({"contacts": contacts})["contacts"]
        outcome = run_flow(load_config(self.config_path), "handoff", engine=self.engine)
        assert outcome.status == "ok", outcome
        leads = {row["Revloop_MA_Id__c"]: row["Id"] for row in self.sf.dump_state()["Lead"]}
        self.leads = {contact: leads[contact] for contact in self.contact_ids}

    def _sales_at_work(self, rng: random.Random) -> None:
        for contact, lead in self.leads.items():
            kind = rng.choices(
                ["working", "disqualified", "converted", "untouched"], weights=[50, 15, 15, 20]
            )[0]
            if kind == "converted":
                converted = self.sf.convert_lead(lead, opportunity_name=f"Deal {contact}")
                self.expected[contact] = Expected("OPEN_DEAL", converted["contactId"])
                continue
            status = {"working": "Working - Contacted", "disqualified": "Closed - Not Converted"}.get(kind)
            if status:
                self.sf.touch("Lead", lead, {"Status": status, "OwnerId": rng.choice(self.rep_ids)})
            nurtured = kind == "disqualified"
            self.expected[contact] = Expected(LEAD_STATUS[status or "Open - Not Contacted"], lead, nurtured)

    # ---- `revloop run feedback` in a subprocess ---------------------------------------------------
    def run(self, crash_at: str | None = None, *, kill_after_s: float | None = None) -> bool:
        """One `revloop run feedback`: to its end, or killed at ``crash_at`` / after ``kill_after_s``."""
        result = run_revloop(self.config_path, FLOW, self.directory, crash_at, kill_after_s=kill_after_s)
        self.stderr = result.stderr
        return result.killed

    def run_until_settled(self, limit: int = 3) -> int:
        for attempt in range(1, limit + 1):
            outcome = run_flow(load_config(self.config_path), FLOW, engine=self.engine)
            assert outcome.status in ("ok", "record_errors"), outcome
            if not self.waiting():
                return attempt
        raise AssertionError(f"still waiting after {limit} runs: {self.waiting()[:10]}")

    # ---- what the store and the fakes say -----------------------------------------------------------
    def waiting(self) -> list[tuple[str, str, str]]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(outbox.c.stage, outbox.c.record_key, outbox.c.state)
                                      .where(outbox.c.flow == FLOW))  # fmt: skip
            return [tuple(row) for row in rows]

    def cursor_ahead(self) -> set[str]:
        """People whose Lead the Lead cursor passed but the store holds neither queued nor written."""
        with self.engine.connect() as connection:
            cursor = runs.get_cursor(connection, FLOW, "Lead") or {}
            queued = {key for _, key, _ in self.waiting()}
            synced = select(sync_states.c.record_key).where(sync_states.c.direction == f"{FLOW}:write")
            written = set(connection.execute(synced).scalars())
        last = cursor.get("last") or ([cursor["since"], "~"] if cursor.get("since") else None)
        if last is None:
            return set()
        bound = (_moment(last[0]), last[1])
        ahead = set()
        for row in self.sf.dump_state()["Lead"]:
            if (_moment(row["SystemModstamp"]), row["Id"]) > bound:
                continue
            key = row["ConvertedContactId"] or row["Id"]
            if key not in queued | written:
                ahead.add(key)
        return ahead

    def contact(self, contact_id: str) -> dict[str, Any]:
        with self.hs.lock:
            return dict(self.hs.portal.table("contacts").live(int(contact_id)).properties)

    def problems(self) -> list[str]:
        """Lost, wrong or duplicated: every difference between the oracle and what HubSpot holds."""
        found = []
        for contact, expected in self.expected.items():
            properties = self.contact(contact)
            if properties.get("hs_lead_status") != expected.lead_status:
                found.append(
                    f"{contact}: hs_lead_status {properties.get('hs_lead_status')} != {expected.lead_status}"
                )
            if properties.get("revloop_salesforce_id") != expected.salesforce_id:
                found.append(f"{contact}: revloop_salesforce_id is not {expected.salesforce_id}")
        state = self.hs.dump_state()
        if len(state["contacts"]) != self.contacts_before:
            found.append(f"contacts created: {len(state['contacts'])} != {self.contacts_before}")
        found += [
            f"{email} created {n} times"
            for email, n in self.hs.creates_per_key("contacts", "email").items()
            if n > 1
        ]
        nurtured = {c for c, e in self.expected.items() if e.nurtured}
        members = {m for entry in state["lists"] if entry["name"] == NURTURE_LIST for m in entry["members"]}
        if members != nurtured:
            missing, extra = sorted(nurtured - members)[:5], sorted(members - nurtured)[:5]
            found.append(f"nurture list: missing {missing}, extra {extra}")
        return found

    def write_calls(self) -> int:
        calls = self.hs.calls
        return calls["batch_update"] + calls["memberships_add"]


def _moment(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)
