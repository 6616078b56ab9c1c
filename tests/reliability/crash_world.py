"""A seeded handoff world for crash, fault and replica tests: sandbox data, real `revloop` runs, snapshots.

The data comes from a seeded RNG, so a failing seed replays. A world holds a few hundred HubSpot
contacts that qualify in different ways (a score at or above the threshold; the multi-condition rule),
contacts that do not qualify, invalid ones (an email Salesforce refuses; a phone number the mapping
cannot convert), qualifying people who already are Salesforce Leads (linked, never created), cold
people who are Leads too (never touched) and people of a customer Account (they become Contacts).
Names, emails and phones are unique, so every match is deliberate.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker import Ledger, Observed, Report, Source, check, cursor_ahead
from sqlalchemy import Engine, select

from connector.config import load_config
from connector.demo.sandbox_config import write_sandbox_config
from connector.flows.crashpoints import ENV as CRASH_ENV
from connector.flows.runner import run_flow
from connector.sandbox.server import Sandbox
from connector.state import open_store
from connector.state.tables import runs

MA_ID = "Revloop_MA_Id__c"
TASK_KEY = "Revloop_Task_Key__c"
THRESHOLD = 80
LAST_NAMES = ["Smith", "Garcia", "Tanaka", "Sato", "Miller", "Nakamura", "Brown", "Kato", "Wilson", "Ito"]
COMPANIES = [
    "Acme Corp",
    "Globex Inc.",
    "Initech LLC",
    "株式会社サンプル",
    "未来テック株式会社",
    "Wayne Labs",
]
CUSTOMER = "Stark Industries"
REPS = (
    {"LastName": "Mori", "FirstName": "Kenji", "Email": "kenji.mori@example.com", "IsActive": True},
    {"LastName": "Ueda", "FirstName": "Aiko", "Email": "aiko.ueda@example.com", "IsActive": True},
)
INVALID_KINDS = ("bad_email", "bad_phone")
TRACKED = ("FirstName", "LastName", "Company", "Email", "Phone", "Title", "LeadSource", "Rating",
           "Description", "Revloop_Qualification__c")  # fmt: skip
"""Salesforce fields the shipped HubSpot mapping writes: the ledger must know their values."""


def qualifies(properties: dict[str, str]) -> bool:
    """The shipped HubSpot mapping's rule, restated independently: the checker's oracle."""

    def number(name: str) -> float:
        return float(properties.get(name) or 0)

    by_score = number("hubspotscore") >= THRESHOLD
    by_rule = (
        number("revloop_pricing_page_views") >= 2
        and number("revloop_case_study_downloads") >= 1
        and number("revloop_contact_form_visits") >= 1
    )
    return by_score or by_rule


@dataclass
class SeedPlan:
    """The people to seed: HubSpot contact properties with their kind, and existing Salesforce Leads."""

    contacts: list[dict[str, str]] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)  # score, rule, cold, bad_*, customer, existing
    leads: list[dict[str, Any]] = field(default_factory=list)


def build_plan(rng: random.Random, contacts: int, *, invalid: bool = True) -> SeedPlan:
    """The world's people; ``invalid`` False leaves out the records that must fail."""
    plan = SeedPlan()
    for index in range(contacts):
        kind = rng.choices(["score", "rule", "cold"], weights=[45, 20, 35])[0]
        plan.contacts.append(_contact(rng, index, kind))
        plan.kinds.append(kind)
    qualifying = [i for i, kind in enumerate(plan.kinds) if kind != "cold"]
    cold = [i for i, kind in enumerate(plan.kinds) if kind == "cold"]
    picks = iter(rng.sample(qualifying, 19))
    for kind, count in (("bad_email", 3 if invalid else 0), ("bad_phone", 2 if invalid else 0),
                        ("customer", 4), ("existing", 10)):  # fmt: skip
        for _ in range(count):
            _make(plan, next(picks), kind)
    for index in rng.sample(cold, 3):  # a cold person who is a Lead already: must stay untouched
        plan.leads.append(_lead_of(plan.contacts[index]))
    return plan


