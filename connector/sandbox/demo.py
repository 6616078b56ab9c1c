"""`revloop demo`: the whole loop against the local sandbox, in one command, with no account or network."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from connector.config import load_config
from connector.demo.sandbox_config import write_sandbox_config
from connector.flows.runner import RunOutcome, run_flow
from connector.report.render import errors_table, outcome_table
from connector.sandbox.seed import build_demo_data, seed_sandbox
from connector.sandbox.server import start_sandbox
from connector.state import open_store, sync_errors
from connector.state.tables import link_keys, links


@dataclass
class DemoResult:
    config_path: Path
    outcomes: list[RunOutcome]
    seconds: float

    @property
    def exit_code(self) -> int:
        """0 when every flow ran: the demo data's invalid records are meant to fail (and are listed)."""
        ran = {"ok", "record_errors"}
        return max((o.exit_code for o in self.outcomes if o.status not in ran), default=0)


def run_demo(directory: Path, console: Console, *, keep_running: bool = False) -> DemoResult:
    """Start and seed the sandbox, run every flow once, print what moved where and what failed."""
    started = time.monotonic()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "revloop.db").unlink(missing_ok=True)
    sandbox = start_sandbox(directory / "sandbox")
    try:
        data = build_demo_data()
        seed_sandbox(sandbox, data)
        config_path = write_sandbox_config(sandbox, directory / "config.toml")
        console.print(
            f"sandbox up: Salesforce {sandbox.url('salesforce')}, HubSpot {sandbox.url('hubspot')}, "
            f"Marketo {sandbox.url('marketo')}; seeded {len(data.hubspot['contacts'])} HubSpot contacts, "
            f"{len(data.marketo['leads'])} Marketo leads, "
            f"{len(data.salesforce['Lead'])} existing Salesforce Leads"
        )
        config = load_config(config_path)
        outcomes = [run_flow(config, name) for name, flow in config.flows.items() if flow.enabled]
        _print_summary(console, config, outcomes)
        result = DemoResult(config_path, outcomes, time.monotonic() - started)
        console.print(f"\ndemo finished in {result.seconds:.1f}s; state store: {config.state.url}")
        console.print(
            f"next: revloop --config {config_path} errors list   |   revloop --config {config_path} runs"
        )
        if keep_running:
            _wait_for_interrupt(console, config_path)
        return result
    finally:
        sandbox.stop()


def _print_summary(console: Console, config, outcomes: list[RunOutcome]) -> None:
    console.print(outcome_table(outcomes))
    engine = open_store(config.state.url)
    with engine.connect() as connection:
        console.print(_moves_table(connection, config))
        errors = sync_errors.query(connection, limit=50)
    console.print(errors_table(errors) if errors else "no sync errors")
    console.print(_calls_table(outcomes))


def _moves_table(connection, config) -> Table:
    """How each flow linked people: created in the target, linked to an existing record, or converted."""
    source, target = link_keys.alias("source"), link_keys.alias("target")
    table = Table(title="what moved where", title_justify="left")
    for column in ("flow", "route", "how", "people"):
        table.add_column(column)
    for name, flow in config.flows.items():
        rows = connection.execute(
            select(links.c.status, target.c.object, func.count(func.distinct(links.c.id)))
            .join(source, source.c.link_id == links.c.id)
            .join(target, target.c.link_id == links.c.id)
            .where(
                source.c.system == flow.source, target.c.system == flow.target, target.c.status == "active"
            )
            .group_by(links.c.status, target.c.object)
            .order_by(target.c.object, links.c.status)
        )
        for status, target_object, count in rows:
            table.add_row(name, f"{flow.source} → {flow.target} {target_object}", status, str(count))
    return table


def _calls_table(outcomes: list[RunOutcome]) -> Table:
    table = Table(title="API calls by endpoint", title_justify="left")
    for column in ("flow", "system", "endpoint", "calls"):
        table.add_column(column)
    for outcome in outcomes:
        for system, calls in sorted(outcome.api_calls.items()):
            for endpoint, count in sorted(calls.items()):
                table.add_row(outcome.flow, system, endpoint, str(count))
    return table


def _wait_for_interrupt(console: Console, config_path: Path) -> None:
    console.print(f"sandbox keeps running; try `revloop --config {config_path} run handoff`. Ctrl-C to stop.")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        console.print("stopping the sandbox")
