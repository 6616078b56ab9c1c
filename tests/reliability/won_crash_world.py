"""A seeded won-deals world for crash tests: Salesforce sales, a CRM that already knows some companies and
products, real `revloop run won_deals` processes, and a checker in the style of checker.py.

Three views after the runs: the source (what Salesforce holds: won opportunities, their line items and
people), the ledger (links, outbox, open errors) and what the CRM fake holds, including how many records
it ever created per unique key (a duplicate shows even if it was archived later). ``check`` reports lost,
duplicated and mismatched deals.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crash_world import RunResult, run_revloop
from sqlalchemy import Engine, select

from connector.config import load_config
from connector.demo.sales import PRODUCTS, Person, Sale, salesforce_sales
from connector.demo.sandbox_config import write_sandbox_config
from connector.flows.runner import run_flow
from connector.sandbox.server import Sandbox
from connector.state import open_store
from connector.state.tables import outbox, sync_errors

FLOW = "won_deals"
UNIQUE = {  # CRM object → the unique property revloop upserts it on
    "deals": "revloop_salesforce_opportunity_id",
    "companies": "revloop_salesforce_account_id",
    "line_items": "revloop_salesforce_line_id",
    "products": "hs_sku",
    "contacts": "email",
}
COMPANIES = [
    "株式会社アクメ",
    "Globex Inc.",
    "(株)サンプル",
    "Initech LLC",
    "未来テック株式会社",
    "Wayne Labs",
]
KNOWN_COMPANIES = [
    {"name": "ACME ホールディングス", "domain": "acme0.example.jp"},
    {"name": "サンプル株式会社"},
]
"""Companies the CRM has before revloop runs: one found by domain, one by normalised name."""


def build_sales(rng: random.Random, count: int) -> list[Sale]:
    sales = []
    for index in range(count):
        company = COMPANIES[index % len(COMPANIES)] + (f" {index // 30}" if index >= 30 else "")
        website = (
            f"https://www.acme{index // 30}.example.jp/" if company.startswith("株式会社アクメ") else None
        )
        lines = tuple((code, rng.randint(1, 5)) for code in rng.sample(sorted(PRODUCTS), rng.randint(1, 3)))
        people = tuple(
            Person(
                f"Given{index}{n}",
                f"Family{index % 40}",
                f"p{index}.{n}@crash{index % 9}.example.jp",
                "Evaluator",
            )
            for n in range(rng.randint(1, 2))
        )
        stage = "Closed Won" if rng.random() < 0.9 else "Negotiation/Review"
        currency = rng.choice(["JPY", "JPY", "USD", "EUR"])
        sales.append(Sale(f"Deal {index}", company, website, stage, currency, lines, people))
    return sales


@dataclass
class Report:
    lost: dict[str, str] = field(default_factory=dict)
    duplicated: dict[str, str] = field(default_factory=dict)
    mismatched: dict[str, str] = field(default_factory=dict)
    synced: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.mismatched)

    def __str__(self) -> str:
        parts = [f"synced {len(self.synced)}"]
        for name in ("lost", "duplicated", "mismatched"):
            found = getattr(self, name)
            if found:
                parts.append(
                    f"{name} {len(found)}: " + "; ".join(f"{k}: {v}" for k, v in sorted(found.items())[:8])
                )
        return "\n".join(parts)


class WonWorld:
    def __init__(self, sandbox: Sandbox, directory: Path, *, seed: int, count: int = 240) -> None:
        self.directory = directory
        self.sf, self.hs = sandbox.service("salesforce"), sandbox.service("hubspot")
        for fake in (self.sf, self.hs, sandbox.service("marketo")):
            fake.reset()
        self.sales = build_sales(random.Random(seed), count)
        self.sf.seed({obj: rows for obj, rows in salesforce_sales(self.sales).items() if rows})
        self.hs.seed({"companies": [{"properties": props} for props in KNOWN_COMPANIES],
                      "products": [{"properties": {"name": "Pro (CRM)", "hs_sku": "RL-PRO"}}]})  # fmt: skip
        self.config_path = write_sandbox_config(sandbox, directory / "config.toml",
                                                state_url=f"sqlite:///{directory / 'state.db'}")  # fmt: skip
        self.engine: Engine = open_store(f"sqlite:///{directory / 'state.db'}")

    # ---- runs ----------------------------------------------------------------------------------------
    def run(self, crash_at: str | None = None, *, kill_after_s: float | None = None) -> RunResult:
        return run_revloop(self.config_path, FLOW, self.directory, crash_at, kill_after_s=kill_after_s,
                           timeout_s=180)  # fmt: skip

    def run_until_settled(self, *, limit: int = 4) -> int:
        for attempt in range(1, limit + 1):
            outcome = run_flow(load_config(self.config_path), FLOW, engine=self.engine)
            assert outcome.status in ("ok", "record_errors"), outcome
            if not self.in_flight() and not self.due():
                return attempt
        raise AssertionError(f"work still waiting after {limit} clean runs: {self.due()[:10]}")

    def in_flight(self) -> list[str]:
        return self._outbox(outbox.c.state == "in_flight")

    def due(self) -> list[str]:
        """Waiting rows that are not explained by an open error row."""
        explained = self.errors()
        return [key for key in self._outbox(outbox.c.state == "pending") if key not in explained]

    def _outbox(self, condition) -> list[str]:
        with self.engine.connect() as connection:
            query = select(outbox.c.record_key).where(outbox.c.flow == FLOW, condition)
            return list(connection.execute(query).scalars())

    def errors(self) -> dict[str, str]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(sync_errors.c.record_key, sync_errors.c.code).where(
                sync_errors.c.flow == FLOW, sync_errors.c.status.in_(("open", "retrying"))))  # fmt: skip
            return dict(rows.all())

    def set_latency(self, ms: float) -> None:
        for fake in (self.sf, self.hs):
            fake.set_knobs(latency_ms=ms)

    # ---- the checker ---------------------------------------------------------------------------------
    def check(self) -> Report:
        report = Report()
        source, crm = self.sf.dump_state(), self.hs.dump_state()
        live = {obj: [r for r in crm[obj] if not r["archived"]] for obj in UNIQUE}
        self._duplicates(report, live)
        by_key = {obj: {r["properties"].get(UNIQUE[obj]): r for r in rows} for obj, rows in live.items()}
        graph = _graph(crm["associations"], {r["id"] for rows in live.values() for r in rows})
        lines_of: dict[str, list[dict[str, Any]]] = {}
        for line in source.get("OpportunityLineItem", []):
            lines_of.setdefault(line["OpportunityId"], []).append(line)
        for opportunity in source["Opportunity"]:
            deal = by_key["deals"].get(opportunity["Id"])
            if not opportunity["IsWon"]:
                if deal is not None:
                    report.mismatched[opportunity["Id"]] = "a deal for an opportunity that was never won"
                continue
            if deal is None:
                report.lost[opportunity["Id"]] = "won, but no deal in the CRM"
                continue
            report.synced.add(opportunity["Id"])
            self._check_deal(report, opportunity, deal, lines_of.get(opportunity["Id"], []), by_key, graph)
        return report

    def _duplicates(self, report: Report, live: dict[str, list[dict[str, Any]]]) -> None:
        for obj, prop in UNIQUE.items():
            for value, count in self.hs.creates_per_key(obj, prop).items():
                if count > 1:
                    report.duplicated[f"{obj}:{value}"] = f"{count} creates"
        names = Counter(r["properties"].get("name") for r in live["companies"])
        for name, count in names.items():
            if count > 1:
                report.duplicated[f"company:{name}"] = f"{count} companies of one name"

    def _check_deal(self, report, opportunity, deal, lines, by_key, graph) -> None:
        key, props, deal_id = opportunity["Id"], deal["properties"], deal["id"]
        if (
            float(props["amount"]) != float(opportunity["Amount"])
            or props["deal_currency_code"] != opportunity["CurrencyIsoCode"]
        ):
            report.mismatched[key] = f"amount {props['amount']} {props['deal_currency_code']}"
        wanted = {line["Id"]: line for line in lines}
        crm_lines = {
            by_key["line_items"][line_id]["id"] for line_id in wanted if line_id in by_key["line_items"]
        }
        if len(crm_lines) != len(wanted) or graph.get(("deals", deal_id, "line_items"), set()) != crm_lines:
            report.lost[key] = f"line items {sorted(crm_lines)} for {sorted(wanted)}"
        for line_id, line in wanted.items():
            crm_line = by_key["line_items"].get(line_id)
            if crm_line is not None and float(crm_line["properties"]["quantity"]) != float(line["Quantity"]):
                report.mismatched[line_id] = "line quantity"
        if len(graph.get(("deals", deal_id, "companies"), set())) != 1:
            report.mismatched[key] = f"companies {graph.get(('deals', deal_id, 'companies'))}"
        people = graph.get(("deals", deal_id, "contacts"), set())
        customers = {
            r["id"]
            for r in by_key["contacts"].values()
            if r["properties"].get("lifecyclestage") == "customer"
        }
        if not people or not people <= customers:
            report.lost[key] = f"people {people} not all customers"


def _graph(associations: list[dict[str, Any]], live: set[str]) -> dict[tuple[str, str, str], set[str]]:
    """Associations between live records (an archived record's associations went with it)."""
    graph: dict[tuple[str, str, str], set[str]] = {}
    for edge in associations:
        if edge["fromId"] in live and edge["toId"] in live:
            graph.setdefault((edge["fromObjectType"], edge["fromId"], edge["toObjectType"]), set()).add(
                edge["toId"]
            )
    return graph