def _make(plan: SeedPlan, index: int, kind: str) -> None:
    person = plan.contacts[index]
    if kind == "bad_email":  # Salesforce refuses it: a record_reject error row
        person["email"] = person["email"].replace(".", ",", 1)
    elif kind == "bad_phone":  # the mapping cannot make an E.164 number of it: refused before any call
        person["phone"] = "電話番号なし"
    elif kind == "customer":  # works at a customer Account: becomes a Contact there
        person["company"] = CUSTOMER
    else:  # already a Salesforce Lead, email written differently: linked, not created
        plan.leads.append(_lead_of(person))
    plan.kinds[index] = kind


def _contact(rng: random.Random, index: int, kind: str) -> dict[str, str]:
    last = f"{rng.choice(LAST_NAMES)}{index}"
    properties = {
        "firstname": f"Given{index}",
        "lastname": last,
        "email": f"given{index}.{last.lower()}@crash{index % 7}.example.com",
        "company": rng.choice(COMPANIES),
        "phone": f"+1 415 555 {1000 + index:04d}",
        "jobtitle": rng.choice(["CTO", "Head of RevOps", "Engineer", ""]),
        "hs_analytics_source_data_1": rng.choice(["webinar", "ads-jp", "ebook"]),
    }
    below = rng.randint(0, THRESHOLD - 1)
    if kind == "score":
        numbers = (rng.randint(THRESHOLD, 100), rng.randint(0, 3), 0, 0)
    elif kind == "rule":
        numbers = (below, rng.randint(2, 4), rng.randint(1, 2), rng.randint(1, 2))
    else:  # cold: below the threshold, and no case study, so the rule fails too
        numbers = (below, rng.randint(0, 4), 0, rng.randint(0, 2))
    names = ("hubspotscore", "revloop_pricing_page_views", "revloop_case_study_downloads",
             "revloop_contact_form_visits")  # fmt: skip
    properties.update({name: str(value) for name, value in zip(names, numbers, strict=True)})
    return properties


def _lead_of(person: dict[str, str]) -> dict[str, Any]:
    return {
        "FirstName": person["firstname"],
        "LastName": person["lastname"],
        "Email": person["email"].upper(),
        "Company": person["company"],
        "Status": "Open - Not Contacted",
    }


@dataclass(frozen=True)
class RunResult:
    returncode: int
    killed: bool
    stderr: str


