"""`revloop demo`: the whole loop against the local sandbox, in one command, with no account or network."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from connector.config import Config
from connector.demo.old_leads import initial_load_settings
from connector.demo.sandbox_config import write_sandbox_config
from connector.demo.seed import build_demo_data, demo_now, seed_sandbox
from connector.demo.story import journey_table, play_sales, seed_star
from connector.flows import counter_order
from connector.flows.checks import load_checked_config
from connector.flows.runner import run_flow
from connector.queries.errors import list_errors
from connector.queries.moves import moves
from connector.queries.review import list_cases
from connector.queries.runs import RunOutcome
from connector.report.render import (
    endpoint_calls_table,
    errors_table,
    moves_table,
    outcome_table,
    review_table,
)
from connector.sandbox.server import start_sandbox
from connector.state import open_store


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
    """Start and seed the sandbox, run every flow, play sales winning one person's deal, run every flow
    again; print what moved where, what failed, what waits for review and that person's journey."""
    started = time.monotonic()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "revloop.db").unlink(missing_ok=True)
    sandbox = start_sandbox(directory / "sandbox")
    try:
        now = demo_now()
        data = build_demo_data(now=now)
        seed_sandbox(sandbox, data)
        config_path = write_sandbox_config(
            sandbox, directory / "config.toml", settings=initial_load_settings(now)
        )
        console.print(
            f"sandbox up: Salesforce {sandbox.url('salesforce')}, HubSpot {sandbox.url('hubspot')}, "
            f"Marketo {sandbox.url('marketo')}; seeded {len(data.hubspot['contacts'])} HubSpot contacts, "
            f"{len(data.marketo['leads'])} Marketo leads, "
            f"{len(data.salesforce['Lead'])} existing Salesforce Leads"
        )
        star = seed_star(sandbox)
        config = load_checked_config(config_path)
        first = _run_enabled(config)
        console.print(outcome_table(first, counter_order()))
        won = play_sales(sandbox, star)
        console.print(
            "\nthe demo plays sales in Salesforce: 佐藤 美咲's Lead is converted and her opportunity won; "
            "every flow runs again"
        )
        second = _run_enabled(config)
        console.print(outcome_table(second, counter_order(), title="runs after sales won her deal"))
        _print_summary(console, config, first)
        console.print(journey_table(sandbox, star, won))
        result = DemoResult(config_path, first + second, time.monotonic() - started)
        console.print(f"\ndemo finished in {result.seconds:.1f}s; state store: {config.state.engine_url()}")
        console.print(
            f"next: revloop --config {config_path} review list   |   "
            f"revloop --config {config_path} errors list   |   revloop --config {config_path} runs"
        )
        if keep_running:
            _wait_for_interrupt(console, config_path)
        return result
    finally:
        sandbox.stop()


def _run_enabled(config: Config) -> list[RunOutcome]:
    return [run_flow(config, name) for name, flow in config.flows.items() if flow.enabled]


def _print_summary(console: Console, config: Config, first_runs: list[RunOutcome]) -> None:
    """What moved where, errors and review cases now; API calls by endpoint of the first runs."""
    engine = open_store(config.state.engine_url())
    console.print(moves_table(moves(engine, config)))
    errors = list_errors(engine, limit=50)
    cases = list_cases(engine, limit=50)
    engine.dispose()
    console.print(errors_table(errors) if errors else "no sync errors")
    console.print(review_table(cases) if cases else "no review cases")
    console.print(endpoint_calls_table(first_runs))


def _wait_for_interrupt(console: Console, config_path: Path) -> None:
    console.print(f"sandbox keeps running; try `revloop --config {config_path} run handoff`. Ctrl-C to stop.")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        console.print("stopping the sandbox")
