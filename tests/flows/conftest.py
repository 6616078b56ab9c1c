"""Fixtures for end-to-end flow tests: the three HTTPS fakes, a sandbox config and a real state store.

Every test gets freshly reset fakes and a config written by ``write_sandbox_config`` that points at its
own state store, then runs flows with ``run_flow`` exactly as ``revloop run`` does. Data is seeded per
test through the fakes' Python API (``seed`` / ``touch``), small and purpose-built.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select

from connector.cli import main as revloop_main
from connector.config import Config, load_config
from connector.demo.sandbox_config import write_sandbox_config
from connector.flows.runner import run_flow
from connector.queries.runs import RunOutcome
from connector.sandbox.hubspot import HubSpotFake
from connector.sandbox.marketo import MarketoFake
from connector.sandbox.salesforce import SalesforceFake
from connector.sandbox.server import Sandbox, start_sandbox
from connector.state import open_store
from connector.state.tables import link_keys, outbox, runs, sync_errors

MA_ID = "Revloop_MA_Id__c"
REPS = (
    {"LastName": "Mori", "FirstName": "Kenji", "Email": "kenji.mori@example.com", "IsActive": True},
    {"LastName": "Ueda", "FirstName": "Aiko", "Email": "aiko.ueda@example.com", "IsActive": True},
)
HOT = {"hubspotscore": "90"}
"""Properties that make a HubSpot contact qualify by score (threshold 80)."""


class FlowEnv:
    """One test's world: reset fakes, a config for them and the state store that config names."""

    def __init__(self, sandbox: Sandbox, directory: Path, state_url: str) -> None:
        self.sandbox = sandbox
        self.sf: SalesforceFake = sandbox.service("salesforce")  # type: ignore[assignment]
        self.hs: HubSpotFake = sandbox.service("hubspot")  # type: ignore[assignment]
        self.mk: MarketoFake = sandbox.service("marketo")  # type: ignore[assignment]
        for fake in (self.sf, self.hs, self.mk):
            fake.reset()
        self.state_url = state_url
        self.config_path = write_sandbox_config(sandbox, directory / "config.toml", state_url=state_url)
        self.config: Config = load_config(self.config_path)
        self.engine: Engine = open_store(state_url)
        self.rep_ids = self.sf.seed({"User": [dict(rep) for rep in REPS]})["User"]

    # ---- running --------------------------------------------------------------------------------
    def configure(self, system: str, **keys: Any) -> None:
        """Rewrite the config with more keys in ``system``'s table (a Marketo initial load)."""
        settings = {system: {key: (value, "") for key, value in keys.items()}}
        write_sandbox_config(self.sandbox, self.config_path, state_url=self.state_url, settings=settings)

    def run(self, flow: str = "handoff") -> RunOutcome:
        """One cycle of ``flow``, as ``revloop run`` does it (config reloaded, so mapping edits apply)."""
        self.config = load_config(self.config_path)
        return run_flow(self.config, flow, engine=self.engine)

    def cli(self, *args: str, columns: int = 200) -> CliResult:
        """``revloop --config <this config> ARGS``."""
        return run_cli("--config", str(self.config_path), *args, columns=columns)

    def reset_calls(self) -> None:
        for fake in (self.sf, self.hs, self.mk):
            fake.reset_calls()

    # ---- HubSpot ----------------------------------------------------------------------------------
    def contact(self, **properties: Any) -> str:
        """Seed one HubSpot contact; returns its id."""
        values = {key: str(value) for key, value in properties.items()}
        return self.hs.seed({"contacts": [{"properties": values}]})["contacts"][0]

    def contacts(self, rows: list[Mapping[str, Any]]) -> list[str]:
        entries = [{"properties": {k: str(v) for k, v in row.items()}} for row in rows]
        return self.hs.seed({"contacts": entries})["contacts"]

    def contact_properties(self, contact_id: str) -> dict[str, str]:
        with self.hs.lock:
            record = self.hs.portal.table("contacts").live(int(contact_id))
            assert record is not None, f"HubSpot contact {contact_id} does not exist"
            return dict(record.properties)

    # ---- Marketo ----------------------------------------------------------------------------------
    def lead(self, **fields: Any) -> int:
        """Seed one Marketo lead; returns its id."""
        return self.mk.seed({"leads": [fields]})["leads"][0]

    def marketo_lead(self, lead_id: int) -> dict[str, Any]:
        with self.mk.lock:
            return dict(self.mk.store.leads[int(lead_id)])

    # ---- Salesforce -------------------------------------------------------------------------------
    def sf_seed(self, obj: str, *rows: Mapping[str, Any]) -> list[str]:
        return self.sf.seed({obj: [dict(row) for row in rows]})[obj]

    def sf_rows(self, obj: str) -> list[dict[str, Any]]:
        with self.sf.lock:
            return [dict(row) for row in self.sf.org.records[obj].values()]

    def sf_row(self, obj: str, record_id: str) -> dict[str, Any]:
        with self.sf.lock:
            row = self.sf.org.get(obj, record_id)
            assert row is not None, f"no {obj} {record_id} in the Salesforce fake"
            return dict(row)

    def sf_by_ma_id(self, obj: str, ma_id: str) -> list[dict[str, Any]]:
        return [row for row in self.sf_rows(obj) if row.get(MA_ID) == str(ma_id)]

    def creates(self, obj: str = "Lead") -> dict[str, int]:
        """Records ever created per MA id (external id): a value above 1 is a duplicate."""
        return self.sf.creates_by_key(obj, MA_ID)

    # ---- state store ------------------------------------------------------------------------------
    def errors(self, *, status: str | None = None) -> list[dict[str, Any]]:
        query = select(sync_errors).order_by(sync_errors.c.id)
        if status:
            query = query.where(sync_errors.c.status == status)
        with self.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def waiting(self, stage: str = "write") -> list[dict[str, Any]]:
        """Outbox rows of ``stage`` (records accepted from the source and not yet written)."""
        query = select(outbox).where(outbox.c.stage == stage).order_by(outbox.c.id)
        with self.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def link_keys(self) -> set[tuple[str, str, str]]:
        """Every (system, object, record id) revloop has linked."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(link_keys.c.system, link_keys.c.object, link_keys.c.record_id))
            return {tuple(row) for row in rows}

    def runs(self) -> list[dict[str, Any]]:
        with self.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(select(runs).order_by(runs.c.id))]

    def execute(self, statement) -> None:
        with self.engine.begin() as connection:
            connection.execute(statement)


@pytest.fixture(scope="session")
def flow_sandbox(tmp_path_factory) -> Iterator[Sandbox]:
    """The three fakes over HTTPS, shared by every flow test (each test resets them)."""
    with start_sandbox(tmp_path_factory.mktemp("flows-sandbox")) as sandbox:
        yield sandbox


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """CLI commands and canary tests call setup_logging, which replaces the root handlers and sets
    logger levels (urllib3's): put everything back so later tests see pytest's logging untouched."""
    root = logging.getLogger()
    handlers = list(root.handlers)
    levels = {
        name: logger.level
        for name, logger in logging.root.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    root_level = root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(root_level)
    for name, logger in logging.root.manager.loggerDict.items():
        if isinstance(logger, logging.Logger):
            logger.setLevel(levels.get(name, logging.NOTSET))


@pytest.fixture
def env(flow_sandbox, store_url, tmp_path) -> FlowEnv:
    """A flow world on each state-store backend (SQLite always; PostgreSQL when configured)."""
    return FlowEnv(flow_sandbox, tmp_path, store_url)


@pytest.fixture
def sqlite_env(flow_sandbox, tmp_path) -> FlowEnv:
    """A flow world on SQLite only, for tests whose subject is not the store."""
    return FlowEnv(flow_sandbox, tmp_path, f"sqlite:///{tmp_path / 'state.db'}")


@dataclass(frozen=True)
class CliResult:
    code: int
    stdout: str
    stderr: str


def run_cli(*args: str, columns: int = 200) -> CliResult:
    """``revloop ARGS`` in-process through the console script's entry point (exit codes included).

    Output is not a terminal, so rich renders ``columns`` wide (COLUMNS), as in a CI log.
    """
    with CliRunner().isolation(env={"COLUMNS": str(columns)}) as (stdout, stderr, _output):
        try:
            revloop_main(list(args))
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        return CliResult(code, stdout.getvalue().decode(), stderr.getvalue().decode())


@pytest.fixture
def cli() -> Callable[..., CliResult]:
    """``cli("--config", path, "errors", "list")`` → CliResult(code, stdout, stderr)."""
    return run_cli