def run_revloop(
    config_path: Path,
    flow: str,
    directory: Path,
    crash_at: str | None = None,
    *,
    kill_after_s: float | None = None,
    timeout_s: float = 120,
) -> RunResult:
    """One `revloop run <flow>` in a process of its own: to its end, to its crash point (``crash_at``),
    or SIGKILLed after ``kill_after_s``."""
    env = {key: value for key, value in os.environ.items() if key != CRASH_ENV}
    if crash_at:
        env[CRASH_ENV] = crash_at
    command = [sys.executable, "-m", "connector", "--config", str(config_path), "run", flow]
    process = subprocess.Popen(command, env=env, cwd=directory, text=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    if kill_after_s is not None:
        try:
            process.wait(timeout=kill_after_s)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
    _, stderr = process.communicate(timeout=timeout_s)
    return RunResult(process.returncode, process.returncode == -signal.SIGKILL, stderr)


class CrashWorld:
    """One seeded world on a running sandbox (its fakes are reset), with its config and state store."""

    def __init__(
        self,
        sandbox: Sandbox,
        directory: Path,
        *,
        seed: int,
        contacts: int = 420,
        invalid: bool = True,
        state_url: str | None = None,
    ) -> None:
        self.directory = directory
        self.sf = sandbox.service("salesforce")
        self.hs = sandbox.service("hubspot")
        for fake in (self.sf, self.hs, sandbox.service("marketo")):
            fake.reset()
        self.plan = build_plan(random.Random(seed), contacts, invalid=invalid)
        customer = {"Name": CUSTOMER, "Type": "Customer"}
        self.sf.seed({"User": [dict(rep) for rep in REPS], "Account": [customer], "Lead": self.plan.leads})
        contacts = [{"properties": properties} for properties in self.plan.contacts]
        self.hubspot_ids = self.hs.seed({"contacts": contacts})["contacts"]
        self.state_url = state_url or f"sqlite:///{directory / 'state.db'}"
        self.config_path = write_sandbox_config(sandbox, directory / "config.toml", state_url=self.state_url)
        self.engine: Engine = open_store(self.state_url)
        self.source = Source.from_contacts(self.hs.dump_state()["contacts"], qualifies)
        self.before = self.observed()
        self.runs: list[RunResult] = []

    def change_contacts(self, rng: random.Random, count: int) -> dict[str, dict[str, str]]:
        """Marketers at work: new job titles for ``count`` contacts, and some cold ones heat up.

        Returns the new properties by contact id; the checker's source snapshot follows.
        """
        changes: dict[str, dict[str, str]] = {}
        for contact_id in rng.sample(self.hubspot_ids, count):
            kind = self.plan.kinds[self.hubspot_ids.index(contact_id)]
            values = {"jobtitle": f"VP {rng.choice(['Sales', 'Marketing', 'RevOps'])} {contact_id}"}
            if kind == "cold" and rng.random() < 0.3:
                values["hubspotscore"] = "95"
            self.hs.touch("contacts", contact_id, values)
            changes[contact_id] = values
        self.source = Source.from_contacts(self.hs.dump_state()["contacts"], qualifies)
        return changes

    def contact(self, contact_id: str) -> dict[str, str]:
        with self.hs.lock:
            return dict(self.hs.portal.table("contacts").live(int(contact_id)).properties)

    def ids_of(self, *kinds: str) -> set[str]:
        return {hs_id for hs_id, kind in zip(self.hubspot_ids, self.plan.kinds, strict=True) if kind in kinds}

    def set_latency(self, ms: float) -> None:
        for fake in (self.sf, self.hs):
            fake.set_knobs(latency_ms=ms)

    def write_calls(self) -> dict[str, int]:
        """Write calls so far: Salesforce collection upserts/updates, HubSpot writeback batches."""
        sf, hs = self.sf.calls, self.hs.calls
        return {
            "salesforce": sf["collections_upsert"] + sf["collections_update"],
            "hubspot": hs["batch_update"] + hs["batch_upsert"],
        }

    # ---- `revloop run handoff` in a subprocess ----------------------------------------------------
    def run(self, crash_at: str | None = None, *, kill_after_s: float | None = None) -> RunResult:
        """One `revloop run handoff`: to its end, to its crash point, or SIGKILLed after ``kill_after_s``."""
        result = run_revloop(self.config_path, "handoff", self.directory, crash_at, kill_after_s=kill_after_s)
        self.runs.append(result)
        return result

    def run_until_settled(self, *, limit: int = 4) -> int:
        """Clean runs until one finishes with nothing in flight or due; returns how many it took.

        They run in this process (``run_flow``, as `revloop run` does): only the killed runs need a
        process of their own, and this saves a start-up per run.
        """
        for attempt in range(1, limit + 1):
            outcome = run_flow(load_config(self.config_path), "handoff", engine=self.engine)
            assert outcome.status in ("ok", "record_errors"), outcome
            if self.ledger().settled:
                return attempt
        raise AssertionError(f"work still waiting after {limit} clean runs: {self.ledger().waiting[:20]}")

    def run_statuses(self) -> list[str]:
        with self.engine.connect() as connection:
            return list(connection.execute(select(runs.c.status).order_by(runs.c.id)).scalars())

    # ---- the checker's views ----------------------------------------------------------------------
    def ledger(self) -> Ledger:
        with self.engine.connect() as connection:
            return Ledger.read(connection, source_system="hubspot", source_object="contacts", flow="handoff")

    def observed(self) -> Observed:
        return Observed.from_fakes(
            salesforce=self.sf.dump_state(),
            creates={
                **{obj: self.sf.creates_by_key(obj, MA_ID) for obj in ("Lead", "Contact")},
                "Task": self.sf.creates_by_key("Task", TASK_KEY),
            },
            hubspot_contacts=self.hs.dump_state()["contacts"],
            key_field=MA_ID,
            tracked=TRACKED,
        )

    def check(self) -> Report:
        return check(self.source, self.ledger(), self.observed(), before=self.before)

    def cursor_ahead(self) -> set[str]:
        return cursor_ahead(self.source, self.ledger())
